"""Reading and writing the CSV contract: every kind of bad cell is named with file, row, column and value."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from dispatch.demo_days import generate_day
from dispatch.domain import Priority
from dispatch.errors import CellError, DispatchError, InputError
from dispatch.io import (
    ORDER_COLUMNS,
    TECHNICIAN_COLUMNS,
    day_from_frames,
    day_to_frames,
    orders_from_csv_bytes,
    orders_from_frame,
    orders_to_frame,
    read_day,
    read_orders_csv,
    read_technicians_csv,
    technicians_from_csv_bytes,
    technicians_from_frame,
    technicians_to_frame,
    write_day,
    write_orders_csv,
    write_technicians_csv,
)
from tests.factories import PLAN_DATE, at, make_order, make_tech

DATA = Path(__file__).resolve().parents[1] / "data"

TECH = dict(id="T1", name="Ana", skills="hvac", home_lat="45.76", home_lon="4.84", shift_start="08:00",
            shift_end="17:00", break_start="12:00", break_end="14:00", break_minutes="30", max_orders="6",
            van_stock="FLT-100:4")
ORDER = dict(id="O1", customer="Bakery", lat="45.75", lon="4.85", priority="P3", required_skills="hvac",
             duration_min="60", created_at="2026-11-24T07:00", window_start="09:00", window_end="12:00",
             required_parts="FLT-100:1", pinned_technician="")


def write_rows(path: Path, columns, rows) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(columns))
        w.writeheader()
        w.writerows(rows)
    return path


@pytest.fixture
def files(tmp_path):
    """write(techs=[...], orders=[...]) -> (technicians.csv, orders.csv); rows are overrides of TECH/ORDER."""

    def write(techs=({},), orders=({},)):
        t = write_rows(tmp_path / "technicians.csv", TECHNICIAN_COLUMNS, [TECH | r for r in techs])
        o = write_rows(tmp_path / "orders.csv", ORDER_COLUMNS, [ORDER | r for r in orders])
        return t, o

    return write


def errors(call) -> list[CellError]:
    with pytest.raises(InputError) as info:
        call()
    return list(info.value.errors)


def only_error(call) -> CellError:
    found = errors(call)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def bad_order(files, **cells) -> CellError:
    t, o = files(orders=[cells])
    return only_error(lambda: read_day(t, o, PLAN_DATE))


def bad_tech(files, **cells) -> CellError:
    t, o = files(techs=[cells])
    return only_error(lambda: read_day(t, o, PLAN_DATE))


# --- the error type --------------------------------------------------------------------------------------------

def test_cell_error_reads_like_a_spreadsheet_location():
    e = CellError("orders.csv", 7, "lat", "123.4", "lat is outside -90..90")
    assert str(e) == "orders.csv row 7, column lat, value '123.4': lat is outside -90..90"
    assert str(CellError("orders.csv", None, "lat", None, "required column lat is missing")) == (
        "orders.csv, column lat: required column lat is missing")
    assert str(CellError("orders.csv", 3, None, None, "has 14 cells")) == "orders.csv row 3: has 14 cells"


def test_input_error_lists_every_error_one_per_line():
    errs = [CellError("a.csv", 2, "x", "1", "bad"), CellError("b.csv", 3, "y", "2", "worse")]
    e = InputError(errs)
    assert isinstance(e, DispatchError)
    assert str(e).splitlines() == [str(errs[0]), str(errs[1])]
    assert len(e) == 2


# --- good input --------------------------------------------------------------------------------------------------

def test_sample_files_with_bom_crlf_whitespace_quotes_and_extra_column():
    day = read_day(DATA / "technicians_small.csv", DATA / "orders_small.csv", PLAN_DATE)
    t1, t2 = day.technicians
    assert t1.name == "Ana Costa"
    assert t1.skills == {"hvac", "english"}
    assert t1.shift_start == at("08:00")
    assert (t1.break_start, t1.break_end, t1.break_minutes, t1.max_orders) == (at("12:00"), at("14:00"), 30, 6)
    assert dict(t1.van_stock) == {"FLT-100": 4, "CAP-45": 2}
    assert t2.name == "Lee, Sam"
    assert t2.shift_start == at("07:30")
    assert t2.shift_end == datetime(2026, 11, 25)  # 24:00 is the end of the plan date
    assert (t2.break_start, t2.break_minutes, t2.max_orders, dict(t2.van_stock)) == (None, None, None, {})
    o1, o2, o3 = day.orders
    assert o1.customer == 'Boulangerie "Chez Paul"'
    assert o1.priority is Priority.P1  # lower case accepted
    assert o1.created_at == datetime(2026, 11, 23, 18, 55)
    assert (o1.window_start, o1.window_end, o1.pinned_technician) == (None, None, None)
    assert o2.created_at == datetime(2026, 11, 24, 7, 10)
    assert (o2.window_start, o2.window_end, o2.pinned_technician) == (at("09:00"), at("12:00"), "T2")
    assert o3.required_skills == frozenset()
    assert o3.created_at == datetime(2026, 11, 20)
    # a lone window_start means "not before"
    assert (o3.window_start, o3.window_end) == (at("13:30"), None)


def test_lone_window_end_means_not_after(files):
    t, o = files(orders=[{"window_start": ""}])
    (order,) = read_day(t, o, PLAN_DATE).orders
    assert (order.window_start, order.window_end) == (None, at("12:00"))


def test_time_with_seconds_and_single_digit_hour(files):
    t, o = files(techs=[{"shift_start": "7:05:30", "shift_end": "16:59:59"}])
    (tech,) = read_day(t, o, PLAN_DATE).technicians
    assert tech.shift_start == datetime(2026, 11, 24, 7, 5, 30)
    assert tech.shift_end == datetime(2026, 11, 24, 16, 59, 59)


def test_empty_optional_cells_mean_no_rule(files):
    t, o = files(
        techs=[{"skills": "", "break_start": "", "break_end": "", "break_minutes": "", "max_orders": "", "van_stock": ""}],
        orders=[{"required_skills": "", "window_start": "", "window_end": "", "required_parts": "", "customer": ""}],
    )
    day = read_day(t, o, PLAN_DATE)
    assert not day.technicians[0].has_break
    assert day.technicians[0].max_orders is None
    assert day.orders[0].window_start is None
    assert dict(day.orders[0].required_parts) == {}


def test_columns_in_any_order_any_case_and_extra_columns_ignored(tmp_path):
    cols = ["Extra", *reversed(ORDER_COLUMNS)]
    o = write_rows(tmp_path / "o.csv", [c.upper() if c == "lat" else c for c in cols],
                   [{"Extra": "x", **{k.upper() if k == "lat" else k: v for k, v in ORDER.items()}}])
    (order,) = read_orders_csv(o, PLAN_DATE)
    assert order.lat == 45.75


def test_van_stock_may_list_zero_quantities(files):
    t, o = files(techs=[{"van_stock": "FLT-100:4;CAP-45:0"}])
    assert dict(read_day(t, o, PLAN_DATE).technicians[0].van_stock) == {"FLT-100": 4, "CAP-45": 0}


def test_whole_numbers_written_as_decimals_are_accepted(files):
    t, o = files(orders=[{"duration_min": "60.0"}])
    assert read_day(t, o, PLAN_DATE).orders[0].duration_min == 60


# --- one test per kind of bad cell ---------------------------------------------------------------------------

def test_lat_outside_range(files):
    e = bad_order(files, lat="123.4")
    assert (e.file, e.row, e.column, e.value) == ("orders.csv", 2, "lat", "123.4")
    assert str(e) == "orders.csv row 2, column lat, value '123.4': lat is outside -90..90"


def test_lon_outside_range(files):
    e = bad_tech(files, home_lon="-180.5")
    assert (e.file, e.row, e.column, e.value) == ("technicians.csv", 2, "home_lon", "-180.5")
    assert "outside -180..180" in e.message


@pytest.mark.parametrize(("value", "hint"), [("45,76", "decimal separator"), ("north", "not a number"),
                                             ("nan", "not a number"), ("1e999", "too large"), ("1_0", "not a number")])
def test_unparseable_number(files, value, hint):
    e = bad_order(files, lat=value)
    assert (e.column, e.value) == ("lat", value)
    assert hint in e.message


@pytest.mark.parametrize(("value", "fragment"), [
    ("8h", "not a time like 08:30"), ("-1:00", "not a time like 08:30"), ("8:00 AM", "not a time like 08:30"),
    ("25:00", "between 00:00 and 24:00"), ("12:60", "between 00:00 and 24:00"), ("24:30", "between 00:00 and 24:00"),
    ("2026-11-25T08:00", "not on the plan date 2026-11-24"), ("2026-11-24T08:00+01:00", "UTC offset"),
])
def test_unparseable_or_foreign_time(files, value, fragment):
    e = bad_tech(files, shift_start=value)
    assert (e.row, e.column, e.value) == (2, "shift_start", value)
    assert fragment in e.message


def test_time_given_as_a_date_time_on_the_plan_date(files):
    t, o = files(techs=[{"shift_start": "2026-11-24T07:45", "shift_end": "2026-11-25T00:00"}])
    (tech,) = read_day(t, o, PLAN_DATE).technicians
    assert (tech.shift_start, tech.shift_end) == (at("07:45"), datetime(2026, 11, 25))


def test_required_cell_empty(files):
    e = bad_order(files, created_at="")
    assert (e.column, e.value, e.message) == ("created_at", "", "created_at is required")


def test_shift_end_before_start(files):
    e = bad_tech(files, shift_start="17:00", shift_end="08:00", break_start="", break_end="", break_minutes="")
    assert (e.column, e.value) == ("shift_end", "08:00")
    assert "before shift_start 17:00" in e.message


def test_break_end_before_start(files):
    e = bad_tech(files, break_start="14:00", break_end="12:00")
    assert (e.column, e.value) == ("break_end", "12:00")
    assert "before break_start" in e.message


def test_window_end_before_start(files):
    e = bad_order(files, window_start="12:00", window_end="09:00")
    assert (e.column, e.value) == ("window_end", "09:00")


def test_break_minutes_longer_than_break_window(files):
    e = bad_tech(files, break_start="12:00", break_end="12:20", break_minutes="30")
    assert (e.column, e.value) == ("break_minutes", "30")
    assert "longer than the break window 12:00-12:20" in e.message


def test_break_that_cannot_fall_inside_the_shift(files):
    e = bad_tech(files, shift_end="12:10", break_start="12:00", break_end="14:00", break_minutes="30")
    assert e.column == "break_minutes"
    assert "shift 08:00-12:10" in e.message


def test_break_window_given_half(files):
    e = bad_tech(files, break_end="")
    assert (e.column, e.message) == ("break_start", "break_start is given without break_end")


def test_break_minutes_without_window_and_window_without_minutes(files):
    assert bad_tech(files, break_start="", break_end="").column == "break_minutes"
    e = bad_tech(files, break_minutes="")
    assert "required when break_start and break_end" in e.message


def test_negative_break_minutes_and_max_orders(files):
    t, o = files(techs=[{"break_minutes": "-5", "max_orders": "-1"}])
    found = errors(lambda: read_day(t, o, PLAN_DATE))
    assert [(e.column, e.value) for e in found] == [("break_minutes", "-5"), ("max_orders", "-1")]


def test_unknown_priority(files):
    e = bad_order(files, priority="P9")
    assert (e.column, e.value) == ("priority", "P9")
    assert "P1, P2, P3, P4" in e.message


@pytest.mark.parametrize("value", ["0", "-15", "1.5"])
def test_zero_negative_or_fractional_duration(files, value):
    e = bad_order(files, duration_min=value)
    assert (e.column, e.value) == ("duration_min", value)


def test_duplicate_id_names_both_rows(files):
    t, o = files(orders=[{}, {"id": "O2"}, {"id": "O1"}])
    e = only_error(lambda: read_day(t, o, PLAN_DATE))
    assert (e.row, e.column, e.value) == (4, "id", "O1")
    assert "also on row 2" in e.message


def test_pin_to_unknown_technician(files):
    e = bad_order(files, pinned_technician="T9")
    assert (e.file, e.column, e.value) == ("orders.csv", "pinned_technician", "T9")
    assert "technicians.csv" in e.message


def test_pin_to_a_technician_whose_row_is_bad_is_not_reported_twice(files):
    t, o = files(techs=[{"home_lat": "x"}], orders=[{"pinned_technician": "T1"}])
    assert [e.file for e in errors(lambda: read_day(t, o, PLAN_DATE))] == ["technicians.csv"]


@pytest.mark.parametrize(("value", "fragment"), [
    ("FLT-100", "is not PART:qty"),
    ("FLT-100:x", "not a whole number"),
    ("FLT-100:0", "must be positive"),
    ("FLT-100:-2", "must be positive"),
    (":2", "no part name"),
    ("FLT-100:1;FLT-100:2", "listed twice"),
    ("FLT-100:1,CAP-45:1", "PART:qty"),
    ("FLT-100:1:2", "is not PART:qty"),
])
def test_malformed_part_lists(files, value, fragment):
    e = bad_order(files, required_parts=value)
    assert (e.column, e.value) == ("required_parts", value)
    assert fragment in e.message


def test_every_problem_of_one_parts_cell_is_listed(files):
    e = bad_tech(files, van_stock="A;B:x;C:1;C:2")
    for fragment in ("'A' is not PART:qty", "'B:x': quantity 'x'", "'C' is listed twice"):
        assert fragment in e.message


def test_skill_list_with_commas(files):
    e = bad_order(files, required_skills="hvac,english")
    assert (e.column, e.value) == ("required_skills", "hvac,english")
    assert "';'" in e.message


def test_created_at_with_offset_is_refused_not_converted(files):
    e = bad_order(files, created_at="2026-11-24T07:00+01:00")
    assert e.column == "created_at"
    assert "UTC offset" in e.message


def test_created_at_after_the_plan_date(files):
    e = bad_order(files, created_at="2026-11-25T08:00")
    assert "after the plan date" in e.message


def test_missing_columns_are_named_without_a_row(tmp_path, files):
    t, _ = files()
    cols = [c for c in ORDER_COLUMNS if c not in ("lat", "priority")]
    o = write_rows(tmp_path / "o.csv", cols, [{k: v for k, v in ORDER.items() if k in cols}])
    found = errors(lambda: read_day(t, o, PLAN_DATE))
    assert [(e.row, e.column) for e in found] == [(None, "lat"), (None, "priority")]
    assert str(found[0]) == "o.csv, column lat: required column lat is missing"


def test_row_with_more_cells_than_the_header(tmp_path, files):
    t, _ = files()
    o = tmp_path / "o.csv"
    o.write_text(",".join(ORDER_COLUMNS) + "\nO1,Smith, John,45.75,4.85,P3,hvac,60,2026-11-24T07:00,,,,\n")
    e = only_error(lambda: read_day(t, o, PLAN_DATE))
    assert (e.row, e.column) == (2, None)
    assert "13 cells but the header has 12" in e.message


def test_blank_rows_keep_spreadsheet_numbering(tmp_path, files):
    t, _ = files()
    o = tmp_path / "o.csv"
    good = ",".join(ORDER[c] for c in ORDER_COLUMNS)
    o.write_text(",".join(ORDER_COLUMNS) + f"\n{good}\n\n,,,,,,,,,,,\n{good.replace('O1', 'O2').replace('P3', 'PX')}\n")
    assert only_error(lambda: read_day(t, o, PLAN_DATE)).row == 5


def test_semicolon_separated_file(tmp_path, files):
    t, _ = files()
    o = tmp_path / "o.csv"
    o.write_text(";".join(ORDER_COLUMNS) + "\n")
    assert "separated by commas" in only_error(lambda: read_day(t, o, PLAN_DATE)).message


def test_missing_empty_and_non_utf8_files(tmp_path, files):
    t, _ = files()
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "latin1.csv").write_bytes(",".join(ORDER_COLUMNS).encode() + "\nO1,Café".encode("latin-1"))
    assert "file not found" in only_error(lambda: read_day(t, tmp_path / "nope.csv", PLAN_DATE)).message
    assert "is empty" in only_error(lambda: read_day(t, tmp_path / "empty.csv", PLAN_DATE)).message
    assert "UTF-8" in only_error(lambda: read_day(t, tmp_path / "latin1.csv", PLAN_DATE)).message


def test_all_errors_of_both_files_at_once_in_order(files):
    t, o = files(techs=[{"shift_start": "8h"}, {"id": "T2", "home_lat": "91"}],
                 orders=[{"lat": "123.4"}, {"id": "O2", "priority": "P9", "duration_min": "-5"},
                         {"id": "O3", "pinned_technician": "T7"}])
    found = errors(lambda: read_day(t, o, PLAN_DATE))
    assert [(e.file, e.row, e.column) for e in found] == [
        ("technicians.csv", 2, "shift_start"), ("technicians.csv", 3, "home_lat"),
        ("orders.csv", 2, "lat"), ("orders.csv", 3, "priority"), ("orders.csv", 3, "duration_min"),
        ("orders.csv", 4, "pinned_technician"),
    ]


def test_uploaded_bytes_read_like_files():
    content = (DATA / "orders_small.csv").read_bytes()
    assert orders_from_csv_bytes(content, PLAN_DATE) == read_orders_csv(DATA / "orders_small.csv", PLAN_DATE)
    techs = technicians_from_csv_bytes((DATA / "technicians_small.csv").read_bytes(), PLAN_DATE)
    assert [t.id for t in techs] == ["T1", "T2"]
    bad = content.replace(b"45.7620", b"123.4")
    e = only_error(lambda: orders_from_csv_bytes(bad, PLAN_DATE, source="upload.csv"))
    assert str(e) == "upload.csv row 2, column lat, value '123.4': lat is outside -90..90"


def test_single_file_readers(files):
    t, o = files(orders=[{"pinned_technician": "T9"}])
    assert read_technicians_csv(t, PLAN_DATE)[0].id == "T1"
    assert read_orders_csv(o, PLAN_DATE)[0].pinned_technician == "T9"  # pins are checked by read_day only


def test_domain_value_errors_become_cell_errors(files, monkeypatch):
    import dispatch.io.read as read

    def refuse(**kw):
        raise ValueError(f"technician {kw['id']}: a new rule")

    monkeypatch.setattr(read, "Technician", refuse)
    t, o = files()
    e = only_error(lambda: read_day(t, o, PLAN_DATE))
    assert (e.file, e.row, e.message) == ("technicians.csv", 2, "technician T1: a new rule")


# --- frames ------------------------------------------------------------------------------------------------------

def test_frames_with_typed_cells():
    techs = pd.DataFrame([TECH | {"home_lat": 45.76, "max_orders": 6, "skills": {"hvac", "English"},
                                  "van_stock": {"FLT-100": 4}, "break_minutes": float("nan"),
                                  "break_start": None, "break_end": pd.NaT}])
    orders = pd.DataFrame([ORDER | {"lat": 45.75, "duration_min": 60.0,
                                    "created_at": pd.Timestamp("2026-11-24 07:00"),
                                    "window_start": pd.Timestamp("2026-11-24 09:00"), "pinned_technician": None}])
    day = day_from_frames(techs, orders, PLAN_DATE)
    assert day.technicians[0].skills == {"hvac", "english"}
    assert day.technicians[0].break_minutes is None
    assert day.orders[0].window_start == at("09:00")


def test_frame_errors_use_the_source_name_and_csv_row_numbers():
    orders = pd.DataFrame([ORDER, ORDER | {"id": "O2", "lat": 123.4}], index=[10, 20])
    e = only_error(lambda: orders_from_frame(orders, PLAN_DATE, source="winter orders"))
    assert str(e) == "winter orders row 3, column lat, value '123.4': lat is outside -90..90"


# --- writing and round trips -------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [1, 7])
def test_generated_day_round_trips_through_csv(tmp_path, seed):
    day = generate_day(orders=40, technicians=6, seed=seed, plan_date=PLAN_DATE)
    write_day(day, tmp_path / "t.csv", tmp_path / "o.csv")
    assert read_day(tmp_path / "t.csv", tmp_path / "o.csv", PLAN_DATE) == day


def test_generated_day_round_trips_through_frames():
    day = generate_day(orders=30, technicians=4, seed=3, plan_date=PLAN_DATE)
    techs, orders = day_to_frames(day)
    assert list(techs.columns) == list(TECHNICIAN_COLUMNS)
    assert list(orders.columns) == list(ORDER_COLUMNS)
    assert day_from_frames(techs, orders, PLAN_DATE) == day


def test_edge_values_round_trip(tmp_path):
    tech = make_tech("T1", shift_start=at("00:00"), shift_end=datetime(2026, 11, 25),
                     break_start=datetime(2026, 11, 24, 12, 0, 30), break_end=at("13:00"), break_minutes=0,
                     max_orders=0, van_stock={"A-1": 0, "b": 3}, home_lat=-90.0,
                     home_lon=180.0, skills={"heat pump", "français"})
    order = make_order("O1", window_end=datetime(2026, 11, 25), created_at=datetime(2025, 1, 1, 0, 0, 0, 5),
                       lat=1e-7, lon=-179.99999999, pinned_technician="T1", required_parts={"b": 2})
    write_technicians_csv([tech], tmp_path / "t.csv")
    write_orders_csv([order], tmp_path / "o.csv")
    day = read_day(tmp_path / "t.csv", tmp_path / "o.csv", PLAN_DATE)
    assert day.technicians == (tech,)
    assert day.orders == (order,)
    assert orders_to_frame([order])["window_end"][0] == "24:00"


def test_frames_of_single_lists_round_trip():
    techs = (make_tech("T1"), make_tech("T2", skills=set()))
    assert technicians_from_frame(technicians_to_frame(techs), PLAN_DATE) == techs
    orders = (make_order("O1", priority="P1"),)
    assert orders_from_frame(orders_to_frame(orders), date(2026, 11, 24)) == orders


def test_frames_read_by_plain_pandas_read_csv_give_the_same_day(tmp_path):
    # planners often load with pd.read_csv's defaults: floats, ints, NaN for empty cells
    day = generate_day(orders=30, technicians=4, seed=5, plan_date=PLAN_DATE)
    write_day(day, tmp_path / "t.csv", tmp_path / "o.csv")
    assert day_from_frames(pd.read_csv(tmp_path / "t.csv"), pd.read_csv(tmp_path / "o.csv"), PLAN_DATE) == day
