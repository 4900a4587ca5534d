"""Feed discovery: <link rel="alternate"> autodiscovery, fallback paths, sniffing, platforms."""

from __future__ import annotations

import gzip
import json

import pytest

from sokbo.demo.server import SITE_ROOT
from sokbo.extract.discovery import (
    FALLBACK_FEED_PATHS,
    discover_feeds,
    known_feed_url,
    looks_like_feed,
)

PAGE = "https://blog.example/2024/07/first?x=1"


def head(*links: str, before: str = "") -> str:
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>t</title>"
        + before
        + "".join(links)
        + "</head><body><p>본문</p></body></html>"
    )


# --- discover_feeds ----------------------------------------------------------------------


def test_wordpress_head() -> None:
    html = head(
        '<link rel="alternate" type="application/rss+xml" title="블로그 &raquo; Feed"'
        ' href="https://blog.example/feed/" />',
        '<link rel="alternate" type="application/rss+xml" title="블로그 &raquo; Comments Feed"'
        ' href="https://blog.example/comments/feed/" />',
        '<link rel="alternate" type="application/rss+xml" title="첫 글 Comments Feed"'
        ' href="https://blog.example/2024/07/first/feed/" />',
        '<link rel="https://api.w.org/" href="https://blog.example/wp-json/" />',
        '<link rel="alternate" title="JSON" type="application/json"'
        ' href="https://blog.example/wp-json/wp/v2/posts/1" />',
        '<link rel="alternate" type="application/json+oembed"'
        ' href="https://blog.example/wp-json/oembed/1.0/embed?url=x" />',
    )
    assert discover_feeds(html, PAGE) == [
        "https://blog.example/feed/",
        # A bare application/json link (here WordPress' REST API) after the typed feeds.
        "https://blog.example/wp-json/wp/v2/posts/1",
        # Comment feeds last, in document order.
        "https://blog.example/comments/feed/",
        "https://blog.example/2024/07/first/feed/",
    ]


def test_every_feed_type_in_document_order() -> None:
    html = head(
        '<link rel="alternate" type="application/atom+xml" href="/atom.xml">',
        '<link rel="alternate" type="application/rss+xml" href="/rss">',
        '<link rel="alternate" type="application/feed+json" href="/feed.json">',
        '<link rel="alternate" type="application/rdf+xml" href="/index.rdf">',
        '<link rel="alternate" type="application/json" href="/api.json">',
    )
    assert discover_feeds(html, PAGE) == [
        "https://blog.example/atom.xml",
        "https://blog.example/rss",
        "https://blog.example/feed.json",
        "https://blog.example/index.rdf",
        "https://blog.example/api.json",
    ]


def test_korean_comment_feed_goes_last() -> None:
    html = head(
        '<link rel="alternate" type="application/rss+xml" title="댓글 RSS" href="/rss/comment">',
        '<link rel="alternate" type="application/rss+xml" title="최근 글 댓글" href="/c">',
        '<link rel="alternate" type="application/rss+xml" title="속보 블로그" href="/rss">',
    )
    assert discover_feeds(html, "https://name.tistory.com/") == [
        "https://name.tistory.com/rss",
        "https://name.tistory.com/rss/comment",
        "https://name.tistory.com/c",
    ]


def test_relative_hrefs_resolve_against_the_page_or_its_base() -> None:
    links = (
        '<link rel="alternate" type="application/rss+xml" href="feed.xml">',
        '<link rel="alternate" type="application/atom+xml" href="//cdn.example/atom.xml">',
    )
    assert discover_feeds(head(*links), PAGE) == [
        "https://blog.example/2024/07/feed.xml",
        "https://cdn.example/atom.xml",
    ]
    based = head(*links, before='<base href="https://other.example/blog/">')
    assert discover_feeds(based, PAGE)[0] == "https://other.example/blog/feed.xml"
    # A relative <base> resolves against the page; a javascript: one is ignored.
    relative_base = head(*links, before='<base href="/root/">')
    assert discover_feeds(relative_base, PAGE)[0] == "https://blog.example/root/feed.xml"
    bad_base = head(*links, before='<base href="javascript:void(0)">')
    assert discover_feeds(bad_base, PAGE)[0] == "https://blog.example/2024/07/feed.xml"


def test_duplicates_odd_spellings_and_things_that_are_no_feed_links() -> None:
    html = head(
        '<LINK REL="Alternate" TYPE="Application/RSS+XML; charset=UTF-8" HREF=" /rss ">',
        '<link rel="alternate" type="application/rss+xml" href="https://blog.example/rss">',
        '<link rel="alternate" type="application/rss+xml" href="/rss#top">',
        '<link rel="alternate" type="application/rss+xml">',
        '<link rel="alternate" type="application/rss+xml" href="">',
        '<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">',
        '<link rel="alternate" type="application/rss+xml" href="mailto:x@blog.example">',
        '<link rel="alternate" type="application/rss+xml" href="ftp://blog.example/rss">',
        '<link rel="alternate" type="application/rss+xml" href="http://[::1">',
        '<link rel="alternate stylesheet" type="text/css" href="/dark.css">',
        '<link rel="alternate" hreflang="en" href="/en/">',
        '<link rel="alternate" type="text/html" href="/m/">',
        '<link rel="stylesheet" type="application/rss+xml" href="/not-alternate">',
        '<link rel="canonical" href="/canonical">',
        '<link rel="feed alternate" type="application/atom+xml" href="http://blog.example/atom">',
    )
    assert discover_feeds(html, PAGE) == [
        "https://blog.example/rss",
        "http://blog.example/atom",
    ]


def test_links_in_the_body_count_too() -> None:
    html = (
        "<html><body><p>x</p>"
        '<link rel="alternate" type="application/rss+xml" href="/rss"></body></html>'
    )
    assert discover_feeds(html, PAGE) == ["https://blog.example/rss"]


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        "plain text, no markup",
        "<html><head><title>no feeds</title></head></html>",
        "\x00\x01\x02 garbage",
    ],
)
def test_pages_without_feeds(html: str) -> None:
    assert discover_feeds(html, PAGE) == []


def test_xhtml_with_an_xml_declaration() -> None:
    html = (
        '<?xml version="1.0" encoding="EUC-KR"?>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml"><head>'
        '<link rel="alternate" type="application/rss+xml" title="뉴스" href="/rss" />'
        "</head><body/></html>"
    )
    assert discover_feeds(html, PAGE) == ["https://blog.example/rss"]


def test_the_demo_blog_page() -> None:
    base = "http://127.0.0.1:8941"
    html = (SITE_ROOT / "1.html").read_text(encoding="utf-8").replace("__BASE__", base)
    assert discover_feeds(html, f"{base}/1") == [f"{base}/rss"]


# --- fallback paths --------------------------------------------------------------------


def test_fallback_paths() -> None:
    assert FALLBACK_FEED_PATHS == (
        "/rss",
        "/feed",
        "/feed/",
        "/rss.xml",
        "/atom.xml",
        "/feed.xml",
        "/index.xml",
        "/feeds/posts/default",
    )
    assert len(set(FALLBACK_FEED_PATHS)) == len(FALLBACK_FEED_PATHS)


# --- looks_like_feed -------------------------------------------------------------------

RSS = b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel/></rss>'


@pytest.mark.parametrize(
    "body",
    [
        RSS,
        b"<rss version='2.0'><channel/></rss>",
        b"\xef\xbb\xbf\r\n  " + RSS,
        RSS.replace(b"<rss", b'<?xml-stylesheet type="text/xsl" href="/rss.xsl"?>\n<rss'),
        RSS.replace(b"<rss", b"<!-- generator: <b>x</b> -->\n<!-- another -->\n<rss"),
        (SITE_ROOT / "rss.xml").read_bytes(),
        (SITE_ROOT / "atom.xml").read_bytes(),
        b'<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC'
        b' "-//Netscape Communications//DTD RSS 0.91//EN"'
        b' "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss version="0.91"/>',
        b'<!DOCTYPE rss [<!ENTITY nbsp "&#160;"> <!ENTITY copy "&#169;">]><rss version="2.0">',
        b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        b' xmlns="http://purl.org/rss/1.0/"><channel/></rdf:RDF>',
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>',
        b'<atom:feed xmlns:atom="http://www.w3.org/2005/Atom"/>',
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": []}',
        b'\xef\xbb\xbf\n {\n  "version" : "https:\\/\\/jsonfeed.org\\/version\\/1",\n"items":[]}',
        b'{"title": "t", "version": "https://jsonfeed.org/version/1.1", "items": []}',
        '<?xml version="1.0" encoding="UTF-16"?><rss version="2.0"/>'.encode("utf-16"),
        gzip.decompress(gzip.compress(RSS)),
    ],
    ids=[
        "rss",
        "bare",
        "bom",
        "stylesheet",
        "comments",
        "demo-rss",
        "demo-atom",
        "rss091-doctype",
        "internal-subset",
        "rdf",
        "atom",
        "atom-prefixed",
        "json",
        "json-bom-escaped",
        "json-title-first",
        "utf16",
        "gunzipped",
    ],
)
def test_feeds_look_like_feeds(body: bytes) -> None:
    assert looks_like_feed(body)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \n",
        (SITE_ROOT / "index.html").read_bytes(),
        b"<!DOCTYPE html><html><head><title>rss</title></head></html>",
        b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><rss/></html>',
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>',
        b"<rssfeed/>",
        b"<feedback/>",
        json.dumps({"version": "1.1", "items": []}).encode(),
        b'[{"version": "https://jsonfeed.org/version/1.1"}]',
        gzip.compress(RSS),
        b"<!--" + b"x" * 4096 + b"--><rss version='2.0'/>",
        b" " * 3000 + b"<rss version='2.0'/>",
        b"Service Unavailable",
        bytes(range(256)) * 8,
    ],
    ids=[
        "empty",
        "blank",
        "demo-page",
        "html",
        "xhtml",
        "sitemap",
        "rssfeed",
        "feedback",
        "json-no-feed",
        "json-array",
        "gzip",
        "late-root",
        "late-root-space",
        "text",
        "garbage",
    ],
)
def test_other_documents_do_not(body: bytes) -> None:
    assert not looks_like_feed(body)


# --- known_feed_url --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "feed"),
    [
        ("https://blog.naver.com/newsdao", "https://rss.blog.naver.com/newsdao.xml"),
        ("http://blog.naver.com/newsdao/", "https://rss.blog.naver.com/newsdao.xml"),
        ("https://blog.naver.com/newsdao/223456789012", "https://rss.blog.naver.com/newsdao.xml"),
        ("https://m.blog.naver.com/news_dao-1", "https://rss.blog.naver.com/news_dao-1.xml"),
        (
            "https://blog.naver.com/PostList.naver?blogId=newsdao&categoryNo=0",
            "https://rss.blog.naver.com/newsdao.xml",
        ),
        (
            "https://blog.naver.com/PostView.naver?blogId=newsdao&logNo=223456789012",
            "https://rss.blog.naver.com/newsdao.xml",
        ),
        (
            "https://blog.naver.com/prologue/PrologueList.naver?blogId=newsdao",
            "https://rss.blog.naver.com/newsdao.xml",
        ),
        ("https://BLOG.NAVER.COM/newsdao", "https://rss.blog.naver.com/newsdao.xml"),
        ("https://rss.blog.naver.com/newsdao.xml", "https://rss.blog.naver.com/newsdao.xml"),
        ("https://newsdao.tistory.com", "https://newsdao.tistory.com/rss"),
        ("https://newsdao.tistory.com/", "https://newsdao.tistory.com/rss"),
        ("http://newsdao.tistory.com/123", "https://newsdao.tistory.com/rss"),
        ("https://NewsDao.Tistory.com/category/뉴스", "https://newsdao.tistory.com/rss"),
        ("https://news-dao.tistory.com/m/5?x=1#c", "https://news-dao.tistory.com/rss"),
        ("  https://newsdao.tistory.com/rss  ", "https://newsdao.tistory.com/rss"),
    ],
)
def test_known_platform_feeds(url: str, feed: str) -> None:
    assert known_feed_url(url) == feed


@pytest.mark.parametrize(
    "url",
    [
        "https://blog.naver.com/",
        "https://blog.naver.com",
        "https://blog.naver.com/BlogHome.naver",
        "https://blog.naver.com/PostList.naver",
        "https://blog.naver.com/PostList.naver?blogId=",
        "https://blog.naver.com/prologue/PrologueList.naver",
        "https://section.blog.naver.com/BlogHome.naver",
        "https://news.naver.com/main/",
        "https://www.tistory.com/",
        "https://tistory.com/",
        "https://a.b.tistory.com/",
        "https://tistory.com.evil.example/",
        "https://newsdao.tistory.com.evil.example/",
        "https://blog.example/",
        "ftp://newsdao.tistory.com/",
        "newsdao.tistory.com",
        "http://[::1",
        "",
    ],
)
def test_other_urls_have_no_known_feed(url: str) -> None:
    assert known_feed_url(url) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://blog.naver.com/newsroom/223456789012?fromRss=true&trackingCode=rss",
            "https://blog.naver.com/PostView.naver?blogId=newsroom&logNo=223456789012",
        ),
        (
            "https://m.blog.naver.com/newsroom/223456789012",
            "https://blog.naver.com/PostView.naver?blogId=newsroom&logNo=223456789012",
        ),
        ("https://blog.naver.com/newsroom", "https://blog.naver.com/newsroom"),
        ("https://example.tistory.com/12", "https://example.tistory.com/12"),
        ("http://[::1", "http://[::1"),
    ],
)
def test_article_page_url_unframes_naver_blog_posts(url: str, expected: str) -> None:
    from sokbo.extract.discovery import article_page_url

    assert article_page_url(url) == expected
