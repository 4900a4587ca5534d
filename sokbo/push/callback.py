"""The subscriber's callback endpoint (WebSub 5.3 and 7): a hub's GET verifies intent, a
hub's POST delivers content. Each subscription has its own URL, `<callback_url>/<token>`;
the token (the path's last segment) finds it, whatever prefix a reverse proxy keeps."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from sokbo.config import format_duration
from sokbo.push.leases import (
    ACTIVE,
    DENIED,
    DENIED_RETRY,
    accepts_notifications,
    agrees,
    renewal,
)
from sokbo.push.signature import signature_problem
from sokbo.store import Store, Subscription

logger = logging.getLogger("sokbo.push")

# The largest notification read; a bigger one is refused (413) and not ingested. The same
# bound as a crawled page: a pushed feed is at most a feed.
MAX_BODY = 10 * 1024 * 1024
_MAX_LEASE = 10 * 365 * 86400  # seconds; a longer "lease" is no lease


@dataclass(frozen=True)
class Hooks:
    """What the endpoint tells the rest of the scheduler."""

    changed: Callable[[], None]  # a subscription's state changed (the lease timer moves)
    # A source has new content: run it (the source id, the topic, the verified body).
    pushed: Callable[[str, str, bytes], None]
    lease: timedelta  # assumed when a hub's verification names none


def create_app(store: Store, hooks: Hooks) -> Starlette:
    async def endpoint(request: Request) -> Response:
        token = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        if request.method == "GET":
            return await run_in_threadpool(_verify, store, hooks, token, dict(request.query_params))
        body = await _body(request)
        if body is None:
            return PlainTextResponse("too large\n", 413)
        signature = request.headers.get("x-hub-signature")
        client = request.client.host if request.client else "?"
        return await run_in_threadpool(_notified, store, hooks, token, body, signature, client)

    routes = [Route("/{path:path}", endpoint, methods=["GET", "POST"])]
    return Starlette(routes=routes)


async def _body(request: Request) -> bytes | None:
    """The raw body (the signature is over its bytes); None when it is over MAX_BODY."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _verify(store: Store, hooks: Hooks, token: str, query: dict[str, str]) -> Response:
    """Echo `hub.challenge` for what sokbo asked for; 404 for anything else (WebSub 5.3.1)."""
    sub = store.subscription(token) if token else None
    mode, topic = query.get("hub.mode", ""), query.get("hub.topic", "")
    now = datetime.now(UTC)
    if sub is not None and mode == "denied" and topic == sub.topic:
        reason = " ".join(query.get("hub.reason", "").split())[:200] or "no reason given"
        values = {"state": DENIED, "due": now + DENIED_RETRY, "error": f"denied: {reason}"}
        store.update_subscription(sub.id, values)
        logger.warning(
            "push: %s: the hub %s denied the subscription to %s (%s); asking again in %s",
            sub.source_id,
            sub.hub,
            sub.topic,
            reason,
            format_duration(DENIED_RETRY),
        )
        hooks.changed()
        return PlainTextResponse("ok\n")
    challenge = query.get("hub.challenge", "")
    if not challenge or not agrees(sub, mode, topic):
        logger.info("push: a verification of intent (%s) for nothing sokbo asked; 404", mode[:20])
        return PlainTextResponse("not found\n", 404)
    assert sub is not None
    if mode == "unsubscribe":
        store.delete_subscription(sub.id)
        logger.info("push: %s: unsubscribed from %s at %s", sub.source_id, sub.topic, sub.hub)
    else:
        lease = _lease(query.get("hub.lease_seconds"), hooks.lease)
        if lease is None:
            logger.warning("push: %s: the hub %s gave no usable lease; 404", sub.source_id, sub.hub)
            return PlainTextResponse("not found\n", 404)
        _subscribed(store, sub, lease, now)
    hooks.changed()
    return PlainTextResponse(challenge, media_type="text/plain")


def _lease(text: str | None, default: timedelta) -> int | None:
    """The lease a hub granted, in seconds (the asked one if it says none)."""
    if text is None or not text.strip():
        return round(default.total_seconds())
    try:
        seconds = int(text.strip())
    except ValueError:
        return None
    return seconds if 0 < seconds <= _MAX_LEASE else None


def _subscribed(store: Store, sub: Subscription, lease: int, now: datetime) -> None:
    values = {
        "state": ACTIVE,
        "verified": now,
        "lease_seconds": lease,
        "expires": now + timedelta(seconds=lease),
        "due": renewal(now, lease),
        "attempts": 0,
        "error": None,
    }
    store.update_subscription(sub.id, values)
    renews = format_duration(renewal(now, lease) - now)
    logger.info(
        "push: %s: %s to %s at %s (lease %s; renewing in %s)",
        sub.source_id,
        "renewed the subscription" if sub.state == ACTIVE else "subscribed",
        sub.topic,
        sub.hub,
        format_duration(timedelta(seconds=lease)),
        renews,
    )


def _notified(
    store: Store, hooks: Hooks, token: str, body: bytes, signature: str | None, client: str
) -> Response:
    """Content for a subscription: with a good signature, its source runs now; anything
    else is ignored (acknowledged all the same, so a forger learns nothing: WebSub 7.1.2)."""
    sub = store.subscription(token) if token else None
    if sub is None or not accepts_notifications(sub):
        # 410: the hub may drop a subscription sokbo no longer holds (WebSub 7).
        logger.info("push: a notification for no subscription sokbo holds, from %s; 410", client)
        return PlainTextResponse("gone\n", 410)
    problem = signature_problem(signature, body, sub.secret)
    if problem is not None:
        logger.warning(
            "push: %s: a notification from %s with %s (%d bytes); ignored",
            sub.source_id,
            client,
            problem,
            len(body),
        )
        return PlainTextResponse("ok\n", 202)
    now = datetime.now(UTC)
    store.update_subscription(sub.id, {"last_notified": now, "silent_since": None})
    if sub.silent_since is not None:
        logger.info("push: %s: the hub %s delivers again", sub.source_id, sub.hub)
    logger.info(
        "push: %s: new content from %s (%d bytes); running the source now",
        sub.source_id,
        sub.hub,
        len(body),
    )
    hooks.pushed(sub.source_id, sub.topic, body)
    return PlainTextResponse("ok\n", 202)
