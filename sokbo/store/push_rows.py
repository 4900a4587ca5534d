"""WebSub subscriptions: the hubs the sources' feeds name, and what the scheduler holds at
them (sokbo.push keeps them in step)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update

from sokbo.store.schema import articles, push_hubs, push_subscriptions, require_aware


@dataclass(frozen=True)
class PushHub:
    """A feed (or page) of a source names hubs: its topic may be subscribed to there;
    `hub` first, then `more_hubs`, in the document's order."""

    source_id: str
    feed_url: str
    hub: str
    topic: str
    more_hubs: tuple[str, ...] = ()

    @property
    def hubs(self) -> tuple[str, ...]:
        return (self.hub, *self.more_hubs)


@dataclass(frozen=True)
class Subscription:
    """A subscription as the store keeps it (see schema.push_subscriptions)."""

    id: int
    token: str
    source_id: str
    topic: str
    hub: str
    secret: str
    state: str
    due: datetime
    attempts: int
    requested: datetime | None
    verified: datetime | None
    lease_seconds: int | None
    expires: datetime | None
    last_notified: datetime | None
    silent_since: datetime | None
    error: str | None
    created: datetime


class PushRows:
    """The hubs found by crawls and the subscriptions held at them."""

    engine: Engine

    def record_push_hub(
        self,
        source_id: str,
        feed_url: str,
        hub: str | None,
        topic: str | None,
        now: datetime,
        more_hubs: Sequence[str] = (),
    ) -> None:
        """What a feed or page said about its hubs when it was read: `hub` None forgets
        the document's row. An unchanged row is not written (most say the same every run)."""
        require_aware(now)
        key = (push_hubs.c.source_id == source_id) & (push_hubs.c.feed_url == feed_url)
        columns = (push_hubs.c.hub, push_hubs.c.topic, push_hubs.c.more_hubs)
        with self.engine.connect() as conn:
            row = conn.execute(select(*columns).where(key)).first()
        if row is None and hub is None:
            return
        more = list(more_hubs) if hub is not None else []
        if row is not None and (row.hub, row.topic, row.more_hubs or []) == (hub, topic, more):
            return
        with self.engine.begin() as conn:
            conn.execute(delete(push_hubs).where(key))
            if hub is not None and topic is not None:
                values = {"hub": hub, "topic": topic, "seen": now, "more_hubs": more or None}
                conn.execute(
                    insert(push_hubs).values(source_id=source_id, feed_url=feed_url, **values)
                )

    def push_hubs(self) -> list[PushHub]:
        table = push_hubs
        columns = (table.c.source_id, table.c.feed_url, table.c.hub, table.c.topic)
        query = select(*columns, table.c.more_hubs).order_by(table.c.source_id, table.c.feed_url)
        with self.engine.connect() as conn:
            return [PushHub(*row[:4], tuple(_urls(row.more_hubs))) for row in conn.execute(query)]

    def subscriptions(self, source_id: str | None = None) -> list[Subscription]:
        query = select(push_subscriptions).order_by(push_subscriptions.c.id)
        if source_id is not None:
            query = query.where(push_subscriptions.c.source_id == source_id)
        with self.engine.connect() as conn:
            return [Subscription(**row._mapping) for row in conn.execute(query)]

    def subscription(self, token: str) -> Subscription | None:
        """The subscription whose callback ends in `token`."""
        query = select(push_subscriptions).where(push_subscriptions.c.token == token)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else Subscription(**row._mapping)

    def add_subscription(
        self,
        source_id: str,
        topic: str,
        hub: str,
        token: str,
        secret: str,
        state: str,
        now: datetime,
    ) -> Subscription:
        """A new subscription, due to be asked for now."""
        require_aware(now)
        values = {
            "token": token,
            "source_id": source_id,
            "topic": topic,
            "hub": hub,
            "secret": secret,
            "state": state,
            "due": now,
            "attempts": 0,
            "created": now,
        }
        with self.engine.begin() as conn:
            key = conn.execute(insert(push_subscriptions).values(**values)).inserted_primary_key
        assert key is not None
        found = self.subscription(token)
        assert found is not None and found.id == key[0]
        return found

    def update_subscription(
        self,
        subscription_id: int,
        values: Mapping[str, Any],
        *,
        unverified_since: datetime | None = None,
    ) -> bool:
        """Set `values` on the subscription; with `unverified_since`, only if no verification
        was answered since then (a request's outcome must not undo a verification that came
        while the request was on its way). False when no row changed."""
        require_aware(unverified_since, *(v for v in values.values() if isinstance(v, datetime)))
        query = update(push_subscriptions).where(push_subscriptions.c.id == subscription_id)
        if unverified_since is not None:
            verified = push_subscriptions.c.verified
            query = query.where(verified.is_(None) | (verified < unverified_since))
        with self.engine.begin() as conn:
            return conn.execute(query.values(**values)).rowcount > 0

    def delete_subscription(self, subscription_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                delete(push_subscriptions).where(push_subscriptions.c.id == subscription_id)
            )

    def articles_first_seen_since(self, source_id: str, since: datetime) -> int:
        """How many of the source's articles sokbo first saw at or after `since`."""
        require_aware(since)
        query = select(func.count()).where(
            (articles.c.source_id == source_id) & (articles.c.first_seen >= since)
        )
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())


def _urls(value: object) -> list[str]:
    """The JSON list of URLs a row holds (anything else in its place: none)."""
    return [url for url in value if isinstance(url, str)] if isinstance(value, list) else []
