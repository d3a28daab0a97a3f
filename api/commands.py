"""The service's console commands, added to the `dispatch` executable by api/cli.py: serve, user add/list,
db backup/restore."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from api.auth.models import Role
from api.live.clock import local_now

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy.orm import Session

    from api.demo_history import HistorySeed
    from dispatch.domain import Day

DEMO_SCENARIO = "demo"
DEMO_DISPATCHER = "dispatcher"
DEMO_TECHNICIAN = "tech1"
DEMO_STOREKEEPER = "store1"
DEMO_SUPERVISOR = "supervisor"
DEMO_HISTORY_DAYS = 30

users_app = typer.Typer(no_args_is_help=True, help="Users of the service and their roles.")
db_app = typer.Typer(no_args_is_help=True, help="Backups of the embedded SQLite database (PostgreSQL: pg_dump).")


def _docs_urls(host: str, port: int) -> tuple[str, str]:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    base = f"http://{shown}:{port}"
    return f"{base}/docs", f"{base}/api/v1/openapi.json"


@dataclass(frozen=True)
class DemoSeed:
    plan_date: date
    technicians: int
    orders: int
    # (username, password, technician id or None) of each user created; passwords exist only here
    logins: tuple[tuple[str, str, str | None], ...]
    history: HistorySeed | None = None  # the past days seeded (api.demo_history), None when none were asked


ROLE_OF = {DEMO_DISPATCHER: "dispatcher", DEMO_STOREKEEPER: "storekeeper", DEMO_SUPERVISOR: "supervisor"}


def seed_demo(session: Session, *, plan_date: date, history_days: int = 0) -> DemoSeed | None:
    """The named demo scenario (technicians with stocked vans, orders, a dispatcher, a supervisor, a storekeeper
    and one technician user) in an empty database, through the same imports as the API, then `history_days`
    past days lived through the service (api.demo_history); None when the database already holds data."""
    from sqlalchemy import select

    from api.auth import service as users
    from api.auth.models import User
    from api.auth.schemas import UserCreate
    from api.orders.importer import import_orders
    from api.parts.demo import seed_demo_stock
    from api.technicians.importer import import_technicians
    from api.technicians.models import Technician
    from dispatch.demo_days import SCENARIOS, scenario
    from dispatch.io import orders_to_frame, technicians_to_frame

    if session.scalar(select(User.id).limit(1)) is not None or \
            session.scalar(select(Technician.id).limit(1)) is not None:
        return None
    day = scenario(DEMO_SCENARIO, plan_date=plan_date)
    passwords = {name: secrets.token_urlsafe(12)
                 for name in (DEMO_DISPATCHER, DEMO_TECHNICIAN, DEMO_STOREKEEPER, DEMO_SUPERVISOR)}
    dispatcher = users.create(session, data=UserCreate(username=DEMO_DISPATCHER, password=passwords[DEMO_DISPATCHER],
                                                       role=Role.dispatcher, full_name="Demo dispatcher"))

    def csv_bytes(frame: pd.DataFrame) -> bytes:
        return frame.to_csv(index=False, lineterminator="\n").encode()

    techs = import_technicians(session, content=csv_bytes(technicians_to_frame(day.technicians, day.date)),
                               filename="demo-technicians.csv", plan_date=day.date, max_rows=len(day.technicians),
                               user_id=dispatcher.id)
    order_ids, _customers = import_orders(session, content=csv_bytes(orders_to_frame(day.orders, day.date)),
                                          filename="demo-orders.csv", plan_date=day.date, max_rows=len(day.orders))
    add_demo_details(session, day=day, city=str(SCENARIOS[DEMO_SCENARIO]["city"]))
    first = techs.technician_ids[0]
    users.create(session, data=UserCreate(username=DEMO_TECHNICIAN, password=passwords[DEMO_TECHNICIAN],
                                          role=Role.technician, technician_id=first, full_name="Demo technician"))
    keeper = users.create(session, data=UserCreate(
        username=DEMO_STOREKEEPER, password=passwords[DEMO_STOREKEEPER], role=Role.storekeeper,
        full_name="Demo storekeeper"))
    supervisor = users.create(session, data=UserCreate(
        username=DEMO_SUPERVISOR, password=passwords[DEMO_SUPERVISOR], role=Role.supervisor,
        full_name="Demo supervisor"))
    seed_demo_stock(session, user_id=keeper.id)  # part names, the depot, van minimums (some below: alerts)
    history = None
    if history_days > 0:
        from api.demo_history import seed_history

        history = seed_history(session, today=day.date, days=history_days,
                               seed=int(SCENARIOS[DEMO_SCENARIO]["seed"]), dispatcher_id=dispatcher.id,
                               storekeeper_id=keeper.id, supervisor_id=supervisor.id,
                               city=str(SCENARIOS[DEMO_SCENARIO]["city"]))
    return DemoSeed(plan_date=day.date, technicians=len(techs.technician_ids), orders=len(order_ids),
                    logins=((DEMO_DISPATCHER, passwords[DEMO_DISPATCHER], None),
                            (DEMO_TECHNICIAN, passwords[DEMO_TECHNICIAN], first),
                            (DEMO_STOREKEEPER, passwords[DEMO_STOREKEEPER], None),
                            (DEMO_SUPERVISOR, passwords[DEMO_SUPERVISOR], None)),
                    history=history)


def add_demo_details(session: Session, *, day: Day, city: str) -> None:
    """What the CSV contract does not carry, for the imported orders of a generated day: street addresses,
    customer phone numbers, job descriptions (order notes) and part names, so a job card reads like a real one."""
    from sqlalchemy import select

    from api.customers.models import Customer
    from api.orders.models import Order
    from api.parts.models import Part
    from dispatch.demo_details import PART_NAMES, order_details

    details = order_details(day, city=city)
    orders = {o.id: o for o in session.scalars(select(Order).where(Order.id.in_(details)))}
    for order_id, d in details.items():
        order = orders.get(order_id)
        if order is None:
            continue
        order.address, order.notes = d.address, d.notes
        customer = session.get(Customer, order.customer_id)
        if customer is not None and customer.phone is None:  # a customer's first order gives its address
            customer.phone, customer.address = d.phone, d.address
    for part in session.scalars(select(Part).where(Part.id.in_(PART_NAMES))):
        if part.name == part.id:  # named after its code on import: give it its catalogue name
            part.name = PART_NAMES[part.id]
    session.commit()


def _seed_demo_database(database_url: str, *, zone: ZoneInfo, history_days: int = 0) -> None:
    from api.db import make_engine, make_sessionmaker, upgrade

    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with make_sessionmaker(engine)() as session:
            # the area's today, not the machine's: a server on UTC seeds Paris's day after 23:00
            seeded = seed_demo(session, plan_date=local_now(zone).date(), history_days=history_days)
    finally:
        engine.dispose()
    if seeded is None:
        typer.echo("demo: the database already holds data; nothing seeded (log in with its existing users)")
        return
    typer.echo(f"demo: scenario {DEMO_SCENARIO!r} seeded for {seeded.plan_date}: {seeded.technicians} technicians "
               f"with stocked vans, {seeded.orders} open orders")
    if seeded.history is not None and seeded.history.days:
        h = seeded.history
        typer.echo(f"demo history: {h.days} working days from {h.first} to {h.last}: {h.orders} orders, "
                   f"{h.visits} visits, {h.complaints} complaints")
    typer.echo("demo logins (passwords are shown only this once):")
    for username, password, technician in seeded.logins:
        who = f"technician {technician}" if technician else ROLE_OF.get(username, username)
        typer.echo(f"  {username} / {password}   ({who})")


def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    demo: Annotated[bool, typer.Option(help="seed an empty database with the demo scenario and its users")] = False,
    history_days: Annotated[int, typer.Option(min=0, max=400, help="with --demo: past days of history to seed "
                                                                   "(0: none)")] = DEMO_HISTORY_DAYS,
) -> None:
    """Start the HTTP service on DATABASE_URL (default: ./dispatch.sqlite, created and migrated on first start)."""
    import uvicorn

    from api.config import get_settings
    from api.main import create_app

    try:
        settings = get_settings()
    except ValueError as e:  # pydantic's ValidationError: an unsafe or malformed setting
        typer.echo(f"error: bad settings\n{e}", err=True)
        raise typer.Exit(2) from None
    docs, schema = _docs_urls(host, port)
    from sqlalchemy.engine import make_url

    typer.echo(f"database: {make_url(settings.database_url).render_as_string(hide_password=True)}")
    if demo:
        _seed_demo_database(settings.database_url, zone=settings.zone, history_days=history_days)
    typer.echo(f"OpenAPI docs: {docs}  (schema: {schema})")
    if demo:
        typer.echo(f"log in: POST {docs.removesuffix('/docs')}/api/v1/auth/token (username, password), "
                   "or the Authorize button of the docs")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@users_app.command("add")
def add_user(
    username: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[Role, typer.Option(help="what the user may do")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                                          envvar="DISPATCH_USER_PASSWORD", help="at least 8 characters")],
    technician: Annotated[str | None, typer.Option(help="technician id (required for role technician)")] = None,
    full_name: Annotated[str | None, typer.Option(help="display name")] = None,
) -> None:
    """Add a user to the database of DATABASE_URL (migrating it first if needed)."""
    from pydantic import ValidationError

    from api.auth import service
    from api.auth.schemas import UserCreate
    from api.config import get_settings
    from api.db import make_engine, make_sessionmaker, upgrade
    from api.errors import ApiError

    try:
        data = UserCreate(username=username, password=password, role=role, technician_id=technician,
                          full_name=full_name)
    except ValidationError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    engine = make_engine(get_settings().database_url)
    try:
        upgrade(engine)
        with make_sessionmaker(engine)() as session:
            user = service.create(session, data=data)
    except ApiError as e:
        typer.echo(f"error: {e.detail}", err=True)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    typer.echo(f"user {user.username} ({user.role}) added")


@users_app.command("list")
def list_users() -> None:
    """List the users with their roles."""
    from sqlalchemy import select

    from api.auth.models import User
    from api.config import get_settings
    from api.db import make_engine, make_sessionmaker, upgrade

    engine = make_engine(get_settings().database_url)
    try:
        upgrade(engine)
        with make_sessionmaker(engine)() as session:
            for u in session.scalars(select(User).order_by(User.username)):
                tech = f" technician={u.technician_id}" if u.technician_id else ""
                typer.echo(f"{u.username}\t{u.role}{tech}{'' if u.is_active else ' (inactive)'}")
    finally:
        engine.dispose()


def _database_url() -> str:
    from api.config import get_settings

    try:
        return get_settings().database_url
    except ValueError as e:  # pydantic's ValidationError: an unsafe or malformed setting
        typer.echo(f"error: bad settings\n{e}", err=True)
        raise typer.Exit(2) from None


@db_app.command("backup")
def backup_db(
    file: Annotated[Path, typer.Argument(help="the backup file to write (a new file)")],
) -> None:
    """Copy the SQLite database of DATABASE_URL to FILE: a consistent snapshot, taken while the service runs."""
    from api.backup import BackupError, backup

    try:
        copy = backup(_database_url(), file)
    except BackupError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"backup: {copy.total_rows} rows in {len(copy.rows)} tables, {copy.size_bytes} bytes, to {copy.path}")


@db_app.command("restore")
def restore_db(
    file: Annotated[Path, typer.Argument(help="a backup made by `dispatch db backup`")],
) -> None:
    """Restore FILE into the SQLite database of DATABASE_URL, which must be empty (stop the service first)."""
    from api.backup import BackupError, restore

    try:
        copy = restore(file, _database_url())
    except BackupError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"restored: {copy.total_rows} rows in {len(copy.rows)} tables from {file} into {copy.path}")
