"""Plausible legs: no leg of a route may be faster, as the crow flies, than a vehicle can drive.

Whatever the travel matrices say, a vehicle cannot cover the straight line between two stops
faster than the UK national speed limit. For each pair of consecutive stops at different points,
the great-circle distance is divided by the scheduled travel time (arrival at the next stop minus
departure from the previous); a leg is *implausible* when that straight-line speed is above
:data:`MAX_LEG_SPEED_KPH` (70 mph), or when stops more than :data:`SAME_POINT_M` apart are 0 s
apart. Such a leg points at travel data that put two different places at one point of the road,
or at a hand-edited time. A leg whose time runs backwards is a timing error, reported elsewhere.
"""

from __future__ import annotations

import math

from optimiser.plan.document import Route, Stop
from optimiser.validate.route_checks import TIME_TOL_S, Violation, stop_label

#: The UK national speed limit, 70 mph, in km/h: no leg's straight-line speed may be above it.
MAX_LEG_SPEED_KPH = 113.0
#: Stops closer than this, in metres, count as one point (0 s between them is fine).
SAME_POINT_M = 5.0
_EARTH_RADIUS_M = 6_371_009.0


def straight_line_m(a: Stop, b: Stop) -> float:
    """Great-circle distance between two stops, in metres."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(math.sqrt(min(h, 1.0)))


def check_leg_speeds(route: Route, out: list[Violation]) -> None:
    """Report each leg of a route that is implausibly fast, as cause ``implausible_leg``.

    Parameters
    ----------
    route : Route
        The route; legs without a departure or an arrival time are skipped (the timing checks
        report those).
    out : list of Violation
        Violations are appended here.
    """
    stops = route.stops
    for i in range(len(stops) - 1):
        a, b = stops[i], stops[i + 1]
        if a.depart is None or b.arrive is None:
            continue
        metres = straight_line_m(a, b)
        elapsed_s = b.arrive - a.depart
        if metres <= SAME_POINT_M or elapsed_s < 0:
            continue
        # times are whole seconds: allow the rounding before calling a leg too fast
        too_fast = metres / (elapsed_s + TIME_TOL_S) * 3.6 > MAX_LEG_SPEED_KPH
        if elapsed_s > 0 and not too_fast:
            continue
        speed = "an instant" if elapsed_s == 0 else f"{metres / elapsed_s * 3.6:.0f} km/h"
        message = (
            f"route {route.route_id} goes from {stop_label(i, a)} to {stop_label(i + 1, b)},"
            f" {metres:.0f} m apart in a straight line, in {elapsed_s} s ({speed}; at most"
            f" {MAX_LEG_SPEED_KPH:.0f} km/h is plausible)"
        )
        out.append(Violation("implausible_leg", message, route.route_id, None, str(route.session)))
