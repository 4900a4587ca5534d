"""The scheduler's crawls forked from a warm process (sokbo/schedule/runner.py through
sokbo/crawl/runner.py and sokbo/crawl/zygote.py), isolated as new processes were: a crawl
that hangs is stopped at its timeout and killed, one that is killed outright is recorded
as such, and neither takes the warm process or the scheduler's next run down; the
scheduler's SIGINT reaches the crawl; with no warm process to be had, the crawl runs in
a process of its own.

The runs go through `run_source` with one `Crawls`, as the scheduler's job threads do;
this test process is their scheduler (the warm process's owner)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from sokbo.config import load_config
from sokbo.schedule.crawls import Crawls
from sokbo.schedule.runner import crawl_command, run_source
from sokbo.schedule.runrecord import RunResult
from tests.support.configs import write_config
from tests.support.fixture_server import FixtureServer, serve_fixture
from tests.support.scheduling import Scheduled, run_rows, wait_until
from tests.support.sites import SITES

pytestmark = pytest.mark.e2e

FEED = 'kind = "feed"\nstart_urls = ["{base}/feed.json"]'


def warm_processes(owner: int) -> tuple[set[int], set[int]]:
    """The zygotes of `owner` and the crawls forked from them (a fork keeps its parent's
    command line: a crawl is one whose parent is a zygote)."""
    found: dict[int, int] = {}  # pid -> parent
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().split(b"\0")
            stat = (cmdline.parent / "stat").read_bytes()
        except OSError:
            continue
        state, parent = stat.rsplit(b")", 1)[1].split()[:2]
        ours = b"sokbo.crawl.zygote" in words and words[-2:-1] == [str(owner).encode()]
        if ours and state != b"Z":
            found[int(cmdline.parent.name)] = int(parent)
    zygotes = {pid for pid, parent in found.items() if parent not in found}
    return zygotes, {pid for pid, parent in found.items() if parent in zygotes}


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


class Background:
    """A run of one source in a thread, as the scheduler's job threads run them."""

    def __init__(self, run: Callable[[], RunResult | None]) -> None:
        self.result: RunResult | None = None
        self.thread = threading.Thread(target=self._run, args=(run,))
        self.thread.start()

    def _run(self, run: Callable[[], RunResult | None]) -> None:
        self.result = run()

    def join(self) -> RunResult | None:
        self.thread.join(120)
        assert not self.thread.is_alive(), "the run never ended"
        return self.result


def first_request(server: FixtureServer) -> None:
    wait_until(server.paths, 60, "the crawl's first request")


def test_the_command_hands_the_crawl_to_the_warm_process(tmp_path: Path) -> None:
    config = tmp_path / "sokbo.toml"
    warm = crawl_command(config, "src", None)
    assert warm[1:6] == ["-m", "sokbo.crawl.runner", "--module", "sokbo.cli", "crawl"]
    plain = crawl_command(config, "src", None, warm=False)
    assert plain[1:] == ["-m", "sokbo.cli", "crawl", "src", "--config", str(config)]
    assert warm[5:] == plain[3:]


def test_a_hanging_crawl_is_killed_at_its_timeout_and_the_next_run_works(
    tmp_path: Path,
) -> None:
    """A crawl whose site never answers outlives its timeout and the SIGINT after it:
    it is killed, its run recorded as timed out, while another source's runs (during it,
    and after it) are forked from the same warm process and finish."""
    with (
        serve_fixture(SITES / "jsonfeed", delay=60) as stuck,
        serve_fixture(SITES / "jsonfeed") as fine,
    ):
        sources = {
            "hang": FEED.format(base=stuck.base_url) + '\ntimeout = "6s"',
            "ok": FEED.format(base=fine.base_url),
        }
        config_path = write_config(tmp_path, sources, schedule='kill_grace = "1s"')
        config = load_config(config_path)
        crawls = Crawls()
        hang = Background(lambda: run_source(config, config_path, "hang", crawls))
        first_request(stuck)
        (zygote,), (crawl,) = warm_processes(os.getpid())
        during = run_source(config, config_path, "ok", crawls)
        assert during is not None and during.exit_status == 0, during
        assert crawls.running() == ["hang"], "the hanging crawl is still on"
        hung = hang.join()
        assert hung is not None and hung.exit_status == -signal.SIGKILL, hung
        assert wait_until(lambda: not alive(crawl), 10, "the hanging crawl's end")
        fine.clear()
        after = run_source(config, config_path, "ok", crawls)
        assert after is not None and after.exit_status == 0, after
        assert fine.paths() == ["/feed.json"]  # it ran: a 304, nothing new
    assert warm_processes(os.getpid())[0] == {zygote}, "the warm process stayed up"
    rows = {(row["source_id"], row["reason"]) for row in run_rows(tmp_path)}
    assert rows == {("hang", "timeout"), ("ok", "finished")}
    (row,) = [row for row in run_rows(tmp_path) if row["source_id"] == "hang"]
    assert row["errors"] == "timed out after 6s; killed by SIGKILL"


def test_a_crawl_killed_outright_is_recorded_and_takes_nothing_along(tmp_path: Path) -> None:
    with serve_fixture(SITES / "jsonfeed", delay=60) as stuck:
        config_path = write_config(tmp_path, {"src": FEED.format(base=stuck.base_url)})
        config = load_config(config_path)
        crawls = Crawls()
        run = Background(lambda: run_source(config, config_path, "src", crawls))
        first_request(stuck)
        (zygote,), (crawl,) = warm_processes(os.getpid())
        os.kill(crawl, signal.SIGKILL)  # a crash, an out-of-memory kill
        result = run.join()
    assert result is not None and result.exit_status == -signal.SIGKILL
    (row,) = run_rows(tmp_path)
    assert (row["reason"], row["errors"]) == ("killed", "killed by SIGKILL")
    assert alive(zygote) and crawls.running() == []


def test_the_schedulers_sigint_reaches_the_crawl(tmp_path: Path) -> None:
    """Past its timeout the scheduler SIGINTs the crawl's process group (the runner's):
    the runner passes it on, and the crawl stops as Scrapy stops, cleanly, its queue kept
    for the next run."""
    with serve_fixture(SITES / "jsonfeed", delay=2) as slow:
        source = FEED.format(base=slow.base_url) + '\ntimeout = "3s"'
        config_path = write_config(tmp_path, {"src": source}, schedule='kill_grace = "60s"')
        result = run_source(load_config(config_path), config_path, "src", Crawls())
    assert result is not None and result.exit_status >= 0, result
    (row,) = run_rows(tmp_path)
    assert row["reason"] == "shutdown", "the crawl stopped itself, and said so"
    assert row["errors"].startswith("timed out after 3s; stopped: shutdown"), row["errors"]
    assert (tmp_path / "data/jobs/src/sokbo-clean-stop.json").is_file()


# A scheduler's stand-in: runs source "src" of the config once, as its job threads do,
# and prints the run's exit status; with OCCUPY, it first holds its warm process's address
# with a listener that takes no job.
STANDIN = """
import json, logging, os, socket, sys, threading
from pathlib import Path
from sokbo.config import load_config
from sokbo.crawl.runner import address
from sokbo.schedule.crawls import Crawls
from sokbo.schedule.runner import run_source
logging.basicConfig(level=logging.INFO, format="%(message)s")
if os.environ.get("OCCUPY"):
    held = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    held.bind(address(os.getpid(), "sokbo.cli"))
    held.listen()
    def refuse():
        while True:
            held.accept()[0].close()
    threading.Thread(target=refuse, daemon=True).start()
path = Path(sys.argv[1])
result = run_source(load_config(path), path, "src", Crawls())
zygotes = 0  # its warm processes, as it ends
for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
    try:
        words = cmdline.read_bytes().split(b"\\0")
    except OSError:
        continue
    zygotes += b"sokbo.crawl.zygote" in words and words[-2] == str(os.getpid()).encode()
status = result.exit_status if result else None
print(json.dumps({"status": status, "pid": os.getpid(), "zygotes": zygotes}))
"""


def standin(config_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", STANDIN, str(config_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
    )


def test_with_no_warm_process_the_crawl_runs_in_a_process_of_its_own(tmp_path: Path) -> None:
    """A scheduler (here a small stand-in, which holds the warm process's address with a
    listener that takes no job) whose crawls cannot be handed over still has them run."""
    with serve_fixture(SITES / "jsonfeed") as server:
        config_path = write_config(tmp_path, {"src": FEED.format(base=server.base_url)})
        ran = standin(config_path, OCCUPY="1")
        requested = server.paths()
    assert ran.returncode == 0 and json.loads(ran.stdout)["status"] == 0, ran.stderr
    said = "src | sokbo runner: the warm crawl process did not take the job"
    assert said in ran.stderr, ran.stderr
    assert "/feed.json" in requested
    (row,) = run_rows(tmp_path)
    assert row["reason"] == "finished"


def test_the_warm_process_leaves_with_its_scheduler(tmp_path: Path) -> None:
    """A stand-in scheduler runs one crawl, forked from its warm process, and exits: the
    warm process follows it."""
    with serve_fixture(SITES / "jsonfeed") as server:
        config_path = write_config(tmp_path, {"src": FEED.format(base=server.base_url)})
        ran = standin(config_path)
    assert ran.returncode == 0, ran.stderr
    said = json.loads(ran.stdout)
    assert (said["status"], said["zygotes"]) == (0, 1), ran.stderr
    assert re.search(r"^src: run started \(pid \d+\)$", ran.stderr, re.MULTILINE), ran.stderr
    gone = wait_until(lambda: warm_processes(said["pid"]) == (set(), set()), 10, "its end")
    assert gone
    (row,) = run_rows(tmp_path)
    assert row["reason"] == "finished"


def test_the_scheduler_warms_up_as_it_starts(tmp_path: Path) -> None:
    """`sokbo schedule` starts its warm process as it starts, not at its first run (which
    would otherwise wait for the imports); the warm process leaves with it."""
    with serve_fixture(SITES / "jsonfeed") as server:
        source = FEED.format(base=server.base_url) + '\nschedule = "every 1h"'
        config_path = write_config(tmp_path, {"src": source})
        with Scheduled(config_path) as scheduler:
            scheduler.wait_for(r"scheduler starting")
            zygotes = wait_until(
                lambda: warm_processes(scheduler.pid)[0], 20, "a warm process before any run"
            )
            assert len(zygotes) == 1
            assert server.paths() == []  # no run yet: the hourly one has not come
            assert scheduler.stop() == 0
        gone = wait_until(lambda: not any(map(alive, zygotes)), 20, "the warm process's end")
        assert gone
