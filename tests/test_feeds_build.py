"""Tests for feeds.build: RSS and Atom read back intact, in order, and identical on every build."""

from __future__ import annotations

import calendar
import dataclasses
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import feedparser
import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st
from lxml import etree

from feeds.build import EPOCH, build_atom, build_rss, xml_safe
from feeds.model import FeedEntry, FeedMeta

Builder = Callable[[FeedMeta, Sequence[FeedEntry]], bytes]

KST = timezone(timedelta(hours=9))
ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"

META = FeedMeta(
    id="demo",
    title="속보 데모",
    link="https://news.example.kr/",
    description="Breaking news, re-published",
    language="ko",
    self_url_rss="https://news.example.kr/feed.xml",
    self_url_atom="https://news.example.kr/atom.xml",
)

BUILDERS = [pytest.param(build_rss, id="rss"), pytest.param(build_atom, id="atom")]


def _entry(n: int, published: datetime, **changes: Any) -> FeedEntry:
    link = f"https://news.example.kr/2024/05/post-{n}/"
    entry = FeedEntry(
        title=f"속보 {n}: 제목",
        link=link,
        guid=link,
        published=published,
        updated=published + timedelta(minutes=30),
        summary=f"요약 {n}",
        content_html=f"<p>본문 {n} <a href='https://news.example.kr/'>link</a></p>",
        categories=(f"cat-{n}", "정치"),
    )
    return dataclasses.replace(entry, **changes)


def _parse(data: bytes) -> Any:
    # Sanitising and URI resolution are what a reader chooses to do for display; with them
    # off, feedparser reports what the feed actually carries.
    return feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)


def _epoch(parsed: Any) -> int:
    """Seconds since the epoch of a feedparser ``*_parsed`` value (always UTC)."""
    return calendar.timegm(parsed)


def _raw_entry_texts(data: bytes, rss_tag: str, atom_tag: str) -> list[str]:
    """The exact text of one element of every entry, read by a strict XML parser."""
    root = etree.fromstring(data)
    if root.tag == "rss":
        elements = root.findall(f"channel/item/{rss_tag}")
    else:
        elements = root.findall(f"{ATOM}entry/{ATOM}{atom_tag}")
    return [element.text or "" for element in elements]


# Deliberately out of order, with mixed offsets: 09:00 KST is 00:00 UTC, so `mid` is newest.
NEWEST = _entry(1, datetime(2024, 5, 2, 9, 30, tzinfo=KST))
MID = _entry(2, datetime(2024, 5, 2, 0, 15, tzinfo=UTC))
OLD = _entry(3, datetime(2024, 5, 1, 23, 59, tzinfo=KST), guid="urn:sokbo:3")
OLDEST = _entry(4, datetime(2024, 4, 30, 12, 0, tzinfo=UTC), categories=())
EXPECTED_ORDER = [NEWEST, MID, OLD, OLDEST]


def _shuffled(entries: Sequence[FeedEntry], seed: int) -> list[FeedEntry]:
    shuffled = list(entries)
    random.Random(seed).shuffle(shuffled)
    return shuffled


@pytest.mark.parametrize("build", BUILDERS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_entries_round_trip_newest_first(build: Builder, seed: int) -> None:
    parsed = _parse(build(META, _shuffled(EXPECTED_ORDER, seed)))

    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert [e.title for e in parsed.entries] == [e.title for e in EXPECTED_ORDER]
    for got, want in zip(parsed.entries, EXPECTED_ORDER, strict=True):
        assert got.link == want.link
        assert got.id == want.guid
        assert got.summary == want.summary
        assert got.content[0].value == want.content_html
        assert [tag.term for tag in got.get("tags", [])] == list(want.categories)
        assert _epoch(got.published_parsed) == int(want.published.timestamp())


def test_atom_entries_carry_updated() -> None:
    parsed = _parse(build_atom(META, EXPECTED_ORDER))

    # RSS items have no updated date of their own, so this is Atom only.
    updated = [_epoch(e.updated_parsed) for e in parsed.entries]
    assert updated == [int(e.updated.timestamp()) for e in EXPECTED_ORDER]


@pytest.mark.parametrize(
    ("build", "self_url", "self_type"),
    [
        pytest.param(build_rss, META.self_url_rss, "application/rss+xml", id="rss"),
        pytest.param(build_atom, META.self_url_atom, "application/atom+xml", id="atom"),
    ],
)
def test_feed_links(build: Builder, self_url: str, self_type: str) -> None:
    parsed = _parse(build(META, EXPECTED_ORDER))

    assert parsed.bozo == 0
    self_links = [link for link in parsed.feed.links if link.rel == "self"]
    assert [(link.href, link.type) for link in self_links] == [(self_url, self_type)]
    # The self link must not displace the site link (feedgen uses its last link for RSS).
    assert parsed.feed.link == META.link


@pytest.mark.parametrize("build", BUILDERS)
def test_feed_updated_is_newest_entrys_updated(build: Builder) -> None:
    parsed = _parse(build(META, _shuffled(EXPECTED_ORDER, 3)))

    assert _epoch(parsed.feed.updated_parsed) == int(NEWEST.updated.timestamp())


def test_rss_last_build_date_and_pub_date_agree() -> None:
    channel = etree.fromstring(build_rss(META, EXPECTED_ORDER)).find("channel")
    assert channel is not None

    last_build = channel.findtext("lastBuildDate")
    assert last_build == "Thu, 02 May 2024 10:00:00 +0900"  # NEWEST.updated, as given
    assert channel.findtext("pubDate") == last_build


@pytest.mark.parametrize("build", BUILDERS)
def test_feed_updated_counts_a_later_edit_of_an_older_entry(build: Builder) -> None:
    # The feed last changed when any entry did, even one that is not the newest post.
    edited = dataclasses.replace(OLDEST, updated=NEWEST.updated + timedelta(hours=5))
    parsed = _parse(build(META, [NEWEST, MID, edited]))

    assert [e.id for e in parsed.entries] == [NEWEST.guid, MID.guid, edited.guid]
    assert _epoch(parsed.feed.updated_parsed) == int(edited.updated.timestamp())


def test_rss_channel_fields() -> None:
    data = build_rss(META, EXPECTED_ORDER)
    parsed = _parse(data)

    assert parsed.version == "rss20"
    assert parsed.feed.title == META.title
    assert parsed.feed.subtitle == META.description
    assert parsed.feed.language == META.language
    assert parsed.feed.generator == "sokbo"
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<rss")
    assert b"\n    <item>\n" in data  # pretty-printed


def test_atom_feed_fields() -> None:
    data = build_atom(META, EXPECTED_ORDER)
    parsed = _parse(data)

    assert parsed.version == "atom10"
    assert parsed.feed.id == META.link
    assert parsed.feed.title == META.title
    assert parsed.feed.subtitle == META.description
    assert parsed.feed.language == META.language
    assert parsed.feed.author_detail.name == META.title
    assert parsed.feed.generator == "sokbo"
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<feed")
    assert b"\n  <entry>\n" in data


@pytest.mark.parametrize("link", ["https://news.example.kr", "https://news.example.kr//"])
def test_atom_id_normalises_the_trailing_slash(link: str) -> None:
    meta = dataclasses.replace(META, link=link)

    assert _parse(build_atom(meta, [])).feed.id == "https://news.example.kr/"


def test_rss_guid_is_permalink_only_when_it_is_the_link() -> None:
    root = etree.fromstring(build_rss(META, EXPECTED_ORDER))

    flags = {}
    for guid in root.iter("guid"):
        flags[guid.text] = guid.get("isPermaLink")
    assert flags == {
        NEWEST.guid: "true",
        MID.guid: "true",
        "urn:sokbo:3": "false",
        OLDEST.guid: "true",
    }


def test_equal_published_dates_are_ordered_by_guid() -> None:
    when = datetime(2024, 5, 2, 12, 0, tzinfo=KST)
    # The same instant written with two different offsets still counts as a tie.
    b = _entry(5, when, guid="urn:b")
    a = _entry(6, when.astimezone(UTC), guid="urn:a")
    c = _entry(7, when, guid="urn:c")

    for build in (build_rss, build_atom):
        outputs = {build(META, order) for order in ([b, a, c], [c, b, a], [a, c, b])}
        assert len(outputs) == 1
        assert [e.id for e in _parse(outputs.pop()).entries] == ["urn:a", "urn:b", "urn:c"]


@pytest.mark.parametrize("build", BUILDERS)
def test_building_is_deterministic(build: Builder) -> None:
    first = build(META, EXPECTED_ORDER)

    assert build(META, EXPECTED_ORDER) == first
    assert build(META, _shuffled(EXPECTED_ORDER, 4)) == first


@pytest.mark.parametrize("build", BUILDERS)
def test_empty_feed_is_valid_and_stamped_with_the_epoch(build: Builder) -> None:
    data = build(META, [])
    parsed = _parse(data)

    assert build(META, []) == data
    assert parsed.bozo == 0
    assert parsed.entries == []
    assert parsed.feed.title == META.title
    assert _epoch(parsed.feed.updated_parsed) == int(EPOCH.timestamp()) == 0


@pytest.mark.parametrize("build", BUILDERS)
@pytest.mark.parametrize("field", ["published", "updated"])
def test_naive_datetime_is_rejected(build: Builder, field: str) -> None:
    changes: dict[str, Any] = {field: datetime(2024, 5, 2, 9, 30)}
    naive = dataclasses.replace(NEWEST, **changes)

    with pytest.raises(ValueError, match=f"{field} is a naive datetime"):
        build(META, [MID, naive])


@pytest.mark.parametrize("build", BUILDERS)
@pytest.mark.parametrize("field", ["title", "link", "description"])
def test_missing_site_details_are_rejected(build: Builder, field: str) -> None:
    meta = dataclasses.replace(META, **{field: " \x00 "})

    with pytest.raises(ValueError, match=f"FeedMeta.{field} is empty"):
        build(meta, [])


@pytest.mark.parametrize("build", BUILDERS)
def test_empty_guid_is_rejected(build: Builder) -> None:
    with pytest.raises(ValueError, match="empty guid"):
        build(META, [dataclasses.replace(NEWEST, guid="\x01")])


# Every C0 control XML forbids, plus markup, entities, CDATA's terminator and non-ASCII.
HOSTILE_TITLE = "속보\x00: 北 ]]> <script>alert(1)</script> &amp; 🚨\x01\x08\x0b\x0c\x1f\x7f 끝"
HOSTILE_SUMMARY = "첫 줄\r\n둘째\t줄 ]]> <b>&lt;</b>\x0e\x1b 😀"
HOSTILE_HTML = "<p>본문 ]]> &amp; <script>x()</script>\x00<![CDATA[y]]></p>\ufffe\uffff\ud800"


@pytest.mark.parametrize("build", BUILDERS)
def test_hostile_text_survives_except_for_forbidden_characters(build: Builder) -> None:
    entry = dataclasses.replace(
        NEWEST,
        title=HOSTILE_TITLE,
        summary=HOSTILE_SUMMARY,
        content_html=HOSTILE_HTML,
        categories=("정치\x00", "]]>", "<b>", "a&b", "\x1f"),
    )
    parsed = _parse(build(META, [entry]))

    assert parsed.bozo == 0, parsed.get("bozo_exception")
    got = parsed.entries[0]
    # Spelled out instead of via xml_safe(), so a wrong xml_safe() cannot hide here. U+007F
    # stays: XML 1.0 allows it.
    assert got.title == "속보: 北 ]]> <script>alert(1)</script> &amp; 🚨\x7f 끝"
    assert got.summary == "첫 줄\r\n둘째\t줄 ]]> <b>&lt;</b> 😀"
    assert got.content[0].value == "<p>본문 ]]> &amp; <script>x()</script><![CDATA[y]]></p>"
    assert [tag.term for tag in got.tags] == ["정치", "]]>", "<b>", "a&b"]


@pytest.mark.parametrize("build", BUILDERS)
def test_text_that_cleans_down_to_nothing_keeps_its_elements(build: Builder) -> None:
    blank = dataclasses.replace(NEWEST, title="\x00", summary="", content_html="\x1f")
    data = build(META, [blank])
    parsed = _parse(data)

    assert parsed.bozo == 0
    assert parsed.entries[0].title == ""
    assert parsed.entries[0].summary == ""
    assert parsed.entries[0].content[0].value == ""
    # feedgen would otherwise move the HTML into the RSS description or refuse the title.
    assert _raw_entry_texts(data, "title", "title") == [""]
    assert _raw_entry_texts(data, CONTENT_ENCODED, "content") == [""]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("plain 한글 😀", "plain 한글 😀"),
        ("tab\tnewline\ncr\r", "tab\tnewline\ncr\r"),
        ("a\x00b\x08c\x0bd\x0ce\x0ef\x1fg", "abcdefg"),
        ("del\x7f c1\x80\x85\x9f", "del\x7f c1\x80\x85\x9f"),
        ("nonchar\ufffe\uffff ok\ufffd\ufdd0\U0001fffe", "nonchar ok\ufffd\ufdd0\U0001fffe"),
        ("lone\ud800 \udfff surrogates", "lone  surrogates"),
        ("]]> <x> &amp;", "]]> <x> &amp;"),
    ],
)
def test_xml_safe(text: str, expected: str) -> None:
    assert xml_safe(text) == expected


def test_xml_safe_removes_exactly_what_lxml_refuses() -> None:
    # Every code point, in text and in attributes: xml_safe() must keep all that lxml takes
    # (so no text is lost needlessly) and drop all it refuses (so feedgen cannot raise).
    element = etree.Element("probe")
    disagreements = []
    for code_point in range(0x110000):
        char = chr(code_point)
        try:
            element.text = char
            element.set("attr", char)
            accepted = True
        except (ValueError, UnicodeEncodeError):
            accepted = False
        if accepted != (xml_safe(char) == char):
            disagreements.append(hex(code_point))
    assert disagreements == []


# st.text() leaves out surrogates and rarely hits the interesting substrings, so both are
# added; the result is still arbitrary text.
_TRICKY = st.sampled_from(
    ["]]>", "<script>", "</b>", "&amp;", "&#0;", "\x00", "\x1f", "\ud800", "\ufffe", "\r\n", " "]
)
ARBITRARY_TEXT = st.lists(
    st.one_of(st.text(), st.text(st.characters(exclude_categories=())), _TRICKY)
).map("".join)


def _feedparser_rewrites(text: str) -> bool:
    """Whether feedparser alters ``text`` on purpose even when the XML carries it exactly.

    feedparser maps C1 controls to the cp1252 characters they are usually mistaken for, and
    "repairs" text that is all Latin-1 yet valid UTF-8 as bytes, guessing mojibake. Neither
    is the feed's doing, so such titles are checked with lxml alone.
    """
    if any("\x80" <= char <= "\x9f" for char in text):
        return True
    try:
        return text.encode("latin-1").decode("utf-8") != text
    except UnicodeError:
        return False


@settings(max_examples=300, deadline=None)
@given(title=ARBITRARY_TEXT)
def test_any_title_gives_a_valid_feed_that_reads_back(title: str) -> None:
    expected = xml_safe(title)
    note(f"expected={expected!r}")
    entry = dataclasses.replace(NEWEST, title=title)
    for build in (build_rss, build_atom):
        data = build(META, [entry])
        parsed = _parse(data)

        assert parsed.bozo == 0, parsed.get("bozo_exception")
        # A strict XML parser sees exactly the cleaned title: nothing else lost or added.
        assert _raw_entry_texts(data, "title", "title") == [expected]
        # feedparser strips surrounding whitespace from every element (str.strip()), and
        # with sanitising off it leaves HTML-looking titles alone, so the only other
        # difference allowed is its deliberate rewriting of C1 and Latin-1 text.
        if not _feedparser_rewrites(expected):
            assert parsed.entries[0].title == expected.strip()


@settings(max_examples=150, deadline=None)
@given(summary=ARBITRARY_TEXT, html=ARBITRARY_TEXT, category=ARBITRARY_TEXT)
def test_any_text_in_other_fields_gives_a_valid_feed(
    summary: str, html: str, category: str
) -> None:
    entry = dataclasses.replace(NEWEST, summary=summary, content_html=html, categories=(category,))
    for build in (build_rss, build_atom):
        data = build(META, [entry])

        assert _parse(data).bozo == 0
        assert _raw_entry_texts(data, "description", "summary") == [xml_safe(summary)]
        assert _raw_entry_texts(data, CONTENT_ENCODED, "content") == [xml_safe(html)]
