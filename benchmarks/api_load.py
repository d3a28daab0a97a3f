"""Service benchmark (not a test): route pulls per second and latency, and plan job submission latency.

Starts the service with uvicorn on localhost over PostgreSQL (a fresh schema, dropped afterwards), seeds a
generated day, solves and publishes it through the API, then drives GET /api/v1/me/route with a bounded load
generator on the same machine: a fixed number of keep-alive connections, each sending its next request when
the previous answer is in (closed loop), for a fixed duration. The generator speaks plain HTTP/1.1 over asyncio
streams (on uvloop by default) so that it takes as little CPU from the server as possible; it shares the
machine's cores with the server, which the figures include, and its CPU per request is reported. uvicorn runs
with uvloop and httptools (uvicorn[standard]). Then it measures POST /api/v1/plans (202 with a job id) one request at a time.

    .venv/bin/python -m benchmarks.api_load --workers 2 --connections 32 --seconds 15
    .venv/bin/python -m benchmarks.api_load --workers 2 --connections 16 --seconds 15 --profile prof.svg
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from api.auth.models import Role, User
from api.auth.security import create_access_token, hash_password
from api.db import make_engine, upgrade

log = logging.getLogger("benchmarks.api_load")

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SECRET = "benchmark-secret-key-" + "x" * 32
DAY = date(2026, 11, 24)


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, p: float) -> float:
        xs = sorted(self.latencies_ms)
        return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] if xs else float("nan")


async def _connection(host: str, port: int, requests: list[bytes], stop_at: float, out: LoadResult) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    i = 0
    try:
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            writer.write(requests[i % len(requests)])
            i += 1
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            out.latencies_ms.append((time.perf_counter() - t0) * 1000)
            out.requests += 1
            if status != 200:
                out.errors += 1
    finally:
        writer.close()


async def drive(host: str, port: int, requests: list[bytes], *, connections: int, seconds: float) -> LoadResult:
    out = LoadResult(0, 0, seconds, [])
    stop_at = time.perf_counter() + seconds
    start = time.perf_counter()
    await asyncio.gather(*(_connection(host, port, requests[k::connections] or requests, stop_at, out)
                           for k in range(connections)))
    out.seconds = time.perf_counter() - start
    return out


def route_request(host: str, port: int, token: str) -> bytes:
    return (f"GET /api/v1/me/route?date={DAY} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {token}\r\nAccept: application/json\r\n\r\n").encode()


def seed_users(url: str, schema: str, users: list[tuple[str, Role, str | None]]) -> dict[str, str]:
    """Users written straight into the database (name, role, technician id); returns their tokens."""
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    upgrade(engine)
    pw = hash_password("benchmark password")
    tokens: dict[str, str] = {}
    with Session(bind=engine) as session:
        rows = [User(username=n, role=r.value, technician_id=t, hashed_password=pw) for n, r, t in users]
        session.add_all(rows)
        session.commit()
        for u in rows:
            tokens[u.username] = create_access_token(subject=str(u.id), role=u.role, secret_key=SECRET, minutes=600)
    engine.dispose()
    return tokens


def seed_day(client: httpx.Client, headers: dict[str, str], *, orders: int, technicians: int, seed: int) -> list[str]:
    from dispatch.demo_days import generate_day

    day = generate_day(orders=orders, technicians=technicians, seed=seed, plan_date=DAY)
    for t in day.technicians:
        body = {"id": t.id, "name": t.name, "skills": sorted(t.skills), "home_lat": t.home_lat,
                "home_lon": t.home_lon, "shift_start": f"{t.shift_start:%H:%M}", "shift_end": f"{t.shift_end:%H:%M}",
                "work_days": [1, 2, 3, 4, 5, 6, 7]}
        if t.break_start is not None:
            body |= {"break_start": f"{t.break_start:%H:%M}", "break_end": f"{t.break_end:%H:%M}",
                     "break_minutes": t.break_minutes}
        if t.max_orders is not None:
            body["max_orders"] = t.max_orders
        r = client.post("/api/v1/technicians", json=body, headers=headers)
        r.raise_for_status()
    customer_ids = {c: f"C{k:04d}" for k, c in enumerate(sorted({o.customer for o in day.orders}), start=1)}
    for name, cid in customer_ids.items():
        client.post("/api/v1/customers", json={"id": cid, "name": name}, headers=headers).raise_for_status()
    for o in day.orders:
        body = {"id": o.id, "customer_id": customer_ids[o.customer], "lat": o.lat, "lon": o.lon, "priority": o.priority.value,
                "required_skills": sorted(o.required_skills), "duration_min": o.duration_min,
                "created_at": o.created_at.isoformat(), "address": f"{o.id} street"}
        if o.window_start is not None:
            body |= {"window_start": o.window_start.isoformat(), "window_end": o.window_end.isoformat()}  # type: ignore[union-attr]
        client.post("/api/v1/orders", json=body, headers=headers).raise_for_status()
    return [t.id for t in day.technicians]


def wait_ready(base: str, proc: subprocess.Popen[bytes], give_up_s: float = 60) -> None:
    stop = time.monotonic() + give_up_s
    while time.monotonic() < stop:
        if proc.poll() is not None:
            raise RuntimeError(f"the service exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the service did not answer /health")


def _workers(server_pid: int) -> list[str]:
    """The uvicorn worker processes (children of the server that are not multiprocessing's tracker)."""
    return subprocess.run(["pgrep", "-P", str(server_pid), "-f", "spawn_main"], capture_output=True,
                          text=True).stdout.split()


def _cpu_s(pids: list[str]) -> float:
    """CPU seconds (user + system) the processes have used: per request, it does not depend on how busy
    the shared machine is, unlike requests per second."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def _profile(server_pid: int, out: Path, seconds: float) -> subprocess.Popen[bytes] | None:
    """py-spy on one uvicorn worker (a child of the server that is not multiprocessing's tracker)."""
    children = _workers(server_pid)
    spy = Path(sys.executable).with_name("py-spy")
    if not children or not spy.exists():
        log.warning("no profile: py-spy or the worker process not found")
        return None
    return subprocess.Popen([str(spy), "record", "--pid", children[0], "--duration", str(int(seconds) - 1),
                             "--nonblocking", "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--postgres-url", default=os.environ.get("DISPATCH_TEST_POSTGRES_URL") or PG_DEFAULT)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    ap.add_argument("--connections", type=int, default=32, help="concurrent keep-alive connections")
    ap.add_argument("--seconds", type=float, default=15.0, help="duration of each load run")
    ap.add_argument("--orders", type=int, default=120)
    ap.add_argument("--technicians", type=int, default=12)
    ap.add_argument("--submissions", type=int, default=30, help="plan job submissions to time")
    # uvloop + httptools (uvicorn[standard]) cut the server's per-request CPU; "asyncio"/"h11" for comparison
    ap.add_argument("--loop", default="uvloop", choices=["uvloop", "asyncio", "auto"])
    ap.add_argument("--http", default="httptools", choices=["httptools", "h11", "auto"])
    # the generator shares the cores with the server: the cheaper it is per request, the less it takes from it
    ap.add_argument("--client-loop", default="uvloop", choices=["uvloop", "asyncio"])
    ap.add_argument("--profile", type=Path, default=None,
                    help="py-spy (if installed) records one worker during the measured run; flame graph SVG here")
    ap.add_argument("--out", type=Path, default=None, help="append a JSON line of the figures here")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)

    schema = f"dispatch_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.postgres_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    host, base = "127.0.0.1", f"http://127.0.0.1:{args.port}"
    proc = None
    try:
        # users first (the schema comes from the migrations); technicians are linked once they exist
        env = os.environ | {
            "DATABASE_URL": f"{args.postgres_url}?options=-csearch_path%3D{schema}",
            "SECRET_KEY": SECRET, "ENVIRONMENT": "production", "SOLVER_TIME_LIMIT": "10",
        }
        tokens = seed_users(args.postgres_url, schema, [("disp", Role.dispatcher, None)])
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "api.main:create_app", "--host", host,
             "--port", str(args.port), "--workers", str(args.workers), "--loop", args.loop, "--http", args.http, "--no-access-log", "--log-level", "warning"],
            env=env)
        wait_ready(base, proc)
        disp = {"Authorization": f"Bearer {tokens['disp']}"}
        with httpx.Client(base_url=base, timeout=120) as client:
            techs = seed_day(client, disp, orders=args.orders, technicians=args.technicians, seed=7)
            tokens |= seed_users(args.postgres_url, schema,
                                 [(f"tech-{t}", Role.technician, t) for t in techs])
            r = client.post("/api/v1/plans", json={"date": DAY.isoformat(), "time_limit": 10, "seed": 1},
                            headers=disp)
            r.raise_for_status()
            plan_id = r.json()["id"]
            while (body := client.get(f"/api/v1/plans/{plan_id}", headers=disp).json())["status"] in (
                    "queued", "running"):
                time.sleep(0.5)
            if body["status"] != "done":
                raise RuntimeError(f"plan {body['status']}: {body['error']}")
            client.post(f"/api/v1/plans/{plan_id}/publish", headers=disp).raise_for_status()
            served = body["plan"]["kpis"]["served"]
            sample = client.get(f"/api/v1/me/route?date={DAY}",
                                headers={"Authorization": f"Bearer {tokens[f'tech-{techs[0]}']}"})
            sample.raise_for_status()
            route_bytes = len(sample.content)

            requests = [route_request(host, args.port, tokens[f"tech-{t}"]) for t in techs]
            run: Any = asyncio.run
            if args.client_loop == "uvloop":
                import uvloop

                run = uvloop.run
            run(drive(host, args.port, requests, connections=args.connections, seconds=2))  # warm-up
            load_before = round(os.getloadavg()[0], 2)  # other work on the shared cores shows here
            spy = _profile(proc.pid, args.profile, args.seconds) if args.profile else None
            workers = _workers(proc.pid)
            server_cpu, client_cpu = _cpu_s(workers), time.process_time()
            load = run(drive(host, args.port, requests, connections=args.connections, seconds=args.seconds))
            server_cpu, client_cpu = _cpu_s(workers) - server_cpu, time.process_time() - client_cpu

            if spy is not None:
                spy.wait()
            latencies = []
            for k in range(args.submissions):
                t0 = time.perf_counter()
                r = client.post("/api/v1/plans", json={"date": DAY.isoformat(), "time_limit": 1, "seed": k},
                                headers=disp)
                latencies.append((time.perf_counter() - t0) * 1000)
                if r.status_code != 202:
                    raise RuntimeError(f"plan submission answered {r.status_code}: {r.text}")
                client.post(f"/api/v1/plans/{r.json()['id']}/cancel", headers=disp)
        figures: dict[str, Any] = {
            "when": time.strftime("%Y-%m-%d %H:%M"), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "load_avg_1m_before": load_before, "load_avg_1m_after": round(os.getloadavg()[0], 2),
            "workers": args.workers, "loop": args.loop, "http": args.http, "client_loop": args.client_loop, "connections": args.connections, "seconds": round(load.seconds, 1),
            "orders": args.orders, "technicians": args.technicians, "served": served, "route_bytes": route_bytes,
            "route_requests": load.requests, "route_errors": load.errors, "route_rps": round(load.rps, 1),
            "route_p50_ms": round(load.pct(50), 2), "route_p95_ms": round(load.pct(95), 2),
            "route_p99_ms": round(load.pct(99), 2),
            "server_cpu_ms_per_request": round(1000 * server_cpu / max(load.requests, 1), 3),
            "generator_cpu_ms_per_request": round(1000 * client_cpu / max(load.requests, 1), 3),
            "submit_n": len(latencies), "submit_p50_ms": round(statistics.median(latencies), 2),
            "submit_p95_ms": round(sorted(latencies)[int(0.95 * len(latencies)) - 1], 2),
            "submit_max_ms": round(max(latencies), 2),
        }
        log.info(json.dumps(figures, indent=2))
        if args.out is not None:
            with args.out.open("a") as f:
                f.write(json.dumps(figures) + "\n")
        return 0 if load.errors == 0 else 1
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
