"""The exit statuses of sokbo's commands, one meaning each, for `sokbo`, `python
scheduler.py` and the scheduler's record of a crawl that could not start."""

EXIT_OK = 0
EXIT_FAILED = 1  # the command ran and something failed (a crawl, a write, the store)
EXIT_USAGE = 2  # a bad config or command line: nothing was done
EXIT_LOCKED = 3  # another process holds the lock (a source being crawled, a scheduler)
