"""Platform presets, declared once as data: where each platform keeps its article's parts.

Every field is a tuple of CSS selectors tried in order; the first that matches wins. A
preset that finds no body hands the page to the generic extractor, so a skin the preset
does not know degrades to "generic", never to "no article".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

from sokbo.config import PresetName, Selectors


@dataclass(frozen=True)
class Preset:
    name: str
    body: tuple[str, ...] = ()
    title: tuple[str, ...] = ()
    date: tuple[str, ...] = ()
    author: tuple[str, ...] = ()
    image: tuple[str, ...] = ()
    # Removed from the body before cleaning: the platform's own widgets inside it.
    drop: tuple[str, ...] = ()

    def with_overrides(self, selectors: Selectors) -> Preset:
        """A source's explicit selectors come first, field by field; drops add up."""
        return Preset(
            name=self.name,
            body=tuple(selectors.body) + self.body,
            title=tuple(selectors.title) + self.title,
            date=tuple(selectors.date) + self.date,
            author=tuple(selectors.author) + self.author,
            image=tuple(selectors.image) + self.image,
            drop=self.drop + tuple(selectors.drop),
        )


# Tistory: the editor's output is `.tt_article_useless_p_margin.contents_style` in current
# skins; older and third-party skins (Odyssey, Poster, #2, Book Club...) use the others.
TISTORY = Preset(
    name="tistory",
    body=(
        ".tt_article_useless_p_margin",
        ".contents_style",
        "#article-view",
        ".article_view",
        ".area_view .article",
        ".entry-content",
        ".article-view",
        "#content .entry .article",
    ),
    title=(".area_title h1", ".hgroup h1", "h1.tit_post", ".titleWrap h2", ".entry-header h1"),
    # No date selectors: every Tistory page carries article:published_time, to the second.
    author=(".info_post .author", ".meta .author", ".by_name"),
    drop=(
        ".another_category",
        ".container_postbtn",
        ".revenue_unit_wrap",
        "div[data-tistory-react-app]",
        ".tt-box-total",
    ),
)

WORDPRESS = Preset(
    name="wordpress",
    body=(".entry-content", ".post-content", "article .entry", ".single-post .content"),
    title=("h1.entry-title", ".entry-header h1", "h1.post-title"),
    date=("time.entry-date[datetime]", ".posted-on time", "time[datetime]"),
    author=(".author.vcard .fn", ".byline .author", "a[rel=author]", ".entry-author-name"),
    drop=(
        ".sharedaddy",
        ".jp-relatedposts",
        ".addtoany_share_save_container",
        ".post-navigation",
        ".wp-block-buttons",
        ".yarpp-related",
    ),
)

BLOGGER = Preset(
    name="blogger",
    body=(".post-body", "[itemprop=articleBody]", ".entry-content"),
    title=("h3.post-title", ".post-title", "h1.entry-title"),
    date=("time.published[datetime]", "abbr.published[title]", ".date-header span"),
    author=(".post-author .fn", ".post-author-name", ".g-profile"),
    drop=(".post-share-buttons", ".post-footer", ".blog-pager"),
)

# Naver Blog: SmartEditor ONE (`se-main-container`) and the older editor (#postViewArea).
# The blog's post pages are frames; spiders fetch the PostView.naver page they show.
NAVER_BLOG = Preset(
    name="naver_blog",
    body=(".se-main-container", "#postViewArea", ".post-view", "#post-view"),
    title=(".se-title-text", ".se_title .se_textarea", ".htitle .pcol1"),
    date=(".se_publishDate", ".blog2_container .se_publishDate", "p.date", ".date"),
    author=(".nick .link", ".blog2_container .nick", "#nickNameArea", ".writer .nick"),
    drop=(".se-oglink", ".post_footer_contents", ".wrap_postcomment"),
)

# The article-view-content-div family (ND Soft and similar CMSs behind many Korean
# regional papers), and the ids other Korean CMSs give their article body.
KR_NEWS = Preset(
    name="kr_news",
    body=(
        "#article-view-content-div",
        "[itemprop=articleBody]",
        "#articleBody",
        "#article_body",
        ".article-body",
        ".article_txt",
        "#news_body_area",
        "#articletxt",
    ),
    title=(".article-head-title", ".article-header h1", "h3.heading", ".view-top h1"),
    # The whole info line: its text reads "홍길동 기자 | 입력 2024.06.20 14:30".
    date=(".infomation", ".info-text", ".article-info .date", ".byline .date"),
    author=(".info-text .writer", ".byline .writer", ".writer"),
    drop=(
        ".article-copy",
        ".article-relation",
        ".view-editors",
        ".article-byline",
        ".view-copyright",
    ),
)

# No selectors: JSON-LD, meta tags and the generic extractor do all the work.
GENERIC = Preset(name="generic", body=("[itemprop='articleBody']",))

PRESETS: dict[PresetName, Preset] = {
    "tistory": TISTORY,
    "wordpress": WORDPRESS,
    "blogger": BLOGGER,
    "naver_blog": NAVER_BLOG,
    "kr_news": KR_NEWS,
    "generic": GENERIC,
}
# The config accepts exactly the presets there are: a name added to one and not the other
# fails here, at import, not on the first crawl that names it.
if set(PRESETS) != set(get_args(PresetName)):
    raise ImportError(f"presets {sorted(PRESETS)} differ from config's {get_args(PresetName)}")
