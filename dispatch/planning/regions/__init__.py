"""Large days by region: split (split.py), round 1, border passes and stitching (border.py)."""

from dispatch.planning.regions.border import RegionTask, plan_by_region, solve_region
from dispatch.planning.regions.split import Region, split_day, sub_day

__all__ = ["Region", "RegionTask", "plan_by_region", "solve_region", "split_day", "sub_day"]
