"""A static HTTP server for the fixture sites under tests/sites/, with a request log.

`serve_fixture(root)` serves the files under `root` on a free 127.0.0.1 port for the length of a
`with` block and records every request, so integration tests can assert what a crawl fetched and,
just as much, what it never asked for.

URL -> file
    "/" -> index.html; a path ending in "/" -> <path>index.html; any other path -> that file.
    A query string is appended to the file name after "@": /a.html?id=1 -> a.html@id=1 and
    /?p=2 -> index.html@p=2. The path is percent-decoded; the query is used as sent, except
    that a "/" in it is stored as "%2F" in the file name. Anything that would leave `root`, and
    every path with a segment starting with "_" (_site.toml, _expected.json), is a 404.

Tokens (ASCII, replaced in every served file, so an EUC-KR file stays otherwise byte-exact)
    __BASE__                      http://127.0.0.1:PORT
    __NOW__, __NOW-<n><m|h|d>__   that instant as ISO 8601, seconds, +09:00
    __RFC822_NOW__, __RFC822_NOW-<n><m|h|d>__   the same instant as an RFC 822 date
    "Now" is fixed once when the server starts, so one server always serves identical bytes.

Per-path overrides in <root>/_site.toml (read once, at start)
    [paths."/old-url/"]
    redirect = "/new/"        # 301 (or `status`, when given) with an absolute Location
    content_type = "..."      # instead of the default for the extension
    headers = { "X-A" = "b" } # extra response headers (tokens are replaced in values)
    status = 200              # the status of a served file; with no file, a small HTML body
    delay = 0.3               # seconds before answering, added to the server-wide delay
    gzip = true               # the stored file is plain text: tokens replaced, then gzipped

Validators
    Every 200 carries ETag ("<sha1 of the served bytes>"), Last-Modified (the file's mtime) and
    Content-Length. If-None-Match matching the ETag gives 304; when the request has no
    If-None-Match, If-Modified-Since at or after the mtime gives 304 (RFC 9110 13.1.3: the date
    is ignored when an entity tag was sent, so an edited file is never hidden behind a 304).
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import os
import re
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from sokbo.web.httpdates import not_modified_since

__all__ = ["FixtureServer", "PathRule", "RequestRecord", "serve_fixture"]

KST = timezone(timedelta(hours=9))

_TOKEN = re.compile(rb"__(RFC822_)?NOW(?:-([0-9]+)([mhd]))?__")
_UNITS = {b"m": "minutes", b"h": "hours", b"d": "days"}

_CONTENT_TYPES: dict[str, str] = {
    ".html": "text/html",
    ".htm": "text/html",
    ".xml": "application/xml",
    ".json": "application/feed+json",
    ".txt": "text/plain",
    ".gz": "application/x-gzip",
    ".rdf": "application/rdf+xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".css": "text/css",
    ".js": "text/javascript",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}
_FALLBACK_TYPE = "application/octet-stream"

_RULE_KEYS = frozenset({"redirect", "content_type", "headers", "status", "delay", "gzip"})

_NOT_FOUND = (
    b'<!DOCTYPE html>\n<html lang="ko"><head><meta charset="utf-8"><title>404 Not Found</title>'
    b"</head><body><h1>404 Not Found</h1></body></html>\n"
)


@dataclass(frozen=True)
class RequestRecord:
    """One request as the server saw it."""

    method: str
    path: str  # path plus "?query" when present, exactly as requested
    headers: dict[str, str]  # all request headers (case as sent)
    status: int
    received: float = field(default_factory=time.monotonic)  # when it arrived


@dataclass(frozen=True)
class PathRule:
    """The overrides `_site.toml` gives one URL path."""

    redirect: str | None = None
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    status: int | None = None
    delay: float = 0.0
    gzip: bool = False


class FixtureServer:
    """What a test sees of a running fixture server: its address and its request log."""

    def __init__(self, base_url: str, now: datetime, reload: Callable[[], None]) -> None:
        self.base_url: str = base_url
        self._reload = reload
        self.now: datetime = now  # the instant __NOW__ stands for (+09:00, whole seconds)
        self.log: list[RequestRecord] = []
        self._lock = threading.Lock()

    def url(self, path: str) -> str:
        """The absolute URL of a path on this server."""
        return self.base_url + path

    def paths(self, method: str = "GET") -> list[str]:
        """The requested paths (with their query strings) for one method, in order."""
        with self._lock:
            return [record.path for record in self.log if record.method == method]

    def clear(self) -> None:
        with self._lock:
            self.log.clear()

    def reload(self) -> None:
        """Read `_site.toml` again (a test changed how the site answers)."""
        self._reload()

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self.log.append(record)


def _parse_rules(root: Path) -> dict[str, PathRule]:
    """The `[paths."..."]` tables of <root>/_site.toml; a mistake raises ValueError naming it."""
    config = root / "_site.toml"
    if not config.is_file():
        return {}
    with config.open("rb") as handle:
        data = tomllib.load(handle)
    unknown_top = set(data) - {"paths"}
    if unknown_top:
        raise ValueError(f"{config}: unknown tables {sorted(unknown_top)}")
    paths = data.get("paths", {})
    if not isinstance(paths, dict):
        raise ValueError(f"{config}: [paths] must be a table")
    rules: dict[str, PathRule] = {}
    for key, table in paths.items():
        where = f'{config}: [paths."{key}"]'
        if not key.startswith("/") or not isinstance(table, dict):
            raise ValueError(f"{where}: keys must be URL paths starting with '/' and map to tables")
        unknown = set(table) - _RULE_KEYS
        if unknown:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
        headers = table.get("headers", {})
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise ValueError(f"{where}: headers must be a table of strings")
        status = table.get("status")
        if status is not None and (not isinstance(status, int) or not 100 <= status <= 599):
            raise ValueError(f"{where}: status must be an HTTP status code")
        delay = table.get("delay", 0.0)
        if not isinstance(delay, int | float) or delay < 0:
            raise ValueError(f"{where}: delay must be a number of seconds >= 0")
        redirect = table.get("redirect")
        content_type = table.get("content_type")
        if not isinstance(redirect, str | None) or not isinstance(content_type, str | None):
            raise ValueError(f"{where}: redirect and content_type must be strings")
        if not isinstance(table.get("gzip", False), bool):
            raise ValueError(f"{where}: gzip must be true or false")
        rules[key] = PathRule(
            redirect=redirect,
            content_type=content_type,
            headers=tuple(headers.items()),
            status=status,
            delay=float(delay),
            gzip=table.get("gzip", False),
        )
    return rules


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # a crawler opens many connections at once; 5 would stall them

    def __init__(self, root: Path, delay: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.root = root.resolve()
        self.delay = delay
        self.rules = _parse_rules(self.root)
        now = datetime.now(KST).replace(microsecond=0)
        base_url = f"http://127.0.0.1:{self.server_address[1]}"
        self.fixture = FixtureServer(base_url, now, self._reload_rules)
        self._base = self.fixture.base_url.encode("ascii")

    def _reload_rules(self) -> None:
        self.rules = _parse_rules(self.root)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay silent: a client hanging up mid-response is not worth a traceback."""

    def replace_tokens(self, data: bytes) -> bytes:
        data = data.replace(b"__BASE__", self._base)
        if b"NOW" not in data:
            return data
        now = self.fixture.now

        def instant(match: re.Match[bytes]) -> bytes:
            moment = now
            if match.group(2) is not None:
                moment = now - timedelta(**{_UNITS[match.group(3)]: int(match.group(2))})
            if match.group(1):
                return email.utils.format_datetime(moment).encode("ascii")
            return moment.isoformat().encode("ascii")

        return _TOKEN.sub(instant, data)

    def locate(self, path: str, query: str | None) -> Path | None:
        """The file a request path (and query) maps to, or None when it is not servable."""
        raw = unquote_to_bytes(path.encode("latin-1", "replace"))
        if not raw.startswith(b"/") or b"\x00" in raw or b"\\" in raw:
            return None
        segments = raw[1:].split(b"/")
        if any(s in (b"..", b".") or s.startswith(b"_") for s in segments):
            return None
        relative = raw[1:]
        if not relative or relative.endswith(b"/"):
            relative += b"index.html"
        if query is not None:
            encoded = query.encode("latin-1", "replace")
            if b"\x00" in encoded:
                return None
            relative += b"@" + encoded.replace(b"/", b"%2F")
        name = os.fsdecode(relative)
        if name.startswith("/"):
            return None
        candidate = self.root / name
        try:
            resolved = candidate.resolve()
        except (OSError, RuntimeError):
            return None
        if not resolved.is_relative_to(self.root) or not resolved.is_file():
            return None
        return candidate

    def rule_for(self, path: str, query: str | None) -> PathRule | None:
        if query is not None:
            rule = self.rules.get(f"{path}?{query}")
            if rule is not None:
                return rule
        rule = self.rules.get(path)
        if rule is None:
            decoded = os.fsdecode(unquote_to_bytes(path.encode("latin-1", "replace")))
            rule = self.rules.get(decoded)
        return rule


@dataclass
class _Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    delay: float


class _Handler(BaseHTTPRequestHandler):
    server_version = "sokbo-fixture/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Log nothing to stderr."""

    def do_GET(self) -> None:
        self._handle(with_body=True)

    def do_HEAD(self) -> None:
        self._handle(with_body=False)

    def _method_not_allowed(self) -> None:
        reply = _Reply(
            HTTPStatus.METHOD_NOT_ALLOWED,
            [("Allow", "GET, HEAD"), ("Content-Type", "text/plain")],
            b"method not allowed\n",
            0.0,
        )
        self._finish(reply, with_body=True)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _method_not_allowed

    @property
    def _server(self) -> _Server:
        server = self.server
        assert isinstance(server, _Server)
        return server

    def _handle(self, *, with_body: bool) -> None:
        try:
            reply = self._reply()
        except Exception as exc:  # a fixture mistake must show up in the log, not hang the test
            body = f"fixture server error: {exc!r}\n".encode()
            reply = _Reply(500, [("Content-Type", "text/plain")], body, 0.0)
        self._finish(reply, with_body=with_body)

    def _finish(self, reply: _Reply, *, with_body: bool) -> None:
        server = self._server
        server.fixture._record(
            RequestRecord(
                method=self.command,
                path=self.path,
                headers=dict(self.headers.items()),
                status=int(reply.status),
            )
        )
        wait = server.delay + reply.delay
        if wait > 0:
            time.sleep(wait)
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.end_headers()
        if with_body and reply.body:
            self.wfile.write(reply.body)  # a client hanging up is silenced by handle_error

    def _reply(self) -> _Reply:
        server = self._server
        target = self.path
        if target.startswith(("http://", "https://")):  # absolute-form request target
            parts = urlsplit(target)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        path, sep, query_text = target.partition("?")
        query = query_text if sep else None
        rule = server.rule_for(path, query)
        extra: list[tuple[str, str]] = []
        if rule is not None:
            extra = [(k, server.replace_tokens(v.encode()).decode()) for k, v in rule.headers]
        delay = rule.delay if rule else 0.0

        if rule is not None and rule.redirect is not None:
            location = server.replace_tokens(rule.redirect.encode()).decode()
            if location.startswith("/"):
                location = server.fixture.base_url + location
            body = f'<!DOCTYPE html>\n<p>Moved to <a href="{location}">{location}</a></p>\n'
            return _Reply(
                rule.status or HTTPStatus.MOVED_PERMANENTLY,
                [
                    ("Location", location),
                    ("Content-Type", "text/html"),
                    ("Content-Length", str(len(body.encode()))),
                    *extra,
                ],
                body.encode(),
                delay,
            )

        file = server.locate(path, query)
        if file is None:
            status = rule.status if rule and rule.status else HTTPStatus.NOT_FOUND
            return _Reply(
                status,
                [
                    ("Content-Type", "text/html; charset=utf-8"),
                    ("Content-Length", str(len(_NOT_FOUND))),
                    *extra,
                ],
                _NOT_FOUND,
                delay,
            )

        data = server.replace_tokens(file.read_bytes())
        if rule is not None and rule.gzip:
            data = gzip.compress(data, mtime=0)
        mtime = int(file.stat().st_mtime)
        etag = f'"{hashlib.sha1(data).hexdigest()}"'
        last_modified = email.utils.formatdate(mtime, usegmt=True)
        if rule is not None and rule.content_type:
            content_type = rule.content_type
        elif "@" in file.name:
            content_type = "text/html"
        elif file.name == "robots.txt":
            content_type = "text/plain"
        else:
            content_type = _CONTENT_TYPES.get(file.suffix.lower(), _FALLBACK_TYPE)
        status = rule.status if rule and rule.status else HTTPStatus.OK
        validators = [("ETag", etag), ("Last-Modified", last_modified)]
        if status == HTTPStatus.OK and self._not_modified(etag, mtime):
            return _Reply(HTTPStatus.NOT_MODIFIED, [*validators, *extra], b"", delay)
        headers = [("Content-Type", content_type), ("Content-Length", str(len(data)))]
        if status == HTTPStatus.OK:
            headers += validators
        return _Reply(status, [*headers, *extra], data, delay)

    def _not_modified(self, etag: str, mtime: int) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            wanted = etag.removeprefix("W/")
            for tag in if_none_match.split(","):
                tag = tag.strip()
                if tag == "*" or tag.removeprefix("W/") == wanted:
                    return True
            return False
        return not_modified_since(self.headers.get("If-Modified-Since"), mtime)


@contextmanager
def _serving(root: Path, delay: float) -> Iterator[FixtureServer]:
    server = _Server(Path(root), delay)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name=f"fixture-server-{server.server_address[1]}",
        daemon=True,
    )
    thread.start()
    try:
        yield server.fixture
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def serve_fixture(root: Path, delay: float = 0.0) -> AbstractContextManager[FixtureServer]:
    """Serve the fixture site at `root` on a free 127.0.0.1 port while the `with` block runs.

    `delay` (seconds) is added before every answer. Raises ValueError when `_site.toml` is wrong.
    """
    return _serving(Path(root), delay)
