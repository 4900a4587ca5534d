"""The main thread's waits, cut into short slices so that a signal is acted on at once.

CPython runs a signal's Python handler in the main thread, when that thread next runs
Python code. The kernel may hand a process's signal to any of its threads; when it picks
another one, nothing wakes a main thread blocked on a lock, and the handler waits for the
lock's timeout: for a scheduler with nothing due for an hour, SIGTERM would wait an hour.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

SLICE = 0.5  # seconds: the longest a signal waits for its handler


def wait_event(event: threading.Event, timeout: float | None) -> bool:
    """`event.wait(timeout)`, in slices; True when the event is set."""
    return wait_for(event, event.is_set, timeout)


def wait_for(
    waitable: threading.Condition | threading.Event,
    predicate: Callable[[], bool],
    timeout: float | None,
) -> bool:
    """Wait on `waitable` (a Condition the caller holds, or an Event) until `predicate`
    holds, in slices; False once `timeout` (None: none) has passed without it."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while not predicate():
        left = SLICE if deadline is None else deadline - time.monotonic()
        if left <= 0:
            return False
        waitable.wait(min(left, SLICE))
    return True
