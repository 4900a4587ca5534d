"""Front matter reads back to exactly what went in (less what YAML cannot carry)."""

from __future__ import annotations

import frontmatter
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sokbo.publish.frontmatter_yaml import Folded, SingleQuoted, dump_front_matter, yaml_safe

TRICKY = [
    "key: value",
    "---",
    "# not a comment",
    "'single' and \"double\"",
    "no",
    "on",
    "yes",
    "~",
    "null",
    "1e3",
    "0x1F",
    "*alias",
    "&anchor",
    "!tag",
    "%directive",
    "@at",
    "`tick",
    "| pipe",
    "> fold",
    "- dash",
    "? question",
    "[flow]",
    "{flow: map}",
    " leading space",
    "trailing space ",
    "tab\tinside",
    "line\nbreak",
    "two\n\nparagraphs",
    "속보: 북러 회담 🇰🇷🎉",
    "control\x00\x01\x07\x1b\x7f\x9f chars",
    "crlf\r\nline",
    "nel\x85line",
    "\ufeffbom",
    "\u2028separator",
    "",
]


def roundtrip(title: str, excerpt: str) -> dict[str, object]:
    text = dump_front_matter(
        {
            "title": title,
            "categories": ["News", title],
            "excerpt": Folded(excerpt + "\n"),
            "image": SingleQuoted(title),
        }
    )
    post = frontmatter.loads(text + "\nbody\n")
    assert post.content == "body"
    return dict(post.metadata)


def expected(title: str, excerpt: str) -> dict[str, object]:
    return {
        "title": yaml_safe(title),
        "categories": ["News", yaml_safe(title)],
        "excerpt": yaml_safe(excerpt + "\n"),
        "image": yaml_safe(title),
    }


@settings(max_examples=400)
@given(st.text(), st.text())
def test_any_text_reads_back_equal(title: str, excerpt: str) -> None:
    assert roundtrip(title, excerpt) == expected(title, excerpt)


@settings(max_examples=200)
@given(st.lists(st.sampled_from(TRICKY), min_size=1, max_size=4).map(" ".join))
def test_yaml_special_text_reads_back_equal(text: str) -> None:
    assert roundtrip(text, text) == expected(text, text)


@given(st.sampled_from(TRICKY))
@example("x\x01y")
def test_only_control_characters_are_removed(text: str) -> None:
    cleaned = yaml_safe(text)
    removed = [ch for ch in text if ch not in cleaned]
    for ch in removed:
        assert ch in "\r\x85\ufeff" or ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F


def test_house_style() -> None:
    text = dump_front_matter(
        {
            "title": "러 외무 한미 핵자산 우려 만남 예정",
            "categories": ["News"],
            "excerpt": Folded("한 줄 요약.\n"),
            "feature_text": Folded("## adskorea 실시간 뉴스 속보입니다.\n한 줄 요약.\n"),
            "image": SingleQuoted("/assets/img/newsdao_breakingnews.jpg"),
        }
    )
    assert text == (
        "---\n"
        "title: 러 외무 한미 핵자산 우려 만남 예정\n"
        "categories:\n"
        "  - News\n"
        "excerpt: >\n"
        "  한 줄 요약.\n"
        "feature_text: >\n"
        "  ## adskorea 실시간 뉴스 속보입니다.\n"
        "\n"
        "  한 줄 요약.\n"
        "image: '/assets/img/newsdao_breakingnews.jpg'\n"
        "---\n"
    )


def test_long_excerpt_is_not_folded_across_lines() -> None:
    long = "가나다 " * 200
    text = dump_front_matter({"excerpt": Folded(long.strip() + "\n")})
    assert text.count("\n") == 4
    assert yaml.safe_load(text.removeprefix("---\n").removesuffix("---\n")) == {
        "excerpt": long.strip() + "\n"
    }
