"""The state of the day at `at`: the freeze of DESIGN.md, worked out on a small day."""

from __future__ import annotations

from dispatch.io.events import events_from_csv_bytes
from dispatch.live.state import VisitStatus, day_state
from dispatch.plan import Plan, Route
from tests.factories import PLAN_DATE, at, make_day, make_order, make_tech

# T1 and T2 live at (45.76, 4.84) and work 08:00-17:00; T2 takes a 30 min break in 12:00-13:30.
# O1..O4 (60 min each) were created at 07:00; O5 comes in at 10:15, O6 at 11:30.
DAY = make_day(
    [make_tech("T1"), make_tech("T2", break_start=at("12:00"), break_end=at("13:30"), break_minutes=30)],
    [make_order("O1", lat=45.70), make_order("O2", lat=45.71), make_order("O3", lat=45.72),
     make_order("O4", lat=45.73), make_order("O5", lat=45.74, priority="P1", created_at=at("10:15")),
     make_order("O6", created_at=at("11:30"))],
)
HEADER = "time,technician_id,order_id,event,note\n"


def state(rows: str, when: str, previous: Plan | None = None):
    events = events_from_csv_bytes((HEADER + rows).encode(), DAY)
    return day_state(DAY, events, at(when), previous)


def test_with_nothing_reported_everyone_goes_on_from_home_and_every_known_order_is_to_plan() -> None:
    s = state("", "07:30")
    assert s.technicians["T1"].free_from == at("08:00")  # max(shift_start, at)
    assert (s.technicians["T1"].lat, s.technicians["T1"].lon) == (45.76, 4.84)
    assert s.to_plan == ("O1", "O2", "O3", "O4")  # O5 and O6 are not known at 07:30
    assert state("", "10:30").technicians["T1"].free_from == at("10:30")
    assert state("", "10:30").to_plan == ("O1", "O2", "O3", "O4", "O5")


def test_a_done_visit_keeps_its_times_and_the_technician_goes_on_from_there() -> None:
    s = state("2026-11-24T08:10,T1,O1,departed,\n2026-11-24T08:30,T1,O1,arrived,\n"
              "2026-11-24T08:35,T1,O1,started,\n2026-11-24T09:40,T1,O1,done,\n", "10:00")
    [visit] = s.technicians["T1"].fixed
    assert visit.status is VisitStatus.DONE
    assert (visit.departed, visit.arrival, visit.start, visit.end) == (at("08:10"), at("08:30"), at("08:35"),
                                                                       at("09:40"))
    assert s.done == ("O1",)
    assert "O1" not in s.to_plan
    t1 = s.technicians["T1"]
    assert (t1.lat, t1.free_from) == (45.70, at("10:00"))


def test_a_visit_in_service_stays_and_ends_at_the_later_of_its_planned_end_and_at() -> None:
    rows = "2026-11-24T09:00,T1,O2,started,\n"
    s = state(rows, "09:30")
    [visit] = s.technicians["T1"].fixed
    assert visit.status is VisitStatus.IN_SERVICE
    assert visit.end == at("10:00")  # 09:00 + 60 min
    assert s.technicians["T1"].free_from == at("10:00")
    assert "O2" not in s.to_plan
    assert state(rows, "10:20").technicians["T1"].fixed[0].end == at("10:20")  # overrunning: ends no earlier than at


def test_en_route_and_on_site_visits_stay_as_the_next_stop() -> None:
    s = state("2026-11-24T09:00,T1,O3,departed,\n2026-11-24T09:05,T2,O4,departed,\n"
              "2026-11-24T09:20,T2,O4,arrived,\n", "09:30")
    assert [v.status for v in s.technicians["T1"].fixed] == [VisitStatus.EN_ROUTE]
    assert [v.status for v in s.technicians["T2"].fixed] == [VisitStatus.ON_SITE]
    assert s.technicians["T2"].fixed[0].arrival == at("09:20")
    assert not {"O3", "O4"} & set(s.to_plan)


def test_unresolved_goes_back_to_the_pool_and_cancelled_does_not() -> None:
    s = state("2026-11-24T08:30,T1,O1,started,\n2026-11-24T09:30,T1,O1,unresolved,part missing\n"
              "2026-11-24T09:00,,O2,cancelled,\n", "10:00")
    assert s.unresolved == ("O1",)
    assert s.cancelled == ("O2",)
    assert "O1" in s.to_plan
    assert "O2" not in s.to_plan
    assert s.technicians["T1"].fixed[0].status is VisitStatus.UNRESOLVED


def test_events_after_at_are_ignored() -> None:
    s = state("2026-11-24T09:00,T1,O1,started,\n2026-11-24T10:30,T1,O1,done,\n", "10:00")
    assert s.technicians["T1"].fixed[0].status is VisitStatus.IN_SERVICE
    assert s.done == ()


def test_an_absent_technician_is_named() -> None:
    s = state("2026-11-24T11:00,T2,,absent,sick\n", "11:30")
    assert s.absent == ("T2",)
    assert s.technicians["T2"].absent_from == at("11:00")
    assert s.to_plan[-1] == "O6"  # created at 11:30, known at 11:30


def test_a_break_begun_is_taken_and_the_technician_is_free_after_it() -> None:
    s = state("2026-11-24T12:05,T2,,break,\n", "12:10")
    assert s.technicians["T2"].break_taken
    assert s.technicians["T2"].free_from == at("12:35")


def test_a_break_the_previous_plan_put_before_at_counts_as_taken_unless_reported_otherwise() -> None:
    route = Route(technician_id="T2", stops=(), break_=(at("12:00"), at("12:30")), travel_km=0.0)
    previous = Plan(date=PLAN_DATE, routes=(route,), unassigned=())
    assert state("", "12:15", previous).technicians["T2"].break_taken
    assert not state("", "11:45", previous).technicians["T2"].break_taken
    assert not state("", "12:15").technicians["T1"].break_taken


def test_a_technician_redirected_on_the_way_keeps_the_later_visit_and_the_first_goes_back_to_the_pool() -> None:
    s = state("2026-11-24T09:00,T1,O3,departed,\n2026-11-24T09:10,T1,O4,departed,\n", "09:30")
    assert [(v.order_id, v.status) for v in s.technicians["T1"].fixed] == [("O4", VisitStatus.EN_ROUTE)]
    assert "O3" in s.to_plan
    assert "O4" not in s.to_plan


def test_a_planned_break_the_phone_contradicts_is_still_due() -> None:
    route = Route(technician_id="T2", stops=(), break_=(at("12:00"), at("12:30")), travel_km=0.0)
    previous = Plan(PLAN_DATE, (route,), ())
    # T2 reported arriving at O1 during the planned break, and is there at 12:15
    assert not state("2026-11-24T12:05,T2,O1,arrived,\n", "12:15", previous).technicians["T2"].break_taken
    # T2 reported nothing during it, but was on the way to O2 since before it and still is at 12:15
    assert not state("2026-11-24T11:50,T2,O2,departed,\n", "12:15", previous).technicians["T2"].break_taken
    # a report before the planned break does not contradict it
    finished = "2026-11-24T10:00,T2,O3,started,\n2026-11-24T11:00,T2,O3,done,\n"
    assert state(finished, "12:15", previous).technicians["T2"].break_taken
