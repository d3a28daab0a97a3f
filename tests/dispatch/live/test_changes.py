"""changes and churn: what a re-plan changed against the plan it started from, by DESIGN.md's words."""

from __future__ import annotations

from datetime import datetime

from dispatch.live.changes import compare
from dispatch.plan import Change, Plan, Route, Stop, Unassigned
from tests.factories import PLAN_DATE, at


def stop(order: str, hhmm: str, status: str = "planned") -> Stop:
    t = at(hhmm)
    return Stop(order, t, t, t.replace(minute=59), 1.0, 2.0, 0.0, status=status)


def plan(routes: dict[str, list[Stop]], unassigned: tuple[Unassigned, ...] = (), when: datetime | None = None) -> Plan:
    return Plan(PLAN_DATE, tuple(Route(t, tuple(s), None, 1.0) for t, s in routes.items()), unassigned, at=when)


def test_each_kind_of_change_and_the_churn_that_sums_them() -> None:
    before = plan({"T1": [stop("A", "09:00"), stop("B", "10:00"), stop("C", "11:00")],
                   "T2": [stop("D", "09:00"), stop("E", "12:00")]}, (Unassigned("F", "full", "fully booked"),))
    after = plan({"T1": [stop("A", "09:10"), stop("B", "10:40")],
                  "T2": [stop("C", "11:20"), stop("F", "13:00")]},
                 (Unassigned("D", "full", "fully booked"), Unassigned("E", "cancelled by the customer", "cancelled")))
    changes, churn = compare(before, after, cancelled={"E"})
    assert changes == (
        Change("B", "shifted", "T1", "T1", 40.0),
        Change("C", "reassigned", "T1", "T2", 20.0),
        Change("D", "dropped", "T2", None),
        Change("E", "cancelled", "T2", None),
        Change("F", "added", None, "T2"),
    )
    assert churn.reassigned == 1
    assert churn.shifted_over_15_min == 2  # B (40 min) and C (20 min); A moved 10
    assert churn.max_eta_shift_minutes == 40.0
    assert churn.technicians_affected == 2


def test_a_visit_begun_is_no_change_and_a_visit_again_after_an_unresolved_one_is_added() -> None:
    before = plan({"T1": [stop("A", "09:00"), stop("B", "10:00")]})
    after = plan({"T1": [stop("A", "09:05", "done"), stop("B", "10:00", "unresolved"), stop("B", "14:00")]},
                 when=at("11:00"))
    changes, churn = compare(before, after)
    assert changes == (Change("B", "added", None, "T1"),)
    assert churn.reassigned == 0


def test_in_a_chain_of_replans_an_old_unresolved_visit_does_not_hide_a_dropped_revisit() -> None:
    first = plan({"T1": [stop("B", "10:00", "unresolved"), stop("B", "14:00")]}, when=at("11:00"))
    second = plan({"T1": [stop("B", "10:00", "unresolved")]}, (Unassigned("B", "full", "fully booked"),),
                  when=at("12:00"))
    changes, _ = compare(first, second)
    assert changes == (Change("B", "dropped", "T1", None),)


def test_a_cancellation_already_recorded_is_not_listed_again() -> None:
    cancelled = (Unassigned("E", "cancelled by the customer", "cancelled"),)
    changes, churn = compare(plan({}, cancelled), plan({}, cancelled), cancelled={"E"})
    assert changes == ()
    assert churn.technicians_affected == 0
