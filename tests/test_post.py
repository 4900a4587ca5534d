"""Post rendering: file names, attribution, default images, Liquid safety, permalinks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import frontmatter

from sokbo.config import SiteConfig
from sokbo.models import Article, StoredArticle
from sokbo.publish.post import post_filename, post_url, render_post

SITE = SiteConfig(
    id="newsdao",
    title="newsdao",
    base_url="https://newsdao.kr",
    posts_dir=Path("_posts"),
    feeds_dir=Path("feeds"),
    brand="cryptoinkorea",
    sources=["demo"],
    footer='실시간 뉴스 속보는, <a href="https://newsdao.kr" rel="dofollow">https://newsdao.kr</a>',
    default_image="/assets/img/newsdao_breakingnews.jpg",
)
# 23:30 UTC is the next morning in Seoul: the file name follows the site's clock.
PUBLISHED = datetime(2024, 7, 27, 23, 30, tzinfo=UTC)


def stored(**changes: object) -> StoredArticle:
    fields: dict[str, object] = {
        "url": "https://demo.tistory.com/3",
        "source_id": "demo",
        "title": "러 외무 한미 핵자산 우려",
        "excerpt": "요약입니다.",
        "body_html": "<p>본문</p>",
        "published": PUBLISHED,
    }
    fields.update(changes)
    return StoredArticle(1, Article(**fields), "러-외무-한미-핵자산-우려", PUBLISHED, "new")  # type: ignore[arg-type]


def test_file_name_uses_the_site_time_zone() -> None:
    assert post_filename(stored(), SITE) == "2024-07-28-러-외무-한미-핵자산-우려.md"
    utc_site = SITE.model_copy(update={"timezone": "UTC"})
    assert post_filename(stored(), utc_site) == "2024-07-27-러-외무-한미-핵자산-우려.md"


def test_attribution_comes_last_unless_turned_off() -> None:
    post = frontmatter.loads(render_post(stored(), SITE))
    assert list(post.metadata) == [
        "title",
        "categories",
        "excerpt",
        "feature_text",
        "image",
        "source_url",
    ]
    assert post["source_url"] == "https://demo.tistory.com/3"
    quiet = SITE.model_copy(update={"attribution": False})
    assert "source_url" not in frontmatter.loads(render_post(stored(), quiet)).metadata


def test_the_publication_time_in_the_front_matter_when_asked() -> None:
    """On the site's clock, in the form Jekyll documents; absent by default (the owner's
    format)."""
    assert "date" not in frontmatter.loads(render_post(stored(), SITE)).metadata
    timed = SITE.model_copy(update={"date_in_front_matter": True})
    text = render_post(stored(), timed)
    assert "\ndate: 2024-07-28 08:30:00 +0900\nsource_url: " in text
    utc_site = timed.model_copy(update={"timezone": "UTC"})
    assert "\ndate: 2024-07-27 23:30:00 +0000\n" in render_post(stored(), utc_site)


def test_default_image_only_when_the_article_has_none() -> None:
    assert frontmatter.loads(render_post(stored(), SITE))["image"] == SITE.default_image
    own = stored(image="https://img.example/a.jpg")
    text = render_post(own, SITE)
    assert frontmatter.loads(text)["image"] == "https://img.example/a.jpg"
    assert '<p><img src="https://img.example/a.jpg" alt="cryptoinkorea 속보" /></p>' in text


def test_no_image_at_all_means_no_image_key_and_no_lead_line() -> None:
    bare = SITE.model_copy(update={"default_image": None})
    text = render_post(stored(), bare)
    assert "image" not in frontmatter.loads(text).metadata
    assert "<img" not in text


def test_liquid_in_article_text_is_not_executed_by_jekyll() -> None:
    text = render_post(stored(body_html="<p>{{ site.title }} and {% include x %}</p>"), SITE)
    assert "{{" not in text and "{%" not in text
    assert "&#123;{ site.title }} and &#123;% include x %}" in text


def test_attribute_values_are_escaped_in_the_lead_line() -> None:
    text = render_post(stored(image='https://img.example/a.jpg?x="><script>'), SITE)
    assert 'src="https://img.example/a.jpg?x=&quot;&gt;&lt;script&gt;"' in text


def test_permalink_follows_jekyll_placeholders() -> None:
    assert post_url(stored(), SITE) == (
        "https://newsdao.kr/news/2024/07/28/"
        "%EB%9F%AC-%EC%99%B8%EB%AC%B4-%ED%95%9C%EB%AF%B8-%ED%95%B5%EC%9E%90%EC%82%B0-"
        "%EC%9A%B0%EB%A0%A4.html"
    )
    pretty = SITE.model_copy(update={"permalink": "/:year/:title/"})
    assert post_url(stored(), pretty).startswith("https://newsdao.kr/2024/%EB%9F%AC")
