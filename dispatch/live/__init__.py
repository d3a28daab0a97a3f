"""The live day: the state of the day at a time `at` from what the phones reported (state.py)."""
