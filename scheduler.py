"""`python scheduler.py --config PATH`: exactly `sokbo --config PATH schedule` (the same
checks of the config and the environment, the same warnings and exit codes).

The scheduler itself is `sokbo/schedule/scheduler.py`; this file is the project's entry
point beside `scrapy.cfg`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sokbo.cli import main as sokbo_main
from sokbo.config import DEFAULT_CONFIG


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scheduler.py",
        description="Run every source of the config on its schedule (the same as "
        "`sokbo schedule`).",
    )
    parser.add_argument("--config", default=DEFAULT_CONFIG, metavar="PATH")
    args = parser.parse_args(argv)
    return sokbo_main(["--config", args.config, "schedule"])


if __name__ == "__main__":
    sys.exit(main())
