"""A generated stress store: 500 articles of random Unicode, the same every run.

Text is drawn the way hypothesis' ``st.text()`` draws it (any code point, weighted to the
awkward ones), but from a seeded ``random.Random``, so every run and every machine sees
the same articles and a failure can be reproduced by its index. Lone surrogates are left
out: no UTF-8 file can hold one, so no post or feed ever meets them.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import sokbo.publish.feeds.write
from sokbo.config import Config, FeedSettings, SiteConfig, load_config
from sokbo.extract.clean import clean_html
from sokbo.models import Article, StoredArticle
from sokbo.publish.posts import publish_post
from sokbo.store import Store

SEED = 20240729
ARTICLES = 500

# Ranges to draw single characters from; each is picked with equal weight, so rare kinds
# of character (controls, bidi marks, astral emoji) turn up in most titles.
_RANGES = [
    (0x20, 0x7E),  # ASCII
    (0x00, 0x1F),  # C0 controls: XML 1.0 forbids all but tab, LF and CR
    (0x7F, 0x9F),  # DEL and C1 controls (legal XML 1.0, "discouraged")
    (0xA0, 0x24F),  # Latin-1 and Latin Extended
    (0x300, 0x36F),  # combining marks
    (0x5D0, 0x5EA),  # Hebrew (right to left)
    (0x621, 0x64A),  # Arabic (right to left)
    (0x200B, 0x200F),  # zero-width spaces and joiners, LRM/RLM
    (0x2028, 0x202E),  # line/paragraph separators, bidi embeddings and overrides
    (0x3000, 0x303F),  # CJK punctuation, ideographic space
    (0x1100, 0x11FF),  # Hangul jamo (conjoining)
    (0xAC00, 0xD7A3),  # Hangul syllables
    (0xAC00, 0xD7A3),
    (0x4E00, 0x9FFF),  # CJK ideographs
    (0xE000, 0xF8FF),  # private use
    (0xFDD0, 0xFDEF),  # noncharacters that XML allows
    (0xFFF0, 0xFFFF),  # specials, with U+FFFE and U+FFFF that XML forbids
    (0x1F300, 0x1F6FF),  # emoji
    (0x1D400, 0x1D7FF),  # mathematical alphanumerics (astral letters)
    (0x10000, 0x10FFFF),  # anything astral
]
# Whole strings that have broken a pipeline like this one somewhere.
_TOKENS = [
    "]]>",
    "<![CDATA[",
    "{{",
    "}}",
    "{%",
    "%}",
    "{{ site.title }}",
    "{% include nope.html %}",
    "{%- raw -%}",
    "{{ 'x' | nope }}",
    "---",
    "...",
    ": ",
    "- ",
    "# ",
    "? ",
    "|",
    ">",
    "&",
    "&amp;",
    "&#0;",
    "&#x1B;",
    "&nbsp;",
    "<",
    "<script>alert(1)</script>",
    "<b>",
    "</p>",
    "<!--",
    "-->",
    "'",
    '"',
    "\\",
    "`",
    "*",
    "_",
    "~",
    "!",
    "@",
    "%",
    "yes",
    "No",
    "on",
    "null",
    "~",
    "2024-07-29",
    "0x1F",
    "1e3",
    "javascript:alert(1)",
    "\r\n",
    "\n\n",
    "\t",
    "\u00a0",
    "\ufeff",
    "\u202e",
    "👩\u200d👩\u200d👧",
    "🇰🇷",
    "👍🏽",
    "한국어 속보",
    "北무기",
    "똠방각하 햏 뷁",
    "مرحبا بالعالم",
    "שלום עולם",
]
_CATEGORIES = ["News", "정치", "경제 뉴스", "World", "IT", "Q&A", "C++", "속보 🔥", "Ünïcödé"]
_ZONES = [0, 9 * 60, -5 * 60, 5 * 60 + 45, -(3 * 60 + 30), 14 * 60, -12 * 60]


def _char(rng: random.Random) -> str:
    low, high = rng.choice(_RANGES)
    code = rng.randint(low, high)
    if 0xD800 <= code <= 0xDFFF:  # a lone surrogate: impossible in a file
        code = 0xFFFD
    return chr(code)


def random_text(rng: random.Random, pieces: int) -> str:
    parts = []
    for _ in range(pieces):
        if rng.random() < 0.3:
            parts.append(rng.choice(_TOKENS))
        else:
            parts.append("".join(_char(rng) for _ in range(rng.randint(1, 8))))
    return "".join(parts)


# Written in whole at fixed places among the random ones, so that every run holds them
# (random draws alone may miss them): each has broken a consumer of a pipeline like this.
SPECIMEN_TITLES = [
    ":속보 단독",  # a plain YAML scalar that Ruby's Psych reads as a Symbol
    "갤럭시 Ⅱ 출시 ①호 84m²",  # numbers Jekyll's slugify drops
    "<b>굵게</b> &amp; <script>alert(1)</script>",
    "]]> {{ site.title }} {% include nope.html %}",
    "yes",
    "null",
    "---",
    "\u202e역방향 שלום 속보",
    "\x85\x91cp1252\x92 따옴표\x85",
]
SPECIMEN_EXCERPT = "<script>alert(1)</script> 요약 <속보> a < b & c &amp; d {{ x }}"


def random_title(rng: random.Random, index: int) -> str:
    if index % 50 == 11:
        return SPECIMEN_TITLES[(index // 50) % len(SPECIMEN_TITLES)]
    if index % 50 == 7:  # nothing printable at all: the slug and the feeds must cope
        return "".join(rng.choice("\x00\x01\x0b\x1b\ufffe\t \u200b") for _ in range(5))
    if index % 50 == 8:
        return "   "
    return random_text(rng, rng.randint(1, 10))


def random_body(rng: random.Random) -> str:
    """Untrusted article HTML; the project's own clean stage makes it publishable."""
    blocks = []
    for _ in range(rng.randint(0, 6)):
        text = random_text(rng, rng.randint(1, 12))
        kind = rng.randrange(8)
        if kind == 0:
            blocks.append(f'<p>{text} <a href="https://ex.example/{quote(text[:10])}">링크</a></p>')
        elif kind == 1:
            blocks.append(f"<h2>{text}</h2><script>alert('{text[:5]}')</script>")
        elif kind == 2:
            blocks.append(f'<p><img src="x.jpg" onerror="alert(1)">{text}</p>')
        elif kind == 3:
            blocks.append(f"<blockquote><p>{text}</p></blockquote><iframe src=//evil></iframe>")
        elif kind == 4:
            blocks.append(f'<p><span style="color: #ee2323;">{text}</span></p>')
        elif kind == 5:
            blocks.append(f"<ul><li>{text}</li><li>{text[::-1]}</li></ul>")
        else:
            blocks.append(text)  # bare text, as scraped bodies often are
    return "\n".join(blocks)


def cleaned(raw: str, url: str, crashes: list[tuple[str, str]]) -> str:
    """The project's clean stage over ``raw``; a crash is recorded and the text escaped.

    The crash is kept for test_stress_bodies_clean (which fails on it) so that the
    consumers still get 500 articles to read.
    """
    try:
        return clean_html(raw, url)
    except ValueError as exc:
        crashes.append((raw, str(exc)))
        return f"<p>{html.escape(raw)}</p>"


def random_article(rng: random.Random, index: int, crashes: list[tuple[str, str]]) -> Article:
    offset = timedelta(minutes=rng.choice(_ZONES))
    base = datetime(2000, 1, 1, tzinfo=UTC) + timedelta(
        seconds=rng.randrange(24 * 365 * 86400)
    )  # never in the future
    if index % 100 == 3:  # ties: several articles at the same instant
        base = datetime(2024, 7, 29, 1, 5, tzinfo=UTC)
    published = base.astimezone(timezone(offset))
    if index % 10 == 0:
        published = published.replace(microsecond=rng.randrange(1_000_000))
    modified = published + timedelta(hours=rng.randint(1, 48)) if index % 4 == 0 else None
    url_path = quote(random_text(rng, 2), safe="")
    image = None
    if index % 3 == 0:
        image = f"https://img.example/{quote('사진 ' + str(index))}.jpg?w=1&h=2"
    categories = tuple(rng.sample(_CATEGORIES, rng.randint(0, 3)))
    return Article(
        url=f"https://source.example/{index}/{url_path}",
        source_id="stress",
        title=random_title(rng, index) if index % 97 != 5 else "반복되는 제목",
        excerpt=SPECIMEN_EXCERPT if index % 100 == 13 else random_text(rng, rng.randint(0, 6)),
        body_html=cleaned(random_body(rng), f"https://source.example/{index}/", crashes),
        published=published,
        image=image,
        modified=modified,
        categories=categories,
        language="ko",
    )


@dataclass
class StressRun:
    config: Config
    stored: list[StoredArticle]
    clean_crashes: list[tuple[str, str]]  # (raw body, error) where sokbo.extract.clean raised

    @property
    def store_url(self) -> str:
        return self.config.store.url


CONFIG = """
[store]
url = "sqlite:///stress.db"

[[source]]
id = "stress"
kind = "feed"
start_urls = ["https://source.example/feed"]

[[site]]
id = "alpha"
title = "알파 속보 {{ site.title }} & <b>"
base_url = "https://alpha.example"
posts_dir = "sites/alpha/_posts"
feeds_dir = "sites/alpha/feeds"
brand = "alpha"
default_image = "/assets/img/alpha.jpg"
footer = '실시간 뉴스 속보는, <a href="https://alpha.example" rel="dofollow">https://alpha.example</a>'
feature_heading = "## {brand} 실시간 뉴스 속보입니다."
sources = ["stress"]
attribution = false
feeds.limit = 1000

[[site]]
id = "beta"
title = "beta"
base_url = "https://beta.example/blog/"
posts_dir = "sites/beta/_posts"
feeds_dir = "sites/beta/feeds"
brand = "beta"
categories = []
timezone = "America/St_Johns"
permalink = "/:year/:month/:day/:title/"
sources = ["stress"]
feeds.limit = 1000
"""


def build_stress_run(folder: Path) -> StressRun:
    """Fill a store with the articles, write every post and feed with sokbo's own code."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sokbo.toml"
    path.write_text(CONFIG, encoding="utf-8")
    config = load_config(path)
    # Every format the feed writer knows today (JSON Feed and per-category feeds join
    # in as soon as feeds/ writes them).
    settings: dict[str, object] = {
        "formats": [f for f in ("rss", "atom", "json") if f in sokbo.publish.feeds.write.FEED_FILES]
    }
    if "per_category" in FeedSettings.model_fields:
        settings["per_category"] = True
    sites = [
        site.model_copy(update={"feeds": site.feeds.model_copy(update=settings)})
        for site in config.site
    ]
    config = config.model_copy(update={"site": sites})
    rng = random.Random(SEED)
    store = Store(config.store.url)
    now = datetime(2024, 8, 1, tzinfo=UTC)
    stored = []
    crashes: list[tuple[str, str]] = []
    try:
        for index in range(ARTICLES):
            item = store.upsert(random_article(rng, index, crashes), now)
            stored.append(item)
            for site in config.site:
                publish_post(store, site, item, now)
        for site in config.site:
            sokbo.publish.feeds.write.write_site_feeds(store, site)
    finally:
        store.close()
    return StressRun(config, stored, crashes)


def site(run: StressRun, site_id: str) -> SiteConfig:
    return next(site for site in run.config.site if site.id == site_id)
