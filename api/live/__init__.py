"""The live day in the service: the status of a day at a moment, the escalation watch and its lease."""
