"""One crawl of a source at a time, across processes: a file lock, or a PostgreSQL
advisory lock when the store is on PostgreSQL (crawling machines then share nothing
but the database)."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import math
import os
import re
import socket
import time
from collections.abc import Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Protocol, TypeVar

from sqlalchemy import Connection, Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from sokbo.config import Config
from sokbo.files import pid_alive

logger = logging.getLogger(__name__)

# How often a waiting crawl tries again: quick enough to follow a finished crawl at once,
# slow enough to cost nothing (a PostgreSQL try is one round trip).
POLL_SECONDS = 0.25


@dataclass(frozen=True)
class Holder:
    """Who holds a source's lock, as far as the lock can tell."""

    pid: int | None
    since: datetime | None

    def describe(self) -> str:
        """`pid 123, since 12:00:01 UTC`; the date too when it is not today."""
        parts = [f"pid {self.pid}" if self.pid else "another process"]
        if self.since is not None:
            since = self.since.astimezone(UTC)
            shown = "%H:%M:%S" if since.date() == datetime.now(UTC).date() else "%Y-%m-%d %H:%M:%S"
            parts.append(f"since {since.strftime(shown)} UTC")
        return ", ".join(parts)


class SourceBusy(Exception):
    """A source's lock is held by another crawl (after waiting, if we waited)."""

    def __init__(self, source_id: str, holder: Holder | None, waited: float | None) -> None:
        self.source_id, self.holder, self.waited = source_id, holder, waited
        who = (holder or Holder(None, None)).describe()
        if waited is None:
            message = (
                f"source '{source_id}' is already being crawled ({who}); try later or pass --wait"
            )
        else:
            message = (
                f"source '{source_id}' is still being crawled after waiting "
                f"{waited:g} s ({who}); try later or wait longer"
            )
        super().__init__(message)


class ProcessLock(Protocol):
    """A lock between processes that the system frees when its holder ends."""

    def try_acquire(self) -> bool:
        """Take the lock if it is free; never blocks."""

    def holder(self) -> Holder | None:
        """Who holds the lock now (None: nobody, or unknown)."""

    def release(self) -> None:
        """Give the lock back (also done by the system when the process ends)."""


class FileLock:
    """flock(2) on <state_dir>/locks/<source>.lock, which names its holder.

    The kernel drops the lock when the holding process ends, however it ends, so a
    crashed crawl never leaves a source locked. The file is never deleted: a process
    waiting on the old file would otherwise lock a file nobody else sees.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {datetime.now(UTC).isoformat()}\n".encode(), 0)
        self._fd = fd
        return True

    def holder(self) -> Holder | None:
        try:
            pid, since = self.path.read_text(encoding="utf-8").split()
            return Holder(int(pid), datetime.fromisoformat(since))
        except (OSError, ValueError):  # gone, or taken a moment ago and not yet named
            return None

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


# Short: PostgreSQL cuts application_name at 63 bytes.
_APP_NAME = re.compile(r"^sokbo pid (\d+) since (\S+)$")


class AdvisoryLock:
    """A session-level pg_try_advisory_lock on a connection of its own.

    PostgreSQL drops it when the session ends, so a killed crawl frees the source. The
    connection's application_name names the holder, for the message of the next one.
    """

    def __init__(self, url: str, name: str) -> None:
        self.url = url
        digest = hashlib.sha256(f"sokbo {name}".encode()).digest()
        self.key = int.from_bytes(digest[:8], "big", signed=True)  # stable across runs
        self._engine: Engine | None = None
        self._conn: Connection | None = None
        self._held = False

    def try_acquire(self) -> bool:
        if self._conn is None:
            name = f"sokbo pid {os.getpid()} since {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}"
            self._engine = create_engine(
                self.url, poolclass=NullPool, connect_args={"application_name": name}
            )
            # Autocommit: the lock outlives transactions; an idle open one would not.
            self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self._held = bool(self._conn.execute(select(func.pg_try_advisory_lock(self.key))).scalar())
        return self._held

    def holder(self) -> Holder | None:
        # A bigint key is shown in pg_locks as two 32-bit halves, objsubid 1.
        query = text(
            "SELECT a.application_name, a.backend_start FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND l.classid::bigint = :high AND l.objid::bigint = :low "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        engine = create_engine(self.url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                row = conn.execute(
                    query, {"high": (self.key >> 32) & 0xFFFFFFFF, "low": self.key & 0xFFFFFFFF}
                ).first()
        finally:
            engine.dispose()
        if row is None:
            return None
        match = _APP_NAME.match(row.application_name or "")
        if match is None:  # not one of ours, or hidden from this role
            return Holder(None, row.backend_start)
        return Holder(int(match.group(1)), datetime.fromisoformat(match.group(2)))

    def release(self) -> None:
        if self._conn is not None:
            if self._held:
                # A session the server has ended (a restart, a crash) took its locks
                # with it: there is nothing left to release.
                with contextlib.suppress(SQLAlchemyError):
                    self._conn.execute(select(func.pg_advisory_unlock(self.key)))
                self._held = False
            with contextlib.suppress(SQLAlchemyError):
                self._conn.close()
            self._conn = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def source_lock(config: Config, source_id: str) -> ProcessLock:
    """The lock of one source: in the database when the store is PostgreSQL, else a file."""
    if config.store.url.startswith("postgresql"):
        return AdvisoryLock(config.store.url, f"source {source_id}")
    return FileLock(config.crawl.state_dir / "locks" / f"{source_id}.lock")


def scheduler_lock(config: Config) -> ProcessLock:
    """One scheduler per store: a second one would run every job twice (their crawls
    would only meet at the source locks)."""
    if config.store.url.startswith("postgresql"):
        return AdvisoryLock(config.store.url, "scheduler")
    return FileLock(config.crawl.state_dir / "scheduler.lock")


def feed_lock(store_url: str, site_id: str) -> ProcessLock:
    """The lock of a site's feed builds. Two crawls that feed one site (the scheduler runs
    several at once) would otherwise race: the build that read the store first could
    write its feeds last, without the other's new post, and clear nothing to redo it.
    Beside a SQLite store's file (every process that builds its feeds opens it there),
    or in the database when it is PostgreSQL."""
    return _site_lock(store_url, "feeds", site_id)


def story_lock(store_url: str, site_id: str) -> ProcessLock:
    """The lock of a site's story posts (sokbo.publish.posts). Two crawls publishing
    versions of one story at once would otherwise both decide from what the post showed
    before either wrote it, and the row could end naming a version the file does not show."""
    return _site_lock(store_url, "stories", site_id)


def _site_lock(store_url: str, kind: str, site_id: str) -> ProcessLock:
    """Beside a SQLite store's file (every process that writes the site opens it there),
    or in the database when it is PostgreSQL."""
    if store_url.startswith("postgresql"):
        return AdvisoryLock(store_url, f"{kind} {site_id}")
    database = make_url(store_url).database
    if not database or database == ":memory:":
        return _NoLock()  # a store only this process can see
    return FileLock(Path(database).resolve().parent / "locks" / kind / f"{site_id}.lock")


class LockTimeout(TimeoutError):
    """A lock another process held for longer than the caller would wait."""


@contextmanager
def held(lock: ProcessLock, what: str, wait: float = math.inf) -> Iterator[None]:
    """Wait for `lock` (logging once if it is busy), hold it for the block, release it.
    LockTimeout, naming the holder, when it is not free within `wait` seconds."""
    if not lock.try_acquire():
        holder = (lock.holder() or Holder(None, None)).describe()
        logger.info("waiting for %s (held by %s)", what, holder)
        if not _acquire(lock, deadline=time.monotonic() + wait):
            lock.release()
            raise LockTimeout(f"{what} is held by {holder}; waited {wait:g} s")
    try:
        yield
    finally:
        lock.release()


def _acquire(lock: ProcessLock, deadline: float) -> bool:
    """Try `lock` until it is taken (True) or time.monotonic() passes `deadline` (False)."""
    while not lock.try_acquire():
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_SECONDS)
    return True


class _NoLock:
    def try_acquire(self) -> bool:
        return True

    def holder(self) -> Holder | None:
        return None

    def release(self) -> None:
        pass


class SourceLocks:
    """The locks of the sources one `sokbo crawl` runs; released when the block ends."""

    def __init__(self, locks: Sequence[ProcessLock]) -> None:
        self.locks = list(locks)

    def __enter__(self) -> SourceLocks:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()

    def release(self) -> None:
        for lock in reversed(self.locks):
            lock.release()
        self.locks.clear()


def acquire_source_locks(
    config: Config, source_ids: Sequence[str], wait: float | None = None
) -> SourceLocks:
    """Lock every source, in sorted order (two crawls waiting for each other's sources
    would otherwise wait forever); `wait`: None to fail at once, else seconds to keep
    trying (math.inf: until free). Raises SourceBusy naming the holder."""
    taken: list[ProcessLock] = []
    deadline = time.monotonic() + (wait or 0.0)
    try:
        for source_id in sorted(set(source_ids)):
            lock = source_lock(config, source_id)
            if not _acquire(lock, deadline):
                lock.release()
                raise SourceBusy(source_id, lock.holder(), wait)
            taken.append(lock)
    except BaseException:
        SourceLocks(taken).release()
        raise
    return SourceLocks(taken)


# -- who holds a lock now, asked without taking it (`sokbo status`) ---------------------

# Linux lists the locks its processes hold here; elsewhere a file lock is taken for held
# while the process it names is alive.
_PROC_LOCKS = Path("/proc/locks")

Key = TypeVar("Key", bound=Hashable)


@dataclass(frozen=True)
class LiveHolder:
    """A process that holds a lock now: its pid and since when, as the lock names them,
    and the machine it runs on (None when the lock cannot tell)."""

    pid: int | None
    since: datetime | None
    host: str | None


def live_holders(locks: Mapping[Key, ProcessLock]) -> dict[Key, LiveHolder]:
    """Who holds each of `locks` now; the free ones are left out.

    Found without taking any lock, even for an instant: a crawl starting at that instant
    would find its source busy and give up. A file lock is held when the kernel lists it
    (Linux's /proc/locks), or elsewhere while the process its file names is alive; a file
    that still names a killed crawl is no holder. An advisory lock is held when pg_locks
    shows it granted (one query per database).
    """
    found: dict[Key, LiveHolder] = {}
    flocked = _flocked() if any(isinstance(lock, FileLock) for lock in locks.values()) else None
    advisory: dict[str, dict[Key, AdvisoryLock]] = {}
    for key, lock in locks.items():
        if isinstance(lock, FileLock):
            holder = _file_holder(lock, flocked)
            if holder is not None:
                found[key] = holder
        elif isinstance(lock, AdvisoryLock):
            advisory.setdefault(lock.url, {})[key] = lock
    for url, group in advisory.items():
        found.update(_advisory_holders(url, group))
    return found


def _flocked() -> frozenset[tuple[int, int, int]] | None:
    """(device major, minor, inode) of every file flock(2)ed on this machine; None where
    the kernel does not say (no /proc/locks)."""
    try:
        listing = _PROC_LOCKS.read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    held = set()
    for line in listing.splitlines():
        # `1: FLOCK  ADVISORY  WRITE 4242 fe:00:2153857 0 EOF`; a process waiting for
        # a lock has `->` before FLOCK, and holds nothing.
        fields = line.split()
        if len(fields) < 6 or fields[1] != "FLOCK":
            continue
        with contextlib.suppress(ValueError):
            major, minor, inode = fields[5].split(":")
            held.add((int(major, 16), int(minor, 16), int(inode)))
    return frozenset(held)


def _file_holder(
    lock: FileLock, flocked: frozenset[tuple[int, int, int]] | None
) -> LiveHolder | None:
    named = lock.holder()  # None: never taken, or emptied when released
    if named is None:
        return None
    if flocked is not None:
        try:
            info = lock.path.stat()
        except OSError:
            return None
        if (os.major(info.st_dev), os.minor(info.st_dev), info.st_ino) not in flocked:
            return None  # its holder was killed: the kernel freed the lock, the name stayed
    elif named.pid is None or not pid_alive(named.pid):
        return None
    # A lock file is shared by the processes of one machine: this one.
    return LiveHolder(named.pid, named.since, socket.gethostname())


def _advisory_holders(url: str, locks: Mapping[Key, AdvisoryLock]) -> dict[Key, LiveHolder]:
    # A bigint key is shown in pg_locks as two 32-bit halves, objsubid 1.
    query = text(
        "SELECT l.classid::bigint AS high, l.objid::bigint AS low, a.application_name, "
        "a.backend_start, coalesce(a.client_hostname, host(a.client_addr)) AS host "
        "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            rows = {(row.high, row.low): row for row in conn.execute(query)}
    finally:
        engine.dispose()
    found = {}
    for key, lock in locks.items():
        row = rows.get(((lock.key >> 32) & 0xFFFFFFFF, lock.key & 0xFFFFFFFF))
        if row is None:
            continue
        match = _APP_NAME.match(row.application_name or "")
        if match is None:  # not one of ours, or hidden from this role
            found[key] = LiveHolder(None, row.backend_start, row.host)
        else:
            since = datetime.fromisoformat(match.group(2))
            found[key] = LiveHolder(int(match.group(1)), since, row.host)
    return found
