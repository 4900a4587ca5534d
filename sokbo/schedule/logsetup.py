"""The scheduler's log: one format in UTC, to stderr and to a rotating file."""

from __future__ import annotations

import logging
import sys
import time
from logging.handlers import RotatingFileHandler

from sokbo.config import Config

_LOG_FORMAT = "%(asctime)sZ %(levelname)s %(name)s: %(message)s"
_LOG_BYTES, _LOG_BACKUPS = 10 * 1024 * 1024, 5


class _ReplacedMessages(logging.Filter):
    """APScheduler's lines that the scheduler's own events say better (source first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("apscheduler"):
            return True
        return not str(record.msg).startswith(("Run time of job", "Execution of job"))


def setup_logging(config: Config) -> None:
    """One format, UTC times, to stderr and to a rotating file in the state folder."""
    formatter = logging.Formatter(_LOG_FORMAT, datefmt="%Y-%m-%d %H:%M:%S")
    formatter.converter = time.gmtime
    config.log_file.parent.mkdir(parents=True, exist_ok=True)
    handlers: list[logging.Handler] = [
        logging.StreamHandler(sys.stderr),
        RotatingFileHandler(
            config.log_file, maxBytes=_LOG_BYTES, backupCount=_LOG_BACKUPS, encoding="utf-8"
        ),
    ]
    root = logging.getLogger()
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(_ReplacedMessages())
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    # APScheduler's INFO lines (job added, running, executed) repeat what sokbo logs.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
