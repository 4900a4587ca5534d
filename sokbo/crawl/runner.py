"""Scrapyd's runner on a sokbo crawl node: `runner = sokbo.crawl.runner` in the node's
scrapy.cfg ([scrapyd]); and the way `sokbo schedule` starts each local crawl.

Scrapyd starts every job as `python -m <runner> crawl SPIDER -a ... -s ...`. A new
Python process that imports Scrapy, Twisted, SQLAlchemy and sokbo spends about 2 s of
CPU before its first request: most of what polling a small feed costs, and on a busy
node the thing that makes jobs wait for each other. This runner hands the job to a warm
process of the node (sokbo.crawl.zygote) that has imported all that once and forks a
crawl process per job. The job still runs in a process of its own, with this process's
arguments, environment, folder and standard streams (so Scrapyd's log of the job is the
same), and this process stays the one Scrapyd knows: it passes on the signals Scrapyd
sends (cancel.json) and exits as the crawl did; when it is killed, the zygote kills the
crawl.

The warm process belongs to one Scrapyd (it ends when that Scrapyd has ended and its
crawls with it) and to one version of the code: installing another sokbo or Scrapy makes
the next job start a new one. When none can be had (not Linux; a failure), the job runs
in this process as Scrapy's own command line, as Scrapyd's runner would run it (the
project is the installed package: there is no egg to activate).

`sokbo schedule` starts its crawls the same way, as `python -m sokbo.crawl.runner --module
sokbo.cli crawl SOURCE ...`: the job is `python -m sokbo.cli crawl SOURCE ...`, forked from a
warm process of that scheduler (it ends when the scheduler has, once its crawls are done),
else run in this process as that command line. The scheduler signals this process's
process group to stop a crawl: the warm process is never in it. A job of a module other
than Scrapy's first says on stderr which process runs it (`sokbo runner: crawl pid N`):
the one that holds the source's lock, which the scheduler's log names.

Only the standard library is imported here: this process must start in milliseconds.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import BinaryIO, NoReturn

# The signals Scrapyd (cancel.json) or an operator may send a job; passed on to the crawl.
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1)
# How long a job waits for a zygote it has just started to listen.
START_WAIT = 5.0
LENGTH = struct.Struct("!I")
# The module a job runs as `python -m MODULE ARGS`: Scrapy's command line, unless
# `--module` names another (sokbo.cli, for the scheduler's crawls).
SCRAPY = "scrapy.cmdline"
MODULE_OPTION = "--module"
_CRAWL_PID = "sokbo runner: crawl pid "


def main() -> NoReturn:
    module, args = job(sys.argv[1:])
    owner = os.getppid()  # Scrapyd, or the scheduler
    try:
        # A runner whose owner has already gone (its parent is init) warms nothing up.
        connection = None if owner == 1 else _connect(address(owner, module), owner, module)
    except OSError as exc:
        _say(f"no warm crawl process ({exc}); this job starts Scrapy itself")
        connection = None
    if connection is None:
        _run_here(module, args)
    with connection, connection.makefile("rb") as replies:
        try:
            pid = _hand_over(connection, replies, module, args)
        except OSError as exc:  # the job has not started: it may start here
            _say(f"the warm crawl process did not take the job ({exc}); it runs here")
            _run_here(module, args)
        _announce(module, pid)
        _exit_as(_follow(replies, pid))


def crawl_pid(line: str) -> int | None:
    """The pid a runner's first stderr line names (see above), or None for any other."""
    if line.startswith(_CRAWL_PID) and line[len(_CRAWL_PID) :].isdigit():
        return int(line[len(_CRAWL_PID) :])
    return None


def _announce(module: str, pid: int) -> None:
    if module != SCRAPY:  # Scrapyd's job logs stay Scrapy's own
        print(f"{_CRAWL_PID}{pid}", file=sys.stderr, flush=True)


def job(argv: list[str]) -> tuple[str, list[str]]:
    """The module a job runs and its arguments: `--module M ARGS`, else Scrapy's ARGS."""
    if len(argv) >= 2 and argv[0] == MODULE_OPTION:
        return argv[1], argv[2:]
    return SCRAPY, argv


def address(owner: int, module: str = SCRAPY) -> str:
    """The zygote's socket: in Linux's abstract namespace (no file to leave behind; only
    processes of this user are served), one per owner (a Scrapyd, a scheduler), module
    and code version, and for Scrapy's command line per folder too (a project's settings
    are found from its folder; sokbo's command line names its own)."""
    folder = os.getcwd() if module == SCRAPY else ""
    key = "\n".join((str(owner), module, folder, sys.executable, code_stamp()))
    return "\0sokbo-runner-" + hashlib.sha256(key.encode()).hexdigest()[:24]


def code_stamp(package: Path | None = None) -> str:
    """Changes when sokbo's code or the installed packages change: the newest modified
    time of sokbo's modules, and of the folder the packages are installed in."""
    root = package or Path(__file__).resolve().parent.parent
    newest = 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            if name.endswith(".py"):
                newest = max(newest, os.stat(os.path.join(folder, name)).st_mtime_ns)
    return f"{newest}:{os.stat(root.parent).st_mtime_ns}"


def warm_up(module: str) -> bool:
    """Start the zygote of this process's jobs of `module` now, so that its first job does
    not wait for the imports (`sokbo schedule` calls it as it starts); False where jobs
    cannot be forked. A zygote already listening keeps the address (the new one leaves)."""
    if not _can_fork_jobs():
        return False
    _start_zygote(address(os.getpid(), module), os.getpid(), module, own_session=True)
    return True


def _can_fork_jobs() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "pidfd_open")


def _connect(name: str, owner: int, module: str) -> socket.socket | None:
    """A connection to the zygote, started when there is none; None when it cannot be."""
    if not _can_fork_jobs():
        return None
    started = False
    deadline = time.monotonic() + START_WAIT
    while True:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            connection.connect(name)
            return connection
        except ConnectionRefusedError:
            connection.close()
        if not started:
            _start_zygote(name, owner, module)
            started = True
        elif time.monotonic() > deadline:
            _say("the warm crawl process did not start listening; this job starts Scrapy itself")
            return None
        time.sleep(0.05)


def _start_zygote(name: str, owner: int, module: str, *, own_session: bool = False) -> None:
    """A zygote for this owner, its output nowhere: it has no job of its own to log to.

    In the owner's process group (a Scrapyd node that is killed as a whole takes it
    along), unless this runner leads a group of its own (or `own_session`): then the
    group is this one job, which the scheduler signals as a whole to stop it, and the
    zygote, which serves every job, must not be in it."""
    options = [] if module == SCRAPY else [MODULE_OPTION, module]
    subprocess.Popen(
        [sys.executable, "-m", "sokbo.crawl.zygote", *options, name.encode().hex(), str(owner)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        close_fds=True,
        start_new_session=own_session or os.getpgrp() == os.getpid(),
    )


def _hand_over(connection: socket.socket, replies: BinaryIO, module: str, args: list[str]) -> int:
    """Send the job (module, arguments, environment, folder, standard streams); the
    crawl's pid."""
    job = {"module": module, "argv": args, "env": dict(os.environ), "cwd": os.getcwd()}
    request = json.dumps(job).encode()
    socket.send_fds(connection, [LENGTH.pack(len(request))], [0, 1, 2])
    connection.sendall(request)
    line = replies.readline().decode().strip()
    if not line.startswith("pid "):
        raise OSError(line or "it closed the connection")
    return int(line.split()[1])


def _follow(replies: BinaryIO, pid: int) -> str:
    """Pass signals on to the crawl until it ends; how it ended ("exit N", "signal N")."""

    def forward(signum: int, _frame: FrameType | None) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    for signum in FORWARDED:
        signal.signal(signum, forward)
    return replies.readline().decode().strip()


def _exit_as(status: str) -> NoReturn:
    """Exit as the crawl did: with its code, or killed by its signal."""
    kind, _, number = status.partition(" ")
    if kind == "exit":
        os._exit(int(number))
    if kind == "signal":
        signum = int(number)
        with contextlib.suppress(OSError):  # SIGKILL and SIGSTOP take no handler
            signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        os._exit(128 + signum)  # a signal whose default is not to end the process
    _say("the warm crawl process ended before the crawl reported its end; the crawl is gone")
    os._exit(1)


def _run_here(module: str, args: list[str]) -> NoReturn:
    """The job as `python -m MODULE ARGS` in this process (the pid its owner follows)."""
    _announce(module, os.getpid())
    os.execv(sys.executable, [sys.executable, "-m", module, *args])


def _say(line: str) -> None:
    print(f"sokbo runner: {line}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
