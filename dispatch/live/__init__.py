"""The live day: the state of the day from events, re-planning from it, and where one order fits best."""

from dispatch.live.recommend import Member, Placement, Recommender, assign, recommend
from dispatch.live.replan import replan_day

__all__ = ["Member", "Placement", "Recommender", "assign", "recommend", "replan_day"]
