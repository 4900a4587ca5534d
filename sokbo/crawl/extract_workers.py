"""The extraction worker processes' own side: their set-up, and nothing that imports Scrapy.

A worker runs `sokbo.extract.page.clean_article` and no more, so it loads only what that
needs: importing this module (the pool's initializer) must not pull in Scrapy, Twisted or
SQLAlchemy, which would cost each worker about 30 MB for nothing.
"""

from __future__ import annotations

import os
import signal
import threading
import time


def serve(crawl: int) -> None:
    """A worker's set-up: ignore SIGINT (the crawl's own stop decides what is left to do),
    and exit as soon as the crawl that started it is gone (its parent changes), whatever
    killed it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_without, args=(crawl,), daemon=True).start()


def _exit_without(crawl: int) -> None:
    while os.getppid() == crawl:
        time.sleep(0.5)
    os._exit(0)
