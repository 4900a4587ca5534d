"""The README's worked example of per-source selectors, run as written."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sokbo.config import SourceConfig
from sokbo.extract.article import parse_article
from sokbo.extract.clean import clean_html
from sokbo.extract.presets import PRESETS
from sokbo.models import Page

README = Path(__file__).parents[1] / "README.md"
PAGE = """<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8">
<title>폭우 피해 속출 - 지역일보</title></head>
<body><header id="top"><h1><a href="/">지역일보</a></h1>
<nav><a href="/politics">정치</a></nav></header>
<div class="view">
  <h2 class="headline">폭우 피해 속출</h2>
  <p class="date">등록 2024.07.01 09:10</p>
  <div class="byline"><span class="name">홍길동 기자</span> hong@regional-paper.example</div>
  <div class="news_text">
    <p>충청 지역에 시간당 80mm의 폭우가 쏟아져 피해가 잇따랐다.</p>
    <div class="ad">광고</div>
    <p>주민 300여 명이 임시 대피소로 옮겼다.</p>
    <p class="copyright">무단전재 및 재배포 금지</p>
  </div>
</div>
<aside><h3>많이 본 뉴스</h3><ul><li><a href="/2">다른 기사</a></li></ul></aside>
</body></html>"""


def readme_source() -> SourceConfig:
    block = re.search(
        r"```toml\n(\[\[source\]\]\nid = \"regional\".*?)```", README.read_text(), re.S
    )
    assert block, "the worked example is gone from the README"
    return SourceConfig.model_validate(tomllib.loads(block.group(1))["source"][0])


def test_the_worked_example_extracts_what_it_promises() -> None:
    source = readme_source()
    preset = PRESETS[source.preset].with_overrides(source.selectors)
    url = "https://www.regional-paper.example/news/1"
    page = Page(source.id, url, url, PAGE, datetime(2024, 7, 2, tzinfo=UTC))
    article = parse_article(page, preset, ZoneInfo(source.timezone), source.language)
    assert article.title == "폭우 피해 속출"
    assert article.published == datetime(2024, 7, 1, 9, 10, tzinfo=ZoneInfo("Asia/Seoul"))
    assert article.authors == ("홍길동",)
    assert clean_html(article.body_html, url) == (
        "<p>충청 지역에 시간당 80mm의 폭우가 쏟아져 피해가 잇따랐다.</p>\n"
        "    <p>주민 300여 명이 임시 대피소로 옮겼다.</p>"
    )
    evidence = dict(article.evidence)
    assert evidence["body"] == "preset:kr_news .news_text"
    assert evidence["published"].startswith("preset:") or evidence["published"].startswith("text:")
