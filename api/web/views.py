"""Thin page views: each returns a template; the pages' JavaScript calls the JSON API with the user's token.

The pages themselves hold no data (the token lives in the browser's sessionStorage, so a page request carries
none); every read and write goes through the API, which enforces the roles.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.config import Settings
from api.deps import API_PREFIX, SessionRoute, SettingsDep

HERE = Path(__file__).resolve().parent
STATIC_URL = "/static"
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(route_class=SessionRoute, include_in_schema=False)


def _page(request: Request, settings: Settings, name: str, **context: object) -> HTMLResponse:
    # the board map's street tiles (OpenStreetMap's by default; None when MAP_TILE_URL=none, e.g. offline tests)
    return templates.TemplateResponse(request, name, {"api": API_PREFIX, "static": STATIC_URL,
                                                      "tile_url": settings.map_tile_url, **context})


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/login")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, settings: SettingsDep) -> HTMLResponse:
    return _page(request, settings, "login.html", title="Sign in")


@router.get("/board", response_class=HTMLResponse)
def dispatcher_board(request: Request, settings: SettingsDep) -> HTMLResponse:
    # the plan request's recommended search time is the deployment's own default
    return _page(request, settings, "board.html", title="Dispatcher board", role="dispatcher",
                 time_limit=settings.solver_time_limit)


@router.get("/route", response_class=HTMLResponse)
def technician_page(request: Request, settings: SettingsDep) -> HTMLResponse:
    return _page(request, settings, "route.html", title="My route", role="technician")


@router.get("/route-sw.js")
def route_service_worker() -> FileResponse:
    """The route page's service worker, served from the root so that its scope may cover /route."""
    # no-cache: the browser checks for a newer worker on every visit, so a deploy reaches the phones
    return FileResponse(HERE / "static" / "sw.js", media_type="text/javascript",
                        headers={"Cache-Control": "no-cache"})


@router.get("/stock", response_class=HTMLResponse)
def storekeeper_view(request: Request, settings: SettingsDep) -> HTMLResponse:
    return _page(request, settings, "stock.html", title="Stock", role="storekeeper")


@router.get("/report", response_class=HTMLResponse)
def supervisor_report(request: Request, settings: SettingsDep) -> HTMLResponse:
    # supervisors land here; dispatchers and planners may open it too (the API decides who reads the figures)
    return _page(request, settings, "report.html", title="Service report", role="supervisor")


@router.get("/report/monthly", response_class=HTMLResponse)
def monthly_report(request: Request, settings: SettingsDep) -> HTMLResponse:
    return _page(request, settings, "monthly.html", title="Monthly report", role="supervisor")


async def _not_found(request: Request, exc: Exception) -> Response:
    # a person who mistypes a page address gets a page with a way on; API clients keep the JSON body
    assert isinstance(exc, StarletteHTTPException)
    wants_page = "text/html" in request.headers.get("accept", "")
    if exc.status_code == 404 and wants_page and not request.url.path.startswith(API_PREFIX + "/"):
        return templates.TemplateResponse(request, "not_found.html", {
            "api": API_PREFIX, "static": STATIC_URL, "title": "Page not found", "path": request.url.path},
            status_code=404)
    return await http_exception_handler(request, exc)


def mount(app: FastAPI) -> None:
    """Add the pages and their static files (CSS, JS, the vendored Leaflet and uPlot) to `app`."""
    app.include_router(router)
    app.add_exception_handler(StarletteHTTPException, _not_found)
    app.mount(STATIC_URL, StaticFiles(directory=HERE / "static"), name="static")
