"""The supervisor's report in a real browser, on a small history seeded in the database (visits over past days
with scores, a repeat visit, a low score, a major repair and its follow-up calls, a complaint): the charts draw
with no console error, the tiles and the technician table show the API's own figures, a follow-up call and a
complaint are dealt with from the page, a technician sees no figure, and the monthly report's downloads (CSV and
XLSX) arrive with month totals equal to the sums of their days."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import openpyxl
import pytest
from playwright.sync_api import Browser, Page, expect

import api.models  # noqa: F401  (every table registered: a visit's foreign keys resolve when this file runs alone)
from api.auth.models import Role
from api.db import make_engine, make_sessionmaker
from api.orders.models import Order
from api.standards import service as standards
from api.standards.models import ServiceAlert
from api.technicians.models import Technician
from api.visits.models import Visit
from api.visits.service import close_or_reopen
from dispatch.demo_days import generate_day
from dispatch.domain import Day
from tests.e2e.conftest import DESKTOP, PHONE, Server, Watched, auth, axe_violations, watch
from tests.e2e.test_faces import sign_in

TODAY = dt.date.today()
START = TODAY - dt.timedelta(days=12)  # the orders' day; their visits fall on the days after it, before today
V = "/api/v1"
CHARTS = ("sla", "first_time_fix", "resolution", "score", "complaint_rate", "utilization", "cost", "cost_per_solved")


# the page's formats, written again here (JavaScript's toFixed rounds a tie up, away from zero for these figures)
def _fixed(value: float, places: int) -> str:
    return str(Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def pct(value: float | None) -> str:
    return "—" if value is None else _fixed(value * 100, 1) + " %"


def score(value: float | None) -> str:
    return "—" if value is None else _fixed(value, 2)


def plain(value: Any) -> str:
    return "—" if value is None else str(value)


def _round(value: float) -> int:
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def duration(minutes: float | None) -> str:
    """A duration as people say it: to the minute under a day ("7 h 23 min"), to the nearest hour beyond
    ("2 d 6 h")."""
    if minutes is None:
        return "—"
    m = _round(minutes)
    if m < 60:
        return f"{m} min"
    if m < 24 * 60:
        return f"{m // 60} h" + (f" {m % 60} min" if m % 60 else "")
    h = _round(m / 60)
    return f"{h // 24} d" + (f" {h % 24} h" if h % 24 else "")


@dataclass(frozen=True)
class World:
    boss: str  # the supervisor's token
    complaint_id: int
    missed_call: int  # a follow-up call due before today, not made
    customer: str  # the customer with the complaint and the repeat visit


def _get(server: Server, token: str, path: str) -> Any:
    r = httpx.get(f"{server.url}{V}{path}", headers=auth(token), timeout=60)
    assert r.is_success, r.text
    return r.json()


@pytest.fixture(scope="module")
def day() -> Day:
    return generate_day(orders=12, technicians=3, seed=7, plan_date=START)


@pytest.fixture(scope="module")
def world(server: Server, day: Day, tmp_path_factory: pytest.TempPathFactory) -> World:
    """The day's orders imported, then visits recorded on the days after it (as the visits service records
    them: alerts and follow-up calls raised, orders closed or reopened), hourly costs set, and a complaint."""
    server.add_user("chief", Role.supervisor)
    server.add_user("desk", Role.dispatcher)
    boss = server.token("chief", Role.supervisor)
    server.import_day(day, server.token("desk", Role.dispatcher), tmp_path_factory.mktemp("csv"))
    server.add_user("fixer", Role.technician, technician_id=day.technicians[0].id)
    techs = [t.id for t in day.technicians]
    orders = [o.id for o in day.orders]
    # (order, technician, days after START, resolved, score, major repair, reason)
    visits: list[tuple[str, str, int, bool, int | None, bool, str | None]] = [
        (orders[0], techs[0], 1, False, 4, False, "part_missing"),  # the repeat: fixed on the second visit
        (orders[0], techs[0], 3, True, 5, False, None),
        (orders[1], techs[1], 1, True, 2, False, None),  # a low score: an alert
        (orders[2], techs[2], 2, True, 5, True, None),  # a major repair: calls due on days 5 and 9 (missed)
        (orders[3], techs[0], 4, True, 4, False, None),
        (orders[4], techs[1], 5, False, None, False, "customer_absent"),
        (orders[5], techs[2], 7, True, 3, False, None),
        (orders[6], techs[0], 8, True, 5, False, None),
        (orders[7], techs[1], 10, True, 1, False, None),  # a low score
        (orders[8], techs[2], 11, True, 5, True, None),  # a major repair yesterday: calls still to come
    ]
    engine = make_engine(server.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            for i, tech in enumerate(techs):
                row = session.get(Technician, tech)
                assert row is not None
                row.hourly_cost = Decimal("30.00") + 5 * i
            seen: set[str] = set()
            for order_id, tech, after, resolved, customer_score, major, reason in visits:
                order = session.get(Order, order_id)
                assert order is not None
                date = START + dt.timedelta(days=after)
                begin = dt.datetime.combine(date, dt.time(9 + after % 5, 10))
                first = order_id not in seen
                seen.add(order_id)
                visit = Visit(order_id=order_id, technician_id=tech, date=date, arrived_at=begin, started_at=begin,
                              done_at=begin + dt.timedelta(minutes=50), fixed_first_time=first and resolved,
                              resolved=resolved, major_repair=major, customer_score=customer_score, reason=reason,
                              notes="e2e history")
                session.add(visit)
                session.flush()
                standards.on_visit(session, visit=visit, order=order)
                close_or_reopen(order, visit)
            session.commit()
            customer = session.get(Order, orders[0])
            assert customer is not None
            customer_id = customer.customer_id
    finally:
        engine.dispose()
    received = dt.datetime.combine(START + dt.timedelta(days=4), dt.time(10, 0))
    r = httpx.post(f"{server.url}{V}/complaints", headers=auth(boss), json={
        "customer_id": customer_id, "order_id": orders[0], "channel": "phone",
        "text": "The technician had to come back twice.", "received_at": received.isoformat()})
    assert r.status_code == 201, r.text
    calls = _get(server, boss, "/follow-ups?missed=true")
    assert len(calls) == 2, calls  # both calls of the first major repair are overdue
    return World(boss, r.json()["id"], calls[0]["id"], customer_id)


def _open(browser: Browser, server: Server, size: dict[str, int] = DESKTOP) -> Watched:
    w = watch(browser, size)
    sign_in(w, server, "chief", "/report")  # a supervisor lands on the report
    expect(w.page.locator("body[data-loaded]")).to_have_count(1)
    expect(w.page.locator("#follow-status")).not_to_be_empty()
    expect(w.page.locator("#complaints-status")).not_to_be_empty()
    return w


def _period(days: int) -> str:
    to = TODAY - dt.timedelta(days=1)
    return f"from={to - dt.timedelta(days=days - 1)}&to={to}"


TILES: dict[str, tuple[Callable[[dict[str, Any]], Any], Callable[[Any], str]]] = {
    **{f"sla-{p}": ((lambda t, p=p: t["sla"][p]["share"]), pct) for p in ("P1", "P2", "P3", "P4")},
    "sla": (lambda t: t["sla_share"], pct),
    "first_time_fix": (lambda t: t["first_time_fix"]["rate"], pct),
    "resolution": (lambda t: t["resolution"]["rate"], pct),
    "score": (lambda t: t["score"]["average"], score),
    "low_score_share": (lambda t: t["score"]["low_share"], pct),
    "complaint_rate": (lambda t: t["complaints"]["rate"], pct),
    "utilization": (lambda t: t["utilization"], pct),
    "cost": (lambda t: t["costs"]["total"], plain),
    "cost_per_solved": (lambda t: t["cost_per_solved"], plain),
    "work": (lambda t: t["visits_done"], plain),
}
TECH_COLUMNS: dict[str, tuple[Callable[[dict[str, Any]], Any], Callable[[Any], str]]] = {
    "orders_visited": (lambda r: r["orders_visited"], plain),
    "visits_done": (lambda r: r["visits_done"], plain),
    "first_time_fix": (lambda r: r["first_time_fix"]["rate"], pct),
    "sla_share": (lambda r: r["sla_share"], pct),
    "score": (lambda r: r["score"]["average"], score),
    "repeat_visits": (lambda r: r["repeat_visits"], plain),
    "low_score_alerts": (lambda r: r["low_score_alerts"], plain),
}


def _tiles_equal_the_api(page: Page, total: dict[str, Any]) -> None:
    for key, (get, fmt) in TILES.items():
        value = page.locator(f'[data-tile="{key}"] .value')
        expect(value).to_have_text(fmt(get(total)))
        assert _raw(value.get_attribute("data-value")) == get(total), key


def _raw(attribute: str | None) -> Any:
    assert attribute is not None
    return json.loads(attribute)


def test_the_report_shows_the_apis_figures_with_charts_and_targets(server: Server, browser: Browser,
                                                                   world: World) -> None:
    w = _open(browser, server)
    page = w.page
    api = _get(server, world.boss, f"/kpis?{_period(30)}&by=day")
    assert api["total"]["visits_done"] == 10  # every seeded visit falls in the 30 days
    expect(page.locator("#period-text")).to_contain_text("day by day")
    # every chart is drawn (a canvas), with a summary for screen readers and its figures as a table
    for chart in CHARTS:
        figure = page.locator(f'figure[data-chart="{chart}"]')
        expect(figure.locator("canvas")).not_to_have_count(0)
        expect(figure.locator(".chart-summary")).not_to_be_empty()
        expect(figure.locator(".chart-data table tbody tr")).to_have_count(30 + 1)  # the days and the whole period
    # the targets are drawn as dashed lines and named in the summaries
    expect(page.locator('figure[data-chart="first_time_fix"] .chart-summary')).to_contain_text(
        "target at least " + pct(api["targets"]["first_time_fix"]))
    expect(page.locator('figure[data-chart="sla"] .u-legend')).to_contain_text("Target P1 emergency, P2 high")
    _tiles_equal_the_api(page, api["total"])
    # response times as people say them in the tiles and the chart's summary, the API's minutes in its table
    started = [p for p in ("P1", "P2", "P3", "P4") if api["total"]["sla"][p]["response_median_min"] is not None]
    assert started  # the seeded orders were started days after they were created
    for p in started:
        sla = api["total"]["sla"][p]
        expect(page.locator(f'[data-tile="sla-{p}"] .detail')).to_contain_text(
            f'response median {duration(sla["response_median_min"])}, '
            f'90th percentile {duration(sla["response_p90_min"])}')
    response = page.locator('figure[data-chart="response"]')
    first = api["total"]["sla"][started[0]]["response_median_min"]
    expect(response.locator(".chart-summary")).to_contain_text(f"{duration(first)} over the period")
    response.get_by_text("Figures of this chart as a table").click()
    column = 1 + ("P1", "P2", "P3", "P4").index(started[0])
    expect(response.locator("thead th").nth(column)).to_contain_text("(min)")
    expect(response.locator("tbody tr.total td").nth(column - 1)).to_have_text(f"{first:.1f}")
    # the page's own formatter on the figures the demo showed in raw minutes, and its edges
    shown = page.evaluate("[442.5, 3233.3, 0, 59.4, 60, 1439, 1440, 1470].map(ReportKit.duration)")
    assert shown == ["7 h 23 min", "2 d 6 h", "0 min", "59 min", "1 h", "23 h 59 min", "1 d", "1 d 1 h"]
    assert shown == [duration(v) for v in (442.5, 3233.3, 0, 59.4, 60, 1439, 1440, 1470)]
    # met or not is said in words, not by colour alone
    ftf = api["total"]["first_time_fix"]["rate"]
    expect(page.locator('[data-tile="first_time_fix"] .verdict')).to_have_text(
        "✓ Target met" if ftf >= api["targets"]["first_time_fix"] else "✗ Target not met")

    techs = _get(server, world.boss, f"/kpis?{_period(30)}&by=technician")
    assert len(techs["rows"]) == 3
    for row in techs["rows"]:
        line = page.locator(f'#tech-table tbody tr[data-key="{row["key"]}"]')
        expect(line.locator("th")).to_have_text(f'{row["label"]} ({row["key"]})')
        for col, (get, fmt) in TECH_COLUMNS.items():
            cell = line.locator(f'[data-col="{col}"]')
            expect(cell).to_have_text(fmt(get(row)))
            assert _raw(cell.get_attribute("data-value")) == get(row), (row["key"], col)
    # sorting by repeat visits, most first: the technician with the repeat visit heads the table
    page.get_by_role("button", name=re.compile("^Repeat visits")).click()
    top = max(techs["rows"], key=lambda r: r["repeat_visits"])
    expect(page.locator("#tech-table tbody tr").first).to_have_attribute("data-key", top["key"])
    expect(page.locator("#tech-table th[aria-sort]")).to_have_attribute("aria-sort", "descending")

    # 7 days: the tiles follow; 90 days: week by week
    page.get_by_label("7 days").check()
    expect(page.locator('figure[data-chart="cost"] .chart-data tbody tr')).to_have_count(7 + 1)
    _tiles_equal_the_api(page, _get(server, world.boss, f"/kpis?{_period(7)}&by=day")["total"])
    page.get_by_label("90 days (by week)").check()
    weeks = _get(server, world.boss, f"/kpis?{_period(90)}&by=week")
    expect(page.locator("#period-text")).to_contain_text("week by week")
    expect(page.locator('figure[data-chart="cost"] .chart-data tbody tr')).to_have_count(len(weeks["rows"]) + 1)
    _tiles_equal_the_api(page, weeks["total"])
    w.screenshot("report-desktop")
    assert axe_violations(page) == []
    assert w.errors == []


def test_the_customer_list_puts_who_needs_a_look_first_and_finds_a_customer(server: Server, browser: Browser,
                                                                            world: World) -> None:
    w = _open(browser, server)
    page = w.page
    rows = _get(server, world.boss, f"/kpis?{_period(30)}&by=customer")["rows"]
    n = len(rows)
    assert 1 < n <= 25  # the small history: every customer is on the short list, so no "Show all"
    customers = "customer" if n == 1 else "customers"
    expect(page.locator("#cust-count")).to_have_text(f"{n} of {n} {customers}")
    expect(page.locator("#cust-table tbody tr")).to_have_count(n)
    expect(page.locator("#cust-all")).to_be_hidden()
    # the only customer with a complaint heads the list (complaints first, then scores below 3, then visits)
    assert [r["key"] for r in rows if r["complaints"]["received"]] == [world.customer]
    expect(page.locator("#cust-table tbody tr").first).to_have_attribute("data-key", world.customer)
    low = [r for r in rows if r["score"]["low"] and r["key"] != world.customer]
    for i, r in enumerate(sorted(low, key=lambda r: (-r["score"]["low"], -r["visits_done"], r["label"]))):
        expect(page.locator("#cust-table tbody tr").nth(1 + i)).to_have_attribute("data-key", r["key"])
        expect(page.locator("#cust-table tbody tr").nth(1 + i).locator('[data-col="low_scores"]')).to_have_text(
            str(r["score"]["low"]))

    # a search filters the whole list by name or id, and the count says how many match
    word = rows[-1]["label"].split()[-1][:4].lower()
    matching = [r for r in rows if word in r["label"].lower() or word in r["key"].lower()]
    search = page.get_by_label("Find a customer (name or id)")
    search.fill(word)
    expect(page.locator("#cust-table tbody tr")).to_have_count(len(matching))
    expect(page.locator("#cust-count")).to_have_text(
        f"{len(matching)} of {len(matching)} {'customer' if len(matching) == 1 else 'customers'} matching “{word}” "
        f"({n} {customers} in all)")
    search.fill(world.customer)
    expect(page.locator("#cust-table tbody tr")).to_have_count(1)
    expect(page.locator("#cust-table tbody tr")).to_have_attribute("data-key", world.customer)
    search.fill("no such customer")
    expect(page.locator("#cust-count")).to_have_text(f"0 of 0 customers matching “no such customer” ({n} {customers} in all)")
    expect(page.locator("#cust-table")).to_be_hidden()
    search.fill("")
    expect(page.locator("#cust-table tbody tr")).to_have_count(n)
    # the technicians' table says its count the same way
    techs = len(_get(server, world.boss, f"/kpis?{_period(30)}&by=technician")["rows"])
    expect(page.locator("#tech-count")).to_have_text(f"{techs} of {techs} technicians")
    assert axe_violations(page) == []
    assert w.errors == []


# the kinds as the page groups them: a customer's low score and complaints before deadlines
ALERT_KINDS = {"low customer score": "Low customer score", "complaint response overdue": "Complaint not answered in time",
               "complaint resolution overdue": "Complaint not resolved in time", "deadline missed": "Deadline missed",
               "deadline at risk": "Deadline at risk"}


def test_open_alerts_are_grouped_by_kind_with_the_apis_counts(server: Server, browser: Browser, world: World,
                                                              day: Day) -> None:
    # a flood of one kind: every order of the day at risk (12 > the 10 shown at first), raised a minute apart
    engine = make_engine(server.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            raised = {a.order_id for a in session.query(ServiceAlert).filter_by(kind="deadline at risk")}
            now = dt.datetime.now().replace(microsecond=0)
            for i, order in enumerate(o for o in day.orders if o.id not in raised):
                session.add(ServiceAlert(kind="deadline at risk", order_id=order.id, created_at=now - dt.timedelta(minutes=i),
                                         message=f"order {order.id}: within 30 min of its deadline"))
            session.commit()
    finally:
        engine.dispose()
    counts = {kind: _get(server, world.boss, f"/alerts?kind={kind}&limit=500") for kind in ALERT_KINDS}
    assert len(counts["deadline at risk"]) == len(day.orders) == 12
    assert counts["low customer score"]
    assert counts["complaint response overdue"]
    w = _open(browser, server)
    page = w.page
    groups = page.locator("#alerts .alert-group")
    present = [kind for kind, alerts in counts.items() if alerts]
    expect(groups).to_have_count(len(present))
    assert [groups.nth(i).get_attribute("data-kind") for i in range(len(present))] == present
    for kind in present:
        group = page.locator(f'#alerts .alert-group[data-kind="{kind}"]')
        expect(group.locator("h3")).to_have_text(f"{ALERT_KINDS[kind]} ({len(counts[kind])})")
        expect(group.locator("li.item")).to_have_count(min(10, len(counts[kind])))
    total = sum(len(a) for a in counts.values())
    expect(page.locator("#alerts-status")).to_contain_text(f"{total} open alerts of {len(present)} kinds")

    # the newest 10 at first, all on request
    risk = page.locator('#alerts .alert-group[data-kind="deadline at risk"]')
    newest = [str(a["id"]) for a in counts["deadline at risk"]]
    assert [risk.locator("li.item").nth(i).get_attribute("data-id") for i in range(10)] == newest[:10]
    risk.get_by_role("button", name="Show all 12").click()
    expect(risk.locator("li.item")).to_have_count(12)
    expect(risk.get_by_role("button", name="Show the newest 10")).to_have_attribute("aria-expanded", "true")
    # a Close still closes one alert: the count follows the API's
    risk.locator(f'li.item[data-id="{newest[0]}"]').get_by_role("button", name=re.compile("^Close alert")).click()
    expect(risk.locator("h3")).to_have_text("Deadline at risk (11)")
    expect(risk.locator("li.item")).to_have_count(11)  # still shown whole
    assert len(_get(server, world.boss, "/alerts?kind=deadline at risk&limit=500")) == 11
    expect(page.locator("#alerts-status")).to_contain_text("Alert closed.")
    w.screenshot("report-alerts")
    assert axe_violations(page) == []
    assert w.errors == []


def test_a_customers_history_opens_from_the_customer_table(server: Server, browser: Browser, world: World) -> None:
    w = _open(browser, server)
    page = w.page
    history = _get(server, world.boss, f"/customers/{world.customer}/history")
    row = page.locator(f'#cust-table tbody tr[data-key="{world.customer}"]')
    row.get_by_role("button", name=re.compile("^History of ")).click()
    s = history["summary"]
    summary = page.locator(".history-summary")
    expect(summary).to_contain_text(f'{s["orders"]} order')
    expect(summary).to_contain_text(f'{s["visits"]} visits')
    expect(summary).to_contain_text("average score " + score(s["average_score"]))
    expect(summary).to_contain_text(f'{s["complaints"]} complaint')
    visits = sum(len(o["visits"]) for o in history["orders"])
    expect(page.locator("#history-body table tbody tr")).to_have_count(visits)
    expect(page.locator("#history-body")).to_contain_text("needs another visit (part missing)")
    assert axe_violations(page) == []
    assert w.errors == []


def test_a_follow_up_call_and_a_complaint_are_dealt_with_from_the_page(server: Server, browser: Browser,
                                                                      world: World) -> None:
    w = _open(browser, server)
    page = w.page
    call = page.locator(f'#follow-table tbody tr[data-id="{world.missed_call}"]')
    expect(call.locator(".state")).to_have_text("Missed")
    call.get_by_role("combobox").select_option("not_satisfied")
    call.get_by_role("textbox").fill("wants a call back")
    call.get_by_role("button", name="Complete").click()
    expect(page.locator("#follow-status")).to_contain_text("completed (not satisfied)")
    expect(call).to_have_count(0)  # done: it leaves the list
    done = [f for f in _get(server, world.boss, "/follow-ups?open_only=false") if f["id"] == world.missed_call]
    assert done[0]["outcome"] == "not_satisfied"
    assert done[0]["note"] == "wants a call back"
    assert done[0]["done_at"] is not None

    # the complaint: its overdue first response is said in words, and raised an alert
    item = page.locator(f'#complaints li[data-id="{world.complaint_id}"]')
    expect(item).to_contain_text("The technician had to come back twice.")
    expect(item.locator(".clock").first).to_contain_text("OVERDUE")
    expect(page.locator("#alerts")).to_contain_text("Complaint not answered in time")
    item.get_by_label("First response to the customer").fill("We are sorry; a supervisor will call you.")
    item.get_by_role("button", name="Record the response").click()
    expect(page.locator("#complaints-status")).to_contain_text(f"Response recorded for complaint {world.complaint_id}")
    item = page.locator(f'#complaints li[data-id="{world.complaint_id}"]')
    expect(item.get_by_role("button", name="Record the response")).to_have_count(0)
    item.get_by_label("Outcome").select_option("upheld")
    item.get_by_label(re.compile("^Resolution")).fill("A free service visit.")
    item.get_by_role("button", name="Resolve").click()
    expect(page.locator("#complaints-status")).to_contain_text(f"Complaint {world.complaint_id} resolved (upheld)")
    expect(page.locator(f'#complaints li[data-id="{world.complaint_id}"]')).to_have_count(0)
    complaint = _get(server, world.boss, f"/complaints/{world.complaint_id}")
    assert (complaint["status"], complaint["outcome"]) == ("resolved", "upheld")

    # a new complaint taken from the page: its clocks start, and it waits for a first response
    page.get_by_text("Record a new complaint").click()
    page.get_by_label("Customer", exact=True).select_option(world.customer)
    page.get_by_label("Received").select_option("letter")
    page.get_by_label("What the customer says").fill("Nobody called back.")
    page.get_by_role("button", name="Record the complaint").click()
    expect(page.locator("#intake-status")).to_contain_text(re.compile(r"Complaint \d+ recorded: first response due "))
    new = [c for c in _get(server, world.boss, "/complaints?status=open") if c["text"] == "Nobody called back."]
    assert len(new) == 1
    assert (new[0]["customer_id"], new[0]["channel"]) == (world.customer, "letter")
    expect(page.locator(f'#complaints li[data-id="{new[0]["id"]}"]')).to_contain_text("by letter")
    assert axe_violations(page) == []
    assert w.errors == []


def test_the_monthly_report_opens_on_this_month_and_the_one_before(server: Server, browser: Browser,
                                                                   world: World) -> None:
    w = watch(browser, DESKTOP)
    sign_in(w, server, "chief", "/report")
    w.page.goto(f"{server.url}/report/monthly")
    before = (TODAY.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    expect(w.page.locator("#month-from")).to_have_value(before)
    expect(w.page.locator("#month-to")).to_have_value(TODAY.strftime("%Y-%m"))
    expect(w.page.locator("#month-blocks details.month-days")).to_have_count(2)
    expect(w.page.locator(f'#month-{TODAY.strftime("%Y-%m")} details.month-days')).to_have_attribute("open", "")
    assert w.errors == []


def test_a_technician_opening_the_report_sees_no_figures(server: Server, browser: Browser, world: World) -> None:
    w = watch(browser, PHONE)
    sign_in(w, server, "fixer", "/route")
    w.page.goto(f"{server.url}/report")
    w.page.wait_for_url("**/route*")
    expect(w.page.locator("#notice")).to_contain_text("only for supervisors, dispatchers and planners")
    expect(w.page.locator("#notice")).to_contain_text("signed in as a technician")
    expect(w.page.locator(".tile, .chart")).to_have_count(0)
    # and the API refuses the figures to a technician anyway
    r = httpx.get(f"{server.url}{V}/kpis", headers=auth(server.token("fixer", Role.technician)))
    assert r.status_code == 403


def test_the_report_fits_a_phone(server: Server, browser: Browser, world: World) -> None:
    w = _open(browser, server, PHONE)
    expect(w.page.locator("figure.chart canvas")).not_to_have_count(0)
    assert w.page.evaluate("() => document.documentElement.scrollWidth") == PHONE["width"]
    w.screenshot("report-phone")
    assert w.errors == []


MONEY = ("labour_cost", "travel_cost", "parts_cost", "total_cost")
COUNTS = ("orders_created", "visits_done", "orders_solved", "complaints")


Months = dict[str, tuple[list[dict[str, Any]], dict[str, Any]]]  # month -> (day lines, total line)


def downloaded(page: Page, button: str) -> tuple[str, bytes]:
    """The file a button of the page downloads: its suggested name and its bytes."""
    with page.expect_download() as got:
        page.get_by_role("button", name=button).click()
    path = got.value.path()
    assert path is not None
    return got.value.suggested_filename, path.read_bytes()


def csv_months(data: bytes) -> Months:
    """The monthly CSV's lines per month: (day lines, total line)."""
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    out = {}
    for month in sorted({r["month"] for r in rows}):
        lines = [r for r in rows if r["month"] == month]
        (total,) = [r for r in lines if r["date"] == "total"]
        out[month] = ([r for r in lines if r["date"] != "total"], total)
    return out


def xlsx_months(data: bytes) -> Months:
    """Sheet title -> (day lines, total line) of the workbook's month sheets; empty cells read as 0."""
    book = openpyxl.load_workbook(io.BytesIO(data))  # the saved file has no .xlsx name: read from its bytes
    assert "Months" in book.sheetnames
    out = {}
    for sheet in book.worksheets:
        if sheet.title == "Months":
            continue
        values = list(sheet.iter_rows(values_only=True))
        header = [str(h) for h in values[0]]
        records = [{k: (0 if v is None else v) for k, v in zip(header, line, strict=False)}
                   for line in values[1:] if any(x is not None for x in line)]
        (total,) = [r for r in records if r["date"] == "total"]
        out[sheet.title] = ([r for r in records if r["date"] != "total"], total)
    return out


def _sums_hold(days: list[dict[str, Any]], total: dict[str, Any]) -> None:
    for key in COUNTS:
        assert sum(int(d[key]) for d in days) == int(total[key]), key
    for key in MONEY:
        assert sum(Decimal(str(d[key])) for d in days) == Decimal(str(total[key])), key
    assert abs(sum(float(d["travel_km"]) for d in days) - float(total["travel_km"])) < 0.0015


def test_the_monthly_report_shows_days_and_totals_and_downloads_both_files(server: Server, browser: Browser,
                                                                          world: World) -> None:
    w = watch(browser, DESKTOP)
    sign_in(w, server, "chief", "/report")
    page = w.page
    first, last = START.strftime("%Y-%m"), TODAY.strftime("%Y-%m")
    page.goto(f"{server.url}/report/monthly?from={first}&to={last}")
    api = _get(server, world.boss, f"/reports/monthly?from={first}&to={last}&format=json")
    expect(page.locator("#monthly-status")).to_contain_text("month")
    assert sum(int(m["total"]["visits_done"]) for m in api["months"]) == 10
    for month in api["months"]:
        table = page.locator(f'table[data-month="{month["month"]}"]')
        expect(table.locator("tbody tr")).to_have_count(len(month["days"]) + 1)
        total = table.locator("tbody tr.total")
        for key in ("visits_done", "orders_solved", "complaints", *MONEY):
            expect(total.locator(f'[data-col="{key}"]')).to_have_text(plain(month["total"][key]))
        expect(total.locator('[data-col="first_time_fix"]')).to_have_text(pct(month["total"]["first_time_fix"]))
        _sums_hold(month["days"], month["total"])
    expect(page.locator("#months-table tbody tr.total [data-col='total_cost']")).to_have_text(
        plain(api["total"]["total_cost"]))
    # each month's days are folded, the latest month's open
    folded = [page.locator(f'#month-{m["month"]} details.month-days') for m in api["months"]]
    assert [d.evaluate("d => d.open") for d in folded] == [False] * (len(folded) - 1) + [True]
    if len(folded) > 1:
        folded[0].locator("summary").click()
        expect(folded[0].locator("table tbody tr").first).to_be_visible()
    # on a phone the day table scrolls inside its card, its day column still in view at the far right
    page.set_viewport_size(PHONE)
    box = page.locator(f'#month-{last} .table-scroll')
    box.evaluate("b => { b.scrollLeft = b.scrollWidth; }")
    assert box.evaluate("b => b.scrollLeft") > 0
    day_cell = box.locator("tbody th").first.bounding_box()
    scroller = box.bounding_box()
    assert day_cell is not None
    assert scroller is not None
    assert abs(day_cell["x"] - scroller["x"]) < 1
    assert page.evaluate("() => document.documentElement.scrollWidth") == PHONE["width"]
    w.screenshot("report-monthly-phone")
    page.set_viewport_size(DESKTOP)
    w.screenshot("report-monthly")

    name, data = downloaded(page, "Download CSV")
    assert name == f"dispatch-monthly-{first}-{last}.csv"
    months = csv_months(data)
    assert list(months) == [m["month"] for m in api["months"]]
    for month, (days, total) in months.items():
        assert days, month
        _sums_hold(days, total)
    assert sum(int(d["visits_done"]) for days, _ in months.values() for d in days) == 10
    expect(page.locator("#monthly-status")).to_contain_text("Downloaded dispatch-monthly-")

    name, data = downloaded(page, "Download XLSX")
    assert name.endswith(".xlsx")
    sheets = xlsx_months(data)
    for days, total in sheets.values():
        _sums_hold(days, total)
    assert len(sheets) == len(api["months"])
    assert axe_violations(page) == []
    assert w.errors == []
