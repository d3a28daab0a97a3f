"""events.csv: what the phones report, read with every bad cell and every contradiction named."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from dispatch.errors import InputError
from dispatch.events import Event, EventKind
from dispatch.io.events import events_from_csv_bytes, read_events, write_events
from tests.factories import make_day, make_order, make_tech

DAY = make_day([make_tech("T1"), make_tech("T2")], [make_order("O1"), make_order("O2"), make_order("O3")])
HEADER = "time,technician_id,order_id,event,note\n"


def read(rows: str):
    return events_from_csv_bytes((HEADER + rows).encode(), DAY)


def errors(rows: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        read(rows)
    return [str(e) for e in caught.value.errors]


def test_a_good_log_is_read_in_time_order_whatever_the_file_order(tmp_path) -> None:
    rows = ("2026-11-24T09:05,T1,O1,started,\n"
            "2026-11-24T08:10,T1,O1,departed,\n"
            "2026-11-24T08:30,T1,O1,arrived,\n"
            "2026-11-24T10:00,T1,O1,done,\n"
            "2026-11-24T10:05,T1,O2,departed,\n"
            "2026-11-24T11:00,T2,,absent,sick\n"
            "2026-11-24T12:00,,O3,cancelled,customer called\n")
    path = tmp_path / "events.csv"
    path.write_text(HEADER + rows)
    events = read_events(path, DAY)
    assert [e.kind for e in events] == [EventKind.DEPARTED, EventKind.ARRIVED, EventKind.STARTED, EventKind.DONE,
                                        EventKind.DEPARTED, EventKind.ABSENT, EventKind.CANCELLED]
    assert events[0].time == datetime(2026, 11, 24, 8, 10)
    assert events[0].row == 3  # as a spreadsheet numbers it: header row 1
    assert events[5].technician_id == "T2"
    assert events[5].order_id is None
    assert events[5].note == "sick"
    assert events[6].technician_id is None


@pytest.mark.parametrize(("row", "expected"), [
    ("2026-11-24T09:00,T1,O9,started,", "events.csv row 2, column order_id, value 'O9': is not an order of the day"),
    ("2026-11-24T09:00,T9,O1,started,", "row 2, column technician_id, value 'T9': is not a technician of the roster"),
    ("2026-11-24T09:00,T1,O1,finished,", "row 2, column event, value 'finished': is not an event"),
    ("9 o'clock,T1,O1,started,", "row 2, column time, value \"9 o'clock\": is not an ISO 8601 date-time"),
    ("2026-11-24T09:00+01:00,T1,O1,started,", "has a UTC offset"),
    ("2026-11-24T09:00,,O1,started,", "row 2, column technician_id, value '': is empty; a started event names"),
    ("2026-11-24T09:00,T1,,done,", "row 2, column order_id, value '': is empty; a done event names its order"),
    ("2026-11-24T09:00,T1,O1,break,", "row 2, column order_id, value 'O1': must be empty for a break event"),
])
def test_a_bad_cell_is_named_by_row_column_and_value(row: str, expected: str) -> None:
    assert any(expected in e for e in errors(row + "\n")), errors(row + "\n")


@pytest.mark.parametrize(("rows", "expected"), [
    ("2026-11-24T09:00,T1,O1,done,\n", "row 2, column event, value 'done': done before started: T1 has not started"),
    ("2026-11-24T09:00,T1,O1,started,\n2026-11-24T09:10,T2,O1,started,\n",
     "row 3, column event, value 'started': order O1 is already in service by T1"),
    ("2026-11-24T09:00,T1,O1,started,\n2026-11-24T10:00,T1,O1,done,\n2026-11-24T10:30,T2,O1,departed,\n",
     "row 4, column event, value 'departed': order O1 was already done"),
    ("2026-11-24T09:00,,O1,cancelled,\n2026-11-24T10:00,T1,O1,departed,\n", "order O1 was already cancelled"),
    ("2026-11-24T09:00,T1,,absent,\n2026-11-24T10:00,T1,O2,departed,\n",
     "technician T1 is absent since 09:00 and takes no new work"),
    ("2026-11-24T09:00,T1,O1,arrived,\n2026-11-24T09:10,T1,O1,departed,\n", "departed after arrived for order O1"),
    ("2026-11-24T09:00,T1,O1,started,\n2026-11-24T09:10,,O1,cancelled,\n", "order O1 is in service by T1"),
])
def test_events_that_contradict_each_other_are_errors(rows: str, expected: str) -> None:
    assert any(expected in e for e in errors(rows)), errors(rows)


def test_an_unresolved_visit_lets_the_order_be_visited_again() -> None:
    events = read("2026-11-24T09:00,T1,O1,started,\n2026-11-24T10:00,T1,O1,unresolved,part missing\n"
                  "2026-11-24T11:00,T2,O1,started,\n2026-11-24T12:00,T2,O1,done,\n")
    assert [e.kind for e in events][-2:] == [EventKind.STARTED, EventKind.DONE]


def test_an_absent_technician_may_finish_the_visit_under_way() -> None:
    events = read("2026-11-24T09:00,T1,O1,started,\n2026-11-24T09:30,T1,,absent,\n2026-11-24T10:00,T1,O1,done,\n")
    assert events[-1].kind is EventKind.DONE


def test_every_problem_is_reported_at_once_and_a_missing_column_too() -> None:
    found = errors("bad,T9,O9,nope,\n2026-11-24T09:00,T1,,started,\n")
    assert len(found) == 5  # time, technician, order and event of row 2; the empty order of row 3
    with pytest.raises(InputError, match="required column event is missing"):
        events_from_csv_bytes(b"time,technician_id,order_id,note\n", DAY)


def test_moving_on_while_in_service_elsewhere_is_an_error() -> None:
    found = errors("2026-11-24T09:00,T1,O1,started,\n2026-11-24T09:30,T1,O2,departed,\n")
    assert any("row 3, column event, value 'departed': technician T1 is still in service at order O1" in e
               for e in found), found


def test_contradictions_are_named_beside_bad_cells_but_not_on_a_story_a_bad_row_leaves_incomplete() -> None:
    found = errors("2026-11-24T09:00,T1,O1,done,\n"  # done before started: named
                   "2026-11-24T09:00,T2,O2,teleported,\n"  # a bad event ...
                   "2026-11-24T09:30,T2,O2,done,\n")  # ... so O2's done is not judged
    assert len(found) == 2
    assert found[0].startswith("events.csv row 2, column event, value 'done'")
    assert found[1].startswith("events.csv row 3, column event, value 'teleported'")


def test_times_keep_whole_seconds_like_the_plans_they_are_checked_against() -> None:
    [event] = read("2026-11-24T09:05:07.861,T1,O1,departed,\n")
    assert event.time == datetime(2026, 11, 24, 9, 5, 7)


def test_written_events_read_back_the_same_rows_in_the_same_order(tmp_path) -> None:
    at = datetime(2026, 11, 24, 9, 0)
    events = [Event(at, EventKind.DEPARTED, "T1", "O1"),
              Event(at, EventKind.ARRIVED, "T1", "O1"),  # same time: the file's order decides
              Event(at.replace(minute=5, second=30), EventKind.STARTED, "T1", "O1"),
              Event(at.replace(hour=10), EventKind.UNRESOLVED, "T1", "O1", note='part "VLV-300", on order'),
              Event(at.replace(hour=11), EventKind.ABSENT, "T2", note="sick"),
              Event(at.replace(hour=12), EventKind.CANCELLED, None, "O3")]
    path = tmp_path / "events.csv"
    write_events(path, events)
    back = read_events(path, DAY)
    assert [replace(e, row=None) for e in back] == events
    assert [e.row for e in back] == [2, 3, 4, 5, 6, 7]


CREW_DAY = make_day([make_tech("T1"), make_tech("T2"), make_tech("T3")],
                    [make_order("K1", technicians_needed=2), make_order("O2")])


def test_each_member_of_a_crew_reports_their_own_visit_and_the_order_closes_once_all_have_finished() -> None:
    rows = ("2026-11-24T09:00,T1,K1,arrived,\n2026-11-24T09:02,T2,K1,arrived,\n"
            "2026-11-24T09:05,T1,K1,started,\n2026-11-24T09:06,T2,K1,started,\n"
            "2026-11-24T10:00,T2,K1,done,\n2026-11-24T10:05,T1,K1,done,\n")
    events = events_from_csv_bytes((HEADER + rows).encode(), CREW_DAY)
    assert [(e.technician_id, e.kind) for e in events][-2:] == [("T2", EventKind.DONE), ("T1", EventKind.DONE)]


@pytest.mark.parametrize(("rows", "expected"), [
    # a crew of two takes two
    ("2026-11-24T09:00,T1,K1,started,\n2026-11-24T09:01,T2,K1,started,\n2026-11-24T09:02,T3,K1,started,\n",
     "row 4, column event, value 'started': order K1 is already in service by T1, T2"),
    # once a member is done, nobody begins it any more; once all are done, it is closed
    ("2026-11-24T09:00,T1,K1,started,\n2026-11-24T10:00,T1,K1,done,\n2026-11-24T10:01,T2,K1,started,\n",
     "row 4, column event, value 'started': order K1 was already done"),
    ("2026-11-24T09:00,T1,K1,started,\n2026-11-24T09:00,T2,K1,started,\n2026-11-24T10:00,T1,K1,done,\n"
     "2026-11-24T10:01,T3,K1,departed,\n", "row 5, column event, value 'departed': order K1 was already done by a "
     "member of its crew"),
    ("2026-11-24T09:00,T1,K1,started,\n2026-11-24T09:00,T2,K1,started,\n2026-11-24T10:00,T1,K1,done,\n"
     "2026-11-24T10:01,T2,K1,done,\n2026-11-24T10:02,T2,K1,done,\n", "row 6, column event, value 'done': order K1 "
     "was already done"),
])
def test_a_crew_log_that_contradicts_itself_is_named(rows: str, expected: str) -> None:
    with pytest.raises(InputError) as caught:
        events_from_csv_bytes((HEADER + rows).encode(), CREW_DAY)
    assert any(expected in str(e) for e in caught.value.errors), [str(e) for e in caught.value.errors]
