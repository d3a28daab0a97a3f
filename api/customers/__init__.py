"""Customers: where orders come from, with optional contract response deadlines."""
