"""Why a feed, sitemap or listing page could not be had, in a few words for one log line:
refused redirects, error statuses, failed downloads; and the robots.txt traceback that
Scrapy logs for a start URL when robots.txt itself cannot be downloaded, made one line."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
)
from scrapy.http import Response
from twisted.python.failure import Failure
from w3lib.url import safe_url_string

REDIRECTS = (301, 302, 303, 307, 308)
_DOWNLOAD_ERRORS = (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
)


def requested_url(message: scrapy.Request | Response) -> str:
    """The URL asked for, before any redirect (of a request or of its response): the one
    discovery will find again."""
    redirects = message.meta.get("redirect_urls")
    return str(redirects[0]) if redirects else message.url


def status_text(status: int) -> str:
    """`404 Not Found`; a status without a name is only its number."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def tries(meta: dict[str, Any]) -> str:
    """` (3 tries)` after a request Scrapy's retry middleware tried again, else ``."""
    retries = int(meta.get("retry_times") or 0)
    return f" ({retries + 1} tries)" if retries else ""


def shorten(url: str, most: int = 120) -> str:
    """A URL from a server, fit for one log line: no whitespace or control characters
    (which could forge a line), at most `most` characters."""
    text = re.sub(r"[\x00-\x20\x7f]+", " ", url).strip()
    return text if len(text) <= most else text[: most - 1] + "…"


def follow_redirect(
    response: Response, allowed: Callable[[str], bool], allowed_names: str, most: int
) -> scrapy.Request | str:
    """The request for where a document redirects, or why it is not followed: no
    Location, a scheme other than http(s), a host `allowed` refuses, a loop, or more than
    `most` redirects. Nothing refused is ever requested."""
    location = response.headers.get("Location")
    if not location:
        return f"redirect without a Location header (HTTP {response.status})"
    target = urljoin(response.url, safe_url_string(location.strip()))
    shown = shorten(target)
    if urlsplit(target).scheme not in ("http", "https"):
        return f"redirected to {shown}, which is not http(s)"
    if not allowed(target):
        return f"redirected to {shown}, outside allowed_domains ({allowed_names})"
    chain = [*response.meta.get("redirect_urls", []), response.url]
    if target in chain:
        hops = " -> ".join(shorten(url) for url in [*chain, target])
        return f"redirect loop ({hops})"
    if len(chain) > most:
        return f"more than {most} redirects (the last to {shown})"
    assert response.request is not None
    followed = response.request.replace(url=target)
    followed.meta["redirect_urls"] = chain
    return followed


def failure_reason(failure: Failure, download_timeout: float) -> str:
    """A download failure in a few words, with the number of tries."""
    error = failure.value
    request = getattr(failure, "request", None)
    meta = request.meta if request is not None else {}
    if isinstance(error, DownloadConnectionRefusedError):
        why = "connection refused"
    elif isinstance(error, CannotResolveHostError):
        host = urlsplit(request.url).hostname if request is not None else None
        why = f"DNS lookup of {host or '?'} failed"
    elif isinstance(error, DownloadTimeoutError):
        why = f"no answer within {meta.get('download_timeout') or download_timeout:g} s"
    else:
        text = " ".join(str(error).split()).rstrip(".")
        # "Forbidden by robots.txt" reads as the rest of a sentence after the URL.
        why = text[:1].lower() + text[1:] if text else type(error).__name__
    return why + tries(meta)


def _robots_download_error(record: logging.LogRecord) -> bool:
    """When robots.txt cannot be downloaded (no connection, no DNS answer, a timeout),
    Scrapy's robots.txt middleware logs an ERROR with a whole traceback, naming the
    request that was waiting for robots.txt (a start URL) as if that had failed. Scrapy's
    retry middleware has said just before, in one line, that robots.txt could not be had,
    and the start URL's own failure, if any, follows in one line: so this one becomes a
    plain INFO line."""
    if record.exc_info and isinstance(record.exc_info[1], _DOWNLOAD_ERRORS):
        record.exc_info = None
        record.exc_text = None
        record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
    return True


def quiet_robots_tracebacks() -> None:
    """Install the robots.txt log filter (once: a logger keeps one copy of a filter)."""
    logging.getLogger("scrapy.downloadermiddlewares.robotstxt").addFilter(_robots_download_error)
