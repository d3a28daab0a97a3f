"""The issue's acceptance, on the demo history in a real browser: the e2e server's database holds the full demo
with its 30 past days (seeded once, as `dispatch serve --demo` seeds it); a supervisor signs in and lands on the
report, whose trend charts are painted with their dashed target lines, whose technician table has one row per
technician who worked with the API's figures, and whose customer history is the API's; the monthly report's
CSV and XLSX downloads arrive with each month's total line equal to the sum of its day lines."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from api.auth.models import Role
from tests.demo_seed import copy_demo, seeded_demo
from tests.e2e.conftest import DESKTOP, Server, Watched, axe_violations, serving, watch
from tests.e2e.test_faces import sign_in
from tests.e2e.test_report_page import (
    CHARTS,
    TECH_COLUMNS,
    _get,
    _raw,
    _sums_hold,
    _tiles_equal_the_api,
    csv_months,
    downloaded,
    pct,
    plain,
    score,
    xlsx_months,
)

TODAY = dt.date.today()
YESTERDAY = TODAY - dt.timedelta(days=1)
PERIOD = f"from={TODAY - dt.timedelta(days=30)}&to={YESTERDAY}"  # the report's default: 30 days to yesterday
USER = "chief"
# the settings give every charted figure a target but the costs and the response times (whose deadline is each
# order's own: its priority's hours, tightened by a contract)
UNTARGETED = {"cost", "cost_per_solved", "response"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The server on a copy of the demo with its 30 days of history up to today (seed_demo, once per run:
    tests/demo_seed.py)."""
    seeded, _ = seeded_demo(tmp_path_factory, today=TODAY, days=30)
    path = tmp_path_factory.mktemp("e2e") / "dispatch.sqlite"
    copy_demo(seeded, path)
    with serving(f"sqlite:///{path}") as s:
        yield s


@pytest.fixture(scope="module")
def boss(server: Server, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A supervisor of our own on the demo (the demo's passwords are random); (their token)."""
    _, seeded = seeded_demo(tmp_path_factory, today=TODAY, days=30)
    assert seeded.history is not None
    assert seeded.history.days >= 20  # the working days among the 30
    server.add_user(USER, Role.supervisor)
    token = server.token(USER, Role.supervisor)
    # the figures of the month, computed once (and kept per day) before the page asks for them
    assert _get(server, token, f"/kpis?{PERIOD}&by=day")["total"]["visits_done"] > 1000
    return token


def _open(browser: Browser, server: Server) -> Watched:
    w = watch(browser, DESKTOP)
    w.page.add_init_script(CATCH_PLOTS)
    sign_in(w, server, USER, "/report")  # a supervisor lands on the report
    expect(w.page.locator("body[data-loaded]")).to_have_count(1)
    expect(w.page.locator("#period-text")).to_contain_text("day by day")
    return w


# uPlot's charts as the page builds them, caught as they are made (the page keeps them to itself): their series
# say which lines are dashed and what they draw. The vendored script's global `uPlot` is set through this setter.
CATCH_PLOTS = """(() => {
    window.__plots = [];
    let wrapped;
    Object.defineProperty(window, "uPlot", {configurable: true, get: () => wrapped, set: (real) => {
        wrapped = function (...args) {
            const plot = new real(...args);
            window.__plots.push(plot);
            return plot;
        };
        Object.setPrototypeOf(wrapped, real);
        wrapped.prototype = real.prototype;
    }});
})();"""


def _targets(page: Page) -> dict[str, list[dict[str, Any]]]:
    """Chart -> its target series: label, dash pattern, the values drawn, how many pixel columns of the plotting
    area show the line's colour at its height, and how many pixels the canvas has painted in all."""
    return dict(page.evaluate("""() => Object.fromEntries(window.__plots.filter((u) => u.root.isConnected).map((u) => {
        const canvas = u.root.querySelector("canvas");
        const {data} = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
        const alpha = (x, y) => data[(y * canvas.width + x) * 4 + 3];
        let painted = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
        const targets = u.series.map((s, i) => [s, i]).filter(([s]) => String(s.label).startsWith("Target"))
          .map(([s, i]) => {
            const y = Math.round(u.valToPos(u.data[i][0], s.scale, true));
            const probe = document.createElement("canvas").getContext("2d");
            probe.fillStyle = typeof s.stroke === "function" ? s.stroke(u, i) : s.stroke;
            const want = [1, 3, 5].map((k) => parseInt(probe.fillStyle.slice(k, k + 2), 16));
            const near = (x, yy) => alpha(x, yy) > 100 && want.every((c, k) =>
              Math.abs(data[(yy * canvas.width + x) * 4 + k] - c) < 60);
            let along = 0;  // pixels of the line's own colour at its height (not a grid line's grey)
            for (let x = Math.ceil(u.bbox.left); x < u.bbox.left + u.bbox.width; x++)
              if ([y - 1, y, y + 1].some((yy) => near(x, yy))) along++;
            return {label: s.label, dash: s.dash || null, values: [...new Set(u.data[i])], along, colour: probe.fillStyle,
                    width: Math.floor(u.bbox.width), painted};
          });
        return [u.root.closest("figure").dataset.chart, targets];
    }))"""))


def test_the_demo_report_draws_its_trends_with_targets_and_the_technicians_figures(server: Server, browser: Browser,
                                                                                  boss: str) -> None:
    w = _open(browser, server)
    page = w.page
    api = _get(server, boss, f"/kpis?{PERIOD}&by=day")
    assert len(api["rows"]) == 30
    for chart in CHARTS:
        figure = page.locator(f'figure[data-chart="{chart}"]')
        expect(figure.locator("canvas")).not_to_have_count(0)
        expect(figure.locator(".chart-data table tbody tr")).to_have_count(30 + 1)  # the days and the period
        if chart not in UNTARGETED:
            expect(figure.locator(".u-legend")).to_contain_text("Target")
    drawn = _targets(page)
    assert set(drawn) >= set(CHARTS)  # (and the page may draw more)
    assert {chart for chart, targets in drawn.items() if targets} == set(drawn) - UNTARGETED
    for chart, targets in drawn.items():
        for t in targets:
            assert t["dash"], (chart, t)  # dashed
            assert len(t["values"]) == 1, (chart, t)  # a level line
            assert t["painted"] > 1000, (chart, t)  # the canvas is drawn on, not blank
            # painted in its colour along its length: 6 px drawn, 4 left out, so about 60 % of the columns
            assert t["along"] > 0.45 * t["width"], (chart, t)
    targets_of = {t["label"]: t["values"][0] for t in drawn["sla"]}
    assert targets_of == {"Target P1 emergency, P2 high (95.0 %)": api["targets"]["sla"]["P1"],
                          "Target P3 normal, P4 low (90.0 %)": api["targets"]["sla"]["P3"]}
    assert [t["values"][0] for t in drawn["first_time_fix"]] == [api["targets"]["first_time_fix"]]
    _tiles_equal_the_api(page, api["total"])

    techs = _get(server, boss, f"/kpis?{PERIOD}&by=technician")
    worked = {r["key"] for r in techs["rows"] if r["visits_done"] > 0}
    assert len(worked) == 20  # the demo's crew, every one of them out on the working days
    lines = page.locator("#tech-table tbody tr")
    expect(lines).to_have_count(len(worked))
    assert {lines.nth(i).get_attribute("data-key") for i in range(len(worked))} == worked
    by_key = {r["key"]: r for r in techs["rows"]}
    for key in sorted(worked)[:3]:  # a few rows cell by cell, as shown and as raw figures
        row = by_key[key]
        line = page.locator(f'#tech-table tbody tr[data-key="{key}"]')
        expect(line.locator("th")).to_have_text(f'{row["label"]} ({key})')
        for col, (get, fmt) in TECH_COLUMNS.items():
            cell = line.locator(f'[data-col="{col}"]')
            expect(cell).to_have_text(fmt(get(row)))
            assert _raw(cell.get_attribute("data-value")) == get(row), (key, col)
    # and every row's visits and on-time share as the API counts them
    shown = page.evaluate("""() => [...document.querySelectorAll("#tech-table tbody tr")].map((tr) => [tr.dataset.key,
        JSON.parse(tr.querySelector('[data-col="visits_done"]').dataset.value),
        JSON.parse(tr.querySelector('[data-col="sla_share"]').dataset.value)])""")
    assert {k: (v, s) for k, v, s in shown} == {k: (by_key[k]["visits_done"], by_key[k]["sla_share"]) for k in worked}
    w.screenshot("report-demo")
    assert axe_violations(page) == []
    assert w.errors == []


OUTCOME = {"fixed": "fixed", "solved": "solved on a later visit", "unresolved": "needs another visit",
           "open": "not finished"}


def test_a_demo_customers_history_is_the_apis(server: Server, browser: Browser, boss: str) -> None:
    w = _open(browser, server)
    page = w.page
    # the customers with most complaints first: the one on top has a story to tell
    page.locator("#cust-table").get_by_role("button", name=re.compile("^Complaints")).click()
    top = page.locator("#cust-table tbody tr").first
    key = top.get_attribute("data-key")
    assert key is not None
    customers = {r["key"]: r for r in _get(server, boss, f"/kpis?{PERIOD}&by=customer")["rows"]}
    assert customers[key]["complaints"]["received"] == max(r["complaints"]["received"] for r in customers.values())
    assert customers[key]["complaints"]["received"] >= 1
    top.get_by_role("button", name=re.compile("^History of ")).click()
    history = _get(server, boss, f"/customers/{key}/history")
    s = history["summary"]
    summary = page.locator(".history-summary")
    expect(summary).to_contain_text(f'{s["orders"]} order')
    expect(summary).to_contain_text(f'{s["visits"]} visit')
    expect(summary).to_contain_text("average score " + score(s["average_score"]))
    expect(summary).to_contain_text("first-time fix " + pct(s["first_time_fix"]))
    expect(summary).to_contain_text(f'{s["complaints"]} complaint')
    assert s["complaints"] >= 1
    # one line per visit (an order not visited yet has one line too), newest order first, with its outcome
    # (and why not fixed) and score
    expected: list[tuple[str, str]] = []
    for order in history["orders"]:
        for v in order["visits"] or [None]:
            if v is None:
                expected.append(("", "—"))
                continue
            outcome = OUTCOME[v["outcome"]] + (f' ({v["reason"].replace("_", " ")})' if v["reason"] else "")
            expected.append((outcome, plain(v["score"])))
    rows = page.locator("#history-body table tbody tr")
    expect(rows).to_have_count(len(expected))
    shown = page.evaluate("""() => [...document.querySelectorAll("#history-body table tbody tr")].map((tr) => {
        const cells = [...tr.cells];  // an order's first line has its order and created cells in front
        return [cells.at(-3).textContent, cells.at(-2).textContent];
    })""")
    assert [tuple(x) for x in shown] == expected
    orders = page.locator("#history-body table tbody th")
    expect(orders).to_have_text([f'{o["order_id"]} ({o["priority"]})' for o in history["orders"]])
    complaints = page.locator("#history-body ul li")
    expect(complaints).to_have_count(len(history["complaints"]))
    for item, c in zip(complaints.all(), history["complaints"], strict=True):
        expect(item).to_contain_text(f'about {c["order_id"]}')
    assert axe_violations(page) == []
    assert w.errors == []


def test_the_demo_monthly_report_downloads_with_totals_equal_to_their_days(server: Server, browser: Browser,
                                                                          boss: str) -> None:
    w = watch(browser, DESKTOP)
    sign_in(w, server, USER, "/report")
    page = w.page
    first, last = (TODAY - dt.timedelta(days=30)).strftime("%Y-%m"), TODAY.strftime("%Y-%m")
    page.goto(f"{server.url}/report/monthly?from={first}&to={last}")
    expect(page.locator("#monthly-status")).to_contain_text("month")
    api = _get(server, boss, f"/reports/monthly?from={first}&to={last}&format=json")
    history = _get(server, boss, f"/kpis?{PERIOD}&by=day")["total"]
    assert sum(int(m["total"]["visits_done"]) for m in api["months"]) >= history["visits_done"]

    name, data = downloaded(page, "Download CSV")
    assert name == f"dispatch-monthly-{first}-{last}.csv"
    months = csv_months(data)
    assert list(months) == [m["month"] for m in api["months"]]
    for month in api["months"]:
        days, total = months[month["month"]]
        assert [d["date"] for d in days] == [d["date"] for d in month["days"]]
        assert int(total["visits_done"]) == int(month["total"]["visits_done"])
        _sums_hold(days, total)  # counts, km and money: the total line is the sum of the day lines
    assert sum(int(d["visits_done"]) for days, _ in months.values() for d in days) >= history["visits_done"]

    name, data = downloaded(page, "Download XLSX")
    assert name == f"dispatch-monthly-{first}-{last}.xlsx"
    sheets = xlsx_months(data)
    assert len(sheets) == len(api["months"])
    for (days, total), month in zip(sheets.values(), api["months"], strict=True):
        assert len(days) == len(month["days"])
        assert int(total["visits_done"]) == int(month["total"]["visits_done"])
        _sums_hold(days, total)
    assert axe_violations(page) == []
    assert w.errors == []
