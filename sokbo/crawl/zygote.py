"""The warm process that forks a crawl process for each job of its owner: a crawl node's
Scrapyd, or `sokbo schedule` (sokbo.crawl.runner, the process each job starts as, hands
its job over to it).

`python -m sokbo.crawl.zygote [--module MODULE] ADDRESS OWNER_PID`, started by the first
job of its owner. It listens first (a second zygote started at the same moment finds the
address taken and leaves), then imports what a crawl imports: Scrapy's command line (or
MODULE, the command line its jobs run), every component the project's settings and
sokbo's name, the spiders and the store's drivers, but never Twisted's reactor, which
each crawl installs for itself. For each job it forks: the child takes the job's
standard streams, folder, environment and arguments, runs `python -m MODULE ARGS` as a
new process would (Scrapy's command line by default), and its exit goes back to the
runner.

No crawl runs unfollowed: a runner that disappears (Scrapyd kills it at a timeout, the
scheduler at a crawl's) has its crawl killed, with the crawl's own children, and the
kernel kills the crawls of a zygote that dies. The zygote leaves once its owner has ended
and its last crawl is done, after ten minutes without a job (one left behind by an
upgrade of the code goes that way), or on SIGTERM, SIGINT or SIGHUP once its crawls are
done.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib
import json
import os
import re
import runpy
import selectors
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import FrameType, ModuleType
from typing import Any, NoReturn, cast

from sokbo.crawl.runner import LENGTH, SCRAPY, job

# sokbo's crawl settings, whose components are imported ahead whatever the project.
SETTINGS = "sokbo.crawl.settings"
# Imported ahead (beyond what the settings name): what a crawl loads lazily.
AHEAD = (
    "scrapy.cmdline",
    "scrapy.crawler",
    "psycopg",
    "sqlalchemy.dialects.postgresql.psycopg",
    "sqlalchemy.dialects.sqlite.pysqlite",
)
_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")
_PR_SET_PDEATHSIG = 1
_REQUEST_SECONDS = 10.0  # a connecting runner sends its job at once
IDLE_SECONDS = 600.0


@dataclass
class Crawl:
    pid: int
    pidfd: int
    runner: socket.socket | None  # None once the runner has gone


def main() -> None:
    module, (hex_name, owner) = job(sys.argv[1:])
    name = bytes.fromhex(hex_name).decode()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(name)
    except OSError:  # another zygote has the address
        return
    listener.listen(64)
    zygote = Zygote(listener, int(owner))
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, zygote.stop)
    zygote.broken = preload(module)
    gc.freeze()  # the children's reference counting then copies fewer shared pages
    zygote.serve()


def preload(module: str = SCRAPY) -> str | None:
    """Import what a crawl imports, the reactor excepted; why no crawl can be forked
    from this process, or None."""
    blocker = _NoReactor()
    sys.meta_path.insert(0, blocker)
    try:
        for name in (*AHEAD, module):
            _try_import(name)
        project = importlib.import_module("scrapy.utils.project").get_project_settings()
        sokbo = importlib.import_module("scrapy.settings").Settings()
        sokbo.setmodule(SETTINGS)
        walk = importlib.import_module("scrapy.utils.misc").walk_modules
        spiders = [*project.getlist("SPIDER_MODULES"), *sokbo.getlist("SPIDER_MODULES")]
        for package in ["scrapy.commands", *spiders]:
            with contextlib.suppress(Exception):
                walk(package)
        for path in {*_component_paths(project), *_component_paths(sokbo)}:
            _try_import(path.rsplit(".", 1)[0])
    except Exception as exc:
        return f"the crawl modules do not import: {exc}"
    finally:
        sys.meta_path.remove(blocker)
    if threading.active_count() > 1:  # a fork would copy a lock some thread holds
        return "an imported module started a thread"
    return None


def _component_paths(settings: Any) -> Iterator[str]:
    """Every dotted path among the settings' values and the keys and values of their
    component tables (Scrapy imports a component switched off with None as well)."""
    for name in settings:
        value = settings[name]
        strings = [*value.keys(), *value.values()] if hasattr(value, "items") else [value]
        yield from (s for s in strings if isinstance(s, str) and _DOTTED.fullmatch(s))


def _try_import(module: str) -> None:
    # Not a module, or one a crawl does not need: a crawl that needs it fails as it would.
    with contextlib.suppress(Exception):
        importlib.import_module(module)


class _NoReactor(MetaPathFinder):
    """Importing twisted.internet.reactor installs the default reactor, which a crawl must
    choose itself: refused while preloading."""

    def find_spec(
        self, fullname: str, path: Any, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname == "twisted.internet.reactor":
            raise ImportError("not imported ahead")
        return None


class Zygote:
    def __init__(self, listener: socket.socket, owner: int) -> None:
        self.listener = listener
        self.owner = owner
        self.broken: str | None = None
        self.stopping = False
        self.last_job = time.monotonic()
        self.crawls: dict[int, Crawl] = {}  # by pid
        self.selector = selectors.DefaultSelector()
        self.selector.register(listener, selectors.EVENT_READ, self._accept)

    def stop(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def serve(self) -> None:
        while True:
            idle = not self.crawls and time.monotonic() - self.last_job > IDLE_SECONDS
            if self.stopping or idle or not _alive(self.owner):
                if self.listener.fileno() >= 0:  # a new job starts a new zygote
                    self.selector.unregister(self.listener)
                    self.listener.close()
                if not self.crawls:
                    return
            for key, _events in self.selector.select(timeout=1.0):
                cast(Callable[[Any], None], key.data)(key.fileobj)

    def _accept(self, listener: socket.socket) -> None:
        runner, _ = listener.accept()
        fds: list[int] = []
        try:
            runner.settimeout(_REQUEST_SECONDS)
            _pid, uid, _gid = struct.unpack(
                "3i", runner.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
            )
            if uid != os.getuid():
                raise OSError(f"a process of user {uid} is not served")
            data, fds, _flags, _address = socket.recv_fds(runner, LENGTH.size, 3)
            if len(data) != LENGTH.size or len(fds) != 3:
                raise OSError("a request without its standard streams")
            (length,) = LENGTH.unpack(data)
            request = json.loads(_receive(runner, length))
            if self.broken:
                runner.sendall(f"error {self.broken}\n".encode())
                raise OSError(self.broken)
        except (OSError, ValueError):
            for fd in fds:
                os.close(fd)
            runner.close()
            return
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            self._child(request, fds, parent)
        for fd in fds:
            os.close(fd)
        runner.settimeout(None)
        self.last_job = time.monotonic()
        crawl = Crawl(pid, os.pidfd_open(pid), runner)
        self.crawls[pid] = crawl
        self.selector.register(crawl.pidfd, selectors.EVENT_READ, lambda _fd: self._ended(crawl))
        self.selector.register(runner, selectors.EVENT_READ, lambda _r: self._runner_gone(crawl))
        try:
            runner.sendall(f"pid {pid}\n".encode())
        except OSError:
            self._runner_gone(crawl)

    def _runner_gone(self, crawl: Crawl) -> None:
        """The runner sent something (it sends nothing) or closed: it is gone, and its
        crawl with it, the crawl's own children (its extraction workers) included: they
        are in the crawl's process group, unless the crawl has not made it yet."""
        if crawl.runner is not None:
            self.selector.unregister(crawl.runner)
            crawl.runner.close()
            crawl.runner = None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(crawl.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.kill(crawl.pid, signal.SIGKILL)

    def _ended(self, crawl: Crawl) -> None:
        _pid, status = os.waitpid(crawl.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        self.selector.unregister(crawl.pidfd)
        os.close(crawl.pidfd)
        del self.crawls[crawl.pid]
        if crawl.runner is not None:
            self.selector.unregister(crawl.runner)
            with contextlib.suppress(OSError):
                ending = f"exit {code}" if code >= 0 else f"signal {-code}"
                crawl.runner.sendall(f"{ending}\n".encode())
            crawl.runner.close()

    def _child(self, request: dict[str, Any], fds: list[int], parent: int) -> NoReturn:
        """The crawl process: the job's streams, folder, environment and arguments, then
        its module's command line."""
        code = 1
        try:
            os.setpgid(0, 0)  # a signal to the node's process group reaches it via its runner
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != parent:  # the zygote died before the line above
                os._exit(1)
            for signum in (signal.SIGTERM, signal.SIGHUP):
                signal.signal(signum, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            for crawl in self.crawls.values():
                os.close(crawl.pidfd)
                if crawl.runner is not None:
                    crawl.runner.close()
            self.selector.close()
            self.listener.close()
            for target, fd in enumerate(fds):
                os.dup2(fd, target)
                os.close(fd)
            os.chdir(request["cwd"])
            os.environ.clear()
            os.environ.update(request["env"])
            module = request.get("module", SCRAPY)
            if module == SCRAPY:
                sys.argv = ["scrapy", *request["argv"]]
                code = _scrapy(sys.argv)
            else:
                sys.argv = [module, *request["argv"]]
                code = _run_module(module)
        except KeyboardInterrupt:  # a SIGINT before the command took it over: as Python
            signal.signal(signal.SIGINT, signal.SIG_DFL)  # ends, killed by the signal
            os.kill(os.getpid(), signal.SIGINT)
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)


def _scrapy(argv: list[str]) -> int:
    execute = importlib.import_module("scrapy.cmdline").execute
    try:
        execute(argv)
    except SystemExit as exc:
        return _exit_code(exc)
    return 0


def _exit_code(exc: SystemExit) -> int:
    """A SystemExit as the process's exit status: its code, or its message said on
    stderr and 1, as Python itself does."""
    if exc.code is None or isinstance(exc.code, int):
        return exc.code or 0
    print(exc.code, file=sys.stderr)
    return 1


def _run_module(module: str) -> int:
    """`python -m MODULE` with sys.argv as it is: the module run as __main__ (its
    imports are all done), not as the copy imported ahead; its SystemExit made an exit
    code."""
    sys.modules.pop(module, None)
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        return _exit_code(exc)
    return 0


def _receive(runner: socket.socket, length: int) -> bytes:
    data = b""
    while len(data) < length:
        chunk = runner.recv(length - len(data))
        if not chunk:
            raise OSError("the runner closed before sending its job")
        data += chunk
    return data


def _alive(pid: int) -> bool:
    """Whether the process runs (a zombie, ended but not yet reaped, does not)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


if __name__ == "__main__":
    main()
