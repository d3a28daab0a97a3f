"""Visits: what a technician records on the stops of their published route."""
