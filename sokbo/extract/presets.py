"""Platform presets: where each blog platform keeps its title, body, date and image."""

from __future__ import annotations

from dataclasses import dataclass

from sokbo.config import Selectors


@dataclass(frozen=True)
class Preset:
    """CSS selectors tried in order; the first that matches wins."""

    body: tuple[str, ...]
    title: tuple[str, ...] = ()
    date: tuple[str, ...] = ()
    image: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()

    def with_overrides(self, selectors: Selectors) -> Preset:
        """A source's explicit selectors replace the preset's, field by field."""
        return Preset(
            body=tuple(selectors.body) or self.body,
            title=tuple(selectors.title) or self.title,
            date=tuple(selectors.date) or self.date,
            image=tuple(selectors.image) or self.image,
            drop=self.drop + tuple(selectors.drop),
        )


# Tistory keeps the editor's output in `.tt_article_useless_p_margin.contents_style`
# in current skins; older and third-party skins use the others, newest first.
TISTORY = Preset(
    body=(
        ".tt_article_useless_p_margin",
        ".contents_style",
        "#article-view",
        ".article_view",
        ".area_view .article",
        ".entry-content",
        ".article",
    ),
    title=(".area_title h1", ".hgroup h1", "h1.tit_post", ".titleWrap h2"),
    date=(".info_post .date", ".meta .date", "span.date"),
    # Tistory places these inside the article view in many skins.
    drop=(
        ".another_category",
        ".container_postbtn",
        ".revenue_unit_wrap",
        "div[data-tistory-react-app]",
        ".tt-box-total",
    ),
)

GENERIC = Preset(
    body=(
        "[itemprop='articleBody']",
        "article .entry-content",
        ".entry-content",
        ".post-content",
        ".article-body",
        "#articleBody",
        "article",
        "main",
    ),
    title=("h1",),
    date=("time[datetime]",),
)

PRESETS: dict[str, Preset] = {"tistory": TISTORY, "generic": GENERIC}
