"""Plan job bodies: request, re-plan, read (status, progress, then the plan), publish; the plan contract."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from api.plans.models import JobStatus
from api.technicians.schemas import Id
from api.timefields import LocalDateTime
from dispatch.policy import MAX_HORIZON_DAYS

TimeLimit = Field(default=None, gt=0, le=600, description="seconds of search; default the deployment's")
Seed = Field(default=None, ge=0, le=2**31 - 1)
SolutionLimit = Field(default=None, ge=1, le=1_000_000, description="stop after this many improving solutions")


class PlanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: dt.date
    horizon_days: int = Field(
        default=1, ge=1, le=MAX_HORIZON_DAYS,
        description="days planned: the date and the following days on which some technician works (their "
                    "work_days), this many in all; each route of the plan has its date. A re-plan plans one day")
    time_limit: float | None = TimeLimit
    seed: int | None = Seed
    solution_limit: int | None = SolutionLimit


class ReplanRequest(BaseModel):
    """Re-plan the date of a plan; `pins` first pin these orders to these technicians (as PATCH /orders does)."""

    model_config = ConfigDict(extra="forbid")

    pins: dict[Id, Id] = Field(default_factory=dict, max_length=500, description="order id -> technician id")
    at: LocalDateTime | None = Field(default=None, description="the moment of the day to re-plan from (local time on "
                                   "the plan's date): what happened by then stays; default now when now falls "
                                   "on the plan's date, else a plain re-plan of the date")
    time_limit: float | None = TimeLimit
    seed: int | None = Seed
    solution_limit: int | None = SolutionLimit


# --- the plan contract, as dispatch.plan.Plan.to_dict() writes it and a done job stores it ----------------
#
# Read back and sent as stored: every model keeps keys it does not name (a newer solver may add some), numbers
# keep their JSON type (an integer stays an integer), and a key absent from a stored plan stays absent (the
# plan routes answer with response_model_exclude_unset). The optional fields are those Plan.from_dict reads
# with a default.

Number = Annotated[int | float, WithJsonSchema({"type": "number"})]
_OPEN = ConfigDict(extra="allow")


class PlanFix(BaseModel):
    """One change that would let an order be served, or served on time (dispatch.plan.Fix)."""

    model_config = _OPEN

    kind: str = Field(description="overtime, window, skill, part, swap or tomorrow")
    technician_id: str
    position: int = Field(description="stop number on the technician's route (0: first), counted without the "
                                      "order itself and, for a swap, without the order it replaces")
    arrival: LocalDateTime
    eta: LocalDateTime = Field(description="start of service with the change")
    late_minutes: Number
    cost_delta: dict[str, Number] = Field(description="what the change adds to the objective, by part, with "
                                                      "'change' for the change itself and 'total'")
    text: str | None = Field(default=None, description="the change in a dispatcher's words")
    minutes: int | None = Field(default=None, description="overtime: the shift ends this many minutes later")
    window_start: str | None = Field(default=None, description="window: the new appointment window, HH:MM")
    window_end: str | None = None
    skill: str | None = Field(default=None, description="skill: the tag the technician would gain")
    part: str | None = Field(default=None, description="part: the part number to put in the van")
    quantity: int | None = None
    store: str | None = Field(default=None, description="part: a stock location that holds them")
    swap_order_id: str | None = Field(default=None, description="swap: the less urgent order that leaves the route")
    date: dt.date | None = Field(default=None, description="tomorrow: the day it fits")


class PlanStop(BaseModel):
    model_config = _OPEN

    order_id: str
    arrival: LocalDateTime = Field(description="arrival on site (local time, as every time of the plan)")
    start: LocalDateTime = Field(description="start of service: the arrival, or the window's start if later")
    end: LocalDateTime
    travel_km: Number = Field(description="from the previous stop, or from home")
    travel_minutes: Number
    late_minutes: Number = Field(description="past the response deadline at the start of service")
    status: str | None = Field(default=None, description="planned, or in a re-plan what the day made of it: done, "
                                                         "unresolved, in_service, on_site or en_route")
    deadline: LocalDateTime | None = Field(default=None, description="the response deadline the stop is timed "
                                         "against: created_at plus the policy's hours for its priority, or "
                                         "its customer's contract hours when tighter")
    fixes: list[PlanFix] | None = Field(default=None, description="a late stop's: the changes that would start "
                                                                  "it on time, cheapest first")
    crew: list[str] | None = Field(default=None, description="a job for several technicians: the whole crew, the "
                                   "one whose van gives the parts first; each member's route has the stop")


class Interval(BaseModel):
    start: LocalDateTime
    end: LocalDateTime


class PlanRoute(BaseModel):
    model_config = _OPEN

    technician_id: str
    date: dt.date | None = Field(default=None, description="the day of this route: one of the plan's dates")
    stops: list[PlanStop] = Field(description="in the order they are visited")
    break_: Interval | None = Field(default=None, alias="break")
    travel_km: Number = Field(description="the whole route, the drive home included")
    depart: LocalDateTime | None = Field(default=None, description="leaves home")
    back: LocalDateTime | None = Field(default=None, description="back home")
    return_km: Number | None = Field(default=None, description="the drive home from the last stop")
    return_minutes: Number | None = None


class UnassignedOrder(BaseModel):
    model_config = _OPEN

    order_id: str
    reason: str = Field(description="a sentence a dispatcher can act on")
    rule: str | None = Field(default=None, description="the rule behind it, e.g. 'required skill'")
    fixes: list[PlanFix] | None = Field(default=None, description="the changes that would let it be served, "
                                                                  "cheapest first")


class PriorityKpis(BaseModel):
    model_config = _OPEN

    orders: int
    served: int
    on_time: int
    late: int
    unserved: int


class Objective(BaseModel):
    """The weighted cost of the plan, one part per rule of the objective, and their total."""

    model_config = _OPEN

    unserved: Number
    response_deadline: Number = Field(alias="response deadline")
    travel: Number
    workload_balance: Number | None = Field(default=None, alias="workload balance")
    reassignment: Number | None = Field(default=None, description="a re-plan's visits moved to another technician")
    eta_shift: Number | None = Field(default=None, alias="eta shift",
                                     description="a re-plan's starts moved more than 15 minutes later")
    over_qualification: Number | None = Field(
        default=None, alias="over-qualification",
        description="levels technicians hold above those their orders need, times the policy's cost per level")
    preferred_technician: Number | None = Field(
        default=None, alias="preferred technician",
        description="orders served by another technician than the one their customer asked for")
    total: Number


class SolverRun(BaseModel):
    model_config = _OPEN

    status: str
    wall_time_s: Number
    solutions_found: int


class Churn(BaseModel):
    model_config = _OPEN

    reassigned: int
    shifted_over_15_min: int
    max_eta_shift_minutes: Number
    technicians_affected: int


class PlanChange(BaseModel):
    model_config = _OPEN

    order_id: str
    change: str = Field(description="added, reassigned, shifted, dropped or cancelled")
    from_technician: str | None = None
    to_technician: str | None = None
    eta_shift_minutes: Number | None = None


class TechnicianWorkload(BaseModel):
    minutes: Number = Field(description="service and driving, the drive home included (waiting, break: not work)")
    orders: int


class PlanWorkload(BaseModel):
    model_config = _OPEN

    per_technician: dict[str, TechnicianWorkload] = Field(description="technician id -> workload; idle ones at 0")
    working: int = Field(description="technicians with at least one stop")
    spread_minutes: Number = Field(description="busiest minus least busy working technician")
    max_mean_minutes: Number = Field(description="busiest over the mean of the working ones; 1.0 is even")
    spread_orders: int
    max_mean_orders: Number


class PlanKpis(BaseModel):
    model_config = _OPEN

    orders: int
    served: int
    unassigned: int
    technicians: int
    technicians_used: int
    by_priority: dict[str, PriorityKpis] = Field(description="per priority, P1 to P4")
    total_late_minutes: Number
    max_late_minutes: Number
    travel_km: Number
    travel_minutes: Number
    utilization: dict[str, Number] = Field(description="technician id -> share of the shift busy, 0 to 1")
    mean_utilization: Number
    unassigned_by_reason: dict[str, int] = Field(description="rule -> unassigned orders")
    objective: Objective
    solver: SolverRun | None = None
    churn: Churn | None = Field(default=None, description="a re-plan's, against the plan it started from")
    workload: PlanWorkload | None = Field(default=None, description="how evenly the day's work is shared")
    by_day: dict[str, PlanKpis] | None = Field(
        default=None, description="a plan of several days: each date's figures (its routes and the orders served "
                                  "that day; orders left out count in the totals only)")


class PolicyWeights(BaseModel):
    model_config = _OPEN

    unserved: dict[str, Number] = Field(description="priority -> cost of leaving an order unserved")
    late_per_minute: dict[str, Number] = Field(description="priority -> cost per minute past the deadline")
    per_km: Number
    balance_per_minute: Number | None = None


class PolicyTravel(BaseModel):
    model_config = _OPEN

    model: str
    road_factor: Number
    speed_kmh: Number


class PlanPolicy(BaseModel):
    """The solver policy the plan was made under (dispatch.domain.Policy.to_dict()); fields in its order."""

    model_config = _OPEN

    sla_hours: dict[str, Number] | None = Field(default=None, description="priority -> response deadline")
    weights: PolicyWeights | None = None
    travel: PolicyTravel | None = None
    seed: int
    time_limit: Number
    solution_limit: int | None = None
    region_orders: int | None = None
    deadline_margin_minutes: Number | None = None
    reassign_cost: Number | None = None
    shift_cost_per_minute: Number | None = None
    max_moves: int | None = None
    over_qualification_cost: Number | None = None
    preferred_technician_cost: Number | None = None
    horizon_days: int | None = Field(default=None, description="days planned together (1: the plan date alone)")


class PlanContract(BaseModel):
    """A plan: each technician's route, the orders left unassigned with the reason, KPIs and the policy."""

    model_config = _OPEN

    date: dt.date
    dates: list[dt.date] | None = Field(default=None, description="the days planned, the plan date first "
                                        "(more than one with a multi-day horizon)")
    routes: list[PlanRoute]
    unassigned: list[UnassignedOrder]
    kpis: PlanKpis
    objective: Objective
    policy: PlanPolicy
    at: LocalDateTime | None = Field(default=None, description="a re-plan's moment of the day")
    changes: list[PlanChange] | None = Field(default=None, description="a re-plan's changes to the plan before")


# --- plan jobs -------------------------------------------------------------------------------------------

class PlanRead(BaseModel):
    id: str
    date: dt.date
    status: JobStatus
    phase: str
    progress: float = Field(ge=0, le=1, description="a time-based estimate while running")
    time_limit: float
    seed: int
    solution_limit: int | None
    parent_id: str | None
    at: LocalDateTime | None = Field(default=None, description="a live re-plan's moment of the day")
    pins: dict[str, str]
    error: str | None
    created_at: LocalDateTime
    started_at: LocalDateTime | None
    finished_at: LocalDateTime | None
    published: bool
    requested_by: str | None = Field(description="who asked for the plan (full name, else user name)")
    plan: PlanContract | None = Field(description="the plan (routes, unassigned with reasons, kpis, objective, "
                                                "policy) once done")


class PlanSummary(BaseModel):
    id: str
    date: dt.date
    status: JobStatus
    created_at: LocalDateTime
    finished_at: LocalDateTime | None
    published: bool
    parent_id: str | None = Field(default=None, description="the plan this re-plan started from")
    requested_by: str | None = Field(default=None, description="who asked for the plan (full name, else user name)")


class PublishedRead(BaseModel):
    date: dt.date
    dates: list[dt.date] = Field(description="the dates this publication covers, the plan date first: each is now "
                                             "published with this plan's routes of that date")
    plan_id: str
    published_at: LocalDateTime
    version: int = Field(description="1 for the date's first publication, then one more at each")
    technicians: list[str] = Field(description="those who got a route on one of the dates")


# --- the live day: where an order fits, and putting it there ---------------------------------------------

class CrewMemberRead(BaseModel):
    """Another member of a crew placement (dispatch.live.Member): they start with the lead, at the eta."""

    technician_id: str
    position: int = Field(description="stop number on this member's whole-day route")
    arrival: LocalDateTime


class PlacementRead(BaseModel):
    """One feasible place for the order (dispatch.live.Placement)."""

    technician_id: str = Field(description="the technician; of a crew order, the lead, whose van gives the parts")
    position: int = Field(description="stop number on the technician's whole-day route, 0 the first of the day")
    arrival: LocalDateTime
    eta: LocalDateTime = Field(description="start of service")
    late_minutes: float
    cost_delta: dict[str, float] = Field(description="the cost it adds by objective part (travel, response "
                                         "deadline, eta shift, unserved: negative when serving it saves its "
                                         "unserved cost) and the total")
    added_cost: dict[str, float] = Field(description="the same as cost_delta (the engine's name)")
    bumps: str | None = Field(description="on a full route: the less urgent order it would take the place of")
    crew: list[CrewMemberRead] = Field(default=[], description="an order for several technicians: the members "
                                       "besides the lead, each at a position in their own route (empty otherwise)")


class RecommendRead(BaseModel):
    order_id: str
    at: LocalDateTime
    reason: str | None = Field(default=None, description="when there is no placement: why")
    placements: list[PlacementRead] = Field(description="cheapest first")


class AssignRequest(BaseModel):
    """Put one order on a technician's route where recommend placed it (no search)."""

    model_config = ConfigDict(extra="forbid")

    order_id: Id
    technician_id: Id
    position: int | None = Field(default=None, ge=0, le=1000,
                                 description="stop number on the route (a placement's); default its cheapest")
    at: LocalDateTime | None = Field(default=None, description="the moment of the day; default as recommend's")
    crew: list[Id] | None = Field(default=None, max_length=10,
                                  description="an order for several technicians: the other members (a placement's "
                                  "crew); default the cheapest crew with technician_id in it, lead or not")


class PartToBring(BaseModel):
    part_id: str
    name: str
    quantity: int


class CrewMember(BaseModel):
    technician_id: str
    name: str
    lead: bool = Field(description="the lead: their van gives the parts, their visit's outcome closes the order")


class StopRead(BaseModel):
    seq: int
    order_id: str
    customer_id: str
    customer_name: str
    phone: str | None
    address: str | None
    lat: float
    lon: float
    priority: str
    eta: LocalDateTime = Field(description="arrival on site")
    arrival: LocalDateTime
    start: LocalDateTime
    end: LocalDateTime
    duration_min: int
    window_start: LocalDateTime | None
    window_end: LocalDateTime | None
    travel_km: float
    travel_minutes: float
    late_minutes: float
    required_skills: list[str]
    skill_words: list[str] = Field(default_factory=list,
                                   description="the required skills in words (empty on routes published before)")
    parts: list[PartToBring]
    notes: str | None = Field(description="the job: what the customer reported, access notes")
    status: str = Field(default="planned", description="planned, or in a live re-plan what the day made of it: "
                                                       "done, unresolved, in_service, on_site or en_route")
    lead: bool = Field(default=True, description="this technician's visit speaks for the order (a one-person job, "
                                                 "or the crew's lead, who brings the parts)")
    crew: list[CrewMember] | None = Field(default=None, description="a job for several technicians: the whole "
                                          "crew, the lead first, each with the stop on their route")


class Place(BaseModel):
    lat: float
    lon: float
    address: str | None


class RouteChange(BaseModel):
    order_id: str
    change: str = Field(description="added, reassigned, shifted, dropped or cancelled")
    from_technician: str | None
    to_technician: str | None
    eta_shift_minutes: float | None


class RouteRead(BaseModel):
    """A technician's route of the published plan: ordered stops with ETAs, addresses and parts to bring."""

    date: dt.date
    plan_id: str
    version: int = Field(default=1, description="the publication of the date this route is from: 1, 2, ...")
    changes: list[RouteChange] = Field(default_factory=list, description="what changed for this technician "
                                       "against the version before (empty for version 1)")
    technician_id: str
    technician_name: str
    home: Place
    depart: LocalDateTime | None
    back: LocalDateTime | None
    break_: Interval | None = Field(alias="break")
    travel_km: float = Field(description="the whole route, the drive home included")
    travel_minutes: float
    stops: list[StopRead]
    parts_to_bring: list[PartToBring]
