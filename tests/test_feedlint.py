"""tests.support.feedlint: one passing and one failing document for every rule, per format.

Each failing case changes one thing in a feed that passes, so the case shows both that
the rule fires and what sets it off.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.feedlint import (
    RULES,
    FeedKind,
    Problem,
    detect_kind,
    html_problems,
    http_url_problem,
    id_problem,
    lint_feed,
    rfc822_problem,
    rfc3339_problem,
    same_url,
)

RSS_URL = "https://news.example/feeds/rss.xml"
ATOM_URL = "https://news.example/feeds/atom.xml"
JSON_URL = "https://news.example/feeds/feed.json"
POST_1 = "https://news.example/news/2024/07/29/%EC%86%8D%EB%B3%B4.html"
POST_2 = "https://news.example/news/2024/07/28/second.html"

GOOD_RSS = f"""<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:atom="http://www.w3.org/2005/Atom"
     xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">
  <channel>
    <title>속보</title>
    <link>https://news.example/</link>
    <description>실시간 뉴스 속보</description>
    <atom:link href="{RSS_URL}" rel="self" type="application/rss+xml"/>
    <docs>http://www.rssboard.org/rss-specification</docs>
    <lastBuildDate>Mon, 29 Jul 2024 01:05:00 +0000</lastBuildDate>
    <item>
      <title>첫 속보 &amp; {{{{ x }}}}</title>
      <link>{POST_1}</link>
      <description>요약</description>
      <content:encoded>&lt;p&gt;본문 &lt;a href="https://news.example/"&gt;링크&lt;/a&gt;&lt;/p&gt;</content:encoded>
      <guid isPermaLink="true">{POST_1}</guid>
      <enclosure url="https://news.example/a.jpg" type="image/jpeg" length="0"/>
      <pubDate>Mon, 29 Jul 2024 01:05:00 +0000</pubDate>
    </item>
    <item>
      <description>제목 없는 글</description>
      <guid isPermaLink="false">article-2</guid>
      <pubDate>Sun, 28 Jul 2024 10:00:00 GMT</pubDate>
    </item>
  </channel>
</rss>
"""

GOOD_ATOM = f"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ko">
  <id>https://news.example/</id>
  <title>속보</title>
  <updated>2024-07-29T01:05:00+00:00</updated>
  <author><name>속보</name></author>
  <link href="{ATOM_URL}" rel="self" type="application/atom+xml"/>
  <link href="https://news.example/" rel="alternate"/>
  <entry>
    <id>{POST_1}</id>
    <title>첫 속보</title>
    <updated>2024-07-29T01:05:00+00:00</updated>
    <published>2024-07-29T10:05:00+09:00</published>
    <link href="{POST_1}" rel="alternate"/>
    <link href="https://news.example/a.jpg" rel="enclosure" type="image/jpeg"/>
    <content type="html">&lt;p&gt;본문&lt;/p&gt;</content>
    <summary type="text">요약</summary>
  </entry>
  <entry>
    <id>tag:news.example,2024:2</id>
    <title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">둘째 <b>속보</b></div></title>
    <updated>2024-07-28T10:00:00Z</updated>
    <link href="{POST_2}"/>
  </entry>
</feed>
"""


def good_json() -> dict[str, Any]:
    return {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "속보",
        "home_page_url": "https://news.example/",
        "feed_url": JSON_URL,
        "authors": [{"name": "속보", "url": "https://news.example/"}],
        "items": [
            {
                "id": POST_1,
                "url": POST_1,
                "title": "첫 속보 {{ x }}",
                "content_html": "<p>본문</p>",
                "summary": "요약",
                "date_published": "2024-07-29T10:05:00+09:00",
                "date_modified": "2024-07-29T01:05:00Z",
                "tags": ["News"],
                "attachments": [{"url": "https://news.example/a.jpg", "mime_type": "image/jpeg"}],
            },
            {"id": "2", "content_text": "둘째"},
        ],
    }


def rules(problems: list[Problem]) -> set[str]:
    return {problem.rule for problem in problems}


@pytest.mark.parametrize(
    ("kind", "data", "url"),
    [
        ("rss", GOOD_RSS.encode(), RSS_URL),
        ("atom", GOOD_ATOM.encode(), ATOM_URL),
        ("json", json.dumps(good_json(), ensure_ascii=False).encode(), JSON_URL),
    ],
)
def test_the_good_feeds_pass(kind: FeedKind, data: bytes, url: str) -> None:
    assert lint_feed(data, kind, url) == []
    assert detect_kind(data) == kind


# (rule, what is wrong, text to replace, replacement) for the good RSS document.
RSS_CASES = [
    ("encoding", "an unknown declared encoding", "encoding='UTF-8'", "encoding='x-nope'"),
    ("xml-char", "a raw NUL", "<description>요약", "<description>요\x00약"),
    ("xml-char", "a raw escape character", "<description>요약", "<description>\x1b[1m"),
    ("xml-char", "a reference to U+FFFE", "<description>요약", "<description>&#xFFFE;"),
    ("well-formed", "an unclosed element", "<description>요약</description>", "<description>"),
    ("well-formed", "an HTML entity XML does not know", "<description>요약", "<description>&nbsp;"),
    (
        "no-dtd",
        "an internal DTD with an entity",
        "<rss ",
        '<!DOCTYPE rss [<!ENTITY e "x">]>\n<rss ',
    ),
    ("root", "RSS 0.91", 'version="2.0"', 'version="0.91"'),
    ("root", "no channel", "channel>", "chan>"),
    ("missing-element", "no channel title", "<title>속보</title>", ""),
    ("missing-element", "a blank channel description", "실시간 뉴스 속보", " "),
    (
        "missing-element",
        "an item with neither title nor description",
        "<description>제목 없는 글</description>",
        "",
    ),
    (
        "duplicate-element",
        "two item links",
        f"<link>{POST_1}</link>",
        f"<link>{POST_1}</link><link>{POST_2}</link>",
    ),
    (
        "rfc822-date",
        "a two-digit year",
        "Sun, 28 Jul 2024 10:00:00 GMT",
        "Sun, 28 Jul 24 10:00:00 GMT",
    ),
    (
        "rfc822-date",
        "an unknown zone",
        "Sun, 28 Jul 2024 10:00:00 GMT",
        "Sun, 28 Jul 2024 10:00:00 KST",
    ),
    ("rfc822-date", "the wrong day of the week", "Sun, 28 Jul", "Mon, 28 Jul"),
    (
        "rfc822-date",
        "ISO 8601 instead",
        "<lastBuildDate>Mon, 29 Jul 2024 01:05:00 +0000",
        "<lastBuildDate>2024-07-29T01:05:00Z",
    ),
    ("rfc822-date", "a day that does not exist", "Sun, 28 Jul 2024", "31 Jun 2024"),
    ("absolute-url", "a relative item link", f"<link>{POST_1}</link>", "<link>/news/1.html</link>"),
    (
        "absolute-url",
        "a javascript: channel link",
        "<link>https://news.example/</link>",
        "<link>javascript:alert(1)</link>",
    ),
    (
        "absolute-url",
        "a space in a URL",
        f"<link>{POST_1}</link>",
        "<link>https://news.example/a b</link>",
    ),
    ("duplicate-id", "two items with one guid", "article-2", POST_1),
    (
        "self-link",
        "no self link",
        f'<atom:link href="{RSS_URL}" rel="self" type="application/rss+xml"/>',
        "",
    ),
    (
        "self-link",
        "a self link to another URL",
        f'href="{RSS_URL}"',
        'href="https://news.example/rss"',
    ),
    (
        "guid-permalink",
        "a permalink guid that is no URL",
        'isPermaLink="false">article-2',
        'isPermaLink="true">article-2',
    ),
    (
        "guid-permalink",
        "a guid without isPermaLink is a permalink",
        'isPermaLink="false">article-2',
        ">article-2",
    ),
    (
        "guid-permalink",
        "isPermaLink must be true or false",
        'isPermaLink="false"',
        'isPermaLink="no"',
    ),
    ("enclosure", "an enclosure without length", ' length="0"', ""),
    ("enclosure", "an enclosure without type", ' type="image/jpeg"', ""),
    ("enclosure", "a relative enclosure URL", 'url="https://news.example/a.jpg"', 'url="/a.jpg"'),
    ("enclosure", "a length that is no number", 'length="0"', 'length="large"'),
    (
        "unsafe-html",
        "a script element",
        "&lt;p&gt;본문",
        "&lt;script&gt;alert(1)&lt;/script&gt;&lt;p&gt;본문",
    ),
    (
        "unsafe-html",
        "an iframe",
        "&lt;p&gt;본문",
        "&lt;iframe src=x&gt;&lt;/iframe&gt;&lt;p&gt;본문",
    ),
    (
        "unsafe-html",
        "an on* attribute",
        '&lt;a href="https://news.example/"',
        '&lt;a onclick="x()" href="https://news.example/"',
    ),
    (
        "unsafe-html",
        "a javascript: URL",
        'href="https://news.example/"&gt;',
        'href="  JaVa&amp;#x09;script:alert(1)"&gt;',
    ),
    (
        "unsafe-html",
        "a meta refresh in the description",
        "<description>요약",
        "<description>&lt;meta http-equiv=refresh content=0&gt;",
    ),
    (
        "unsafe-html",
        "a style element in CDATA",
        "<description>요약",
        "<description><![CDATA[<style>p{}</style>]]>",
    ),
    (
        "namespace",
        "content:encoded without its namespace",
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/"',
        "",
    ),
    (
        "namespace",
        "content bound to another namespace",
        "http://purl.org/rss/1.0/modules/content/",
        "http://example.com/content/",
    ),
]


@pytest.mark.parametrize(("rule", "what", "old", "new"), RSS_CASES, ids=[c[1] for c in RSS_CASES])
def test_rss_rules(rule: str, what: str, old: str, new: str) -> None:
    assert old in GOOD_RSS, what
    problems = lint_feed(GOOD_RSS.replace(old, new).encode(), "rss", RSS_URL)
    assert rule in rules(problems), (what, problems)
    assert all(problem.rule in RULES for problem in problems)


def test_bytes_that_are_not_in_the_declared_encoding() -> None:
    latin1 = GOOD_RSS.encode().replace("<title>속보</title>".encode(), b"<title>\xe9</title>", 1)
    [problem] = lint_feed(latin1, "rss", RSS_URL)
    assert problem.rule == "encoding"
    declared = GOOD_RSS.replace("encoding='UTF-8'", "encoding='EUC-KR'").encode("cp949")
    assert lint_feed(declared, "rss", RSS_URL) == []


ATOM_CASES = [
    ("xml-char", "a vertical tab", "<title>첫 속보", "<title>첫\x0b속보"),
    ("well-formed", "a stray ampersand", "<title>첫 속보", "<title>첫 & 속보"),
    ("no-dtd", "a DOCTYPE", "<feed ", "<!DOCTYPE feed>\n<feed "),
    (
        "root",
        "Atom 0.3's namespace",
        'xmlns="http://www.w3.org/2005/Atom"',
        'xmlns="http://purl.org/atom/ns#"',
    ),
    ("missing-element", "no feed id", "<id>https://news.example/</id>", ""),
    (
        "missing-element",
        "no feed updated",
        "<updated>2024-07-29T01:05:00+00:00</updated>\n  <author>",
        "<author>",
    ),
    ("missing-element", "an entry without id", f"<id>{POST_1}</id>", ""),
    ("missing-element", "an entry without title", "<title>첫 속보</title>", ""),
    ("missing-element", "an entry without updated", "<updated>2024-07-28T10:00:00Z</updated>", ""),
    ("missing-element", "an entry without an alternate link", f'<link href="{POST_2}"/>', ""),
    (
        "missing-element",
        "a feed without an alternate link",
        '<link href="https://news.example/" rel="alternate"/>',
        "",
    ),
    (
        "missing-element",
        "an author without name",
        "<author><name>속보</name></author>",
        "<author><uri>https://news.example/</uri></author>",
    ),
    (
        "duplicate-element",
        "two feed titles",
        "<title>속보</title>",
        "<title>속보</title><title>again</title>",
    ),
    ("atom-author", "no author anywhere", "<author><name>속보</name></author>", ""),
    ("rfc3339-date", "no zone", "<updated>2024-07-28T10:00:00Z", "<updated>2024-07-28T10:00:00"),
    (
        "rfc3339-date",
        "RFC 822 instead",
        "<published>2024-07-29T10:05:00+09:00",
        "<published>Mon, 29 Jul 2024 10:05:00 +0900",
    ),
    (
        "rfc3339-date",
        "a lower-case t",
        "<updated>2024-07-28T10:00:00Z",
        "<updated>2024-07-28t10:00:00Z",
    ),
    (
        "rfc3339-date",
        "the 30th of February",
        "<updated>2024-07-28T10:00:00Z",
        "<updated>2024-02-30T10:00:00Z",
    ),
    ("absolute-url", "a relative id", "<id>tag:news.example,2024:2</id>", "<id>/2</id>"),
    (
        "absolute-url",
        "a relative alternate link",
        f'<link href="{POST_2}"/>',
        '<link href="second.html"/>',
    ),
    (
        "duplicate-id",
        "two entries with one id",
        "<id>tag:news.example,2024:2</id>",
        f"<id>{POST_1}</id>",
    ),
    (
        "self-link",
        "no self link",
        f'<link href="{ATOM_URL}" rel="self" type="application/atom+xml"/>',
        "",
    ),
    (
        "self-link",
        "a self link to another feed",
        f'href="{ATOM_URL}"',
        'href="https://news.example/feeds/rss.xml"',
    ),
    (
        "enclosure",
        "an enclosure without type",
        ' rel="enclosure" type="image/jpeg"',
        ' rel="enclosure"',
    ),
    (
        "enclosure",
        "an enclosure with a bad length",
        ' rel="enclosure" type="image/jpeg"',
        ' rel="enclosure" type="image/jpeg" length="-1"',
    ),
    (
        "unsafe-html",
        "an embed in html content",
        "&lt;p&gt;본문",
        "&lt;embed src=x.swf&gt;&lt;p&gt;본문",
    ),
    (
        "unsafe-html",
        "an object in html content",
        "&lt;p&gt;본문",
        "&lt;object data=x&gt;&lt;/object&gt;",
    ),
    (
        "unsafe-html",
        "a form in html content",
        "&lt;p&gt;본문",
        "&lt;form action=x&gt;&lt;/form&gt;",
    ),
    (
        "unsafe-html",
        "a link element in html content",
        "&lt;p&gt;본문",
        "&lt;link rel=stylesheet href=x&gt;",
    ),
    ("unsafe-html", "a script in xhtml", "둘째 <b>속보</b>", "둘째 <script>alert(1)</script>"),
    ("unsafe-html", "onerror in xhtml", "둘째 <b>속보</b>", '<img src="x" onerror="alert(1)"/>'),
]


@pytest.mark.parametrize(("rule", "what", "old", "new"), ATOM_CASES, ids=[c[1] for c in ATOM_CASES])
def test_atom_rules(rule: str, what: str, old: str, new: str) -> None:
    assert old in GOOD_ATOM, what
    problems = lint_feed(GOOD_ATOM.replace(old, new).encode(), "atom", ATOM_URL)
    assert rule in rules(problems), (what, problems)


def _set(path: str, value: Any) -> Any:
    """A change to the good JSON Feed: set (or, with DELETE, remove) one member."""

    def change(feed: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = feed
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is DELETE:
            del node[int(last) if last.isdigit() else last]
        else:
            node[int(last) if last.isdigit() else last] = value

    return change


DELETE = object()

JSON_CASES = [
    ("xml-char", "a NUL in a title", _set("items.0.title", "a\x00b")),
    ("json-version", "an unknown version", _set("version", "1.1")),
    ("missing-element", "no version", _set("version", DELETE)),
    ("missing-element", "no title", _set("title", DELETE)),
    ("missing-element", "no items", _set("items", DELETE)),
    ("missing-element", "an item without id", _set("items.1.id", DELETE)),
    ("missing-element", "an item without content", _set("items.1.content_text", DELETE)),
    ("json-type", "a numeric id", _set("items.1.id", 2)),
    ("json-type", "items that are no array", _set("items", {})),
    ("json-type", "tags that are no strings", _set("items.0.tags", [1])),
    ("rfc3339-date", "a date without a zone", _set("items.0.date_published", "2024-07-29 10:05")),
    ("absolute-url", "a relative item url", _set("items.0.url", "/news/1.html")),
    ("absolute-url", "a javascript: home page", _set("home_page_url", "javascript:alert(1)")),
    ("duplicate-id", "two items with one id", _set("items.1.id", POST_1)),
    ("self-link", "no feed_url", _set("feed_url", DELETE)),
    ("self-link", "another feed's URL", _set("feed_url", RSS_URL)),
    (
        "enclosure",
        "an attachment without mime_type",
        _set("items.0.attachments.0.mime_type", DELETE),
    ),
    ("enclosure", "a negative size", _set("items.0.attachments.0.size_in_bytes", -1)),
    ("unsafe-html", "an iframe in content_html", _set("items.0.content_html", "<iframe src=x>")),
    ("unsafe-html", "an svg onload", _set("items.0.content_html", "<svg onload=alert(1)>")),
]


@pytest.mark.parametrize(("rule", "what", "change"), JSON_CASES, ids=[c[1] for c in JSON_CASES])
def test_json_feed_rules(rule: str, what: str, change: Any) -> None:
    feed = good_json()
    change(feed)
    problems = lint_feed(json.dumps(feed, ensure_ascii=False).encode(), "json", JSON_URL)
    assert rule in rules(problems), (what, problems)


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (b"\xff\xfe{}", "encoding"),
        (b'{"version": ', "well-formed"),
        (b"[]", "root"),
        (b'\xef\xbb\xbf{"version": "https://jsonfeed.org/version/1.1"}', "encoding"),
    ],
)
def test_json_documents_that_are_not_feeds(data: bytes, rule: str) -> None:
    assert rule in rules(lint_feed(data, "json", JSON_URL))


def test_every_rule_has_a_failing_case() -> None:
    covered = {case[0] for case in RSS_CASES + ATOM_CASES + JSON_CASES}
    assert covered == set(RULES)


def test_problems_say_where() -> None:
    data = GOOD_RSS.replace("Sun, 28 Jul 2024", "Sun, 28 Jul 24").encode()
    [problem] = lint_feed(data, "rss", RSS_URL)
    assert problem.where == "line 23 /rss/channel/item[2]/pubDate"
    assert str(problem).startswith("line 23 /rss/channel/item[2]/pubDate: ")
    atom = GOOD_ATOM.replace("<updated>2024-07-28T10:00:00Z", "<updated>x").encode()
    [problem] = lint_feed(atom, "atom", ATOM_URL)
    assert problem.where.endswith(" /feed/entry[2]/updated")
    data = GOOD_RSS.replace("요약</description>", "\x01</description>", 1).encode()
    [problem] = lint_feed(data, "rss", RSS_URL)
    assert (problem.rule, problem.where) == ("xml-char", "line 14, column 20")


def test_unknown_kind_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown feed kind"):
        lint_feed(b"", "html", RSS_URL)  # type: ignore[arg-type]


# --- the building blocks ------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "Mon, 29 Jul 2024 01:05:00 +0000",
        "29 Jul 2024 01:05 GMT",
        "Mon, 29 Jul 2024 01:05:00 EST",
        "Mon, 29 Jul 2024 01:05:00 Z",
        "  Mon, 29 Jul 2024 01:05:00 -0930  ",
        "mon, 29 jul 2024 01:05:00 +0000",
    ],
)
def test_rfc822_accepts(value: str) -> None:
    assert rfc822_problem(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "",
        "Mon, 29 Jul 24 01:05:00 +0000",
        "Mon, 29 Jul 2024 01:05:00",
        "Mon, 29 Jul 2024 01:05:00 +09:00",
        "Mon, 29 Jul 2024 01:05:00 +2400",
        "Mon, 29 Jul 2024 01:05:00 J",
        "Mon, 29 July 2024 01:05:00 +0000",
        "Mon, 29 Jul 2024 25:05:00 +0000",
        "Fri, 29 Feb 2023 01:05:00 +0000",
        "Tue, 29 Jul 2024 01:05:00 +0000",
        "Mond, 29 Jul 2024 01:05:00 +0000",
    ],
)
def test_rfc822_refuses(value: str) -> None:
    assert rfc822_problem(value) is not None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("2024-07-29T01:05:00Z", False),
        ("2024-07-29T01:05:00.123456+09:00", False),
        ("2016-12-31T23:59:60Z", False),
        ("2024-07-29", True),
        ("2024-07-29T01:05Z", True),
        ("2024-07-29T01:05:00+0900", True),
        ("2024-13-01T01:05:00Z", True),
        ("2024-07-29T24:00:00Z", True),
        ("2024-07-29T01:05:00+24:00", True),
        ("２０２４-07-29T01:05:00Z", True),
    ],
)
def test_rfc3339(value: str, problem: bool) -> None:
    assert (rfc3339_problem(value) is not None) is problem


def test_rfc3339_case_only_matters_for_atom() -> None:
    assert rfc3339_problem("2024-07-29t01:05:00z") is not None
    assert rfc3339_problem("2024-07-29t01:05:00z", upper_case=False) is None


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("https://news.example/뉴스/1", True),
        ("http://127.0.0.1:8941/rss", True),
        ("https://news.example:99999/", False),
        ("ftp://news.example/", False),
        ("//news.example/", False),
        ("https:///path", False),
        ("https://news.example/{{x}}", False),
        ("https://news.example/a\nb", False),
        ("", False),
    ],
)
def test_http_urls(value: str, ok: bool) -> None:
    assert (http_url_problem(value) is None) is ok


def test_ids_may_be_tag_or_urn_uris() -> None:
    assert id_problem("tag:news.example,2024:1") is None
    assert id_problem("urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6") is None
    assert id_problem("mailto:a@news.example") is not None
    assert id_problem("1234") is not None


def test_same_url_ignores_percent_encoding_and_host_case() -> None:
    assert same_url(
        "https://News.example/feeds/%EB%89%B4%EC%8A%A4.xml", "https://news.example/feeds/뉴스.xml"
    )
    assert same_url("https://news.example", "https://news.example/")
    assert not same_url("https://news.example/rss.xml", "http://news.example/rss.xml")


@pytest.mark.parametrize(
    "html",
    [
        '<p style="color: #ee2323;">색</p>',
        '<a href="https://x.example/" rel="dofollow">x</a>',
        "<p>&lt;script&gt; written as text</p>",
        "<p>javascript: in text, onclick= in text</p>",
        '<img src="https://x.example/a.jpg" alt="onerror">',
        "<scr<script>ipt>",  # a tag called "scr<script", which browsers do not run
        "no markup at all & more",
        "",
    ],
)
def test_safe_html(html: str) -> None:
    assert html_problems(html) == []


@pytest.mark.parametrize(
    ("html", "found"),
    [
        ("<SCRIPT>x</SCRIPT>", "<script> element"),
        ("<svg><script>x</script></svg>", "<script> element"),
        ("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", "<style> element"),
        ("<p onmouseover=x>", "onmouseover attribute on <p>"),
        ('<a href="java&#x0A;script:alert(1)">', "javascript: URL in href of <a>"),
        ('<a href=" vbscript:x">', "vbscript: URL in href of <a>"),
        ('<iframe src="data:text/html,<script>x</script>">', "<iframe> element"),
        ('<svg><a xlink:href="javascript:x">y</a></svg>', "javascript: URL in xlink:href of <a>"),
        ('<img srcset="a.jpg 1x, javascript:x 2x">', "javascript: URL in srcset of <img>"),
        ('<p style="width: expression(alert(1))">', "style attribute on <p> that can run code"),
        ('<button formaction="javascript:x">', "javascript: URL in formaction of <button>"),
        ("<base href=https://evil.example/>", "<base> element"),
    ],
)
def test_unsafe_html(html: str, found: str) -> None:
    assert found in html_problems(html)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b'<?xml version="1.0"?>\n<!-- c -->\n<rss version="2.0"/>', "rss"),
        (b"\xef\xbb\xbf<feed xmlns='http://www.w3.org/2005/Atom'/>", "atom"),
        (b' {"items": []}', "json"),
        (b"<rdf:RDF/>", None),
        (b"", None),
    ],
)
def test_detect_kind(data: bytes, kind: str | None) -> None:
    assert detect_kind(data) == kind
