"""Pure decisions about WebSub subscriptions: what each one needs next (ask, renew, leave,
forget), when, whether a hub's verification is agreed to, and whether a hub went silent.

A subscription is SUBSCRIBING (asked for, not verified, or its lease ended), ACTIVE (a
verified lease), UNSUBSCRIBING (asked to end) or DENIED (the hub said no). The clock comes
in as `now`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import unquote

from sokbo.store import PushHub, Subscription

SUBSCRIBING = "subscribing"
ACTIVE = "active"
UNSUBSCRIBING = "unsubscribing"
DENIED = "denied"

# A lease is renewed when this share of it has passed.
RENEW_AT = 0.8
# After a hub accepted a request, how long it has to verify it before the request is sent
# again (at most: a tenth of the lease, so that a short lease is not lost waiting).
ANSWER_WAIT = timedelta(minutes=2)
# After a request failed: 30 s, doubling with each failure, at most an hour (and at most a
# fifth of the lease).
RETRY_FIRST = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=1)
# A hub that denied a subscription is asked again this much later.
DENIED_RETRY = timedelta(days=1)
# Unsubscribe requests sent without a verification before the subscription is forgotten
# (its lease then ends at the hub by itself).
UNSUBSCRIBE_TRIES = 5
# A hub fails a subscription (and the next hub its topic names is subscribed to as well)
# when it did not verify this many requests in a row (refused, unreachable, not sent to a
# non-public address, accepted and never verified), or when the subscription has held no
# lease for FALLBACK_WAIT since it was made or last verified (a lease lapsed, a hub asked
# again after it denied: the attempts counted start again then).
FALLBACK_AFTER = 3
FALLBACK_WAIT = timedelta(minutes=10)
# A hub is silent when polls find articles it never announced and no notification came for
# this many of the source's polling intervals.
SILENT_AFTER = 3


@dataclass(frozen=True)
class Wanted:
    """A subscription the sources' feeds call for."""

    source_id: str
    topic: str
    hub: str


@dataclass(frozen=True)
class Step:
    """What one subscription needs now; `why` is said in the log."""

    action: Literal["create", "subscribe", "unsubscribe", "forget"]
    wanted: Wanted
    subscription: Subscription | None
    why: str


def wanted_of(subscription: Subscription) -> Wanted:
    return Wanted(subscription.source_id, subscription.topic, subscription.hub)


def choose_hubs(
    found: Iterable[PushHub], subscriptions: Sequence[Subscription], now: datetime
) -> dict[Wanted, str]:
    """The subscriptions the hubs found call for, each with why (said when it is made).

    A topic may name several hubs, and WebSub lets a subscriber use any or all of them.
    sokbo subscribes to the first, and to the next only while every one before it fails
    (`failing`): redundancy when a hub denies, refuses, cannot be reached or goes silent,
    without each update arriving once per hub (WordPress names two or three hubs by
    default, and every notification runs the source). A failing hub stays wanted and is
    asked again on its backoff: once it serves again, the hubs after it are no longer
    wanted and are left. Every hub is on the same topic, so subscriptions stay keyed by
    (source, topic, hub), and the store keeps the other hubs in one column beside the first.
    """
    held = {wanted_of(sub): sub for sub in subscriptions}
    wanted: dict[Wanted, str] = {}
    for hubs in found:
        why = "its feed names the hub"
        for hub in hubs.hubs:
            key = Wanted(hubs.source_id, hubs.topic, hub)
            wanted.setdefault(key, why)
            sub = held.get(key)
            problem = None if sub is None else failing(sub, now)
            if problem is None:
                break
            why = f"its feed names the hub, and the hub before it, {hub}, {problem}"
    return wanted


def named_hubs(found: Iterable[PushHub]) -> set[Wanted]:
    """Every subscription the hubs found may call for, the later hubs included."""
    return {Wanted(hubs.source_id, hubs.topic, hub) for hubs in found for hub in hubs.hubs}


def failing(sub: Subscription, now: datetime) -> str | None:
    """How the subscription's hub fails it, in a few words; None while it serves it (or
    may yet: a subscription being made)."""
    if sub.state == DENIED:
        return "denied it"
    if sub.silent_since is not None:
        return "went silent"
    if sub.attempts >= FALLBACK_AFTER:
        return f"did not verify {sub.attempts} requests"
    holds = sub.state == ACTIVE and sub.expires is not None and sub.expires > now
    if not holds and now - (sub.verified or sub.created) >= FALLBACK_WAIT:
        return "holds no lease"
    return None


def steps(
    subscriptions: Sequence[Subscription],
    wanted: Collection[Wanted] | Mapping[Wanted, str],
    sources: Collection[str],
    now: datetime,
    named: Collection[Wanted] = (),
) -> list[Step]:
    """What each subscription needs now, and the subscriptions to create; `sources`: the
    configured source ids and `named` every hub the documents name (both to say why a
    subscription is no longer wanted); `wanted` may say why each is wanted."""
    found: list[Step] = []
    held = set()
    for sub in subscriptions:
        key = wanted_of(sub)
        held.add(key)
        lease_left = sub.expires is not None and sub.expires > now
        if key not in wanted:
            if sub.source_id not in sources:
                why = "its source is no longer in the config"
            elif key in named:
                why = "a hub its feed names before this one serves it again"
            else:
                why = "its feed no longer names this hub"
            if sub.state == UNSUBSCRIBING:
                if not lease_left:
                    found.append(Step("forget", key, sub, "its lease has ended"))
                elif sub.attempts >= UNSUBSCRIBE_TRIES:
                    why = f"the hub did not confirm {sub.attempts} unsubscribe requests"
                    found.append(Step("forget", key, sub, why + "; the lease ends by itself"))
                elif sub.due <= now:
                    found.append(Step("unsubscribe", key, sub, why))
            elif sub.state == ACTIVE and lease_left:
                found.append(Step("unsubscribe", key, sub, why))
            else:  # nothing the hub holds: a request it has not verified is refused (404)
                found.append(Step("forget", key, sub, why))
        elif sub.state == UNSUBSCRIBING:
            found.append(Step("subscribe", key, sub, "its feed names the hub again"))
        elif sub.state == ACTIVE and not lease_left:
            found.append(Step("subscribe", key, sub, "its lease has ended"))
        elif sub.due <= now:
            found.append(Step("subscribe", key, sub, _why_asked(sub)))
    for key in wanted:
        why = wanted[key] if isinstance(wanted, Mapping) else "its feed names the hub"
        found.append(Step("create", key, None, why))
    return [step for step in found if step.action != "create" or step.wanted not in held]


def _why_asked(sub: Subscription) -> str:
    if sub.state == ACTIVE:
        return "renewing its lease" if sub.silent_since is None else "its hub went silent"
    if sub.state == DENIED:
        return "asking again after the hub denied it"
    return "asking again" if sub.attempts else "subscribing"


def next_wake(subscriptions: Sequence[Subscription], now: datetime) -> datetime | None:
    """The earliest moment a subscription needs something: a request due, a lease ending
    (one that has ended already needs nothing more)."""
    moments = [sub.due for sub in subscriptions]
    moments += [
        sub.expires
        for sub in subscriptions
        if sub.expires is not None and sub.expires > now and sub.state in (ACTIVE, UNSUBSCRIBING)
    ]
    return min(moments, default=None)


def renewal(verified: datetime, lease_seconds: int) -> datetime:
    """When a lease granted at `verified` is renewed."""
    return verified + timedelta(seconds=lease_seconds * RENEW_AT)


def answer_wait(lease: timedelta) -> timedelta:
    """How long a hub that accepted a request has to verify it."""
    return max(timedelta(seconds=1), min(ANSWER_WAIT, lease / 10))


def retry_wait(attempts: int, lease: timedelta) -> timedelta:
    """How long after the `attempts`-th failed request the next is sent."""
    doublings: int = max(0, min(attempts - 1, 16))
    wait = min(RETRY_FIRST * (1 << doublings), RETRY_MAX, lease / 5)
    return max(timedelta(seconds=1), wait)


def agrees(sub: Subscription | None, mode: str, topic: str) -> bool:
    """Whether a hub's verification of intent (`hub.mode`, `hub.topic`) is for something
    sokbo asked for: a subscription it holds or is asking for, or an unsubscribe it sent."""
    if sub is None or not _same_topic(sub.topic, topic):
        return False
    if mode == "subscribe":
        return sub.state in (SUBSCRIBING, ACTIVE)
    if mode == "unsubscribe":
        return sub.state == UNSUBSCRIBING
    return False


def _same_topic(ours: str, theirs: str) -> bool:
    # Hubs decode percent-encoded unreserved characters in the URLs they are given.
    return ours == theirs or unquote(ours) == unquote(theirs)


def accepts_notifications(sub: Subscription) -> bool:
    """A notification is read for a subscription sokbo holds or is asking for."""
    return sub.state in (SUBSCRIBING, ACTIVE)


def delivering(sub: Subscription, now: datetime) -> bool:
    """The hub holds the subscription and has not gone silent."""
    lease_left = sub.expires is not None and sub.expires > now
    return sub.state == ACTIVE and lease_left and sub.silent_since is None


def went_silent(sub: Subscription, now: datetime, interval: timedelta, found_new: bool) -> bool:
    """A poll found new articles, and the hub sent nothing for SILENT_AFTER intervals."""
    heard = sub.last_notified or sub.created
    return found_new and now - heard > interval * SILENT_AFTER
