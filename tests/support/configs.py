"""Config files for tests: one writer for every test that needs sources and a site."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

USER_AGENT = "sokbo-test/0.1 (+https://example.invalid/contact)"


def write_config(
    folder: Path, sources: Mapping[str, str], schedule: str = "", store: str = ""
) -> Path:
    """A config with one [[source]] per entry (id -> its TOML lines) and one site that
    publishes them all; `schedule`: lines of the [schedule] table."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = "".join(f'\n[[source]]\nid = "{name}"\n{body}\n' for name, body in sources.items())
    names = ", ".join(f'"{name}"' for name in sources)
    store_table = f'[store]\nurl = "{store}"\n' if store else ""
    path = folder / "sokbo.toml"
    path.write_text(
        f"""{store_table}[crawl]
delay = 0.0
user_agent = "{USER_AGENT}"

[schedule]
{schedule}
{tables}
[[site]]
id = "out"
title = "out"
base_url = "https://out.example"
posts_dir = "sites/out/_posts"
feeds_dir = "sites/out/feeds"
brand = "out"
sources = [{names}]
""",
        encoding="utf-8",
    )
    return path


def write_source_config(folder: Path, base: str, source: str) -> Path:
    """The config of one source "src" (its TOML lines, `{base}` filled in) feeding site
    "out": the fixture-site tests' config."""
    return write_config(folder, {"src": source.format(base=base)})


VALID = """
[store]
url = "sqlite:///data/sokbo.db"

[[source]]
id = "yna"
kind = "feed"
start_urls = ["https://www.yna.co.kr/rss/news.xml"]
schedule = "*/10 * * * *"

[[site]]
id = "newsdao"
title = "newsdao"
base_url = "https://newsdao.kr"
posts_dir = "sites/newsdao/_posts"
feeds_dir = "sites/newsdao/feeds"
brand = "newsdao"
sources = ["yna"]
"""


def write_text_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sokbo.toml"
    path.write_text(text, encoding="utf-8")
    return path
