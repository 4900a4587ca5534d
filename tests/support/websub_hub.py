"""A WebSub hub on 127.0.0.1 for tests, built from the W3C recommendation
(https://www.w3.org/TR/websub/), speaking the whole protocol over real HTTP.

- Subscription (5.1): `POST /` with `hub.mode` subscribe or unsubscribe, `hub.topic`,
  `hub.callback`, optional `hub.secret` (< 200 bytes) and `hub.lease_seconds`; 202, or 400
  with a line of text for a request it cannot take.
- Verification of intent (5.3): right after the 202, in a thread, a GET to the callback
  with `hub.mode`, `hub.topic`, `hub.challenge` (random, single use) and, for a subscribe,
  `hub.lease_seconds`; only a 2xx whose body is the challenge verifies it. A subscription
  (the pair topic, callback) is created, renewed or removed only once verified.
- Leases: the lease granted is the one asked for, at most `max_lease` (default 10 days);
  a subscription whose lease has ended gets nothing more.
- Publishing (6): `POST /` with `hub.mode=publish` and `hub.url` (or `publish(topic)`):
  the hub fetches the topic and delivers it.
- Content distribution (7): a POST of the topic's bytes, with its Content-Type, a Link
  header naming the hub and the topic (rel=hub, rel=self) and, for a subscription with a
  secret, `X-Hub-Signature: <algorithm>=<hex HMAC of the body>` (`algorithm`, sha256 by
  default). A 410 answer ends the subscription.
- `silent = True`: the hub still takes subscriptions, but delivers nothing (a hub that
  went silent). `deliver(...)` posts any body with any signature (a forger's).
- `deny(topic, callback)`: the GET a hub sends when it denies a subscription (5.2).

Everything it did is recorded (`requests`, `verifications`, `deliveries`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import parse_qs, urlencode, urlsplit
from urllib.request import Request, urlopen

DEFAULT_LEASE = 10 * 86400
ALGORITHMS = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}


@dataclass
class Subscription:
    topic: str
    callback: str
    secret: str | None
    lease_seconds: int
    expires: float  # time.time()


@dataclass(frozen=True)
class Verification:
    mode: str
    topic: str
    callback: str
    lease_seconds: int | None
    status: int  # the callback's answer (0: no answer)
    verified: bool
    at: float


@dataclass(frozen=True)
class Delivery:
    topic: str
    callback: str
    status: int  # the callback's answer (0: no answer)
    signature: str | None
    at: float


@dataclass
class Hub:
    """The hub's state and its controls; `url` is where subscribers POST."""

    url: str = ""
    max_lease: int = DEFAULT_LEASE
    algorithm: str = "sha256"
    silent: bool = False
    subscriptions: dict[tuple[str, str], Subscription] = field(default_factory=dict)
    requests: list[dict[str, str]] = field(default_factory=list)
    verifications: list[Verification] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def active(self, topic: str | None = None) -> list[Subscription]:
        """Subscriptions whose lease has not ended (of `topic`, when given)."""
        now = time.time()
        with self.lock:
            for key, sub in list(self.subscriptions.items()):
                if sub.expires <= now:
                    del self.subscriptions[key]  # leases are enforced
            return [s for s in self.subscriptions.values() if topic in (None, s.topic)]

    def verified(self, mode: str = "subscribe") -> list[Verification]:
        with self.lock:
            return [v for v in self.verifications if v.mode == mode and v.verified]

    def publish(self, topic: str) -> int:
        """Fetch the topic and deliver it to its subscribers; how many took it (2xx)."""
        if self.silent:
            return 0
        with urlopen(topic, timeout=10) as response:
            body = response.read()
            content_type = response.headers.get("Content-Type", "application/octet-stream")
        taken = 0
        for sub in self.active(topic):
            signature = None
            if sub.secret is not None:
                digest = hmac.new(sub.secret.encode(), body, ALGORITHMS[self.algorithm])
                signature = f"{self.algorithm}={digest.hexdigest()}"
            status = self.deliver(sub.callback, body, content_type, signature, topic=topic)
            if status == 410:
                with self.lock:
                    self.subscriptions.pop((sub.topic, sub.callback), None)
            taken += 200 <= status < 300
        return taken

    def deliver(
        self,
        callback: str,
        body: bytes,
        content_type: str,
        signature: str | None,
        *,
        topic: str = "",
    ) -> int:
        """One content distribution request, signed as given; the callback's status."""
        headers = {
            "Content-Type": content_type,
            "Link": f'<{self.url}>; rel="hub", <{topic}>; rel="self"',
        }
        if signature is not None:
            headers["X-Hub-Signature"] = signature
        status = _call(Request(callback, data=body, headers=headers, method="POST"))[0]
        with self.lock:
            self.deliveries.append(Delivery(topic, callback, status, signature, time.time()))
        return status

    def deny(self, topic: str, callback: str, reason: str) -> int:
        """Tell the subscriber its subscription is denied (WebSub 5.2)."""
        query = {"hub.mode": "denied", "hub.topic": topic, "hub.reason": reason}
        status = _call(Request(_with_query(callback, query)))[0]
        with self.lock:
            self.subscriptions.pop((topic, callback), None)
        return status

    # -- the protocol ----------------------------------------------------------------------

    def handle(self, form: dict[str, str]) -> tuple[int, str]:
        """A POST to the hub: (status, plain-text body)."""
        with self.lock:
            self.requests.append(dict(form))
        mode = form.get("hub.mode", "")
        if mode == "publish":
            topic = form.get("hub.url") or form.get("hub.topic") or ""
            if not _http(topic):
                return 400, "hub.url: not an http(s) URL\n"
            threading.Thread(target=self._publish_quietly, args=(topic,), daemon=True).start()
            return 202, ""
        if mode not in ("subscribe", "unsubscribe"):
            return 400, f"hub.mode: unknown mode {mode!r}\n"
        topic, callback = form.get("hub.topic", ""), form.get("hub.callback", "")
        if not _http(topic) or not _http(callback):
            return 400, "hub.topic and hub.callback: http(s) URLs are required\n"
        secret = form.get("hub.secret")
        if secret is not None and len(secret.encode()) >= 200:
            return 400, "hub.secret: must be less than 200 bytes\n"
        try:
            asked = int(form.get("hub.lease_seconds") or self.max_lease)
        except ValueError:
            return 400, "hub.lease_seconds: not a number\n"
        lease = max(1, min(asked, self.max_lease))
        args = (mode, topic, callback, secret, lease)
        threading.Thread(target=self._verify, args=args, daemon=True).start()
        return 202, ""

    def _verify(self, mode: str, topic: str, callback: str, secret: str | None, lease: int) -> None:
        challenge = secrets.token_urlsafe(16)
        query = {"hub.mode": mode, "hub.topic": topic, "hub.challenge": challenge}
        if mode == "subscribe":
            query["hub.lease_seconds"] = str(lease)
        started = time.time()
        status, body = _call(Request(_with_query(callback, query)))
        verified = 200 <= status < 300 and body == challenge.encode()
        with self.lock:
            self.verifications.append(
                Verification(
                    mode,
                    topic,
                    callback,
                    lease if mode == "subscribe" else None,
                    status,
                    verified,
                    time.time(),
                )
            )
            if not verified:
                return  # the state is left as it was
            if mode == "subscribe":
                # The lease runs from the verification request (WebSub 5.3).
                self.subscriptions[(topic, callback)] = Subscription(
                    topic, callback, secret, lease, started + lease
                )
            else:
                self.subscriptions.pop((topic, callback), None)

    def _publish_quietly(self, topic: str) -> None:
        with suppress(OSError, URLError):  # a topic that cannot be fetched is not delivered
            self.publish(topic)


def _http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def ping(hub: str, topic: str) -> int:
    """What a publisher does when its topic changes: `hub.mode=publish` to the hub, over
    HTTP (the hub then fetches the topic and delivers it); the hub's answer's status."""
    form = urlencode({"hub.mode": "publish", "hub.url": topic}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return _call(Request(hub, data=form, headers=headers))[0]


def _with_query(url: str, query: dict[str, str]) -> str:
    """The callback with the hub's parameters appended to any query it has (WebSub 5.1.1)."""
    return url + ("&" if urlsplit(url).query else "?") + urlencode(query)


def _call(request: Request) -> tuple[int, bytes]:
    try:
        with urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except HTTPError as exc:
        return exc.code, exc.read()
    except (URLError, OSError):
        return 0, b""


class _Handler(BaseHTTPRequestHandler):
    server_version = "sokbo-test-hub/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Log nothing to stderr."""

    def do_POST(self) -> None:
        hub: Hub = self.server.hub  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace")
        form = {key: values[0] for key, values in parse_qs(raw, keep_blank_values=True).items()}
        kind = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if kind != "application/x-www-form-urlencoded":
            status, text = 400, "Content-Type: application/x-www-form-urlencoded is required\n"
        else:
            status, text = hub.handle(form)
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def serve_hub(max_lease: int = DEFAULT_LEASE) -> Iterator[Hub]:
    """A hub on a free 127.0.0.1 port for the length of a `with` block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    hub = Hub(url=f"http://127.0.0.1:{server.server_address[1]}/", max_lease=max_lease)
    server.hub = hub  # type: ignore[attr-defined]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="websub-hub"
    )
    thread.daemon = True
    thread.start()
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
