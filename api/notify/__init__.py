"""Customer notifications: an outbox of visit confirmations, delays, completions and missing parts, delivered to a webhook."""
