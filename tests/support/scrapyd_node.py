"""A real Scrapyd on 127.0.0.1, in a folder of its own, running sokbo's spiders as the
`sokbo` project without an egg, as the README's crawl nodes do: the folder's scrapy.cfg
names the settings module (for Scrapyd's project list and for Scrapy in its jobs) and
holds Scrapyd's own options."""

from __future__ import annotations

import configparser
import contextlib
import io
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sokbo.scrapyd import Job, Scrapyd, ScrapydError

SCRAPYD = Path(sys.executable).with_name("scrapyd")
_PROCESSES: dict[str, subprocess.Popen[bytes]] = {}  # running nodes, by URL
_FOLDERS: dict[str, tuple[Path, dict[str, str]]] = {}  # their folders and environments
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "node" / "scrapy.cfg"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def node_conf(folder: Path, port: int, max_proc: int) -> str:
    """The README's node config (examples/node/scrapy.cfg), on 127.0.0.1 and `port`, its
    folders in `folder`, polling its queue often."""
    config = configparser.ConfigParser()
    config.read(EXAMPLE, encoding="utf-8")
    config["scrapyd"].update(
        {
            "bind_address": "127.0.0.1",
            "http_port": str(port),
            "max_proc": str(max_proc),
            "poll_interval": "0.2",
            "logs_dir": str(folder / "logs"),
            "eggs_dir": str(folder / "eggs"),
            "dbs_dir": str(folder / "dbs"),
        }
    )
    text = io.StringIO()
    config.write(text)
    return text.getvalue()


@contextmanager
def scrapyd_node(folder: Path, env: dict[str, str], max_proc: int = 2) -> Iterator[Scrapyd]:
    """Start a Scrapyd in `folder` with `env` added to its environment (SOKBO_STORE...);
    stopped when the block ends."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    (folder / "scrapy.cfg").write_text(node_conf(folder, port, max_proc), "utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SCRAPY", "SOKBO"))}
    # Scrapyd answers nothing while it runs `scrapy list` for a project's first
    # schedule.json; on a loaded machine that took over 5 s.
    node = Scrapyd(f"http://127.0.0.1:{port}", timeout=30)
    _start(node, folder, {**clean, **env})
    try:
        yield node
    finally:
        process = _PROCESSES.pop(node.url)
        _FOLDERS.pop(node.url)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _start(node: Scrapyd, folder: Path, env: dict[str, str]) -> None:
    with (folder / "scrapyd.log").open("ab") as log:
        # A session of its own: `kill_node` ends Scrapyd and its jobs together, as a
        # machine that dies does.
        process = subprocess.Popen(
            [str(SCRAPYD)], cwd=folder, env=env, stdout=log, stderr=log, start_new_session=True
        )
    _PROCESSES[node.url] = process
    _FOLDERS[node.url] = (folder, env)
    deadline = time.monotonic() + 30
    while True:
        try:
            node.load()
            return
        except ScrapydError:
            if process.poll() is not None or time.monotonic() > deadline:
                log_text = (folder / "scrapyd.log").read_text(errors="replace")
                raise RuntimeError(f"scrapyd did not start:\n{log_text[-3000:]}") from None
            time.sleep(0.1)


def kill_node(node: Scrapyd) -> None:
    """SIGKILL Scrapyd and every job it runs: the node is gone."""
    process = _PROCESSES[node.url]
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def restart_node(node: Scrapyd) -> None:
    """Stop Scrapyd alone (SIGTERM; the jobs it runs go on without it, as they do when
    Scrapyd restarts) and start it again in its folder, on its port."""
    process = _PROCESSES[node.url]
    process.terminate()
    process.wait(15)
    _start(node, *_FOLDERS[node.url])


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


def zygote_of(scrapyd: int) -> int | None:
    """The pid of the warm process serving the jobs of the Scrapyd `scrapyd` (a pid), if
    one runs (sokbo.crawl.zygote)."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"sokbo.crawl.zygote" in words and words[-2:-1] == [str(scrapyd).encode()]:
            return int(cmdline.parent.name)
    return None


def node_pid(node: Scrapyd) -> int:
    return _PROCESSES[node.url].pid
