"""Sitemap reading: XML urlsets and indexes, Google News, gzip, text, robots.txt."""

from __future__ import annotations

import gzip
import zlib
from datetime import UTC, datetime

import pytest

from sokbo.demo.server import SITE_ROOT
from sokbo.extract import sitemap
from sokbo.extract.sitemap import (
    MAX_SITEMAP_BYTES,
    Sitemap,
    SitemapEntry,
    SitemapError,
    parse_sitemap,
    sitemaps_from_robots,
)

URL = "https://news.example/sitemaps/sitemap.xml"
SM = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
NEWS = 'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"'


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


def urlset(body: str, attrs: str = SM, declaration: str = '<?xml version="1.0"?>') -> bytes:
    return f"{declaration}\n<urlset {attrs}>\n{body}\n</urlset>\n".encode()


def locs(result: Sitemap) -> list[str]:
    return [entry.loc for entry in result.entries]


# --- urlset ----------------------------------------------------------------------------

URLSET = urlset(
    """
  <url>
    <loc>https://news.example/2024/07/29/first</loc>
    <lastmod>2024-07-29T10:05:00+09:00</lastmod>
    <changefreq>hourly</changefreq>
    <priority>0.8</priority>
  </url>
  <url>
    <loc>
      https://news.example/2024/07/28/second?a=1&amp;b=2
    </loc>
    <lastmod>2024-07-28</lastmod>
  </url>
  <url><loc><![CDATA[https://news.example/cdata]]></loc><lastmod>2024-07-27T23:00Z</lastmod></url>
  <url><loc>https://news.example/no-lastmod</loc></url>
""",
    attrs=SM + ' xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"',
)


def test_a_urlset() -> None:
    result = parse_sitemap(URLSET, URL)
    assert result == Sitemap(
        "urlset",
        [
            SitemapEntry("https://news.example/2024/07/29/first", utc(2024, 7, 29, 1, 5)),
            # Whitespace around a loc is trimmed; &amp; is the XML spelling of &.
            SitemapEntry("https://news.example/2024/07/28/second?a=1&b=2", utc(2024, 7, 28)),
            SitemapEntry("https://news.example/cdata", utc(2024, 7, 27, 23)),
            SitemapEntry("https://news.example/no-lastmod", None),
        ],
    )
    for entry in result.entries:
        assert entry.lastmod is None or entry.lastmod.tzinfo is not None


def test_without_a_namespace_the_same_entries() -> None:
    bare = URLSET.replace(SM.encode(), b"").replace(b"xmlns:image", b"data-x")
    assert b"sitemaps.org" not in bare
    assert parse_sitemap(bare, URL) == parse_sitemap(URLSET, URL)


def test_another_namespace_and_a_prefix() -> None:
    old_google = urlset(
        "<url><loc>https://news.example/a</loc></url>",
        attrs='xmlns="http://www.google.com/schemas/sitemap/0.84"',
    )
    assert locs(parse_sitemap(old_google, URL)) == ["https://news.example/a"]
    prefixed = (
        b'<sm:urlset xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<sm:url><sm:loc>https://news.example/b</sm:loc></sm:url></sm:urlset>"
    )
    assert locs(parse_sitemap(prefixed, URL)) == ["https://news.example/b"]


def test_extensions_do_not_add_entries() -> None:
    body = urlset(
        """<url><loc>https://news.example/page</loc>
        <image:image><image:loc>https://img.example/1.jpg</image:loc></image:image>
        <xhtml:link rel="alternate" hreflang="en" href="https://news.example/en/page"/>
        <video:video><video:title>v</video:title></video:video></url>""",
        attrs=SM + ' xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"'
        ' xmlns:xhtml="http://www.w3.org/1999/xhtml"'
        ' xmlns:video="http://www.google.com/schemas/sitemap-video/1.1"',
    )
    assert parse_sitemap(body, URL) == Sitemap(
        "urlset", [SitemapEntry("https://news.example/page", None)]
    )


def test_locs_relative_missing_or_not_http() -> None:
    body = urlset(
        """<url><loc>/2024/07/root-relative</loc></url>
        <url><loc>page-relative</loc></url>
        <url><loc>//cdn.news.example/scheme-relative</loc></url>
        <url><loc>HTTP://News.Example/upper</loc></url>
        <url><loc>javascript:alert(1)</loc></url>
        <url><loc>mailto:desk@news.example</loc></url>
        <url><loc>ftp://news.example/file</loc></url>
        <url><loc>http://[::1</loc></url>
        <url><loc>https://</loc></url>
        <url><loc>   </loc></url>
        <url><loc/></url>
        <url><lastmod>2024-07-29</lastmod></url>
        <url><loc>https://news.example/last</loc></url>"""
    )
    assert locs(parse_sitemap(body, URL)) == [
        "https://news.example/2024/07/root-relative",
        "https://news.example/sitemaps/page-relative",
        "https://cdn.news.example/scheme-relative",
        "HTTP://News.Example/upper",
        "https://news.example/last",
    ]


@pytest.mark.parametrize(
    ("lastmod", "expected"),
    [
        ("2024-07-29T10:05:00+09:00", utc(2024, 7, 29, 1, 5)),
        ("2024-07-29T01:05:00Z", utc(2024, 7, 29, 1, 5)),
        ("2024-07-29T01:05Z", utc(2024, 7, 29, 1, 5)),
        ("2024-07-29T01:05:00.123Z", datetime(2024, 7, 29, 1, 5, 0, 123000, tzinfo=UTC)),
        ("2024-07-29t01:05:00z", utc(2024, 7, 29, 1, 5)),
        ("2024-07-29 10:05:00+0900", utc(2024, 7, 29, 1, 5)),
        ("2024-07-28T20:05:00-05:00", utc(2024, 7, 29, 1, 5)),
        ("2024-07-29", utc(2024, 7, 29)),  # date-only: midnight UTC
        ("2024-07", utc(2024, 7, 1)),
        ("2024", utc(2024, 1, 1)),
        ("  2024-07-29  ", utc(2024, 7, 29)),
        ("Mon, 29 Jul 2024 10:05:00 +0900", utc(2024, 7, 29, 1, 5)),  # RFC 822, leniently
        ("2024-07-29T10:05:00", None),  # a time without a zone names no instant
        ("2024-13-01", None),
        ("2024-02-30", None),
        ("2024-07-29T24:00:00Z", None),
        ("2024-07-29T10:05:00+25:00", None),
        ("0001-01-01T00:00:00+09:00", None),  # before datetime.min in UTC
        ("29/07/2024", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_lastmod_dates(lastmod: str, expected: datetime | None) -> None:
    body = urlset(f"<url><loc>https://news.example/a</loc><lastmod>{lastmod}</lastmod></url>")
    [entry] = parse_sitemap(body, URL).entries
    assert entry.lastmod == expected
    assert entry.lastmod is None or entry.lastmod.utcoffset() is not None


# --- sitemap index ---------------------------------------------------------------------


def test_a_sitemap_index() -> None:
    body = f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex {SM}>
  <sitemap><loc>https://news.example/sitemap-news.xml</loc>
    <lastmod>2024-07-29T10:05:00+09:00</lastmod></sitemap>
  <sitemap><loc>sitemap-2024-07.xml.gz</loc><lastmod>not a date</lastmod></sitemap>
  <sitemap><loc>mailto:x@news.example</loc></sitemap>
  <url><loc>https://news.example/not-a-child-sitemap</loc></url>
</sitemapindex>""".encode()
    assert parse_sitemap(body, URL) == Sitemap(
        "index",
        [
            SitemapEntry("https://news.example/sitemap-news.xml", utc(2024, 7, 29, 1, 5)),
            SitemapEntry("https://news.example/sitemaps/sitemap-2024-07.xml.gz", None),
        ],
    )
    bare = parse_sitemap(body.replace(SM.encode(), b""), URL)
    assert bare == parse_sitemap(body, URL)


def test_empty_documents_are_empty_sitemaps() -> None:
    assert parse_sitemap(urlset(""), URL) == Sitemap("urlset", [])
    assert parse_sitemap(b"<sitemapindex/>", URL) == Sitemap("index", [])


# --- Google News -----------------------------------------------------------------------

NEWS_SITEMAP = urlset(
    """
<url>
  <loc>https://news.example/2024/07/29/breaking</loc>
  <lastmod>2024-07-29T10:30:00+09:00</lastmod>
  <news:news>
    <news:publication>
      <news:name>속보 뉴스</news:name>
      <news:language> ko </news:language>
    </news:publication>
    <news:publication_date>2024-07-29T10:05:00+09:00</news:publication_date>
    <news:title><![CDATA[[속보] 서울 "폭우" & 정전
       ... 1,000가구]]></news:title>
    <news:keywords>속보, 날씨 ,, 서울 정전 ,</news:keywords>
  </news:news>
</url>
<url>
  <loc>https://news.example/2024/07/29/date-only</loc>
  <news:news>
    <news:publication><news:name>x</news:name><news:language>en</news:language></news:publication>
    <news:publication_date>2024-07-29</news:publication_date>
    <news:title>Date &amp; only</news:title>
  </news:news>
</url>
<url>
  <loc>https://news.example/2024/07/29/bad</loc>
  <news:news>
    <news:publication_date>next tuesday</news:publication_date>
    <news:title>   </news:title>
    <news:keywords></news:keywords>
  </news:news>
</url>
""",
    attrs=f"{SM} {NEWS}",
)


def test_news_fields() -> None:
    breaking, date_only, bad = parse_sitemap(NEWS_SITEMAP, URL).entries
    assert breaking == SitemapEntry(
        "https://news.example/2024/07/29/breaking",
        utc(2024, 7, 29, 1, 30),
        news_title='[속보] 서울 "폭우" & 정전 ... 1,000가구',  # whitespace runs collapsed
        news_published=utc(2024, 7, 29, 1, 5),
        news_keywords=("속보", "날씨", "서울 정전"),
        language="ko",
    )
    assert date_only.news_published == utc(2024, 7, 29)
    assert (date_only.news_title, date_only.language) == ("Date & only", "en")
    assert date_only.lastmod is None
    assert bad == SitemapEntry("https://news.example/2024/07/29/bad", None)


def test_news_with_an_undeclared_prefix() -> None:
    # A common mistake: news:* elements without xmlns:news. lxml recovers them.
    body = NEWS_SITEMAP.replace(NEWS.encode(), b"")
    assert parse_sitemap(body, URL) == parse_sitemap(NEWS_SITEMAP, URL)


def test_news_in_another_namespace() -> None:
    body = NEWS_SITEMAP.replace(b"http://www.google.com/schemas/sitemap-news", b"https://x.example")
    assert parse_sitemap(body, URL) == parse_sitemap(NEWS_SITEMAP, URL)


# --- encodings -------------------------------------------------------------------------


@pytest.mark.parametrize("label", ["euc-kr", "EUC-KR", "ks_c_5601-1987", "cp949"])
def test_an_euc_kr_sitemap_with_cp949_only_syllables(label: str) -> None:
    # 똠 and 햏 are not in EUC-KR (KS X 1001) but in its superset CP949, which Korean
    # sites really write; libxml2's own EUC-KR decoder stops at them.
    text = NEWS_SITEMAP.decode("utf-8").replace("속보 뉴스", "똠방각하").replace("정전", "햏햏")
    body = text.replace('<?xml version="1.0"?>', f"<?xml version='1.0' encoding='{label}' ?>")
    entries = parse_sitemap(body.encode("cp949"), URL).entries
    assert len(entries) == 3
    assert entries[0].news_title == '[속보] 서울 "폭우" & 햏햏 ... 1,000가구'
    assert entries[0].news_keywords == ("속보", "날씨", "서울 햏햏")


def test_utf8_bom_and_utf16() -> None:
    assert parse_sitemap(b"\xef\xbb\xbf" + URLSET, URL) == parse_sitemap(URLSET, URL)
    utf16 = URLSET.decode().replace('version="1.0"', 'version="1.0" encoding="UTF-16"')
    assert parse_sitemap(utf16.encode("utf-16"), URL) == parse_sitemap(URLSET, URL)


def test_leading_whitespace_before_the_declaration() -> None:
    assert parse_sitemap(b"\n\n  " + URLSET, URL) == parse_sitemap(URLSET, URL)


# --- gzip ------------------------------------------------------------------------------


def test_gzip() -> None:
    assert parse_sitemap(gzip.compress(URLSET), URL) == parse_sitemap(URLSET, URL)
    assert parse_sitemap(gzip.compress(NEWS_SITEMAP), URL) == parse_sitemap(NEWS_SITEMAP, URL)


def test_gzip_with_several_members_and_padding() -> None:
    half = len(URLSET) // 2
    body = gzip.compress(URLSET[:half]) + gzip.compress(URLSET[half:]) + b"\x00" * 8
    assert parse_sitemap(body, URL) == parse_sitemap(URLSET, URL)


def test_a_gzip_bomb_is_refused_without_inflating_it(monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = gzip.compress(b"\x00" * (8 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 16 * 1024
    monkeypatch.setattr(sitemap, "MAX_SITEMAP_BYTES", 1024 * 1024)
    chunks: list[int] = []
    original = zlib.decompressobj

    class Spy:
        """Records every max_length asked of zlib: never more than the cap (plus one)."""

        def __init__(self, wbits: int) -> None:
            self.inner = original(wbits)

        def decompress(self, data: bytes, max_length: int = 0) -> bytes:
            chunks.append(max_length)
            return self.inner.decompress(data, max_length)

        def __getattr__(self, name: str) -> object:
            return getattr(self.inner, name)

    monkeypatch.setattr(zlib, "decompressobj", Spy)
    with pytest.raises(SitemapError, match="larger than 1048576 bytes"):
        parse_sitemap(bomb, URL)
    assert chunks and all(0 < n <= 1024 * 1024 + 1 for n in chunks)


def test_the_cap_applies_to_plain_bodies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sitemap, "MAX_SITEMAP_BYTES", len(URLSET) - 1)
    with pytest.raises(SitemapError, match="larger than"):
        parse_sitemap(URLSET, URL)
    monkeypatch.setattr(sitemap, "MAX_SITEMAP_BYTES", len(URLSET))
    assert len(parse_sitemap(URLSET, URL).entries) == 4
    assert len(parse_sitemap(gzip.compress(URLSET), URL).entries) == 4


def test_the_default_cap() -> None:
    assert MAX_SITEMAP_BYTES == 50 * 1024 * 1024


@pytest.mark.parametrize(
    "body",
    [
        gzip.compress(URLSET)[:-20],  # cut short
        gzip.compress(URLSET)[:10],  # the header alone
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\xff" * 40,  # not deflate data
    ],
    ids=["truncated", "header", "corrupt"],
)
def test_broken_gzip_raises(body: bytes) -> None:
    with pytest.raises(SitemapError, match="gzip"):
        parse_sitemap(body, URL)


# --- text sitemaps ---------------------------------------------------------------------


def test_a_text_sitemap() -> None:
    body = (
        b"\xef\xbb\xbfhttps://news.example/1\r\n"
        b"\n"
        b"   https://news.example/2   \n"
        b"http://news.example/%EC%86%8D%EB%B3%B4\n"
        b"/relative/is/not/a/sitemap/url\n"
        b"ftp://news.example/file\n"
        b"https://news.example/with a space\n"
        b"https://news.example/\xec\x86\x8d\xeb\xb3\xb4"
    )
    assert parse_sitemap(body, "https://news.example/sitemap.txt") == Sitemap(
        "urlset",
        [
            SitemapEntry("https://news.example/1", None),
            SitemapEntry("https://news.example/2", None),
            SitemapEntry("http://news.example/%EC%86%8D%EB%B3%B4", None),
            SitemapEntry("https://news.example/속보", None),
        ],
    )


def test_a_gzipped_text_sitemap() -> None:
    body = gzip.compress(b"https://news.example/1\nhttps://news.example/2\n")
    assert locs(parse_sitemap(body, URL)) == ["https://news.example/1", "https://news.example/2"]


# --- not a sitemap ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ((SITE_ROOT / "index.html").read_bytes(), "root element is <html>"),
        (b"<!DOCTYPE html><html><head><title>x</title></head><body><p>a<br>b", "<html>"),
        (b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"/>', "<html>"),
        ((SITE_ROOT / "rss.xml").read_bytes(), "root element is <rss>"),
        ((SITE_ROOT / "atom.xml").read_bytes(), "root element is <feed>"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": []}', "neither XML nor"),
        ((SITE_ROOT / "robots.txt").read_bytes(), "neither XML nor"),
        (b"Sitemap: https://news.example/sitemap.xml\n", "neither XML nor"),
        (b"Service Unavailable", "neither XML nor"),
        (bytes(range(256)) * 8, "neither XML nor"),
        (b"", "empty"),
        (b" \r\n\t ", "empty"),
        (b"\xef\xbb\xbf", "empty"),
        (b"<<<>>>", "unreadable XML"),
        (b"<", "unreadable XML"),
        (gzip.compress(b""), "empty"),
        (gzip.compress(b"<html><body>gzipped page</body></html>"), "<html>"),
    ],
    ids=[
        "demo-page",
        "html5",
        "xhtml",
        "rss",
        "atom",
        "json-feed",
        "robots",
        "robots-line",
        "text",
        "garbage",
        "empty",
        "blank",
        "bom",
        "brackets",
        "lt",
        "gzip-empty",
        "gzip-html",
    ],
)
def test_not_a_sitemap(body: bytes, message: str) -> None:
    with pytest.raises(SitemapError, match="not a sitemap") as raised:
        parse_sitemap(body, URL)
    assert message in str(raised.value)


# --- hostile XML -----------------------------------------------------------------------


def test_external_entities_are_not_resolved() -> None:
    body = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [
  <!ENTITY secret SYSTEM "file:///etc/hostname">
  <!ENTITY remote SYSTEM "http://127.0.0.1:9/x">
  <!ENTITY site "https://evil.example/">
]>
<urlset><url><loc>&secret;</loc></url><url><loc>&remote;</loc></url>
<url><loc>&site;page</loc></url><url><loc>https://news.example/ok</loc></url></urlset>"""
    # Entities are left unexpanded, and a loc made of one is no URL at all.
    assert locs(parse_sitemap(body, URL)) == ["https://news.example/ok"]


def test_a_billion_laughs_is_not_expanded() -> None:
    entities = ['<!ENTITY lol0 "lollollollollollollollollollol">']
    entities += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    body = (
        f"<?xml version='1.0'?><!DOCTYPE urlset [{''.join(entities)}]>"
        "<urlset><url><loc>https://news.example/&lol9;</loc></url>"
        "<url><loc>https://news.example/fine</loc></url></urlset>"
    ).encode()
    # libxml2 stops at the bomb without expanding it; the document is refused.
    with pytest.raises(SitemapError, match=r"refused: .*entity"):
        parse_sitemap(body, URL)


# --- broken XML, as real sitemaps often are ------------------------------------------------


def test_bare_ampersands_keep_the_whole_url() -> None:
    body = urlset(
        """<url><loc>https://news.example/view?idxno=1&sc=2&amp;x=3&#38;y=4&#x26;z</loc></url>
        <url><loc><![CDATA[https://news.example/cdata?a=1&amp;b=2&c]]></loc></url>
        <url><loc>https://news.example/q?&</loc><lastmod>2024-07-29</lastmod></url>"""
    )
    assert parse_sitemap(body, URL) == Sitemap(
        "urlset",
        [
            SitemapEntry("https://news.example/view?idxno=1&sc=2&x=3&y=4&z", None),
            # Inside CDATA "&amp;" is literal text, in a broken document as in a sound one.
            SitemapEntry("https://news.example/cdata?a=1&amp;b=2&c", None),
            SitemapEntry("https://news.example/q?&", utc(2024, 7, 29)),
        ],
    )


@pytest.mark.parametrize(
    ("cut_at", "kept"),
    [
        (b"https://news.example/2024/07/28/sec", 1),
        (b"</lastmod>\n  </url>\n  <url>", 2),
        (b"<lastmod>2024-07-28", 1),
        (b"<url><loc><![CDATA[https://news.example/cdata]]></loc>", 2),
        (b"<url><loc>https://news.example/no-lastmod</loc></url>", 4),
    ],
    ids=["mid-loc", "after-an-entry", "mid-lastmod", "before-the-url-end", "before-the-root-end"],
)
def test_a_document_cut_short(cut_at: bytes, kept: int) -> None:
    """An interrupted download: the entry the cut falls in is left out (a URL cut short
    is another URL, a lastmod cut short another date); the complete ones are kept."""
    cut = URLSET[: URLSET.index(cut_at) + len(cut_at)]
    assert parse_sitemap(cut, URL).entries == parse_sitemap(URLSET, URL).entries[:kept]


def test_control_characters_and_junk_after_the_root() -> None:
    body = (
        urlset(
            "<url><loc>https://news.example/1</loc></url>"
            "<url><loc>https://news.example/2\x01</loc></url>"
            "<url><loc>https://news.example/3</loc></url>"
        )
        + b"<junk/>"
    )
    assert locs(parse_sitemap(body, URL)) == [
        "https://news.example/1",
        "https://news.example/2",
        "https://news.example/3",
    ]


# --- robots.txt ------------------------------------------------------------------------


def test_sitemaps_from_robots() -> None:
    robots = (
        "\ufeffUser-agent: *\n"
        "Disallow: /admin\n"
        "Sitemap: https://news.example/sitemap.xml\n"
        "sitemap:https://news.example/news-sitemap.xml   # the news one\n"
        "SITEMAP :  /sitemap-index.xml.gz\r\n"
        "  SiteMap: sitemaps/more.xml\n"
        "# Sitemap: https://news.example/commented-out.xml\n"
        "Sitemap: https://news.example/sitemap.xml\n"
        "Sitemap:\n"
        "Sitemap: ftp://news.example/sitemap.xml\n"
        "Sitemap: javascript:alert(1)\n"
        "Sitemaps: https://news.example/not-the-field.xml\n"
        "Sitemap https://news.example/no-colon.xml\n"
        "Allow: /sitemap.xml\n"
        "Sitemap: //cdn.example/sitemap.xml\n"
        "Sitemap: https://other.example/cross-host.xml\n"
    )
    assert sitemaps_from_robots(robots, "https://news.example/robots.txt") == [
        "https://news.example/sitemap.xml",
        "https://news.example/news-sitemap.xml",
        "https://news.example/sitemap-index.xml.gz",
        "https://news.example/sitemaps/more.xml",
        "https://cdn.example/sitemap.xml",
        "https://other.example/cross-host.xml",
    ]


def test_robots_without_sitemaps() -> None:
    robots = (SITE_ROOT / "robots.txt").read_text(encoding="utf-8")
    assert sitemaps_from_robots(robots, "http://127.0.0.1:8941/robots.txt") == []
    assert sitemaps_from_robots("", "https://news.example/") == []
