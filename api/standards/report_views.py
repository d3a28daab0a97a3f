"""HTTP routes of the supervisor's report: the standards over days (JSON) and the monthly report (JSON, CSV,
XLSX). For report readers (supervisors, dispatchers, planners); thin."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import NowDep, ReportReader, SessionDep, SessionRoute, SettingsDep
from api.standards import exports, history
from api.standards.schemas import By, KpiReport, MonthlyReport

router = APIRouter(route_class=SessionRoute, tags=["report"])

Month = Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/kpis", response_model=KpiReport, summary="The service standards over days",
            responses={422: {"description": "from is after to, or the range holds more than 400 days"}})
def kpis(session: SessionDep, settings: SettingsDep, now: NowDep, _user: ReportReader,
         from_: Annotated[dt.date | None, Query(alias="from", description="first day (default: 30 days before "
                                                                          "yesterday)")] = None,
         to: Annotated[dt.date | None, Query(description="last day, inclusive (default: yesterday); today's "
                                                         "figures are live")] = None,
         by: Annotated[By, Query(description="one row per day, ISO week, month, technician or customer")] = "day",
         ) -> KpiReport:
    """SLA per priority (an order counts once: on its first start, or missed on its deadline day), response
    median and 90th percentile, first-time fix, resolution within `resolution_days`, scores, complaints,
    utilization, travel and costs; each with its target. Past days are kept once computed and computed again
    when a visit, event, complaint or stock movement of theirs changes."""
    first, last = history.default_range(now, first=from_, last=to)
    return KpiReport.model_validate(history.kpis(session, first=first, last=last, by=by, settings=settings, now=now))


@router.get("/reports/monthly", response_model=MonthlyReport, summary="The monthly cost and standards report",
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}},
                                         XLSX: {"schema": {"type": "string", "format": "binary"}}},
                             "description": "JSON, or with format=csv / format=xlsx a file to download"},
                       422: {"description": "from is after to, or the months span more than 400 days"}})
def monthly(session: SessionDep, settings: SettingsDep, now: NowDep, _user: ReportReader,
            from_: Annotated[Month, Query(alias="from", pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                                          description="first month YYYY-MM (default: this month)")] = None,
            to: Month = None,
            format: Annotated[Literal["json", "csv", "xlsx"], Query(description="json, csv or xlsx")] = "json",
            ) -> MonthlyReport | Response:
    """Per month: one line per day (orders, visits, solved orders, labour, travel km and cost, parts, total
    cost, SLA share, first-time fix, resolution, average score, complaints) and the month's total line, whose
    counts, km and money are the sums of its days. CSV: columns month,date,...; XLSX: a sheet per month and a
    "Months" sheet."""
    this_month = f"{now:%Y-%m}"
    first, last = from_ or to or this_month, to or from_ or this_month
    report = history.monthly(session, first_month=first, last_month=last, settings=settings, now=now)
    if format == "json":
        return MonthlyReport.model_validate(report)
    name = exports.filename(first, last, format)
    headers = {"Content-Disposition": f"attachment; filename={name}"}
    if format == "csv":
        return Response(exports.monthly_csv(report), media_type="text/csv; charset=utf-8", headers=headers)
    return Response(exports.monthly_xlsx(report), media_type=XLSX, headers=headers)
