"""Tests for sokbo.publish.feeds.jsonfeed: JSON Feed 1.1 as the spec requires it,
deterministic to the byte."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sokbo.publish.feeds.build import build_rss
from sokbo.publish.feeds.jsonfeed import JSON_FEED_VERSION, build_json
from sokbo.publish.feeds.model import FeedEntry, FeedMeta
from sokbo.publish.feeds.prepare import xml_safe

KST = timezone(timedelta(hours=9))
META = FeedMeta(
    id="demo",
    title="속보 데모",
    link="https://news.example.kr/",
    description="Breaking news, re-published",
    language="ko",
    self_url_rss="https://news.example.kr/feeds/rss.xml",
    self_url_atom="https://news.example.kr/feeds/atom.xml",
    self_url_json="https://news.example.kr/feeds/feed.json",
)
HUB = "https://hub.example.net/"


def _entry(n: int, published: datetime, **changes: Any) -> FeedEntry:
    link = f"https://news.example.kr/2024/05/post-{n}/"
    entry = FeedEntry(
        title=f"속보 {n}: 제목",
        link=link,
        guid=link,
        published=published,
        updated=published + timedelta(minutes=30),
        summary=f"요약 {n}",
        content_html=f"<p>본문 {n}</p>",
        categories=("정치",),
        tags=("북한",),
        authors=("김기자",),
        source_url=f"https://www.yna.co.kr/view/{n}",
        image=f"https://news.example.kr/img/{n}.jpg",
    )
    return dataclasses.replace(entry, **changes)


NEWEST = _entry(1, datetime(2024, 5, 2, 9, 30, tzinfo=KST))
MID = _entry(2, datetime(2024, 5, 2, 0, 15, tzinfo=UTC))  # 09:15 KST
OLDEST = _entry(3, datetime(2024, 4, 30, 12, 0, tzinfo=UTC), authors=(), tags=(), image=None)
ENTRIES = [MID, OLDEST, NEWEST]

# RFC 3339 date-time (section 5.6), with the offset JSON Feed requires.
RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", re.IGNORECASE
)
URL = re.compile(r"^https?://[^\s]+$")


def spec_problems(feed: Any) -> list[str]:
    """What JSON Feed 1.1 (https://jsonfeed.org/version/1.1) requires, checked field by field."""
    problems: list[str] = []

    def need(ok: bool, message: str) -> None:
        if not ok:
            problems.append(message)

    need(isinstance(feed, dict), "the feed is an object")
    if not isinstance(feed, dict):
        return problems
    need(feed.get("version") == JSON_FEED_VERSION, "version is the 1.1 URL")
    need(isinstance(feed.get("title"), str), "title (required) is a string")
    need(isinstance(feed.get("items"), list), "items (required) is an array")
    for key in ("home_page_url", "feed_url"):
        if key in feed:
            need(isinstance(feed[key], str) and bool(URL.match(feed[key])), f"{key} is a URL")
    for key in ("description", "language"):
        if key in feed:
            need(isinstance(feed[key], str), f"{key} is a string")
    for hub in feed.get("hubs", []):
        need(isinstance(hub.get("type"), str) and hub["type"] != "", "a hub has a type")
        need(isinstance(hub.get("url"), str) and bool(URL.match(hub["url"])), "a hub has a url")
    ids = []
    for index, item in enumerate(feed.get("items") or []):
        where = f"items[{index}]"
        need(isinstance(item.get("id"), str) and item["id"] != "", f"{where}.id is a string")
        ids.append(item.get("id"))
        need(
            isinstance(item.get("content_html"), str) or isinstance(item.get("content_text"), str),
            f"{where} has content_html or content_text",
        )
        for key in ("url", "external_url", "image"):
            if key in item:
                need(bool(URL.match(item[key])), f"{where}.{key} is a URL")
        for key in ("title", "summary"):
            if key in item:
                need(isinstance(item[key], str), f"{where}.{key} is a string")
        for key in ("date_published", "date_modified"):
            if key in item:
                need(bool(RFC3339.match(item[key])), f"{where}.{key} is RFC 3339")
        for author in item.get("authors", []):
            need(isinstance(author.get("name"), str), f"{where}: an author has a name")
        if "tags" in item:
            need(all(isinstance(tag, str) for tag in item["tags"]), f"{where}.tags are strings")
    need(len(ids) == len(set(ids)), "item ids are unique")
    return problems


def test_the_feed_meets_the_spec() -> None:
    feed = json.loads(build_json(dataclasses.replace(META, hub=HUB), ENTRIES))

    assert spec_problems(feed) == []


def test_feed_fields_in_order() -> None:
    feed = json.loads(build_json(dataclasses.replace(META, hub=HUB), ENTRIES))

    assert list(feed) == [
        "version",
        "title",
        "home_page_url",
        "feed_url",
        "description",
        "language",
        "hubs",
        "items",
    ]
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == META.title
    assert feed["home_page_url"] == META.link
    assert feed["feed_url"] == META.self_url_json
    assert feed["description"] == META.description
    assert feed["language"] == "ko"
    assert feed["hubs"] == [{"type": "WebSub", "url": HUB}]


def test_items_newest_first_with_every_field() -> None:
    items = json.loads(build_json(META, ENTRIES))["items"]

    assert [item["id"] for item in items] == [NEWEST.guid, MID.guid, OLDEST.guid]
    assert items[0] == {
        "id": NEWEST.guid,
        "url": NEWEST.link,
        "external_url": "https://www.yna.co.kr/view/1",
        "title": "속보 1: 제목",
        "content_html": "<p>본문 1</p>",
        "summary": "요약 1",
        "image": "https://news.example.kr/img/1.jpg",
        "date_published": "2024-05-02T09:30:00+09:00",
        "date_modified": "2024-05-02T10:00:00+09:00",
        "authors": [{"name": "김기자"}],
        "tags": ["정치", "북한"],
    }
    # What is unknown is left out, not written empty.
    assert "image" not in items[2] and "authors" not in items[2]
    assert items[2]["tags"] == ["정치"]


def test_same_order_as_rss() -> None:
    import feedparser

    rss_ids = [e.id for e in feedparser.parse(build_rss(META, ENTRIES)).entries]
    assert [item["id"] for item in json.loads(build_json(META, ENTRIES))["items"]] == rss_ids


def test_external_url_only_for_another_source() -> None:
    entries = [
        dataclasses.replace(NEWEST, source_url=None),
        dataclasses.replace(MID, source_url=MID.link),
    ]
    items = json.loads(build_json(META, entries))["items"]

    assert all("external_url" not in item for item in items)


def test_no_hubs_or_feed_url_when_not_known() -> None:
    feed = json.loads(build_json(dataclasses.replace(META, self_url_json=""), ENTRIES))

    assert "hubs" not in feed and "feed_url" not in feed
    assert spec_problems(feed) == []


def test_bytes_are_readable_utf8_with_a_final_newline_and_deterministic() -> None:
    data = build_json(META, ENTRIES)

    assert data == build_json(META, list(reversed(ENTRIES)))
    assert data.endswith(b"}\n") and not data.endswith(b"\n\n")
    assert "속보 데모".encode() in data  # not \\uXXXX escapes
    assert data.startswith(b'{\n  "version": "https://jsonfeed.org/version/1.1",\n')
    document = json.loads(data)
    lines = data.decode().splitlines()
    # One item a line: a rebuilt feed diffs entry by entry.
    assert lines[-3:] == [
        "    " + json.dumps(document["items"][-1], ensure_ascii=False),
        "  ]",
        "}",
    ]
    assert len(lines) == len(document) + len(document["items"]) + 3


def test_an_empty_feed_is_valid() -> None:
    feed = json.loads(build_json(META, []))

    assert feed["items"] == []
    assert spec_problems(feed) == []


@pytest.mark.parametrize("field", ["title", "link", "description"])
def test_missing_site_details_are_rejected(field: str) -> None:
    with pytest.raises(ValueError, match=f"FeedMeta.{field} is empty"):
        build_json(dataclasses.replace(META, **{field: "\x00 "}), [])


def test_naive_dates_are_rejected() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        build_json(META, [dataclasses.replace(NEWEST, updated=datetime(2024, 5, 2))])


FORBIDDEN = "\x00\x0b\x0c\x1b\ufffe\uffff\ud800\udfff"


def test_forbidden_characters_in_every_field_are_removed() -> None:
    def poison(text: str) -> str:
        return f"{FORBIDDEN}{text[:3]}{FORBIDDEN}{text[3:]}\ud800"

    poisoned = dataclasses.replace(
        NEWEST,
        title=poison(NEWEST.title),
        link=poison(NEWEST.link),
        guid=poison(NEWEST.guid),
        summary=poison(NEWEST.summary),
        content_html=poison(NEWEST.content_html),
        categories=tuple(map(poison, NEWEST.categories)),
        tags=tuple(map(poison, NEWEST.tags)),
        authors=tuple(map(poison, NEWEST.authors)),
        source_url=poison(NEWEST.source_url or ""),
        image=poison(NEWEST.image or ""),
    )
    meta = dataclasses.replace(META, hub=HUB)
    poisoned_meta = dataclasses.replace(
        meta, title=poison(META.title), hub=poison(HUB), self_url_json=poison(META.self_url_json)
    )

    data = build_json(poisoned_meta, [poisoned])
    assert data == build_json(meta, [NEWEST])
    assert not any(char in data.decode("utf-8") for char in FORBIDDEN)


# Surrogates and the other forbidden characters, which st.text() leaves out or seldom makes.
_TEXT = st.lists(
    st.one_of(st.text(), st.sampled_from(["\x00", "\x1b", "\ud800", "\udfff", "\ufffe", '"', "\\"]))
).map("".join)


@settings(max_examples=150, deadline=None)
@given(title=_TEXT, html=_TEXT, author=_TEXT, tag=_TEXT)
def test_any_text_gives_valid_utf8_json(title: str, html: str, author: str, tag: str) -> None:
    entry = dataclasses.replace(
        NEWEST, title=title, content_html=html, authors=(author,), tags=(tag,)
    )

    feed = json.loads(build_json(META, [entry]).decode("utf-8"))
    assert spec_problems(feed) == []
    item = feed["items"][0]
    assert item["title"] == xml_safe(title)
    assert item["content_html"] == xml_safe(html)
