"""Jekyll (Debian's `jekyll` package) builds the posts sokbo writes, and runs none of their text.

Each destination blog gets the bundled minimal site (tests/consumers/site/) with its own
title and permalink, `strict_front_matter: true` and Liquid in strict mode, built with
`jekyll build --safe`. Every post must become the page that sokbo's feeds link to, with
the post's title and the blog's footer link.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sokbo.config import SiteConfig
from sokbo.models import Article, StoredArticle
from sokbo.publish.frontmatter_yaml import yaml_safe
from sokbo.publish.post import post_filename, post_url, render_post
from sokbo.slug import slugify
from tests.consumers.conftest import Published
from tests.consumers.tools import (
    JekyllBuild,
    assert_built,
    footer_links,
    jekyll_build,
    read_page,
    visible_text,
)

pytestmark = pytest.mark.consumers

FOOTER = '실시간 뉴스 속보는, <a href="https://liquid.example" rel="dofollow">liquid.example</a>'


def make_site(folder: Path, **changes: object) -> SiteConfig:
    values: dict[str, object] = {
        "id": "liquid",
        "title": "Liquid 시험 블로그",
        "base_url": "https://liquid.example",
        "posts_dir": folder / "_posts",
        "feeds_dir": folder / "feeds",
        "brand": "liquid",
        "sources": ["x"],
        "footer": FOOTER,
    }
    return SiteConfig.model_validate(values | changes)


def make_post(
    site: SiteConfig,
    title: str,
    body_html: str = "<p>본문</p>",
    *,
    number: int = 1,
    excerpt: str = "요약",
    image: str | None = None,
) -> StoredArticle:
    """Write one post the way sokbo does (render_post) and return the article behind it."""
    url = f"https://source.example/{number}"
    published = datetime(2024, 7, 29, 1, number % 60, tzinfo=UTC)
    article = Article(url, "x", title, excerpt, body_html, published, image=image)
    slug = f"{number}-{slugify(title, url)}"  # distinct, as the store would make it
    stored = StoredArticle(number, article, slug, published, "new")
    site.posts_dir.mkdir(parents=True, exist_ok=True)
    path = site.posts_dir / post_filename(stored, site)
    path.write_text(render_post(stored, site), encoding="utf-8")
    return stored


def build(site: SiteConfig, workdir: Path) -> JekyllBuild:
    return jekyll_build(sorted(site.posts_dir.glob("*.md")), site, workdir)


def assert_pages(
    build: JekyllBuild, site: SiteConfig, articles: Sequence[StoredArticle]
) -> list[str]:
    """Every article is the page its feed entry links to, with its title and footer.

    Returns the problems found, so a test can show them all at once.
    """
    problems = []
    footer = footer_links(site)
    for stored in articles:
        url = post_url(stored, site)
        path = build.page(url, site)
        if not path.is_file():
            problems.append(f"{url}: no page at {path.relative_to(build.destination)}")
            continue
        page = read_page(path)
        expected = yaml_safe(stored.article.title)
        if page.title != expected:
            problems.append(f"{url}: title {page.title!r}, expected {expected!r}")
        links = set(page.links())
        problems.extend(
            f"{url}: footer link {link} missing" for link in footer if link not in links
        )
    posts = len(list((build.source / "_posts").glob("*.md")))
    if len(build.pages()) != posts:
        problems.append(f"{posts} posts but {len(build.pages())} pages")
    return problems


def test_jekyll_builds_the_bundled_site(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    stored = make_post(site, "첫 속보")
    result = build(site, tmp_path / "build")
    assert_built(result)
    assert assert_pages(result, site, [stored]) == []
    page = read_page(result.page(post_url(stored, site), site))
    assert "본문" in visible_text(page.content)


def test_a_days_posts_keep_their_times_in_jekyll(tmp_path: Path) -> None:
    """With date_in_front_matter, Jekyll takes each post's time (its order among the
    day's posts) from the front matter; without, every post of a day is at midnight."""

    def times(timed: bool) -> list[datetime]:
        site = make_site(tmp_path / str(timed), date_in_front_matter=timed)
        posts = [make_post(site, "아침 속보", number=5), make_post(site, "저녁 속보", number=50)]
        result = build(site, tmp_path / f"build-{timed}")
        assert_built(result)
        pages = [read_page(result.page(post_url(stored, site), site)) for stored in posts]
        return [datetime.strptime(page.raw["date"], "%Y-%m-%d %H:%M:%S %z") for page in pages]

    # Jekyll shows them on the build machine's clock (UTC here); the instants are the posts'.
    assert times(True) == [
        datetime(2024, 7, 29, 1, 5, tzinfo=UTC),
        datetime(2024, 7, 29, 1, 50, tzinfo=UTC),
    ]
    assert len(set(times(False))) == 1


def test_every_demo_post_becomes_its_page(demo_run: Published, tmp_path: Path) -> None:
    problems = []
    for site in demo_run.sites():
        articles = demo_run.articles(site)
        assert articles, f"the demo published nothing to {site.id}"
        result = build(site, tmp_path / site.id)
        assert_built(result)
        problems += [f"{site.id}: {p}" for p in assert_pages(result, site, articles)]
        if site.footer:  # the demo's sites with a footer show it on every post
            assert footer_links(site), site.footer
    assert problems == []


LIQUID_TITLE = "속보 {{ x }} {% raw %} {{ site.title }}"
LIQUID_BODY = (
    "<p>템플릿 {{ site.title }} 그리고 {% include nope.html %} 끝 {%- comment -%}</p>\n"
    "<pre><code>{{ page.title | upcase }}</code></pre>"
)


def test_liquid_in_scraped_text_is_shown_not_run(tmp_path: Path) -> None:
    """Body text is escaped by sokbo (`{` before `{{`/`{%` becomes `&#123;`); front
    matter values are output by `{{ page.title }}` but never parsed as Liquid."""
    site = make_site(tmp_path)
    stored = make_post(site, LIQUID_TITLE, LIQUID_BODY, excerpt="요약 {{ site.title }} {% if %}")
    result = build(site, tmp_path / "build")
    assert_built(result)
    page = read_page(result.page(post_url(stored, site), site))
    shown = visible_text(page.content)
    for literal in ("{{ site.title }}", "{% include nope.html %}", "{%- comment -%}"):
        assert literal in shown, shown
    assert "{{ page.title | upcase }}" in shown
    assert site.title not in shown  # {{ site.title }} did not run
    assert page.title == LIQUID_TITLE
    # What a theme that prints front matter without `escape` outputs: the same text.
    assert page.raw["title"] == LIQUID_TITLE
    assert page.raw["excerpt"].strip() == "요약 {{ site.title }} {% if %}"
    assert "{{ site.title }}" in page.raw["feature_text"]


def test_unescaped_liquid_would_run(tmp_path: Path) -> None:
    """The control: the same text written without sokbo's escaping is executed by Jekyll
    (and a missing include fails the whole build), so the test above can fail."""
    site = make_site(tmp_path)
    site.posts_dir.mkdir(parents=True)
    post = site.posts_dir / "2024-07-29-raw.md"
    post.write_text("---\ntitle: raw\n---\n\n<p>템플릿 {{ site.title }}</p>\n", "utf-8")
    result = build(site, tmp_path / "ran")
    assert_built(result)
    page = read_page(result.destination / "2024/07/29/raw.html")
    assert site.title in visible_text(page.content)

    post.write_text("---\ntitle: raw\n---\n\n<p>{% include nope.html %}</p>\n", "utf-8")
    result = build(site, tmp_path / "broke")
    assert result.returncode != 0
    assert "nope.html" in result.output


def test_liquid_in_the_lead_image_url_is_not_run(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    image = "https://cdn.example/{{ site.title }}/{% include nope.html %}.jpg"
    make_post(site, "이미지 속보", image=image)
    result = build(site, tmp_path / "build")
    assert_built(result)


# Titles whose YAML needs care: YAML 1.1 booleans and nulls, indicators, numbers, dates,
# quotes, document markers, Liquid, HTML, bidi text. Each must reach the page unchanged.
TRICKY_TITLES = [
    "yes",
    "No",
    "on",
    "OFF",
    "~",
    "null",
    "2024-07-29",
    "1:20",
    "1_000",
    "0x1F",
    "1e3",
    ".inf",
    "- 목록",
    "? 질문",
    "@골뱅이",
    "`백틱`",
    "%퍼센트",
    "!느낌표",
    "*별",
    "&앰퍼샌드",
    "| 파이프",
    "> 꺾쇠",
    "# 해시",
    "[대괄호]",
    "{중괄호: 값}",
    "'작은따옴표'",
    '"큰따옴표"',
    "a: b",
    "a #b",
    "---",
    "...",
    "끝에 콜론:",
    "  앞뒤 공백  ",
    "<b>굵게</b> & <script>alert(1)</script>",
    "&amp; &lt;",
    "שלום עולם \u202e속보",
    "👩\u200d👩\u200d👧 🇰🇷",
    "北무기 똠방각하 햏 뷁",
    "탭\t문자",
]


def test_tricky_titles_reach_the_page_unchanged(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    articles = [make_post(site, title, number=n) for n, title in enumerate(TRICKY_TITLES, 1)]
    result = build(site, tmp_path / "build")
    assert_built(result)
    assert assert_pages(result, site, articles) == []


# PyYAML quotes ": 속보" and "::속보 ::"; these it writes plain (`title: :속보`).
COLON_TITLES = [":속보", ":속보 단독", ":x", ":1"]


@pytest.mark.parametrize("title", COLON_TITLES)
def test_titles_starting_with_a_colon(tmp_path: Path, title: str) -> None:
    site = make_site(tmp_path)
    stored = make_post(site, title)
    result = build(site, tmp_path / "build")
    assert_built(result)
    assert assert_pages(result, site, [stored]) == []


def test_slugs_with_other_numbers_match_the_page_url(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    stored = make_post(site, "갤럭시 Ⅱ 출시 ①호 84m² 〇")
    result = build(site, tmp_path / "build")
    assert_built(result)
    assert assert_pages(result, site, [stored]) == []


def test_every_stress_post_becomes_its_page(stress_run: Published, tmp_path: Path) -> None:
    problems = []
    for site in stress_run.sites():
        articles = stress_run.articles(site)
        assert len(articles) == 500
        posts = [site.posts_dir / post_filename(stored, site) for stored in articles]
        result = jekyll_build(posts, site, tmp_path / site.id)
        assert_built(result)
        problems += [f"{site.id}: {p}" for p in assert_pages(result, site, articles)]
    assert problems == []
