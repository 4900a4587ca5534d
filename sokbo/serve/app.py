"""The Starlette application of `sokbo serve`: GET routes only, every response hardened."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from sokbo.config import Config
from sokbo.ops.status import Schedule, alerts_of
from sokbo.serve import preview as previews
from sokbo.serve import views
from sokbo.store import Store, StoreMissing, store_error

HERE = Path(__file__).parent
logger = logging.getLogger("sokbo.serve")
# A post's frame (srcdoc) is held to this policy and to its own (views.POST_CSP): the
# posts' images load from their hosts, as on the blog (with no referrer); nothing runs.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data: https: http:; frame-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
TOKEN_COOKIE = "sokbo_token"
_templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)
_templates.filters["when"] = views.when
_templates.filters["span"] = views.span

Next = Callable[[Request], Awaitable[Response]]


class Guard(BaseHTTPMiddleware):
    """Security headers on every response; with a token, no request without it."""

    def __init__(self, app: Any, token: str | None) -> None:
        super().__init__(app)
        self.token = token

    async def dispatch(self, request: Request, call_next: Next) -> Response:
        given = self._given(request)
        if self.token and not (given and hmac.compare_digest(given, self.token)):
            response: Response = PlainTextResponse("a token is needed: ?token=...", 401)
        else:
            response = await call_next(request)
            if self.token and request.query_params.get("token"):
                response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="strict")
        response.headers.update(HEADERS)
        return response

    @staticmethod
    def _given(request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return header[7:].strip()
        return request.query_params.get("token") or request.cookies.get(TOKEN_COOKIE)


def create_app(
    config: Config, config_path: Path, schedule: Schedule, token: str | None = None
) -> Starlette:
    """The application over one config (read from `config_path`, which the preview's
    child process reads again); `token`: required of every request when set."""

    def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = _templates.get_template(name).render(**context)
        return HTMLResponse(html, status)

    def sources(request: Request) -> HTMLResponse:
        now = views.now_utc()
        found = views.overview(config, schedule, now)
        sort = request.query_params.get("sort", "source")
        return page(
            "sources.html",
            config=config,
            overview=found,
            rows=views.source_rows(found, sort, now),
            pushed=any(row.push for row in found.sources),
            sort=sort,
            now=now,
            alerts=alerts_of(found.sources),
        )

    def from_store(template: str, read: Callable[[Store], object]) -> HTMLResponse:
        """The page `template` shows what `read` finds in the store; a store not made
        yet is said so (nothing is created)."""
        try:
            store = views.open_store(config)
        except StoreMissing as exc:
            return page("missing.html", 200, config=config, what=str(exc))
        try:
            shown = read(store)
        finally:
            store.close()
        return page(template, config=config, page=shown)

    def source(request: Request) -> HTMLResponse:
        source_id = request.path_params["source_id"]
        if source_id not in {item.id for item in config.source}:
            return page("missing.html", 404, config=config, what=f"no source {source_id}")
        return from_store(
            "source.html", lambda store: views.source_page(store, source_id, views.now_utc())
        )

    def site(request: Request) -> HTMLResponse:
        site_id = request.path_params["site_id"]
        found = [item for item in config.site if item.id == site_id]
        if not found:
            return page("missing.html", 404, config=config, what=f"no site {site_id}")
        return from_store("site.html", lambda store: views.site_page(store, found[0]))

    async def preview(request: Request) -> HTMLResponse:
        asked = {
            name: request.query_params.get(name, "").strip() for name in ("url", "source", "site")
        }
        url, source, site = asked["url"], asked["source"], asked["site"]
        shown = None
        if url:
            refused = previews.refusal(config, url, source, site)
            shown = (
                previews.Preview(url, error=refused)
                if refused
                else await previews.preview(config_path, url, source, site)
            )
        posts = [(post, views.srcdoc(post.body)) for post in shown.posts] if shown else []
        return page("preview.html", config=config, asked=asked, shown=shown, posts=posts)

    def healthz(_request: Request) -> JSONResponse:
        now = views.now_utc()
        try:
            found = views.overview(config, schedule, now)
            problem = found.store_missing
        except SQLAlchemyError as exc:
            return JSONResponse({"store": False, "error": store_error(exc)}, 503)
        body = {
            "store": problem is None,
            "scheduler": found.scheduler is not None,
            "alerts": sorted({alert.source_id for alert in alerts_of(found.sources)}),
        }
        if problem:
            body["error"] = problem
        return JSONResponse(json.loads(json.dumps(body)), 503 if problem else 200)

    async def store_failed(request: Request, exc: Exception) -> Response:
        """A store that fails while a page reads it (a disk that went, a database that is
        down): one line saying so, 503, and the line in the log."""
        why = store_error(exc) if isinstance(exc, SQLAlchemyError) else str(exc)
        logger.error("serve: %s: the store cannot be read: %s", request.url.path, why)
        what = f"the store cannot be read: {why}"
        return page("missing.html", 503, config=config, what=what)

    routes = [
        Route("/", sources, methods=["GET", "HEAD"]),
        Route("/source/{source_id}", source, methods=["GET", "HEAD"]),
        Route("/site/{site_id}", site, methods=["GET", "HEAD"]),
        Route("/preview", preview, methods=["GET", "HEAD"]),
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(Guard, token=token)],
        exception_handlers={SQLAlchemyError: store_failed},
    )
