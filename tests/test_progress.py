"""`sokbo crawl` on a terminal shows a live line per source (sokbo/crawl/progress.py), and off a
terminal nothing more than before: the real command under a real pseudo-terminal, crawling
fixture sites on 127.0.0.1, with what the terminal received replayed on a small screen."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cli import SCRAPY, SETTINGS, run_sokbo
from tests.support.configs import write_config
from tests.support.fixture_server import serve_fixture
from tests.support.sites import SITES

pytestmark = pytest.mark.e2e

ROWS, COLUMNS = 40, 120
# What rich reads from the environment besides the terminal itself: none of it inherited.
RICH_VARIABLES = {
    *("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS", "LINES"),
    *("SCRAPY_SETTINGS_MODULE", "SOKBO_CONFIG"),  # and what `scrapy crawl` is told below
}
HEADER = re.compile(r"^\s+SOURCE\s+REQUESTS\s+PAGES\s+ARTICLES\s+NEW\s+POSTS\s+RATE\s+ELAPSED$")
LINE = re.compile(
    r"^(?P<state>\S)\s+(?P<source>[a-z]+)\s+(?P<requests>\d+)\s+(?P<pages>\d+)\s+"
    r"(?P<articles>\d+)\s+(?P<new>\d+)\s+(?P<posts>\d+)\s+(?P<rate>-|\d+/min)\s+"
    r"(?P<elapsed>-|\d+:\d\d)$"
)
DONE = "✓"
LISTING = """kind = "listing"
start_urls = ["{base}/"]
links.region = [".post-list"]
links.pagination = ["nav.pagination a.next"]"""


# -- a terminal ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Session:
    output: str  # everything the terminal received
    exit_status: int
    stderr: str | None  # stderr, when it went to a file instead of the terminal


def on_terminal(
    args: Sequence[str],
    cwd: Path,
    stderr_file: Path | None = None,
    env: dict[str, str] | None = None,
) -> Session:
    """Run `args` with stdin and stdout (and stderr, unless `stderr_file`) on a new
    pseudo-terminal of ROWS x COLUMNS, reading it until the process closes it."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    inherited = {key: value for key, value in os.environ.items() if key not in RICH_VARIABLES}
    env = inherited | {"TERM": "xterm-256color"} | (env or {})
    stderr = stderr_file.open("wb") if stderr_file else None
    process = subprocess.Popen(
        args,
        cwd=cwd,
        stdin=terminal,
        stdout=terminal,
        stderr=stderr or terminal,
        env=env,
        start_new_session=True,
    )
    os.close(terminal)
    received = bytearray()
    deadline = time.monotonic() + 120
    try:
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"still running after 120 s:\n{received.decode(errors='replace')}"
            ready, _, _ = select.select([controller], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: every process holding the terminal has closed it
                break
            if not chunk:
                break
            received += chunk
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        os.close(controller)
        if stderr is not None:
            stderr.close()
    return Session(
        received.decode("utf-8"),
        process.returncode,
        stderr_file.read_text("utf-8") if stderr_file else None,
    )


# rich's Live, before each refresh and when it is done: back to its first line, erasing
# its lines on the way.
_REDRAW = re.compile(r"(\r(?:\x1b\[2K)?(?:\x1b\[1A\x1b\[2K)+)")
_TOKEN = re.compile(r"\x1b\[([?0-9;]*)([A-Za-z])|\r|\n|[^\x1b\r\n]+")


class Screen:
    """Just enough of a terminal for what rich writes: text, CR, LF, cursor up, erase a
    line, colours and the cursor's visibility (ignored). Anything else fails the test."""

    def __init__(self) -> None:
        self.lines = [""]
        self.row = self.column = 0

    def feed(self, text: str) -> None:
        position = 0
        for token in _TOKEN.finditer(text):
            assert token.start() == position, f"not understood: {text[position:][:20]!r}"
            position = token.end()
            if token.group(0) == "\r":
                self.column = 0
            elif token.group(0) == "\n":
                self.row += 1
                if self.row == len(self.lines):
                    self.lines.append("")
            elif token.group(2):
                self._escape(token.group(1), token.group(2))
            else:
                line = self.lines[self.row].ljust(self.column)
                written = token.group(0)
                end = self.column + len(written)
                self.lines[self.row] = line[: self.column] + written + line[end:]
                self.column = end
        assert position == len(text), f"not understood: {text[position:][:20]!r}"

    def _escape(self, arguments: str, code: str) -> None:
        if code == "m" or (arguments == "?25" and code in "hl"):  # colours, cursor shown
            return
        if code == "A":
            self.row = max(0, self.row - int(arguments or 1))
        elif code == "K" and arguments == "2":
            self.lines[self.row] = ""
        else:
            raise AssertionError(f"unexpected escape sequence: ESC[{arguments}{code}")

    def text(self) -> list[str]:
        lines = [line.rstrip() for line in self.lines]
        while lines and not lines[-1]:
            lines.pop()
        return lines


def screens(output: str) -> Iterator[list[str]]:
    """What the terminal showed after each refresh of the display, and at the end."""
    screen = Screen()
    for piece in _REDRAW.split(output):
        screen.feed(piece)
        if not _REDRAW.fullmatch(piece):
            yield screen.text()


@dataclass(frozen=True)
class Frame:
    """One refresh of the display: the line of each source, and the lines above it."""

    above: list[str]
    lines: dict[str, dict[str, str]]


def frames(output: str) -> list[Frame]:
    found = []
    for shown in screens(output):
        headers = [i for i, line in enumerate(shown) if HEADER.match(line)]
        if not headers:
            continue
        assert len(headers) == 1, shown  # one display for the process
        (first,) = headers
        below = [LINE.match(line) for line in shown[first + 1 :]]
        assert all(below), shown  # nothing but source lines under the header
        by_source = {match["source"]: match.groupdict() for match in below if match}
        assert len(by_source) == len(below), shown  # a line per source
        found.append(Frame(shown[:first], by_source))
    return found


def sokbo_crawl(config: Path) -> list[str]:
    return [sys.executable, "-m", "sokbo", "--config", str(config), "crawl"]


# -- the tests ----------------------------------------------------------------------------


def test_a_crawl_on_a_terminal_shows_a_live_line_per_source(tmp_path: Path) -> None:
    with (
        serve_fixture(SITES / "wordpress-listing", delay=0.3) as slow,
        serve_fixture(SITES / "rdf-feed") as quick,
    ):
        sources = {
            "slow": LISTING.format(base=slow.base_url),
            "quick": f'kind = "feed"\nstart_urls = ["{quick.base_url}/index.rdf"]',
        }
        config = write_config(tmp_path, sources)
        session = on_terminal(sokbo_crawl(config), tmp_path)
    assert session.exit_status == 0, session.output

    shown = frames(session.output)
    assert len(shown) >= 4, session.output  # refreshed twice a second over a few seconds
    assert all(list(frame.lines) == ["slow", "quick"] for frame in shown)
    # Updated in place: the slow source's figures grow from refresh to refresh.
    requests = [int(frame.lines["slow"]["requests"]) for frame in shown]
    assert requests == sorted(requests) and requests[0] < requests[-1], requests
    assert len({frame.lines["slow"]["elapsed"] for frame in shown}) > 1
    # Each source on its own line: the quick one done while the slow one still runs.
    assert any(
        frame.lines["quick"]["state"] == DONE and frame.lines["slow"]["state"] != DONE
        for frame in shown
    ), session.output
    last = shown[-1].lines
    assert last["slow"]["state"] == last["quick"]["state"] == DONE
    assert (last["quick"]["articles"], last["quick"]["posts"]) == ("3", "3")
    assert re.fullmatch(r"\d+/min", last["slow"]["rate"]), last

    # Erased before the summary, which takes its place with the same figures.
    *_, end = screens(session.output)
    assert end[0].startswith("sokbo: crawled 2 sources (slow, quick) in "), end
    assert not any(HEADER.match(line) or LINE.match(line) for line in end), end
    posts = sum(int(line["posts"]) for line in last.values())
    assert re.search(rf"^  posts +{posts} written", "\n".join(end), re.M), end


def test_log_lines_show_whole_above_the_display(tmp_path: Path) -> None:
    # A page that answers 404 is said at WARNING while the crawl goes on.
    with (
        serve_fixture(SITES / "unfetched-pages", delay=0.3) as broken,
        serve_fixture(SITES / "rdf-feed", delay=0.3) as quick,
    ):
        sources = {
            "broken": f'kind = "feed"\nstart_urls = ["{broken.base_url}/feed.xml"]',
            "quick": f'kind = "feed"\nstart_urls = ["{quick.base_url}/index.rdf"]',
        }
        config = write_config(tmp_path, sources)
        session = on_terminal(sokbo_crawl(config), tmp_path)
        apart = on_terminal(sokbo_crawl(config), tmp_path, stderr_file=tmp_path / "stderr")
    logged = re.compile(r"^(WARNING|ERROR): .*/news/deleted\.html: .+")
    *_, end = screens(session.output)
    warned = [line for line in end if logged.match(line)]
    assert warned, end
    # In every refresh after it came, the line stands whole above the display.
    shown = frames(session.output)
    after = [frame for frame in shown if warned[0] in frame.above]
    assert after, session.output
    assert after == shown[shown.index(after[0]) :]
    # At the end the display is gone and the summary follows the log lines.
    summary = next(i for i, line in enumerate(end) if line.startswith("sokbo: crawled"))
    assert end.index(warned[0]) < summary
    assert not any(HEADER.match(line) or LINE.match(line) for line in end), end

    # A stderr that goes elsewhere gets the log; the terminal, the display alone.
    assert apart.stderr is not None and re.search(logged.pattern, apart.stderr, re.M)
    assert frames(apart.output), apart.output
    assert not any(logged.match(line) for line in apart.output.splitlines())


def feed(base: str) -> dict[str, str]:
    return {"src": f'kind = "feed"\nstart_urls = ["{base}/index.rdf"]'}


def test_without_a_terminal_nothing_is_added(tmp_path: Path) -> None:
    with serve_fixture(SITES / "rdf-feed") as site:
        config = write_config(tmp_path, feed(site.base_url))
        result = run_sokbo("--config", str(config), "crawl", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("sokbo: crawled 1 source (src) in "), result.stdout
    assert "\x1b" not in result.stdout + result.stderr
    assert "REQUESTS" not in result.stdout + result.stderr


@pytest.mark.parametrize("asked", [False, True], ids=["by default", "asked"])
def test_scrapy_crawl_shows_it_only_when_asked(tmp_path: Path, asked: bool) -> None:
    with serve_fixture(SITES / "rdf-feed") as site:
        config = write_config(tmp_path, feed(site.base_url))
        command = [str(SCRAPY), "crawl", "feed", "-a", "source=src", "-s", "LOG_LEVEL=WARNING"]
        command += ["-s", "SOKBO_PROGRESS=true"] if asked else []
        session = on_terminal(command, tmp_path, env=SETTINGS | {"SOKBO_CONFIG": str(config)})
    assert session.exit_status == 0, session.output
    shown = frames(session.output)
    if asked:
        assert shown and shown[-1].lines["src"]["state"] == DONE, session.output
    else:
        assert shown == [] and "\x1b" not in session.output, session.output
