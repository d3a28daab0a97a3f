"""A folium map of a plan: one colour and one layer per technician (per day, on a multi-day plan), numbered
stops, unassigned orders in grey. A plan made on roads (travel model `osm`) draws each leg along the roads of
its extract; any other plan draws straight legs.

Every text that comes from the input (names, customers, reasons) is HTML-escaped before it goes into a popup.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date, datetime
from html import escape as _html_escape
from pathlib import Path

import folium

from dispatch.domain import WEEKDAYS, Day, Order, Technician
from dispatch.plan import Plan, Route, Stop
from dispatch.policy import OSM, Policy
from dispatch.roads import RoadNetwork, network_for

Point = tuple[float, float]

# Distinct, print-friendly colours; grey is kept for unassigned orders. Cycles when there are more technicians.
PALETTE = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#bcbd22", "#393b79", "#ad494a", "#637939", "#8c6d31", "#7b4173", "#3182bd", "#e6550d",
    "#31a354", "#756bb1", "#843c39", "#0f6e6e",
)
UNASSIGNED_COLOUR = "#7f7f7f"


def escape(text: str) -> str:
    """HTML-escape, and neutralise what would break out of the JavaScript template literals folium writes."""
    return _html_escape(text).replace("`", "&#96;").replace("$", "&#36;")


def colour_of(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _text_colour(background: str) -> str:
    # dark digits on light markers, white on dark ones, so the stop number stays readable
    r, g, b = (int(background[i:i + 2], 16) for i in (1, 3, 5))
    return "#000" if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "#fff"


def _hhmm(dt: datetime | None) -> str:
    return "" if dt is None else f"{dt:%H:%M}"


def _table(rows: Sequence[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><th style='text-align:left;padding-right:6px'>{escape(k)}</th>"
                    f"<td>{escape(v)}</td></tr>" for k, v in rows)
    return f"<table style='font-size:12px'>{cells}</table>"


def _stop_popup(order: Order, stop: Stop, seq: int, tech: Technician, on: str | None = None) -> str:
    rows = [("day", on)] if on else []
    rows += [
        ("order", order.id),
        ("customer", order.customer),
        ("technician", f"{tech.id} {tech.name}"),
        ("stop", str(seq)),
        ("ETA", _hhmm(stop.arrival)),
        ("start", _hhmm(stop.start)),
        ("end", _hhmm(stop.end)),
        ("priority", order.priority.value),
        ("late", f"{stop.late_minutes:.0f} min"),
    ]
    if order.window_start or order.window_end:
        rows.append(("window", f"{_hhmm(order.window_start) or '…'}-{_hhmm(order.window_end) or '…'}"))
    rows.append(("skills", ", ".join(sorted(order.required_skills))))
    if order.required_parts:
        rows.append(("bring", ", ".join(f"{p} x{q}" for p, q in order.required_parts.items())))
    return _table(rows)


def _home_popup(tech: Technician, route: Route | None, on: str | None = None) -> str:
    rows = [("day", on)] if on else []
    rows += [
        ("technician", f"{tech.id} {tech.name}"),
        ("shift", f"{_hhmm(tech.shift_start)}-{_hhmm(tech.shift_end)}"),
        ("skills", ", ".join(sorted(tech.skills))),
    ]
    if route is not None:
        rows += [("stops", str(len(route.stops))), ("travel", f"{route.travel_km:.1f} km")]
        if route.depart is not None and route.back is not None:
            rows.append(("out", f"{_hhmm(route.depart)}-{_hhmm(route.back)}"))
        if route.break_ is not None:
            rows.append(("break", f"{_hhmm(route.break_[0])}-{_hhmm(route.break_[1])}"))
    return _table(rows)


def _stop_icon(seq: int, colour: str) -> folium.DivIcon:
    html = (f"<div class='dispatch-stop' style='background:{colour};color:{_text_colour(colour)};"
            "width:22px;height:22px;border-radius:11px;border:2px solid #fff;box-shadow:0 0 2px #000;"
            f"font:bold 11px/22px sans-serif;text-align:center'>{seq}</div>")
    return folium.DivIcon(html=html, icon_size=(26, 26), icon_anchor=(13, 13), class_name="dispatch-stop-icon")


def _legend(entries: Sequence[tuple[str, str]], title: str) -> folium.Element:
    items = "".join(
        f"<div><span style='display:inline-block;width:12px;height:12px;margin-right:5px;"
        f"background:{colour};border-radius:6px'></span>{escape(label)}</div>" for colour, label in entries
    )
    return folium.Element(
        "<div id='dispatch-legend' style='position:fixed;bottom:24px;left:12px;z-index:9999;background:#fff;"
        "padding:6px 9px;border-radius:4px;box-shadow:0 0 4px rgba(0,0,0,.4);font:12px sans-serif;"
        f"max-height:45vh;overflow-y:auto'><b>{escape(title)}</b>{items}</div>"
    )


def day_label(d: date) -> str:
    """How the map names a day of a multi-day plan: `Tue 2026-12-01`."""
    return f"{WEEKDAYS[d.weekday()]} {d.isoformat()}"


def _add_technician(layer: folium.FeatureGroup, tech: Technician, colour: str, route: Route | None,
                    orders: dict[str, Order], points: list[tuple[float, float]], on: str | None = None,
                    roads: dict[tuple[Point, Point], list[Point]] | None = None) -> None:
    """The technician's home and, if they have one, their route (line and numbered stops) on `layer`;
    `on` names the day in the texts of a multi-day plan."""
    n_stops = len(route.stops) if route else 0
    when = f" on {on}" if on else ""
    home = (tech.home_lat, tech.home_lon)
    points.append(home)
    folium.Marker(
        home,
        icon=folium.Icon(color="white", icon_color=colour, icon="home", prefix="fa"),
        tooltip=escape(f"{tech.name} ({tech.id}) home"),
        popup=folium.Popup(_home_popup(tech, route, on), max_width=320),
    ).add_to(layer)
    if route is None or not route.stops:
        return
    path = [home] + [(orders[s.order_id].lat, orders[s.order_id].lon) for s in route.stops] + [home]
    if roads:
        path = [p for a, b in itertools.pairwise(path) for p in roads.get((a, b), [a, b])]
    folium.PolyLine(path, color=colour, weight=4, opacity=0.8,
                    tooltip=escape(f"{tech.name}{when}: {n_stops} stops, {route.travel_km:.1f} km")).add_to(layer)
    for seq, stop in enumerate(route.stops, start=1):
        order = orders[stop.order_id]
        points.append((order.lat, order.lon))
        folium.Marker(
            (order.lat, order.lon),
            icon=_stop_icon(seq, colour),
            tooltip=escape(f"{seq}. {order.id} {order.customer}{when} ETA {_hhmm(stop.arrival)}"),
            popup=folium.Popup(_stop_popup(order, stop, seq, tech, on), max_width=320),
        ).add_to(layer)


def _checked(day: Day, plan: Plan) -> dict[str, Order]:
    orders = {o.id: o for o in day.orders}
    for oid in [*plan.assigned_ids(), *(u.order_id for u in plan.unassigned)]:
        if oid not in orders:
            raise ValueError(f"plan order {oid!r} is not an order of the day {day.date}")
    unknown = {r.technician_id for r in plan.routes} - {t.id for t in day.technicians}
    if unknown:
        raise ValueError(f"plan route of {sorted(unknown)[0]!r} is not a technician of the day {day.date}")
    stray = next((r for r in plan.routes if r.date not in plan.dates), None)
    if stray is not None:
        raise ValueError(f"plan route of {stray.technician_id!r} on {stray.date} is not on a day of the plan "
                         f"({', '.join(d.isoformat() for d in plan.dates)})")
    return orders


def _road_legs(day: Day, plan: Plan, roads: RoadNetwork | None) -> dict[tuple[Point, Point], list[Point]]:
    """Each leg of the plan along the roads, when it was made on roads (or `roads` is given); else nothing."""
    if roads is None:
        try:
            travel = Policy.from_dict(plan.policy).travel if plan.policy else None
        except ValueError:
            return {}
        if travel is None or travel.source != OSM:
            return {}
        try:
            roads = network_for(travel)
        except (OSError, ValueError):
            return {}  # the extract is gone: straight legs rather than no map
    homes = {t.id: (t.home_lat, t.home_lon) for t in day.technicians}
    where = {o.id: (o.lat, o.lon) for o in day.orders}
    legs: set[tuple[Point, Point]] = set()
    for r in plan.routes:
        if r.stops and r.technician_id in homes:
            path = [homes[r.technician_id], *(where[s.order_id] for s in r.stops), homes[r.technician_id]]
            legs.update(itertools.pairwise(path))
    ordered = sorted(legs)
    return dict(zip(ordered, roads.paths(ordered), strict=True))


def plan_map(day: Day, plan: Plan, *, roads: RoadNetwork | None = None) -> folium.Map:
    """The plan on a map; works with no routes, no unassigned orders or an empty day. A plan made on roads
    draws its legs along them (`roads`: its network, when its extract is not where the plan says).

    One day: a layer per technician. Several days (`plan.dates`): a layer per day, chosen like a base map
    (the first day shown), each with every technician's home and that day's routes; a technician keeps
    their colour on every day. Unassigned orders are a layer of their own, shown whatever the day."""
    orders = _checked(day, plan)
    along = _road_legs(day, plan, roads)
    multi = len(plan.dates) > 1
    if multi:
        # the tiles stay out of the layer control, so choosing a day never takes the map away
        m = folium.Map(location=(0.0, 0.0), zoom_start=2, tiles=None, control_scale=True)
        folium.TileLayer("OpenStreetMap", control=False).add_to(m)
    else:
        m = folium.Map(location=(0.0, 0.0), zoom_start=2, tiles="OpenStreetMap", control_scale=True)
    points: list[tuple[float, float]] = []
    legend: list[tuple[str, str]] = []
    if multi:
        for k, d in enumerate(plan.dates):
            routes = {r.technician_id: r for r in plan.routes_on(d)}
            stops = sum(len(r.stops) for r in routes.values())
            busy = sum(1 for r in routes.values() if r.stops)
            label = f"{day_label(d)}: {busy} routes, {stops} stops"
            layer = folium.FeatureGroup(name=escape(label), overlay=False, show=k == 0)
            for i, tech in enumerate(day.technicians):
                _add_technician(layer, tech, colour_of(i), routes.get(tech.id), orders, points, day_label(d),
                                along)
            layer.add_to(m)
        for i, tech in enumerate(day.technicians):
            mine = [r for r in plan.routes if r.technician_id == tech.id and r.stops]
            n_stops = sum(len(r.stops) for r in mine)
            legend.append((colour_of(i), f"{tech.id} {tech.name} ({n_stops} stops on {len(mine)} "
                                         f"day{'s' if len(mine) != 1 else ''})"))
    else:
        routes = {r.technician_id: r for r in plan.routes}
        for i, tech in enumerate(day.technicians):
            colour = colour_of(i)
            route = routes.get(tech.id)
            label = f"{tech.id} {tech.name} ({len(route.stops) if route else 0} stops)"
            legend.append((colour, label))
            layer = folium.FeatureGroup(name=f"<span style='color:{colour}'>&#9632;</span> {escape(label)}")
            _add_technician(layer, tech, colour, route, orders, points, roads=along)
            layer.add_to(m)

    if plan.unassigned:
        layer = folium.FeatureGroup(name=f"Unassigned ({len(plan.unassigned)})")
        for u in plan.unassigned:
            order = orders[u.order_id]
            points.append((order.lat, order.lon))
            rows = [("order", order.id), ("customer", order.customer), ("priority", order.priority.value),
                    ("unassigned", u.reason)]
            folium.CircleMarker(
                (order.lat, order.lon), radius=7, color=UNASSIGNED_COLOUR, weight=2, fill=True,
                fill_color=UNASSIGNED_COLOUR, fill_opacity=0.6,
                tooltip=escape(f"{order.id} unassigned: {u.reason}"),
                popup=folium.Popup(_table(rows), max_width=320),
            ).add_to(layer)
        layer.add_to(m)
        legend.append((UNASSIGNED_COLOUR, f"unassigned ({len(plan.unassigned)})"))

    # a handful of days stays open, one click away; a long roster folds away
    folium.LayerControl(collapsed=not multi and len(day.technicians) > 12).add_to(m)
    served = len(plan.assigned_ids())
    when = f"{plan.dates[0]} to {plan.dates[-1]} ({len(plan.dates)} days)" if multi else f"{plan.date}"
    root = m.get_root()
    assert isinstance(root, folium.Figure)  # a Map's root is always its Figure
    root.html.add_child(_legend(legend, f"Plan {when}: {served} served, {len(plan.unassigned)} unassigned"))
    if points:
        lats, lons = [p[0] for p in points], [p[1] for p in points]
        m.fit_bounds([(min(lats), min(lons)), (max(lats), max(lons))], padding=(20, 20), max_zoom=16)
    return m


def save_plan_map(day: Day, plan: Plan, path: str | Path, *, roads: RoadNetwork | None = None) -> Path:
    """Write the map as a standalone HTML file and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    plan_map(day, plan, roads=roads).save(str(path))
    return path
