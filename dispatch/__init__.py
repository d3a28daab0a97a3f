"""The dispatch domain and its workflows: orders, technicians, SLA policy, plans, checker, CLI."""
