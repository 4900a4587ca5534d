"""The preview page's work: `sokbo preview URL --json` in a child process, its answer
shaped for the template. The child fetches the page once (robots.txt obeyed) and stores
and writes nothing; a process of its own because Scrapy's reactor runs once per process,
and so that a page that hangs or crashes the extraction costs the server nothing."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import frontmatter

from sokbo.config import Config

# One preview at a time (each is a crawl process): a reload storm fetches nothing twice
# at once from a source, and the server keeps a core for its pages.
_ONE_AT_A_TIME = asyncio.Lock()
TIMEOUT = 90.0  # seconds: robots.txt, the page and its retries, with the config's delay


@dataclass(frozen=True)
class ShownPost:
    site: str
    file: str
    front_matter: str  # the YAML between the --- lines, as written
    body: str  # the HTML after them, for a sandboxed frame
    text: str  # the whole file


@dataclass(frozen=True)
class Preview:
    url: str
    error: str | None = None  # one line: why there is no post
    source: str | None = None
    final_url: str | None = None
    article: dict[str, Any] = field(default_factory=dict)
    posts: list[ShownPost] = field(default_factory=list)

    def fields(self) -> list[tuple[str, str, str]]:
        """(field, its value as text, where it was found) for each field with evidence."""
        rows = []
        for name, where in self.article.get("evidence", {}).items():
            value = self.article.get(name)
            text = ", ".join(value) if isinstance(value, list) else str(value or "")
            rows.append((name, text, where))
        return rows


def refusal(config: Config, url: str, source: str, site: str) -> str | None:
    """Why the form's values cannot be previewed, in a line; None when they can."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "not an http(s) URL"
    if source and source not in {item.id for item in config.source}:
        return f"no source '{source}' in the config"
    if site and site not in {item.id for item in config.site}:
        return f"no site '{site}' in the config"
    return None


async def preview(
    config_path: Path, url: str, source: str = "", site: str = "", timeout: float = TIMEOUT
) -> Preview:
    """The posts `url` would become (checked by `refusal` first)."""
    command = [sys.executable, "-m", "sokbo", "--config", str(config_path), "preview", url]
    command += ["--json", *(["--source", source] if source else [])]
    command += ["--site", site] if site else []
    async with _ONE_AT_A_TIME:
        child = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=config_path.parent,
        )
        try:
            out, err = await asyncio.wait_for(child.communicate(), timeout)
        except TimeoutError:
            child.kill()
            await child.wait()
            return Preview(url, error=f"no answer within {timeout:.0f} s")
    if child.returncode != 0:
        return Preview(url, error=_last_line(err.decode("utf-8", "replace"), url))
    return from_json(url, out.decode("utf-8"))


def from_json(url: str, text: str) -> Preview:
    """`sokbo preview --json`'s answer as the page shows it: each post split at its
    front matter."""
    answer = json.loads(text)
    posts = []
    for post in answer["posts"]:
        parsed = frontmatter.loads(post["text"])
        head = post["text"].split("---\n", 2)[1] if post["text"].startswith("---\n") else ""
        posts.append(ShownPost(post["site"], post["file"], head, parsed.content, post["text"]))
    return Preview(url, None, answer["source"], answer["final_url"], answer["article"], posts)


def _last_line(stderr: str, url: str) -> str:
    """The child's own one-line reason (`sokbo preview: URL: ...`), without its prefix."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    if not lines:
        return "the preview process ended without a word"
    return (
        lines[-1].removeprefix("sokbo preview: ").removeprefix("sokbo: ").removeprefix(f"{url}: ")
    )
