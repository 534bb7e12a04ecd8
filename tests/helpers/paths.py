"""Where the tests find the repository's own files and the optional shared data beside it."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
SAMPLE = REPO / "sample_data" / "isle_of_wight"
# Tiny cuts of each public benchmark set, in the repository (see its README).
BENCH_DATA = TESTS / "data" / "bench"
# Benchmark instances and the OpenStreetMap extract live beside the checkout, in ../shared;
# the tests that need them are skipped where they are absent.
SHARED = REPO.parent / "shared"
BENCH = SHARED / "bench"
IOW_PBF = SHARED / "osm" / "isle-of-wight-latest.osm.pbf"
