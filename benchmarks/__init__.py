"""Reproducible solver benchmarks on public instances (not timed tests): readers, runners, results."""
