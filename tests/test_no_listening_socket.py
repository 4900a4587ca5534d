"""A crawl opens no listening socket: Scrapy's telnet console and its remote-control HTTP
server (on by default since Scrapy 2.14) are both off."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.bulk_site import fetched_articles, write_bulk_site
from tests.support.faults import start_crawl, write_fault_config
from tests.support.fixture_server import serve_fixture

pytestmark = pytest.mark.e2e

_LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp's state column


def listening_sockets(pid: int) -> set[str]:
    """The inodes of the TCP sockets `pid` listens on (IPv4 and IPv6)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().as_posix()
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target.removeprefix("socket:[").removesuffix("]"))
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == _LISTEN and fields[9] in inodes:
                listening.add(fields[9])
    return listening


def test_a_crawl_listens_on_no_port(tmp_path: Path) -> None:
    root = write_bulk_site(tmp_path / "site", 40)
    with serve_fixture(root, delay=0.05) as server:
        config = write_fault_config(tmp_path / "run", server.base_url)
        crawl = start_crawl(config, "-v")
        looked = 0
        while crawl.poll() is None:
            if fetched_articles(server):  # the engine is running
                try:
                    assert listening_sockets(crawl.pid) == set()
                    looked += 1
                except FileNotFoundError:  # it ended between poll() and the look
                    break
            time.sleep(0.05)
        _, err = crawl.communicate()
    assert crawl.returncode == 0, err
    assert looked >= 3, "the crawl ended before it could be looked at"
    assert "Remote control" not in err and "Telnet console listening" not in err
