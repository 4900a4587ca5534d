"""What hubs pushed, kept on disk until a crawl of the source has read it.

A notification's body is the topic's new content (for a feed: the feed, or the new
entries of it). The callback keeps it in `<state_dir>/push/<source id>/`, one file each
(written to a temporary name, flushed, then renamed: a reader sees a whole body or
none), and the run it triggers reads the entries from it and asks for their pages first,
before reading the feed itself: the breaking article is the crawl's first request, sent
at once, not after the feed and a politeness delay. The feed is still read (a hub may
push only part of it). A body is removed by the run that read it once that run has
finished; a run that is killed leaves it for the next (whose page requests skip what is
stored already). A body older than a day is stale and dropped unread.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from sokbo.files import remove_stale_temporaries, write_if_changed

logger = logging.getLogger("sokbo.push")

FOLDER = "push"
SUFFIX = ".push"
MAX_AGE = 86400.0  # seconds
MAX_KEPT = 50  # bodies per source; the oldest give way


@dataclass(frozen=True)
class Pushed:
    path: Path
    topic: str  # the URL the body's relative links are resolved against
    body: bytes


def inbox(state_dir: Path, source_id: str) -> Path:
    return state_dir / FOLDER / source_id


def keep(state_dir: Path, source_id: str, topic: str, body: bytes) -> Path:
    """Store a pushed body for the source's next run; OSError when it cannot be written
    (nothing is left behind: the run then reads the feed as usual)."""
    name = f"{time.time_ns():020d}-{secrets.token_hex(4)}{SUFFIX}"
    path = inbox(state_dir, source_id) / name
    write_if_changed(path, topic.encode() + b"\n" + body)
    return path


def waiting(state_dir: Path, source_id: str, now: float | None = None) -> list[Pushed]:
    """The bodies pushed for the source and not yet read by a finished run, oldest first
    (at most MAX_KEPT); stale, unreadable and surplus ones are removed with a log line."""
    folder = inbox(state_dir, source_id)
    try:
        names = sorted(entry.name for entry in os.scandir(folder))
    except OSError:
        return []
    remove_stale_temporaries(folder)  # what a writer killed before its rename left
    now = time.time() if now is None else now
    found = []
    for name in names:
        path = folder / name
        if not name.endswith(SUFFIX):
            continue
        if _age(path, now) > MAX_AGE:
            _drop(path, "older than a day")
            continue
        try:
            topic, _, body = path.read_bytes().partition(b"\n")
        except OSError as exc:
            logger.warning("push: cannot read %s (%s); the feed is read instead", path, exc)
            continue
        found.append(Pushed(path, topic.decode("utf-8", "replace"), body))
    for extra in found[:-MAX_KEPT]:
        _drop(extra.path, f"more than {MAX_KEPT} waiting")
    return found[-MAX_KEPT:]


def done(read: list[Pushed]) -> None:
    """A run that read these has finished: they are not read again."""
    for pushed in read:
        with contextlib.suppress(FileNotFoundError):
            pushed.path.unlink()


def _age(path: Path, now: float) -> float:
    try:
        return now - path.stat().st_mtime
    except OSError:
        return 0.0


def _drop(path: Path, why: str) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
        logger.info("push: %s dropped unread (%s)", path.name, why)
