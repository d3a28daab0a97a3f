"""Named, seeded field-service days in real cities, shared by tests, notebooks, the CLI and the API.

`generate_day` draws a whole day from `numpy.random.default_rng(seed)` only, so the same arguments always give
the same Day. The day is built to look like a real dispatch morning: orders cluster in busy districts, trades
come with their typical durations and parts, older low-priority orders are close to or past their response
deadline, a few orders cannot be served by anyone (so reasons show), and there is more work than capacity.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np

from dispatch.domain import Day, Order, Priority, Technician
from dispatch.geo import haversine_km, offset

__all__ = ["CITIES", "DEFAULT_DATE", "SCENARIOS", "generate_day", "scenario"]

# The plan date used when a named scenario is asked for without one: fixed, so notebooks and tests agree.
DEFAULT_DATE = date(2026, 11, 24)


@dataclass(frozen=True)
class Hotspot:
    name: str
    lat: float
    lon: float
    weight: float  # share of the clustered orders
    spread_km: float  # standard deviation around the centre


@dataclass(frozen=True)
class City:
    name: str
    lat: float
    lon: float
    radius_km: float  # every generated point lies within this distance of (lat, lon)
    language: str  # spoken by every technician
    extra_languages: Mapping[str, float]  # share of technicians who also speak it
    hotspots: tuple[Hotspot, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    customer_kinds: tuple[str, ...]
    # Water to the east of a shoreline (lat0, lon0, lon per degree of lat): no homes or customers in the lake.
    shore: tuple[float, float, float] | None = None

    def on_land(self, lat: float, lon: float) -> bool:
        if self.shore is None:
            return True
        lat0, lon0, slope = self.shore
        return lon <= lon0 + slope * (lat - lat0)


CITIES: dict[str, City] = {
    # the centre of Helsinki, inside the OpenStreetMap extract of tests/data/osm (the road travel demo)
    "helsinki": City(
        "Helsinki", 60.1716, 24.9443, 0.45, "finnish", {"swedish": 0.30, "english": 0.50},
        (
            Hotspot("Kamppi", 60.1690, 24.9380, 3, 0.12), Hotspot("Kluuvi", 60.1720, 24.9470, 3, 0.12),
            Hotspot("Kaartinkaupunki", 60.1660, 24.9460, 2, 0.10), Hotspot("Etu-Töölö", 60.1750, 24.9400, 1, 0.12),
        ),
        ("Aino", "Eero", "Helmi", "Juhani", "Kaisa", "Lauri", "Maria", "Mikko", "Noora", "Oskari", "Sanna",
         "Timo", "Venla", "Ville", "Emma", "Johannes", "Linnea", "Matti", "Saara", "Elias"),
        ("Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen", "Koskinen",
         "Järvinen", "Lehtonen", "Lindqvist", "Saarinen", "Salminen", "Heinonen", "Niemi", "Kinnunen",
         "Turunen", "Salo", "Laitinen"),
        ("Asunto Oy", "Klinikka", "Leipomo", "Hotelli", "Lukio", "Market", "Toimisto", "Ravintola",
         "Isännöinti", "Apteekki", "Palvelutalo", "Panimo"),
    ),
    "lyon": City(
        "Lyon", 45.7578, 4.8320, 10.0, "french", {"english": 0.35, "arabic": 0.10},
        (
            Hotspot("Presqu'île", 45.7597, 4.8339, 3, 0.8), Hotspot("Part-Dieu", 45.7606, 4.8597, 3, 0.9),
            Hotspot("Villeurbanne", 45.7719, 4.8902, 2, 1.2), Hotspot("Gerland", 45.7275, 4.8319, 2, 1.0),
            Hotspot("Vaise", 45.7750, 4.8050, 1, 0.8), Hotspot("Croix-Rousse", 45.7745, 4.8320, 1, 0.7),
            Hotspot("Confluence", 45.7430, 4.8180, 1, 0.7), Hotspot("Vénissieux", 45.6975, 4.8870, 1, 1.2),
            Hotspot("Bron", 45.7380, 4.9130, 1, 1.0),
        ),
        ("Camille", "Lucas", "Léa", "Hugo", "Chloé", "Nathan", "Manon", "Karim", "Inès", "Thomas", "Sarah",
         "Julien", "Amandine", "Mehdi", "Pauline", "Antoine", "Yasmine", "Romain", "Élodie", "Maxime"),
        ("Martin", "Bernard", "Dubois", "Roux", "Fournier", "Girard", "Bonnet", "Mercier", "Lambert", "Faure",
         "Rousseau", "Blanc", "Guerin", "Muller", "Henry", "Perrin", "Morel", "Chevalier", "Benali", "Garnier"),
        ("Résidence", "Clinique", "Boulangerie", "Hôtel", "Lycée", "Supermarché", "Bureaux", "Restaurant",
         "Copropriété", "Pharmacie", "EHPAD", "Brasserie"),
    ),
    "munich": City(
        "Munich", 48.1374, 11.5755, 11.0, "german", {"english": 0.50, "turkish": 0.10},
        (
            Hotspot("Altstadt", 48.1374, 11.5755, 3, 0.8), Hotspot("Schwabing", 48.1650, 11.5860, 3, 1.1),
            Hotspot("Maxvorstadt", 48.1500, 11.5680, 2, 0.8), Hotspot("Sendling", 48.1180, 11.5400, 2, 1.0),
            Hotspot("Bogenhausen", 48.1530, 11.6180, 2, 1.1), Hotspot("Giesing", 48.1100, 11.5850, 1, 0.9),
            Hotspot("Pasing", 48.1500, 11.4610, 1, 1.0), Hotspot("Moosach", 48.1800, 11.5100, 1, 1.0),
            Hotspot("Riem", 48.1320, 11.6900, 1, 1.0),
        ),
        ("Lukas", "Anna", "Maximilian", "Sophie", "Felix", "Lena", "Jonas", "Marie", "Tobias", "Laura",
         "Emre", "Julia", "Florian", "Katharina", "Stefan", "Elif", "Andreas", "Sabine", "Markus", "Nina"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann", "Huber",
         "Bauer", "Koch", "Richter", "Klein", "Wolf", "Yilmaz", "Schröder", "Neumann", "Schwarz", "Zimmermann"),
        ("Wohnanlage", "Klinik", "Bäckerei", "Hotel", "Gymnasium", "Supermarkt", "Büro", "Gasthaus",
         "Hausverwaltung", "Apotheke", "Seniorenheim", "Brauerei"),
    ),
    "manchester": City(
        "Manchester", 53.4808, -2.2426, 10.0, "english", {"polish": 0.12, "urdu": 0.12},
        (
            Hotspot("City Centre", 53.4808, -2.2426, 3, 0.8), Hotspot("Salford Quays", 53.4710, -2.2960, 2, 0.8),
            Hotspot("Trafford Park", 53.4650, -2.3200, 2, 1.0), Hotspot("Didsbury", 53.4170, -2.2310, 1, 1.0),
            Hotspot("Ancoats", 53.4840, -2.2250, 2, 0.6), Hotspot("Old Trafford", 53.4560, -2.2880, 1, 0.8),
            Hotspot("Cheetham Hill", 53.5050, -2.2400, 1, 0.9), Hotspot("Stretford", 53.4450, -2.3100, 1, 0.9),
            Hotspot("Openshaw", 53.4750, -2.1800, 1, 1.0),
        ),
        ("Oliver", "Amelia", "Jack", "Isla", "Harry", "Ava", "Mohammed", "Emily", "George", "Sophia",
         "Noah", "Grace", "Kacper", "Olivia", "Liam", "Aisha", "Jacob", "Poppy", "Charlie", "Zara"),
        ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright",
         "Thompson", "Evans", "Walker", "Khan", "Hughes", "Nowak", "Edwards", "Green", "Hall", "Hussain"),
        ("Apartments", "Clinic", "Bakery", "Hotel", "Academy", "Supermarket", "Offices", "Restaurant",
         "Housing Association", "Pharmacy", "Care Home", "Brewery"),
    ),
    "chicago": City(
        "Chicago", 41.8800, -87.6800, 14.0, "english", {"spanish": 0.35, "polish": 0.10},
        (
            Hotspot("Loop", 41.8810, -87.6290, 3, 0.7), Hotspot("River North", 41.8920, -87.6340, 2, 0.7),
            Hotspot("West Loop", 41.8830, -87.6500, 2, 0.8), Hotspot("Lincoln Park", 41.9210, -87.6500, 2, 1.0),
            Hotspot("Pilsen", 41.8560, -87.6600, 1, 0.9), Hotspot("Bridgeport", 41.8380, -87.6510, 1, 0.9),
            Hotspot("Logan Square", 41.9230, -87.7090, 2, 1.1), Hotspot("Hyde Park", 41.7940, -87.5950, 1, 0.8),
            Hotspot("Garfield Park", 41.8810, -87.7200, 1, 1.1),
        ),
        ("James", "Maria", "Michael", "Jennifer", "David", "Patricia", "Jose", "Linda", "Robert", "Ana",
         "Daniel", "Jessica", "Carlos", "Ashley", "Kevin", "Tanya", "Marcus", "Rosa", "Brian", "Keisha"),
        ("Johnson", "Garcia", "Williams", "Rodriguez", "Brown", "Martinez", "Jones", "Kowalski", "Davis",
         "Lopez", "Miller", "Hernandez", "Wilson", "Anderson", "Jackson", "Nowak", "Thomas", "Moore", "Lee",
         "Washington"),
        ("Apartments", "Clinic", "Bakery", "Hotel", "High School", "Grocery", "Offices", "Diner", "Condo Association",
         "Pharmacy", "Senior Living", "Brewery"),
        # Lake Michigan: the shoreline runs roughly north-north-west from Hyde Park to Rogers Park.
        shore=(41.88, -87.612, -0.42),
    ),
}


@dataclass(frozen=True)
class Trade:
    weight: float  # share of the orders
    minutes: tuple[int, int, int]  # low, typical, high service time
    parts: tuple[str, ...]  # parts the orders of this trade use and its technicians carry
    related: tuple[str, ...]  # trades a technician of this one often also covers


TRADES: dict[str, Trade] = {
    "hvac": Trade(0.30, (30, 60, 150), ("FLT-100", "BLT-12", "CAP-45", "BRD-210"), ("refrigeration", "electrical")),
    "plumbing": Trade(0.18, (20, 45, 120), ("VLV-300", "PMP-75", "GSK-8"), ("boiler",)),
    "electrical": Trade(0.18, (20, 50, 150), ("BRK-16", "RLY-20", "CAP-45"), ("hvac", "elevator")),
    "boiler": Trade(0.14, (45, 75, 180), ("IGN-50", "VLV-300", "PMP-75", "BRD-210"), ("plumbing", "hvac")),
    "refrigeration": Trade(0.12, (45, 90, 180), ("CAP-45", "GSK-8", "FLT-100"), ("hvac",)),
    "elevator": Trade(0.08, (60, 100, 180), ("RLY-20", "DRL-40"), ("electrical",)),
}

# Van stock per part: (low, high) quantity, and the chance a technician of a matching trade carries it.
PARTS: dict[str, tuple[int, int, float]] = {
    "FLT-100": (4, 12, 0.9),  # air filters
    "BLT-12": (2, 4, 0.7),  # fan belts
    "CAP-45": (2, 6, 0.8),  # run capacitors
    "BRD-210": (1, 1, 0.35),  # control boards: expensive, rarely on board
    "VLV-300": (2, 5, 0.8),  # valves
    "PMP-75": (1, 1, 0.4),  # circulation pumps
    "GSK-8": (4, 10, 0.8),  # gaskets
    "BRK-16": (3, 8, 0.85),  # circuit breakers
    "RLY-20": (2, 6, 0.75),  # relays
    "IGN-50": (2, 4, 0.8),  # igniters
    "DRL-40": (2, 4, 0.7),  # elevator door rollers
}
# By design nobody has this skill or carries this part, so some orders come back with a reason.
RARE_SKILL = "escalator"
MISSING_PART = "CMP-900"  # compressors come from the central store, never from a van

PRIORITY_SHARES = {Priority.P1: 0.10, Priority.P2: 0.20, Priority.P3: 0.45, Priority.P4: 0.25}
# Total service minutes as a share of the technicians' working minutes; travel comes on top, so the day
# holds about 10-30 % more work than anyone can do.
SERVICE_LOAD = 1.0


def _counts(shares: Sequence[float], n: int) -> list[int]:
    """Largest-remainder split of n by shares, so small days still get the intended mix."""
    raw = np.asarray(shares, dtype=float) / sum(shares) * n
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]:
        counts[i] += 1
    return [int(c) for c in counts]


class _Gen:
    """One day's draws; every random number comes from `rng` in a fixed order."""

    def __init__(self, rng: np.random.Generator, city: City, plan_date: date) -> None:
        self.rng = rng
        self.city = city
        self.midnight = datetime.combine(plan_date, time())

    def at(self, hh: int, mm: int = 0, days: int = 0) -> datetime:
        return self.midnight + timedelta(days=days, hours=hh, minutes=mm)

    def pick(self, items: Sequence[Any], p: Sequence[float] | None = None) -> Any:
        probs = None if p is None else np.asarray(p, dtype=float) / sum(p)
        return items[int(self.rng.choice(len(items), p=probs))]

    def _inside(self, lat: float, lon: float) -> bool:
        c = self.city
        # a small margin keeps points inside the radius whatever distance formula a test uses
        return haversine_km(c.lat, c.lon, lat, lon) <= 0.98 * c.radius_km and c.on_land(lat, lon)

    def uniform_point(self, inner: float = 0.0) -> tuple[float, float]:
        c = self.city
        for _ in range(1000):
            r = c.radius_km * math.sqrt(self.rng.uniform(inner**2, 1.0))
            theta = self.rng.uniform(0, 2 * math.pi)
            lat, lon = offset(c.lat, c.lon, r * math.sin(theta), r * math.cos(theta))
            if self._inside(lat, lon):
                return round(lat, 6), round(lon, 6)
        return c.lat, c.lon

    def customer_point(self) -> tuple[float, float]:
        # most calls come from the busy districts, the rest from anywhere in town
        if self.rng.random() < 0.2:
            return self.uniform_point()
        spots = self.city.hotspots
        h = self.pick(spots, [s.weight for s in spots])
        for _ in range(50):
            north, east = self.rng.normal(0.0, h.spread_km, size=2)
            lat, lon = offset(h.lat, h.lon, float(north), float(east))
            if self._inside(lat, lon):
                return round(lat, 6), round(lon, 6)
        return self.uniform_point()


def _technicians(g: _Gen, n: int) -> list[Technician]:
    rng, city = g.rng, g.city
    names = list(TRADES)
    # primary trades in proportion to demand, so every trade is covered once the crew is big enough
    primaries = [t for t, k in zip(names, _counts([TRADES[t].weight for t in names], n), strict=True)
                 for _ in range(k)]
    primaries = [primaries[i] for i in rng.permutation(n)]
    width = max(3, len(str(n)))
    techs = []
    for i, primary in enumerate(primaries):
        trades = [primary]
        extra = int(g.pick([0, 1, 2], [0.35, 0.45, 0.20]))
        related = TRADES[primary].related
        trades += [related[j] for j in rng.permutation(len(related))[:extra]]
        skills = set(trades) | {city.language}
        for lang, share in city.extra_languages.items():
            if rng.random() < share:
                skills.add(lang)
        kind = g.pick(["day", "early", "late"], [0.70, 0.15, 0.15])
        start, end = {"day": (8, 17), "early": (7, 15), "late": (10, 19)}[kind]
        stock: dict[str, int] = {}
        for t in trades:
            for part in TRADES[t].parts:
                lo, hi, chance = PARTS[part]
                if part not in stock and rng.random() < chance:
                    stock[part] = int(rng.integers(lo, hi + 1))
        max_orders = int(rng.integers(4, 7)) if rng.random() < 0.25 else None
        lat, lon = g.uniform_point(inner=0.3)  # technicians live out of the centre
        techs.append(Technician(
            id=f"T{i + 1:0{width}d}",
            name=f"{g.pick(city.first_names)} {g.pick(city.last_names)}",
            skills=frozenset(skills),
            home_lat=lat, home_lon=lon,
            shift_start=g.at(start), shift_end=g.at(end),
            break_start=g.at(11, 30), break_end=g.at(14),
            break_minutes=int(g.pick([30, 45], [0.65, 0.35])),
            max_orders=max_orders,
            van_stock=stock,
        ))
    return techs


def _created_at(g: _Gen, priority: Priority) -> datetime:
    rng = g.rng
    minute = int(rng.integers(0, 60))
    if priority is Priority.P1:  # emergencies reported this morning, before and while planning
        return g.at(int(rng.integers(5, 9)), minute)
    if priority is Priority.P2:
        return g.at(int(rng.integers(0, 9)), minute)
    if priority is Priority.P3:  # mostly yesterday's calls, some older ones already past the 24 h deadline
        days = int(g.pick([0, -1, -2], [0.10, 0.75, 0.15]))
    else:  # P4: up to four days old, so a few are at or past the 72 h deadline
        days = int(g.pick([-1, -2, -3, -4], [0.30, 0.30, 0.25, 0.15]))
    hour = int(rng.integers(6, 9)) if days == 0 else int(rng.integers(7, 19))
    return g.at(hour, minute, days=days)


def _window(g: _Gen, priority: Priority) -> tuple[datetime | None, datetime | None]:
    # appointments are promised on routine visits, about a third of all orders
    chance = {Priority.P1: 0.0, Priority.P2: 0.10, Priority.P3: 0.45, Priority.P4: 0.45}[priority]
    if g.rng.random() >= chance:
        return None, None
    start = int(g.pick([8, 9, 10, 11, 12, 13, 14]))
    length = int(g.pick([2, 3, 4], [0.4, 0.35, 0.25]))
    return g.at(start), g.at(min(start + length, 17))


def _required_parts(g: _Gen, trade: str) -> dict[str, int]:
    rng = g.rng
    if rng.random() >= 0.33:
        return {}
    parts = TRADES[trade].parts
    chosen = [parts[i] for i in rng.permutation(len(parts))[: int(g.pick([1, 2], [0.8, 0.2]))]]
    # filters and gaskets go by the handful (several units on site), the rest one at a time
    return {p: int(rng.integers(1, 5)) if p in ("FLT-100", "GSK-8") else 1 for p in sorted(chosen)}


def _orders(g: _Gen, n: int, techs: Sequence[Technician]) -> list[Order]:
    rng, city = g.rng, g.city
    priorities = [p for p, k in zip(PRIORITY_SHARES, _counts(list(PRIORITY_SHARES.values()), n), strict=True)
                  for _ in range(k)]
    priorities = [priorities[i] for i in rng.permutation(n)]
    names = list(TRADES)
    weights = [TRADES[t].weight for t in names]
    special = max(1, round(0.015 * n)) if n >= 10 else 0
    # the designed impossibilities are routine work, so P1 figures measure the planning, not the data
    routine = [i for i in rng.permutation(n) if priorities[int(i)] is not Priority.P1]
    special_idx = routine[: 2 * special]
    rare_skill = {int(i) for i in special_idx[:special]}
    missing_part = {int(i) for i in special_idx[special:]}
    width = max(4, len(str(n)))

    rows: list[dict[str, Any]] = []
    for i, priority in enumerate(priorities):
        if i in rare_skill:
            trade = RARE_SKILL
        elif i in missing_part:
            trade = "refrigeration"  # a compressor swap
        else:
            trade = str(g.pick(names, weights))
        skills = {trade}
        if trade != RARE_SKILL and rng.random() < 0.05 and TRADES[trade].related:
            skills.add(str(g.pick(TRADES[trade].related)))  # a job that needs two trades
        if rng.random() < 0.08:  # the customer needs a technician who speaks their language
            langs = list(city.extra_languages)
            lang = str(g.pick(langs, [city.extra_languages[x] for x in langs]))
            # only where someone of the trade speaks it: the designed cases above are the impossible ones
            if any(skills | {lang} <= t.skills for t in techs):
                skills.add(lang)
        lo, mode, hi = TRADES[trade].minutes if trade in TRADES else (90, 150, 180)
        minutes = float(rng.triangular(lo, mode, hi))
        if i in missing_part:
            parts = {MISSING_PART: 1}
        else:
            parts = _required_parts(g, trade) if trade in TRADES else {}
        window_start, window_end = _window(g, priority)
        lat, lon = g.customer_point()
        rows.append(dict(
            id=f"O{i + 1:0{width}d}", customer=f"{g.pick(city.customer_kinds)} {g.pick(city.last_names)}",
            lat=lat, lon=lon, priority=priority, required_skills=frozenset(skills), minutes=minutes,
            created_at=_created_at(g, priority), window_start=window_start, window_end=window_end,
            required_parts=parts, pinned_technician=None,
        ))

    # scale service times so the day holds a bit more work than the crew's working minutes
    capacity = sum((t.shift_end - t.shift_start).total_seconds() / 60 - (t.break_minutes or 0) for t in techs)
    raw = sum(r["minutes"] for r in rows)
    scale = min(2.0, max(0.5, SERVICE_LOAD * capacity / raw)) if raw else 1.0
    for r in rows:
        r["duration_min"] = int(min(180, max(20, 5 * round(r.pop("minutes") * scale / 5))))

    # a very few plain visits are pinned by the dispatcher to a technician who can do them
    pins = max(1, round(0.01 * n)) if n >= 20 else 0
    for i in rng.permutation(n):
        if pins == 0:
            break
        r = rows[int(i)]
        able = [t.id for t in techs if r["required_skills"] <= t.skills]
        if r["required_parts"] or r["window_start"] or not able:
            continue
        r["pinned_technician"] = str(g.pick(able))
        pins -= 1
    return [Order(**r) for r in rows]


def generate_day(*, orders: int, technicians: int, seed: int, plan_date: date, city: str = "lyon") -> Day:
    """A realistic field-service day; the same arguments always give an identical Day."""
    if orders < 0 or technicians < 0:
        raise ValueError(f"orders {orders} and technicians {technicians} must be >= 0")
    key = city.lower()
    if key not in CITIES:
        raise ValueError(f"city {city!r} is not one of {', '.join(sorted(CITIES))}")
    g = _Gen(np.random.default_rng(seed), CITIES[key], plan_date)
    techs = _technicians(g, technicians)
    return Day(date=plan_date, technicians=tuple(techs), orders=tuple(_orders(g, orders, techs)))


SCENARIOS: dict[str, dict[str, Any]] = {
    "small": dict(orders=12, technicians=3, seed=1, city="lyon"),
    "demo": dict(orders=150, technicians=20, seed=7, city="lyon"),
    "medium": dict(orders=200, technicians=25, seed=11, city="munich"),
    "large": dict(orders=1000, technicians=100, seed=2026, city="chicago"),
}


def scenario(name: str, plan_date: date | None = None) -> Day:
    """A named scenario of SCENARIOS, on `plan_date` (default DEFAULT_DATE, so results are reproducible)."""
    if name not in SCENARIOS:
        raise ValueError(f"scenario {name!r} is not one of {', '.join(SCENARIOS)}")
    return generate_day(**SCENARIOS[name], plan_date=plan_date or DEFAULT_DATE)
