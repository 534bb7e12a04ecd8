"""The finance report's files: ride-time chart (PNG), HTML page, CSV and XLSX.

The HTML page is a single file: styles inline and the chart embedded as a base64 PNG, so it can
be mailed or archived as it is. Nothing here names a pupil.
"""

from __future__ import annotations

import base64
import csv
import html
import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, never a window

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from openpyxl import Workbook  # noqa: E402
from openpyxl.chart import BarChart, Reference  # noqa: E402
from openpyxl.styles import Font  # noqa: E402
from openpyxl.utils import get_column_letter  # noqa: E402

from maps.finance import FinanceReport, Line, finance_report  # noqa: E402
from maps.safe_cells import append_row, csv_row  # noqa: E402
from optimiser.domain.entities import (  # noqa: E402
    GUIDANCE_RIDE_MIN_PRIMARY,
    GUIDANCE_RIDE_MIN_SECONDARY,
    Dataset,
)
from optimiser.domain.money import format_pounds as pounds  # noqa: E402
from optimiser.plan.document import Plan  # noqa: E402

GUIDANCE_MIN = (GUIDANCE_RIDE_MIN_PRIMARY, GUIDANCE_RIDE_MIN_SECONDARY)
GUIDANCE_TEXT = f"{GUIDANCE_RIDE_MIN_PRIMARY}/{GUIDANCE_RIDE_MIN_SECONDARY}-minute guidance"
ROW_COLUMNS = (
    "section",
    "item",
    "routes",
    "pupil_journeys",
    "pupils",
    "km_per_day",
    "co2_kg_per_day",
    "cost_per_day_gbp",
    "cost_per_year_gbp",
    "cost_per_pupil_per_year_gbp",
    "share_of_cost",
)
ROUTE_COLUMNS = (
    "route_id",
    "session",
    "operator",
    "vehicle_type",
    "passenger_assistant",
    "pupils",
    "km_per_day",
    "cost_per_day_gbp",
    "cost_per_year_gbp",
)
UNPLACED_COLUMNS = (
    "session",
    "need",
    "school",
    "cheapest_solo_vehicle",
    "km_per_day",
    "cost_per_day_gbp",
    "cost_per_year_gbp",
    "distance",
)
#: The breakdown sections in order, with the headings the HTML and workbook give them.
SECTIONS = {
    "total": "Total",
    "baseline": "Baseline",
    "session": "By session",
    "operator": "By operator",
    "vehicle_type": "By vehicle type",
    "need": "By need",
    "school_type": "By school type",
    "school": "By school",
    "not_placed": "Journeys not placed (cheapest solo vehicle)",
}
MONEY_FORMAT = '"£"#,##0.00'
FORMATS = {
    "money": MONEY_FORMAT,
    "count": "#,##0",
    "km": "#,##0.0",
    "kg": "#,##0.0",
    "tonnes": "#,##0.0",
    "minutes": "0",
    "percent": "0%",
    "ratio": "0.00",
    "text": "@",
}
COLUMN_FORMATS = {
    "routes": "#,##0",
    "pupil_journeys": "#,##0",
    "pupils": "#,##0",
    "km_per_day": "#,##0.0",
    "co2_kg_per_day": "#,##0.0",
    "cost_per_day_gbp": MONEY_FORMAT,
    "cost_per_year_gbp": MONEY_FORMAT,
    "cost_per_pupil_per_year_gbp": MONEY_FORMAT,
    "share_of_cost": "0.0%",
}


def ride_chart_png(report: FinanceReport) -> bytes:
    """Histogram of ride times in 5-minute bands, with the primary and secondary guidance lines."""
    rides = report.rides
    fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    paired = list(zip(rides.minutes, rides.guidance_min, strict=True))
    primary = [m for m, g in paired if g <= GUIDANCE_RIDE_MIN_PRIMARY]
    secondary = [m for m, g in paired if g > GUIDANCE_RIDE_MIN_PRIMARY]
    top = max([*rides.minutes, 80.0])
    bins = [5 * i for i in range(int(top // 5) + 2)]
    ax.hist(
        [primary, secondary],
        bins=bins,
        stacked=True,
        color=["#4c72b0", "#dd8452"],
        label=[
            f"primary age ({GUIDANCE_RIDE_MIN_PRIMARY} min guidance)",
            f"secondary age ({GUIDANCE_RIDE_MIN_SECONDARY} min guidance)",
        ],
    )
    ax.set_ylim(0, ax.get_ylim()[1] * 1.45)  # headroom for the legend above the bars
    for minutes, style in zip(GUIDANCE_MIN, ("--", ":"), strict=True):
        ax.axvline(minutes, color="#c00000", linestyle=style, linewidth=1.5)
        ax.text(
            minutes + 0.8,
            ax.get_ylim()[1] * 0.45,
            f"{minutes} min guidance",
            color="#c00000",
            rotation=90,
            fontsize=8,
        )
    ax.set_xlabel("Ride time (minutes, boarding to alighting)")
    ax.set_ylabel("Pupil journeys")
    ax.set_title(
        f"Ride times: {len(rides.minutes)} journeys, {rides.over_guidance} over guidance "
        f"({rides.pupils_over_guidance} pupils)"
    )
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def _row(report: FinanceReport, section: str, item: str, line: Line) -> dict[str, object]:
    share: float | str = ""
    if report.daily_cost_pence and section not in ("baseline", "not_placed"):
        share = round(line.cost_pence / report.daily_cost_pence, 4)
    if item.startswith("journeys not placed") or item.startswith("all routes and"):
        share = ""
    annual = report.annual(line.cost_pence)
    return {
        "section": section,
        "item": item,
        "routes": line.routes,
        "pupil_journeys": line.pupils,
        "pupils": line.people,
        "km_per_day": round(line.km, 1),
        "co2_kg_per_day": round(line.co2_kg, 1),
        "cost_per_day_gbp": round(line.cost_pence / 100, 2),
        "cost_per_year_gbp": round(annual / 100, 2),
        "cost_per_pupil_per_year_gbp": round(annual / line.people / 100, 2) if line.people else "",
        "share_of_cost": share,
    }


def _not_placed_lines(report: FinanceReport) -> dict[str, Line]:
    """Journeys not placed, by session and need, at their solo cost."""
    lines: dict[str, Line] = {}
    for u in report.unplaced:
        line = lines.setdefault(f"{u.session} · {u.need}", Line())
        line.pupils += 1
        line.km += u.km
        line.cost_pence += u.cost_pence
    return dict(sorted(lines.items()))


def breakdown_rows(report: FinanceReport) -> list[dict[str, object]]:
    """The CSV/XLSX table: totals, then by session, operator, vehicle type, need, school type,
    school, and the journeys not placed.

    ``pupil_journeys`` counts a pupil riding AM and PM twice; ``pupils`` counts them once.
    """
    total = Line(
        routes=report.routes,
        pupils=report.journeys,
        km=report.km_daily,
        co2_kg=report.co2_kg_daily,
        cost_pence=report.daily_cost_pence,
        people=report.pupils,
    )
    rows = [_row(report, "total", "all routes", total)]
    pa = Line(routes=report.pa_routes, cost_pence=report.pa_cost_daily_pence)
    rows.append(_row(report, "total", "of which passenger assistants", pa))
    if report.unplaced:
        unplaced = Line(
            pupils=len(report.unplaced),
            km=sum(u.km for u in report.unplaced),
            cost_pence=report.unplaced_cost_pence,
            people=report.pupils_not_placed,
        )
        rows.append(_row(report, "total", "journeys not placed, each carried alone", unplaced))
        everything = Line(
            routes=report.routes,
            pupils=report.journeys + len(report.unplaced),
            km=report.km_daily + unplaced.km,
            cost_pence=report.total_with_unplaced_pence,
            people=report.pupils + report.pupils_without_transport,
        )
        rows.append(_row(report, "total", "all routes and journeys not placed", everything))
    if report.baseline_daily_pence is not None:
        rows.append(
            _row(
                report,
                "baseline",
                "every pupil alone",
                Line(cost_pence=report.baseline_daily_pence),
            )
        )
    if report.current is not None:
        now = report.current
        rows.append(
            _row(report, "baseline", "current routes", Line(cost_pence=now.current_daily_pence))
        )
        if now.current_agreed_daily_pence is not None:
            agreed = Line(cost_pence=now.current_agreed_daily_pence)
            rows.append(_row(report, "baseline", "current routes at agreed prices", agreed))
    for section, lines in (
        ("session", report.by_session),
        ("operator", report.by_operator),
        ("vehicle_type", report.by_vehicle_type),
        ("need", report.by_need),
        ("school_type", report.by_school_type),
        ("school", report.by_school),
        ("not_placed", _not_placed_lines(report)),
    ):
        rows += [_row(report, section, item, line) for item, line in lines.items()]
    return rows


def route_rows(report: FinanceReport) -> list[dict[str, object]]:
    """The per-route price list."""
    return [
        {
            "route_id": r.route_id,
            "session": r.session,
            "operator": r.operator,
            "vehicle_type": r.vehicle_type,
            "passenger_assistant": "yes" if r.passenger_assistant else "no",
            "pupils": r.pupils,
            "km_per_day": r.km,
            "cost_per_day_gbp": round(r.cost_pence / 100, 2),
            "cost_per_year_gbp": round(report.annual(r.cost_pence) / 100, 2),
        }
        for r in report.route_prices
    ]


def unplaced_rows(report: FinanceReport) -> list[dict[str, object]]:
    """Each journey not placed (no pupil named): where it goes, what would carry it, the cost."""
    return [
        {
            "session": u.session,
            "need": u.need,
            "school": u.school,
            "cheapest_solo_vehicle": u.vehicle or "no vehicle in the fleet can carry this pupil",
            "km_per_day": u.km,
            "cost_per_day_gbp": round(u.cost_pence / 100, 2),
            "cost_per_year_gbp": round(report.annual(u.cost_pence) / 100, 2),
            "distance": "estimated (straight lines x 1.3)" if u.estimated else "by road",
        }
        for u in report.unplaced
    ]


Item = tuple[str, object, str]  # label, value (pence for money), kind (a key of FORMATS)


def _cost_items(report: FinanceReport) -> list[Item]:
    days = report.school_days_per_year
    items: list[Item] = [
        ("Cost per day of the planned routes", report.daily_cost_pence, "money"),
        (f"Cost per year of the planned routes ({days} days)", report.annual_cost_pence, "money"),
    ]
    if report.unplaced:
        unplaced = report.unplaced_cost_pence
        total = report.total_with_unplaced_pence
        items += [
            ("Journeys not placed, each carried alone: cost per day", unplaced, "money"),
            ("Cost per day including journeys not placed", total, "money"),
            ("Cost per year including journeys not placed", report.annual(total), "money"),
        ]
    saving = report.saving_daily_pence
    if saving is not None and report.baseline_daily_pence is not None:
        base = report.baseline_daily_pence
        items += [
            ("Solo baseline per day (every placed journey alone)", base, "money"),
            ("Saving against solo per day", saving, "money"),
            ("Saving against solo per year", report.annual(saving), "money"),
            ("Saving against solo (share)", saving / base if base else 0.0, "percent"),
        ]
    items += _current_items(report)
    per_pupil = report.cost_per_pupil_year_pence
    if per_pupil is not None:
        items.append(("Cost per pupil carried per year", per_pupil, "money"))
    return items


def _current_items(report: FinanceReport) -> list[Item]:
    """Against the current routes, when they were given: their cost, and the difference (the
    plan minus them: negative is a saving)."""
    now = report.current
    if now is None:
        return []
    items: list[Item] = [
        ("Current routes per day (fleet prices)", now.current_daily_pence, "money"),
        ("Difference against current routes per day", now.difference_daily_pence, "money"),
        (
            "Difference against current routes per year",
            report.annual(now.difference_daily_pence),
            "money",
        ),
    ]
    agreed = now.difference_agreed_daily_pence
    if now.current_agreed_daily_pence is not None and agreed is not None:
        items += [
            ("Current routes per day (agreed prices)", now.current_agreed_daily_pence, "money"),
            ("Difference against current routes at agreed prices per day", agreed, "money"),
        ]
    return items


def summary_items(report: FinanceReport) -> list[Item]:
    """The headline figures with their kinds, for the workbook's numeric cells and the HTML."""
    rides = report.rides
    items: list[Item] = [
        ("Dataset", report.dataset, "text"),
        ("Plan date", report.plan_date, "text"),
        *_cost_items(report),
        ("Pupils carried", report.pupils, "count"),
        ("Pupil journeys carried (AM and PM count apart)", report.journeys, "count"),
        ("Journeys not placed", report.unassigned, "count"),
        ("Pupils with a journey not placed", report.pupils_not_placed, "count"),
        ("Pupils with no transport at all", report.pupils_without_transport, "count"),
        ("Vehicles", report.vehicles, "count"),
        ("Routes (vehicle-sessions)", report.routes, "count"),
        ("Routes carrying one pupil", report.solo_journeys, "count"),
        ("Passenger-assistant sessions per day", report.pa_sessions, "count"),
        ("Passenger assistants: cost per day", report.pa_cost_daily_pence, "money"),
        (
            "Passenger assistants: cost per year",
            report.annual(report.pa_cost_daily_pence),
            "money",
        ),
        ("Distance per day (km)", round(report.km_daily, 1), "km"),
        ("CO2 per day (kg)", round(report.co2_kg_daily, 1), "kg"),
        ("CO2 per year (t)", round(report.annual(1) * report.co2_kg_daily / 1000, 1), "tonnes"),
        ("Mean ride (min)", round(rides.mean_min), "minutes"),
        ("Median ride (min)", round(rides.median_min), "minutes"),
        ("Longest ride (min)", round(rides.max_min), "minutes"),
        (f"Journeys over {GUIDANCE_TEXT}", rides.over_guidance, "count"),
        (f"Pupils with a journey over {GUIDANCE_TEXT}", rides.pupils_over_guidance, "count"),
        *report.fairness,
    ]
    if any(u.estimated for u in report.unplaced):
        note = "straight-line distance x 1.3 (no road matrices given)"
        items.append(("Distances of journeys not placed", note, "text"))
    if report.unknown_vehicles:
        items.append(
            ("Vehicle types not in the fleet (no CO2)", ", ".join(report.unknown_vehicles), "text")
        )
    return items


def _text(value: object, kind: str) -> str:
    if kind == "money":
        return pounds(int(value))  # type: ignore[call-overload]
    if kind == "percent":
        return f"{float(value):.0%}"  # type: ignore[arg-type]
    if kind in ("km", "kg", "tonnes"):
        return f"{float(value):,.1f}"  # type: ignore[arg-type]
    if kind == "ratio":
        return f"x{float(value):.2f}"  # type: ignore[arg-type]
    if kind in ("count", "minutes"):
        return f"{int(value):,}"  # type: ignore[call-overload]
    return str(value)


def summary_pairs(report: FinanceReport) -> list[tuple[str, str]]:
    """The headline figures as (label, value) text pairs."""
    return [(label, _text(value, kind)) for label, value, kind in summary_items(report)]


HTML_HEADINGS = (
    "",
    "",
    "Routes",
    "Pupil journeys",
    "Pupils",
    "km a day",
    "CO2 kg a day",
    "Cost a day",
    "Cost a year",
    "Per pupil a year",
    "Share",
)


def _money_text(gbp: object) -> str:
    return pounds(round(float(gbp) * 100)) if gbp != "" else ""  # type: ignore[arg-type]


def _html_cells(row: dict[str, object]) -> list[str]:
    share = row["share_of_cost"]
    return [
        SECTIONS.get(str(row["section"]), str(row["section"])),
        str(row["item"]),
        str(row["routes"]),
        str(row["pupil_journeys"]),
        str(row["pupils"]),
        f"{row['km_per_day']:,.1f}",
        f"{row['co2_kg_per_day']:,.1f}",
        _money_text(row["cost_per_day_gbp"]),
        _money_text(row["cost_per_year_gbp"]),
        _money_text(row["cost_per_pupil_per_year_gbp"]),
        f"{share:.0%}" if isinstance(share, float) else "",
    ]


def _html_table(headings: tuple[str, ...], rows: list[list[str]]) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in headings)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _html_bars(title: str, lines: dict[str, Line], report: FinanceReport) -> str:
    """A bar chart in plain HTML and CSS: cost a year per item, longest bar the largest."""
    esc = html.escape
    top = max((line.cost_pence for line in lines.values()), default=0) or 1
    bars = "".join(
        f'<div class="bar"><span class="label">{esc(item)}</span>'
        f'<span class="fill" style="width:{60 * line.cost_pence / top:.1f}%"></span>'
        f'<span class="value">{esc(pounds(report.annual(line.cost_pence)))}</span></div>'
        for item, line in sorted(lines.items(), key=lambda kv: -kv[1].cost_pence)
    )
    return f'<h3>{esc(title)}</h3><div class="bars">{bars}</div>'


def render_html(report: FinanceReport, chart_png: bytes) -> str:
    """The report as one self-contained HTML page."""
    esc = html.escape
    summary = "".join(
        f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in summary_pairs(report)
    )
    breakdown = _html_table(HTML_HEADINGS, [_html_cells(r) for r in breakdown_rows(report)])
    prices = _html_table(
        ("Route", "Session", "Operator", "Vehicle", "PA", "Pupils", "km", "Day", "Year"),
        [
            [*(str(r[c]) for c in ROUTE_COLUMNS[:6]), f"{r['km_per_day']:,.1f}"]
            + [_money_text(r["cost_per_day_gbp"]), _money_text(r["cost_per_year_gbp"])]
            for r in route_rows(report)
        ],
    )
    unplaced = ""
    if report.unplaced:
        unplaced = "<h2>Journeys not placed</h2><p>Each costed as if carried alone in the " + (
            "cheapest vehicle type that could carry the pupil; included in the totals above.</p>"
        )
        unplaced += _html_table(
            ("Session", "Need", "School", "Cheapest solo vehicle", "km", "Day", "Year", "Distance"),
            [
                [*(str(r[c]) for c in UNPLACED_COLUMNS[:4]), f"{r['km_per_day']:,.1f}"]
                + [_money_text(r["cost_per_day_gbp"]), _money_text(r["cost_per_year_gbp"])]
                + [str(r["distance"])]
                for r in unplaced_rows(report)
            ],
        )
    bars = _html_bars("Cost a year by operator", report.by_operator, report) + _html_bars(
        "Cost a year by school", report.by_school, report
    )
    chart = base64.b64encode(chart_png).decode("ascii")
    guidance = " and ".join(str(m) for m in GUIDANCE_MIN)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Transport costs - {esc(report.dataset)} - {esc(report.plan_date)}</title>
<style>
body{{font-family:sans-serif;margin:2em;color:#222}} table{{border-collapse:collapse;margin:1em 0}}
th,td{{border:1px solid #ccc;padding:4px 8px;text-align:left}}
td{{font-variant-numeric:tabular-nums;white-space:nowrap}}
.summary th{{background:#f3f3f3;width:26em}}
.bars{{max-width:60em}} .bar{{display:flex;align-items:center;margin:2px 0}}
.bar .label{{flex:0 0 22em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}}
.bar .fill{{display:inline-block;height:1em;background:#4c72b0;margin-right:.5em}}
.bar .value{{font-variant-numeric:tabular-nums}}
</style></head><body>
<h1>Home-to-school transport costs</h1>
<p>{esc(report.dataset)}, plan of {esc(report.plan_date)}. Figures only: no pupil is named.</p>
<table class="summary">{summary}</table>
{bars}
<h2>Ride times</h2>
<img alt="Histogram of ride times with {guidance} minute guidance lines"
 src="data:image/png;base64,{chart}">
<h2>Breakdown</h2>
<p>Costs by school, school type and need split each route's cost by the pupils it carries in each;
they add up to the total. A need is the combination a pupil has (solo, wheelchair, PA).</p>
{breakdown}
{unplaced}
<h2>Price list by route</h2>
{prices}
</body></html>
"""


def _table_sheet(book: Any, title: str, columns: tuple[str, ...], rows: list[dict]) -> Any:
    """A sheet of numeric cells with number formats, a frozen bold header and filters."""
    sheet = book.create_sheet(title)
    append_row(sheet, list(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        append_row(sheet, [row[c] for c in columns])
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        fmt = COLUMN_FORMATS.get(column)
        if fmt:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                if isinstance(cell.value, int | float):
                    cell.number_format = fmt
        width = max([len(column), *(len(str(r[column])) for r in rows)]) + 2
        sheet.column_dimensions[letter].width = min(width, 50)
    sheet.freeze_panes = "A2" if columns[0] != "section" else "C2"
    sheet.auto_filter.ref = sheet.dimensions
    return sheet


def _summary_sheet(book: Any, report: FinanceReport) -> None:
    summary = book.active
    summary.title = "Summary"
    append_row(summary, ["Figure", "Value"])
    for cell in summary[1]:
        cell.font = Font(bold=True)
    for label, value, kind in summary_items(report):
        number = value / 100 if kind == "money" else value  # type: ignore[operator]
        append_row(summary, [label, number])
        summary.cell(summary.max_row, 2).number_format = FORMATS[kind]
    summary.column_dimensions["A"].width = 60
    summary.column_dimensions["B"].width = 24
    summary.freeze_panes = "A2"


def _bar_chart(sheet: Any, rows: list[dict], section: str, title: str) -> BarChart | None:
    """A native bar chart of cost a year over one section's rows of the Breakdown sheet."""
    numbers = [i + 2 for i, r in enumerate(rows) if r["section"] == section]
    if not numbers:
        return None
    first, last = numbers[0], numbers[-1]
    column = ROW_COLUMNS.index("cost_per_year_gbp") + 1
    chart = BarChart()
    chart.type = "bar"
    chart.title = title
    chart.y_axis.title = "£ a year"
    chart.y_axis.numFmt = '"£"#,##0'
    chart.legend = None
    chart.add_data(Reference(sheet, min_col=column, min_row=first, max_row=last))
    chart.set_categories(Reference(sheet, min_col=2, min_row=first, max_row=last))
    chart.height = max(7.5, 0.6 * len(numbers) + 3)
    chart.width = 24
    return chart


def write_xlsx(report: FinanceReport, path: Path, chart_png: Path | None = None) -> Path:
    """Workbook: Summary, Breakdown, Routes (price list), Not placed, Charts (native) and the
    ride-time chart. Every figure is a number with a number format; headers are frozen and
    filtered."""
    book = Workbook()
    _summary_sheet(book, report)
    rows = breakdown_rows(report)
    breakdown = _table_sheet(book, "Breakdown", ROW_COLUMNS, rows)
    _table_sheet(book, "Routes", ROUTE_COLUMNS, route_rows(report))
    _table_sheet(book, "Not placed", UNPLACED_COLUMNS, unplaced_rows(report))
    charts = book.create_sheet("Charts")
    anchor = 1
    for section, title in (
        ("operator", "Cost a year by operator"),
        ("school", "Cost a year by school"),
        ("need", "Cost a year by need"),
        ("session", "Cost a year by session"),
    ):
        chart = _bar_chart(breakdown, rows, section, title)
        if chart is not None:
            charts.add_chart(chart, f"A{anchor}")
            anchor += int(chart.height * 2) + 2
    if chart_png is not None:
        from openpyxl.drawing.image import Image

        book.create_sheet("Ride times").add_image(Image(str(chart_png)), "A1")
    book.save(path)
    return path


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(csv_row(r) for r in rows)
    return path


def write_report(report: FinanceReport, out_dir: Path | str) -> dict[str, Path]:
    """Write ``ride_times.png``, ``finance.html``, ``finance.csv``, ``routes.csv`` and
    ``finance.xlsx``.

    Parameters
    ----------
    report
        From :func:`maps.finance.finance_report`.
    out_dir
        Folder to write into (created if needed).

    Returns
    -------
    dict of str to pathlib.Path
        ``chart``, ``html``, ``csv``, ``routes_csv`` and ``xlsx``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    png = ride_chart_png(report)
    chart = out / "ride_times.png"
    chart.write_bytes(png)
    page = out / "finance.html"
    page.write_text(render_html(report, png), encoding="utf-8")
    table = _write_csv(out / "finance.csv", ROW_COLUMNS, breakdown_rows(report))
    routes = _write_csv(out / "routes.csv", ROUTE_COLUMNS, route_rows(report))
    book = write_xlsx(report, out / "finance.xlsx", chart)
    return {"chart": chart, "html": page, "csv": table, "routes_csv": routes, "xlsx": book}


def write_finance_report(
    plan: Plan,
    dataset: Dataset,
    out_dir: Path | str,
    travel: Any = None,
    *,
    current: Plan | None = None,
) -> dict[str, Path]:
    """The finance report of a plan (:func:`maps.finance.finance_report`), written as files.

    Parameters
    ----------
    plan, dataset
        The plan and the dataset it was made from.
    out_dir
        Folder to write into (created if needed).
    travel
        The plan's travel data, to cost journeys not placed by road (else estimated).
    current
        The council's current routes, if given: the plan's cost is also stated against them.

    Returns
    -------
    dict of str to pathlib.Path
        ``chart``, ``html``, ``csv``, ``routes_csv`` and ``xlsx``; see :func:`write_report`.
    """
    return write_report(finance_report(plan, dataset, travel, current=current), out_dir)
