"""What the scheduler tests share: configs, `sokbo schedule` in a subprocess, and readers
of the job store and the runs table (never through the code under test)."""

from __future__ import annotations

import ctypes
import json
import pickle
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import create_engine, inspect, select

from sokbo.store import runs

T = TypeVar("T")


def wait_until(check: Callable[[], T], timeout: float, what: str) -> T:
    """Poll `check` until it returns something true; fail naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.1)


class Scheduled:
    """`sokbo schedule` running in a subprocess, with its log; killed if a test fails."""

    def __init__(self, config: Path, *, script: bool = False) -> None:
        self.folder = config.parent
        self.log_file = self.folder / "data" / "sokbo.log"
        self.offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        command = (
            [sys.executable, str(Path(__file__).parents[2] / "scheduler.py"), "--config"]
            if script
            else [sys.executable, "-m", "sokbo", "schedule", "--config"]
        )
        self.output = (self.folder / "scheduler.out").open("ab")
        self.process = subprocess.Popen(
            [*command, str(config)],
            cwd=self.folder,
            stdin=subprocess.DEVNULL,
            stdout=self.output,
            stderr=self.output,
        )

    def __enter__(self) -> Scheduled:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.output.close()

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        """This process's part of the log file."""
        try:
            with self.log_file.open("rb") as handle:
                handle.seek(self.offset)
                return handle.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def wait_for(self, pattern: str, timeout: float = 30, count: int = 1) -> list[re.Match[str]]:
        """The log's matches of `pattern` once there are `count` of them."""

        def found() -> list[re.Match[str]]:
            assert self.process.poll() is None, f"the scheduler exited:\n{self.log()}"
            matches = list(re.finditer(pattern, self.log()))
            return matches if len(matches) >= count else []

        try:
            return wait_until(found, timeout, f"{count} x {pattern!r} in the log")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- log ---\n{self.log()}") from None

    def signal_a_worker_thread(self, signum: int) -> None:
        """Send `signum` to one of the process's threads other than the main one, as the
        kernel sometimes does with a signal sent to the process (tgkill(2))."""
        tasks = sorted(int(task.name) for task in Path(f"/proc/{self.pid}/task").iterdir())
        others = [task for task in tasks if task != self.pid]
        assert others, f"the scheduler (pid {self.pid}) has no thread but its main one"
        if ctypes.CDLL(None, use_errno=True).tgkill(self.pid, others[0], signum) != 0:
            raise OSError(ctypes.get_errno(), f"tgkill({self.pid}, {others[0]}, {signum})")

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 60) -> int:
        self.process.send_signal(signum)
        return self.exit_status(timeout, f"of {signum!r}")

    def exit_status(self, timeout: float, after: str = "") -> int:
        """The exit status, once the process exits; failing with its log if it does not."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"the scheduler did not exit within {timeout:g} s {after}:\n{self.log()}"
            ) from None


@dataclass(frozen=True)
class Job:
    id: str
    name: str
    next_run_time: float | None
    state: dict[str, Any]


def jobs(folder: Path) -> dict[str, Job]:
    """The job store table as it is on disk (APScheduler pickles each job's state)."""
    database = folder / "data" / "scheduler.db"
    if not database.exists():
        return {}
    engine = create_engine(f"sqlite:///{database}")
    try:
        if not inspect(engine).has_table("apscheduler_jobs"):
            return {}
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT id, next_run_time, job_state FROM apscheduler_jobs"
            ).all()
    finally:
        engine.dispose()
    found = {}
    for key, next_run, blob in rows:
        state = pickle.loads(blob)
        found[key] = Job(key, state["name"], next_run, state)
    return found


def set_jobs(folder: Path, changes: Mapping[str, Mapping[str, Any]]) -> None:
    """Edit jobs in the job store table the way a scheduler stores them: the next run
    time twice (a column for the due query, and inside the pickled state)."""
    engine = create_engine(f"sqlite:///{folder / 'data' / 'scheduler.db'}")
    try:
        with engine.begin() as conn:
            for key, change in changes.items():
                (blob,) = conn.exec_driver_sql(
                    "SELECT job_state FROM apscheduler_jobs WHERE id = ?", (key,)
                ).one()
                state = pickle.loads(blob) | dict(change)
                when = state["next_run_time"]
                conn.exec_driver_sql(
                    "UPDATE apscheduler_jobs SET next_run_time = ?, job_state = ? WHERE id = ?",
                    (when and when.timestamp(), pickle.dumps(state), key),
                )
    finally:
        engine.dispose()


def run_rows(folder: Path, source_id: str | None = None) -> list[dict[str, Any]]:
    """The runs table, oldest first (nothing before the first crawl made the store)."""
    database = folder / "data" / "sokbo.db"
    if not database.exists():
        return []
    return store_runs(f"sqlite:///{database}", source_id)


def store_runs(url: str, source_id: str | None = None) -> list[dict[str, Any]]:
    """The runs table of the store at `url`, oldest first."""
    engine = create_engine(url)
    try:
        if not inspect(engine).has_table("runs"):
            return []
        query = select(runs).order_by(runs.c.id)
        if source_id is not None:
            query = query.where(runs.c.source_id == source_id)
        with engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]
    finally:
        engine.dispose()


def last_run_stats(folder: Path, source_id: str | None = None) -> dict[str, Any]:
    """The Scrapy stats of the newest row of the runs table (of `source_id`'s runs, when
    given): what that crawl counted, whatever its summary printed. The store is the one
    every test config uses, `<folder>/data/sokbo.db`; a crawl run by hand records its row
    when it closes. Fails when there is no such row."""
    rows = run_rows(folder, source_id)
    assert rows, f"no run of {source_id or 'any source'} recorded in {folder / 'data'}"
    stats = rows[-1]["stats"]
    if isinstance(stats, str | bytes):  # a store that keeps JSON as text
        stats = json.loads(stats)
    assert isinstance(stats, dict), f"the run's stats are not a mapping: {stats!r}"
    return stats
