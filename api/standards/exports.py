"""The monthly report as files: CSV (one line per day, then the month's total line) and XLSX (a sheet per month
and a "Months" sheet of the months' totals; values, not formulas, so what is read is what the API said)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook

from api.standards.history import LINE_FIELDS

MONEY = ("labour_cost", "travel_cost", "parts_cost", "total_cost")


def filename(first_month: str, last_month: str, ext: str) -> str:
    return f"dispatch-monthly-{first_month}-{last_month}.{ext}"


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def monthly_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["month", "date", *LINE_FIELDS])
    for month in report["months"]:
        for line in [*month["days"], month["total"]]:
            writer.writerow([month["month"], line["date"], *(_cell(line[f]) for f in LINE_FIELDS)])
    return out.getvalue()


def _row(line: dict[str, Any]) -> list[Any]:
    # money as numbers a spreadsheet sums (exact to the cent as decimals); rates and counts as they are
    return [line["date"], *(float(Decimal(line[f])) if f in MONEY else line[f] for f in LINE_FIELDS)]


def monthly_xlsx(report: dict[str, Any]) -> bytes:
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "Months"
    summary.append(["month", *LINE_FIELDS])
    for month in report["months"]:
        summary.append([month["month"], *_row(month["total"])[1:]])
        sheet = book.create_sheet(month["month"])
        sheet.append(["date", *LINE_FIELDS])
        for line in [*month["days"], month["total"]]:
            sheet.append(_row(line))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
