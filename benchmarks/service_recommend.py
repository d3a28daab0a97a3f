"""Service benchmark (not a test): GET /api/v1/plans/{id}/recommend for an emergency on a live day.

A generated day (200 orders x 25 technicians by default) is imported into a fresh SQLite file (or PostgreSQL
with --postgres), planned (a bounded solve), published; the technicians' visits up to 10:30 are recorded as
planned through the visits service (done, and in service at 10:30); a P1 emergency is entered at 10:20. Then
the dispatcher's GET /recommend for it is timed, end to end through the app (routing, auth, reading the
day and its events from the database, building the engine's routes and matrices, ranking), in process over
ASGI (no network), one request at a time. Nothing is cached between requests.

    .venv/bin/python -m benchmarks.service_recommend --orders 200 --technicians 25 --requests 30
    .venv/bin/python -m benchmarks.service_recommend --postgres
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import pandas as pd
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text

from api.auth.models import Role, User
from api.auth.security import create_access_token
from api.config import Settings
from api.main import create_app
from api.orders import service as orders_service
from api.orders.importer import import_orders
from api.orders.models import Order
from api.orders.schemas import OrderCreate
from api.plans import days as plans_days
from api.plans import service as plans_service
from api.plans import solving
from api.plans.models import JobStatus, PlanJob
from api.technicians.importer import import_technicians
from api.visits import service as visits_service
from api.visits.schemas import VisitCreate
from dispatch.demo_days import DEFAULT_DATE, generate_day
from dispatch.io import orders_to_frame, technicians_to_frame
from dispatch.io.day_json import day_to_dict
from dispatch.policy import Policy

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SECRET = "benchmark-secret-key-" + "x" * 32


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode()


def run(*, url: str, engine_args: dict[str, object], orders: int, technicians: int, seed: int, requests: int,
        solution_limit: int) -> dict[str, object]:
    app = create_app(Settings(environment="test", database_url=url, secret_key=SECRET), engine_args=engine_args)
    with TestClient(app) as client:
        maker = app.state.sessionmaker
        day = generate_day(orders=orders, technicians=technicians, seed=seed, plan_date=DEFAULT_DATE)
        at = datetime.combine(day.date, dtime(10, 30))
        with maker() as session:
            user = User(username="disp", role=Role.dispatcher.value, hashed_password="x")
            session.add(user)
            session.commit()
            import_technicians(session, content=_csv(technicians_to_frame(day.technicians, day.date)),
                               filename="technicians.csv", plan_date=day.date, max_rows=10_000, user_id=user.id)
            import_orders(session, content=_csv(orders_to_frame(day.orders, day.date)), filename="orders.csv",
                          plan_date=day.date, max_rows=10_000)
            built = plans_days.build_day(session, day=day.date)
            policy = Policy(solution_limit=solution_limit, time_limit=60, seed=1).to_dict()
            began = time.perf_counter()
            plan = solving.solve(day_to_dict(built), policy)
            solve_s = time.perf_counter() - began
            now = datetime.combine(day.date, dtime(7, 0))
            job = PlanJob(id=str(uuid.uuid4()), date=day.date, status=JobStatus.done.value, phase="done",
                          policy=policy, pins={}, plan=plan, created_at=now, finished_at=now, deadline_at=now)
            session.add(job)
            session.commit()
            plans_service.publish(session, plan_id=job.id, user_id=user.id, now=now)
            recorded = 0
            for route in plan["routes"]:
                for s in route["stops"]:
                    start, end = datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"])
                    if start > at:
                        continue
                    visits_service.record(session, technician_id=route["technician_id"], data=VisitCreate(
                        order_id=s["order_id"], date=day.date, arrived_at=datetime.fromisoformat(s["arrival"]),
                        started_at=start, done_at=end if end <= at else None,
                        fixed_first_time=True if end <= at else None))
                    recorded += 1
            hub = day.orders[0]
            orders_service.create(session, data=OrderCreate(
                id="E-BENCH", customer_id=session.scalars(select(Order.customer_id).limit(1)).one(),
                lat=hub.lat, lon=hub.lon, priority="P1", required_skills=sorted(hub.required_skills),
                duration_min=45, created_at=at - timedelta(minutes=10)), now=at - timedelta(minutes=10))
            token = create_access_token(subject=str(user.id), role=user.role, secret_key=SECRET, minutes=60)
        headers = {"Authorization": f"Bearer {token}"}
        params = {"order_id": "E-BENCH", "at": at.isoformat(), "top": 5}
        latencies = []
        placements = 0
        for _ in range(requests):
            t0 = time.perf_counter()
            r = client.get(f"/api/v1/plans/{job.id}/recommend", params=params, headers=headers)
            latencies.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200, r.text
            placements = len(r.json()["placements"])
    latencies.sort()
    return {"orders": orders, "technicians": technicians, "visits_recorded": recorded, "solve_s": round(solve_s, 1),
            "requests": requests, "placements": placements,
            "p50_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 1),
            "max_ms": round(latencies[-1], 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=200)
    ap.add_argument("--technicians", type=int, default=25)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--requests", type=int, default=30)
    ap.add_argument("--solution-limit", type=int, default=30)
    ap.add_argument("--postgres", nargs="?", const=PG_DEFAULT, default=None, help="PostgreSQL URL (a fresh schema)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    common = dict(orders=args.orders, technicians=args.technicians, seed=args.seed, requests=args.requests,
                  solution_limit=args.solution_limit)
    if args.postgres is None:
        with tempfile.TemporaryDirectory() as tmp:
            result = run(url=f"sqlite:///{Path(tmp) / 'bench.sqlite'}", engine_args={}, **common)
    else:
        schema = f"bench_recommend_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.postgres)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            result = run(url=args.postgres, engine_args={"connect_args": {"options": f"-csearch_path={schema}"}},
                         **common)
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()
    print(result)


if __name__ == "__main__":
    main()
