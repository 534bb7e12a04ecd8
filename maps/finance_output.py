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

import matplotlib

matplotlib.use("Agg")  # files only, never a window

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from openpyxl import Workbook  # noqa: E402
from openpyxl.styles import Font  # noqa: E402

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
    "km_per_day",
    "co2_kg_per_day",
    "cost_per_day_gbp",
    "cost_per_year_gbp",
    "share_of_cost",
)


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
    if report.daily_cost_pence and section != "baseline":
        share = round(line.cost_pence / report.daily_cost_pence, 4)
    return {
        "section": section,
        "item": item,
        "routes": line.routes,
        "pupil_journeys": line.pupils,
        "km_per_day": round(line.km, 1),
        "co2_kg_per_day": round(line.co2_kg, 1),
        "cost_per_day_gbp": round(line.cost_pence / 100, 2),
        "cost_per_year_gbp": round(report.annual(line.cost_pence) / 100, 2),
        "share_of_cost": share,
    }


def breakdown_rows(report: FinanceReport) -> list[dict[str, object]]:
    """The CSV/XLSX table: the total, then by operator, vehicle type and school.

    ``pupil_journeys`` counts a pupil riding AM and PM twice.
    """
    total = Line(
        routes=report.routes,
        pupils=report.journeys,
        km=report.km_daily,
        co2_kg=report.co2_kg_daily,
        cost_pence=report.daily_cost_pence,
    )
    rows = [_row(report, "total", "all routes", total)]
    pa = Line(routes=report.pa_routes, cost_pence=report.pa_cost_daily_pence)
    rows.append(_row(report, "total", "of which passenger assistants", pa))
    if report.baseline_daily_pence is not None:
        rows.append(
            _row(
                report,
                "baseline",
                "every pupil alone",
                Line(cost_pence=report.baseline_daily_pence),
            )
        )
    for section, lines in (
        ("operator", report.by_operator),
        ("vehicle_type", report.by_vehicle_type),
        ("school", report.by_school),
    ):
        rows += [_row(report, section, item, line) for item, line in lines.items()]
    return rows


def summary_pairs(report: FinanceReport) -> list[tuple[str, str]]:
    """The headline figures as (label, value) text pairs."""
    per_pupil = report.cost_per_pupil_year_pence
    pairs = [
        ("Dataset", report.dataset),
        ("Plan date", report.plan_date),
        ("Cost per day", pounds(report.daily_cost_pence)),
        (f"Cost per year ({report.school_days_per_year} days)", pounds(report.annual_cost_pence)),
        ("Pupils carried", str(report.pupils)),
        ("Cost per pupil per year", pounds(per_pupil) if per_pupil is not None else "-"),
        ("Vehicles / routes", f"{report.vehicles} / {report.routes}"),
        ("Solo journeys (one pupil on board)", str(report.solo_journeys)),
        (
            "Passenger assistants per day",
            f"{report.pa_routes} ({pounds(report.pa_cost_daily_pence)} a day, "
            f"{pounds(report.annual(report.pa_cost_daily_pence))} a year)",
        ),
        ("Distance per day", f"{report.km_daily:,.1f} km"),
        ("CO2 per day / year", f"{report.co2_kg_daily:,.1f} kg / "
         f"{report.annual(1) * report.co2_kg_daily / 1000:,.1f} t"),
        ("Unassigned pupils", str(report.unassigned)),
        (
            "Ride times (mean / median / longest)",
            f"{report.rides.mean_min:.0f} / {report.rides.median_min:.0f} / "
            f"{report.rides.max_min:.0f} min",
        ),
        (
            f"Journeys over {GUIDANCE_TEXT}",
            f"{report.rides.over_guidance} ({report.rides.pupils_over_guidance} pupils)",
        ),
    ]  # fmt: skip
    saving = report.saving_daily_pence
    if saving is not None and report.baseline_daily_pence is not None:
        pct = 100 * saving / report.baseline_daily_pence if report.baseline_daily_pence else 0
        pairs.insert(4, ("Solo baseline per day", pounds(report.baseline_daily_pence)))
        pairs.insert(
            5,
            ("Saving against solo", f"{pounds(saving)} a day, {pounds(report.annual(saving))} "
             f"a year ({pct:.0f}%)"),
        )  # fmt: skip
    if report.unknown_vehicles:
        pairs.append(
            ("Vehicle types not in the fleet (no CO2)", ", ".join(report.unknown_vehicles))
        )
    return pairs


HTML_HEADINGS = (
    "",
    "",
    "Routes",
    "Pupil journeys",
    "km a day",
    "CO2 kg a day",
    "Cost a day",
    "Cost a year",
    "Share",
)


def _html_cells(row: dict[str, object]) -> list[str]:
    share = row["share_of_cost"]
    return [
        str(row["section"]).replace("_", " ").capitalize(),
        str(row["item"]),
        str(row["routes"]),
        str(row["pupil_journeys"]),
        f"{row['km_per_day']:,.1f}",
        f"{row['co2_kg_per_day']:,.1f}",
        pounds(round(float(row["cost_per_day_gbp"]) * 100)),  # type: ignore[arg-type]
        pounds(round(float(row["cost_per_year_gbp"]) * 100)),  # type: ignore[arg-type]
        f"{share:.0%}" if isinstance(share, float) else "",
    ]


def render_html(report: FinanceReport, chart_png: bytes) -> str:
    """The report as one self-contained HTML page."""
    esc = html.escape
    summary = "".join(
        f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in summary_pairs(report)
    )
    head = "".join(f"<th>{esc(c)}</th>" for c in HTML_HEADINGS)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in _html_cells(r)) + "</tr>"
        for r in breakdown_rows(report)
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
.summary th{{background:#f3f3f3;width:22em}}
</style></head><body>
<h1>Home-to-school transport costs</h1>
<p>{esc(report.dataset)}, plan of {esc(report.plan_date)}. Figures only: no pupil is named.</p>
<table class="summary">{summary}</table>
<h2>Ride times</h2>
<img alt="Histogram of ride times with {guidance} minute guidance lines"
 src="data:image/png;base64,{chart}">
<h2>Breakdown</h2>
<p>School costs split each route's cost by the share of pupils it carries to each school.</p>
<table><tr>{head}</tr>{body}</table>
</body></html>
"""


def write_xlsx(report: FinanceReport, path: Path, chart_png: Path | None = None) -> Path:
    """Workbook with a Summary sheet and a Breakdown sheet (and the chart, if given)."""
    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    for label, value in summary_pairs(report):
        append_row(summary, [label, value])
    summary.column_dimensions["A"].width = 40
    summary.column_dimensions["B"].width = 50
    sheet = book.create_sheet("Breakdown")
    append_row(sheet, list(ROW_COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in breakdown_rows(report):
        append_row(sheet, [row[c] for c in ROW_COLUMNS])
    sheet.column_dimensions["B"].width = 36
    if chart_png is not None:
        from openpyxl.drawing.image import Image

        book.create_sheet("Ride times").add_image(Image(str(chart_png)), "A1")
    book.save(path)
    return path


def write_report(report: FinanceReport, out_dir: Path | str) -> dict[str, Path]:
    """Write ``ride_times.png``, ``finance.html``, ``finance.csv`` and ``finance.xlsx``.

    Parameters
    ----------
    report
        From :func:`maps.finance.finance_report`.
    out_dir
        Folder to write into (created if needed).

    Returns
    -------
    dict of str to pathlib.Path
        ``chart``, ``html``, ``csv`` and ``xlsx``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    png = ride_chart_png(report)
    chart = out / "ride_times.png"
    chart.write_bytes(png)
    page = out / "finance.html"
    page.write_text(render_html(report, png), encoding="utf-8")
    table = out / "finance.csv"
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=ROW_COLUMNS)
        writer.writeheader()
        writer.writerows(csv_row(r) for r in breakdown_rows(report))
    book = write_xlsx(report, out / "finance.xlsx", chart)
    return {"chart": chart, "html": page, "csv": table, "xlsx": book}


def write_finance_report(plan: Plan, dataset: Dataset, out_dir: Path | str) -> dict[str, Path]:
    """The finance report of a plan (:func:`maps.finance.finance_report`), written as files.

    Parameters
    ----------
    plan, dataset
        The plan and the dataset it was made from.
    out_dir
        Folder to write into (created if needed).

    Returns
    -------
    dict of str to pathlib.Path
        ``chart``, ``html``, ``csv`` and ``xlsx``; see :func:`write_report`.
    """
    return write_report(finance_report(plan, dataset), out_dir)
