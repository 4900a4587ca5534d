"""`sokbo schedule`: every source on its schedule until stopped (sokbo.schedule.scheduler)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sokbo.config import Config
from sokbo.schedule.scheduler import run_scheduler


def run(config: Config, path: Path, _args: argparse.Namespace) -> int:
    return run_scheduler(config, path)
