"""Fixtures shared by the synthetic generator's tests."""

from __future__ import annotations

import pytest

from optimiser.synth.generate import SCHOOLS_CSV
from optimiser.synth.schools import read_schools_csv


@pytest.fixture(scope="module")
def schools() -> list[dict[str, str]]:
    """The committed schools.csv as rows: a few dozen schools, each line readable in the file."""
    return read_schools_csv(SCHOOLS_CSV)
