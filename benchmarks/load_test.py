"""A bounded load test of the service: N clients for S seconds against 127.0.0.1, during a solve.

It starts ``send-routes serve`` on a free loopback port with an empty data folder of its own, adds
an officer, uploads a seeded synthetic cohort, plans it once (a plan to read), starts a second,
longer solve, and then runs the clients: each loops over the read endpoints (the officer's own,
the dataset, its pupils (an audited read of personal data), the job being solved, the plan, its
costs, its route sheets) as fast as the server answers. It prints one table: requests, errors,
and latency percentiles per endpoint. Any error (a status other than 200, or no answer in 30 s)
is counted, and the exit code is 1 when there was one.

    python benchmarks/load_test.py                       # 20 clients x 20 s, 120 pupils
    python benchmarks/load_test.py --clients 5 --seconds 5 --pupils 40

See benchmarks/README.md for results.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _add_officer(env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "send_routes.users", "add", "load test", "--role", "officer"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def _wait_until_up(url: str, process: subprocess.Popen, within_s: float = 60) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server stopped (exit code {process.returncode})")
        try:
            httpx.get(url + "/login", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def _wait_for_job(client: httpx.Client, job_id: int, states: tuple[str, ...]) -> dict:
    while True:
        job = client.get(f"/jobs/{job_id}").json()
        if job["status"] in states:
            return job
        time.sleep(0.5)


def _prepare(client: httpx.Client, folder: Path, pupils: int, solve_s: float) -> dict[str, str]:
    """Upload a cohort, plan it once, start a longer solve; the read endpoints to load."""
    from optimiser.synth.generate import write_isle_of_wight_dataset

    dataset = write_isle_of_wight_dataset(folder / "dataset", pupils, seed=2026)
    files = [
        ("files", (p.name, p.read_bytes(), "text/plain"))
        for p in sorted(dataset.iterdir())
        if p.name in ("pupils.csv", "schools.csv", "fleet.csv", "settings.toml")
    ]
    response = client.post("/datasets", files=files, data={"name": "load test"}, timeout=300)
    response.raise_for_status()
    dataset_id = response.json()["id"]
    first = client.post(
        f"/datasets/{dataset_id}/plans", json={"time_limit_s": 5, "solution_limit": 50}
    ).json()
    plan_id = _wait_for_job(client, first["id"], ("succeeded", "failed"))["plan_id"]
    if plan_id is None:
        raise SystemExit("the first plan failed")
    operator = client.get(f"/plans/{plan_id}").json()["operators"][0]
    solving = client.post(f"/datasets/{dataset_id}/plans", json={"time_limit_s": solve_s}).json()
    _wait_for_job(client, solving["id"], ("running",))
    return {
        "/me": "/me",
        "/datasets": "/datasets",
        "/datasets/{id}": f"/datasets/{dataset_id}",
        "/datasets/{id}/pupils": f"/datasets/{dataset_id}/pupils",
        "/jobs/{id} (solving)": f"/jobs/{solving['id']}",
        "/plans": "/plans",
        "/plans/{id}": f"/plans/{plan_id}",
        "/plans/{id}/costs": f"/plans/{plan_id}/costs",
        "/plans/{id}/sheets.csv": f"/plans/{plan_id}/sheets.csv?operator={operator}",
    }


def _client_loop(
    url: str,
    token: str,
    endpoints: dict[str, str],
    until: float,
    latencies: dict[str, list[float]],
    errors: dict[str, int],
    lock: threading.Lock,
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        while time.monotonic() < until:
            for name, path in endpoints.items():
                started = time.perf_counter()
                try:
                    ok = client.get(path).status_code == 200
                except httpx.HTTPError:
                    ok = False
                elapsed = time.perf_counter() - started
                with lock:
                    latencies[name].append(elapsed)
                    if not ok:
                        errors[name] += 1
                if time.monotonic() >= until:
                    break


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def _table(latencies: dict[str, list[float]], errors: dict[str, int], seconds: float) -> str:
    lines = [
        "| endpoint | requests | errors | req/s | p50 ms | p95 ms | p99 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, values in latencies.items():
        ms = [v * 1000 for v in values]
        lines.append(
            f"| `{name}` | {len(ms)} | {errors[name]} | {len(ms) / seconds:.1f} | "
            f"{statistics.median(ms):.0f} | {_percentile(ms, 95):.0f} | "
            f"{_percentile(ms, 99):.0f} | {max(ms):.0f} |"
        )
    every = [v * 1000 for values in latencies.values() for v in values]
    lines.append(
        f"| **all** | {len(every)} | {sum(errors.values())} | {len(every) / seconds:.1f} | "
        f"{statistics.median(every):.0f} | {_percentile(every, 95):.0f} | "
        f"{_percentile(every, 99):.0f} | {max(every):.0f} |"
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--pupils", type=int, default=120, help="size of the synthetic cohort")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="send-routes-load-") as tmp:
        folder = Path(tmp)
        env = {
            **os.environ,
            "SEND_ROUTES_DATA_DIR": str(folder / "service"),
            "SOLVER_WORKERS": "1",
            "PYTHONPATH": str(REPO),
        }
        env.pop("DATABASE_URL", None)
        token = _add_officer(env)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "-m", "send_routes.serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_until_up(url, server)
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
                solve_s = args.seconds + 60  # the solve outlasts the load
                endpoints = _prepare(client, folder, args.pupils, solve_s)
            latencies: dict[str, list[float]] = {name: [] for name in endpoints}
            errors: dict[str, int] = defaultdict(int)
            lock = threading.Lock()
            until = time.monotonic() + args.seconds
            clients = [
                threading.Thread(
                    target=_client_loop,
                    args=(url, token, endpoints, until, latencies, errors, lock),
                )
                for _ in range(args.clients)
            ]
            for thread in clients:
                thread.start()
            for thread in clients:
                thread.join()
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(
        f"{args.clients} clients x {args.seconds:g} s against {url}, during a solve "
        f"({args.pupils} pupils, SQLite, one solver process)\n"
    )
    print(_table(latencies, errors, args.seconds))
    return 1 if sum(errors.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
