"""The command line off a terminal: plain help, whole lines, money never split, the problems of
a dataset in file and row order with the file named, and a run's progress as lines."""

from __future__ import annotations

import io
import re
from dataclasses import replace

import pytest
from typer.testing import CliRunner

from optimiser.domain.entities import Session
from optimiser.planner import plan_dataset
from optimiser.solver.params import SearchParameters
from optimiser.solver.progress import PHASES, ProgressEvent
from send_routes.cli import app
from send_routes.terminal import Output, ProgressDisplay, describe
from tests.helpers.worlds import pupil, school, vehicle, world
from tests.optimiser.dataset.test_loading import FLEET, PUPILS, SCHOOLS, make_dataset

ANSI = re.compile(r"\x1b\[")


@pytest.mark.parametrize("command", [[], ["plan"], ["check"], ["roads", "import"], ["map"]])
def test_help_shows_no_type_for_a_flag(command):
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output and "--help" in result.output
    assert "╭" not in result.output  # plain help, no boxes


def test_a_long_line_with_money_is_printed_whole_and_plain():
    buffer = io.StringIO()
    out = Output(file=buffer)
    line = "Cost: " + ", ".join(f"£{n:,}.50 a day for route AM-{n:03d}" for n in range(1, 9))
    out.print(f"[bold]{line}[/]")
    assert len(line) > 200
    assert buffer.getvalue() == line + "\n"  # no wrap, no colour codes inside a figure
    assert not ANSI.search(buffer.getvalue())


def test_check_lists_problems_by_file_then_row_naming_the_file(tmp_path):
    pupils = [dict(p) for p in PUPILS]
    pupils[2]["school_id"] = "S9"  # row 4: an unknown school
    pupils[1]["age"] = "twelve"  # row 3
    # row 2: a wheelchair user, and the only accessible vehicle's row is wrong (found last)
    fleet = [dict(row) for row in FLEET]
    fleet[1]["count"] = "many"
    schools = [dict(row) for row in SCHOOLS]
    schools[1]["am_arrive_by"] = "late"  # schools are read first, listed last
    folder = make_dataset(tmp_path / "bad", pupils=pupils, schools=schools, fleet=fleet)
    result = CliRunner().invoke(app, ["check", str(folder)])
    assert result.exit_code == 2
    lines = [line.strip() for line in result.output.splitlines() if line.startswith("  ")]
    where = [re.match(r"([a-z]+\.[a-z]+)(?:, row (\d+))?", line).groups() for line in lines]
    keys = [(file, int(row or 0)) for file, row in where]
    assert keys == sorted(keys), lines
    assert [file for file, _ in keys][0] == "fleet.csv" and keys[-1][0] == "schools.csv"
    assert [row for file, row in keys if file == "pupils.csv"][:3] == [2, 3, 4]
    assert any("unknown school 'S9' (not in schools.csv)" in line for line in lines), lines


def test_progress_off_a_terminal_is_a_line_per_phase_with_money_without_penalties():
    both = frozenset({Session.AM, Session.PM})
    pupils = [pupil(f"P{k}", (k - 2.5, 20), sessions=both) for k in range(6)]
    data, travel = world(pupils, [school("S1", (0, 0))], [vehicle("Car", (0, 4), count=1)])
    buffer = io.StringIO()
    display = ProgressDisplay(Output(file=buffer))
    params = SearchParameters(time_limit_s=5, solution_limit=5)
    plan_dataset(data, travel=travel, params=params, workers=1, progress=display)
    lines = buffer.getvalue().splitlines()
    shown = [line.split(":")[0].split("%  ")[1] for line in lines]
    assert shown[-1] == "done" and lines[-1].startswith("100%")
    assert [PHASES.index(p) for p in shown] == sorted(PHASES.index(p) for p in shown)
    assert {"model", "first routes", "checking"} <= set(shown)
    percents = [int(line.split("%")[0]) for line in lines]
    assert percents == sorted(percents)
    # a four-seat car takes four of six pupils each way: two journeys each way wait
    assert "4 journeys not yet placed" in lines[-1]
    money = [float(m.replace(",", "")) for m in re.findall(r"£([\d,]+\.\d\d)", buffer.getvalue())]
    assert money and max(money) < 1_000  # no £10,000,000 penalty per journey


def test_progress_off_a_terminal_shows_a_quiet_search_at_least_every_minute():
    """Heartbeats of a search that finds nothing better: a line once a minute, not every second."""
    now = [0.0]
    buffer = io.StringIO()
    display = ProgressDisplay(Output(file=buffer), clock=lambda: now[0])
    for second in range(150):
        now[0] = float(second)
        event = ProgressEvent(
            "", 0, 0, 0.0, 0.0, phase="improving", total_cost=5_000_000, wall_s=second
        )
        display(replace(event, estimate_s=300.0))
    lines = buffer.getvalue().splitlines()
    assert lines == [  # the phase at 0 s, then a quiet search at 60 s and 120 s
        f"  0%  improving: £50.00 a day so far, {s} s of about 300 s" for s in (0, 60, 120)
    ]


def test_an_event_in_words():
    event = ProgressEvent(
        "", 0, 0, 0.0, 0.0, total_cost=123_456_789, total_unplaced=1, wall_s=12.0, estimate_s=40.4
    )
    assert describe(event) == "£1,234.57 a day so far, 1 journey not yet placed, 12 s of about 40 s"
