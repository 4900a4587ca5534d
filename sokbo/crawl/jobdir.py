"""Whether a source's Scrapy JOBDIR may be resumed: only what a clean stop left behind.

Scrapy keeps a job's queue and its seen-requests set in the JOBDIR and resumes them on the
next run. That is right after a clean stop (Ctrl-C once, a scheduler's SIGINT): every
request in the seen-set was either answered and handled or is still in the queue. After a
kill, a crash or a stop with failed work, the seen-set names requests whose pages never
reached the store, and resuming it would filter them for good. So a clean stop writes a
marker, and a job folder without one is discarded: the next run then reads its feeds and
sitemaps again and fetches whatever the store does not have.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime
from pathlib import Path

from sokbo.files import write_if_changed

CLEAN_STOP = "sokbo-clean-stop.json"


def claim_job(jobdir: Path) -> str | None:
    """Make `jobdir` safe to resume before Scrapy opens it.

    A job a clean stop left is kept, and its marker removed (this run owns it now: if it
    is killed in turn, the job must not be trusted). Any other job folder is removed.
    Returns why a folder was removed, or None.
    """
    if not jobdir.exists():
        return None
    marker = jobdir / CLEAN_STOP
    if marker.is_file():
        marker.unlink()
        return None
    shutil.rmtree(jobdir)
    return "left by a run that did not stop cleanly (killed, crashed or stopped after errors)"


def mark_clean_stop(jobdir: Path, stopped: datetime, reason: str, pending: int) -> None:
    """Say that `jobdir` holds a complete queue; its files are made durable first."""
    for folder, _dirs, files in os.walk(jobdir):
        for name in files:
            _fsync(Path(folder) / name)
    note = {"stopped": stopped.isoformat(), "reason": reason, "pending": pending}
    write_if_changed(jobdir / CLEAN_STOP, json.dumps(note).encode())


def forget_job(jobdir: Path) -> None:
    """A finished job must not resume: its seen-set would filter every later request."""
    shutil.rmtree(jobdir, ignore_errors=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
