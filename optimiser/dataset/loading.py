"""Loading and validating a council dataset.

A dataset is a folder holding ``pupils.csv``, ``schools.csv``, ``fleet.csv`` and
``settings.toml``, or one ``.xlsx`` workbook with sheets ``pupils``, ``schools``, ``fleet`` (and
optionally ``settings`` with columns ``section``, ``key``, ``value``; else a ``settings.toml``
beside the workbook is read). The format is documented in ``docs/dataset_format.md``.

Loading checks everything and reports every problem at once, each naming file, row and column.
Nothing is half-loaded: either a whole :class:`~optimiser.domain.entities.Dataset` comes back or
:class:`~optimiser.domain.errors.InputError` is raised with the full list.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path

from optimiser.dataset import geocode
from optimiser.dataset.cells import RowReader
from optimiser.dataset.settings import parse_settings, read_settings_toml, settings_from_sheet
from optimiser.dataset.tables import TABLES, Table, read_csv, read_csv_text, read_workbook
from optimiser.domain.entities import Dataset, Pupil, School, Session, VehicleType
from optimiser.domain.errors import InputError, InputProblem

REQUIRED_COLUMNS = {
    "pupils": ("pupil_id", "name", "school_id", "age"),
    "schools": (
        "school_id",
        "name",
        "am_arrive_from",
        "am_arrive_by",
        "pm_depart_from",
        "pm_depart_by",
    ),
    "fleet": (
        "vehicle_type",
        "operator",
        "seats",
        "wheelchair_spaces",
        "count",
        "cost_per_session",
        "cost_per_km",
    ),
}
# The largest values a fleet row may hold: far above any real vehicle, and small enough that every
# sum and product the planner makes stays exact in 64-bit integers (money in pence).
MAX_SEATS = 100  # seats or wheelchair spaces of one vehicle
MAX_COUNT = 10_000  # vehicles of one fleet row
MAX_SESSION_GBP = 100_000  # pounds per vehicle per session
MAX_KM_GBP = 1_000  # pounds per kilometre
MAX_CO2 = 100_000  # grams of CO2 per kilometre
_SESSIONS = {
    "AM": frozenset({Session.AM}),
    "PM": frozenset({Session.PM}),
    "AM+PM": frozenset({Session.AM, Session.PM}),
    "PM+AM": frozenset({Session.AM, Session.PM}),
    "": frozenset({Session.AM, Session.PM}),
}


def _check_columns(table: Table, problems: list[InputProblem], required: tuple[str, ...]) -> bool:
    missing = [c for c in required if c not in table.columns]
    for column in missing:
        problems.append(InputProblem(table.file, 1, column, "this column is missing"))
    duplicates = [c for c, n in Counter(table.columns).items() if n > 1]
    for column in duplicates:
        problems.append(InputProblem(table.file, 1, column, "this column appears more than once"))
    return not missing and not duplicates


def _duplicates(rows: RowReader, column: str, key: Callable[[dict[str, str]], str]) -> None:
    first_seen: dict[str, int] = {}
    for row, cells in rows.table.rows:
        value = key(cells)
        if not value:
            continue
        if value in first_seen:
            rows.problem(row, column, f"'{value}' is a duplicate of row {first_seen[value]}")
        else:
            first_seen[value] = row


def _schools(rows: RowReader) -> dict[str, School]:
    _duplicates(rows, "school_id", lambda c: c.get("school_id", ""))
    schools: dict[str, School] = {}
    for row, cells in rows.table.rows:
        school_id = rows.text(row, cells, "school_id", required=True)
        name = rows.text(row, cells, "name", required=True)
        place, postcode, given = rows.location(row, cells, "lat", "lon", "postcode")
        if not given:
            rows.problem(row, "postcode", "no location: give a postcode or lat and lon")
        times = [
            rows.time_of_day(row, cells, c)
            for c in ("am_arrive_from", "am_arrive_by", "pm_depart_from", "pm_depart_by")
        ]
        for (start, end), (c1, c2) in zip(
            ((times[0], times[1]), (times[2], times[3])),
            (("am_arrive_from", "am_arrive_by"), ("pm_depart_from", "pm_depart_by")),
            strict=True,
        ):
            if start is not None and end is not None and start > end:
                rows.problem(row, c2, f"window is reversed: {cells[c1]} is after {cells[c2]}")
        am_from, am_by, pm_from, pm_by = times
        if (
            school_id
            and place is not None
            and am_from is not None
            and am_by is not None
            and pm_from is not None
            and pm_by is not None
            and school_id not in schools
        ):
            schools[school_id] = School(
                school_id,
                name,
                place,
                am_from,
                am_by,
                pm_from,
                pm_by,
                postcode=postcode,
                phone=cells.get("phone", ""),
                school_type=cells.get("type", ""),
            )
    return schools


def _fleet(rows: RowReader) -> list[VehicleType]:
    _duplicates(
        rows,
        "vehicle_type",
        lambda c: (
            f"{c.get('operator', '')}/{c.get('vehicle_type', '')}" if c.get("vehicle_type") else ""
        ),
    )
    fleet = []
    for row, cells in rows.table.rows:
        vehicle_type = rows.text(row, cells, "vehicle_type", required=True)
        operator = rows.text(row, cells, "operator", required=True)
        seats = rows.number(
            row, cells, "seats", required=True, integer=True, minimum=0, maximum=MAX_SEATS
        )
        spaces = rows.number(
            row,
            cells,
            "wheelchair_spaces",
            required=True,
            integer=True,
            minimum=0,
            maximum=MAX_SEATS,
        )
        count = rows.number(
            row, cells, "count", required=True, integer=True, minimum=0, maximum=MAX_COUNT
        )
        per_session = rows.number(
            row, cells, "cost_per_session", required=True, minimum=0, maximum=MAX_SESSION_GBP
        )
        per_km = rows.number(
            row, cells, "cost_per_km", required=True, minimum=0, maximum=MAX_KM_GBP
        )
        co2 = rows.number(row, cells, "co2_g_per_km", minimum=0, maximum=MAX_CO2) or Decimal(0)
        depot, postcode, given = rows.location(
            row, cells, "depot_lat", "depot_lon", "depot_postcode"
        )
        if not given:
            rows.problem(
                row, "depot_postcode", "no depot: give depot_postcode or depot_lat and depot_lon"
            )
        if seats is not None and spaces is not None and seats + spaces == 0:
            rows.problem(
                row, "seats", "a vehicle with no seats and no wheelchair spaces carries nobody"
            )
        values = (seats, spaces, count, per_session, per_km)
        if vehicle_type and operator and depot is not None and None not in values:
            fleet.append(
                VehicleType(
                    vehicle_type=vehicle_type,
                    operator=operator,
                    seats=int(seats),  # type: ignore[arg-type]
                    wheelchair_spaces=int(spaces),  # type: ignore[arg-type]
                    count=int(count),  # type: ignore[arg-type]
                    cost_per_session_pence=int(round(per_session * 100)),  # type: ignore[operator]
                    cost_per_km_pence=int(round(per_km * 100)),  # type: ignore[operator]
                    co2_g_per_km=int(round(co2)),
                    depot=depot,
                    depot_postcode=postcode,
                    row=row,
                )
            )
    return fleet


def _pupils(
    rows: RowReader, schools: dict[str, School], school_ids: set[str], schools_file: str
) -> list[Pupil]:
    _duplicates(rows, "pupil_id", lambda c: c.get("pupil_id", ""))
    known_ids = {cells.get("pupil_id", "") for _, cells in rows.table.rows} - {""}
    pupils = []
    for row, cells in rows.table.rows:
        pupil_id = rows.text(row, cells, "pupil_id", required=True)
        name = rows.text(row, cells, "name", required=True)
        school_id = rows.text(row, cells, "school_id", required=True)
        if school_id and school_id not in school_ids:
            rows.problem(row, "school_id", f"unknown school '{school_id}' (not in {schools_file})")
        age = rows.number(row, cells, "age", required=True, integer=True, minimum=2, maximum=25)
        raw_sessions = cells.get("sessions", "").upper().replace(" ", "")
        sessions = _SESSIONS.get(raw_sessions)
        if sessions is None:
            rows.problem(row, "sessions", f"'{cells['sessions']}' is not AM, PM or AM+PM")
        home, postcode, given = rows.location(row, cells, "lat", "lon", "postcode")
        if not given:
            rows.problem(row, "postcode", "no home address: give a postcode or lat and lon")
        pm_home, pm_postcode, _ = rows.location(row, cells, "pm_lat", "pm_lon", "pm_postcode")
        flags = {
            c: rows.boolean(row, cells, c) for c in ("wheelchair", "passenger_assistant", "solo")
        }
        max_ride = rows.number(row, cells, "max_ride_min", minimum=1, maximum=300)
        boarding = rows.number(row, cells, "boarding_min", minimum=0, maximum=60)
        not_with = tuple(x.strip() for x in cells.get("not_with", "").split(";") if x.strip())
        for other in not_with:
            if other == pupil_id:
                rows.problem(row, "not_with", "a pupil cannot be kept apart from themselves")
            elif other not in known_ids:
                rows.problem(row, "not_with", f"names unknown pupil '{other}'")
        if pupil_id and name and school_id in schools and age is not None and sessions and home:
            pupils.append(
                Pupil(
                    pupil_id=pupil_id,
                    name=name,
                    school_id=school_id,
                    age=int(age),
                    sessions=sessions,
                    home=home,
                    postcode=postcode,
                    pm_home=pm_home,
                    pm_postcode=pm_postcode,
                    max_ride_min=int(max_ride) if max_ride is not None else None,
                    boarding_min=float(boarding) if boarding is not None else None,
                    group=cells.get("group") or None,
                    not_with=not_with,
                    notes=cells.get("notes", ""),
                    row=row,
                    home_address=cells.get("address", ""),
                    contact_name=cells.get("contact_name", ""),
                    contact_phone=cells.get("contact_phone", ""),
                    **flags,
                )
            )
    return pupils


def _needs_check(pupils: list[Pupil], fleet: list[VehicleType], rows: RowReader) -> None:
    """A pupil whose needs no vehicle type in the fleet can ever meet."""
    if not fleet:
        return
    for p in pupils:
        suitable = [
            vt
            for vt in fleet
            if vt.count > 0
            and (vt.wheelchair_spaces >= 1 if p.wheelchair else vt.seats >= 1)
            and (not p.passenger_assistant or vt.seats >= (1 if p.wheelchair else 2))
        ]
        if suitable:
            continue
        if p.wheelchair and not any(vt.wheelchair_spaces and vt.count for vt in fleet):
            need = "a wheelchair space, and no vehicle type in the fleet has one"
        elif p.passenger_assistant:
            need = "a passenger assistant and a seat, and no vehicle type has room for both"
        else:
            need = "a seat, and no vehicle type in the fleet has one"
        column = "wheelchair" if p.wheelchair else "passenger_assistant"
        rows.problem(p.row, column, f"pupil {p.pupil_id} needs {need}")


def load_tables(
    tables: Mapping[str, Table],
    settings_values: Mapping[str, Mapping[str, object]],
    *,
    name: str,
    settings_file: str = "settings.toml",
    base_dir: Path | None = None,
    problems: list[InputProblem] | None = None,
) -> Dataset:
    """Validate raw tables into a :class:`Dataset`; raise :class:`InputError` with all problems."""
    problems = list(problems or [])
    settings, setting_problems = parse_settings(settings_values, settings_file, base_dir)
    problems += setting_problems
    for read in tables.values():
        problems += read.problems  # over a cap: refused, whatever else the rows hold
    complete = True
    for table_name in TABLES:
        table = tables.get(table_name)
        if table is None:
            complete = False
            continue
        if not table.rows:
            problems.append(InputProblem(table.file, None, None, "has no rows"))
        complete &= _check_columns(table, problems, REQUIRED_COLUMNS[table_name])
    if not complete:
        raise InputError(problems)

    postcodes = {
        code
        for table in tables.values()
        for _, cells in table.rows
        for column in ("postcode", "pm_postcode", "depot_postcode")
        if (code := geocode.normalise_postcode(cells.get(column, "")))
    }
    places = geocode.lookup(sorted(postcodes))
    school_rows = RowReader(tables["schools"], problems, places)
    schools = _schools(school_rows)
    fleet_rows = RowReader(tables["fleet"], problems, places)
    fleet = _fleet(fleet_rows)
    pupil_rows = RowReader(tables["pupils"], problems, places)
    declared_schools = {c.get("school_id", "") for _, c in tables["schools"].rows}
    pupils = _pupils(pupil_rows, schools, declared_schools, tables["schools"].file)
    _needs_check(pupils, fleet, pupil_rows)
    if problems:
        raise InputError(problems)
    return Dataset(
        name=name,
        pupils=tuple(pupils),
        schools=schools,
        fleet=tuple(fleet),
        settings=settings,
        source=base_dir,
    )


def load_dataset(path: Path | str) -> Dataset:
    """Load a dataset folder or ``.xlsx`` workbook; raise :class:`InputError` with every problem."""
    path = Path(path)
    if not path.exists():
        raise InputError([InputProblem(str(path), None, None, "no such file or folder")])
    problems: list[InputProblem] = []
    if path.is_dir():
        tables = {}
        for table_name in TABLES:
            file = path / f"{table_name}.csv"
            if file.exists():
                tables[table_name] = read_csv(file)
            else:
                problems.append(InputProblem(file.name, None, None, "file is missing"))
        settings_path = path / "settings.toml"
        settings_values, more = (
            read_settings_toml(settings_path) if settings_path.exists() else ({}, [])
        )
        problems += more
        return load_tables(
            tables, settings_values, name=path.name, base_dir=path, problems=problems
        )
    if path.suffix.lower() == ".xlsx":
        tables, problems = read_workbook(path, path.name)
        settings_file = path.name + "[settings]"
        if "settings" in tables:
            settings_values, more = settings_from_sheet(tables.pop("settings"))
        elif (path.parent / "settings.toml").exists():
            settings_file = "settings.toml"
            settings_values, more = read_settings_toml(path.parent / "settings.toml")
        else:
            settings_values, more = {}, []
        problems += more
        return load_tables(
            tables,
            settings_values,
            name=path.stem,
            settings_file=settings_file,
            base_dir=path.parent,
            problems=problems,
        )
    raise InputError(
        [InputProblem(path.name, None, None, "expected a dataset folder or an .xlsx workbook")]
    )


def load_uploaded(files: Mapping[str, bytes], *, name: str) -> Dataset:
    """Load a dataset uploaded as CSV files (``pupils.csv`` ...) and ``settings.toml``,
    or as one workbook (any ``*.xlsx`` name)."""
    problems: list[InputProblem] = []
    workbooks = [f for f in files if f.lower().endswith(".xlsx")]
    if workbooks:
        tables, problems = read_workbook(files[workbooks[0]], workbooks[0])
        settings_values: Mapping[str, Mapping[str, object]] = {}
        if "settings" in tables:
            settings_values, more = settings_from_sheet(tables.pop("settings"))
            problems += more
    else:
        tables = {}
        for table_name in TABLES:
            key = f"{table_name}.csv"
            if key not in files:
                problems.append(InputProblem(key, None, None, "file is missing"))
                continue
            try:
                text = files[key].decode("utf-8-sig")
            except UnicodeDecodeError:
                problems.append(InputProblem(key, None, None, "is not UTF-8 text"))
                continue
            tables[table_name] = read_csv_text(key, text)
        settings_values = {}
        if "settings.toml" in files:
            try:
                settings_values = tomllib.loads(files["settings.toml"].decode("utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                problems.append(InputProblem("settings.toml", None, None, f"not valid TOML: {exc}"))
    return load_tables(tables, settings_values, name=name, problems=problems)
