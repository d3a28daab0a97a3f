"""Deployment settings: one pydantic-settings class, read from the environment (and an optional .env file).

Solver weights and SLA hours are not here: they are checked solver parameters (dispatch.domain.Policy) that a
planner tunes; this class only holds what differs between deployments.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dispatch.policy import Policy, TravelModel

log = logging.getLogger(__name__)

PLACEHOLDER_SECRET = "changethis"

# the protocols a dask scheduler listens on (distributed.comm); an address without one means tcp
SCHEDULER_PROTOCOLS = ("tcp", "tls", "ws", "wss", "ucx")
_HOST = re.compile(r"[A-Za-z0-9._-]+|[0-9A-Fa-f:.]+")  # a name, an IPv4 address, or IPv6 inside [...]


def check_scheduler_address(value: str) -> str:
    """`value` if it reads as a dask scheduler address (`tcp://host:port`, or `host:port`), else ValueError."""
    text = value.strip()
    expected = "expected PROTOCOL://HOST:PORT such as tcp://10.0.0.5:8786"
    try:
        parts = urlsplit(text if "://" in text else f"tcp://{text}")
        port = parts.port
    except ValueError as e:
        raise ValueError(f"DISPATCH_SCHEDULER {value!r} is not a dask scheduler address ({e}); {expected}") from None
    if parts.scheme not in SCHEDULER_PROTOCOLS:
        raise ValueError(f"DISPATCH_SCHEDULER {value!r}: unknown protocol {parts.scheme!r} "
                         f"(one of {', '.join(SCHEDULER_PROTOCOLS)}); {expected}")
    if not parts.hostname or not _HOST.fullmatch(parts.hostname) or port is None or parts.path not in ("", "/") or parts.query or parts.fragment \
            or parts.username is not None:
        raise ValueError(f"DISPATCH_SCHEDULER {value!r} is not a dask scheduler address: {expected}")
    return text


OSM_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
NO_TILES = ("", "none", "off")


def check_tile_url(value: str | None) -> str | None:
    """The tile URL, or None for no street map ("none", "off" or empty); ValueError if it is not a tile URL."""
    if value is None or value.strip().lower() in NO_TILES:
        return None
    text = value.strip()
    missing = [p for p in ("{z}", "{x}", "{y}") if p not in text]
    if urlsplit(text).scheme not in ("http", "https") or missing:
        raise ValueError(f"MAP_TILE_URL {value!r} is not a tile URL: expected http(s)://... with {{z}}, {{x}} and "
                         f"{{y}} such as {OSM_TILE_URL}, or none for no street map")
    return text


def check_webhook_url(value: str | None) -> str | None:
    """The webhook URL, or None for no notifications ("none", "off" or empty); ValueError if not http(s)."""
    if value is None or value.strip().lower() in ("", "none", "off"):
        return None
    text = value.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"NOTIFY_WEBHOOK_URL {value!r} is not a webhook URL: expected http(s)://host/path, "
                         "or none for no notifications")
    return text


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_ignore_empty=True, extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    # The embedded default: a SQLite file in the working directory, created on first start.
    database_url: str = "sqlite:///./dispatch.sqlite"
    # connections one service process keeps to a server database, and how many more it may open at a peak: the
    # thread pool runs about that many requests at once. Every process (each uvicorn worker) has its own pool,
    # so workers x (size + overflow) must stay below the server's max_connections (100 by default on
    # PostgreSQL), with room for migrations, backups and the CLI; beyond it, new connections are refused (503).
    database_pool_size: int = Field(default=16, ge=1)
    database_max_overflow: int = Field(default=8, ge=0)
    # how long a request waits for a free connection before it is answered 503 with Retry-After
    database_pool_timeout: float = Field(default=30.0, gt=0)
    secret_key: str = PLACEHOLDER_SECRET
    # how long a sign-in lasts: a working shift (9 h shifts and a break), so no one is sent back to the login
    # page mid-shift
    token_hours: float = Field(default=10.0, gt=0, le=7 * 24)

    # failed logins slow down the client that sends them (its address, for one user name), never the account:
    # after login_free_failures failures, that client waits login_backoff_seconds before its next try, doubled
    # with each further failure up to login_backoff_max_seconds (429 with Retry-After meanwhile); failures older
    # than login_window_seconds are forgotten, so the back-off decays
    login_free_failures: int = Field(default=5, ge=1)
    login_backoff_seconds: int = Field(default=2, ge=1)
    login_backoff_max_seconds: int = Field(default=300, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)
    # an address guessing many user names is slowed down as a whole after this many failures over all names
    login_address_free_failures: int = Field(default=20, ge=1)

    # request limits: bodies bigger than these get 413; a CSV import holds at most import_max_rows rows
    max_body_bytes: int = Field(default=1_000_000, ge=1_000)
    max_upload_bytes: int = Field(default=10_000_000, ge=1_000)
    import_max_rows: int = Field(default=20_000, ge=1)

    solver_time_limit: float = Field(default=10.0, gt=0)
    # SOLVER_CORES: cores one plan job's search may use. Plan jobs run side by side (several users, several
    # dates), so each gets one by default; a deployment that plans one day at a time may give it more.
    solver_cores: int = Field(default=1, ge=1)
    road_factor: float = Field(default=TravelModel().road_factor, ge=1.0)
    speed_kmh: float = Field(default=TravelModel().speed_kmh, gt=0)
    # TRAVEL: `geodesic` (road_factor and speed_kmh above) or `osm:/path/region.osm.pbf`, plans on the roads of
    # that OpenStreetMap extract (dispatch.roads; prepared once, cached in DISPATCH_ROADS_CACHE)
    travel: str = "geodesic"
    max_snap_m: float = Field(default=TravelModel().max_snap_m, gt=0)

    # where plan jobs solve: separate processes keep a CPU-bound solve off the request threads (the GIL);
    # threads suit a machine that cannot spawn processes cheaply; dask runs them on a dask.distributed cluster
    # (see dispatch_scheduler). One worker solves one plan at a time.
    plan_executor: Literal["process", "thread", "dask"] = "process"
    # worker processes of a process or thread pool, or of the local dask cluster (a remote cluster has its own)
    plan_workers: int = Field(default=1, ge=1, le=64)
    # plan jobs (plans and re-plans) one user may have queued or running at once; one more gets 429
    max_plan_jobs_per_user: int = Field(default=2, ge=1, le=100)
    # the dask scheduler plan jobs run on, e.g. tcp://10.0.0.5:8786: the DISPATCH_SCHEDULER variable that the
    # CLI and the notebooks read too. Setting it means plan_executor=dask unless PLAN_EXECUTOR says otherwise
    # (then only the CLI and notebooks use it). With plan_executor=dask and no address, the service starts a
    # local cluster of plan_workers processes.
    dispatch_scheduler: str | None = Field(
        default=None, validation_alias=AliasChoices("DISPATCH_SCHEDULER", "dispatch_scheduler"))

    # the board's street map: a tile URL with {z}, {x} and {y}; OpenStreetMap's own by default (mind its tile
    # usage policy on a busy site); "none" (or an empty value) draws the routes on a blank map, for offline
    # sites and tests
    map_tile_url: str | None = OSM_TILE_URL

    # the IANA time zone of the service area: plans hold naive local times of it, and the technicians'
    # calendar files name it (TZID) so a phone set to another zone still shows the right hour
    timezone: str = "Europe/Paris"

    run_migrations_on_startup: bool = True
    # test only, refused elsewhere: each writing transaction stops before its COMMIT while this file exists
    # (api.db.hold_before_commit), so the fault tests can kill the service with the writes in flight
    test_hold_before_commit: Path | None = None

    # an Idempotency-Key is remembered this long after its first request (on the service clock); afterwards it
    # is purged and a request with it runs again as a new one (api.idempotency)
    idempotency_retention_hours: float = Field(default=24.0, gt=0, le=365 * 24)

    # the escalation watch (api.live.watch): an order is at risk when its predicted start of service passes its
    # response deadline minus escalation_margin_minutes; the watch ticks every watch_interval_seconds in one of the
    # service's workers (a lease in the database), 0 turns it off
    escalation_margin_minutes: int = Field(default=30, ge=0, le=24 * 60)
    watch_interval_seconds: float = Field(default=60.0, ge=0)

    # customer notifications (api/notify): JSON POSTs to this webhook, the integration point of an SMS or
    # e-mail provider. None (the default; "none", "off" or empty too) means nothing is generated or sent.
    notify_webhook_url: str | None = None
    # a delay notice when the predicted ETA is later than the ETA last told to the customer by more than this
    notify_delay_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # the visit is confirmed this long before its predicted ETA
    notify_confirm_minutes: int = Field(default=60, ge=1, le=24 * 60)
    # how often each service worker generates and delivers due notifications; 0 switches the loop off
    notify_interval_seconds: float = Field(default=30.0, ge=0, le=3600)
    # a failed delivery is retried after notify_retry_seconds, doubled each time up to notify_retry_max_seconds;
    # after notify_max_attempts attempts the notification is marked failed (a dispatcher may resend it)
    notify_retry_seconds: int = Field(default=30, ge=1)
    notify_retry_max_seconds: int = Field(default=3600, ge=1)
    notify_max_attempts: int = Field(default=10, ge=1, le=100)
    notify_timeout_seconds: float = Field(default=10.0, gt=0, le=300)

    # the supervisor's report (api/standards/history.py): each figure is shown against its target. Defaults from
    # DESIGN.md where it gives one (first-time fix 80 %, resolution 98 %, a score below 3 alerts), ours otherwise
    target_sla: dict[str, float] = Field(default_factory=lambda: {"P1": 0.95, "P2": 0.95, "P3": 0.90, "P4": 0.90})
    target_first_time_fix: float = Field(default=0.80, ge=0, le=1)
    target_resolution: float = Field(default=0.98, ge=0, le=1)
    # an order counts as resolved when a visit solved it within this many days of its creation
    resolution_days: int = Field(default=7, ge=1, le=365)
    target_score: float = Field(default=4.0, ge=1, le=5)
    target_low_score_share: float = Field(default=0.05, ge=0, le=1)  # share of scores below 3, at most
    target_complaint_rate: float = Field(default=0.02, ge=0, le=1)  # complaints per finished visit, at most
    target_utilization: float = Field(default=0.75, ge=0, le=1)
    # what a solved order should cost at most (labour, travel and parts); unset: the report shows no target
    target_cost_per_solved: float | None = Field(default=None, ge=0)
    # what a kilometre driven costs (fuel, wear), in the currency of part and labour costs
    travel_cost_per_km: float = Field(default=0.35, ge=0)
    # complaints (api/complaints): a first response is due within this many hours of intake, a resolution
    # within this many working days (Monday to Friday)
    complaint_response_hours: int = Field(default=24, ge=1, le=24 * 30)
    complaint_resolution_working_days: int = Field(default=3, ge=1, le=60)

    @field_validator("map_tile_url")
    @classmethod
    def _check_tile_url(cls, value: str | None) -> str | None:
        return check_tile_url(value)

    @field_validator("notify_webhook_url")
    @classmethod
    def _check_webhook_url(cls, value: str | None) -> str | None:
        return check_webhook_url(value)

    @field_validator("dispatch_scheduler")
    @classmethod
    def _check_scheduler(cls, value: str | None) -> str | None:
        return None if value is None else check_scheduler_address(value)

    @field_validator("travel")
    @classmethod
    def _check_travel(cls, value: str) -> str:
        value = value.strip()
        if value != "geodesic" and not (value.startswith("osm:") and value[4:].strip()):
            raise ValueError(f"TRAVEL {value!r} must be geodesic or osm:FILE.osm.pbf")
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"TIMEZONE {value!r} is not an IANA time zone such as Europe/Paris") from None
        return value

    @field_validator("target_sla")
    @classmethod
    def _check_target_sla(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - {"P1", "P2", "P3", "P4"})
        if unknown:
            raise ValueError(f"TARGET_SLA names unknown priorities {unknown}; expected P1..P4")
        bad = {k: v for k, v in value.items() if not 0 <= v <= 1}
        if bad:
            raise ValueError(f"TARGET_SLA shares must lie between 0 and 1: {bad}")
        return {"P1": 0.95, "P2": 0.95, "P3": 0.90, "P4": 0.90} | value

    @model_validator(mode="after")
    def _scheduler_implies_dask(self) -> Settings:
        if self.dispatch_scheduler is None:
            return self
        if "plan_executor" not in self.model_fields_set:
            self.plan_executor = "dask"
        elif self.plan_executor != "dask":
            log.warning("DISPATCH_SCHEDULER=%s is not used for plan jobs: PLAN_EXECUTOR=%s",
                        self.dispatch_scheduler, self.plan_executor)
        return self

    @model_validator(mode="after")
    def _check_login_backoff(self) -> Settings:
        if self.login_backoff_max_seconds < self.login_backoff_seconds:
            raise ValueError(f"LOGIN_BACKOFF_MAX_SECONDS ({self.login_backoff_max_seconds}) is less than "
                             f"LOGIN_BACKOFF_SECONDS ({self.login_backoff_seconds})")
        return self

    @model_validator(mode="after")
    def _check_notify_backoff(self) -> Settings:
        if self.notify_retry_max_seconds < self.notify_retry_seconds:
            raise ValueError(f"NOTIFY_RETRY_MAX_SECONDS ({self.notify_retry_max_seconds}) is less than "
                             f"NOTIFY_RETRY_SECONDS ({self.notify_retry_seconds})")
        return self

    @model_validator(mode="after")
    def _test_hooks_only_in_tests(self) -> Settings:
        if self.test_hold_before_commit is not None and self.environment != "test":
            raise ValueError(f"TEST_HOLD_BEFORE_COMMIT is a fault-test hook: set it only when ENVIRONMENT=test, "
                             f"not {self.environment}")
        return self

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.secret_key == PLACEHOLDER_SECRET:
            if self.environment not in ("development", "test"):
                raise ValueError(
                    f"SECRET_KEY is the placeholder {PLACEHOLDER_SECRET!r}; set it (e.g. `openssl rand -hex 32`) "
                    f"when ENVIRONMENT={self.environment}"
                )
            log.warning("SECRET_KEY is the placeholder %r: fine for %s, never for production",
                        PLACEHOLDER_SECRET, self.environment)
        elif len(self.secret_key) < 32 and self.environment == "production":
            raise ValueError("SECRET_KEY must be at least 32 characters when ENVIRONMENT=production")
        return self

    @property
    def token_minutes(self) -> int:
        return max(1, round(self.token_hours * 60))

    @property
    def travel_model(self) -> TravelModel:
        if self.travel.startswith("osm:"):
            return TravelModel(road_factor=self.road_factor, speed_kmh=self.speed_kmh, source="osm",
                               file=self.travel[4:].strip(), max_snap_m=self.max_snap_m)
        return TravelModel(road_factor=self.road_factor, speed_kmh=self.speed_kmh)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def policy(self) -> Policy:
        """The default solver policy of this deployment (plan requests may override parts of it)."""
        return Policy(travel=self.travel_model, time_limit=self.solver_time_limit, cores=self.solver_cores)


@lru_cache
def get_settings() -> Settings:
    return Settings()
