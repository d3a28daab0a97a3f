"""The live day: the state of the day from events, re-planning from it, and where one order fits best."""

from dispatch.live.recommend import Placement, Recommender, recommend
from dispatch.live.replan import replan_day

__all__ = ["Placement", "Recommender", "recommend", "replan_day"]
