"""One robots.txt download per site and run, shared by Scrapy and the sitemap spider.

Scrapy's robots middleware fetches a site's robots.txt before the first request to it
may pass; the sitemap spider needs the same file for its `Sitemap:` lines. Without this,
every run of a sitemap source asked each site for robots.txt twice. This downloader
middleware sits just after Scrapy's (which only reads the file, never hands it on): it
keeps each robots.txt that the robots middleware downloaded, and answers a spider request
marked with ``REUSE_ROBOTS`` from it instead of downloading the file again.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy import Request
from scrapy.http import Response

# Request.meta key: answer this robots.txt request from the copy fetched this run, if any.
REUSE_ROBOTS = "sokbo_reuse_robots"


class RobotsTxtReuseMiddleware:
    """Keeps the robots.txt responses of this run; answers marked requests from them."""

    def __init__(self) -> None:
        self._kept: dict[str, Response] = {}

    def process_request(self, request: Request) -> Response | None:
        if not request.meta.get(REUSE_ROBOTS):
            return None
        kept = self._kept.get(request.url)
        return None if kept is None else kept.replace(request=request)

    def process_response(self, request: Request, response: Response) -> Response:
        # The robots middleware's own download: marked so that robots.txt does not
        # wait for itself. Only a file the site served is kept; anything else the
        # spider asks for again, and sees for itself.
        if (
            request.meta.get("dont_obey_robotstxt")
            and not request.meta.get(REUSE_ROBOTS)
            and urlsplit(request.url).path == "/robots.txt"
            and response.status == 200
        ):
            self._kept[request.url] = response
        return response
