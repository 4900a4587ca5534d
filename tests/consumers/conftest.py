"""One demo crawl and one stress store per test session, shared by the consumer tests."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from sokbo.config import Config, SiteConfig, load_config
from sokbo.demo.server import SITE_ROOT, serve
from sokbo.models import StoredArticle
from sokbo.store import Store
from tests.consumers.stress import StressRun, build_stress_run
from tests.support.cli import run_sokbo, write_demo_config


@dataclass
class Published:
    """A finished run: its config, and per site the articles it published (newest first)."""

    name: str
    config: Config
    # Stress bodies that sokbo.extract.clean refused with an exception: (raw HTML, error).
    clean_crashes: list[tuple[str, str]] = field(default_factory=list)

    def sites(self) -> list[SiteConfig]:
        return list(self.config.site)

    def articles(self, site: SiteConfig, limit: int | None = None) -> list[StoredArticle]:
        store = Store(self.config.store.url)
        try:
            return store.site_articles(site.id, limit=limit)
        finally:
            store.close()


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Published:
    """The demo blog crawled over real HTTP into a temporary folder, as `make demo` does."""
    run = tmp_path_factory.mktemp("demo")
    with serve(SITE_ROOT, "127.0.0.1", 0) as base:
        config = write_demo_config(run, base)
        result = run_sokbo("--config", str(config), "crawl", cwd=run)
    assert result.returncode == 0, result.stdout + result.stderr
    return Published("demo", load_config(config))


@pytest.fixture(scope="session")
def stress_run(tmp_path_factory: pytest.TempPathFactory) -> Published:
    built: StressRun = build_stress_run(tmp_path_factory.mktemp("stress"))
    return Published("stress", built.config, built.clean_crashes)
