"""Writes this site's pages, whose damage is byte-level and so cannot be edited by hand.

Run it from anywhere (`python tests/sites/damaged-pages/_make_damaged_pages.py`); it
rewrites only the files it names. The fixture server never serves a file whose name starts
with "_".
"""

from __future__ import annotations

import re
from pathlib import Path

SITE = Path(__file__).parent
BRAND = "한빛일보"
NAV = "속보 · 정치 · 경제 · 사회 · 국제 · 문화 · 스포츠 · 오피니언 · 포토 · 지역"


def article(title: str, age: str, body: str, description: str | None, path: str) -> str:
    """An article page of the site's CMS, UTF-8; `body` is the article's HTML."""
    og_description = (
        f'<meta property="og:description" content="{description}">\n' if description else ""
    )
    return f"""<!DOCTYPE html>
<html lang="ko">
<head>
<meta charset="utf-8">
<title>{title} | {BRAND}</title>
<meta property="og:type" content="article">
<meta property="og:site_name" content="{BRAND}">
<meta property="og:title" content="{title}">
{og_description}<meta property="article:published_time" content="__NOW-{age}__">
<link rel="canonical" href="__BASE__{path}">
</head>
<body>
<header><a class="brand" href="/">{BRAND}</a><nav>{NAV}</nav></header>
<main>
<article>
<h1>{title}</h1>
<div id="articleBody">
{body}
</div>
</article>
</main>
<footer><p>{BRAND} · 대전광역시 서구 · 등록번호 대전 아00000</p></footer>
</body>
</html>
"""


def paragraphs(*texts: str) -> str:
    return "\n".join(f"<p>{text}</p>" for text in texts)


def write(name: str, data: bytes) -> None:
    (SITE / name).write_bytes(data)


def raw(text: str) -> bytes:
    """UTF-8, with each [[xx]] turned into the byte 0xXX (which need not be UTF-8)."""
    return re.sub(rb"\[\[([0-9a-f]{2})\]\]", lambda m: bytes.fromhex(m[1].decode()), text.encode())


def intact() -> bytes:
    body = paragraphs(
        "대전시가 시내버스 노선 개편안을 확정했다. 새 노선은 다음 달 1일부터 운행한다.",
        "개편으로 급행 노선 3개가 새로 생기고, 이용객이 적은 노선 5개는 통합된다.",
        "시는 정류장 안내문과 누리집을 통해 바뀐 노선을 알릴 계획이다.",
    )
    page = article(
        "시내버스 노선 개편안 확정",
        "1h",
        body,
        "대전시가 시내버스 노선 개편안을 확정했다.",
        "/news/intact.html",
    )
    return page.encode("utf-8")


def cut_short() -> bytes:
    # A response cut off in transfer (or by a CMS's byte limit) inside a three-byte
    # character: everything after, closing tags included, is lost.
    body = paragraphs(
        "올여름 전력 수요가 어제 오후 역대 최고치를 다시 넘어섰다.",
        "전력거래소는 공급 예비력이 충분하다며 절전에 동참해 달라고 당부했다.",
        "기상청은 이번 주말까지 폭염이 이어질 것으로 내다봤다",
    )
    page = article(
        "여름철 전력 수요 최고치 경신",
        "2h",
        body,
        "올여름 전력 수요가 역대 최고치를 넘어섰다.",
        "/news/cut-short.html",
    ).encode("utf-8")
    end = page.index("내다봤다".encode()) + len("내다".encode()) + 1  # one byte of 봤
    return page[:end]


def stray_bytes() -> bytes:
    # Three bytes that are no UTF-8 at all, left in the text by a broken editor plug-in;
    # the page has no og:description, so its excerpt comes from the feed's summary.
    body = paragraphs(
        "부산항의 컨테이너 물동량이 석 달 연속 늘었다.",
        "해양수산부는 지난달 물동량이 [[ff]]작년 같은 달보다 6% 증가했다고 밝혔다.",
        "환적 화물이 [[fe]][[ff]]크게 늘어난 덕분이다.",
    )
    page = article("항만 물동량 3개월 연속 증가", "3h", body, None, "/news/stray-bytes.html")
    return raw(page)


def replacement_character() -> bytes:
    # U+FFFD really is in the text (the UTF-8 bytes EF BF BD): it is what the article is about.
    body = paragraphs(
        "본지 누리집 일부 기사에서 인명이 '김\ufffd수'처럼 표시되는 오류가 있었다.",
        "편집국은 글꼴 설정을 바로잡았으며 독자 여러분께 사과드린다.",
    )
    page = article(
        "기사 표시 오류에 대해 사과드립니다",
        "4h",
        body,
        "일부 기사에서 인명이 깨져 보이는 오류가 있었다.",
        "/news/replacement-character.html",
    )
    return page.encode("utf-8")


def mixed_encodings() -> bytes:
    # A UTF-8 template around an article body that an old CMS still stores in CP949:
    # whichever encoding is chosen, hundreds of characters cannot be read.
    related = "\n".join(
        f'<li><a href="/news/{n}.html">{headline}</a></li>'
        for n, headline in enumerate(
            [
                "도시철도 2호선 트램 기본계획 변경안 고시",
                "지역 대학 신입생 충원율 3년 만에 회복세",
                "갑천 생태공원 산책로 야간 조명 설치 완료",
                "전통시장 화재 안전 점검 결과 이달 말 발표",
                "청년 창업 지원센터 입주 기업 추가 모집 공고",
                "어린이 보호구역 과속 단속 카메라 확대 설치",
                "지역 예술단 가을 정기 공연 예매 일정 안내",
                "하천 수질 개선 사업 주민 설명회 다음 주 개최",
            ],
            start=101,
        )
    )
    template = article(
        "지역 축제 일정 안내",
        "5h",
        "@@BODY@@",
        "올가을 지역 축제 일정을 정리했다.",
        "/news/mixed-encodings.html",
    ).replace(
        "</main>",
        f'</main>\n<aside class="related"><h2>관련 기사</h2><ul>\n{related}\n</ul></aside>',
    )
    body = paragraphs(
        "올가을 대전에서 열리는 축제 일정을 정리했다. 첫 순서는 다음 달 첫째 주말 엑스포시민"
        "광장에서 열리는 사이언스 페스티벌이다.",
        "둘째 주에는 유성 온천 문화 축제가 이어지고, 셋째 주에는 대청호 가을 음악회와 "
        "보문산 숲길 걷기 행사가 함께 열린다. 넷째 주에는 으능정이 거리에서 청년 예술 "
        "장터가 열린다.",
        "행사장 주변에는 임시 주차장과 셔틀버스가 운영되며, 자세한 일정은 시 누리집에서 "
        "확인할 수 있다. 시는 행사 기간 동안 대중교통 이용을 당부했다.",
    )
    head, tail = template.split("@@BODY@@")
    return head.encode("utf-8") + body.encode("cp949") + tail.encode("utf-8")


FEED_ITEMS = [
    ("/news/intact.html", "시내버스 노선 개편안 확정", "1h", "새 노선은 다음 달 1일부터 운행한다."),
    (
        "/news/cut-short.html",
        "여름철 전력 수요 최고치 경신",
        "2h",
        "전력 수요가 또 최고치를 넘었다.",
    ),
    (
        "/news/stray-bytes.html",
        "항만 물동량 3개월 연속 증가",
        "3h",
        "부산항 물동량이 [[ff]]석 달 연속 늘었다.",
    ),
    (
        "/news/replacement-character.html",
        "기사 표시 오류에 대해 사과드립니다",
        "4h",
        "인명이 깨져 보이는 오류가 있었다.",
    ),
    ("/news/mixed-encodings.html", "지역 축제 일정 안내", "5h", "올가을 지역 축제 일정."),
]


def feed() -> bytes:
    items = "\n".join(
        f"""<item>
<title>{title}</title>
<link>__BASE__{path}</link>
<guid isPermaLink="true">__BASE__{path}</guid>
<pubDate>__RFC822_NOW-{age}__</pubDate>
<description>{summary}</description>
</item>"""
        for path, title, age, summary in FEED_ITEMS
    )
    text = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
<channel>
<title>{BRAND} 최신 기사</title>
<link>__BASE__/</link>
<description>{BRAND}</description>
<language>ko</language>
{items}
</channel>
</rss>
"""
    return raw(text)  # the stray-bytes entry's summary has a stray byte too


def main() -> None:
    write("news/intact.html", intact())
    write("news/cut-short.html", cut_short())
    write("news/stray-bytes.html", stray_bytes())
    write("news/replacement-character.html", replacement_character())
    write("news/mixed-encodings.html", mixed_encodings())
    write("feed.xml", feed())
    write("robots.txt", b"User-agent: *\nDisallow:\n")


if __name__ == "__main__":
    main()
