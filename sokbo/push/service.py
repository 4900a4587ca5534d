"""`sokbo schedule`'s WebSub subscriber: the callback endpoint served in a thread, and a
thread that keeps the subscriptions in step with the hubs the sources' feeds name (ask,
renew at 80 % of the lease, leave, forget). Neither can take the scheduler down: a failure
is logged and the sources are polled as usual."""

from __future__ import annotations

import logging
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Literal

import uvicorn
from sqlalchemy.exc import SQLAlchemyError

from sokbo.config import Config, format_duration
from sokbo.push import inbox
from sokbo.push.callback import Hooks, create_app
from sokbo.push.leases import (
    ACTIVE,
    SUBSCRIBING,
    UNSUBSCRIBING,
    Step,
    answer_wait,
    choose_hubs,
    delivering,
    named_hubs,
    next_wake,
    retry_wait,
    steps,
    went_silent,
)
from sokbo.push.subscribe import hub_request
from sokbo.store import Store, Subscription, store_error

logger = logging.getLogger("sokbo.push")

# The subscriptions are looked at again at least this often (a crawl may have found a hub).
IDLE_WAKE = 60.0
_STARTUP_WAIT = 10.0  # seconds for the endpoint to start listening
_STOP_WAIT = 5.0


class PushService:
    """Start it, tell it about config reloads and runs, stop it."""

    def __init__(self, config: Config, on_push: Callable[[str], None]) -> None:
        self.config = config
        # The endpoint's settings stay as started; a reload changes only the sources.
        self.settings = config.push
        self._on_push = on_push
        self._store = Store.open(config.store)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._server: uvicorn.Server | None = None
        self._threads: list[threading.Thread] = []
        self._down = False  # the endpoint stopped serving: no hub can reach sokbo

    # -- starting and stopping -----------------------------------------------------------

    def start(self) -> bool:
        """Listen and start keeping the subscriptions; False (said in one line) when the
        endpoint cannot listen: no subscription is made then."""
        push = self.settings
        try:
            family = socket.getaddrinfo(push.host, push.port, type=socket.SOCK_STREAM)[0][0]
            listener = socket.create_server((push.host, push.port), family=family)
        except OSError as exc:
            logger.error(
                "push: cannot listen on %s:%d (%s); push is off, every source is polled",
                push.host,
                push.port,
                exc.strerror or exc,
            )
            self._store.close()
            return False
        hooks = Hooks(changed=self.wake, pushed=self._pushed, lease=push.lease)
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(self._store, hooks),
                log_config=None,
                log_level="warning",
                access_log=False,
                lifespan="off",
                timeout_graceful_shutdown=2,
            )
        )
        self._server = server
        serving = threading.Thread(
            target=self._serve, args=(server, listener), name="push-callback", daemon=True
        )
        serving.start()
        deadline = time.monotonic() + _STARTUP_WAIT
        while not server.started and serving.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not server.started:
            if serving.is_alive():  # else _serve has said why it stopped
                self._stopping.set()
                server.should_exit = True
                logger.error(
                    "push: the callback endpoint did not start within %ds; push is off, every "
                    "source is polled",
                    _STARTUP_WAIT,
                )
                serving.join(_STOP_WAIT)
            self._store.close()
            return False
        keeping = threading.Thread(target=self._keep, name="push-leases", daemon=True)
        keeping.start()
        self._threads = [serving, keeping]
        logger.info(
            "push: callback %s served on %s:%d; leases of %s asked, polling every %s while a "
            "hub delivers",
            push.callback_url,
            push.host,
            push.port,
            format_duration(push.lease),
            format_duration(push.safety_interval),
        )
        return True

    def _serve(self, server: uvicorn.Server, listener: socket.socket) -> None:
        why = "for no reason given"
        try:
            server.run(sockets=[listener])
        except BaseException as exc:  # SystemExit included: uvicorn exits on some failures
            why = f"{type(exc).__name__}: {exc}"
        finally:
            listener.close()
        if not self._stopping.is_set():
            # Polling takes over: no source waits on a hub that cannot reach sokbo.
            self._down = True
            self._stopping.set()
            self._wake.set()
            logger.error(
                "push: the callback endpoint stopped (%s); push is off, every source is polled",
                why,
            )

    def stop(self) -> None:
        """Stop serving and keeping (the subscriptions stay: the next start serves them)."""
        self._stopping.set()
        self._wake.set()
        if self._server is not None:
            self._server.should_exit = True
        for thread in self._threads:
            thread.join(_STOP_WAIT)
        self._store.close()

    def update_config(self, config: Config) -> None:
        """A reloaded config (SIGHUP): sources removed lose their subscriptions ([push]
        itself takes a restart)."""
        self.config = config
        self.wake()

    def wake(self) -> None:
        """Look at the subscriptions now (a crawl ended, a verification came)."""
        self._wake.set()

    def _pushed(self, source_id: str, topic: str, body: bytes) -> None:
        """A verified notification: a feed source's body is kept for the run it triggers
        (sokbo.push.inbox), which asks for the pushed entries' pages before the feed."""
        config = self.config
        source = config.find_source(source_id)
        if source is not None and source.kind == "feed" and body.strip():
            try:
                inbox.keep(config.crawl.state_dir, source_id, topic, body)
            except OSError as exc:
                logger.warning(
                    "push: %s: cannot keep the pushed content (%s); its run reads the feed",
                    source_id,
                    exc.strerror or exc,
                )
        self._on_push(source_id)

    # -- what the scheduler asks ---------------------------------------------------------

    def after_run(
        self, source_id: str, since: datetime, by_push: bool, interval: timedelta, now: datetime
    ) -> bool:
        """After a run of the source (due at `since`): whether its hub still delivers. A
        poll that found articles no notification announced for a while makes the hub
        silent: polling goes back to `interval`, and the subscription is asked for again
        (the hub may have lost it)."""
        if self._down:
            return False
        subs = [sub for sub in self._store.subscriptions(source_id) if delivering(sub, now)]
        if not subs or by_push:
            return bool(subs)
        found = self._store.articles_first_seen_since(source_id, since) > 0
        if not all(went_silent(sub, now, interval, found) for sub in subs):
            return True
        for sub in subs:
            self._store.update_subscription(sub.id, {"silent_since": now, "due": now})
            heard = sub.last_notified or sub.created
            logger.warning(
                "push: %s: the hub %s sent nothing for %s while polls found new articles; "
                "polling every %s again, and subscribing again",
                source_id,
                sub.hub,
                format_duration(now - heard),
                format_duration(interval),
            )
        self.wake()
        return False

    # -- keeping the subscriptions -------------------------------------------------------

    def _keep(self) -> None:
        while not self._stopping.is_set():
            try:
                wait = self._maintain(datetime.now(UTC))
            except SQLAlchemyError as exc:
                logger.error("push: store: %s; looking again in %ds", store_error(exc), IDLE_WAKE)
                wait = IDLE_WAKE
            except Exception:
                logger.exception("push: keeping the subscriptions failed; again in %ds", IDLE_WAKE)
                wait = IDLE_WAKE
            self._wake.wait(wait)
            self._wake.clear()

    def _maintain(self, now: datetime) -> float:
        """Do what every subscription needs now; seconds until one needs something."""
        config = self.config
        sources = {source.id for source in config.source}
        found = [hubs for hubs in self._store.push_hubs() if hubs.source_id in sources]
        held = self._store.subscriptions()
        wanted = choose_hubs(found, held, now)
        for step in steps(held, wanted, sources, now, named_hubs(found)):
            if self._stopping.is_set():
                break
            self._do(step, now)
        later = datetime.now(UTC)
        wake = next_wake(self._store.subscriptions(), later)
        seconds = IDLE_WAKE if wake is None else (wake - later).total_seconds()
        return min(IDLE_WAKE, max(0.2, seconds))

    def _do(self, step: Step, now: datetime) -> None:
        sub = step.subscription
        key = step.wanted
        if step.action == "forget":
            assert sub is not None
            self._store.delete_subscription(sub.id)
            logger.info(
                "push: %s: forgot the subscription to %s at %s (%s)",
                key.source_id,
                key.topic,
                key.hub,
                step.why,
            )
            return
        if step.action == "create":
            token, secret = secrets.token_urlsafe(24), secrets.token_urlsafe(32)
            sub = self._store.add_subscription(
                key.source_id, key.topic, key.hub, token, secret, SUBSCRIBING, now
            )
        assert sub is not None
        mode: Literal["subscribe", "unsubscribe"]
        if step.action == "unsubscribe":
            mode, state = "unsubscribe", UNSUBSCRIBING
        elif sub.state == ACTIVE and sub.expires is not None and sub.expires > now:
            mode, state = "subscribe", ACTIVE  # a renewal: the hub holds it meanwhile
        else:
            mode, state = "subscribe", SUBSCRIBING
        if sub.state != state:
            self._store.update_subscription(sub.id, {"state": state, "attempts": 0})
            sub = replace(sub, state=state, attempts=0)
        logger.info(
            "push: %s: %s %s at %s (%s)",
            key.source_id,
            "unsubscribing from" if mode == "unsubscribe" else "subscribing to",
            key.topic,
            key.hub,
            step.why,
        )
        self._request(sub, mode)

    def _request(self, sub: Subscription, mode: Literal["subscribe", "unsubscribe"]) -> None:
        push = self.settings
        # A hub on a non-public address is asked only for a source configured on one.
        source = self.config.find_source(sub.source_id)
        sent = datetime.now(UTC)
        problem = hub_request(
            sub.hub,
            mode,
            sub.topic,
            f"{str(push.callback_url).rstrip('/')}/{sub.token}",
            secret=sub.secret if mode == "subscribe" else None,
            lease_seconds=round(push.lease.total_seconds()) if mode == "subscribe" else None,
            user_agent=self.config.crawl.user_agent,
            origins=source.start_urls if source is not None else (),
        )
        lease = timedelta(seconds=sub.lease_seconds) if sub.lease_seconds else push.lease
        attempts = sub.attempts + 1
        done = datetime.now(UTC)
        if problem is None:
            due, error = done + answer_wait(lease), None
        else:
            wait = retry_wait(attempts, lease)
            due, error = done + wait, problem
            logger.warning(
                "push: %s: the hub %s did not take the %s request for %s: %s; again in %s",
                sub.source_id,
                sub.hub,
                mode,
                sub.topic,
                problem,
                format_duration(wait),
            )
        # Only if the hub has not verified the request meanwhile (a verification sets its
        # own next moment: the renewal).
        values = {"attempts": attempts, "due": due, "error": error, "requested": sent}
        self._store.update_subscription(sub.id, values, unverified_since=sent)
