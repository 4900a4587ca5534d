"""Slugs keep Hangul, never carry path tricks, stay under 120 bytes and are stable."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sokbo.slug import MAX_SLUG_BYTES, disambiguate, slugify

URL = "https://example.tistory.com/1"


def test_hangul_title() -> None:
    assert slugify("조태열 외교부장관 한미일 공조로 북러 위협 단호 대응!", URL) == (
        "조태열-외교부장관-한미일-공조로-북러-위협-단호-대응"
    )


def test_punctuation_and_case() -> None:
    assert slugify("  Breaking: U.S. & Korea -- talks/../end  ", URL) == (
        "breaking-u-s-korea-talks-end"
    )


def test_empty_and_reserved_titles_fall_back_to_the_url() -> None:
    assert slugify("!!!", URL).startswith("post-")
    assert slugify("!!!", URL) == slugify("???", URL)
    assert slugify("CON", URL).startswith("con-")


def test_collision_suffix_is_deterministic_and_bounded() -> None:
    slug = slugify("가" * 100, URL)
    other = disambiguate(slug, "https://example.tistory.com/2")
    assert other == disambiguate(slug, "https://example.tistory.com/2")
    assert other != disambiguate(slug, "https://example.tistory.com/3")
    assert len(other.encode()) <= MAX_SLUG_BYTES


@given(st.text(), st.text(min_size=1))
def test_any_title_gives_a_safe_slug(title: str, url: str) -> None:
    slug = slugify(title, url)
    assert slug and slug == slugify(title, url)
    assert len(slug.encode("utf-8")) <= MAX_SLUG_BYTES
    assert "/" not in slug and "\\" not in slug and ".." not in slug and "." not in slug
    assert all(ch.isprintable() and not ch.isspace() for ch in slug)
    assert not slug.startswith("-") and not slug.endswith("-") and "--" not in slug
