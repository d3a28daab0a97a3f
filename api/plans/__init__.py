"""Plans as jobs: request a plan for a date, watch it solve, cancel, re-plan with pins, publish."""
