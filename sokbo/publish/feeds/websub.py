"""WebSub publishing: tell a hub which feeds changed, retrying a little, never failing a build."""

from __future__ import annotations

import http.client
import logging
import time
from collections.abc import Callable, Sequence
from typing import Literal
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from sokbo import __version__

logger = logging.getLogger(__name__)

TIMEOUT = 10.0  # seconds for each request
BACKOFF = (0.5, 1.0)  # seconds before the second and the third attempt
_USER_AGENT = f"sokbo/{__version__} (WebSub publisher)"


def publish_to_hub(
    hub: str,
    feed_urls: Sequence[str],
    *,
    timeout: float = TIMEOUT,
    backoff: Sequence[float] = BACKOFF,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """POST ``hub.mode=publish&hub.url=<feed>`` to ``hub`` for each feed; True if all landed.

    One request per feed: the spec leaves batching to each hub, and not every hub reads a
    repeated ``hub.url``. Failures are logged as warnings and otherwise ignored: the files
    are written already, and subscribers still poll. A hub that stays unreachable or
    keeps failing after the retries is not asked about the remaining feeds, so a build
    with many changed feeds waits for it once, not once per feed.
    """
    delivered = True
    for index, url in enumerate(feed_urls):
        outcome = _ping(hub, url, timeout, backoff, sleep)
        if outcome == "down":
            rest = len(feed_urls) - index - 1
            if rest:
                logger.warning("WebSub hub %s: %d more changed feed(s) not announced", hub, rest)
            return False
        if outcome == "refused":
            delivered = False
    return delivered


def _ping(
    hub: str,
    feed_url: str,
    timeout: float,
    backoff: Sequence[float],
    sleep: Callable[[float], None],
) -> Literal["ok", "refused", "down"]:
    """One publish notification, tried up to ``len(backoff) + 1`` times."""
    body = urlencode({"hub.mode": "publish", "hub.url": feed_url}).encode("ascii")
    headers = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": _USER_AGENT}
    attempts = len(backoff) + 1
    for attempt in range(attempts):
        if attempt:
            sleep(backoff[attempt - 1])
        try:
            request = Request(hub, data=body, headers=headers, method="POST")
            with urlopen(request, timeout=timeout) as response:  # raises for 4xx and 5xx
                response.read()
            return "ok"
        except HTTPError as exc:
            problem = f"HTTP {exc.code}"
            # The hub refuses this request itself: asking again would get the same answer.
            if 400 <= exc.code < 500 and exc.code not in (408, 429):
                _warn(hub, feed_url, problem, attempt + 1)
                return "refused"
        # Refused, timed out, reset, a malformed answer (or URL): all the hub's problem.
        except (URLError, OSError, http.client.HTTPException, ValueError) as exc:
            problem = str(getattr(exc, "reason", exc))
    _warn(hub, feed_url, problem, attempts)
    return "down"


def _warn(hub: str, feed_url: str, problem: str, attempts: int) -> None:
    logger.warning(
        "WebSub hub %s was not told that %s changed (%s, after %d attempt%s); "
        "subscribers will see the change when they next poll",
        hub,
        feed_url,
        problem,
        attempts,
        "" if attempts == 1 else "s",
    )
