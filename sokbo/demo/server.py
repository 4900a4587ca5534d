"""A tiny threaded HTTP server that serves the static demo Tistory blog on a local port."""

from __future__ import annotations

import email.utils
import errno
import re
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sokbo.web.httpdates import not_modified_since

__all__ = ["SITE_ROOT", "serve"]

SITE_ROOT: Path = Path(__file__).parent / "site"

BASE_TOKEN = b"__BASE__"
HTML = "text/html; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"

# Fixed routes: URL path -> (file under the root, content type).
_ROUTES: dict[str, tuple[str, str]] = {
    "/": ("index.html", HTML),
    "/rss": ("rss.xml", RSS),
    "/atom": ("atom.xml", ATOM),
    "/category/News": ("category.html", HTML),
    "/robots.txt": ("robots.txt", TEXT),
}
_POST = re.compile(r"/([1-9][0-9]{0,8})")
_NOT_FOUND = (
    '<!DOCTYPE html>\n<html lang="ko"><head><meta charset="utf-8"><title>404 Not Found</title>'
    "</head><body><h1>페이지를 찾을 수 없습니다</h1></body></html>\n"
).encode()


def _resolve(path: str) -> tuple[str, str] | None:
    """The file name and content type for a request path, or None when there is none."""
    if path in _ROUTES:
        return _ROUTES[path]
    match = _POST.fullmatch(path)
    if match:
        return f"{match.group(1)}.html", HTML
    return None


class _DemoServer(ThreadingHTTPServer):
    """Knows its document root and the base URL that replaces `__BASE__`."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], root: Path) -> None:
        super().__init__(address, _Handler)
        self.root = root
        self.base_url = f"http://{address[0]}:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay silent: a client hanging up mid-response is not worth a traceback."""


class _Handler(BaseHTTPRequestHandler):
    """GET and HEAD for the demo blog's fixed URL layout; everything else is a 404."""

    server_version = "sokbo-demo/1.0"

    def do_GET(self) -> None:
        self._respond(with_body=True)

    def do_HEAD(self) -> None:
        self._respond(with_body=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Log nothing: tests and the demo CLI keep stderr clean."""

    def _respond(self, *, with_body: bool) -> None:
        server = self.server
        assert isinstance(server, _DemoServer)
        route = _resolve(urlsplit(self.path).path)
        file = server.root / route[0] if route else None
        if route is None or file is None or not file.is_file():
            self._send(HTTPStatus.NOT_FOUND, HTML, _NOT_FOUND, None, with_body)
            return
        mtime = int(file.stat().st_mtime)
        if not_modified_since(self.headers.get("If-Modified-Since"), mtime):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self.send_header("Last-Modified", email.utils.formatdate(mtime, usegmt=True))
            self.end_headers()
            return
        data = file.read_bytes().replace(BASE_TOKEN, server.base_url.encode("ascii"))
        self._send(HTTPStatus.OK, route[1], data, mtime, with_body)

    def _send(
        self,
        status: HTTPStatus,
        content_type: str,
        data: bytes,
        mtime: int | None,
        with_body: bool,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if mtime is not None:
            self.send_header("Last-Modified", email.utils.formatdate(mtime, usegmt=True))
        self.end_headers()
        if with_body:
            self.wfile.write(data)


@contextmanager
def _serving(root: Path, host: str, port: int) -> Iterator[str]:
    try:
        server = _DemoServer((host, port), root)
    except OSError as exc:
        code = exc.errno if exc.errno is not None else errno.EADDRINUSE
        reason = exc.strerror or str(exc)
        raise OSError(code, f"demo server cannot listen on {host}:{port}: {reason}") from exc
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.1},
        name=f"sokbo-demo-{server.server_address[1]}",
        daemon=True,
    )
    thread.start()
    try:
        yield server.base_url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def serve(root: Path, host: str = "127.0.0.1", port: int = 0) -> AbstractContextManager[str]:
    """Serve the demo blog under `root` on host:port (0 picks a free port); yields the base URL.

    The server runs in a daemon thread while the `with` block runs and is shut down, and its
    socket closed, on exit. Raises OSError naming host:port when the address cannot be bound.
    """
    return _serving(Path(root), host, port)
