"""Customer notifications: an outbox of visit confirmations, delays, completions, missing parts and
proposed appointment windows, delivered to a webhook."""
