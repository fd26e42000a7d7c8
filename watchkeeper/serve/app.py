"""The dashboard's routes: each reads its parameters, asks one page module, renders one
template. Every URL is stable and says what it shows, so an auditor can cite it:

    /                                          overview (latest run per benchmark)
    /controls/4.5?benchmark=cis-v5.0.0         a control, its verdicts (status/ou/account)
    /accounts/111122223333                     an account's verdicts and collection errors
    /accounts/111122223333/evidence/4.5        one verdict's chain, counterexample, SQL, raw
    /history?control=4.5&account=…             timeline; snapshots with `verify`; check runs
    /history/diff?from=1&to=2                  what changed between two snapshots
    /sql?q=…&limit=…                           read-only console; /sql/download.csv|json
    /runs, /runs/7/download/pdf                every stored run in every report format

``?run=ID`` pins any page to one stored check run; without it, the latest of the
benchmark. Nothing here writes: the store is opened read-only, and only while requests
are answered (lease.py), so `collect` and `check` can write it while the dashboard is up.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from watchkeeper import __version__
from watchkeeper.analyst.query import render as render_rows
from watchkeeper.errors import UserError
from watchkeeper.queries.results import STATUSES
from watchkeeper.reports.html import report_css
from watchkeeper.reports.render import FORMATS
from watchkeeper.serve.console import Console, ConsoleError, ConsoleLimits
from watchkeeper.serve.lease import LeaseTimes
from watchkeeper.serve.pages.account import account_page
from watchkeeper.serve.pages.common import BadRequest, int_param, link, run_params
from watchkeeper.serve.pages.control import control_page
from watchkeeper.serve.pages.downloads import Downloads
from watchkeeper.serve.pages.evidence import evidence_page
from watchkeeper.serve.pages.history import HistoryCache, diff_page, history_page
from watchkeeper.serve.pages.overview import overview
from watchkeeper.serve.pages.sql import EXAMPLES, csv_text, sql_page, table_help
from watchkeeper.serve.render import render_page
from watchkeeper.serve.security import SecurityMiddleware
from watchkeeper.serve.store import DashboardStore, NotFound, RunInfo, RunView
from watchkeeper.store import StoreLockedError

__all__ = ["Dashboard", "create_app"]

_STATIC = resources.files("watchkeeper.serve").joinpath("static")
STATIC_FILES = {
    "serve.css": "text/css; charset=utf-8",
    "serve.js": "text/javascript; charset=utf-8",
}


@dataclass
class Dashboard:
    """What the routes share for the life of the process."""

    store: DashboardStore
    console: Console
    downloads: Downloads
    history: HistoryCache

    @classmethod
    def open(
        cls,
        db: Path,
        limits: ConsoleLimits,
        times: LeaseTimes | None = None,
    ) -> Dashboard:
        store = DashboardStore(db, times=times)
        return cls(store, Console(db, limits, within=store.lease), Downloads(db), HistoryCache())

    def warm(self) -> None:
        """Load the latest run of each benchmark before anyone asks: at 1,000 accounts the
        first look at a run (its results, basis and matrix) takes seconds."""
        with contextlib.suppress(UserError, duckdb.Error), self.store.lease.hold():
            for info in self.store.latest_runs():
                view = self.store.view(info)
                with self.store.cursor() as con, view.raw_lock:  # the evidence pages' index
                    view.raw(con)

    def close(self) -> None:
        self.console.close()
        self.store.close()


def _page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("run", None)
    context.setdefault("pinned", False)
    html = render_page(
        template,
        {
            **context,
            "version": __version__,
            "path": request.url.path,
            "link": link,
            "statuses": STATUSES,
            "formats": FORMATS,
        },
    )
    return HTMLResponse(html, status_code=status)


def _error(request: Request, status: int, message: str) -> HTMLResponse:
    return _page(request, "error.html.j2", status=status, status_code=status, message=message)


Handler = Callable[[Request, Dashboard], Response]


def _route(handler: Handler, dash: Dashboard, reads: bool) -> Callable[[Request], Response]:
    """A sync endpoint (run in Starlette's thread pool) that turns our errors into pages.
    One that ``reads`` the store holds it open for the whole request: what it opens on
    the way (a stored run, a report) then shares that handle instead of opening the file
    again."""

    def endpoint(request: Request) -> Response:
        try:
            if not reads:
                return handler(request, dash)
            with dash.store.lease.hold():
                return handler(request, dash)
        except StoreLockedError:
            page = _error(
                request,
                503,
                f"the database is being written by another watchkeeper process (collect or "
                f"check) for longer than {dash.store.lease.lock_wait:g} s; try again shortly",
            )
            page.headers["Retry-After"] = "10"
            return page
        except NotFound as exc:
            return _error(request, 404, str(exc))
        except UserError as exc:
            return _error(request, 400, str(exc))

    return endpoint


def _run(request: Request, dash: Dashboard) -> tuple[RunInfo, RunView, bool]:
    run_id = int_param(request.query_params.get("run"), "run", minimum=1)
    info = dash.store.resolve(run_id, request.query_params.get("benchmark") or None)
    return info, dash.store.view(info), run_id is not None


def _base(info: RunInfo, view: RunView, pinned: bool) -> dict[str, Any]:
    return {
        "run": info,
        "pinned": pinned,
        "rp": run_params(info, pinned),
        "cover": view.basis.cover,
    }


def overview_route(request: Request, dash: Dashboard) -> Response:
    if not dash.store.runs():
        return _page(request, "empty.html.j2", db=str(dash.store.db))
    info, view, pinned = _run(request, dash)
    page = int_param(request.query_params.get("page"), "page", minimum=1)
    data = overview(dash.store, view, pinned, page)
    return _page(request, "overview.html.j2", page=data, **_base(info, view, pinned))


def control_route(request: Request, dash: Dashboard) -> Response:
    info, view, pinned = _run(request, dash)
    q = request.query_params
    data = control_page(
        view,
        request.path_params["control_id"],
        status=q.get("status") or None,
        ou=q.get("ou") or None,
        account=(q.get("account") or "").strip() or None,
        page=int_param(q.get("page"), "page", minimum=1),
    )
    return _page(request, "control.html.j2", page=data, **_base(info, view, pinned))


def account_route(request: Request, dash: Dashboard) -> Response:
    info, view, pinned = _run(request, dash)
    data = account_page(view, request.path_params["account_id"])
    return _page(request, "account.html.j2", page=data, **_base(info, view, pinned))


def evidence_route(request: Request, dash: Dashboard) -> Response:
    info, view, pinned = _run(request, dash)
    with dash.store.cursor() as con:
        data = evidence_page(
            con, view, request.path_params["account_id"], request.path_params["control_id"]
        )
    account = view.basis.accounts[request.path_params["account_id"]]
    return _page(
        request,
        "evidence.html.j2",
        page=data,
        section=data.section,
        v=data.section.verdicts[0],
        pack_account=account,  # the report partial then draws every box of the chain
        **_base(info, view, pinned),
    )


def _benchmark(request: Request, dash: Dashboard) -> tuple[str, list[str], RunInfo | None]:
    """The benchmark a history page is about, and its controls (catalog order)."""
    runs = dash.store.latest_runs()
    wanted = request.query_params.get("benchmark") or None
    info = next((r for r in runs if wanted in (None, r.benchmark)), None)
    benchmark = wanted or (info.benchmark if info else None)
    if benchmark is None:
        from watchkeeper.queries.catalog import DEFAULT_BENCHMARK

        benchmark = DEFAULT_BENCHMARK
    try:
        benchmark = dash.store.catalog.resolve_benchmark(benchmark)
    except (KeyError, ValueError) as exc:
        raise BadRequest(str(exc).strip("'\"")) from None
    controls = [c.control_id for c in dash.store.catalog.controls(benchmark)]
    return benchmark, controls, info


def history_route(request: Request, dash: Dashboard) -> Response:
    benchmark, controls, info = _benchmark(request, dash)
    q = request.query_params
    data = history_page(
        dash.store,
        dash.history,
        benchmark,
        controls,
        control=q.get("control") or None,
        account=(q.get("account") or "").strip() or None,
        page=int_param(q.get("page"), "page", minimum=1),
    )
    return _page(request, "history.html.j2", page=data, latest=info)


def diff_route(request: Request, dash: Dashboard) -> Response:
    benchmark, _, _ = _benchmark(request, dash)
    q = request.query_params
    data = diff_page(
        dash.store,
        dash.history,
        benchmark,
        int_param(q.get("from"), "from", minimum=1),
        int_param(q.get("to"), "to", minimum=1),
        int_param(q.get("page"), "page", minimum=1),
        int_param(q.get("vpage"), "vpage", minimum=1),
    )
    return _page(request, "diff.html.j2", page=data)


def _limit(request: Request) -> int | None:
    return int_param(request.query_params.get("limit"), "limit", minimum=1)


def sql_route(request: Request, dash: Dashboard) -> Response:
    data = sql_page(dash.console, request.query_params.get("q") or "", _limit(request))
    return _page(
        request,
        "sql.html.j2",
        status=400 if data.error else 200,
        page=data,
        help=table_help(),
        examples=EXAMPLES,
    )


def sql_download_route(request: Request, dash: Dashboard) -> Response:
    fmt = request.path_params["fmt"]
    if fmt not in ("csv", "json"):
        raise NotFound(f"no download as {fmt!r}: choose csv or json")
    query = request.query_params.get("q") or ""
    try:
        result = dash.console.run(query, _limit(request))
    except ConsoleError as exc:
        return PlainTextResponse(f"error: {exc}\n", status_code=400)
    body = csv_text(result) if fmt == "csv" else render_rows(result.result, "json")
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    headers = {"content-disposition": f'attachment; filename="watchkeeper-query.{fmt}"'}
    if result.truncated:
        headers["x-watchkeeper-truncated"] = f"first {result.limit} rows"
    return Response(body, media_type=media, headers=headers)


def runs_route(request: Request, dash: Dashboard) -> Response:
    return _page(request, "runs.html.j2", runs=dash.store.runs())


def download_route(request: Request, dash: Dashboard) -> Response:
    run_id = int_param(request.path_params["run_id"], "run", minimum=1)
    info = dash.store.resolve(run_id, None)
    got = dash.downloads.get(info, request.path_params["fmt"])
    return Response(
        got.data,
        media_type=got.media_type,
        headers={"content-disposition": f'attachment; filename="{got.filename}"'},
    )


def static_route(request: Request, dash: Dashboard) -> Response:
    name = request.path_params["name"]
    if name == "report.css":  # the report's own stylesheet: the partials look the same
        return Response(report_css(), media_type="text/css; charset=utf-8")
    if name not in STATIC_FILES:  # a fixed list: never a path into the file system
        raise NotFound(f"no static file {name!r}")
    return Response(_STATIC.joinpath(name).read_bytes(), media_type=STATIC_FILES[name])


def api_runs_route(request: Request, dash: Dashboard) -> Response:
    """The stored runs as JSON (what /runs lists), for scripts."""
    body = [
        {
            "run_id": r.run_id,
            "benchmark": r.benchmark,
            "profile": r.profile,
            "checked_at": r.checked_at.isoformat(),
            "snapshot_ids": r.snapshot_ids,
            "scoped": r.scoped,
            "summary": r.counts,
            "results_sha256": r.results_sha256,
        }
        for r in dash.store.runs()
    ]
    return Response(json.dumps(body, indent=2) + "\n", media_type="application/json")


def create_app(
    db: Path,
    *,
    token: str | None = None,
    limits: ConsoleLimits | None = None,
    warm: bool = True,
    times: LeaseTimes | None = None,
) -> Starlette:
    """The dashboard over ``db`` (checked now; a missing file is a StoreError). ``warm``
    loads the latest runs in a background thread while the server starts; ``times`` are how
    long it holds the file and waits for writers (see lease.py)."""
    dash = Dashboard.open(db, limits or ConsoleLimits(), times=times)
    if warm:
        threading.Thread(target=dash.warm, name="watchkeeper-warm", daemon=True).start()
    routes = [
        ("/", overview_route),
        ("/controls/{control_id}", control_route),
        ("/accounts/{account_id}", account_route),
        ("/accounts/{account_id}/evidence/{control_id}", evidence_route),
        ("/history", history_route),
        ("/history/diff", diff_route),
        ("/sql", sql_route),
        ("/sql/download.{fmt}", sql_download_route),
        ("/runs", runs_route),
        ("/runs.json", api_runs_route),
        ("/runs/{run_id}/download/{fmt}", download_route),
        ("/static/{name}", static_route),
    ]
    app = Starlette(
        routes=[
            Route(path, _route(h, dash, reads=h is not static_route), methods=["GET", "HEAD"])
            for path, h in routes
        ]
    )
    app.state.dashboard = dash
    app.add_middleware(SecurityMiddleware, token=token)
    return app
