"""A real Scrapyd on 127.0.0.1, in a folder of its own, running sokbo's spiders as the
`sokbo` project without an egg, as the README's crawl nodes do: the folder's scrapy.cfg
names the settings module (for Scrapyd's project list and for Scrapy in its jobs) and
holds Scrapyd's own options."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sokbo.schedule.scrapyd import Job, Scrapyd, ScrapydError

SCRAPYD = Path(sys.executable).with_name("scrapyd")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def node_conf(folder: Path, port: int, max_proc: int) -> str:
    return f"""[settings]
sokbo = sokbo.crawl.settings

[scrapyd]
bind_address = 127.0.0.1
http_port = {port}
max_proc = {max_proc}
poll_interval = 0.2
eggs_dir = {folder}/eggs
logs_dir = {folder}/logs
dbs_dir = {folder}/dbs
items_dir =
jobs_to_keep = 20
finished_to_keep = 100
"""


@contextmanager
def scrapyd_node(folder: Path, env: dict[str, str], max_proc: int = 2) -> Iterator[Scrapyd]:
    """Start a Scrapyd in `folder` with `env` added to its environment (SOKBO_STORE...);
    stopped when the block ends."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    (folder / "scrapy.cfg").write_text(node_conf(folder, port, max_proc), "utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SCRAPY", "SOKBO"))}
    with (folder / "scrapyd.log").open("wb") as log:
        process = subprocess.Popen(
            [str(SCRAPYD)], cwd=folder, env={**clean, **env}, stdout=log, stderr=log
        )
    node = Scrapyd(f"http://127.0.0.1:{port}", timeout=5)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                node.load()
                break
            except ScrapydError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log_text = (folder / "scrapyd.log").read_text(errors="replace")
                    raise RuntimeError(f"scrapyd did not start:\n{log_text[-3000:]}") from None
                time.sleep(0.1)
        yield node
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_finished(node: Scrapyd, job_id: str, timeout: float = 120) -> Job:
    """The job once Scrapyd has it finished."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = node.jobs().get(job_id)
        if job is not None and job.state == "finished":
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish within {timeout} s")


def job_log(folder: Path, job_id: str) -> str:
    """The job's Scrapy log, as Scrapyd kept it."""
    return next((folder / "logs").rglob(f"{job_id}.log")).read_text("utf-8", errors="replace")
