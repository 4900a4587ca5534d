"""The requests for the images of sites that mirror them, and what a run makes of each:
a copy per site, or why not, and when to try again (sokbo.crawl.pipelines.images)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from scrapy import Request
from scrapy.http.request import NO_CALLBACK
from w3lib.url import safe_url_string

from sokbo.config import SiteConfig
from sokbo.models import MirroredImage

# Request.meta: the URL as the article gives it (Scrapy may normalise request.url), and
# the ids of the sites that want a copy.
ORIGINAL_URL = "sokbo_image_url"
FOR_SITES = "sokbo_image_sites"

_HOUR, _DAY = timedelta(hours=1), timedelta(days=1)
UNWRITABLE = "cannot be written"  # the kind of failure of a site whose images_dir fails


def retry_wait(attempts: int, refused: bool) -> timedelta:
    """How long after its `attempts`-th failed try an image may be tried again."""
    if refused:
        return _DAY
    if attempts <= 1:
        return timedelta(0)
    return min(_HOUR * (1 << min(attempts - 2, 5)), _DAY)  # 1 h, 2 h, 4 h ... 1 day


@dataclass(frozen=True)
class NotCopied:
    """Why a site got no copy of an image in this run."""

    kind: str  # the rule broken, in a few fixed words: the stats key's last part
    reason: str  # in full, for the log and the store
    refused: bool  # the image was refused for what it is: the next try waits a day


@dataclass
class Outcome:
    """What this run made of one image URL, per site: a copy, or why not."""

    copies: dict[str, MirroredImage] = field(default_factory=dict)
    failures: dict[str, NotCopied] = field(default_factory=dict)


@dataclass
class Plan:
    """An article's images: those to request, those already copied, those not due."""

    requests: list[Request] = field(default_factory=list)
    already: int = 0
    waiting: int = 0
    invalid: int = 0  # URLs no request can be made of: counted, never tried


def image_request(url: str, sites: list[SiteConfig], referer: str) -> Request:
    """The request for an image some sites want (see sokbo.crawl.pipelines.images)."""
    limit = max(site.images_max_bytes for site in sites)
    return Request(
        url,
        callback=NO_CALLBACK,
        headers={"Referer": safe_url_string(referer)},  # a header is ASCII: Hangul encoded
        meta={
            ORIGINAL_URL: url,
            FOR_SITES: [site.id for site in sites],
            "download_maxsize": limit,
            "download_warnsize": limit,  # an image near the bound is no news
            "allow_offsite": True,  # images are served from CDNs
            # A failed image is tried again by a later run, after a wait: no retries
            # now (Scrapy's retry middleware says a final failure as an ERROR).
            "dont_retry": True,
        },
    )


def out_of_bounds(site: SiteConfig, image: MirroredImage) -> NotCopied | None:
    """Why the site keeps no copy of an image within the pipeline's widest bounds."""
    if image.size > site.images_max_bytes:
        why = f"{image.size} bytes is more than {site.images_max_bytes}"
        return NotCopied("more than images_max_bytes", why, True)
    if image.width * image.height > site.images_max_pixels:
        why = f"{image.width}×{image.height} is more than {site.images_max_pixels} pixels"
        return NotCopied("more than images_max_pixels", why, True)
    return None
