"""Travel-time matrix build time: scipy's Dijkstra against networkx per-source Dijkstra.

Run from the project root::

    python benchmarks/matrix_bench.py [--sizes 100 500 1000 2000] [--seed 2026]

Points are random road nodes of the Isle of Wight sample graph moved up to a few hundred metres
(seeded), then snapped back onto the graph, so duplicates occur as they do for real addresses.
Both builders must return identical matrices. Times are CPU seconds of this process
(``time.process_time``; both builders are single-threaded), so other work on a shared machine
barely moves them; scipy's is the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing the package

from optimiser.roads.matrices import build_matrices, build_matrices_networkx  # noqa: E402
from optimiser.roads.network import load_graph  # noqa: E402

SAMPLE = ROOT / "sample_data" / "isle_of_wight" / "roads.npz"


def best_of(repeat: int, build, graph, positions) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.process_time()
        result = build(graph, positions)
        best = min(best, time.process_time() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 1000, 2000])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3, help="scipy runs per size (best kept)")
    parser.add_argument("--graph", type=Path, default=SAMPLE)
    args = parser.parse_args()

    graph = load_graph(args.graph)
    graph.routing  # noqa: B018 - build the collapsed graph once, outside the timings
    print(f"graph: {args.graph.name}, {graph.n_nodes:,} nodes, {graph.n_edges:,} edges\n")
    print("| points | distinct nodes | scipy (CPU s) | networkx (CPU s) | networkx / scipy |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    rng = np.random.default_rng(args.seed)
    for size in args.sizes:
        near = rng.integers(0, graph.n_nodes, size)
        lats = graph.node_lat[near] + rng.normal(0, 0.002, size)  # about 200 m
        lons = graph.node_lon[near] + rng.normal(0, 0.003, size)
        positions, _ = graph.snap(lats, lons)
        fast_s, fast = best_of(args.repeat, build_matrices, graph, positions)
        slow_s, slow = best_of(1, build_matrices_networkx, graph, positions)
        assert np.array_equal(fast.time_s, slow.time_s), "time matrices differ"
        assert np.array_equal(fast.distance_m, slow.distance_m), "distance matrices differ"
        distinct = len(np.unique(positions))
        print(f"| {size} | {distinct} | {fast_s:.3f} | {slow_s:.2f} | {slow_s / fast_s:.0f}x |")


if __name__ == "__main__":
    main()
