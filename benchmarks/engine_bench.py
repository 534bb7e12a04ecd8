"""Engine quality on the public Solomon, Li & Lim and Cordeau dial-a-ride benchmarks.

Run from the repository root (the benchmark files live in ``../shared/bench`` by default)::

    python -m benchmarks.engine_bench --set solomon --budget 10
    python -m benchmarks.engine_bench --set lilim --instances 'lc1*' 'lr2*' --budget 10
    python -m benchmarks.engine_bench --set solomon --instances C101,R101 --engines ours \\
        --param metaheuristic=TABU_SEARCH --out /tmp/tabu.md
    python -m benchmarks.engine_bench --set darp --budget 60

Each instance is one job; a job runs every chosen engine one after the other with the same budget,
and at most ``--workers`` jobs (default 2) run at once, so the engines share the same machine at
the same time. Our engine is ``optimiser.solver.solve.solve`` on the problem built by
``optimiser.routing.bench_readers`` — the same model and search that plan SEND transport.

Objectives: Solomon is distance only (DIMACS rule: arcs truncated to one decimal), compared with
``bks_distance_only.csv``; the double-precision distance of the same routes and their vehicle count
are also compared with the hierarchical ``bks.csv``. Li & Lim is hierarchical (vehicles first, via a
large fixed cost per vehicle), compared with ``bks.csv`` on vehicles and double-precision distance.
PyVRP (0.14 has shipments) and VROOM (shipments) run on both sets, with the same integer matrices
and, for Li & Lim, the same kind of fixed cost per vehicle. ``ours+vroom`` is our engine with
``warm_start="vroom"``: VROOM's plan (in at most half the budget) loaded as the first solution.
Cordeau's dial-a-ride set "a" (``--set darp``) has ride limits and a maximum route duration, the
shape of a SEND session, which neither PyVRP nor VROOM can express: only our engine runs on it
(distance only, compared with the proven optimal costs in ``optimal.csv``).
Every solution is checked for feasibility from the coordinates (``bench_readers.check_routes``).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from optimiser.routing import bench_readers as bm
from optimiser.solver.params import SearchParameters
from optimiser.solver.solve import solve

BENCH = Path("../shared/bench")
ENGINES = ("ours", "ours+vroom", "pyvrp", "vroom")
DEFAULT_ENGINES = ("ours", "ours+vroom", "pyvrp", "vroom")


def load(kind: str, name: str, root: Path) -> bm.Instance:
    if kind == "darp":
        return bm.read_darp(root / "darp" / name)
    if kind == "solomon":
        return bm.read_solomon(root / "solomon" / f"{name}.txt")
    return bm.read_lilim(root / "lilim" / f"{name}.txt")


def problem_for(inst: bm.Instance):
    if inst.kind == "darp":
        return bm.to_problem(inst)  # distance only, scale 1000
    if inst.kind == "solomon":
        return bm.to_problem(inst)  # distance only, DIMACS rule, scale 10
    return bm.to_problem(inst, fixed_cost=bm.HIERARCHICAL_FIXED_COST)  # scale 1000


def run_ours(inst: bm.Instance, budget: float, overrides: dict) -> list[list[int]]:
    params = SearchParameters(time_limit_s=budget, **overrides)
    return bm.routes_as_rows(solve(problem_for(inst), params))


def run_pyvrp(inst: bm.Instance, budget: float) -> list[list[int]]:
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    problem = problem_for(inst)
    m = Model()
    locs = [m.add_location(x=float(x), y=float(y)) for x, y in inst.xy]
    v0 = problem.vehicles[0]
    m.add_depot(locs[0], tw_early=v0.earliest_start_s, tw_late=v0.latest_end_s)
    m.add_vehicle_type(num_available=inst.fleet, capacity=inst.capacity, fixed_cost=v0.fixed_cost)
    clients: list[int] = []
    shipments: list[tuple[int, int]] = []
    for r in problem.requests:
        d, q = r.dropoff, r.load[bm.DIMENSION]
        if r.pickup is None:
            m.add_client(
                locs[d.row],
                delivery=q,
                service_duration=d.service_s,
                tw_early=d.earliest_s,
                tw_late=d.latest_s,
            )
            clients.append(d.row)
        else:
            p = r.pickup
            m.add_shipment(
                locs[p.row],
                locs[d.row],
                pickup_tw_early=p.earliest_s,
                pickup_tw_late=p.latest_s,
                pickup_service_duration=p.service_s,
                delivery_tw_early=d.earliest_s,
                delivery_tw_late=d.latest_s,
                delivery_service_duration=d.service_s,
                amount=q,
            )
            shipments.append((p.row, d.row))
    for a, la in enumerate(locs):
        for b, lb in enumerate(locs):
            m.add_edge(
                la, lb, distance=int(problem.distance_m[a, b]), duration=int(problem.time_s[a, b])
            )
    res = m.solve(stop=MaxRuntime(budget), seed=0, display=False)
    routes = []
    for route in res.best.routes():
        rows = []
        for act in route.schedule():
            kind = act.type.name
            if kind == "CLIENT":
                rows.append(clients[act.idx])
            elif kind in ("PICKUP", "DELIVERY"):
                rows.append(shipments[act.idx][kind == "DELIVERY"])
        routes.append(rows)
    return routes


def run_vroom(inst: bm.Instance, budget: float) -> list[list[int]]:
    import vroom

    problem = problem_for(inst)
    vi = vroom.Input()
    vi.set_durations_matrix("car", problem.time_s.astype(np.uint32))
    vi.set_costs_matrix("car", problem.distance_m.astype(np.uint32))
    v0 = problem.vehicles[0]
    fixed = 10**7 if inst.kind == "lilim" else 0  # hierarchical: above any total distance
    for k in range(inst.fleet):
        vi.add_vehicle(
            vroom.Vehicle(
                k + 1,
                start=0,
                end=0,
                capacity=[inst.capacity],
                time_window=vroom.TimeWindow(v0.earliest_start_s, v0.latest_end_s),
                costs=vroom.VehicleCosts(fixed=fixed),
            )
        )

    def tw(v):
        return [vroom.TimeWindow(v.earliest_s, v.latest_s)]

    for r in problem.requests:
        q = [r.load[bm.DIMENSION]]
        d = r.dropoff
        if r.pickup is None:
            vi.add_job(
                vroom.Job(
                    d.row,
                    d.row,
                    default_service=d.service_s,
                    delivery=vroom.Amount(q),
                    time_windows=tw(d),
                )
            )
        else:
            p = r.pickup
            vi.add_shipment(
                vroom.ShipmentStep(p.row, p.row, default_service=p.service_s, time_windows=tw(p)),
                vroom.ShipmentStep(d.row, d.row, default_service=d.service_s, time_windows=tw(d)),
                amount=vroom.Amount(q),
            )
    sol = vi.solve(exploration_level=5, nb_threads=1, timeout=timedelta(seconds=budget))
    df = sol.routes
    df = df[df["type"].isin(["job", "pickup", "delivery"])]
    return [list(g["location_index"].astype(int)) for _, g in df.groupby("vehicle_id", sort=True)]


def run_job(job: tuple) -> list[dict]:
    kind, name, root, budget, engines, overrides = job
    inst = load(kind, name, Path(root))
    out = []
    for engine in engines:
        started = time.perf_counter()
        try:
            if engine == "ours":
                routes = run_ours(inst, budget, overrides)
            elif engine == "ours+vroom":  # the same engine, started from VROOM's plan
                routes = run_ours(inst, budget, {**overrides, "warm_start": "vroom"})
            elif engine == "pyvrp":
                routes = run_pyvrp(inst, budget)
            else:
                routes = run_vroom(inst, budget)
            error = ""
        except Exception as exc:  # report and carry on with the other engines
            routes, error = [], f"{type(exc).__name__}: {exc}"
        wall = time.perf_counter() - started
        exact, dimacs = bm.route_distances(inst, routes)
        issues = bm.check_routes(inst, routes, dimacs=kind == "solomon") if routes else ["none"]
        out.append(
            {
                "instance": name,
                "engine": engine,
                "vehicles": len(routes),
                "distance": exact,
                "dimacs": dimacs,
                "wall_s": wall,
                "feasible": not issues,
                "violations": 0 if not routes else len(issues),
                "issues": issues[:3],
                "error": error,
            }
        )
    return out


def instance_names(kind: str, root: Path, patterns: list[str] | None) -> list[str]:
    folder = root / kind
    if kind == "darp":
        names = sorted(p.name for p in folder.iterdir() if re.fullmatch(r"a\d+-\d+", p.name))
        names.sort(key=lambda n: tuple(int(x) for x in n[1:].split("-")))
    else:
        names = sorted(p.stem for p in folder.glob("*.txt"))
    if not patterns:
        if kind == "lilim":  # the 100-task set by default: lc101 ... lrc208
            return [n for n in names if re.fullmatch(r"l(c|r|rc)[12]\d\d", n)]
        return names
    chosen = []
    for pat in ",".join(patterns).split(","):
        chosen += [n for n in names if fnmatch.fnmatchcase(n, pat) and n not in chosen]
    return chosen


def gap(value: float, best: float) -> float:
    return 100.0 * (value - best) / best


def _instance_rows(names, engines, by, first, cells, missing: str) -> list[str]:
    """One table row per instance: its own columns, then each engine's (or ``missing``)."""
    rows = []
    for n in names:
        row = first(n)
        for e in engines:
            r = by.get((n, e))
            row += missing if r is None or not r["feasible"] else cells(n, r)
        rows.append(row)
    return rows


def _pct(value: float) -> str:
    """A gap in % to two decimals; a cost a rounding below the optimum shows as 0.00."""
    return f"{value:.2f}".replace("-0.00", "0.00")


def render_darp(budget: float, results: list[dict], root: Path, note: str) -> str:
    """The dial-a-ride table: each instance against its optimal cost, then the means."""
    optimal = bm.read_optimal(root / "darp" / "optimal.csv")
    order = {n: k for k, n in enumerate(optimal)}
    rows = sorted(results, key=lambda r: (order.get(r["instance"], len(order)), r["engine"]))
    lines = [
        f"# darp at {budget:g} s per instance",
        "",
        f"{date.today().isoformat()}; {os.cpu_count()}-core machine; instances run side by side;",
        "timings vary with the machine's load. Cost is the exact Euclidean distance of the routes;",
        "violations are counted by bench_readers.check_routes (coverage, capacity, pairing,",
        "windows, ride limit, route duration).",
        f"Our engine: {note}.",
        "",
        "| instance | engine | vehicles offered | vehicles used | optimal | cost | gap % |"
        " violations | s |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        fleet, best = optimal[r["instance"]]
        cost = "– | –"
        if r["vehicles"]:
            cost = f"{r['distance']:.2f} | {_pct(gap(r['distance'], best))}"
        lines.append(
            f"| {r['instance']} | {r['engine']} | {fleet} | {r['vehicles']} | {best:.2f} | {cost} |"
            f" {r['violations'] if r['vehicles'] else r['error'] or 'no plan'} |"
            f" {r['wall_s']:.1f} |"
        )
    lines += [
        "",
        "| engine | instances | feasible | optimal cost reached | mean gap % (feasible) |"
        " max gap % | mean s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for e in sorted({r["engine"] for r in results}):
        rs = [r for r in results if r["engine"] == e]
        ok = [r for r in rs if r["feasible"]]
        gaps = [gap(r["distance"], optimal[r["instance"]][1]) for r in ok]
        # the optimal costs have two decimals
        reached = sum(r["distance"] <= optimal[r["instance"]][1] + 0.005 for r in ok)
        lines.append(
            f"| {e} | {len(rs)} | {len(ok)}/{len(rs)} | {reached}/{len(rs)} |"
            f" {_pct(statistics.mean(gaps)) if gaps else 'nan'} |"
            f" {_pct(max(gaps)) if gaps else 'nan'} |"
            f" {statistics.mean(r['wall_s'] for r in rs):.1f} |"
        )
    return "\n".join(lines) + "\n"


def render(kind: str, budget: float, results: list[dict], root: Path, note: str) -> str:
    if kind == "darp":
        return render_darp(budget, results, root, note)
    engines = [e for e in ENGINES if any(r["engine"] == e for r in results)]
    by = {(r["instance"], r["engine"]): r for r in results}
    names = sorted({r["instance"] for r in results}, key=lambda n: (len(n), n))
    bks = bm.read_bks(root / kind / "bks.csv")
    lines = [
        f"# {kind} at {budget:g} s per instance",
        "",
        f"{date.today().isoformat()}; {os.cpu_count()}-core machine; instances run side by side,",
        "each running the engines one after the other; timings vary with the machine's load.",
        f"Our engine: {note}.",
        "",
    ]
    if kind == "solomon":
        dimacs = bm.read_bks(root / kind / "bks_distance_only.csv")
        head = "| instance | BKS dist (DIMACS) | BKS veh/dist (hier.) |"
        sep = "| --- | ---: | ---: |"
        for e in engines:
            head += f" {e} veh | {e} dist | {e} gap % | {e} gap hier. % | {e} s |"
            sep += " ---: | ---: | ---: | ---: | ---: |"
        lines += [head, sep]
        lines += _instance_rows(
            names,
            engines,
            by,
            lambda n: f"| {n} | {dimacs[n][1]:.1f} | {bks[n][0]} / {bks[n][1]:.2f} |",
            lambda n, r: (
                f" {r['vehicles']} | {r['dimacs']:.1f} | {gap(r['dimacs'], dimacs[n][1]):.2f} |"
                f" {gap(r['distance'], bks[n][1]):.2f} | {r['wall_s']:.1f} |"
            ),
            " – | infeasible | – | – | – |",
        )
        lines += [
            "",
            "| engine | solved | mean gap % (DIMACS table) | max gap % | mean veh over hier. BKS | "
            "mean gap % hier. (distance) | mean s |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for e in engines:
            rs = [by[(n, e)] for n in names if (n, e) in by and by[(n, e)]["feasible"]]
            if not rs:
                continue
            gaps = [gap(r["dimacs"], dimacs[r["instance"]][1]) for r in rs]
            lines.append(
                f"| {e} | {len(rs)}/{len(names)} | {statistics.mean(gaps):.2f} | {max(gaps):.2f} |"
                f" {statistics.mean(r['vehicles'] - bks[r['instance']][0] for r in rs):.2f} |"
                f" {statistics.mean(gap(r['distance'], bks[r['instance']][1]) for r in rs):.2f} |"
                f" {statistics.mean(r['wall_s'] for r in rs):.1f} |"
            )
    else:
        head, sep = "| instance | BKS veh | BKS dist |", "| --- | ---: | ---: |"
        for e in engines:
            head += f" {e} veh | {e} dist | {e} gap % | {e} s |"
            sep += " ---: | ---: | ---: | ---: |"
        lines += [head, sep]
        lines += _instance_rows(
            names,
            engines,
            by,
            lambda n: f"| {n} | {bks[n][0]} | {bks[n][1]:.2f} |",
            lambda n, r: (
                f" {r['vehicles']} | {r['distance']:.2f} |"
                f" {gap(r['distance'], bks[n][1]):.2f} | {r['wall_s']:.1f} |"
            ),
            " – | infeasible | – | – |",
        )
        lines += [
            "",
            "| engine | feasible | BKS vehicles reached | mean extra veh | "
            "mean gap % where BKS vehicles reached | mean gap % all | mean s |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for e in engines:
            rs = [by[(n, e)] for n in names if (n, e) in by and by[(n, e)]["feasible"]]
            if not rs:
                continue
            same = [r for r in rs if r["vehicles"] <= bks[r["instance"]][0]]
            g_same = [gap(r["distance"], bks[r["instance"]][1]) for r in same]
            lines.append(
                f"| {e} | {len(rs)}/{len(names)} | {len(same)}/{len(names)} |"
                f" {statistics.mean(r['vehicles'] - bks[r['instance']][0] for r in rs):.2f} |"
                f" {statistics.mean(g_same) if g_same else float('nan'):.2f} |"
                f" {statistics.mean(gap(r['distance'], bks[r['instance']][1]) for r in rs):.2f} |"
                f" {statistics.mean(r['wall_s'] for r in rs):.1f} |"
            )
    bad = [r for r in results if not r["feasible"]]
    if bad:
        lines += ["", "Infeasible or failed runs:", ""]
        lines += [f"- {r['instance']} {r['engine']}: {r['error'] or r['issues']}" for r in bad]
    return "\n".join(lines) + "\n"


def parse_overrides(items: list[str]) -> dict:
    out = {}
    for item in items:
        key, _, value = item.partition("=")
        out[key] = json.loads(value) if value[:1] in "0123456789-[{tfn" else value
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--set", choices=("solomon", "lilim", "darp"), required=True)
    ap.add_argument("--instances", nargs="*", help="names or globs (comma or space separated)")
    ap.add_argument("--budget", type=float, default=10.0, help="seconds per instance and engine")
    ap.add_argument("--engines", help=f"default {','.join(DEFAULT_ENGINES)}; ours only for darp")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--param", action="append", default=[], help="SearchParameters field=value")
    ap.add_argument("--bench", type=Path, default=BENCH)
    ap.add_argument("--out", type=Path, help="default benchmarks/results/<set>_<budget>s.md")
    ap.add_argument(
        "--merge",
        type=Path,
        action="append",
        default=[],
        help="results (.json) of an earlier run of the same set and budget to include",
    )
    args = ap.parse_args(argv)
    chosen = args.engines or ("ours" if args.set == "darp" else ",".join(DEFAULT_ENGINES))
    engines = [e for e in chosen.split(",") if e]
    overrides = parse_overrides(args.param)
    names = instance_names(args.set, args.bench, args.instances)
    if not names:
        print("no instance matches", file=sys.stderr)
        return 2
    jobs = [(args.set, n, str(args.bench), args.budget, engines, overrides) for n in names]
    results: list[dict] = []
    with ProcessPoolExecutor(max_workers=min(2, args.workers)) as pool:
        for rs in pool.map(run_job, jobs):
            for r in rs:
                print(
                    f"{r['instance']:>10} {r['engine']:>6} veh {r['vehicles']:>3} "
                    f"dist {r['distance']:10.2f} dimacs {r['dimacs']:10.1f} "
                    f"{r['wall_s']:5.1f}s {'ok' if r['feasible'] else r['issues'] or r['error']}",
                    flush=True,
                )
            results += rs
    done = {(r["instance"], r["engine"]) for r in results}
    for path in args.merge:
        results += [
            r for r in json.loads(path.read_text()) if (r["instance"], r["engine"]) not in done
        ]
    defaults = SearchParameters()
    note = ", ".join(
        f"{k}={v}" for k, v in {**defaults.__dict__, **overrides}.items() if k != "time_limit_s"
    )
    text = render(args.set, args.budget, results, args.bench, note)
    out = args.out or Path("benchmarks/results") / f"{args.set}_{args.budget:g}s.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    out.with_suffix(".json").write_text(json.dumps(results, indent=1))
    print(text)
    print(f"written to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    raise SystemExit(main())
