"""Finding a pupil in the tiny plan of ``tests.maps.helpers``: Chloe (P003) rides AM-2 and PM-2
on Blue Line's minibus with a passenger assistant; Erin (P005) travels in the morning only."""

from __future__ import annotations

import pytest

from maps.lookup import find_pupils
from tests.maps.helpers import make_dataset, make_plan


@pytest.mark.parametrize("query", ["P003", "p003", "003", "chloe", "SMITHSON", "  chloe  "])
def test_found_by_id_or_name_fragment(query):
    found = find_pupils(make_plan(), make_dataset(), query)
    assert [m.pupil_id for m in found] == ["P003"]
    am, pm = found[0].journeys
    assert (am.session, am.route_id, am.operator, am.passenger_assistant) == (
        "AM",
        "AM-2",
        "Blue Line",
        True,
    )
    assert (pm.session, pm.route_id) == ("PM", "PM-2")
    assert am.pickup < am.set_down and pm.pickup < pm.set_down
    assert found[0].needs == ("passenger assistant",)


def test_pickup_time_is_when_the_vehicle_is_at_the_stop():
    plan = make_plan()
    route = next(r for r in plan.routes if r.route_id == "AM-2")
    stop = next(s for s in route.stops if "P003" in s.pupil_ids)
    (am, _pm) = find_pupils(plan, make_dataset(), "P003")[0].journeys
    assert am.pickup == f"{stop.arrive // 3600:02d}:{stop.arrive % 3600 // 60:02d}"


def test_exact_id_first_and_an_empty_query_finds_nothing():
    dataset = make_dataset()
    assert find_pupils(make_plan(), dataset, "P00")[0].pupil_id == "P001"
    assert find_pupils(make_plan(), dataset, "   ") == []
    assert find_pupils(make_plan(), dataset, "nobody") == []
    assert len(find_pupils(make_plan(), dataset, "P", limit=2)) == 2


def test_a_journey_not_placed_gives_its_reason():
    from optimiser.domain.entities import Session
    from optimiser.plan.document import Unassigned

    plan = make_plan()
    plan.routes = [r for r in plan.routes if r.route_id != "PM-2"]
    plan.unassigned = [Unassigned("P003", Session.PM, "no vehicle can reach in time")]
    am, pm = find_pupils(plan, make_dataset(), "P003")[0].journeys
    assert am.route_id == "AM-2"
    assert (pm.session, pm.route_id, pm.reason) == ("PM", "", "no vehicle can reach in time")
    erin = find_pupils(plan, make_dataset(), "erin")[0]
    assert erin.sessions == ("AM",) and [j.session for j in erin.journeys] == ["AM"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("OX4 5EE", ["P003"]),  # a full postcode
        ("ox45ee", ["P003"]),  # any case, without the space
        ("  ox4   5e ", ["P003"]),  # the outward code and part of the inward code
        ("OX4", ["P003", "P004"]),  # the outward code alone
        ("OX4 9ZZ", ["P004"]),  # the afternoon address's postcode
        ("OX3 3", ["P001"]),
    ],
)
def test_found_by_postcode(query, expected):
    found = find_pupils(make_plan(), make_dataset(), query)
    assert [m.pupil_id for m in found] == expected
    assert {m.matched for m in found} == {"postcode"}
    dev = find_pupils(make_plan(), make_dataset(), "OX4 6FF")[0]
    assert (dev.postcode, dev.pm_postcode) == ("OX4 6FF", "OX4 9ZZ")


def test_an_outward_code_is_not_a_prefix_of_another():
    # "OX3" must not find OX33 or OX30 addresses, nor "OX3 4" an OX34 one
    assert [m.pupil_id for m in find_pupils(make_plan(), make_dataset(), "OX3 4")] == ["P002"]
    assert find_pupils(make_plan(), make_dataset(), "OX34") == []


@pytest.mark.parametrize("query", ["S2", "s2", "hillview", "Special School", "VIEW SPEC"])
def test_found_by_school_id_or_name(query):
    found = find_pupils(make_plan(), make_dataset(), query)
    assert [m.pupil_id for m in found] == ["P003", "P004"]
    assert {m.matched for m in found} == {"school"}
    assert found[0].journeys and found[0].school == "Hillview Special School"


def test_a_school_name_needs_three_letters_and_pupils_come_first():
    assert find_pupils(make_plan(), make_dataset(), "hi") == []
    # "ada" is a pupil's name and part of no school's: found as a pupil only
    assert [m.matched for m in find_pupils(make_plan(), make_dataset(), "ada")] == ["pupil"]
