"""Scheduling: APScheduler jobs per source (fixed, cron or adaptive), the runner that
starts each crawl as a process of its own and records its run, and the log setup."""
