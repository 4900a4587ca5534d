"""The crawl processes this process runs, so that a stop reaches every one of them, once."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from pathlib import Path

from sokbo.schedule import slices


class Crawls:
    """The crawls this process runs, so that a stop reaches every one of them.

    One instance per process (CRAWLS): both the job function, which APScheduler calls
    by name with plain arguments, and the scheduler's stop handling need it.
    """

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._processes: dict[str, subprocess.Popen[str]] = {}
        self._why: dict[str, str] = {}  # why we stopped a crawl, for its run record
        self._interrupted: set[str] = set()
        self._active = 0
        self.stopping = False

    def begin(self) -> bool:
        """Count a run in; False once the process is stopping (no new runs)."""
        with self._lock:
            if self.stopping:
                return False
            self._active += 1
            return True

    def end(self) -> None:
        with self._lock:
            self._active -= 1
            self._lock.notify_all()

    def spawn(self, source_id: str, command: list[str], cwd: Path) -> subprocess.Popen[str] | None:
        """Start the crawl unless a stop came first (then None)."""
        with self._lock:
            if self.stopping:
                return None
            process = subprocess.Popen(
                command,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
                # A process group of its own: a Ctrl-C in the scheduler's terminal reaches
                # the scheduler only, which then stops each crawl once, cleanly.
                start_new_session=True,
            )
            self._processes[source_id] = process
            return process

    def forget(self, source_id: str) -> str | None:
        """The crawl ended: drop it; why it was stopped, if we stopped it."""
        with self._lock:
            self._processes.pop(source_id, None)
            self._interrupted.discard(source_id)
            return self._why.pop(source_id, None)

    def interrupt(self, source_id: str, why: str) -> None:
        """SIGINT, once: Scrapy stops cleanly and its JOBDIR stays resumable (a second
        SIGINT would make it stop at once and lose the queue)."""
        with self._lock:
            process = self._processes.get(source_id)
            if process is None or source_id in self._interrupted:
                return
            self._interrupted.add(source_id)
            self._why.setdefault(source_id, why)
            _signal_group(process, signal.SIGINT)

    def kill(self, source_id: str) -> None:
        """SIGKILL, for a crawl that did not stop after its SIGINT."""
        with self._lock:
            process = self._processes.get(source_id)
            if process is not None:
                _signal_group(process, signal.SIGKILL)

    def stop_taking(self) -> None:
        with self._lock:
            self.stopping = True

    def running(self) -> list[str]:
        with self._lock:
            return sorted(self._processes)

    def interrupt_all(self, why: str) -> None:
        for source_id in self.running():
            self.interrupt(source_id, why)

    def kill_all(self) -> None:
        for source_id in self.running():
            self.kill(source_id)

    def active(self) -> int:
        """Runs in progress: crawling, or recording how their crawl ended."""
        with self._lock:
            return self._active

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no run is in progress (recording included); False on timeout. In
        slices: the main thread waits here, and a second stop signal must not wait."""
        with self._lock:
            return slices.wait_for(self._lock, lambda: self._active == 0, timeout)


CRAWLS = Crawls()


def _signal_group(process: subprocess.Popen[str], signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(process.pid, signum)
