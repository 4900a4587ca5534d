"""Every counter sokbo keeps in a crawl's Scrapy stats, named once.

Spiders, middlewares and pipelines write them; `outcome` (failed or not, the counts),
`summary` and `progress` read them, and the runs table keeps them. A key ending in "/"
is a family: the reason or the kind follows it (`dropped("not a web page")`).
"""

from __future__ import annotations

# Discovery and fetching.
FEED_ENTRIES = "sokbo/feed_entries"  # entries read from feeds and sitemaps
PUSHED_ENTRIES = "sokbo/pushed_entries"  # entries read from what hubs pushed (WebSub)
LISTING_PAGES = "sokbo/listing_pages"
NOT_MODIFIED = "sokbo/not_modified"  # documents answered 304
FETCH = "sokbo/fetch/"  # article pages fetched: new, changed, recheck
PAGE_ERRORS = "sokbo/page_errors"  # article pages that could not be had
FEED_ERRORS = "sokbo/feed_errors"  # feeds, sitemaps and listings that could not be had
BACKOFF = "sokbo/backoff"  # a 429/503 slowed the crawl of a host
RESUMED_REQUESTS = "sokbo/resumed_requests"  # taken over from a stopped run's queue
QUEUED_AT_STOP = "sokbo/queued_at_stop"  # left in the queue of a stopped run

# Decoding.
DECODE_CUT_AT_END = "sokbo/decode/cut_at_end"  # a page cut inside its last character
DECODE_ERROR_PAGES = "sokbo/decode_errors/pages"
DECODE_ERROR_CHARACTERS = "sokbo/decode_errors/characters"

# What became of each entry and article.
SKIPPED = "sokbo/skipped/"  # not fetched, and why (older than max_age, unchanged...)
DROPPED = "sokbo/dropped/"  # fetched, not stored, and why (not an article...)
ARTICLES = "sokbo/articles/"  # stored: new, updated, unchanged
POSTS_WRITTEN = "sokbo/posts/written"
POSTS_UNCHANGED = "sokbo/posts/unchanged"
# Posts of articles stored before this run (by a run that failed to publish them, or
# before their site was added), published by this one.
POSTS_PENDING = "sokbo/posts/pending"
# Stories (sokbo.stories): articles that started one, versions a story's post now shows
# (re-rendered in place), versions not posted because their story's post covers them.
STORIES_NEW = "sokbo/stories/new"
STORY_VERSIONS = "sokbo/stories/versions"
STORY_DUPLICATES = "sokbo/stories/duplicates"
FEEDS_WRITTEN = "sokbo/feeds/written"
FEEDS_UNCHANGED = "sokbo/feeds/unchanged"

# Images of the sites that mirror them (sokbo.crawl.pipelines.images), counted by URL:
# copied this run, copied before (not fetched again), failed before and not due for
# another try yet, and not copied this run (a family: the rule broken, "HTTP 404", ...).
# None fails a run: a post shows the original URL of an image it has no copy of.
IMAGES_MIRRORED = "sokbo/images/mirrored"
IMAGES_ALREADY_MIRRORED = "sokbo/images/already_mirrored"
IMAGES_WAITING = "sokbo/images/waiting"
IMAGES_FAILED = "sokbo/images/failed/"
# Posts published again because an image they show was mirrored after them.
IMAGES_POSTS_UPDATED = "sokbo/images/posts_updated"

# Work a run could not do (each also logged at ERROR, so the run counts as failed); the
# next run does it: a post or feed not written, an article the store refused.
FAILED_POSTS = "sokbo/failed/posts"
FAILED_FEEDS = "sokbo/failed/feeds"
FAILED_STORE = "sokbo/failed/store"


def skipped(reason: str) -> str:
    return SKIPPED + reason


def dropped(reason: str) -> str:
    return DROPPED + reason


def fetched(reason: str) -> str:
    return FETCH + reason


def stored(status: str) -> str:
    return ARTICLES + status


def image_failed(kind: str) -> str:
    return IMAGES_FAILED + kind
