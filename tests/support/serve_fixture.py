"""A config and a store with real rows for `sokbo serve`'s tests (filled through Store)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sokbo import stats as stat_keys
from sokbo.models import Article
from sokbo.store import Store

SOURCES = ("alpha", "beta", "gamma")
# As the pipeline stores bodies, with URLs made absolute against the article's page: the
# image fails to load (this machine reaches no other host), so its onerror would run.
HOSTILE = (
    "<p>hostile</p><script>alert(1)</script><img src=https://blog.example/x onerror=alert(2)>"
    '<a href="javascript:alert(3)">click</a>'
)
HOSTILE_TITLE = "<script>alert(4)</script> 속보"
GOOD = {"body": "generic", "image": "og:image", "published": "og:published", "title": "og:title"}
RSS = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
    "<link>https://blog.example/</link><description>d</description></channel></rss>"
)


def write_config(folder: Path, store: bool = True) -> Path:
    """sokbo.toml in `folder`, its store filled unless `store` is False; its path."""
    (folder / "feeds").mkdir(parents=True, exist_ok=True)
    (folder / "feeds" / "rss.xml").write_text(RSS, encoding="utf-8")
    (folder / "feeds" / "atom.xml").write_text("<feed><broken", encoding="utf-8")
    sources = "".join(
        f'[[source]]\nid = "{name}"\nkind = "feed"\nstart_urls = ["https://{name}.example/rss"]\n\n'
        for name in SOURCES
    )
    path = folder / "sokbo.toml"
    path.write_text(
        f'[store]\nurl = "sqlite:///{folder / "sokbo.db"}"\n\n'
        f'[crawl]\nstate_dir = "{folder / "state"}"\n\n'
        f"{sources}"
        '[[site]]\nid = "blog"\ntitle = "Blog"\nbase_url = "https://blog.example/"\n'
        'posts_dir = "posts"\nfeeds_dir = "feeds"\nbrand = "Blog"\nsources = ["alpha"]\n',
        encoding="utf-8",
    )
    if store:
        fill(f"sqlite:///{folder / 'sokbo.db'}", datetime.now(UTC))
    return path


def fill(url: str, now: datetime) -> None:
    """Runs over 14 days for alpha (the last with an error), one run of beta, gamma never;
    alpha's articles with evidence, one of them hostile, each posted on the blog."""
    store = Store(url)
    try:
        for day in range(14):
            started = now - timedelta(days=day, hours=1)
            stats = {
                stat_keys.stored("new"): 2,
                stat_keys.stored("updated"): 1,
                stat_keys.DROPPED + "old": 4,
            }
            errors = "feed https://alpha.example/rss: answered 500" if day == 0 else None
            store.record_run(
                "alpha",
                started,
                started + timedelta(seconds=3),
                "finished",
                stats,
                exit_status=1 if errors else 0,
                errors=errors,
            )
        store.record_run("beta", now - timedelta(hours=2), now - timedelta(hours=2), "finished", {})
        for number in range(6):
            hostile = number == 0
            article = Article(
                url=f"https://alpha.example/{number}",
                source_id="alpha",
                title=HOSTILE_TITLE if hostile else f"Story {number}",
                excerpt="excerpt",
                body_html=HOSTILE if hostile else f"<p>body {number}</p>",
                published=now - timedelta(hours=number),
                evidence=tuple(GOOD.items()),
            )
            stored = store.upsert(article, now - timedelta(hours=number))
            store.record_post("blog", stored, f"posts/{number}.md", [], True, now)
        _fill_older(store, now)
    finally:
        store.close()


def _fill_older(store: Store, now: datetime) -> None:
    """Alpha's articles of the 13 days before: the charts' history (never posted). Three
    a day at different hours; every other day one of them without an image."""
    without_image = {key: value for key, value in GOOD.items() if key != "image"}
    for day in range(1, 14):
        for number, hour in enumerate((3, 9, 17)):
            seen = now - timedelta(days=day, hours=hour)
            evidence = without_image if day % 2 and number == 0 else GOOD
            article = Article(
                url=f"https://alpha.example/{day}/{number}",
                source_id="alpha",
                title=f"Older {day}.{number}",
                excerpt="excerpt",
                body_html=f"<p>older {day} {number} {'x ' * (day * 7 + number)}</p>",
                published=seen,
                evidence=tuple(evidence.items()),
            )
            store.upsert(article, seen)
