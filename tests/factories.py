"""Tiny named days for tests, and the rule that every plan a test makes passes the checker."""

from __future__ import annotations

from datetime import date, datetime

from dispatch.domain import Day, Order, Technician

PLAN_DATE = date(2026, 11, 24)
MIDNIGHT = datetime(2026, 11, 24)


def at(hhmm: str, day: datetime = MIDNIGHT) -> datetime:
    h, m = hhmm.split(":")
    return day.replace(hour=int(h), minute=int(m))


def make_tech(id: str = "T1", **kw) -> Technician:
    base = dict(id=id, name=f"Tech {id}", skills={"hvac"}, home_lat=45.76, home_lon=4.84,
                shift_start=at("08:00"), shift_end=at("17:00"))
    return Technician(**(base | kw))


def make_order(id: str = "O1", **kw) -> Order:
    base = dict(id=id, customer=f"Customer {id}", lat=45.75, lon=4.85, priority="P3",
                required_skills={"hvac"}, duration_min=60, created_at=at("07:00"))
    return Order(**(base | kw))


def make_day(techs, orders) -> Day:
    return Day(PLAN_DATE, tuple(techs), tuple(orders))


def assert_valid(day, plan):
    """Every plan a test produces goes through the independent checker."""
    from dispatch.analysis.checker import check_plan, format_report

    report = check_plan(day, plan)
    assert report.ok, format_report(report)
    return report



def assert_valid_replan(day, plan, events, at, previous):
    """A re-plan goes through the independent re-plan check: the frozen facts, nothing new before `at`,
    every hard rule from each technician's position, and its changes and churn."""
    from dispatch.analysis.checker import format_report
    from dispatch.analysis.replan_check import check_replan

    report = check_replan(day, plan, events, at, previous)
    assert report.ok, format_report(report)
    return report
