"""Feed input: RSS 2.0 and Atom 1.0 read alike, end to end and in `parse_feed` itself."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from sokbo.demo.server import SITE_ROOT, serve
from sokbo.extract.feed import FeedError, FeedItem, parse_feed
from sokbo.outcome import crawl_counts
from tests.support.cli import run_sokbo, write_demo_config
from tests.support.scheduling import last_run_stats

# --- end to end: the demo blog's /atom gives the same posts as its /rss -------------------


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with serve(SITE_ROOT, "127.0.0.1", 0) as url:
        yield url


def crawl(folder: Path, base: str, feed_path: str) -> Path:
    """Crawl the demo blog with the demo config, its source reading `feed_path`."""
    config = write_demo_config(folder, base)
    text = config.read_text(encoding="utf-8")
    assert text.count(f'"{base}/rss"') == 1
    config.write_text(text.replace(f'"{base}/rss"', f'"{base}{feed_path}"'), encoding="utf-8")
    result = run_sokbo("--config", str(config), "crawl", cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 new, 0 updated, 0 unchanged" in result.stdout, result.stdout
    assert crawl_counts(last_run_stats(folder))["dropped"] == 0, result.stdout
    return folder


def outputs(run: Path, pattern: str) -> dict[str, bytes]:
    sites = run / "sites"
    return {str(p.relative_to(sites)): p.read_bytes() for p in sorted(sites.glob(pattern))}


@pytest.mark.e2e
def test_atom_feed_gives_the_same_posts_as_rss(base: str, tmp_path: Path) -> None:
    from_rss = crawl(tmp_path / "rss", base, "/rss")
    from_atom = crawl(tmp_path / "atom", base, "/atom")
    assert "/atom" in (from_atom / "sokbo.toml").read_text(encoding="utf-8")

    rss_posts, atom_posts = outputs(from_rss, "*/_posts/*.md"), outputs(from_atom, "*/_posts/*.md")
    assert len(rss_posts) == 20
    assert sorted(atom_posts) == sorted(rss_posts)
    different = [name for name in rss_posts if atom_posts[name] != rss_posts[name]]
    assert different == []
    # The feeds are views of the same stored articles, so they match too.
    assert outputs(from_atom, "*/feeds/*.xml") == outputs(from_rss, "*/feeds/*.xml")


# --- parse_feed on small documents -----------------------------------------------------

RSS_URL = "https://blog.example/feed/rss"
RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
<title>속보 블로그</title>
<link>https://blog.example/</link>
<description>test</description>
<item>
  <title>첫 글</title>
  <link>/2024/07/first</link>
  <description>&lt;p&gt;요약 &lt;b&gt;한 줄&lt;/b&gt;&lt;/p&gt;</description>
  <content:encoded><![CDATA[<div class="body"><p>본문 <i>전체</i></p></div>]]></content:encoded>
  <category>News</category>
  <category>세계</category>
  <pubDate>Mon, 29 Jul 2024 10:05:00 +0900</pubDate>
</item>
<item>
  <title>링크 없는 글</title>
  <description>no link, no guid</description>
  <pubDate>Sun, 28 Jul 2024 07:48:00 +0900</pubDate>
</item>
<item>
  <title>guid 링크</title>
  <guid>https://blog.example/2024/07/third</guid>
  <pubDate>Sat, 27 Jul 2024 23:00:00 GMT</pubDate>
</item>
<item>
  <title>mailto</title>
  <link>mailto:editor@blog.example</link>
</item>
</channel>
</rss>
""".encode()

ATOM_URL = "https://blog.example/feeds/posts/atom.xml"
ATOM = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ko">
<id>tag:blog.example,2024:blog</id>
<title>속보 블로그</title>
<updated>2024-07-29T10:05:00+09:00</updated>
<link rel="self" type="application/atom+xml" href="https://blog.example/feeds/posts/atom.xml"/>
<link rel="alternate" type="text/html" href="https://blog.example/"/>
<entry>
  <id>tag:blog.example,2024:post-1</id>
  <title type="text">첫 글 &amp; 속보</title>
  <link rel="replies" type="text/html" href="/2024/07/first#comments"/>
  <link rel="alternate" type="text/html" href="../../2024/07/first"/>
  <link rel="edit" href="https://blog.example/api/posts/1"/>
  <published>2024-07-29T10:05:00+09:00</published>
  <updated>2024-07-29T11:30:00+09:00</updated>
  <author><name>속보지기</name></author>
  <category term="News"/>
  <category term="세계" label="World"/>
  <summary type="text">요약 한 줄</summary>
  <content type="html">{content}</content>
</entry>
<entry>
  <id>tag:blog.example,2024:post-2</id>
  <title>링크 없는 글</title>
  <updated>2024-07-28T07:48:00+09:00</updated>
  <link rel="edit" href="https://blog.example/api/posts/2"/>
</entry>
<entry>
  <id>tag:blog.example,2024:post-3</id>
  <title>상대 링크</title>
  <link href="third"/>
  <updated>2024-07-27T23:00:00Z</updated>
</entry>
</feed>
""".format(content=escape('<div class="body"><p>본문 <i>전체</i></p></div>')).encode()

KST = timedelta(hours=9)


def assert_utc(value: datetime | None, expected: datetime) -> None:
    assert value is not None
    assert value.tzinfo is not None and value.utcoffset() == timedelta(0)
    assert value == expected


def by_url(items: list[FeedItem]) -> dict[str, FeedItem]:
    return {item.url: item for item in items}


def test_rss_entries() -> None:
    items, problems = parse_feed(RSS, RSS_URL)
    # Newest first as the feed lists them; relative links resolve against the feed URL.
    assert [item.url for item in items] == [
        "https://blog.example/2024/07/first",
        "https://blog.example/2024/07/third",
    ]
    first, third = items
    assert first.hint.title == "첫 글"
    assert_utc(first.hint.published, datetime(2024, 7, 29, 10, 5, tzinfo=UTC) - KST)
    assert first.hint.categories == ("News", "세계")
    assert first.hint.summary == "<p>요약 <b>한 줄</b></p>"
    assert first.hint.content_html == '<div class="body"><p>본문 <i>전체</i></p></div>'
    assert third.hint.title == "guid 링크"
    assert_utc(third.hint.published, datetime(2024, 7, 27, 23, 0, tzinfo=UTC))
    assert third.hint.categories == ()
    assert third.hint.content_html is None
    # Entries that name no http(s) page are reported, by position and title.
    assert problems == [
        "entry 2 ('링크 없는 글') has no link",
        "entry 4 ('mailto'): link mailto:editor@blog.example is not an http(s) URL",
    ]


def test_atom_entries() -> None:
    items, problems = parse_feed(ATOM, ATOM_URL)
    assert [item.url for item in items] == [
        # rel="alternate" is the page, not the comments or the edit link.
        "https://blog.example/2024/07/first",
        "https://blog.example/feeds/posts/third",
    ]
    hint = items[0].hint
    assert hint.title == "첫 글 & 속보"
    assert_utc(hint.published, datetime(2024, 7, 29, 1, 5, tzinfo=UTC))
    assert_utc(hint.updated, datetime(2024, 7, 29, 2, 30, tzinfo=UTC))
    assert hint.categories == ("News", "세계")
    assert hint.summary == "요약 한 줄"
    assert hint.content_html == '<div class="body"><p>본문 <i>전체</i></p></div>'
    third = items[1].hint
    assert third.published is None
    assert_utc(third.updated, datetime(2024, 7, 27, 23, 0, tzinfo=UTC))
    # An entry whose only link is rel="edit" (and whose id is a tag: URI) has no page.
    assert problems == ["entry 2 ('링크 없는 글') has no link"]


def test_rss_and_atom_of_the_same_post_give_the_same_hint() -> None:
    rss = by_url(parse_feed(RSS, RSS_URL)[0])["https://blog.example/2024/07/first"].hint
    atom = by_url(parse_feed(ATOM, ATOM_URL)[0])["https://blog.example/2024/07/first"].hint
    assert (rss.published, rss.categories, rss.content_html) == (
        atom.published,
        atom.categories,
        atom.content_html,
    )


def test_demo_feeds_give_the_same_entries() -> None:
    base = "http://127.0.0.1:8941"
    docs = {
        name: (SITE_ROOT / f"{name}.xml").read_bytes().replace(b"__BASE__", base.encode())
        for name in ("rss", "atom")
    }
    rss, rss_problems = parse_feed(docs["rss"], f"{base}/rss")
    atom, atom_problems = parse_feed(docs["atom"], f"{base}/atom")
    assert rss_problems == atom_problems == []
    assert [item.url for item in atom] == [item.url for item in rss]
    assert [item.url for item in rss] == [f"{base}/{n}" for n in (2, 3, 4, 1, 5)]
    for from_rss, from_atom in zip(rss, atom, strict=True):
        assert from_atom.hint.title == from_rss.hint.title
        assert from_atom.hint.published == from_rss.hint.published
        assert from_atom.hint.categories == from_rss.hint.categories == ("News",)
        # RSS carries the article in <description>, Atom in <content type="html">.
        assert from_atom.hint.content_html == from_rss.hint.summary
        assert from_atom.hint.updated is not None and from_atom.hint.published is not None
        assert from_atom.hint.updated >= from_atom.hint.published


def test_entries_of_an_empty_feed() -> None:
    empty = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
    assert parse_feed(empty, RSS_URL) == ([], [])


@pytest.mark.parametrize(
    "body",
    [
        (SITE_ROOT / "index.html").read_bytes(),
        b"<!DOCTYPE html><html><head><title>x</title></head><body><p>a<br>b</body></html>",
        b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body/></html>',
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://blog.example/1</loc></url></urlset>",
        bytes(range(256)) * 8,
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03",  # the start of a gzip stream
        b'{"version": "https://jsonfeed.org/version/1.1", "items": []}',
        b"Service Unavailable",
    ],
    ids=["demo-page", "html5", "xhtml", "sitemap", "garbage", "gzip", "json", "text"],
)
def test_a_document_that_is_no_feed_raises(body: bytes) -> None:
    with pytest.raises(FeedError, match="not an RSS or Atom feed"):
        parse_feed(body, RSS_URL)


def test_an_empty_body_raises() -> None:
    with pytest.raises(FeedError):
        parse_feed(b"", RSS_URL)


def test_a_guid_that_is_no_permalink_is_no_link() -> None:
    doc = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b'<item><title>a</title><guid isPermaLink="false">12345</guid></item>'
        b"</channel></rss>"
    )
    assert parse_feed(doc, RSS_URL) == ([], ["entry 1 ('a') has no link"])
