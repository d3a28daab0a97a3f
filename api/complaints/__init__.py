"""Customer complaints: intake, assignment, clocks for a first response and a resolution, the outcome."""
