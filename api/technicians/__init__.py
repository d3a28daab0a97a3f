"""Technicians: skills, shift pattern, home and van (a stock location of the parts package)."""
