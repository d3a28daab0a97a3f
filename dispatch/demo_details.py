"""What a technician reads on a demo job card: street addresses, customer phone numbers, job descriptions and
part names for a generated day.

Drawn from their own `numpy.random.default_rng(seed)`, after the day is made, so adding them changes nothing
in the day itself (or in any plan of it): the same day and seed always give the same details. In Lyon,
Manchester and Chicago the phone numbers come from the ranges the regulators keep for fiction (ARCEP, Ofcom,
555-01xx), so a demo never rings anyone; Munich's are made up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dispatch.demo_days import CITIES
from dispatch.domain import Day, Order
from dispatch.geo import haversine_km

__all__ = ["PART_NAMES", "OrderDetails", "order_details"]

PART_NAMES = {
    "FLT-100": "Air filter 100 mm", "BLT-12": "Fan belt 12 mm", "CAP-45": "Run capacitor 45 µF",
    "BRD-210": "Control board 210", "VLV-300": "Valve 300", "PMP-75": "Circulation pump 75 W",
    "GSK-8": "Gasket 8 mm", "BRK-16": "Circuit breaker 16 A", "RLY-20": "Relay 20 A", "IGN-50": "Igniter 50",
    "DRL-40": "Elevator door roller 40 mm", "CMP-900": "Compressor 900 W",
}

# what customers report, per trade (the first skill of an order that is a trade)
PROBLEMS = {
    "hvac": ("No heating in the offices; the unit shows a fault code.", "Air conditioning blows warm air.",
             "Yearly service of the air handling unit: filters and belts.", "Rooftop unit fan is very noisy."),
    "plumbing": ("Leak under the kitchen sink.", "Low water pressure on the upper floors.",
                 "Blocked drain in the basement.", "Dripping valve on the hot-water loop."),
    "electrical": ("Breaker trips when the ovens are on.", "Lights flicker in the corridor.",
                   "No power on two sockets in the kitchen.", "Emergency lighting failed its test."),
    "boiler": ("Boiler does not ignite: no hot water.", "Boiler loses pressure overnight.",
               "Yearly boiler service.", "Pilot flame goes out after a few minutes."),
    "refrigeration": ("Cold room at +9 °C, should be +3 °C.", "Freezer iced up; the door seal is torn.",
                      "Display fridge not cooling."),
    "elevator": ("Lift stopped between two floors (nobody inside).", "Lift door does not close fully.",
                 "Lift jerks when it starts."),
    "escalator": ("Escalator stopped after the emergency button was pressed.",),
}
COMPRESSOR = "Compressor failed on the cold room: replace it."
ACCESS = ("Ask for the caretaker at reception.", "Door code 4B12.", "Park in the courtyard.",
          "Call 15 minutes before arriving.", "Enter by the delivery door at the back.")


@dataclass(frozen=True)
class Local:
    streets: tuple[str, ...]
    # the district's postcode and town, by hotspot name; a place takes its nearest hotspot's
    districts: dict[str, tuple[str, str]]
    address: str  # format with number, street, postcode, town
    phone: str  # each # a random digit


LOCAL = {
    "lyon": Local(
        ("rue de la République", "avenue Jean Jaurès", "rue Garibaldi", "cours Lafayette", "rue Paul Bert",
         "boulevard des Belges", "rue Marietton", "avenue Berthelot", "rue Duquesne", "cours Émile Zola",
         "rue de Gerland", "rue Mercière", "avenue Lacassagne", "rue Anatole France"),
        {"Presqu'île": ("69002", "Lyon"), "Part-Dieu": ("69003", "Lyon"), "Villeurbanne": ("69100", "Villeurbanne"),
         "Gerland": ("69007", "Lyon"), "Vaise": ("69009", "Lyon"), "Croix-Rousse": ("69004", "Lyon"),
         "Confluence": ("69002", "Lyon"), "Vénissieux": ("69200", "Vénissieux"), "Bron": ("69500", "Bron")},
        "{number} {street}, {postcode} {town}", "+33 4 65 71 ## ##"),
    "munich": Local(
        ("Leopoldstraße", "Sonnenstraße", "Lindwurmstraße", "Dachauer Straße", "Rosenheimer Straße",
         "Prinzregentenstraße", "Landsberger Straße", "Schleißheimer Straße"),
        {"Altstadt": ("80331", "München"), "Schwabing": ("80802", "München"), "Maxvorstadt": ("80333", "München"),
         "Sendling": ("81369", "München"), "Bogenhausen": ("81675", "München"), "Giesing": ("81539", "München"),
         "Pasing": ("81241", "München"), "Moosach": ("80992", "München"), "Riem": ("81829", "München")},
        "{street} {number}, {postcode} {town}", "+49 89 99998 ###"),
    "manchester": Local(
        ("Deansgate", "Oxford Road", "Chapel Street", "Wilmslow Road", "Great Ancoats Street", "Cheetham Hill Road",
         "Chester Road", "Ashton Old Road"),
        {"City Centre": ("M2", "Manchester"), "Salford Quays": ("M50", "Salford"),
         "Trafford Park": ("M17", "Manchester"), "Didsbury": ("M20", "Manchester"), "Ancoats": ("M4", "Manchester"),
         "Old Trafford": ("M16", "Manchester"), "Cheetham Hill": ("M8", "Manchester"),
         "Stretford": ("M32", "Manchester"), "Openshaw": ("M11", "Manchester")},
        "{number} {street}, {town} {postcode}", "+44 161 496 0###"),
    "chicago": Local(
        ("N Clark St", "W Madison St", "S Halsted St", "N Milwaukee Ave", "W Division St", "S State St",
         "W Fullerton Ave", "S Ashland Ave"),
        {"Loop": ("60603", "Chicago"), "River North": ("60654", "Chicago"), "West Loop": ("60607", "Chicago"),
         "Lincoln Park": ("60614", "Chicago"), "Pilsen": ("60608", "Chicago"), "Bridgeport": ("60616", "Chicago"),
         "Logan Square": ("60647", "Chicago"), "Hyde Park": ("60615", "Chicago"),
         "Garfield Park": ("60624", "Chicago")},
        "{number} {street}, {town}, IL {postcode}", "+1 312 555 01##"),
}


@dataclass(frozen=True)
class OrderDetails:
    address: str
    phone: str  # the customer's
    notes: str  # the job as the customer reported it, and how to get in


def _job(order: Order, rng: np.random.Generator) -> str:
    if "CMP-900" in order.required_parts:
        problem = COMPRESSOR
    else:
        trade = next((s for s in sorted(order.required_skills) if s in PROBLEMS), None)
        options = PROBLEMS[trade] if trade else ("Inspect the installation and report.",)
        problem = options[int(rng.integers(len(options)))]
    return problem if rng.random() < 0.5 else f"{problem} {ACCESS[int(rng.integers(len(ACCESS)))]}"


def order_details(day: Day, *, city: str = "lyon", seed: int = 0) -> dict[str, OrderDetails]:
    """Per order id: an address in the district of its place, its customer's phone, the job description.

    Orders of one customer (same name) share the phone number.
    """
    key = city.lower()
    if key not in LOCAL:
        raise ValueError(f"city {city!r} is not one of {', '.join(sorted(LOCAL))}")
    local, spots = LOCAL[key], CITIES[key].hotspots
    rng = np.random.default_rng(seed)
    phones: dict[str, str] = {}
    out: dict[str, OrderDetails] = {}
    for order in day.orders:
        near = min(spots, key=lambda h: haversine_km(h.lat, h.lon, order.lat, order.lon))
        postcode, town = local.districts[near.name]
        street = local.streets[int(rng.integers(len(local.streets)))]
        address = local.address.format(number=int(rng.integers(1, 160)), street=street, postcode=postcode, town=town)
        if order.customer not in phones:
            phones[order.customer] = "".join(str(int(rng.integers(10))) if c == "#" else c for c in local.phone)
        out[order.id] = OrderDetails(address=address, phone=phones[order.customer], notes=_job(order, rng))
    return out
