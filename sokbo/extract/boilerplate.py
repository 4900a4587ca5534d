"""What page furniture looks like: class/id hints and boilerplate lines, English and Korean."""

from __future__ import annotations

import re
from functools import lru_cache

# Hint levels returned by class_hint(). Ideas from readability's class-weight lists and
# trafilatura's discard XPaths (names such as "comment", "sidebar", "share" are what
# every CMS uses); the regexes and the split into levels are this module's own.
BODY = 2  # the article body itself: itemprop=articleBody, .entry-content, ...
CONTENT = 1  # content-like: article, post, story, main, ...
NEUTRAL = 0
NOISE = -1  # small furniture (ad slot, tag list, byline box); a large one is misnamed
LAYOUT = -2  # sidebars, menus: junk, but themes also name page wrappers so
JUNK = -3  # never wraps an article: comments, related lists, share bars, newsletters

_JUNK = re.compile(
    r"comment|disqus|related|recommend|popular|trending|most-?read|newsletter|subscribe(?!r)|"
    r"footer|breadcrumb|social|share(?!d)|sharing|cookie|consent|gdpr|outbrain|taboola|signup|"
    r"sign-up|login|pagination|pager|modal|popup|gallery|slideshow|carousel|discussion|latest|"
    r"more-?stories|more-?news|more-?articles|read-?next|up-?next|author-?bio|author-?box|"
    r"about-?(?:the-?)?author|"
    r"(?:^|[^a-z0-9])(?:reply|replies|cmt|sns|rel-news|relation)(?:$|[^a-z0-9])"
)
# "with-sidebar", "has-sidebar", "no-sidebar" name the main column of such a layout.
_LAYOUT = re.compile(
    r"(?<!with-)(?<!has-)(?<!no-)(?:sidebar|side-bar)|navigation|menu|"
    r"(?:^|[^a-z0-9])(?:nav|aside)(?:$|[^a-z0-9])"
)
# Not "widget": a sidebar's box in blog themes, but page builders (Elementor, SiteOrigin,
# HubSpot) call every block of an article a widget. A sidebar is named as one itself.
_NOISE = re.compile(
    r"advert|adsense|adsbygoogle|revenue|sponsor|promo|banner|masthead|credit|"
    r"(?:^|[^a-z0-9])(?:ad|ads|tags|meta|rel|hot|rank|ranking|next|prev|previous)(?:$|[^a-z0-9])|"
    # "tag" alone or a tag list, but not WordPress's "tag-<slug>" on every post's <article>
    r"(?:^|\s)tag(?:$|\s)|tag-?(?:list|cloud|links)"
)
# Embedded posts (tweets, Instagram) quote sources: part of the story despite "social".
_EMBED = re.compile(r"embed|tweet|instagram")
_CONTENT = re.compile(r"article|body|content|entry|main|post|story|text|blog|view|news")
_BODY = re.compile(
    r"article-?body|article_body|articlecontent|article-content|entry-content|post-content|"
    r"post-body|story-body|story-content|news-body|article-text|article_txt"
)
_CAMEL = re.compile(r"([a-z])([A-Z])")
TAG_HINTS = {"nav": LAYOUT, "aside": LAYOUT, "footer": JUNK, "header": NOISE}
ROLE_HINTS = {
    "navigation": LAYOUT,
    "menu": LAYOUT,
    "menubar": LAYOUT,
    "complementary": LAYOUT,
    "contentinfo": JUNK,
    "dialog": JUNK,
    "alertdialog": JUNK,
    "banner": NOISE,
    "search": NOISE,
}


@lru_cache(maxsize=8192)
def class_hint(attrs: str) -> int:
    """The hint level of an element from its class, id and itemprop joined by spaces.

    Cached: class strings repeat across a page and across pages of one site.
    """
    text = _CAMEL.sub(r"\1-\2", attrs).lower()  # "articleBody" -> "article-body"
    if _BODY.search(text):
        return BODY
    if _EMBED.search(text):
        return NEUTRAL
    if _JUNK.search(text):
        return JUNK
    if _LAYOUT.search(text):
        return LAYOUT
    if _NOISE.search(text):
        return NOISE
    if _CONTENT.search(text):
        return CONTENT
    return NEUTRAL


# Whole lines that are furniture wherever they stand: ad labels and sizes, share/follow/
# subscribe prompts, comment links, reading-time notes.
_FURNITURE_LINE = re.compile(
    r"(?:advertisement|advert|ad|ads|sponsored(?: content)?|광고|\d{2,4}\s*[x×]\s*\d{2,4}|"
    r"share (?:this|it|on|via)\b.*|.*\bshare (?:it|this) with\b.*|follow (?:us|me|@).*|"
    r"subscribe\b.*|sign up (?:for|to|now)\b.*|like (?:us|this (?:story|article))\b.*|"
    r"(?:tell us|leave a|post a|add a) (?:what you think|comment|reply).*|comments?|"
    r"(?:reading time|tempo de leitura|\d+ min(?:ute)?s? read).*|"
    r"back to top|print|email|share|tweet|"
    r"공유하기|구독(?:하기|하세요)|좋아요|댓글(?:\s?\d+|\s?쓰기|\s?달기)?|기사\s?제보.*|"
    r"목록|인쇄|스크랩)\W*",
    re.IGNORECASE,
)
# Headings of link lists and bylines: furniture only when they are not a sentence, so
# "Also on Tuesday, the senate voted." stays (see _SENTENCE).
_LABEL_LINE = re.compile(
    r"(?:you (?:may|might) also like|also on|related|read (?:more|next|also)|more from|"
    r"recommended|most (?:read|popular)|trending|by|updated|published|posted|"
    r"관련\s?기사|많이 본 (?:뉴스|기사))\b.*",
    re.IGNORECASE,
)
# A line ending like a sentence (an ellipsis is a teaser's "more...", not an end).
_SENTENCE = re.compile(r"(?<!\.)[.!?](?!\.)[\"'”’)\]]*$|다$")
_WORD = re.compile(r"[^\W\d_]+")
_DIGIT = re.compile(r"\d")
# Bare numbers are table data; "2024.07.01" or "09:30" are dates and times.
_DATE_NUMBERS = re.compile(r"\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}:\d{2}")
# A dateline is digits plus only these words: "Nov. 19, 2019 8:03 am ET", "입력 2024.07.01".
_DATE_WORDS = frozenset(
    "jan feb mar apr may jun jul aug sep sept oct nov dec january february march "  # noqa: SIM905
    "april june july august september october november december mon tue wed thu "
    "fri sat sun monday tuesday wednesday thursday friday saturday sunday am pm "
    "et est edt pt pst pdt gmt utc bst cet kst updated update published posted "
    "last modified on at of th st nd rd "
    "입력 수정 승인 기사입력 업데이트 등록 발행 최종수정 오전 오후 년 월 일 시 분".split()
)


def is_boilerplate_line(text: str) -> bool:
    """Whether a short block's text is furniture (an ad label, a share prompt, a dateline)."""
    text = " ".join(text.split())
    if not text:
        return False
    if _FURNITURE_LINE.fullmatch(text):
        return True
    if _LABEL_LINE.fullmatch(text):
        return _SENTENCE.search(text) is None
    if not _DIGIT.search(text):
        return False
    words = _WORD.findall(text.lower())
    if words:
        return all(word in _DATE_WORDS for word in words)
    return _DATE_NUMBERS.search(text) is not None
