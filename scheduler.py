"""APScheduler entry point: scheduled crawls arrive with a later issue (see README)."""

from __future__ import annotations

import sys


def main() -> int:
    print(
        "scheduler.py: scheduled crawls are not built yet; run `sokbo crawl` from cron meanwhile",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
