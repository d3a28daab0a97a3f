"""A technician's published route: the served JSON (built once, at publish), and its iCalendar and GeoJSON forms."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vGeo

from api.customers.models import Customer
from api.orders.models import Order
from api.parts.models import Part
from api.technicians.models import Technician

# skill tags as a technician reads them on a job card; an unknown tag is shown as it is
TRADE_WORDS = {"hvac": "heating and air conditioning", "plumbing": "plumbing", "electrical": "electrical",
               "boiler": "boiler", "refrigeration": "refrigeration", "elevator": "lift", "escalator": "escalator"}
LANGUAGES = {"english", "french", "german", "spanish", "italian", "portuguese", "arabic", "turkish", "polish",
             "urdu", "dutch", "romanian", "russian", "chinese"}
PRIORITY_WORDS = {"P1": "P1 emergency", "P2": "P2 high", "P3": "P3 normal", "P4": "P4 low"}


def skill_words(tags: list[str]) -> list[str]:
    """["hvac", "english"] -> ["heating and air conditioning", "speaks English"]: trades first, then languages."""
    trades = [TRADE_WORDS.get(t, t.replace("_", " ").replace("-", " ")) for t in tags if t not in LANGUAGES]
    return trades + [f"speaks {t.capitalize()}" for t in tags if t in LANGUAGES]


def maps_url(lat: float, lon: float) -> str:
    """Directions to the place in Google Maps: an https link that both iOS and Android open in a maps app."""
    return "https://www.google.com/maps/dir/?" + urlencode({"api": 1, "destination": f"{lat:.6f},{lon:.6f}"})


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds")


def is_lead(stop: Mapping[str, Any], technician_id: str) -> bool:
    """Whether `technician_id`'s visit of a plan stop speaks for the order: the only technician, or the first
    of the stop's crew (whose van gives the parts)."""
    crew = stop.get("crew") or ()
    return not crew or crew[0] == technician_id


def crew_of(stop: Mapping[str, Any], names: Mapping[str, str]) -> list[dict[str, Any]] | None:
    """A crew stop's members as a technician's card shows them, the lead first; None for a one-person job."""
    crew = stop.get("crew") or ()
    if not crew:
        return None
    return [{"technician_id": t, "name": names.get(t, t), "lead": i == 0} for i, t in enumerate(crew)]


def route_body(route: Mapping[str, Any], *, plan_id: str, day: date, technician: Technician,
               orders: Mapping[str, Order], customers: Mapping[str, Customer],
               parts: Mapping[str, Part], names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The route of the plan contract with what a technician needs at each stop: address, window, parts, and
    for a crew job who else comes (`names`: technician id -> name). Only a crew's lead brings its parts."""
    stops = []
    bring: dict[str, int] = {}
    for seq, stop in enumerate(route["stops"], start=1):
        order = orders[stop["order_id"]]
        customer = customers.get(order.customer_id)
        stop_parts = [{"part_id": p, "name": parts[p].name if p in parts else p, "quantity": q}
                      for p, q in sorted(order.required_parts.items())]
        lead = is_lead(stop, technician.id)
        for p, q in order.required_parts.items() if lead else ():
            bring[p] = bring.get(p, 0) + q
        stops.append({
            "seq": seq, "order_id": order.id, "customer_id": order.customer_id,
            "customer_name": customer.name if customer is not None else order.customer_id,
            "phone": customer.phone if customer is not None else None,
            "address": order.address or (customer.address if customer is not None else None),
            "lat": order.lat, "lon": order.lon, "priority": order.priority,
            "eta": stop["arrival"], "arrival": stop["arrival"], "start": stop["start"], "end": stop["end"],
            "duration_min": order.duration_min,
            "window_start": _iso(order.window_start), "window_end": _iso(order.window_end),
            "travel_km": stop["travel_km"], "travel_minutes": stop["travel_minutes"],
            "late_minutes": stop["late_minutes"], "required_skills": list(order.required_skills),
            "skill_words": skill_words(list(order.required_skills)),
            "parts": stop_parts, "notes": order.notes,
            # a live re-plan's stops say what the day made of them (done, in_service, en_route, ...)
            "status": stop.get("status") or "planned",
            "lead": lead, "crew": crew_of(stop, names or {}),
        })
    return {
        "date": day.isoformat(), "plan_id": plan_id, "technician_id": technician.id,
        "technician_name": technician.name,
        "home": {"lat": technician.home_lat, "lon": technician.home_lon, "address": technician.home_address},
        "depart": route.get("depart"), "back": route.get("back"), "break": route.get("break"),
        "travel_km": route["travel_km"],
        "travel_minutes": round(sum(s["travel_minutes"] for s in route["stops"])
                                + float(route.get("return_minutes", 0.0)), 2),
        "stops": stops,
        "parts_to_bring": [{"part_id": p, "name": parts[p].name if p in parts else p, "quantity": q}
                           for p, q in sorted(bring.items())],
    }


def empty_route(*, plan_id: str, day: date, technician: Technician) -> dict[str, Any]:
    """The route of a technician the published plan gives nothing to do."""
    return {"date": day.isoformat(), "plan_id": plan_id, "technician_id": technician.id,
            "technician_name": technician.name,
            "home": {"lat": technician.home_lat, "lon": technician.home_lon, "address": technician.home_address},
            "depart": None, "back": None, "break": None, "travel_km": 0.0, "travel_minutes": 0.0, "stops": [],
            "parts_to_bring": []}


def event_uid(day: str, order_id: str) -> str:
    # one visit of one order on one date: a re-published plan updates the same calendar event
    return f"dispatch-{day}-{order_id}@dispatch"


def _minute(value: str, zone: ZoneInfo) -> datetime:
    # the page shows HH:MM (seconds dropped), so the calendar does too
    return datetime.fromisoformat(value).replace(second=0, microsecond=0, tzinfo=zone)


def _part_line(parts: list[dict[str, Any]]) -> str:
    # the code only when it says something the name does not
    return ", ".join(f"{p['quantity']} × {p['name']}" + (f" ({p['part_id']})" if p["name"] != p["part_id"] else "")
                     for p in parts)


def to_ics(route: Mapping[str, Any], *, published_at: datetime, zone: ZoneInfo) -> bytes:
    """RFC 5545: one VEVENT per stop, its times in the service area's zone (TZID, with its VTIMEZONE)."""
    cal = Calendar()
    cal.add("prodid", "-//Dispatch//technician route//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"Route {route['technician_name']} {route['date']}")
    cal.add("x-wr-timezone", zone.key)
    stamp = published_at.replace(tzinfo=zone).astimezone(UTC)
    count = len(route["stops"])
    for stop in route["stops"]:
        ev = Event()
        ev.add("uid", event_uid(route["date"], stop["order_id"]))
        ev.add("dtstamp", stamp)
        ev.add("dtstart", _minute(stop["start"], zone))
        ev.add("dtend", _minute(stop["end"], zone))
        ev.add("summary", f"{stop['customer_name']} · {stop['priority']} · {stop['order_id']}")
        ev.add("location", stop["address"] or f"{stop['lat']:.6f}, {stop['lon']:.6f}")
        ev.add("geo", vGeo((stop["lat"], stop["lon"])))
        lines = [f"Stop {stop['seq']} of {count}, {PRIORITY_WORDS.get(stop['priority'], stop['priority'])}, "
                 f"arrive {stop['arrival'][11:16]}"]
        if stop["notes"]:
            lines.append(f"Job: {stop['notes']}")
        words = stop.get("skill_words") or skill_words(stop["required_skills"])
        if words:
            lines.append("Needs: " + ", ".join(words))
        crew = stop.get("crew") or []
        if crew:
            others = [f"{m['name']}" + (" (lead)" if m["lead"] else "") for m in crew
                      if m["technician_id"] != route["technician_id"]]
            lines.append("Crew job with: " + ", ".join(others))
        if stop["parts"]:
            who = next((m["name"] for m in crew if m["lead"]), None) if not stop.get("lead", True) else None
            lines.append((f"Parts ({who} brings them): " if who else "Bring: ") + _part_line(stop["parts"]))
        if stop["phone"]:
            lines.append(f"Call: {stop['phone']}")
        lines.append(f"Directions: {maps_url(stop['lat'], stop['lon'])}")
        ev.add("description", "\n".join(lines))
        cal.add_component(ev)
    # the zone's rules around the route's day only, not since 1970
    day = date.fromisoformat(route["date"])
    cal.add_missing_timezones(first_date=day - timedelta(days=366), last_date=day + timedelta(days=366))
    return cal.to_ical()


def to_geojson(route: Mapping[str, Any]) -> dict[str, Any]:
    """A FeatureCollection: the route as a LineString home -> stops -> home, then a Point per stop.

    GeoJSON (RFC 7946) puts longitude first: every position is [lon, lat].
    """
    home = route["home"]
    line = [[home["lon"], home["lat"]]] + [[s["lon"], s["lat"]] for s in route["stops"]]
    features: list[dict[str, Any]] = []
    if route["stops"]:
        line.append([home["lon"], home["lat"]])
        features.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": line},
                         "properties": {"kind": "route", "technician_id": route["technician_id"],
                                        "travel_km": route["travel_km"]}})
    features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [home["lon"], home["lat"]]},
                     "properties": {"kind": "home", "technician_id": route["technician_id"]}})
    for s in route["stops"]:
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [s["lon"], s["lat"]]},
                         "properties": {"kind": "stop", "seq": s["seq"], "order_id": s["order_id"],
                                        "eta": s["eta"], "start": s["start"], "end": s["end"],
                                        "customer_name": s["customer_name"], "address": s["address"],
                                        "priority": s["priority"]}})
    return {"type": "FeatureCollection", "features": features}
