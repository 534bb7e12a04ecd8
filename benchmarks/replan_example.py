"""The re-plan example: a term's changes absorbed by re-planning from the routes run today.

1. The sample is planned (the same search time per session; or ``--sample-plan PLAN.json``, a
   plan of today's sample made before), the plan exported as current routes
   (``current_routes.csv``), imported again and validated: the round trip. (The recorded
   ``tests/data/sample_plan.json.gz`` was made on an older road model and rules: it no longer
   validates, so it is not used.)
2. Seeded changes to the sample's pupils: 20 new pupils (drawn by the synthetic generator, ids
   after the last), 10 house moves (a pupil outside any sibling group given another pupil's
   postcode), 5 leavers. The changed dataset is written to ``OUT/changed/``.
3. ``replan`` of the changed data from the current routes, and a fresh plan of the changed data
   with the same search time per session; both compared with the current routes pupil by pupil.

    python -m benchmarks.replan_example --out out/replan_example --time-limit 30

writes ``OUT/replan/plan.json``, ``OUT/replan/changes.csv``, ``OUT/fresh/plan.json`` and the table
``OUT/replan_example.md`` (the committed one is ``benchmarks/results/replan_example.md``).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import os
import random
import time
from dataclasses import replace
from pathlib import Path

from optimiser.dataset.geocode import postcodes_in_authority
from optimiser.dataset.loading import load_dataset
from optimiser.domain.entities import Dataset
from optimiser.plan.changes import PupilChange, compare_by_pupil, route_journeys
from optimiser.plan.current import read_current_routes, write_current_routes
from optimiser.plan.document import load_plan
from optimiser.planner import plan_dataset
from optimiser.replan import OWN_JOURNEY, replan
from optimiser.roads.travel import build_travel
from optimiser.solver.params import SearchParameters
from optimiser.synth.cohort import draw_pupils
from optimiser.synth.generate import ISLE_OF_WIGHT, SAMPLE_DIR
from optimiser.synth.schools import read_schools_csv
from optimiser.validate.validator import validate_plan

# Kinds of change that put a pupil on another vehicle (or none).
MOVED = {"route", "vehicle_type", "operator", "no_longer_carried"}


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def apply_changes(
    rows: list[dict[str, str]], *, seed: int, new: int, moves: int, leavers: int
) -> tuple[list[dict[str, str]], dict[str, list[str]]]:
    """The pupils' rows after seeded changes, and which pupils each change touched."""
    rng = random.Random(seed)
    rows = [dict(r) for r in rows]
    ids = [r["pupil_id"] for r in rows]
    gone = set(rng.sample(ids, leavers))
    movable = [
        r for r in rows if r["pupil_id"] not in gone and not r["group"] and not r["pm_postcode"]
    ]
    movers = rng.sample(movable, moves)
    postcodes = sorted({r["postcode"] for r in rows})
    for row in movers:
        row["postcode"] = rng.choice([p for p in postcodes if p != row["postcode"]])
        if "address" in row:
            row["address"] = ""  # the old house's first lines no longer apply
    kept = [r for r in rows if r["pupil_id"] not in gone]
    for row in kept:  # nobody is kept apart from a pupil who left
        row["not_with"] = "+".join(p for p in row["not_with"].split("+") if p and p not in gone)
    schools = read_schools_csv(SAMPLE_DIR / "schools.csv")
    homes = postcodes_in_authority(ISLE_OF_WIGHT, areas=["PO"])
    drawn = draw_pupils(new, seed=seed, schools=schools, postcodes=homes)
    last = max(int(p[1:]) for p in ids)
    added = []
    for k, row in enumerate(drawn, start=1):
        row = {key: row.get(key, "") for key in rows[0]}
        row |= {"pupil_id": f"P{last + k:04d}", "group": "", "not_with": ""}
        added.append(row)
    touched = {
        "new": [r["pupil_id"] for r in added],
        "moved": [r["pupil_id"] for r in movers],
        "left": sorted(gone),
    }
    return kept + added, touched


def forced_only(change: PupilChange, gone: set[str]) -> bool:
    """Whether the only change a pupil sees is fellow passengers leaving who left the data or
    moved house: a change no plan can spare them."""
    return (
        change.changes == ("fellow_passengers",) and not change.joined and set(change.left) <= gone
    )


def riding_with(plan, pupils: set[str], gone: set[str]) -> set[str]:
    """Of ``pupils``, those on board at the same time as a pupil in ``gone`` on ``plan``'s
    routes: they see a change in fellow passengers whatever the re-plan does."""
    out: set[str] = set()
    for route in plan.routes:
        for pid, journey in route_journeys(route).items():
            if pid in pupils and journey.fellow_passengers & gone:
                out.add(pid)
    return out


def write_changed_dataset(out: Path, seed: int) -> tuple[Path, dict[str, list[str]]]:
    columns, rows = _rows(SAMPLE_DIR / "pupils.csv")
    changed, touched = apply_changes(rows, seed=seed, new=20, moves=10, leavers=5)
    folder = out / "changed"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "pupils.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(changed)
    for name in ("schools.csv", "fleet.csv"):
        (folder / name).write_bytes((SAMPLE_DIR / name).read_bytes())
    network = os.path.relpath(SAMPLE_DIR / "roads.npz", folder.resolve()).replace(os.sep, "/")
    settings = (SAMPLE_DIR / "settings.toml").read_text(encoding="utf-8")
    settings = settings.replace('network = "roads.npz"', f'network = "{network}"')
    (folder / "settings.toml").write_text(settings, encoding="utf-8")
    return folder, touched


def _without_turns(dataset: Dataset) -> Dataset:
    """``dataset`` with no price per change between morning and afternoon."""
    return replace(dataset, settings=replace(dataset.settings, continuity_per_change_pence=0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=Path("out/replan_example"))
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--sample-plan", type=Path, default=None, help="a plan of the sample")
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    # The re-plan keeps pupils on today's vehicles by its own price per change and does not plan
    # the sessions again in turns; the plans it is compared with are made without turns too, as
    # when the example was first measured.
    original = _without_turns(load_dataset(SAMPLE_DIR))
    travel0 = build_travel(original)
    params = SearchParameters(time_limit_s=args.time_limit)
    if args.sample_plan is not None:
        if args.sample_plan.suffix == ".gz":  # e.g. tests/data/sample_plan_2026_12.json.gz
            (out / "sample_plan.json").write_bytes(gzip.decompress(args.sample_plan.read_bytes()))
            args.sample_plan = out / "sample_plan.json"
        sample = load_plan(args.sample_plan)
    else:
        sample = plan_dataset(original, travel=travel0, params=params, workers=1).plan
        sample.write(out / "sample_plan.json")
    routes_csv = write_current_routes(sample, out / "current_routes.csv")
    current = read_current_routes(routes_csv, original, travel0).plan
    round_trip = validate_plan(original, travel0, current)
    current.write(out / "current_plan.json")
    print(
        f"Round trip: {len(current.routes)} routes (sample {len(sample.routes)}),"
        f" £{current.summary['cost_per_day']:,.2f} a day (sample"
        f" £{sample.summary['cost_per_day']:,.2f}), {len(round_trip)} violations"
    )

    folder, touched = write_changed_dataset(out, args.seed)
    changed = _without_turns(load_dataset(folder))
    travel = build_travel(changed)
    started = time.perf_counter()
    result = replan(changed, current, travel=travel, params=params)
    replan_s = time.perf_counter() - started
    result.plan.write((out / "replan").mkdir(exist_ok=True) or out / "replan" / "plan.json")
    (out / "replan" / "changes.csv").write_text(result.csv_text(), encoding="utf-8")
    started = time.perf_counter()
    fresh = plan_dataset(changed, travel=travel, params=params, workers=1).plan
    fresh_s = time.perf_counter() - started
    fresh.write((out / "fresh").mkdir(exist_ok=True) or out / "fresh" / "plan.json")

    touched_ids = set().union(*touched.values())
    unplaced = {u.pupil_id: u.reason for u in result.plan.unassigned}
    placed = {pid for r in result.plan.routes for pid in r.pupil_ids}
    for pid in touched["new"] + touched["moved"]:
        assert pid in placed or pid in unplaced, f"{pid} neither placed nor explained"
    stability = result.stability()
    before = {pid for r in current.routes for pid in r.pupil_ids}
    unaffected = before - touched_ids
    fresh_cmp = compare_by_pupil(current, fresh)
    fresh_changed = {c.pupil_id for c in fresh_cmp.changes}
    fresh_moved = {c.pupil_id for c in fresh_cmp.changes if MOVED & set(c.changes)}
    replan_changed = {c.change.pupil_id for c in result.changes}

    gone = set(touched["left"]) | set(touched["moved"])
    floor = riding_with(current, unaffected, gone)

    def beyond(changes: list[PupilChange]) -> set[str]:
        return {c.pupil_id for c in changes if not forced_only(c, gone)}

    def row(
        name: str,
        plan,
        changed_pupils: set[str],
        moved: set[str],
        own: set[str],
        chosen: set[str],
        seconds: float,
    ) -> str:
        s = plan.summary
        n = len(unaffected) or 1
        seen = len(unaffected & changed_pupils)
        mine = len(unaffected & own)
        extra = len(unaffected & chosen)
        return (
            f"| {name} | {s['placed']} of {s['journeys']} | {s['vehicles']} |"
            f" £{s['cost_per_day']:,.2f} ({100 * (s['cost_per_day'] / fresh_cost - 1):+.1f}%) |"
            f" {len(changed_pupils)} |"
            f" {len(unaffected - moved)} ({100 * len(unaffected - moved) / n:.1f}%) |"
            f" {mine} ({100 * mine / n:.1f}%) |"
            f" {seen} ({100 * seen / n:.1f}%) | {extra} ({100 * extra / n:.1f}%) |"
            f" {seconds:.0f} s |"
        )

    replan_moved = {c.change.pupil_id for c in result.changes if MOVED & set(c.change.changes)}
    replan_own = {c.change.pupil_id for c in result.changes if OWN_JOURNEY & set(c.change.changes)}
    fresh_own = {c.pupil_id for c in fresh_cmp.changes if OWN_JOURNEY & set(c.changes)}
    fresh_cost = fresh.summary["cost_per_day"]
    lines = [
        f"# Re-plan example (seed {args.seed}, {args.time_limit:.0f} s per session)",
        "",
        f"Sample plan exported as current routes and imported again: {len(current.routes)} routes,"
        f" £{current.summary['cost_per_day']:,.2f} a day, {len(round_trip)} violations.",
        f"Changes: {len(touched['new'])} new pupils, {len(touched['moved'])} house moves,"
        f" {len(touched['left'])} leavers; {len(unaffected)} pupils on the current routes are"
        " untouched by them.",
        "",
        "| plan | journeys placed | vehicles | cost a day (against fresh) | pupils changed |"
        " unaffected keeping their vehicle | unaffected whose own journey changes (vehicle,"
        " crew or a time) | unaffected seeing any change (fellow passengers too) |"
        " unaffected seeing any change but a leaver or mover gone | time |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        f"| current routes | {current.summary['placed']} of {current.summary['journeys']} |"
        f" {current.summary['vehicles']} | £{current.summary['cost_per_day']:,.2f} |"
        " – | – | – | – | – | – |",
        row(
            "replan",
            result.plan,
            replan_changed,
            replan_moved,
            replan_own,
            beyond([c.change for c in result.changes]),
            replan_s,
        ),
        row(
            "fresh plan",
            fresh,
            fresh_changed,
            fresh_moved,
            fresh_own,
            beyond(fresh_cmp.changes),
            fresh_s,
        ),
        "",
        "Both plans are validated (0 violations). Changes in the re-plan by reason:"
        f" {result.by_reason}. New and moved pupils not placed:"
        f" {sorted(p for p in touched['new'] + touched['moved'] if p in unplaced) or 'none'}.",
        "",
        *stability.lines(),
        "",
        f"Unaffected pupils who ride with a leaver or a pupil who moved house on the current"
        f" routes: {len(floor)} ({100 * len(floor) / (len(unaffected) or 1):.1f}%). Their fellow"
        " passengers change whatever any plan does, so this is the least share of unaffected"
        " pupils that can see some change; the last column counts the others' changes and theirs"
        " beyond that one.",
    ]
    text = "\n".join(lines) + "\n"
    (out / "replan_example.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
