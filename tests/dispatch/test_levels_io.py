"""The CSV contract's skill levels (`hvac:3`) and wanted/refused technicians: read, write, errors."""

from __future__ import annotations

import pytest

from dispatch.errors import InputError
from dispatch.io import cells
from dispatch.io.read import orders_from_csv_bytes, technicians_from_csv_bytes
from dispatch.io.write import orders_to_frame, technicians_to_frame
from tests.factories import PLAN_DATE, make_order, make_tech

TECH_HEADER = "id,name,skills,home_lat,home_lon,shift_start,shift_end,break_start,break_end,break_minutes,max_orders,van_stock\n"
ORDER_HEADER = ("id,customer,lat,lon,priority,required_skills,duration_min,created_at,window_start,window_end,"
                "required_parts,pinned_technician")


def test_a_skill_cell_reads_levels_and_a_plain_tag_is_level_one():
    assert cells.parse_skills("HVAC:3; english") == {"hvac": 3, "english": 1}
    assert cells.format_skills(frozenset({"hvac", "english"}), {"hvac": 3}) == "english;hvac:3"


@pytest.mark.parametrize("bad", ["hvac:6", "hvac:0", "hvac:x", "hvac:2.5"])
def test_a_bad_level_names_the_row_field_and_value(bad):
    content = (TECH_HEADER + f"T1,Ann,{bad},45.7,4.8,08:00,17:00,,,,,\n").encode()
    with pytest.raises(InputError) as e:
        technicians_from_csv_bytes(content, PLAN_DATE)
    text = str(e.value)
    assert "row 2" in text
    assert "skills" in text
    assert bad in text


def test_levels_and_wanted_and_refused_technicians_round_trip_through_the_csv():
    tech = make_tech("T1", skills={"hvac", "english"}, skill_levels={"hvac": 3})
    order = make_order("O1", skill_levels={"hvac": 2}, preferred_technician="T1", forbidden_technicians={"T2", "T3"})
    t_csv = technicians_to_frame([tech], PLAN_DATE).to_csv(index=False)
    o_csv = orders_to_frame([order], PLAN_DATE).to_csv(index=False)
    assert "english;hvac:3" in t_csv
    assert "T2;T3" in o_csv
    assert technicians_from_csv_bytes(t_csv.encode(), PLAN_DATE) == (tech,)
    assert orders_from_csv_bytes(o_csv.encode(), PLAN_DATE) == (order,)


def test_files_without_the_new_columns_read_as_before():
    plain = orders_to_frame([make_order("O1")], PLAN_DATE)
    assert list(plain.columns) == ORDER_HEADER.split(",")  # the contract's columns, nothing added
    (order,) = orders_from_csv_bytes(plain.to_csv(index=False).encode(), PLAN_DATE)
    assert order.preferred_technician is None
    assert order.forbidden_technicians == frozenset()


def test_a_pinned_technician_the_customer_refuses_is_an_error_on_its_row():
    row = "O1,C,45.7,4.8,P3,hvac,60,2026-11-24T07:00,,,,T1,T1"
    content = (ORDER_HEADER + ",forbidden_technicians\n" + row + "\n").encode()
    with pytest.raises(InputError) as e:
        orders_from_csv_bytes(content, PLAN_DATE)
    assert "row 2" in str(e.value)
    assert "forbidden_technicians" in str(e.value)


def test_a_day_with_levels_and_refusals_survives_its_json_form():
    import json

    from dispatch.io.day_json import day_from_dict, day_to_dict
    from tests.factories import make_day

    day = make_day([make_tech("T1", skill_levels={"hvac": 3})],
                   [make_order("O1", skill_levels={"hvac": 2}, preferred_technician="T1", forbidden_technicians={"T2"})])
    assert day_from_dict(json.loads(json.dumps(day_to_dict(day)))) == day


def test_work_days_read_abbreviated_or_full_in_any_case_and_round_trip():
    content = (TECH_HEADER.rstrip("\n") + ",work_days\n" + "T1,Ann,hvac,45.7,4.8,08:00,17:00,,,,,,Mon; tuesday;FRI\n"
               + "T2,Bob,hvac,45.7,4.8,08:00,17:00,,,,,,\n").encode()
    first, second = technicians_from_csv_bytes(content, PLAN_DATE)
    assert first.work_days == frozenset({0, 1, 4})
    assert second.work_days == frozenset()  # empty: every day
    assert "Mon;Tue;Fri" in technicians_to_frame([first, second], PLAN_DATE).to_csv(index=False)


@pytest.mark.parametrize("bad", ["Funday", "Mo", "Mondays"])
def test_a_bad_work_day_names_the_row_field_and_value(bad):
    content = (TECH_HEADER.rstrip("\n") + ",work_days\n" + f"T1,Ann,hvac,45.7,4.8,08:00,17:00,,,,,,Mon;{bad}\n").encode()
    with pytest.raises(InputError) as e:
        technicians_from_csv_bytes(content, PLAN_DATE)
    text = str(e.value)
    assert "row 2" in text
    assert "work_days" in text
    assert bad in text
