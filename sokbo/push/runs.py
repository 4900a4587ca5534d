"""Which runs a push waits for: a push for a source with no run going wants one now; a push
that comes while a run is going (which may have read the feed already) wants the run after it.

The scheduler tells it when a run is submitted and when it ended; APScheduler may tell the
end before the submission (both come from different threads), so runs are paired by source
and scheduled run time, whatever the order.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RunEnd:
    by_push: bool  # the run was the one a push asked for
    again: bool  # a push came during the run: run the source again now


class PushRuns:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[str, datetime] = {}  # source -> its run's scheduled time
        self._ended_early: set[tuple[str, datetime]] = set()
        self._waiting: set[str] = set()  # sources whose next run serves a push
        self._serving: set[tuple[str, datetime]] = set()  # runs that serve a push

    def pushed(self, source_id: str, now: datetime, longest: timedelta) -> bool:
        """A push came for the source: True when a run should start now, False when the run
        going will be followed by another (`ended` says so). A run older than `longest`
        is taken for one whose end was never told."""
        with self._lock:
            self._waiting.add(source_id)
            going = self._running.get(source_id)
            if going is not None and now - going > longest:
                del self._running[source_id]
                going = None
            return going is None

    def submitted(self, source_id: str, run_time: datetime) -> None:
        with self._lock:
            key = (source_id, run_time)
            if key in self._ended_early:
                self._ended_early.discard(key)
                return
            self._running[source_id] = run_time
            if source_id in self._waiting:
                self._waiting.discard(source_id)
                self._serving.add(key)

    def ended(self, source_id: str, run_time: datetime) -> RunEnd:
        with self._lock:
            key = (source_id, run_time)
            if self._running.get(source_id) == run_time:
                del self._running[source_id]
            else:
                self._ended_early.add(key)
            by_push = key in self._serving
            self._serving.discard(key)
            return RunEnd(by_push=by_push, again=source_id in self._waiting)
