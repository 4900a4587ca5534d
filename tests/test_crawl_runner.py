"""Scrapyd's runner on a crawl node (sokbo.crawl.runner) and the warm process its jobs
fork from (sokbo.crawl.zygote): real processes. A stand-in for Scrapyd (a small Python
process) starts the runner as Scrapyd does, a job at a time, and reports each one's
exit, output and own CPU time; the zygote belongs to that stand-in."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sokbo.crawl.runner import code_stamp
from tests.support.configs import write_config
from tests.support.fixture_server import FixtureServer, serve_fixture
from tests.support.scrapyd_node import zygote_of
from tests.support.sites import SITES

pytestmark = pytest.mark.e2e

# Scrapyd's stand-in: runs `python -m sokbo.crawl.runner ARGS` for each [ARGS, ENV] it
# reads on stdin (a JSON line; ENV added to its own environment), prints {"pid"} when the
# job starts and {"code", "out", "err", "cpu"} when it ends (cpu: the runner's own, its
# children's included). With OCCUPY set, it first holds the zygote's address with a
# listener that takes no job.
STANDIN = r"""
import json, os, resource, socket, subprocess, sys, threading
if os.environ.get("OCCUPY"):
    from sokbo.crawl.runner import address
    held = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    held.bind(address(os.getpid()))
    held.listen()
    def refuse():
        while True:
            held.accept()[0].close()
    threading.Thread(target=refuse, daemon=True).start()
for line in sys.stdin:
    args, env = json.loads(line)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    runner = subprocess.Popen(
        [sys.executable, "-m", "sokbo.crawl.runner", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **env},
    )
    print(json.dumps({"pid": runner.pid}), flush=True)
    out, err = runner.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    print(json.dumps({"code": runner.returncode, "out": out.decode(), "err": err.decode(),
                      "cpu": cpu}), flush=True)
"""


class Node:
    """The stand-in Scrapyd in `folder` (a crawl node's scrapy.cfg)."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", STANDIN],
            cwd=folder,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def start(self, *args: str, env: dict[str, str] | None = None) -> int:
        """Start a job (`env` added to the node's environment); its runner's pid."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps([args, env or {}]) + "\n")
        self.process.stdin.flush()
        return int(json.loads(self.process.stdout.readline())["pid"])

    def result(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        return dict(json.loads(self.process.stdout.readline()))

    def run(self, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
        self.start(*args, env=env)
        return self.result()


@contextmanager
def node(folder: Path, **env: str) -> Iterator[Node]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "scrapy.cfg").write_text("[settings]\nsokbo = sokbo.crawl.settings\n", "utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SCRAPY", "SOKBO"))}
    standin = Node(folder, {**clean, "SCRAPY_PROJECT": "sokbo", **env})
    try:
        yield standin
    finally:
        assert standin.process.stdin is not None
        standin.process.stdin.close()
        standin.process.wait(30)
        zygote = zygote_of(standin.process.pid)
        if zygote is not None:  # it leaves within a second or two of its Scrapyd
            gone = _wait(lambda: not _exists(zygote), 10)
            assert gone, "the zygote outlived its Scrapyd"


def children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(word) for word in text.split()]


def _exists(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
    except OSError:
        return False
    return state != b"Z"


def _wait(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


SPIDERS = "feed\nlisting\nsitemap\n"


def test_jobs_fork_from_a_warm_process_and_cost_the_runner_almost_nothing(
    tmp_path: Path,
) -> None:
    """The first job starts the zygote; every job's output is Scrapy's own; a job's runner
    spends a small share of what importing Scrapy costs (the crawl runs in the zygote's
    child)."""
    with node(tmp_path) as standin:
        first = standin.run("list")
        assert (first["code"], first["out"]) == (0, SPIDERS), first["err"]
        zygote = zygote_of(standin.process.pid)
        assert zygote is not None
        later = [standin.run("list") for _ in range(3)]
        assert [(job["code"], job["out"]) for job in later] == [(0, SPIDERS)] * 3
        assert max(job["cpu"] for job in later) < 0.4, later
        assert zygote_of(standin.process.pid) == zygote  # one zygote for the node


def test_the_job_gets_its_arguments_environment_and_folder(tmp_path: Path) -> None:
    """Each job's own: a setting on its command line, a settings module named by its
    environment and found in its folder, its exit code."""
    (tmp_path / "probe_settings.py").write_text('BOT_NAME = "probe"\n', "utf-8")
    with node(tmp_path) as standin:
        standin.run("list")  # the zygote is warm
        asked = standin.run("settings", "--get", "LOG_LEVEL", "-s", "LOG_LEVEL=DEBUG")
        assert (asked["code"], asked["out"]) == (0, "DEBUG\n"), asked["err"]
        env = {"SCRAPY_SETTINGS_MODULE": "probe_settings"}
        named = standin.run("settings", "--get", "BOT_NAME", env=env)
        assert (named["code"], named["out"]) == (0, "probe\n"), named["err"]
        plain = standin.run("settings", "--get", "BOT_NAME")
        assert plain["out"] == "sokbo\n", plain["err"]
        failed = standin.run("crawl", "no-such-spider")
        assert failed["code"] != 0 and "no-such-spider" in failed["err"]


@dataclass
class SlowSource:
    """A crawl's arguments for a source whose server answers after 2 s."""

    args: list[str]
    server: FixtureServer


@pytest.fixture
def slow_source(tmp_path: Path) -> Iterator[SlowSource]:
    with serve_fixture(SITES / "jsonfeed", delay=2) as server:
        config = write_config(
            tmp_path / "conf",
            {"slow": f'kind = "feed"\nstart_urls = ["{server.base_url}/feed.json"]'},
        )
        args = ["crawl", "feed", "-a", "source=slow", "-s", f"SOKBO_CONFIG={config}"]
        yield SlowSource(args, server)


def _crawl_started(standin: Node, source: SlowSource) -> tuple[int, int, int]:
    """Start the crawl once the zygote is warm; once it has fetched (Scrapy's signal
    handlers are in place): (runner, zygote, crawl) pids."""
    standin.run("list")
    zygote = zygote_of(standin.process.pid)
    assert zygote is not None
    runner = standin.start(*source.args)
    assert _wait(lambda: children(zygote), 10), "no crawl was forked"
    (crawl,) = children(zygote)
    assert _wait(source.server.paths, 30), "the crawl fetched nothing"
    return runner, zygote, crawl


def test_a_signal_to_the_runner_reaches_the_crawl(tmp_path: Path, slow_source: SlowSource) -> None:
    """Scrapyd's cancel.json signals the runner: the crawl stops as Scrapy stops on
    SIGINT, and the runner exits with the crawl's code."""
    with node(tmp_path / "node") as standin:
        runner, _zygote, crawl = _crawl_started(standin, slow_source)
        os.kill(runner, signal.SIGINT)
        result = standin.result()
        assert "Received SIGINT, shutting down gracefully" in result["err"], result["err"]
        assert not _exists(crawl)


def test_a_killed_runner_takes_its_crawl_along(tmp_path: Path, slow_source: SlowSource) -> None:
    """Scrapyd kills a job that outlived its cancel (SIGKILL to the runner): the crawl is
    killed too, not left running unfollowed."""
    with node(tmp_path / "node") as standin:
        runner, _zygote, crawl = _crawl_started(standin, slow_source)
        os.kill(runner, signal.SIGKILL)
        assert standin.result()["code"] == -signal.SIGKILL
        assert _wait(lambda: not _exists(crawl), 5), "the crawl outlived its runner"


def test_a_killed_zygote_takes_its_crawls_along(tmp_path: Path, slow_source: SlowSource) -> None:
    """The zygote dies mid-crawl: the kernel kills its crawl, the runner says so in one
    line and fails, and the next job starts a new zygote and runs."""
    with node(tmp_path / "node") as standin:
        _runner, zygote, crawl = _crawl_started(standin, slow_source)
        os.kill(zygote, signal.SIGKILL)
        result = standin.result()
        assert result["code"] == 1
        assert (
            result["err"]
            .strip()
            .endswith(
                "sokbo runner: the warm crawl process ended before the crawl reported its end; "
                "the crawl is gone"
            )
        )
        assert _wait(lambda: not _exists(crawl), 5), "the crawl outlived its zygote"
        again = standin.run("list")
        assert (again["code"], again["out"]) == (0, SPIDERS)
        assert zygote_of(standin.process.pid) not in {None, zygote}


def test_a_warm_process_that_takes_no_job_leaves_the_job_to_run_in_the_runner(
    tmp_path: Path,
) -> None:
    with node(tmp_path, OCCUPY="1") as standin:
        result = standin.run("list")
    assert (result["code"], result["out"]) == (0, SPIDERS)
    said = "sokbo runner: the warm crawl process did not take the job (.+); it runs here\n"
    assert re.match(said, result["err"]), result["err"]


SYSTEM_PYTHON = Path("/usr/bin/python3")  # one another user may run (the venv's is root's)


@pytest.mark.skipif(
    os.getuid() != 0 or not SYSTEM_PYTHON.exists(), reason="needs root to act as another user"
)
def test_another_user_is_not_served(tmp_path: Path) -> None:
    """The zygote's address is not a file: it checks who connects."""
    with node(tmp_path) as standin:
        standin.run("list")
        probe = (
            "import socket, struct, sys\n"
            "s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
            "s.connect(bytes.fromhex(sys.argv[1]).decode())\n"
            "try:\n"  # refused at once or after the request: closed either way
            "    socket.send_fds(s, [struct.pack('!I', 2)], [0, 1, 2]); s.sendall(b'{}')\n"
            "    print(s.recv(100) or 'closed')\n"
            "except (BrokenPipeError, ConnectionResetError):\n"
            "    print('closed')\n"
        )
        zygote = zygote_of(standin.process.pid)
        name = Path(f"/proc/{zygote}/cmdline").read_bytes().split(b"\0")[-3]
        answer = subprocess.run(
            [str(SYSTEM_PYTHON), "-c", probe, name.decode()],
            capture_output=True,
            text=True,
            user=65534,
            cwd="/",
            timeout=30,
        )
    assert answer.stdout.strip() == "closed", answer.stderr


def test_the_code_stamp_moves_with_the_code(tmp_path: Path) -> None:
    """A changed module means a new zygote: the next job does not run the old code."""
    package = tmp_path / "site" / "sokbo"
    (package / "crawl").mkdir(parents=True)
    module = package / "crawl" / "spider.py"
    module.write_text("x = 1\n")
    before = code_stamp(package)
    os.utime(module, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    assert code_stamp(package) != before
