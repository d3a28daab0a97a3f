"""Property tests for the cell parsers and the readers: parse(format(x)) == x; garbage only ever raises InputError."""

from __future__ import annotations

import contextlib
import csv
import io
from datetime import datetime, timedelta

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch.domain import Day
from dispatch.errors import InputError
from dispatch.io import ORDER_COLUMNS, TECHNICIAN_COLUMNS, day_from_frames, read_day
from dispatch.io.cells import (
    BadCellError,
    format_datetime,
    format_parts,
    format_tags,
    format_time,
    parse_datetime,
    parse_float,
    parse_int,
    parse_latitude,
    parse_parts,
    parse_priority,
    parse_tags,
    parse_time,
)
from tests.factories import MIDNIGHT, PLAN_DATE

# --- round trips -------------------------------------------------------------------------------------------

times_on_plan_date = st.one_of(
    st.integers(0, 24 * 3600 - 1).map(lambda s: MIDNIGHT + timedelta(seconds=s)),
    st.integers(0, 24 * 3600 * 10**6 - 1).map(lambda us: MIDNIGHT + timedelta(microseconds=us)),
    st.just(MIDNIGHT + timedelta(days=1)),  # 24:00
)


@given(times_on_plan_date)
def test_time_round_trip(value):
    assert parse_time(format_time(value, PLAN_DATE), PLAN_DATE) == value


@given(st.integers(0, 23), st.integers(0, 59), st.one_of(st.none(), st.integers(0, 59)))
def test_hh_mm_text_is_read_as_written(h, m, s):
    text = f"{h:02d}:{m:02d}" + ("" if s is None else f":{s:02d}")
    assert parse_time(text, PLAN_DATE) == MIDNIGHT + timedelta(hours=h, minutes=m, seconds=s or 0)


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)))
def test_datetime_round_trip(value):
    assert parse_datetime(format_datetime(value)) == value


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_round_trip(value):
    assert parse_float(repr(value)) == value


@given(st.integers(-(10**12), 10**12))
def test_int_round_trip(value):
    assert parse_int(str(value)) == value


def _clean(text: str) -> bool:
    return text == text.strip() and bool(text) and not any(c in text for c in ";,:")


tags = st.text(min_size=1, max_size=12).map(lambda t: t.strip().lower()).filter(
    lambda t: _clean(t) and t == t.lower() and t == t.strip())
part_names = st.text(min_size=1, max_size=12).filter(_clean)


@given(st.frozensets(tags, max_size=6))
def test_tag_list_round_trip(value):
    assert parse_tags(format_tags(value)) == value


@given(st.dictionaries(part_names, st.integers(1, 10**6), max_size=6))
def test_part_list_round_trip(value):
    assert parse_parts(format_parts(value)) == value


@given(st.lists(st.sampled_from(["hvac", "HVAC", " Hvac ", "english", ""]), max_size=5))
def test_tag_lists_ignore_case_whitespace_and_empty_pieces(pieces):
    assert parse_tags(";".join(pieces)) == {p.strip().lower() for p in pieces if p.strip()}


# --- garbage never escapes as anything but the documented error --------------------------------------------

PARSERS = [parse_float, parse_int, parse_latitude, parse_priority, parse_tags, parse_parts, parse_datetime,
           lambda t: parse_time(t, PLAN_DATE)]
cellish = st.one_of(
    st.text(max_size=30),
    st.text(alphabet="0123456789:;.,-+eE T/PZ", max_size=30),
)


@given(cellish)
def test_cell_parsers_raise_only_bad_cell(text):
    for parse in PARSERS:
        with contextlib.suppress(BadCellError):
            parse(text.strip())


def _csv(header, rows) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue()


def _rows(columns, cell):
    return st.lists(st.lists(cell, min_size=len(columns) - 1, max_size=len(columns) + 1), max_size=4)


def _check_day_or_input_error(call):
    try:
        result = call()
    except InputError as e:
        errors = e.errors
    else:
        assert isinstance(result, Day)
        return
    assert errors
    assert all(str(err) for err in errors)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(techs=_rows(TECHNICIAN_COLUMNS, cellish), orders=_rows(ORDER_COLUMNS, cellish),
       drop=st.one_of(st.none(), st.sampled_from(ORDER_COLUMNS)))
def test_garbage_files_raise_only_input_error(tmp_path, techs, orders, drop):
    order_cols = [c for c in ORDER_COLUMNS if c != drop]
    (tmp_path / "t.csv").write_text(_csv(TECHNICIAN_COLUMNS, techs), encoding="utf-8")
    (tmp_path / "o.csv").write_text(_csv(order_cols, orders), encoding="utf-8")
    _check_day_or_input_error(lambda: read_day(tmp_path / "t.csv", tmp_path / "o.csv", PLAN_DATE))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_input_error(tmp_path, blob):
    (tmp_path / "t.csv").write_bytes(blob)
    (tmp_path / "o.csv").write_bytes(blob)
    _check_day_or_input_error(lambda: read_day(tmp_path / "t.csv", tmp_path / "o.csv", PLAN_DATE))


typed_cell = st.one_of(cellish, st.none(), st.floats(), st.integers(), st.booleans(),
                       st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1)),
                       st.frozensets(st.text(max_size=5), max_size=3))


@settings(max_examples=60, deadline=None)
@given(techs=st.lists(st.tuples(*[typed_cell] * len(TECHNICIAN_COLUMNS)), max_size=3),
       orders=st.lists(st.tuples(*[typed_cell] * len(ORDER_COLUMNS)), max_size=3))
def test_garbage_frames_raise_only_input_error(techs, orders):
    t = pd.DataFrame(techs, columns=list(TECHNICIAN_COLUMNS), dtype=object)
    o = pd.DataFrame(orders, columns=list(ORDER_COLUMNS), dtype=object)
    _check_day_or_input_error(lambda: day_from_frames(t, o, PLAN_DATE))


# Near-valid rows reach the cross-cell checks and the domain constructors, which pure garbage rarely does.
TECH_ROW = dict(id="T1", name="Ana", skills="hvac", home_lat="45.76", home_lon="4.84", shift_start="08:00",
                shift_end="17:00", break_start="12:00", break_end="14:00", break_minutes="30", max_orders="6",
                van_stock="FLT-100:4")
ORDER_ROW = dict(id="O1", customer="Bakery", lat="45.75", lon="4.85", priority="P3", required_skills="hvac",
                 duration_min="60", created_at="2026-11-24T07:00", window_start="09:00", window_end="12:00",
                 required_parts="FLT-100:1", pinned_technician="T1")
plausible = st.sampled_from(["", "0", "-1", "1", "30", "90", "-90.5", "180", "00:00", "08:00", "12:00",
                             "13:00", "24:00", "23:59:59", "P1", "p4", "T1", "T2", "O1", "A:1", "A:0", "A:1;A:2",
                             "hvac", "2026-11-24T12:00", "2026-11-25T00:00", "2026-11-23", "1e3", "x"])


def _mutated(base: dict[str, str]):
    return st.dictionaries(st.sampled_from(list(base)), st.one_of(plausible, cellish), max_size=4).map(
        lambda changes: base | changes)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(techs=st.lists(_mutated(TECH_ROW), max_size=3), orders=st.lists(_mutated(ORDER_ROW), max_size=3))
def test_near_valid_frames_give_a_day_or_input_error(techs, orders):
    t = pd.DataFrame(techs, columns=list(TECHNICIAN_COLUMNS), dtype=object)
    o = pd.DataFrame(orders, columns=list(ORDER_COLUMNS), dtype=object)
    _check_day_or_input_error(lambda: day_from_frames(t, o, PLAN_DATE))
