"""The fixture server: URL mapping, tokens, validators, overrides, delays, safety and its log."""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import http.client
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.fixture_server import FixtureServer, RequestRecord, serve_fixture

Reply = tuple[int, dict[str, str], bytes]

SITE_TOML = """
[paths."/old-url/"]
redirect = "/2024/07/new-url/"

[paths."/moved-for-now"]
redirect = "__BASE__/page.html"
status = 302

[paths."/legacy.html"]
content_type = "text/html; charset=utf-8"
headers = { "X-Powered-By" = "OldCMS", "Link" = "<__BASE__/>; rel=home" }
status = 200

[paths."/slow.html"]
delay = 0.4

[paths."/gone.html"]
status = 410

[paths."/sitemap-pages.xml.gz"]
gzip = true

[paths."/wp-login.php"]
content_type = "text/html; charset=UTF-8"
"""

EUC_KR_PAGE = (
    '<html><head><meta charset="euc-kr"><title>속보</title></head>'
    "<body><p>똠방각하 햏 __BASE__/x __NOW-1h__</p></body></html>"
).encode("cp949")


def _write(root: Path, name: str, data: str | bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    _write(tmp_path, "secret.txt", "top secret\n")
    _write(root, "index.html", "<!DOCTYPE html><title>home</title><a href='__BASE__/page.html'>")
    _write(root, "page.html", "<p>page</p>")
    _write(root, "section/index.html", "<p>section index</p>")
    _write(root, "section/article.html", "<p>section article</p>")
    _write(root, "2024/07/new-url/index.html", "<p>new home of the old url</p>")
    _write(root, "news/articleView.html@idxno=1001", "<p>기사 1001</p>")
    _write(root, "news/articleView.html", "<p>no query</p>")
    _write(root, "index.html@p=2", "<p>second page</p>")
    _write(root, "search.html@q=a%2Fb", "<p>slash in query</p>")
    _write(root, "태그/속보/index.html", "<p>한글 경로</p>")
    _write(root, "euc.html", EUC_KR_PAGE)
    _write(
        root,
        "tokens.txt",
        "base=__BASE__\nnow=__NOW__\nd3=__NOW-3d__\nm90=__NOW-90m__\nh5=__NOW-5h__\n"
        "rfc=__RFC822_NOW-3d__\nrfcnow=__RFC822_NOW__\nkeep=__NOW-x__ __LATER__ __BASE\n",
    )
    _write(root, "feed.xml", "<rss version='2.0'><channel><link>__BASE__/</link></channel></rss>")
    _write(root, "feed.json", '{"version": "https://jsonfeed.org/version/1.1"}')
    _write(root, "robots.txt", "User-agent: *\nDisallow: /private/\n")
    _write(root, "notes.txt", "plain\n")
    _write(root, "archive.gz", b"\x1f\x8b\x08\x00binary")
    _write(root, "index.rdf", "<rdf:RDF/>")
    _write(root, "legacy.html", "<p>legacy</p>")
    _write(root, "slow.html", "<p>slow</p>")
    _write(root, "wp-login.php", "<form>login</form>")
    _write(root, "sitemap-pages.xml.gz", "<urlset><url><loc>__BASE__/a</loc></url></urlset>\n")
    _write(root, "_site.toml", SITE_TOML)
    _write(root, "_expected.json", "{}")
    _write(root, "_drafts/draft.html", "<p>draft</p>")
    _write(root, "section/_hidden.html", "<p>hidden</p>")
    os.symlink(tmp_path / "secret.txt", root / "link-out.txt")
    return root


@pytest.fixture
def server(site: Path) -> Iterator[FixtureServer]:
    with serve_fixture(site) as running:
        yield running


def fetch(
    server: FixtureServer,
    path: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
) -> Reply:
    """One request sent exactly as written (no normalisation, no redirects followed)."""
    host, _, port = server.base_url.removeprefix("http://").partition(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


# -- address and lifetime --------------------------------------------------------------------


def test_listens_on_a_free_loopback_port_and_stops_on_exit(site: Path) -> None:
    with serve_fixture(site) as running:
        match = re.fullmatch(r"http://127\.0\.0\.1:(\d+)", running.base_url)
        assert match
        port = int(match.group(1))
        assert fetch(running, "/page.html")[0] == 200
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_two_servers_run_side_by_side(site: Path) -> None:
    with serve_fixture(site) as one, serve_fixture(site) as two:
        assert one.base_url != two.base_url
        assert fetch(one, "/")[0] == fetch(two, "/")[0] == 200
        assert one.paths() == two.paths() == ["/"]


def test_logs_nothing_to_stderr(server: FixtureServer, capfd: pytest.CaptureFixture[str]) -> None:
    fetch(server, "/")
    fetch(server, "/missing")
    fetch(server, "/", method="POST")
    out, err = capfd.readouterr()
    assert out == err == ""


# -- URL to file -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/", b"<!DOCTYPE html><title>home</title>"),
        ("/page.html", b"<p>page</p>"),
        ("/section/", b"<p>section index</p>"),
        ("/section/article.html", b"<p>section article</p>"),
        ("/news/articleView.html?idxno=1001", "<p>기사 1001</p>".encode()),
        ("/news/articleView.html", b"<p>no query</p>"),
        ("/?p=2", b"<p>second page</p>"),
        ("/search.html?q=a/b", b"<p>slash in query</p>"),
        ("/%ED%83%9C%EA%B7%B8/%EC%86%8D%EB%B3%B4/", "<p>한글 경로</p>".encode()),
        ("/pa%67e.html", b"<p>page</p>"),
    ],
)
def test_maps_urls_to_files(server: FixtureServer, path: str, body: bytes) -> None:
    status, _, data = fetch(server, path)
    assert status == 200
    assert data.startswith(body)


@pytest.mark.parametrize(
    "path",
    [
        "/nope.html",
        "/section",  # a folder without its slash
        "/news/articleView.html?idxno=9999",  # the query names a file that does not exist
        "/news/articleView.html?",  # an empty query is still a query
        "/page.html/",
        "/feed",
        "/rss",
    ],
)
def test_unknown_paths_are_404_with_a_small_html_body(server: FixtureServer, path: str) -> None:
    status, headers, data = fetch(server, path)
    assert status == 404
    assert headers["Content-Type"].startswith("text/html")
    assert b"404" in data
    assert len(data) < 512
    assert int(headers["Content-Length"]) == len(data)


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/section/../../secret.txt",
        "/section/%2e%2e/%2e%2e/secret.txt",
        "//etc/passwd",
        "/%2Fetc%2Fpasswd",
        "/..%5Csecret.txt",
        "/page.html%00.txt",
        "/./page.html",
        "/link-out.txt",  # a symlink that leaves the root
        "http://127.0.0.1/../secret.txt",
    ],
)
def test_nothing_outside_the_root_is_served(server: FixtureServer, path: str) -> None:
    status, _, data = fetch(server, path)
    assert status == 404
    assert b"secret" not in data


@pytest.mark.parametrize(
    "path",
    [
        "/_site.toml",
        "/_expected.json",
        "/%5Fsite.toml",
        "/_drafts/draft.html",
        "/section/_hidden.html",
    ],
)
def test_underscore_files_are_never_served(server: FixtureServer, path: str) -> None:
    status, _, data = fetch(server, path)
    assert status == 404
    assert b"paths" not in data


# -- tokens ----------------------------------------------------------------------------------


def test_tokens_are_replaced_with_the_base_and_fixed_instants(server: FixtureServer) -> None:
    status, _, data = fetch(server, "/tokens.txt")
    assert status == 200
    values = dict(line.split("=", 1) for line in data.decode().splitlines())
    now = server.now
    assert now.utcoffset() == timedelta(hours=9)
    assert now.microsecond == 0
    assert values["base"] == server.base_url
    assert values["now"] == now.isoformat()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00", values["now"])
    assert values["d3"] == (now - timedelta(days=3)).isoformat()
    assert values["m90"] == (now - timedelta(minutes=90)).isoformat()
    assert values["h5"] == (now - timedelta(hours=5)).isoformat()
    rfc = values["rfc"]
    assert re.fullmatch(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d \+0900", rfc)
    assert email.utils.parsedate_to_datetime(rfc) == now - timedelta(days=3)
    assert email.utils.parsedate_to_datetime(values["rfcnow"]) == now
    assert values["keep"] == "__NOW-x__ __LATER__ __BASE"


def test_now_is_fixed_when_the_server_starts(server: FixtureServer) -> None:
    first = fetch(server, "/tokens.txt")
    time.sleep(1.1)
    second = fetch(server, "/tokens.txt")
    assert first[2] == second[2]
    assert first[1]["ETag"] == second[1]["ETag"]


def test_non_utf8_bytes_are_served_as_stored(server: FixtureServer) -> None:
    status, _, data = fetch(server, "/euc.html")
    assert status == 200
    expected = EUC_KR_PAGE.replace(b"__BASE__", server.base_url.encode()).replace(
        b"__NOW-1h__", (server.now - timedelta(hours=1)).isoformat().encode()
    )
    assert data == expected
    assert "똠방각하 햏" in data.decode("cp949")


def test_tokens_in_overrides_are_replaced(server: FixtureServer) -> None:
    status, headers, _ = fetch(server, "/legacy.html")
    assert status == 200
    assert headers["Link"] == f"<{server.base_url}/>; rel=home"


# -- content types ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/", "text/html"),
        ("/page.html", "text/html"),
        ("/feed.xml", "application/xml"),
        ("/feed.json", "application/feed+json"),
        ("/notes.txt", "text/plain"),
        ("/robots.txt", "text/plain"),
        ("/archive.gz", "application/x-gzip"),
        ("/sitemap-pages.xml.gz", "application/x-gzip"),
        ("/news/articleView.html?idxno=1001", "text/html"),
        ("/?p=2", "text/html"),
        ("/legacy.html", "text/html; charset=utf-8"),
        ("/wp-login.php", "text/html; charset=UTF-8"),
        ("/index.rdf", "application/rdf+xml"),
    ],
)
def test_content_types(server: FixtureServer, path: str, content_type: str) -> None:
    status, headers, _ = fetch(server, path)
    assert status == 200
    assert headers["Content-Type"] == content_type


def test_html_has_no_charset_by_default(server: FixtureServer) -> None:
    assert "charset" not in fetch(server, "/euc.html")[1]["Content-Type"]


# -- validators and conditional requests -----------------------------------------------------


def test_200_carries_etag_last_modified_and_length(server: FixtureServer, site: Path) -> None:
    status, headers, data = fetch(server, "/feed.xml")
    assert status == 200
    assert headers["ETag"] == f'"{hashlib.sha1(data).hexdigest()}"'
    mtime = int((site / "feed.xml").stat().st_mtime)
    assert headers["Last-Modified"] == email.utils.formatdate(mtime, usegmt=True)
    assert int(headers["Content-Length"]) == len(data)
    assert server.base_url.encode() in data  # the ETag is of the served bytes, tokens replaced


@pytest.mark.parametrize("form", ["{etag}", "W/{etag}", '"other", {etag}', "*"])
def test_if_none_match_gives_304(server: FixtureServer, form: str) -> None:
    etag = fetch(server, "/page.html")[1]["ETag"]
    status, headers, data = fetch(
        server, "/page.html", headers={"If-None-Match": form.format(etag=etag)}
    )
    assert status == 304
    assert data == b""
    assert headers["ETag"] == etag


def test_if_modified_since_gives_304_at_or_after_mtime(server: FixtureServer, site: Path) -> None:
    mtime = int((site / "page.html").stat().st_mtime)
    at = email.utils.formatdate(mtime, usegmt=True)
    later = email.utils.formatdate(mtime + 60, usegmt=True)
    earlier = email.utils.formatdate(mtime - 60, usegmt=True)
    assert fetch(server, "/page.html", headers={"If-Modified-Since": at})[0] == 304
    assert fetch(server, "/page.html", headers={"If-Modified-Since": later})[0] == 304
    status, _, data = fetch(server, "/page.html", headers={"If-Modified-Since": earlier})
    assert (status, data) == (200, b"<p>page</p>")
    assert fetch(server, "/page.html", headers={"If-Modified-Since": "garbage"})[0] == 200


def test_a_changed_file_is_served_again(server: FixtureServer, site: Path) -> None:
    first = fetch(server, "/page.html")[1]
    (site / "page.html").write_text("<p>edited</p>", encoding="utf-8")
    status, _, data = fetch(
        server,
        "/page.html",
        headers={"If-None-Match": first["ETag"], "If-Modified-Since": first["Last-Modified"]},
    )
    assert (status, data) == (200, b"<p>edited</p>")  # an entity tag beats the date


def test_head_has_the_headers_of_get_and_no_body(server: FixtureServer) -> None:
    _, get_headers, data = fetch(server, "/feed.xml")
    status, headers, body = fetch(server, "/feed.xml", method="HEAD")
    assert status == 200
    assert body == b""
    for name in ("ETag", "Last-Modified", "Content-Length", "Content-Type"):
        assert headers[name] == get_headers[name]
    assert int(headers["Content-Length"]) == len(data)
    etag = headers["ETag"]
    assert fetch(server, "/feed.xml", method="HEAD", headers={"If-None-Match": etag})[0] == 304
    assert fetch(server, "/missing", method="HEAD")[0] == 404


# -- gzip, redirects, overrides --------------------------------------------------------------


def test_gzip_paths_are_compressed_after_token_replacement(
    server: FixtureServer, site: Path
) -> None:
    status, headers, data = fetch(server, "/sitemap-pages.xml.gz")
    assert status == 200
    assert data[:2] == b"\x1f\x8b"
    plain = (site / "sitemap-pages.xml.gz").read_bytes()
    expected = plain.replace(b"__BASE__", server.base_url.encode())
    assert gzip.decompress(data) == expected
    assert data == gzip.compress(expected, mtime=0)
    assert "Content-Encoding" not in headers
    assert headers["ETag"] == f'"{hashlib.sha1(data).hexdigest()}"'
    assert fetch(server, "/sitemap-pages.xml.gz")[2] == data  # deterministic
    conditional = fetch(server, "/sitemap-pages.xml.gz", headers={"If-None-Match": headers["ETag"]})
    assert conditional[0] == 304


def test_redirects_are_absolute_and_not_followed(server: FixtureServer) -> None:
    status, headers, _ = fetch(server, "/old-url/")
    assert status == 301
    assert headers["Location"] == f"{server.base_url}/2024/07/new-url/"
    assert fetch(server, headers["Location"].removeprefix(server.base_url))[0] == 200
    status, headers, _ = fetch(server, "/moved-for-now")
    assert status == 302
    assert headers["Location"] == f"{server.base_url}/page.html"
    assert server.paths() == ["/old-url/", "/2024/07/new-url/", "/moved-for-now"]


def test_headers_status_and_content_type_overrides(server: FixtureServer) -> None:
    status, headers, data = fetch(server, "/legacy.html")
    assert (status, data) == (200, b"<p>legacy</p>")
    assert headers["X-Powered-By"] == "OldCMS"
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    status, headers, data = fetch(server, "/gone.html")
    assert status == 410
    assert "ETag" not in headers
    assert int(headers["Content-Length"]) == len(data)


def test_a_bad_site_toml_is_reported(tmp_path: Path) -> None:
    _write(tmp_path, "_site.toml", '[paths."/x"]\nredirekt = "/y"\n')
    with pytest.raises(ValueError, match="redirekt"), serve_fixture(tmp_path):
        pass


def test_a_site_without_site_toml_is_served(tmp_path: Path) -> None:
    _write(tmp_path, "index.html", "<p>bare</p>")
    with serve_fixture(tmp_path) as running:
        assert fetch(running, "/")[2] == b"<p>bare</p>"


# -- delays ----------------------------------------------------------------------------------


def _timed(server: FixtureServer, path: str) -> float:
    start = time.monotonic()
    assert fetch(server, path)[0] == 200
    return time.monotonic() - start


def test_per_path_delay(server: FixtureServer) -> None:
    assert _timed(server, "/slow.html") >= 0.4
    assert _timed(server, "/page.html") < 0.3


def test_global_delay_applies_to_every_path_and_adds_to_a_path_delay(site: Path) -> None:
    with serve_fixture(site, delay=0.3) as running:
        assert _timed(running, "/page.html") >= 0.3
        assert _timed(running, "/slow.html") >= 0.7


# -- the request log -------------------------------------------------------------------------


def test_the_log_records_every_request_in_order(server: FixtureServer) -> None:
    fetch(server, "/", headers={"User-Agent": "sokbo-test", "X-Custom-Header": "Yes"})
    fetch(server, "/news/articleView.html?idxno=1001")
    fetch(server, "/missing.html")
    fetch(server, "/page.html", method="HEAD")
    fetch(server, "/page.html", headers={"If-None-Match": fetch(server, "/page.html")[1]["ETag"]})
    fetch(server, "/old-url/")
    fetch(server, "/", method="POST")
    log = server.log
    assert [(r.method, r.path, r.status) for r in log] == [
        ("GET", "/", 200),
        ("GET", "/news/articleView.html?idxno=1001", 200),
        ("GET", "/missing.html", 404),
        ("HEAD", "/page.html", 200),
        ("GET", "/page.html", 200),
        ("GET", "/page.html", 304),
        ("GET", "/old-url/", 301),
        ("POST", "/", 405),
    ]
    assert isinstance(log[0], RequestRecord)
    assert log[0].headers["User-Agent"] == "sokbo-test"
    assert log[0].headers["X-Custom-Header"] == "Yes"  # case as sent
    assert "If-None-Match" in log[5].headers
    assert server.paths() == [
        "/",
        "/news/articleView.html?idxno=1001",
        "/missing.html",
        "/page.html",
        "/page.html",
        "/old-url/",
    ]
    assert server.paths("HEAD") == ["/page.html"]
    assert server.paths("POST") == ["/"]
    server.clear()
    assert server.log == []
    assert server.paths() == []
    fetch(server, "/page.html?x=%20y")
    assert server.paths() == ["/page.html?x=%20y"]  # exactly as requested, even for a 404


def test_the_log_is_complete_under_concurrency(server: FixtureServer) -> None:
    paths = [f"/page.html?n={n}" for n in range(40)]
    threads = [threading.Thread(target=fetch, args=(server, path)) for path in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(server.paths()) == sorted(paths)
    assert all(record.status == 404 for record in server.log)


def test_slow_answers_are_logged_when_they_arrive(site: Path) -> None:
    with serve_fixture(site) as running:
        slow = threading.Thread(target=fetch, args=(running, "/slow.html"))
        slow.start()
        time.sleep(0.1)
        fetch(running, "/page.html")
        slow.join()
        assert running.paths() == ["/slow.html", "/page.html"]
