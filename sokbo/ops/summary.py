"""The run summary a person reads after `sokbo crawl` or `make demo`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from sokbo import stats as stat_keys
from sokbo.config import Config
from sokbo.outcome import cleanly_stopped, crawl_errors, stat_count
from sokbo.publish.feeds.write import FEED_FILES


def _count(stats: Sequence[Mapping[str, Any]], key: str) -> int:
    return sum(stat_count(one, key) for one in stats)


def format_summary(config: Config, runs: Mapping[str, Mapping[str, Any]], seconds: float) -> str:
    """Totals over every source crawled, the reasons items were dropped, where files are."""
    stats = list(runs.values())
    dropped, skipped = _by_reason(stats, stat_keys.DROPPED), _by_reason(stats, stat_keys.SKIPPED)
    # Scrapy's offsite filter drops redirects and links to other hosts without an errback.
    offsite = _count(stats, "offsite/filtered")
    if offsite:
        skipped["outside allowed_domains (a link or redirect)"] += offsite
    written, unchanged = (
        _count(stats, stat_keys.POSTS_WRITTEN),
        _count(stats, stat_keys.POSTS_UNCHANGED),
    )
    names = ", ".join(runs)
    lines = [
        f"sokbo: crawled {len(runs)} source{'s' if len(runs) != 1 else ''} ({names}) "
        f"in {seconds:.1f} s",
        f"  requests         {_count(stats, 'downloader/request_count')}"
        f"  (not modified: {_count(stats, 'downloader/response_status_count/304')})",
        # Article pages that arrived (a page refused by robots.txt, failed or still queued
        # when the run stopped is not among them), by why they were asked for.
        f"  pages fetched    {_count(stats, stat_keys.fetched('new'))} new, "
        f"{_count(stats, stat_keys.fetched('changed'))} changed, "
        f"{_count(stats, stat_keys.fetched('recheck'))} re-checked",
        f"  not fetched      {sum(skipped.values())}",
    ]
    lines += [f"    {count:>4}  {reason}" for reason, count in sorted(skipped.items())]
    lines += [
        f"  articles         {_count(stats, stat_keys.stored('new'))} new, "
        f"{_count(stats, stat_keys.stored('updated'))} updated, "
        f"{_count(stats, stat_keys.stored('unchanged'))} unchanged",
        f"  stories          {_count(stats, stat_keys.STORIES_NEW)} new, "
        f"{_count(stats, stat_keys.STORY_VERSIONS)} new versions shown, "
        f"{_count(stats, stat_keys.STORY_DUPLICATES)} duplicates not posted",
        f"  posts            {written} written, {unchanged} unchanged"
        + _left_over(_count(stats, stat_keys.FAILED_POSTS), "the next run writes them"),
        f"  feeds            {_count(stats, stat_keys.FEEDS_WRITTEN)} written, "
        f"{_count(stats, stat_keys.FEEDS_UNCHANGED)} unchanged"
        + _left_over(_count(stats, stat_keys.FAILED_FEEDS), "the next run builds them"),
        f"  dropped          {sum(dropped.values())}",
    ]
    lines += [f"    {count:>4}  {reason}" for reason, count in sorted(dropped.items())]
    lines += _images(stats)
    undecodable = {
        name: int(one.get(stat_keys.DECODE_ERROR_PAGES, 0))
        for name, one in runs.items()
        if one.get(stat_keys.DECODE_ERROR_PAGES)
    }
    if undecodable:
        per_source = ", ".join(f"{name}: {count}" for name, count in undecodable.items())
        lines.append(
            f"  decoding         {sum(undecodable.values())} pages with undecodable "
            f"characters ({per_source})"
        )
    caught_up = _count(stats, stat_keys.POSTS_PENDING)
    if caught_up:
        lines.append(f"  caught up        {caught_up} posts of articles stored earlier")
    unsaved = _count(stats, stat_keys.FAILED_STORE)
    if unsaved:
        lines.append(f"  not stored       {unsaved} articles (fetched again by the next run)")
    lines += [_stopped_early(config, name, one) for name, one in runs.items()]
    failed = _count(stats, stat_keys.PAGE_ERRORS)
    if failed:
        lines.append(f"  failed pages     {failed} (tried again on the next run)")
    errors = _count(stats, "log_count/ERROR")
    if errors:
        lines.append(f"  errors           {errors} (see the log above)")
    clean = all(crawl_errors(one.get("finish_reason"), one) is None for one in stats)
    if written == 0 and clean:
        lines.append("  nothing new: every post is unchanged")
    crawled = set(runs)
    sites = [site for site in config.site if crawled & set(site.sources)]
    if sites:
        lines.append("posts:")
        lines += [f"  {site.id:<12} {site.posts_dir}" for site in sites]
        lines.append("feeds:")
        for site in sites:
            files = ", ".join(FEED_FILES[fmt] for fmt in site.feeds.formats)
            lines.append(f"  {site.id:<12} {site.feeds_dir}/  ({files})")
    return "\n".join(line for line in lines if line)


def _images(stats: Sequence[Mapping[str, Any]]) -> list[str]:
    """What the sites that mirror images did with them, and why some were not copied;
    nothing when no image was looked at (every site hotlinks)."""
    failed = _by_reason(stats, stat_keys.IMAGES_FAILED)
    mirrored, already, waiting, updated = (
        _count(stats, key)
        for key in (
            stat_keys.IMAGES_MIRRORED,
            stat_keys.IMAGES_ALREADY_MIRRORED,
            stat_keys.IMAGES_WAITING,
            stat_keys.IMAGES_POSTS_UPDATED,
        )
    )
    if not (mirrored or already or waiting or failed):
        return []
    line = (
        f"  images           {mirrored} mirrored, {already} already mirrored, "
        f"{sum(failed.values())} not mirrored (linked; tried again later)"
    )
    if waiting:
        line += f", {waiting} not due for another try"
    if updated:
        line += f", {updated} earlier posts updated with theirs"
    return [line, *(f"    {count:>4}  {reason}" for reason, count in sorted(failed.items()))]


def _left_over(count: int, remedy: str) -> str:
    return f", {count} not written ({remedy})" if count else ""


def _stopped_early(config: Config, name: str, stats: Mapping[str, Any]) -> str:
    """`stopped early: ...` for a run that did not finish; '' for one that did."""
    reason = stats.get("finish_reason")
    if reason in (None, "finished"):
        return ""
    queued = stat_count(stats, stat_keys.QUEUED_AT_STOP)
    if not config.crawl.resume:
        then = f"{queued} requests not made; the next run starts over"
    elif cleanly_stopped(reason, stats):
        then = f"{queued} requests still queued, the next run resumes them"
    else:
        then = "after failures; the next run starts over (nothing stored is lost)"
    return f"  stopped early    {name} ({reason}): {then}"


def _by_reason(stats: Sequence[Mapping[str, Any]], prefix: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for one in stats:
        for key, value in one.items():
            if key.startswith(prefix):
                counts[key.removeprefix(prefix)] += int(value)
    return counts
