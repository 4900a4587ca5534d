"""Tests for sokbo.publish.feeds.build: RSS and Atom read back intact, in order, and
identical on every build; authors, attribution, the lead image and the WebSub hub where
readers look for them."""

from __future__ import annotations

import calendar
import dataclasses
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from html import escape, unescape
from typing import Any

import feedparser
import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st
from lxml import etree

from sokbo.publish.feeds.build import EPOCH, build_atom, build_rss, xml_safe
from sokbo.publish.feeds.model import FeedEntry, FeedMeta
from sokbo.publish.feeds.prepare import image_type

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
    # RSS carries the excerpt as HTML (see test_rss_description_is_the_excerpt_as_text).
    summary = got.summary if build is build_atom else unescape(got.summary)
    assert summary == "첫 줄\r\n둘째\t줄 ]]> <b>&lt;</b> 😀"
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
        excerpt = xml_safe(summary)
        if build is build_rss:  # an RSS description is HTML: the text arrives escaped
            excerpt = escape(excerpt, quote=False)
        assert _raw_entry_texts(data, "description", "summary") == [excerpt]
        assert _raw_entry_texts(data, CONTENT_ENCODED, "content") == [xml_safe(html)]


# --- authors, attribution, the lead image, WebSub, ids ------------------------------------

DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
MEDIA_CONTENT = "{http://search.yahoo.com/mrss/}content"
ATOM_LINK = f"{ATOM}link"
HUB = "https://hub.example.net/"
ORIGINAL = "https://www.yna.co.kr/view/AKR20240502000100001"
IMAGE = "https://news.example.kr/img/lead.webp"


def _rich(**changes: Any) -> FeedEntry:
    """NEWEST with every optional field set."""
    fields: dict[str, Any] = {
        "authors": ("김기자", "Jane Doe"),
        "tags": ("북한", "정치"),  # "정치" is also a category: published once
        "source_url": ORIGINAL,
        "image": IMAGE,
    }
    return dataclasses.replace(NEWEST, **(fields | changes))


def _rss_item(data: bytes) -> Any:
    item = etree.fromstring(data).find("channel/item")
    assert item is not None
    return item


def _atom_entry(data: bytes) -> Any:
    entry = etree.fromstring(data).find(f"{ATOM}entry")
    assert entry is not None
    return entry


def _atom_links(element: Any) -> dict[str, dict[str, str]]:
    """An element's Atom links by rel (a link without rel is the alternate)."""
    links = element.findall(ATOM_LINK)
    return {link.get("rel", "alternate"): dict(link.attrib) for link in links}


def test_known_authors_are_credited_in_both_formats() -> None:
    entry = _rich()
    rss, atom = build_rss(META, [entry]), build_atom(META, [entry])

    # RSS's own <author> must be an e-mail address; Dublin Core carries a name.
    assert [e.text for e in _rss_item(rss).findall(DC_CREATOR)] == ["김기자", "Jane Doe"]
    assert _rss_item(rss).find("author") is None
    names = [e.findtext(f"{ATOM}name") for e in _atom_entry(atom).findall(f"{ATOM}author")]
    assert names == ["김기자", "Jane Doe"]
    for data in (rss, atom):
        parsed = _parse(data)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert {author.get("name") for author in parsed.entries[0].authors} == {
            "김기자",
            "Jane Doe",
        }


def test_an_entry_without_authors_is_the_sites_in_atom_only() -> None:
    entry = _rich(authors=(" ", "\x00"))  # blank once cleaned: nobody

    assert _rss_item(build_rss(META, [entry])).find(DC_CREATOR) is None
    atom = _atom_entry(build_atom(META, [entry]))
    assert [e.findtext(f"{ATOM}name") for e in atom.findall(f"{ATOM}author")] == [META.title]


def test_the_original_article_is_a_separate_link() -> None:
    entry = _rich()
    rss_item = _rss_item(build_rss(META, [entry]))
    atom_links = _atom_links(_atom_entry(build_atom(META, [entry])))

    source = rss_item.find("source")
    assert source is not None
    assert (source.get("url"), source.text) == (ORIGINAL, "www.yna.co.kr")
    assert rss_item.findtext("link") == entry.link  # the post stays the item's link
    assert atom_links["via"] == {"href": ORIGINAL, "rel": "via"}
    assert atom_links["alternate"]["href"] == entry.link
    parsed = _parse(build_atom(META, [entry]))
    assert parsed.entries[0].link == entry.link


@pytest.mark.parametrize("source_url", [None, NEWEST.link])
def test_no_separate_link_without_another_source(source_url: str | None) -> None:
    entry = _rich(source_url=source_url)

    assert _rss_item(build_rss(META, [entry])).find("source") is None
    assert "via" not in _atom_links(_atom_entry(build_atom(META, [entry])))


def test_lead_image_is_an_enclosure_and_media_content() -> None:
    entry = _rich()
    rss_item = _rss_item(build_rss(META, [entry]))
    atom_entry = _atom_entry(build_atom(META, [entry]))

    enclosure = rss_item.find("enclosure")
    assert enclosure is not None
    # RSS requires a length: 0 says "unknown" (RSS Best Practices Profile).
    assert dict(enclosure.attrib) == {"url": IMAGE, "length": "0", "type": "image/webp"}
    # Atom leaves an unknown length out rather than claim one.
    assert _atom_links(atom_entry)["enclosure"] == {
        "href": IMAGE,
        "rel": "enclosure",
        "type": "image/webp",
    }
    for element in (rss_item, atom_entry):
        [media] = element.findall(MEDIA_CONTENT)
        assert dict(media.attrib) == {"url": IMAGE, "medium": "image", "type": "image/webp"}
    for data in (build_rss(META, [entry]), build_atom(META, [entry])):
        parsed = _parse(data)
        assert parsed.bozo == 0
        assert parsed.entries[0].enclosures[0].href == IMAGE
        assert parsed.entries[0].media_content[0]["url"] == IMAGE


def test_a_known_image_type_and_length_are_published() -> None:
    entry = _rich(image="https://cdn.example/i/12345", image_type="image/png", image_length=48213)
    rss_item = _rss_item(build_rss(META, [entry]))
    atom_entry = _atom_entry(build_atom(META, [entry]))

    enclosure = rss_item.find("enclosure")
    assert enclosure is not None
    assert (enclosure.get("type"), enclosure.get("length")) == ("image/png", "48213")
    link = _atom_links(atom_entry)["enclosure"]
    assert (link["type"], link["length"]) == ("image/png", "48213")
    [media] = atom_entry.findall(MEDIA_CONTENT)
    assert (media.get("type"), media.get("fileSize")) == ("image/png", "48213")


def test_an_image_of_unknown_type_still_validates() -> None:
    entry = _rich(image="https://cdn.example/i/12345")
    rss_item = _rss_item(build_rss(META, [entry]))
    atom_entry = _atom_entry(build_atom(META, [entry]))

    enclosure = rss_item.find("enclosure")
    assert enclosure is not None
    assert enclosure.get("type") == "application/octet-stream"  # RSS requires a type
    [media] = atom_entry.findall(MEDIA_CONTENT)
    assert "type" not in media.attrib and media.get("medium") == "image"


def test_no_image_no_enclosure() -> None:
    entry = _rich(image=None)

    assert _rss_item(build_rss(META, [entry])).find("enclosure") is None
    atom_entry = _atom_entry(build_atom(META, [entry]))
    assert "enclosure" not in _atom_links(atom_entry)
    assert atom_entry.find(MEDIA_CONTENT) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.kr/a/photo.JPG", "image/jpeg"),
        ("https://x.kr/a/photo.jpeg?w=800", "image/jpeg"),
        ("https://x.kr/a/photo.png#top", "image/png"),
        ("https://x.kr/a.gif", "image/gif"),
        ("https://x.kr/a.webp", "image/webp"),
        ("https://x.kr/a.avif", "image/avif"),
        ("https://x.kr/a.svg", "image/svg+xml"),
        # Tistory's thumbnail service names the file in its query.
        (
            "https://img1.daumcdn.net/thumb/R800x0/?scode=mtistory2"
            "&fname=https%3A%2F%2Fblog.kakaocdn.net%2Fdn%2Fabc%2Fimg.png",
            "image/png",
        ),
        ("https://x.kr/image?id=7", None),
        ("https://x.kr/a.html", None),
        ("https://x.kr/", None),
    ],
)
def test_image_type_from_the_name(url: str, expected: str | None) -> None:
    assert image_type(url) == expected


def test_tags_are_published_after_the_categories_without_repeats() -> None:
    entry = _rich(categories=("정치", "News"), tags=("북한", "정치", " "))

    for data in (build_rss(META, [entry]), build_atom(META, [entry])):
        assert [tag.term for tag in _parse(data).entries[0].tags] == ["정치", "News", "북한"]


@pytest.mark.parametrize("build", BUILDERS)
def test_published_and_updated_are_the_entrys_own(build: Builder) -> None:
    entry = _rich(updated=NEWEST.published + timedelta(days=2, hours=3))
    parsed = _parse(build(META, [entry]))

    assert _epoch(parsed.entries[0].published_parsed) == int(entry.published.timestamp())
    assert _epoch(parsed.feed.updated_parsed) == int(entry.updated.timestamp())
    if build is build_atom:
        assert _epoch(parsed.entries[0].updated_parsed) == int(entry.updated.timestamp())


def test_hub_is_named_in_rss_and_atom() -> None:
    meta = dataclasses.replace(META, hub=HUB)
    rss = etree.fromstring(build_rss(meta, EXPECTED_ORDER))
    atom = etree.fromstring(build_atom(meta, EXPECTED_ORDER))

    channel = rss.find("channel")
    assert channel is not None
    rss_links = {link.get("rel"): link.get("href") for link in channel.findall(ATOM_LINK)}
    assert rss_links == {"self": META.self_url_rss, "hub": HUB}
    assert channel.findtext("link") == META.link  # the hub does not become the site link
    assert _atom_links(atom)["hub"] == {"href": HUB, "rel": "hub"}
    for data in (build_rss(meta, EXPECTED_ORDER), build_atom(meta, EXPECTED_ORDER)):
        parsed = _parse(data)
        assert parsed.bozo == 0
        assert [link.href for link in parsed.feed.links if link.rel == "hub"] == [HUB]


@pytest.mark.parametrize("build", BUILDERS)
def test_no_hub_link_without_a_hub(build: Builder) -> None:
    assert b'rel="hub"' not in build(META, EXPECTED_ORDER)


def test_a_category_feed_has_its_own_atom_id() -> None:
    meta = dataclasses.replace(
        META, atom_id="https://news.example.kr/feeds/categories/정치/atom.xml"
    )

    assert _parse(build_atom(meta, [])).feed.id == meta.atom_id
    assert _parse(build_atom(META, [])).feed.id == META.link


# Every character XML 1.0 forbids that the issue names, in one string.
FORBIDDEN = "\x00\x0b\x0c\x1b\ufffe\uffff\ud800\udfff"


def _poisoned(text: str) -> str:
    """``text`` with a forbidden character before, inside and after it."""
    middle = len(text) // 2
    return f"\x00{text[:middle]}{FORBIDDEN}{text[middle:]}\ud800"


def test_forbidden_characters_in_every_field_are_removed() -> None:
    clean = _rich(image_type="image/webp")
    meta = dataclasses.replace(META, hub=HUB)
    poisoned_meta = dataclasses.replace(
        meta,
        **{
            name: _poisoned(getattr(meta, name))
            for name in ("title", "link", "description", "language", "self_url_rss", "hub")
        },
        self_url_atom=_poisoned(meta.self_url_atom),
    )
    poisoned = dataclasses.replace(
        clean,
        title=_poisoned(clean.title),
        link=_poisoned(clean.link),
        guid=_poisoned(clean.guid),
        summary=_poisoned(clean.summary),
        content_html=_poisoned(clean.content_html),
        categories=tuple(_poisoned(c) for c in clean.categories),
        tags=tuple(_poisoned(t) for t in clean.tags),
        authors=tuple(_poisoned(a) for a in clean.authors),
        source_url=_poisoned(ORIGINAL),
        image=_poisoned(IMAGE),
        image_type=_poisoned("image/webp"),
    )
    for build in (build_rss, build_atom):
        data = build(poisoned_meta, [poisoned])
        assert _parse(data).bozo == 0
        # Removed, and nothing else changed: the same bytes as from clean input.
        assert data == build(meta, [clean])
        text = data.decode("utf-8")
        assert not any(char in text for char in FORBIDDEN)


@settings(max_examples=100, deadline=None)
@given(author=ARBITRARY_TEXT, tag=ARBITRARY_TEXT, url_noise=ARBITRARY_TEXT)
def test_any_text_in_authors_tags_and_links_gives_a_valid_feed(
    author: str, tag: str, url_noise: str
) -> None:
    entry = _rich(
        authors=(author,),
        tags=(tag,),
        image=IMAGE + url_noise,
        source_url=ORIGINAL + url_noise,
    )
    meta = dataclasses.replace(META, hub=HUB + url_noise)
    for build in (build_rss, build_atom):
        data = build(meta, [entry])
        assert _parse(data).bozo == 0
        etree.fromstring(data)  # a strict parser agrees


@pytest.mark.parametrize(
    "excerpt", ["<script>alert(1)</script> 속보", "<속보> 北 & 南", "a &lt; b"]
)
def test_rss_description_is_the_excerpt_as_text(excerpt: str) -> None:
    """Readers take an RSS description as HTML: a plain-text excerpt is HTML-escaped, so
    markup in it is shown as text, never run or dropped. Atom says type="text" instead."""
    entry = dataclasses.replace(NEWEST, summary=excerpt)
    rss, atom = build_rss(META, [entry]), build_atom(META, [entry])

    assert _raw_entry_texts(rss, "description", "summary") == [escape(excerpt, quote=False)]
    assert _raw_entry_texts(atom, "description", "summary") == [excerpt]
    # A reader with a sanitiser (feedparser's default) shows exactly the excerpt.
    shown = feedparser.parse(rss).entries[0]
    assert shown.summary_detail.type == "text/html"
    assert unescape(shown.summary) == excerpt
    assert feedparser.parse(atom).entries[0].summary == excerpt


@pytest.mark.parametrize("build", [build_rss, build_atom])
@pytest.mark.parametrize("hub", [None, HUB])
def test_entries_pasted_as_text_make_the_document_built_in_one_piece(
    build: Builder, hub: str | None
) -> None:
    data = build(dataclasses.replace(META, hub=hub), [_rich(), *EXPECTED_ORDER])

    # Read and printed again by lxml as one tree: the same bytes, so every entry sits at
    # its depth and no entry declares a namespace the root does not.
    root = etree.fromstring(data, etree.XMLParser(remove_blank_text=True))
    again = etree.tostring(root, pretty_print=True, encoding="UTF-8", xml_declaration=True)
    assert data == again
    assert data.count(b"xmlns") == len(root.nsmap)
