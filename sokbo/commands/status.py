"""`sokbo status [--json]`: how each source is doing (sokbo.ops.status)."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from sokbo.config import Config
from sokbo.exitcodes import EXIT_FAILED, EXIT_OK
from sokbo.ops.status import alerts_of, format_table, log_alerts, read_status, to_json
from sokbo.schedule import jobs
from sokbo.store import store_error


def run(config: Config, _path: Path, args: argparse.Namespace) -> int:
    """Print the status table (or JSON); each alert is also logged at WARNING. Creates
    nothing: a store not made yet is said in a line (`no runs yet: ...`), exit 0."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    now = datetime.now(UTC)
    try:
        overview = read_status(config, jobs, now)
    except SQLAlchemyError as exc:
        print(f"store: {store_error(exc)}", file=sys.stderr)
        return EXIT_FAILED
    print(to_json(overview) if args.json else format_table(overview, now))
    log_alerts(alerts_of(overview.sources))
    return EXIT_OK
