"""Jobs from the config: one per source, kept across restarts, readable without a scheduler."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import MetaData, Table, create_engine, select

from sokbo.config import Config, load_config
from sokbo.models import Article
from sokbo.schedule.jobs import (
    JOBS_TABLE,
    RUN_JOB_REF,
    JobStore,
    current_interval,
    job_id,
    make_trigger,
    next_runs,
    schedule_label,
    source_of,
    sync_jobs,
)
from sokbo.store import Store
from tests.support.configs import write_config


def jobs_config(folder: Path, sources: dict[str, str], grace: str = "5m") -> Config:
    """A config with one feed source per entry of `sources` (id -> extra TOML lines)."""
    tables = {
        name: f'kind = "feed"\nstart_urls = ["https://{name}.example/"]\n{extra}'
        for name, extra in sources.items()
    }
    return load_config(write_config(folder, tables, schedule=f'misfire_grace = "{grace}"'))


@contextmanager
def paused_scheduler(config: Config) -> Iterator[BackgroundScheduler]:
    """A scheduler on the config's job store that never runs a job."""
    config.crawl.state_dir.mkdir(parents=True, exist_ok=True)
    scheduler = BackgroundScheduler(
        jobstores={"default": JobStore(config.jobstore_url)}, timezone=UTC
    )
    scheduler.start(paused=True)
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=False)


def sync(config: Config, folder: Path) -> list[str]:
    store = Store(config.store.url)
    try:
        with paused_scheduler(config) as scheduler:
            return sync_jobs(scheduler, config, folder / "sokbo.toml", store)
    finally:
        store.close()


def test_ids_and_labels(tmp_path: Path) -> None:
    config = jobs_config(
        tmp_path,
        {
            "a": 'schedule = "every 90s"\njitter = "0s"',
            "b": 'schedule = "*/10 * * * *"\ntimezone = "Europe/London"',
            "c": 'schedule = "adaptive"\nmin_interval = "1m"\nmax_interval = "1h30m"',
        },
    )
    assert job_id("a") == "crawl:a"
    assert source_of("crawl:a") == "a"
    assert source_of("someone-else") is None
    labels = [schedule_label(source) for source in config.source]
    assert labels == [
        "a: every 1m30s, jitter 0s",
        "b: cron '*/10 * * * *' Europe/London, jitter 30s",
        "c: adaptive 1m-1h30m, jitter 30s",
    ]
    a, b, c = (make_trigger(source) for source in config.source)
    assert isinstance(a, IntervalTrigger) and a.interval == timedelta(seconds=90)
    assert a.jitter is None
    assert isinstance(b, CronTrigger) and str(b.timezone) == "Europe/London" and b.jitter == 30
    assert isinstance(c, IntervalTrigger) and c.interval == timedelta(minutes=90)
    adaptive = make_trigger(config.source[2], timedelta(minutes=7))
    assert isinstance(adaptive, IntervalTrigger) and adaptive.interval == timedelta(minutes=7)
    assert c.jitter == 30 and adaptive.jitter == 30
    # A burst's 20 s polls keep their place: a tenth of the interval at most.
    burst = make_trigger(config.source[2], timedelta(seconds=20))
    assert isinstance(burst, IntervalTrigger) and burst.jitter == 2


def test_sync_keeps_one_job_per_source_and_its_next_run(tmp_path: Path) -> None:
    config = jobs_config(tmp_path, {"a": 'schedule = "every 1h"', "b": 'schedule = "every 2h"'})
    assert next_runs(config) == {"a": None, "b": None}  # no job store yet
    assert not (config.crawl.state_dir / "scheduler.db").exists(), "status must create nothing"

    changes = sync(config, tmp_path)
    assert changes == [
        "added crawl:a (a: every 1h, jitter 30s)",
        "added crawl:b (b: every 2h, jitter 30s)",
    ]
    first = next_runs(config)
    now = datetime.now(UTC)
    for name, hours in (("a", 1), ("b", 2)):
        when = first[name]
        assert when is not None
        assert timedelta(hours=hours) - timedelta(seconds=5) < when - now
        assert when - now <= timedelta(hours=hours, seconds=31)

    # A restart with the same schedules changes nothing: same jobs, same next runs.
    assert sync(config, tmp_path) == []
    assert next_runs(config) == first

    # b leaves, a changes its schedule, the grace changes for everyone.
    config = jobs_config(tmp_path, {"a": 'schedule = "every 10m"'}, grace="1m")
    changes = sync(config, tmp_path)
    assert changes == [
        "removed crawl:b (its source is no longer in the config)",
        "rescheduled crawl:a (a: every 10m, jitter 30s)",
    ]
    assert set(next_runs(config)) == {"a"}
    with paused_scheduler(config) as scheduler:
        jobs = scheduler.get_jobs()
        assert [job.id for job in jobs] == ["crawl:a"]
        (job,) = jobs
        assert job.func_ref == RUN_JOB_REF
        assert job.args == (str((tmp_path / "sokbo.toml").resolve()), "a")
        assert (job.misfire_grace_time, job.coalesce, job.max_instances) == (60, True, 1)


def test_sync_updates_options_without_moving_the_next_run(tmp_path: Path) -> None:
    config = jobs_config(tmp_path, {"a": 'schedule = "every 1h"'})
    sync(config, tmp_path)
    before = next_runs(config)["a"]
    config = jobs_config(tmp_path, {"a": 'schedule = "every 1h"'}, grace="30s")
    assert sync(config, tmp_path) == []
    assert next_runs(config)["a"] == before
    with paused_scheduler(config) as scheduler:
        (job,) = scheduler.get_jobs()
        assert job.misfire_grace_time == 30


def test_other_jobs_in_a_shared_store_are_left_alone(tmp_path: Path) -> None:
    config = jobs_config(tmp_path, {"a": 'schedule = "every 1h"'})
    with paused_scheduler(config) as scheduler:
        scheduler.add_job(print, "interval", hours=1, id="someone-else")
    sync(config, tmp_path)
    with paused_scheduler(config) as scheduler:
        assert sorted(job.id for job in scheduler.get_jobs()) == ["crawl:a", "someone-else"]


def test_current_interval_follows_the_store(tmp_path: Path) -> None:
    config = jobs_config(
        tmp_path,
        {
            "busy": 'schedule = "adaptive"\nmin_interval = "1m"\nmax_interval = "2h"',
            "fixed": 'schedule = "every 1h"',
        },
    )
    busy, fixed = config.source
    store = Store(config.store.url)
    try:
        assert current_interval(config, store, fixed) is None
        assert current_interval(config, store, busy) == timedelta(hours=2)
        now = datetime.now(UTC)
        for n in range(10):
            published = now - timedelta(minutes=10 * n)
            url = f"https://busy.example/{n}"
            body = "<p>x</p>"
            store.upsert(Article(url, "busy", url, "", body, published), now)
        interval = current_interval(config, store, busy)
        assert interval is not None
        assert timedelta(minutes=4) < interval <= timedelta(minutes=5)
    finally:
        store.close()


def test_a_job_stored_under_the_former_function_name_keeps_its_next_run(tmp_path: Path) -> None:
    """An upgrade: a job an older sokbo stored names `sokbo.runner:run_job`. It is read
    (not dropped as unimportable), runs the runner, and keeps its next run time."""
    config = jobs_config(tmp_path, {"a": 'schedule = "every 1h"\njitter = "0s"'})
    sync(config, tmp_path)
    engine = create_engine(config.jobstore_url)
    table = Table(JOBS_TABLE, MetaData(), autoload_with=engine)
    with engine.begin() as conn:
        row = conn.execute(select(table.c.id, table.c.job_state, table.c.next_run_time)).one()
        state = pickle.loads(row.job_state)
        state["func"] = "sokbo.runner:run_job"
        conn.execute(
            table.update().where(table.c.id == row.id).values(job_state=pickle.dumps(state))
        )
    engine.dispose()

    with paused_scheduler(config) as scheduler:
        job = scheduler.get_job(row.id)
        assert job is not None, "the job of the former name was dropped"
        assert job.func_ref == RUN_JOB_REF
        assert job.next_run_time.timestamp() == row.next_run_time
    assert sync(config, tmp_path) == []  # nothing to add or reschedule
