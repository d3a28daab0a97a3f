"""The dispatch console commands of the domain: solve, check, replan, recommend, demo, generate, compile.

The `dispatch` executable itself is assembled in api/cli.py, which adds the service commands.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import re
import tempfile
import textwrap
import threading
import time
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dispatch.analysis.checker import check_plan, format_report
from dispatch.analysis.kpis import kpi_rows
from dispatch.analysis.replan_check import check_replan
from dispatch.demo_days import generate_day, scenario
from dispatch.domain import Day, Priority
from dispatch.errors import CellError, InputError
from dispatch.events import Event
from dispatch.io import read_day, write_orders_csv, write_technicians_csv
from dispatch.io.events import read_events
from dispatch.live import Recommender, replan_day
from dispatch.parallel import DaskExecutor, scheduler_address
from dispatch.plan import Fix, Plan
from dispatch.planning import plan_day
from dispatch.planning.budget import deadline_of, fixes_cut
from dispatch.policy import MAX_HORIZON_DAYS, OSM, Policy, SlaPolicy
from dispatch.roads import FarFromRoadError, RoadNetwork, prepare
from dispatch.travel import TravelSource, parse_travel, travel_for
from dispatch.whatif import StudyError, compare, kpi_frame, policy_frame, read_study, solve_scenarios

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Field-technician dispatch optimizer.")
out = Console()
err = Console(stderr=True)

EXIT_BAD_INPUT = 2
EXIT_INVALID_PLAN = 1


def parse_sla(text: str) -> SlaPolicy:
    """`P1=4h,P2=8h` (also `90m` or plain hours) over the defaults."""
    hours = dict(SlaPolicy().hours)
    for item in filter(None, (s.strip() for s in text.split(","))):
        m = re.fullmatch(r"(P[1-4])\s*=\s*(\d+(?:\.\d+)?)\s*(h|m|min)?", item, flags=re.IGNORECASE)
        if not m:
            raise ValueError(f"--sla item {item!r} is not like P1=4h or P2=90m")
        value = float(m.group(2))
        hours[Priority(m.group(1).upper())] = value / 60 if (m.group(3) or "h").lower() in ("m", "min") else value
    return SlaPolicy(hours)


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _csv_row(path: Path, key: str, value: str) -> int | None:
    """The row (as a spreadsheet numbers it) whose `key` column is `value`."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        rows = csv.reader(f)
        header = next(rows, [])
        col = header.index(key) if key in header else 0
        return next((n for n, row in enumerate(rows, start=2) if len(row) > col and row[col].strip() == value), None)


def _road_travel(spec: str, max_snap_m: float | None, day: Day, technicians: Path, orders: Path) -> TravelSource:
    """The --travel source; on roads, every home and order further from a road than the limit is an error
    naming its row."""
    travel = parse_travel(spec, max_snap_m=max_snap_m)
    _check_road_reach(travel, day, technicians, orders)
    return travel


def _check_road_reach(travel: TravelSource, day: Day, technicians: Path, orders: Path, *,
                      limit_from: str = "--max-snap-m") -> None:
    """On roads, an InputError naming the row, column and value of every home and order further from a road
    than the source's limit (nothing for straight-line travel); `limit_from` says where the limit was set."""
    network = getattr(travel, "network", None)
    if network is None:
        return
    limit = travel.model.max_snap_m  # type: ignore[attr-defined]
    places = [(technicians, t.id, "home_lat", t.home_lat, t.home_lon) for t in day.technicians]
    places += [(orders, o.id, "lat", o.lat, o.lon) for o in day.orders]
    snapped = network.snap([p[3] for p in places], [p[4] for p in places], max_snap_m=None)
    errors = [CellError(path.name, _csv_row(path, "id", ident), column, f"{lat},{lon}",
                        f"{ident} lies {far:,.0f} m from the nearest road of {network.name} (limit {limit:,.0f} m; "
                        f"{limit_from})")
              for (path, ident, column, lat, lon), far in zip(places, snapped.distance_m, strict=True) if far > limit]
    if errors:
        raise InputError(errors)


def _check_policy_reach(policy: Policy, day: Day, technicians: Path, orders: Path) -> None:
    """A plan made on roads is re-planned on the same roads: every home and order must reach them."""
    if policy.travel.source == OSM:
        _check_road_reach(travel_for(policy.travel), day, technicians, orders,
                          limit_from="the plan's travel max_snap_m")


def _write_plan(day: Day, plan: Plan, out_path: Path, map_path: Path | None) -> None:
    _write_atomic(out_path, plan.to_json())
    if map_path is not None:
        from dispatch.analysis.mapping import plan_map

        _write_atomic(map_path, plan_map(day, plan).get_root().render())


def _fail_input(e: Exception) -> typer.Exit:
    err.print("[bold red]error:[/] bad input", markup=True)
    err.print(str(e), highlight=False, markup=False)
    return typer.Exit(EXIT_BAD_INPUT)


# When the program runs as `dispatch` (`main`), the moment its process started: a time limit counts from
# there, the imports and reading the files included. None when the commands are called in-process.
_process_started: float | None = None
# What is left to do once the plan is back, kept from the solve's time (seconds; measured on 2 shared
# cores, benchmarks/RESULTS.md "Time limits"): writing the plan and printing it, about 3 s at 5,000 orders
# under load; a map; closing a local dask cluster; the interpreter's own exit (0.6-1.1 s under load).
_OUTPUT_PER_ORDER = 0.0006
_MAP_PER_ORDER = 0.002
_CLUSTER_CLOSE = 2.0
_EXIT = 1.0


def _process_start() -> float:
    """The time.monotonic() moment this process started (now, where the system does not say)."""
    try:
        import psutil

        age = time.time() - psutil.Process().create_time()
    except Exception:  # no process table to read: count from now
        age = 0.0
    return time.monotonic() - min(max(0.0, age), 60.0)  # a clock stepped since the start is no age


def _solve_with_progress(day: Day, policy: Policy, *, workers: int = 1, scheduler: str | None = None,
                         fixes: bool = True, started: float | None = None, map_path: Path | None = None) -> Plan:
    """`plan_day` in a thread under a progress bar. Without a solution limit the plan is back within the
    time limit counted from `started` (a time.monotonic() moment; default now), less the expected time of
    writing and showing it (with a map when `map_path`)."""
    result: dict[str, Plan | BaseException] = {}
    by_region = policy.by_region(len(day.orders))
    address = scheduler_address(scheduler)
    local_cluster = by_region and workers > 1 and not address
    deadline = deadline_of(policy, started)
    if deadline is not None:
        deadline -= len(day.orders) * (_OUTPUT_PER_ORDER + (_MAP_PER_ORDER if map_path else 0.0))
        deadline -= _EXIT + (_CLUSTER_CLOSE if local_cluster else 0.0)

    def work() -> None:
        try:
            if by_region and (workers > 1 or address):
                with DaskExecutor(address, n_workers=workers) as ex:
                    result["plan"] = plan_day(day, policy, executor=ex, fixes=fixes, deadline=deadline)
            else:
                result["plan"] = plan_day(day, policy, fixes=fixes, deadline=deadline)
        except BaseException as e:  # handed back to the main thread below
            result["error"] = e

    worker = threading.Thread(target=work, daemon=True)
    started = time.monotonic()
    worker.start()
    with Progress(
        TextColumn("[bold]solving[/] {task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task(f"{len(day.orders)} orders x {len(day.technicians)} technicians",
                            total=policy.time_limit)
        while worker.is_alive():
            worker.join(0.2)
            bar.update(task, completed=min(policy.time_limit, time.monotonic() - started))
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return result["plan"]  # type: ignore[return-value]


def show_kpis(plan: Plan, title: str = "Plan") -> None:
    days = f" to {plan.dates[-1].isoformat()} ({len(plan.dates)} days)" if len(plan.dates) > 1 else ""
    table = Table(title=f"{title} {plan.date.isoformat()}{days}", show_header=False)
    table.add_column("KPI", style="bold")
    table.add_column("value")
    if plan.kpis is None:
        return
    for label, value in kpi_rows(plan.kpis):
        table.add_row(label, value)
    out.print(table)
    for note in plan.kpis.solver.notes if plan.kpis.solver is not None else ():
        _say(f"note: {note}")


def _say(text: str, indent: int = 0, hang: int | None = None) -> None:
    """A plain line, wrapped to the console with its continuation lines indented under it."""
    hang = indent + 2 if hang is None else hang
    out.print(textwrap.fill(text, width=max(out.width, 40), initial_indent=" " * indent,
                            subsequent_indent=" " * hang, break_long_words=False, break_on_hyphens=False),
              highlight=False, markup=False, soft_wrap=True)


def _show_fix_list(fixes: Sequence[Fix], searched: bool) -> None:
    for rank, f in enumerate(fixes, 1):
        late = "on time" if f.late_minutes < 0.5 else f"{f.late_minutes:.0f} min late"
        total = f.cost_delta.get("total")
        cost = "" if total is None else f", cost {total:+,.0f}"
        where = f" {f.technician_id} stop {f.position + 1}, ETA {f.eta:%H:%M}, {late}"
        if all(x in f.text for x in (f.technician_id, f"stop {f.position + 1}", f"{f.eta:%H:%M}")):
            where = ""  # the dispatcher's sentence says it already
        text = f": {f.text}" if f.text else ""
        _say(f"{rank}. {f.kind}{where}{cost}{text}", 4, 7)
    if searched and not fixes:
        _say("no single change would do", 4)


def show_fixes(day: Day, plan: Plan, *, left_out: int | None = None, late: int = 5, where: str = "the plan",
               searched: bool = True) -> None:
    """The orders left out (the most urgent first; at most `left_out`), each with its reason and the one-change
    fixes of the plan, then the `late` latest stops with theirs and how many more there are in `where`.
    `searched`: the fixes were looked for, so an order without any is said to have none."""
    rank = {o.id: o.priority.rank for o in day.orders}
    unassigned = sorted(plan.unassigned, key=lambda u: rank.get(u.order_id, 9))
    if unassigned:
        _say(f"{len(unassigned)} order{'s' if len(unassigned) != 1 else ''} left out:")
    for u in unassigned[:left_out]:
        priority = f" P{rank[u.order_id]}" if u.order_id in rank else ""
        head = f"{u.order_id}{priority}: "
        _say(head + u.reason, 2, 2 + len(head))
        _show_fix_list(u.fixes, searched)
    if left_out is not None and len(unassigned) > left_out:
        _say(f"... and {len(unassigned) - left_out} more in {where}", 2)
    by_order = {s.order_id: (r.technician_id, i, s) for r in reversed(plan.routes) for i, s in enumerate(r.stops)
                if s.late_minutes > 0}  # a crew's stop once, on its first member's route
    stops = sorted(by_order.values(), key=lambda t: -t[2].late_minutes)
    if not stops:
        return
    _say(f"{len(stops)} late stop{'s' if len(stops) != 1 else ''}, the latest first:")
    for tech_id, i, s in stops[:late]:
        priority = f" P{rank[s.order_id]}" if s.order_id in rank else ""
        _say(f"{s.order_id}{priority}: {tech_id} stop {i + 1}, {s.late_minutes:.0f} min late", 2, 4)
        _show_fix_list(s.fixes, searched)
    if len(stops) > late:
        _say(f"... and {len(stops) - late} more in {where}", 2)


def _load_day(technicians: Path, orders: Path, plan_date: str) -> Day:

    try:
        d = date.fromisoformat(plan_date)
    except ValueError as e:
        raise ValueError(f"--date {plan_date!r} is not a date like 2026-11-24") from e
    return read_day(technicians, orders, d)


_DEFAULT = Policy()
TechOpt = Annotated[Path, typer.Option("--technicians", "-t", help="technicians.csv of the CSV contract")]
OrdersOpt = Annotated[Path, typer.Option("--orders", "-o", help="orders.csv of the CSV contract")]
DateOpt = Annotated[str, typer.Option("--date", "-d", help="plan date, YYYY-MM-DD")]


@app.command()
def solve(
    technicians: TechOpt,
    orders: OrdersOpt,
    plan_date: DateOpt,
    out_path: Annotated[Path, typer.Option("--out", help="where to write the plan JSON")],
    time_limit: Annotated[float, typer.Option(
        "--time-limit", help="seconds for the whole command, from its start to its exit")] = _DEFAULT.time_limit,
    seed: Annotated[int, typer.Option(help="random seed")] = _DEFAULT.seed,
    solution_limit: Annotated[int | None, typer.Option(
        help="stop after this many solutions; the time limit then does not act, so the plan is the same "
             "however busy the machine is")] = None,
    sla: Annotated[str, typer.Option(help="response deadlines, e.g. P1=4h,P2=8h,P3=24h,P4=72h")] = "",
    map_path: Annotated[Path | None, typer.Option("--map", help="also write a map of the plan (HTML)")] = None,
    region_orders: Annotated[int, typer.Option(
        help="split a day with more orders into regions of about half as many (0: never split)")] = _DEFAULT.region_orders or 0,
    workers: Annotated[int, typer.Option(
        help="solve the regions of a large day on a local dask cluster of this many worker processes")] = 1,
    scheduler: Annotated[str | None, typer.Option(
        help="solve the regions on this dask scheduler (default: $DISPATCH_SCHEDULER)")] = None,
    fixes: Annotated[bool, typer.Option(
        "--fixes/--no-fixes", help="look for the one changes that would serve each order left out or start "
                                   "each late stop on time")] = True,
    days: Annotated[int, typer.Option(
        "--days", help="plan --date and the following days someone works, this many in all (each route "
                       "names its date)")] = 1,
    travel_spec: Annotated[str, typer.Option(
        "--travel", help="travel times: geodesic (straight line x road factor) or osm:FILE.osm.pbf (the roads of "
                         "an OpenStreetMap extract, prepared once and cached)")] = "geodesic",
    max_snap_m: Annotated[float | None, typer.Option(
        "--max-snap-m", help="on roads: a home or order further than this many metres from a road is an error "
                             "(default 1000)")] = None,
    cores: Annotated[int | None, typer.Option(
        "--cores", help="cores the search may use (default: all); with --solution-limit the same number gives "
                        "the same plan")] = None,
) -> None:
    """Plan a day (or several): assign and sequence orders, then print the KPIs, the orders left out and the
    latest stops, each with the one changes that would fix it (one-day plans). The time limit covers the
    whole command: reading, solving, explaining, fixes and writing."""
    started = _process_started if _process_started is not None else time.monotonic()
    try:
        day = _load_day(technicians, orders, plan_date)
        if workers < 1:
            raise ValueError(f"--workers {workers} must be >= 1")
        if not 1 <= days <= MAX_HORIZON_DAYS:
            raise ValueError(f"--days {days} must be 1..{MAX_HORIZON_DAYS}")
        policy = Policy(sla=parse_sla(sla), seed=seed, time_limit=time_limit, solution_limit=solution_limit,
                        region_orders=region_orders or None, horizon_days=days, cores=cores)
        travel = _road_travel(travel_spec, max_snap_m, day, technicians, orders)
        if travel_spec.strip() not in ("", "geodesic"):
            policy = policy.updated(travel=travel.model)  # type: ignore[attr-defined]
    except (InputError, ValueError, FileNotFoundError) as e:
        raise _fail_input(e) from None
    plan = _solve_with_progress(day, policy, workers=workers, scheduler=scheduler, fixes=fixes, started=started,
                                map_path=map_path)
    _write_plan(day, plan, out_path, map_path)
    show_kpis(plan)
    show_fixes(day, plan, where=str(out_path), searched=fixes and len(plan.dates) == 1 and not fixes_cut(plan))
    out.print(f"plan written to {out_path}" + (f", map to {map_path}" if map_path else ""))


@app.command()
def check(
    technicians: TechOpt,
    orders: OrdersOpt,
    plan_date: DateOpt,
    plan_path: Annotated[Path, typer.Option("--plan", help="plan JSON to verify")],
    events_path: Annotated[Path | None, typer.Option(
        "--events", help="events.csv of the day, to check a re-plan (with --at and --previous)")] = None,
    at_text: Annotated[str | None, typer.Option(
        "--at", help="the re-plan's moment: HH:MM on the plan date, or an ISO datetime")] = None,
    previous_path: Annotated[Path | None, typer.Option(
        "--previous", help="the plan the re-plan started from (JSON)")] = None,
    travel_spec: Annotated[str | None, typer.Option(
        "--travel", help="osm:FILE.osm.pbf: where the extract of a plan made on roads is now, when it moved (its "
                         "SHA-256 must be the plan's)")] = None,
) -> None:
    """Verify a plan independently against its input: every hard rule, lateness and distances; with
    --events, --at and --previous, a re-plan: the frozen facts, nothing new before --at, and its changes."""

    replan = (events_path, at_text, previous_path)
    try:
        if any(x is not None for x in replan) and any(x is None for x in replan):
            raise ValueError("--events, --at and --previous go together: give all three to check a re-plan")
        day = _load_day(technicians, orders, plan_date)
        data = json.loads(plan_path.read_text(encoding="utf-8"))
        roads = _recorded_roads(data, travel_spec)
        if events_path is not None and at_text is not None and previous_path is not None:
            moment = parse_at(at_text, day.date)
            events = read_events(events_path, day)
            previous = json.loads(previous_path.read_text(encoding="utf-8"))
    except (InputError, ValueError, FileNotFoundError) as e:
        raise _fail_input(e) from None
    if events_path is None:
        report = check_plan(day, data, roads=roads)
    else:
        report = check_replan(day, data, events, moment, previous)
    out.print(format_report(report), highlight=False, markup=False)
    if not report.ok:
        raise typer.Exit(EXIT_INVALID_PLAN)


def _recorded_roads(data: object, travel_spec: str | None) -> RoadNetwork | None:
    """The roads of a plan made on them, from --travel osm:FILE (checked against the plan's hash)."""
    if not travel_spec:
        return None
    if not travel_spec.startswith("osm:"):
        raise ValueError(f"--travel {travel_spec!r} must be osm:FILE.osm.pbf")
    recorded = (data.get("policy") or {}).get("travel") or {} if isinstance(data, dict) else {}
    if recorded.get("model") != "osm":
        raise ValueError("--travel is for a plan made on roads; this plan's travel model is "
                         f"{recorded.get('model', 'geodesic')!r}")
    return prepare(travel_spec[4:].strip(), sha256=recorded.get("sha256") or None)


@app.command()
def generate(
    out_dir: Annotated[Path, typer.Option("--out", help="folder for technicians.csv and orders.csv")],
    orders: Annotated[int, typer.Option(help="number of orders")] = 150,
    technicians: Annotated[int, typer.Option(help="number of technicians")] = 20,
    seed: Annotated[int, typer.Option(help="random seed")] = 7,
    city: Annotated[str, typer.Option(help="city of the generated day")] = "lyon",
    plan_date: Annotated[str, typer.Option("--date", help="plan date, YYYY-MM-DD (default today)")] = "",
) -> None:
    """Write a seeded, realistic day in the CSV contract."""
    try:
        d = date.fromisoformat(plan_date) if plan_date else date.today()
        day = generate_day(orders=orders, technicians=technicians, seed=seed, plan_date=d, city=city)
    except ValueError as e:
        raise _fail_input(e) from None
    out_dir.mkdir(parents=True, exist_ok=True)
    write_technicians_csv(day.technicians, out_dir / "technicians.csv")
    write_orders_csv(day.orders, out_dir / "orders.csv")
    out.print(f"{len(day.orders)} orders and {len(day.technicians)} technicians for {d} in {out_dir}")


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="folder for the demo's files")] = Path("out/demo"),
    time_limit: Annotated[float, typer.Option("--time-limit", help="seconds of search")] = 20.0,
    scenario_name: Annotated[str, typer.Option("--scenario", help="named scenario")] = "demo",
) -> None:
    """Generate a realistic day, plan it, verify the plan and show the KPIs and where the map is."""
    from dispatch.analysis.mapping import plan_map

    day = scenario(scenario_name, plan_date=date.today())
    out_dir.mkdir(parents=True, exist_ok=True)
    write_technicians_csv(day.technicians, out_dir / "technicians.csv")
    write_orders_csv(day.orders, out_dir / "orders.csv")
    out.print(f"scenario '{scenario_name}': {len(day.orders)} orders, {len(day.technicians)} technicians, "
              f"{day.date} ({datetime.now():%H:%M})")
    plan = _solve_with_progress(day, Policy(time_limit=time_limit))
    _write_atomic(out_dir / "plan.json", plan.to_json())
    _write_atomic(out_dir / "plan.html", plan_map(day, plan).get_root().render())
    show_kpis(plan, title=f"Demo plan ({scenario_name})")
    report = check_plan(day, plan)
    verdict = "[green]valid[/]" if report.ok else f"[red]{len(report.violations)} violations[/]"
    out.print(f"independent check: {verdict}")
    show_fixes(day, plan, left_out=5, late=3, where="plan.json")
    out.print(f"files: {out_dir}/plan.json, {out_dir}/plan.html (open in a browser), "
              f"{out_dir}/technicians.csv, {out_dir}/orders.csv")
    if not report.ok:
        raise typer.Exit(EXIT_INVALID_PLAN)


@app.command(name="compile")
def compile_kernels() -> None:
    """Compile the search's compiled walks into numba's cache (make does it at install). A timed solve walks
    with them only once they are cached, so that it never compiles against its clock."""
    from solver.kernels import compile_all

    began = time.perf_counter()
    names = compile_all()
    out.print(f"compiled {', '.join(names)} in {time.perf_counter() - began:.0f} s")


@app.command()
def whatif(
    study: Annotated[Path, typer.Argument(help="YAML study: a base and named variations (see notebooks/README.md)")],
    out_path: Annotated[Path | None, typer.Option("--out", help="write the comparison table as CSV")] = None,
    scheduler: Annotated[str | None, typer.Option(help="dask scheduler address (default: DISPATCH_SCHEDULER, "
                                                       "else a local cluster)")] = None,
    workers: Annotated[int, typer.Option(help="worker processes of the local cluster")] = 2,
    serial: Annotated[bool, typer.Option("--serial", help="solve in this process, one after another")] = False,
) -> None:
    """Run a what-if study in parallel and print each scenario's KPIs against the baseline."""

    try:
        scenarios = read_study(study)
    except (StudyError, FileNotFoundError) as e:
        raise _fail_input(e) from None
    with Progress(TextColumn("[bold]what-if[/]"), BarColumn(), TextColumn("{task.completed}/{task.total} solved"),
                  TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("scenarios", total=len(scenarios))

        def done(_: int) -> None:
            bar.advance(task)

        if serial:
            results = solve_scenarios(scenarios, on_done=done)
        else:
            with DaskExecutor(scheduler, n_workers=workers) as executor:
                results = solve_scenarios(scenarios, executor=executor, on_done=done)
    table = compare(kpi_frame(results), policy=policy_frame(results))  # the CSV records each policy too
    # header and format per column, narrow enough for an 80-column terminal
    shown = {"served": ("served", "{:.0f}"), "unserved": ("unserv", "{:.0f}"),
             "on_time_P1_pct": ("P1%", "{:.0f}"), "on_time_P2_pct": ("P2%", "{:.0f}"),
             "late_minutes": ("late", "{:.0f}"), "km": ("km", "{:.0f}"), "cost": ("cost", "{:.0f}"),
             "cost_diff": ("Δcost", "{:+.0f}")}  # the CSV has every column
    from rich import box

    verdict = "valid" if table["valid"].all() else "NOT valid"
    view = Table(title=f"What-if: {study.name} (every plan checked: {verdict})", box=box.SIMPLE_HEAD,
                 pad_edge=False)
    view.add_column("scenario", style="bold", no_wrap=True)
    for header, _ in shown.values():
        view.add_column(header, justify="right")
    for name, row in table[list(shown)].iterrows():
        view.add_row(str(name), *(fmt.format(row[col]) for col, (_, fmt) in shown.items()))
    # a pipe gets 80 columns, which would cut headers and differences; a terminal keeps its own width
    (out if out.is_terminal else Console(width=110)).print(view)
    if out_path is not None:
        _write_atomic(out_path, table.to_csv())
        out.print(f"comparison written to {out_path}")
    if not table["valid"].all():
        bad = ", ".join(str(n) for n in table.index[~table["valid"]])
        err.print(f"[red]plans failing the independent check:[/] {bad}")
        raise typer.Exit(EXIT_INVALID_PLAN)


def parse_at(text: str, plan_date: date) -> datetime:
    """`--at`: HH:MM on the plan date, or an ISO 8601 local date and time on it."""
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    try:
        if m:
            when = datetime.combine(plan_date, datetime.min.time()).replace(hour=int(m.group(1)),
                                                                            minute=int(m.group(2)))
        else:
            when = datetime.fromisoformat(text.strip())
    except ValueError as e:
        raise ValueError(f"--at {text!r} is not a time like 10:30 or 2026-11-24T10:30") from e
    if when.tzinfo is not None or when.date() != plan_date:
        raise ValueError(f"--at {text!r} must be a local time on the plan date {plan_date.isoformat()}")
    return when


def _load_live(technicians: Path, orders: Path, plan_date: str, plan_path: Path, events_path: Path,
               at_text: str) -> tuple[Day, Plan, list[Event], datetime]:
    """The day, the plan it stands on, its events and the moment, or InputError/ValueError naming the bad part."""
    day = _load_day(technicians, orders, plan_date)
    try:
        current = Plan.from_json(plan_path.read_text(encoding="utf-8"))
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"--plan {plan_path}: not a plan JSON of the plan contract ({e})") from e
    if current.date != day.date:
        raise ValueError(f"--plan {plan_path} is for {current.date.isoformat()}, not {day.date.isoformat()}")
    known = {o.id for o in day.orders}
    missing = next((i for i in current.assigned_ids() if i not in known), None)
    if missing is not None:
        raise ValueError(f"--plan {plan_path}: order {missing!r} is not in {orders}")
    events = list(read_events(events_path, day))
    return day, current, events, parse_at(at_text, day.date)


PlanOpt = Annotated[Path, typer.Option("--plan", help="the plan the day stands on (JSON of the plan contract)")]
EventsOpt = Annotated[Path, typer.Option("--events", help="events.csv: what the technicians reported")]
AtOpt = Annotated[str, typer.Option("--at", help="the moment of the day, HH:MM (or ISO date and time)")]


@app.command()
def replan(
    technicians: TechOpt,
    orders: OrdersOpt,
    plan_date: DateOpt,
    plan_path: PlanOpt,
    events_path: EventsOpt,
    at_text: AtOpt,
    out_path: Annotated[Path, typer.Option("--out", help="where to write the re-planned day (plan JSON)")],
    time_limit: Annotated[float, typer.Option("--time-limit", help="seconds of search")] = 2.0,
    max_moves: Annotated[int | None, typer.Option(
        "--max-moves", help="at most this many visits not yet begun change technician")] = None,
    seed: Annotated[int | None, typer.Option(help="random seed (default: the plan's)")] = None,
    solution_limit: Annotated[int | None, typer.Option(
        help="stop after this many solutions; the time limit then does not act, so the plan is the same "
             "however busy the machine is")] = None,
    map_path: Annotated[Path | None, typer.Option("--map", help="also write a map of the plan (HTML)")] = None,
) -> None:
    """Re-plan the day from where it stands at --at: what happened stays, the rest moves as little as pays."""
    try:
        day, previous, events, at = _load_live(technicians, orders, plan_date, plan_path, events_path, at_text)
        policy = Policy.from_dict(previous.policy) if previous.policy else Policy()
        policy = policy.updated(time_limit=time_limit, solution_limit=solution_limit, max_moves=max_moves,
                                **({} if seed is None else {"seed": seed}))
        _check_policy_reach(policy, day, technicians, orders)
    except (InputError, ValueError, FileNotFoundError) as e:
        raise _fail_input(e) from None
    try:
        plan = replan_day(day, previous, events, at, policy)
    except FarFromRoadError as e:  # every home and order was checked above: a place of another kind
        raise _fail_input(e) from None
    _write_plan(day, plan, out_path, map_path)
    show_kpis(plan, title=f"Re-plan at {at:%H:%M},")
    for c in plan.changes:
        moved = "" if c.eta_shift_minutes is None else f" ({c.eta_shift_minutes:+.0f} min)"
        out.print(f"{c.order_id}: {c.change} {c.from_technician or '-'} -> {c.to_technician or '-'}{moved}",
                  highlight=False, markup=False)
    out.print(f"plan written to {out_path}" + (f", map to {map_path}" if map_path else ""))


@app.command()
def recommend(
    technicians: TechOpt,
    orders: OrdersOpt,
    plan_date: DateOpt,
    plan_path: PlanOpt,
    events_path: EventsOpt,
    at_text: AtOpt,
    order_id: Annotated[str, typer.Option("--order", help="the order to place, e.g. an emergency")],
    top: Annotated[int, typer.Option(help="how many placements to show")] = 5,
    json_path: Annotated[Path | None, typer.Option("--json", help="also write the placements as JSON")] = None,
) -> None:
    """The best places for one order in the routes as they stand at --at, cheapest first (no re-solve)."""
    try:
        if top < 1:
            raise ValueError(f"--top {top} must be >= 1")
        day, current, events, at = _load_live(technicians, orders, plan_date, plan_path, events_path, at_text)
        policy = Policy.from_dict(current.policy) if current.policy else Policy()
        _check_policy_reach(policy, day, technicians, orders)
        rec = Recommender(day, current, events, at, policy)
        places = rec.places(order_id, top)
        reason = None if places else rec.why_none(order_id)
    except (InputError, ValueError, FileNotFoundError) as e:
        raise _fail_input(e) from None
    table = Table(title=f"Places for {order_id} at {at:%H:%M}")
    # the ranking must read in an 80-column terminal: the cost's parts share one column
    for name in ("#", "tech", "stop", "ETA", "late", "adds", "travel/late/ETA", "bumps"):
        table.add_column(name, no_wrap=True)
    for rank, p in enumerate(places, 1):
        c = p.added_cost
        parts = f"{c['travel']:,.0f} / {c['response deadline']:,.0f} / {c['eta shift']:,.0f}"
        table.add_row(str(rank), "+".join(p.members), str(p.position + 1), f"{p.eta:%H:%M}", f"{p.late_minutes:.0f}",
                      f"{c['total']:,.0f}", parts, p.bumps or "")
    out.print(table)
    if reason is not None:
        out.print(f"{order_id} has no place: {reason}", highlight=False, markup=False)
    if json_path is not None:
        _write_atomic(json_path, json.dumps({"order_id": order_id, "at": at.isoformat(timespec="seconds"),
                                             "reason": reason, "placements": [p.to_dict() for p in places]},
                                            indent=2))


def main() -> None:
    global _process_started
    _process_started = _process_start()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
