"""What a cluster's config or its crawl nodes can get wrong: each is one line, never a
traceback (a bad [cluster] table, a node that is not there or answers nonsense)."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sokbo.config import ConfigError, load_config
from sokbo.scrapyd import Scrapyd, ScrapydError
from tests.support.configs import VALID, write_text_config
from tests.support.scrapyd_node import free_port

POSTGRES = VALID.replace('url = "sqlite:///data/sokbo.db"', 'url = "postgresql://db/sokbo"')


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            VALID + '\n[cluster]\nscrapyd = ["http://crawl-1:6800"]\n',
            "cluster: scrapyd: crawl nodes share the store, so it must be PostgreSQL "
            "([store] url), not sqlite",
        ),
        (POSTGRES + '\n[cluster]\nscrapyd = ["crawl-1:6800"]\n', "not an http(s) URL"),
        (POSTGRES + '\n[cluster]\nscrapyd = ["http://crawl-1:6800"]\nslots = 0\n', "slots"),
    ],
)
def test_a_bad_cluster_table_is_refused_in_a_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write_text_config(tmp_path, text))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_cluster_table_reads(tmp_path: Path) -> None:
    config = load_config(
        write_text_config(
            tmp_path,
            POSTGRES + '\n[cluster]\nscrapyd = ["http://crawl-1:6800"]\nslots = 3\n',
        )
    )
    assert (config.cluster.scrapyd, config.cluster.slots) == (["http://crawl-1:6800"], 3)


# The Authorization header of each request `answering` served.
SEEN: list[str | None] = []


@contextmanager
def answering(status: int, body: bytes, delay: float = 0.0) -> Iterator[str]:
    """A server on 127.0.0.1 that answers every request with `status` and `body`, after
    `delay` seconds; seen requests' Authorization headers are kept in SEEN."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            SEEN.append(self.headers.get("Authorization"))
            time.sleep(delay)
            with contextlib.suppress(ConnectionError):  # a client that gave up waiting
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("status", "body", "says"),
    [
        (500, b"<html>Internal error</html>", "daemonstatus.json: HTTP 500 Internal Server Error"),
        (200, b"<html>a login page</html>", "daemonstatus.json: Expecting value"),
        (
            200,
            json.dumps({"status": "error", "message": "no such project"}).encode(),
            "no such project",
        ),
        (200, b"[1, 2]", "daemonstatus.json: [1, 2]"),
    ],
)
def test_a_node_answering_nonsense_is_one_line(status: int, body: bytes, says: str) -> None:
    with answering(status, body) as url, pytest.raises(ScrapydError) as caught:
        Scrapyd(url).load()
    assert str(caught.value).startswith(f"scrapyd {url}: ")
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_a_node_that_is_not_there_is_one_line() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ScrapydError) as caught:
        Scrapyd(url).jobs()
    assert str(caught.value) == f"scrapyd {url}: listjobs.json: [Errno 111] Connection refused"


def test_basic_auth_goes_with_every_call() -> None:
    SEEN.clear()
    answer = json.dumps({"status": "ok", "running": 1, "pending": 2}).encode()
    with answering(200, answer) as url:
        load = Scrapyd(url, "sokbo", "secret").load()
    assert (load.running, load.pending) == (1, 2)
    assert SEEN == ["Basic c29rYm86c2VjcmV0"]


def test_a_node_listing_its_spiders_before_it_schedules_is_waited_for() -> None:
    """Scrapyd answers a project's first schedule.json only after listing its spiders,
    which can take longer than other calls may: the job is not taken for refused."""
    with answering(200, json.dumps({"status": "ok", "jobid": "src-7"}).encode(), 1.5) as url:
        node = Scrapyd(url, timeout=0.5)
        assert node.schedule("feed", {"source": "src"}, job_id="src-7") == "src-7"
        with pytest.raises(ScrapydError) as caught:
            node.jobs()
    assert str(caught.value) == f"scrapyd {url}: listjobs.json: timed out"
