"""`sokbo serve` in Debian's Chromium (Playwright): pages load clean, nothing scraped runs."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.support.serve_fixture import write_config

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SANDBOXED = "Blocked script execution in 'about:srcdoc' because the document's frame is sandboxed"
NOT_LOADED = "Failed to load resource"  # a post's image; the application's own are checked
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts" / "serve"
PAGES = {"sources": "/", "source": "/source/alpha", "site": "/site/blog", "never": "/source/gamma"}
# Into the demo article's body, for the preview: none of it may run in the operator's browser.
HOSTILE = (
    '<script>alert("script")</script><img src="x" onerror="alert(\'onerror\')">'
    "<p onclick=\"alert('click')\">hostile</p>"
)
BODY = '<div class="tt_article_useless_p_margin contents_style">'
# In every frame (the srcdoc ones too): any alert or console.log is recorded, not shown.
HOOK = """
window.__calls = [];
for (const name of ['alert', 'confirm', 'prompt']) {
  window[name] = (...a) => { window.__calls.push(name); };
}
const log = console.log;
console.log = (...a) => { window.__calls.push('log'); log(...a); };
"""


def _require_chromium() -> None:
    if shutil.which(CHROMIUM) is None:
        why = f"{CHROMIUM} is not installed (make deps installs Debian's chromium)"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    _require_chromium()
    config = write_config(tmp_path)
    port = _free_port()
    command = [sys.executable, "-m", "sokbo", "--config", str(config), "serve"]
    process = subprocess.Popen([*command, "--port", str(port)], cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_pages_in_chromium(server: str, demo_site: Path, demo_base: str) -> None:
    from playwright.sync_api import Dialog, sync_playwright

    page_one = demo_site / "1.html"
    page_one.write_text(page_one.read_text("utf-8").replace(BODY, BODY + HOSTILE), "utf-8")
    pages = PAGES | {"preview": f"/preview?url={quote(demo_base + '/1', safe='')}"}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 4000})
            page.add_init_script(HOOK)
            errors: list[str] = []
            dialogs: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            # The application's own requests must all succeed; a post's images are the
            # source's (the bait above is not there; this machine reaches no other host).
            ours = server + "/"
            page.on(
                "requestfailed",
                lambda r: errors.append(f"failed: {r.url}") if r.url.startswith(ours) else None,
            )
            page.on(
                "response",
                lambda r: (
                    errors.append(f"{r.status} {r.url}")
                    if r.status >= 400 and r.url.startswith(ours)
                    else None
                ),
            )
            page.on("pageerror", lambda exc: errors.append(str(exc)))

            def dialog(shown: Dialog) -> None:
                dialogs.append(shown.message)
                shown.dismiss()

            page.on("dialog", dialog)
            for name, path in pages.items():
                page.goto(server + path, wait_until="load")
                page.wait_for_timeout(300)
                page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
                calls = [frame.evaluate("window.__calls || []") for frame in page.frames]
                assert [call for frame in calls for call in frame] == [], name
                if name == "sources":
                    row = page.locator('tr[data-source="alpha"]')
                    assert row.locator("td.new").inner_text() == "2"
                    assert row.locator("td.dropped").inner_text() == "4"
                    assert row.locator("td.day").inner_text() == "6"
                if name == "site":
                    assert len(page.frames) == 1 + 6  # each post in its own frame
                if name == "preview":
                    assert page.locator("article.preview h2").inner_text().startswith("Site blog")
                    post = page.frames[1]
                    assert "조태열 외교부 장관" in post.locator("body").inner_text()
                    assert "hostile" in post.locator("body").inner_text()
                    post.locator("p", has_text="hostile").click()
            # Chromium reports each script it refuses in a sandboxed frame (the hook above
            # included) as a console error: that is the sandbox holding, not a page error.
            others = [text for text in errors if not text.startswith((SANDBOXED, NOT_LOADED))]
            assert others == [], "\n".join(others)
            assert dialogs == []
        finally:
            browser.close()
