"""Scheduled crawls arrive with issue 6 (APScheduler); until then run `sokbo crawl`."""
