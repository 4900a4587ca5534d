"""Feed formats beyond RSS 2.0 and Atom: JSON Feed 1.0/1.1, RSS 1.0 (RDF) and RSS 0.9x."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sokbo.extract.feed import FeedError, parse_feed

FEED_URL = "https://blog.example/feed.json"
KST = timedelta(hours=9)


def json_feed(items: list[Any], **top: Any) -> bytes:
    document = {"version": "https://jsonfeed.org/version/1.1", "title": "속보", **top}
    document["items"] = items
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def utc(
    year: int, month: int, day: int, hour: int, minute: int, sec: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, sec, us, tzinfo=UTC)


# --- JSON Feed ---------------------------------------------------------------------------

FULL_ITEM = {
    "id": "tag:blog.example,2024:1",
    "url": "/2024/07/first",
    "external_url": "https://elsewhere.example/story",
    "title": "첫 글 & <속보>",
    "summary": "요약 한 줄",
    "content_html": '<div class="body"><p>본문 <i>전체</i></p></div>',
    "content_text": "ignored when there is HTML",
    "date_published": "2024-07-29T10:05:00+09:00",
    "date_modified": "2024-07-29T02:30:00Z",
    "tags": ["News", " 세계 ", "", 7, None],
}


def test_a_json_feed_item_maps_to_a_hint() -> None:
    items, problems = parse_feed(json_feed([FULL_ITEM]), FEED_URL)
    assert problems == []
    [item] = items
    # url wins over external_url, and a relative one resolves against the feed URL.
    assert item.url == "https://blog.example/2024/07/first"
    hint = item.hint
    assert hint.title == "첫 글 & <속보>"  # JSON Feed titles are plain text, kept as they are
    assert hint.summary == "요약 한 줄"
    assert hint.content_html == '<div class="body"><p>본문 <i>전체</i></p></div>'
    assert hint.published == utc(2024, 7, 29, 1, 5)
    assert hint.updated == utc(2024, 7, 29, 2, 30)
    assert hint.published is not None and hint.published.utcoffset() == timedelta(0)
    # Only non-empty strings, trimmed.
    assert hint.categories == ("News", "세계")


def test_json_feed_version_1_0_is_read_too() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1",
            "title": "t",
            "items": [{"id": "1", "url": "https://blog.example/1", "content_text": "x"}],
        }
    ).encode()
    items, problems = parse_feed(body, FEED_URL)
    assert [item.url for item in items] == ["https://blog.example/1"]
    assert problems == []


def test_the_page_url_falls_back_to_external_url_then_to_a_url_id() -> None:
    body = json_feed(
        [
            {"id": "1", "external_url": "https://elsewhere.example/a", "title": "external"},
            {"id": "https://blog.example/2024/07/by-id", "title": "id"},
            {"id": "1234", "title": "opaque id"},
            {"id": "/2024/07/relative-id", "title": "relative id"},
            {"id": "5", "url": "javascript:alert(1)", "title": "script"},
            {"id": "6", "url": "mailto:x@blog.example", "external_url": "https://e.example/b"},
            {"id": "7"},
            "not an object",
        ]
    )
    items, problems = parse_feed(body, FEED_URL)
    assert [item.url for item in items] == [
        "https://elsewhere.example/a",
        "https://blog.example/2024/07/by-id",
        "https://e.example/b",  # a url that names no web page gives way to external_url
    ]
    # An id is opaque unless it is itself an absolute URL: a relative one is no page.
    assert problems == [
        "entry 3 ('opaque id') has no link",
        "entry 4 ('relative id') has no link",
        "entry 5 ('script'): link javascript:alert(1) is not an http(s) URL",
        "entry 7 ('untitled') has no link",
        "entry 8 ('untitled') has no link",
    ]


def test_content_text_becomes_escaped_paragraphs() -> None:
    text = "첫 줄 <b>not bold</b> & co\n둘째 줄\n\n  새 문단 \r\n\r\n\n"
    items, _ = parse_feed(json_feed([{"id": "1", "url": "/1", "content_text": text}]), FEED_URL)
    assert items[0].hint.content_html == (
        "<p>첫 줄 &lt;b&gt;not bold&lt;/b&gt; &amp; co<br />\n둘째 줄</p><p>새 문단</p>"
    )


def test_an_item_with_nothing_but_a_url() -> None:
    items, problems = parse_feed(json_feed([{"id": "1", "url": "https://b.example/1"}]), FEED_URL)
    hint = items[0].hint
    assert (hint.title, hint.summary, hint.content_html, hint.categories) == (None, None, None, ())
    assert (hint.published, hint.updated) == (None, None)
    assert problems == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-07-29T10:05:00+09:00", utc(2024, 7, 29, 1, 5)),
        ("2024-07-29T01:05:00Z", utc(2024, 7, 29, 1, 5)),
        ("2024-07-29t01:05:00z", utc(2024, 7, 29, 1, 5)),  # RFC 3339 allows lower case
        ("2024-07-29T01:05:00.123456789Z", utc(2024, 7, 29, 1, 5, 0, 123456)),
        ("2024-07-28T20:05:00-05:00", utc(2024, 7, 29, 1, 5)),
        ("2024-07-29T10:05:00", None),  # naive: no instant
        ("2024-07-29", None),  # a date is no date-time
        ("Mon, 29 Jul 2024 10:05:00 +0900", None),  # RFC 822 is not RFC 3339
        ("2024-02-30T00:00:00Z", None),
        ("yesterday", None),
        ("", None),
        (1722215100, None),
        (None, None),
    ],
)
def test_json_feed_dates(value: Any, expected: datetime | None) -> None:
    item = {"id": "1", "url": "/1", "date_published": value, "date_modified": value}
    [entry], _ = parse_feed(json_feed([item]), FEED_URL)
    assert entry.hint.published == expected
    assert entry.hint.updated == expected
    if expected is not None:
        assert entry.hint.published is not None and entry.hint.published.tzinfo is not None


def test_odd_member_types_are_ignored() -> None:
    item = {
        "id": 1,
        "url": ["/1"],
        "external_url": "https://b.example/1",
        "title": 3,
        "summary": {"x": 1},
        "content_html": None,
        "content_text": 5,
        "tags": "News",
    }
    [entry], problems = parse_feed(json_feed([item]), FEED_URL)
    assert entry.url == "https://b.example/1"
    assert entry.hint.title is None and entry.hint.summary is None
    assert entry.hint.content_html is None and entry.hint.categories == ()
    assert problems == []


def test_bom_whitespace_and_escaped_slashes() -> None:
    # PHP's json_encode writes "https:\/\/jsonfeed.org\/version\/1.1".
    body = (
        b"\xef\xbb\xbf \n\t"
        b'{"version":"https:\\/\\/jsonfeed.org\\/version\\/1.1","title":"t",'
        b'"items":[{"id":"1","url":"https:\\/\\/b.example\\/1"}]}'
    )
    items, _ = parse_feed(body, FEED_URL)
    assert [item.url for item in items] == ["https://b.example/1"]


def test_an_empty_json_feed() -> None:
    assert parse_feed(json_feed([]), FEED_URL) == ([], [])


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"version": "https://jsonfeed.org/version/1.1", "title": ', "invalid JSON"),
        (b"{}", "version is not"),
        (b'{"name": "some API", "items": []}', "version is not"),
        (b'{"version": "1.1", "title": "t", "items": []}', "version is not"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "title": "t"}', "'items'"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": {}}', "'items'"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": []}', "'title'"),
        (
            b'{"version": "https://jsonfeed.org/version/1", "title": "\xb0\xa1", "items": []}',
            "UTF-8",
        ),
        (b'{"a":' * 100_000, "invalid JSON"),
    ],
    ids=["truncated", "empty", "api", "version", "no-items", "items", "no-title", "cp949", "deep"],
)
def test_json_that_is_no_json_feed_raises(body: bytes, reason: str) -> None:
    with pytest.raises(FeedError, match="nor a JSON Feed") as raised:
        parse_feed(body, FEED_URL)
    assert reason in str(raised.value)


def test_json_and_rss_of_the_same_post_give_the_same_hint() -> None:
    rss = b"""<?xml version="1.0"?><rss version="2.0"
      xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>
      <item><title>first</title><link>https://blog.example/1</link>
      <description>sum</description><content:encoded><![CDATA[<p>body</p>]]></content:encoded>
      <category>News</category><pubDate>Mon, 29 Jul 2024 10:05:00 +0900</pubDate></item>
      </channel></rss>"""
    item = {
        "id": "https://blog.example/1",
        "url": "https://blog.example/1",
        "title": "first",
        "summary": "sum",
        "content_html": "<p>body</p>",
        "tags": ["News"],
        "date_published": "2024-07-29T10:05:00+09:00",
    }
    [from_rss], _ = parse_feed(rss, "https://blog.example/rss")
    [from_json], _ = parse_feed(json_feed([item]), FEED_URL)
    assert from_json == from_rss


# --- RSS 1.0 (RDF) and RSS 0.9x go through feedparser -------------------------------------

RDF_URL = "https://blog.example/index.rdf"
RSS10 = """<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF
  xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
  xmlns="http://purl.org/rss/1.0/"
  xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel rdf:about="https://blog.example/">
  <title>속보 블로그</title>
  <link>https://blog.example/</link>
  <description>RSS 1.0</description>
  <dc:date>2024-07-29T10:05:00+09:00</dc:date>
  <items><rdf:Seq>
    <rdf:li rdf:resource="https://blog.example/2024/07/first"/>
    <rdf:li rdf:resource="https://blog.example/2024/07/second"/>
  </rdf:Seq></items>
</channel>
<item rdf:about="https://blog.example/2024/07/first">
  <title>첫 글</title>
  <link>https://blog.example/2024/07/first</link>
  <description>요약 한 줄</description>
  <content:encoded><![CDATA[<div class="body"><p>본문 <i>전체</i></p></div>]]></content:encoded>
  <dc:date>2024-07-29T10:05:00+09:00</dc:date>
  <dc:subject>News</dc:subject>
  <dc:creator>속보지기</dc:creator>
</item>
<item rdf:about="https://blog.example/2024/07/second">
  <title>둘째 글</title>
  <link>/2024/07/second</link>
  <dc:date>2024-07-28T23:00:00Z</dc:date>
</item>
</rdf:RDF>
""".encode()


def test_rss_1_0_entries() -> None:
    items, problems = parse_feed(RSS10, RDF_URL)
    assert problems == []
    assert [item.url for item in items] == [
        "https://blog.example/2024/07/first",
        "https://blog.example/2024/07/second",
    ]
    first, second = (item.hint for item in items)
    assert first.title == "첫 글"
    assert first.summary == "요약 한 줄"
    assert first.content_html == '<div class="body"><p>본문 <i>전체</i></p></div>'
    assert first.categories == ("News",)
    # <dc:date>, RSS 1.0's only date, dates the publication (feedparser files it as updated).
    assert first.published == utc(2024, 7, 29, 1, 5)
    assert first.published is not None and first.published.utcoffset() == timedelta(0)
    assert second.published == utc(2024, 7, 28, 23, 0)
    assert second.content_html is None


def test_dc_date_dates_an_rss_2_0_item_without_pub_date() -> None:
    body = b"""<?xml version="1.0"?><rss version="2.0"
      xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t</title>
      <item><title>a</title><link>https://blog.example/a</link>
      <dc:date>2024-07-29T10:05:00+09:00</dc:date></item>
      <item><title>b</title><link>https://blog.example/b</link>
      <pubDate>Sun, 28 Jul 2024 10:00:00 +0900</pubDate>
      <dc:date>2024-07-29T10:05:00+09:00</dc:date></item>
      </channel></rss>"""
    a, b = (item.hint for item in parse_feed(body, "https://blog.example/rss")[0])
    assert a.published == utc(2024, 7, 29, 1, 5)
    # With both, <pubDate> is the publication and <dc:date> the last change.
    assert b.published == utc(2024, 7, 28, 1, 0)
    assert b.updated == utc(2024, 7, 29, 1, 5)


RSS091 = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"
  "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91">
<channel>
<title>Old news</title>
<link>https://old.example/</link>
<description>RSS 0.91</description>
<language>en-us</language>
<item>
<title>Caf\xe9 &amp; more</title>
<link>https://old.example/1</link>
<description>&lt;p&gt;short&lt;/p&gt;</description>
</item>
<item>
<title>relative</title>
<link>2</link>
</item>
</channel>
</rss>
"""


def test_rss_0_91() -> None:
    items, problems = parse_feed(RSS091, "https://old.example/rss.xml")
    assert problems == []
    assert [item.url for item in items] == ["https://old.example/1", "https://old.example/2"]
    assert items[0].hint.title == "Café & more"
    assert items[0].hint.summary == "<p>short</p>"
    assert items[0].hint.published is None


def test_rss_0_92_with_categories() -> None:
    body = b"""<?xml version="1.0"?><rss version="0.92"><channel><title>t</title>
      <link>https://old.example/</link><description>d</description>
      <item><title>a</title><link>https://old.example/a</link><category>News</category>
      <description>s</description></item></channel></rss>"""
    [item], problems = parse_feed(body, "https://old.example/rss")
    assert (item.url, item.hint.categories, problems) == ("https://old.example/a", ("News",), [])


def test_rss_0_90() -> None:
    body = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://my.netscape.com/rdf/simple/0.9/">
<channel><title>Oldest</title><link>https://old.example/</link><description>d</description></channel>
<item><title>first</title><link>https://old.example/first</link></item>
<item><title>second</title><link>https://old.example/second</link></item>
</rdf:RDF>"""
    items, problems = parse_feed(body, "https://old.example/rss.rdf")
    assert [(item.url, item.hint.title) for item in items] == [
        ("https://old.example/first", "first"),
        ("https://old.example/second", "second"),
    ]
    assert problems == []


def test_rss_1_0_dates_match_the_rss_2_0_ones() -> None:
    rss20 = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
      <item><title>x</title><link>https://blog.example/2024/07/first</link>
      <pubDate>Mon, 29 Jul 2024 10:05:00 +0900</pubDate></item></channel></rss>"""
    [from_rss20], _ = parse_feed(rss20, "https://blog.example/rss")
    from_rdf = parse_feed(RSS10, RDF_URL)[0][0]
    assert from_rdf.hint.published == from_rss20.hint.published
    assert from_rdf.hint.published == datetime(2024, 7, 29, 10, 5, tzinfo=UTC) - KST
