"""Article metadata: one small page per rule, Korean and English, crawl time frozen."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sokbo.extract.metadata import (
    Found,
    PageMeta,
    authors,
    dates,
    keywords,
    language,
    lead_image,
    parse_datetime_text,
    read_page,
    title,
)

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2024, 8, 1, 3, 0, tzinfo=UTC)  # frozen: extraction never reads a clock
BASE = "https://news.example.kr/article/1"
KST = timezone(timedelta(hours=9))


def page(head: str = "", body: str = "", lang: str = "") -> tuple[lxml.html.HtmlElement, PageMeta]:
    attr = f' lang="{lang}"' if lang else ""
    root = lxml.html.document_fromstring(
        f"<!doctype html><html{attr}><head>{head}</head><body>{body}</body></html>"
    )
    return root, read_page(root)


def jsonld(text: str) -> str:
    return f'<script type="application/ld+json">{text}</script>'


def title_of(head: str = "", body: str = "", selectors: tuple[str, ...] = ()) -> Found[str] | None:
    root, meta = page(head, body)
    return title(root, meta, selectors)


def dates_of(
    head: str = "", body: str = "", now: datetime = NOW, selectors: tuple[str, ...] = ()
) -> tuple[Found[datetime] | None, Found[datetime] | None]:
    root, meta = page(head, body)
    return dates(root, meta, SEOUL, now, selectors)


def authors_of(head: str = "", body: str = "") -> tuple[str, ...] | None:
    root, meta = page(head, body)
    found = authors(root, meta)
    return found.value if found else None


def image_of(head: str = "", body_html: str | None = None) -> Found[str] | None:
    root, meta = page(head)
    return lead_image(root, meta, BASE, body_html)


# ---------------------------------------------------------------- read_page


def test_read_page_meta_keys_are_lower_case_and_the_first_wins() -> None:
    _, meta = page(
        '<meta property="OG:Title" content=" 첫째 "><meta property="og:title" content="둘째">'
        '<meta name="Description" content="요약"><meta itemprop="datePublished" content="x">'
    )
    assert meta.meta["og:title"] == "첫째"
    assert meta.meta["description"] == "요약"
    assert meta.meta["datepublished"] == "x"


def test_read_page_flattens_graph_and_arrays() -> None:
    _, meta = page(
        jsonld(
            '{"@context": "https://schema.org", "@graph": [{"@type": "WebSite"},'
            ' {"@type": "NewsArticle"}]}'
        )
        + jsonld('[{"@type": "Person"}, {"@type": "Organization"}]')
    )
    assert [o["@type"] for o in meta.jsonld] == ["WebSite", "NewsArticle", "Person", "Organization"]


def test_read_page_ignores_a_broken_block_and_keeps_the_others() -> None:
    _, meta = page(jsonld('{"@type": "NewsArticle", "headline": ') + jsonld('{"@type": "Person"}'))
    assert meta.jsonld == [{"@type": "Person"}]


def test_read_page_reads_trailing_commas_and_control_characters_leniently() -> None:
    _, meta = page(
        jsonld('{"@type": "NewsArticle", "headline": "줄\n바꿈\t", "keywords": ["a",],}')
    )
    assert meta.jsonld == [{"@type": "NewsArticle", "headline": "줄\n바꿈\t", "keywords": ["a"]}]


def test_read_page_reads_html_lang() -> None:
    assert page(lang="ko-KR")[1].lang == "ko-KR"
    assert page()[1].lang is None


# ---------------------------------------------------------------- title


def test_title_explicit_selector_comes_first() -> None:
    found = title_of(
        '<meta property="og:title" content="OG">',
        '<div class="tit">  선택자  </div>',
        (".missing", ".tit"),
    )
    assert found == Found("선택자", "preset:.tit")


def test_title_prefers_og_title_to_the_document_title() -> None:
    found = title_of('<title>문서 제목</title><meta property="og:title" content="오지 제목">')
    assert found == Found("오지 제목", "og:title")


def test_title_falls_back_to_jsonld_headline() -> None:
    found = title_of("<title>문서</title>" + jsonld('{"@type": "NewsArticle", "headline": "헤드"}'))
    assert found == Found("헤드", "json-ld:NewsArticle.headline")


def test_title_uses_twitter_title_before_h1() -> None:
    found = title_of('<meta name="twitter:title" content="트윗 제목">', "<h1>본문 제목</h1>")
    assert found == Found("트윗 제목", "twitter:title")


def test_title_skips_the_site_logo_h1() -> None:
    body = (
        '<header><h1 class="logo"><a href="/"><img src="/logo.png" alt="연합뉴스">연합뉴스</a></h1>'
        "</header><article><h1>북러 회담 결과 발표</h1><p>본문</p></article>"
    )
    assert title_of("", body) == Found("북러 회담 결과 발표", "h1")


def test_title_prefers_the_h1_inside_the_article() -> None:
    body = "<div><h1>데일리 브리핑</h1></div><main><h1>진짜 제목</h1></main>"
    assert title_of("", body) == Found("진짜 제목", "h1")


def test_title_h1_matching_the_document_title_wins() -> None:
    body = "<div><h1>사이트 이름</h1></div><div><h1>기사 제목입니다</h1></div>"
    assert title_of("<title>기사 제목입니다 | 사이트</title>", body) == Found(
        "기사 제목입니다", "h1"
    )


@pytest.mark.parametrize(
    ("raw", "site", "expected"),
    [
        ("조태열 장관 발언 | 연합뉴스", "연합뉴스", "조태열 장관 발언"),
        ("한미 동맹 공식화 :: 속보 블로그", "속보 블로그", "한미 동맹 공식화"),
        ("Heatwave hits Seoul - The Guardian", "The Guardian", "Heatwave hits Seoul"),
        ("연합뉴스 - 북러 회담 결과", "연합뉴스", "북러 회담 결과"),
        ("[속보] 북한 미사일 발사 | 연합뉴스", "연합뉴스", "[속보] 북한 미사일 발사"),
        ("Heatwave hits Seoul | Guardian", "guardian", "Heatwave hits Seoul"),
        ("K-pop 스타 - 해외 공연 | 연합뉴스TV", "연합뉴스", "K-pop 스타 - 해외 공연"),
    ],
)
def test_title_site_name_is_removed_when_known(raw: str, site: str, expected: str) -> None:
    found = title_of(
        f'<meta property="og:title" content="{raw}"><meta property="og:site_name" content="{site}">'
    )
    assert found == Found(expected, "og:title")


def test_title_application_name_counts_as_the_site_name() -> None:
    found = title_of(
        '<title>제목 - 뉴스다오</title><meta name="application-name" content="뉴스다오">'
    )
    assert found == Found("제목", "title")


def test_title_suffix_cut_where_the_pages_own_h1_ends() -> None:
    found = title_of(
        '<meta property="og:title" content="서울 전역 폭염 경보 발령 - 오늘의 소식">',
        "<article><h1>서울 전역 폭염 경보 발령</h1></article>",
    )
    assert found == Found("서울 전역 폭염 경보 발령", "og:title")


def test_title_a_short_h1_prefix_does_not_cut_the_headline() -> None:
    found = title_of(
        '<meta property="og:title" content="오늘의 소식 - 서울 전역 폭염 경보 발령">',
        "<div><h1>오늘의 소식</h1></div>",
    )
    assert found == Found("오늘의 소식 - 서울 전역 폭염 경보 발령", "og:title")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("삼성전자 2분기 영업이익 10조 | 연합뉴스", "삼성전자 2분기 영업이익 10조"),
        (
            "Heatwave hits Seoul as records fall - The Guardian",
            "Heatwave hits Seoul as records fall",
        ),
        ("북러 회담 결과 발표 - 연합뉴스", "북러 회담 결과 발표"),
        ("[속보] 북한 미사일 발사 :: 속보지기", "[속보] 북한 미사일 발사"),
    ],
)
def test_title_document_title_loses_a_brand_like_tail(raw: str, expected: str) -> None:
    assert title_of(f"<title>{raw}</title>") == Found(expected, "title")


@pytest.mark.parametrize(
    "raw",
    [
        "Biden - Trump debate: what we learned tonight",
        "Spider-Man - the musical is back on stage after years",
        "서울 - 부산 KTX 첫차 시간 변경",
    ],
)
def test_title_keeps_a_legitimate_hyphen(raw: str) -> None:
    assert title_of(f"<title>{raw}</title>") == Found(raw, "title")


def test_title_meta_is_not_cut_by_generic_separators() -> None:
    raw = "Harris v Trump - The Debate"
    assert title_of(f'<meta property="og:title" content="{raw}">') == Found(raw, "og:title")


def test_title_skips_an_og_title_that_is_only_the_site_name() -> None:
    found = title_of(
        '<meta property="og:title" content="연합뉴스">'
        '<meta property="og:site_name" content="연합뉴스">',
        "<h1>실제 제목</h1>",
    )
    assert found == Found("실제 제목", "h1")


def test_title_none_when_the_page_has_none() -> None:
    assert title_of("", "<p>본문만</p>") is None


# ---------------------------------------------------------------- dates


def test_dates_from_a_korean_label_when_that_is_all_there_is() -> None:
    published, modified = dates_of(body='<div class="info">입력 2024.06.20 오후 02:30</div>')
    assert published == Found(datetime(2024, 6, 20, 14, 30, tzinfo=SEOUL), "text:입력")
    assert modified is None


def test_dates_korean_labels_give_published_and_modified() -> None:
    body = "<p>기사입력 : 2024-06-20 14:30:15 | 최종수정 : 2024-06-21 09:05</p>"
    published, modified = dates_of(body=body)
    assert published == Found(datetime(2024, 6, 20, 14, 30, 15, tzinfo=SEOUL), "text:기사입력")
    assert modified == Found(datetime(2024, 6, 21, 9, 5, tzinfo=SEOUL), "text:최종수정")


def test_dates_unlabelled_korean_date_in_a_date_element() -> None:
    published, _ = dates_of(
        body='<article><span class="date">2024년 6월 20일 14:30</span></article>'
    )
    assert published == Found(datetime(2024, 6, 20, 14, 30, tzinfo=SEOUL), "text:.date")


def test_dates_naive_iso_takes_the_source_zone() -> None:
    published, _ = dates_of(
        '<meta property="article:published_time" content="2024-06-20T14:30:00">'
    )
    assert published == Found(datetime(2024, 6, 20, 14, 30, tzinfo=SEOUL), "article:published_time")
    assert published.value.utcoffset() == timedelta(hours=9)


def test_dates_keep_an_explicit_offset() -> None:
    published, _ = dates_of(
        '<meta property="article:published_time" content="2024-06-20T05:30:00Z">'
    )
    assert published is not None and published.value == datetime(2024, 6, 20, 5, 30, tzinfo=UTC)


def test_dates_from_jsonld_graph() -> None:
    head = jsonld(
        '{"@graph": [{"@type": "WebSite", "name": "뉴스"}, {"@type": "NewsArticle",'
        ' "datePublished": "2024-06-20T14:30:00+09:00",'
        ' "dateModified": "2024-06-20T15:00:00+09:00"}]}'
    )
    published, modified = dates_of(head)
    assert published == Found(
        datetime(2024, 6, 20, 14, 30, tzinfo=KST), "json-ld:NewsArticle.datePublished"
    )
    assert modified == Found(
        datetime(2024, 6, 20, 15, 0, tzinfo=KST), "json-ld:NewsArticle.dateModified"
    )


def test_dates_jsonld_article_beats_meta_and_webpage() -> None:
    head = (
        '<meta property="article:published_time" content="2024-06-01T00:00:00+09:00">'
        + jsonld('{"@type": "WebPage", "datePublished": "2024-05-01T00:00:00+09:00"}')
        + jsonld('{"@type": "BlogPosting", "datePublished": "2024-06-20T10:00:00+09:00"}')
    )
    published, _ = dates_of(head)
    assert published is not None and published.source == "json-ld:BlogPosting.datePublished"


def test_dates_explicit_selector_comes_first() -> None:
    published, _ = dates_of(
        '<meta property="article:published_time" content="2024-06-01T00:00:00+09:00">',
        '<p class="when">등록 2024.06.20 09:00</p>',
        selectors=(".when",),
    )
    assert published == Found(datetime(2024, 6, 20, 9, 0, tzinfo=SEOUL), "text:등록")


def test_dates_explicit_selector_reads_a_datetime_attribute() -> None:
    published, _ = dates_of(
        body='<span class="d" datetime="2024-06-20 09:00">어제</span>', selectors=(".d",)
    )
    assert published == Found(datetime(2024, 6, 20, 9, 0, tzinfo=SEOUL), "preset:.d")


@pytest.mark.parametrize(
    "key", ["og:published_time", "pubdate", "date", "DC.date", "sailthru.date", "parsely-pub-date"]
)
def test_dates_from_publication_meta_names(key: str) -> None:
    attr = "property" if ":" in key else "name"
    published, _ = dates_of(f'<meta {attr}="{key}" content="2024-06-20 14:30">')
    assert published is not None and published.value == datetime(2024, 6, 20, 14, 30, tzinfo=SEOUL)


def test_dates_compact_digits_in_meta() -> None:
    published, _ = dates_of('<meta property="og:regDate" content="20240620143000">')
    assert published == Found(datetime(2024, 6, 20, 14, 30, tzinfo=SEOUL), "og:regdate")


def test_dates_time_element_inside_the_article_beats_the_sidebar() -> None:
    body = (
        '<aside><time datetime="2024-07-30T10:00:00+09:00">어제</time></aside>'
        '<article><time datetime="2024-06-20T10:00:00+09:00">6월 20일</time></article>'
    )
    published, _ = dates_of(body=body)
    assert published == Found(datetime(2024, 6, 20, 10, 0, tzinfo=KST), "time[datetime]")


def test_dates_sidebar_time_is_not_the_articles_date() -> None:
    body = (
        "<article><p>입력 2024.06.20 09:00</p></article>"
        '<aside><time datetime="2024-07-30T10:00:00+09:00">어제</time></aside>'
    )
    published, _ = dates_of(body=body)
    assert published == Found(datetime(2024, 6, 20, 9, 0, tzinfo=SEOUL), "text:입력")


def test_dates_time_with_pubdate_wins() -> None:
    body = (
        '<article><time datetime="2024-06-01T10:00:00+09:00">관련</time>'
        '<time pubdate datetime="2024-06-20T10:00:00+09:00">발행</time>'
        '<time itemprop="dateModified" datetime="2024-06-21T10:00:00+09:00">수정</time></article>'
    )
    published, modified = dates_of(body=body)
    assert published == Found(datetime(2024, 6, 20, 10, 0, tzinfo=KST), "time[pubdate]")
    assert modified == Found(
        datetime(2024, 6, 21, 10, 0, tzinfo=KST), "time[itemprop=dateModified]"
    )


def test_dates_english_labels() -> None:
    body = "<p>Published June 20, 2024 2:30 PM · Updated 21 Jun 2024</p>"
    published, modified = dates_of(body=body)
    assert published == Found(datetime(2024, 6, 20, 14, 30, tzinfo=SEOUL), "text:Published")
    assert modified == Found(datetime(2024, 6, 21, tzinfo=SEOUL), "text:Updated")


def test_dates_reject_more_than_a_day_in_the_future() -> None:
    head = '<meta property="article:published_time" content="2024-08-05T10:00:00+09:00">'
    published, _ = dates_of(head, "<p>입력 2024.07.31 10:00</p>")
    assert published == Found(datetime(2024, 7, 31, 10, 0, tzinfo=SEOUL), "text:입력")


def test_dates_accept_less_than_a_day_ahead() -> None:
    published, _ = dates_of('<meta name="pubdate" content="2024-08-01T20:00:00+09:00">')
    assert published is not None and published.value == datetime(2024, 8, 1, 20, 0, tzinfo=KST)


def test_dates_reject_before_1995() -> None:
    assert dates_of('<meta name="pubdate" content="1970-01-01T00:00:00Z">') == (None, None)


def test_dates_drop_modified_before_published() -> None:
    head = jsonld(
        '{"@type": "NewsArticle", "datePublished": "2024-06-20T10:00:00+09:00",'
        ' "dateModified": "2024-06-19T10:00:00+09:00"}'
    )
    published, modified = dates_of(head)
    assert published is not None and modified is None


def test_dates_none_without_evidence() -> None:
    assert dates_of("", "<p>오늘 회의가 열렸다.</p>") == (None, None)


def test_dates_ignore_year_less_dates_in_prose() -> None:
    assert dates_of("", "<p>정부는 6월 20일 발표했다.</p>") == (None, None)


# ---------------------------------------------------------------- parse_datetime_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("입력 2024.06.20 오후 02:30", datetime(2024, 6, 20, 14, 30, tzinfo=SEOUL)),
        ("입력 : 2024-06-20 14:30:15", datetime(2024, 6, 20, 14, 30, 15, tzinfo=SEOUL)),
        ("2024년 6월 20일 14:30", datetime(2024, 6, 20, 14, 30, tzinfo=SEOUL)),
        ("2024.06.20. 14:30", datetime(2024, 6, 20, 14, 30, tzinfo=SEOUL)),
        ("2024.06.20(목) 오후 2시 30분", datetime(2024, 6, 20, 14, 30, tzinfo=SEOUL)),
        ("June 20, 2024 2:30 PM", datetime(2024, 6, 20, 14, 30, tzinfo=SEOUL)),
        ("20 Jun 2024", datetime(2024, 6, 20, tzinfo=SEOUL)),
        (
            "Jun. 20th, 2024 at 2:30 p.m. PDT",
            datetime(2024, 6, 20, 14, 30, tzinfo=timezone(timedelta(hours=-7))),
        ),
        ("Thu, 20 Jun 2024 14:30:00 +0900", datetime(2024, 6, 20, 14, 30, tzinfo=KST)),
        ("2024-06-20T05:30:00.123Z", datetime(2024, 6, 20, 5, 30, tzinfo=UTC)),
        ("20240620", datetime(2024, 6, 20, tzinfo=SEOUL)),
        (
            "Updated 10:47 AM EDT, Thu June 20, 2024",
            datetime(2024, 6, 20, 10, 47, tzinfo=timezone(timedelta(hours=-4))),
        ),
    ],
)
def test_parse_datetime_text_forms(text: str, expected: datetime) -> None:
    assert parse_datetime_text(text, SEOUL, NOW) == expected


def test_parse_datetime_text_noon_pm_is_twelve() -> None:
    assert parse_datetime_text("2024.06.20 오후 12:30", SEOUL, NOW) == datetime(
        2024, 6, 20, 12, 30, tzinfo=SEOUL
    )


def test_parse_datetime_text_midnight_am_is_zero() -> None:
    assert parse_datetime_text("2024.06.20 오전 12:30", SEOUL, NOW) == datetime(
        2024, 6, 20, 0, 30, tzinfo=SEOUL
    )


def test_parse_datetime_text_year_less_takes_this_year() -> None:
    assert parse_datetime_text("6월 20일", SEOUL, NOW) == datetime(2024, 6, 20, tzinfo=SEOUL)


def test_parse_datetime_text_year_less_near_new_year_takes_last_year() -> None:
    now = datetime(2025, 1, 2, 3, 0, tzinfo=UTC)
    assert parse_datetime_text("12월 31일 23:10", SEOUL, now) == datetime(
        2024, 12, 31, 23, 10, tzinfo=SEOUL
    )
    assert parse_datetime_text("1월 1일", SEOUL, now) == datetime(2025, 1, 1, tzinfo=SEOUL)


def test_parse_datetime_text_prefers_the_publication_label() -> None:
    text = "수정 2024.06.21 10:00 입력 2024.06.20 09:00"
    assert parse_datetime_text(text, SEOUL, NOW) == datetime(2024, 6, 20, 9, 0, tzinfo=SEOUL)


def test_parse_datetime_text_an_old_dated_year_does_not_leak_a_year_less_date() -> None:
    assert parse_datetime_text("1990년 6월 20일", SEOUL, NOW) is None


@pytest.mark.parametrize(
    "text", ["", "오늘", "2024.13.40", "v1.2.3", "1시간 전", "10:30", "June 2024"]
)
def test_parse_datetime_text_refuses_non_dates(text: str) -> None:
    assert parse_datetime_text(text, SEOUL, NOW) is None


def test_parse_datetime_text_an_impossible_time_keeps_the_date() -> None:
    assert parse_datetime_text("2024.06.20 25:00", SEOUL, NOW) == datetime(
        2024, 6, 20, tzinfo=SEOUL
    )


def test_parse_datetime_text_naive_now_is_in_the_source_zone() -> None:
    now = datetime(2024, 8, 1, 12, 0)
    assert parse_datetime_text("2024-08-01 13:00", SEOUL, now) == datetime(
        2024, 8, 1, 13, 0, tzinfo=SEOUL
    )


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_parse_datetime_text_never_raises_and_is_aware(text: str) -> None:
    value = parse_datetime_text(text, SEOUL, NOW)
    assert value is None or value.utcoffset() is not None


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "입력",
                "수정",
                "2024",
                "년",
                "6월",
                "20일",
                ".",
                "-",
                ":",
                "오후",
                "12",
                "30",
                "PM",
                "June",
                " ",
                "T",
                "+09:00",
                "Z",
                "(목)",
                "시",
                "분",
                "0",
            ]
        ),
        max_size=20,
    )
)
def test_parse_datetime_text_date_like_noise_never_raises(parts: list[str]) -> None:
    value = parse_datetime_text("".join(parts), SEOUL, NOW)
    assert value is None or (value.utcoffset() is not None and value <= NOW + timedelta(days=1))


# ---------------------------------------------------------------- authors


def test_authors_from_jsonld_string() -> None:
    head = jsonld('{"@type": "NewsArticle", "author": "홍길동 기자"}')
    root, meta = page(head)
    assert authors(root, meta) == Found(("홍길동",), "json-ld:NewsArticle.author")


def test_authors_from_jsonld_people_list_and_nested_names() -> None:
    head = jsonld(
        '{"@type": "NewsArticle", "author": [{"@type": "Person", "name": "Jane Doe"},'
        ' {"@type": "Person", "name": {"@value": "John Roe"}}, "Jane Doe"]}'
    )
    assert authors_of(head) == ("Jane Doe", "John Roe")


def test_authors_follow_jsonld_id_references() -> None:
    head = jsonld(
        '{"@graph": [{"@type": "Article", "author": {"@id": "#/person/1"}},'
        ' {"@type": "Person", "@id": "#/person/1", "name": "김철수"}]}'
    )
    assert authors_of(head) == ("김철수",)


def test_authors_skip_an_organisation_author() -> None:
    head = jsonld(
        '{"@type": "NewsArticle", "author": {"@type": "Organization", "name": "연합뉴스"}}'
    )
    assert authors_of(head + '<meta name="author" content="이영희 기자">') == ("이영희",)


def test_authors_drop_a_profile_url_in_meta() -> None:
    head = (
        '<meta property="article:author" content="https://www.facebook.com/someone">'
        '<meta name="author" content="Jane Doe">'
    )
    root, meta = page(head)
    assert authors(root, meta) == Found(("Jane Doe",), "meta:author")


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("홍길동 기자", ("홍길동",)),
        ("홍길동기자", ("홍길동",)),
        ("홍길동 특파원", ("홍길동",)),
        ("홍길동 선임기자", ("홍길동",)),
        ("글·사진 홍길동 기자", ("홍길동",)),
        ("(서울=연합뉴스) 홍길동 기자 =", ("홍길동",)),
        ("워싱턴=홍길동 특파원", ("홍길동",)),
        ("홍길동 기자 hong@yna.co.kr", ("홍길동",)),
        ("홍길동 기자(hong@yna.co.kr)", ("홍길동",)),
        ("홍길동 경제부 기자", ("홍길동",)),
        ("By Jane Doe", ("Jane Doe",)),
        ("by JANE DOE", ("JANE DOE",)),
        ("Jane Doe, Staff Writer", ("Jane Doe",)),
        ("Jane Doe and John Roe", ("Jane Doe", "John Roe")),
        ("Jane Doe, John Roe", ("Jane Doe", "John Roe")),
        ("홍길동·김철수 기자", ("홍길동", "김철수")),
        ("홍길동 기자, 홍길동 기자", ("홍길동",)),
    ],
)
def test_authors_cleaned(byline: str, expected: tuple[str, ...]) -> None:
    assert authors_of(f'<meta name="author" content="{byline}">') == expected


@pytest.mark.parametrize(
    "byline",
    [
        "hong@yna.co.kr",
        "https://example.com/author/jane",
        "5 Minute Read",
        "3 min read",
        "Staff",
        "Admin",
        "관리자",
        "2024.06.20",
        "속보지기 뉴스 블로그",
        "This is not a name but a whole sentence about the article",
        "Reuters",
        "By",
    ],
)
def test_authors_reject_junk(byline: str) -> None:
    assert authors_of(f'<meta name="author" content="{byline}">') is None


def test_authors_reject_the_site_name() -> None:
    head = (
        '<meta property="og:site_name" content="Daily Star">'
        '<meta name="author" content="Daily Star">'
    )
    assert authors_of(head) is None


def test_authors_byline_inside_the_article_beats_the_sidebar() -> None:
    body = (
        '<aside><span class="author">김사이드</span></aside>'
        '<article><p class="byline">By Jane Doe | 5 min read</p></article>'
    )
    root, meta = page("", body)
    assert authors(root, meta) == Found(("Jane Doe",), "byline:.byline")


def test_authors_from_rel_author_links() -> None:
    body = (
        '<article><a rel="author" href="/a/1">Jane Doe</a> and'
        ' <a rel="author" href="/a/2">John Roe</a></article>'
    )
    assert authors_of("", body) == ("Jane Doe", "John Roe")


def test_authors_from_itemprop_author_with_nested_name() -> None:
    body = (
        '<div itemprop="author" itemscope><span itemprop="name">이영희</span>'
        " 기자 · 프로필 보기</div>"
    )
    assert authors_of("", body) == ("이영희",)


def test_authors_from_a_class_containing_writer() -> None:
    body = (
        '<article><div class="writer-zone"><strong>홍길동 기자</strong>'
        ' <span class="email">hong@yna.co.kr</span></div></article>'
    )
    root, meta = page("", body)
    assert authors(root, meta) == Found(("홍길동",), "byline:[class*=writer]")


def test_authors_none_without_evidence() -> None:
    assert authors_of("", "<p>본문</p>") is None


# ---------------------------------------------------------------- lead image


def test_image_from_og_image_resolved_against_the_page() -> None:
    found = image_of('<meta property="og:image" content="/photos/2024/seoul.jpg">')
    assert found == Found("https://news.example.kr/photos/2024/seoul.jpg", "og:image")


def test_image_site_logo_falls_back_to_the_first_body_image() -> None:
    head = '<meta property="og:image" content="https://news.example.kr/img/site_logo.png">'
    body = '<p>본문</p><img src="/photo/1.jpg"><img src="/photo/2.jpg">'
    assert image_of(head, body) == Found("https://news.example.kr/photo/1.jpg", "body:img[src]")


@pytest.mark.parametrize(
    "url",
    [
        "https://cdn.example.kr/common/favicon.ico",
        "https://cdn.example.kr/images/icons/share-icon.png",
        "https://cdn.example.kr/img/sprite_main.png",
        "https://cdn.example.kr/img/blank.gif",
        "https://cdn.example.kr/img/spacer.gif",
        "https://cdn.example.kr/img/pixel.gif",
        "https://cdn.example.kr/img/placeholder.jpg",
        "https://cdn.example.kr/img/default-og.jpg",
        "https://cdn.example.kr/img/default_image.png",
        "https://cdn.example.kr/ads/300x250.jpg",
        "https://cdn.example.kr/banner/summer.jpg",
        "https://cdn.example.kr/img/siteLogo.svg",
        "data:image/gif;base64,R0lGODlhAQABAAAAACw=",
        "javascript:alert(1)",
    ],
)
def test_image_rejects_site_chrome(url: str) -> None:
    assert image_of(f'<meta property="og:image" content="{url}">') is None


def test_image_later_og_image_when_the_first_is_a_logo() -> None:
    head = (
        '<meta property="og:image" content="https://cdn.example.kr/brand.png">'
        '<meta property="og:image:secure_url" content="https://cdn.example.kr/brand.png">'
        '<meta property="og:image:width" content="120">'
        '<meta property="og:image" content="https://cdn.example.kr/photo.jpg">'
    )
    assert image_of(head) == Found("https://cdn.example.kr/photo.jpg", "og:image")


def test_image_rejects_a_small_declared_og_image() -> None:
    head = (
        '<meta property="og:image" content="https://cdn.example.kr/card.png">'
        '<meta property="og:image:width" content="200">'
        '<meta property="og:image:height" content="200">'
    )
    assert image_of(head) is None


def test_image_keeps_a_large_declared_og_image() -> None:
    head = (
        '<meta property="og:image" content="https://cdn.example.kr/card.png">'
        '<meta property="og:image:width" content="1200">'
        '<meta property="og:image:height" content="630">'
    )
    assert image_of(head) == Found("https://cdn.example.kr/card.png", "og:image")


def test_image_from_twitter_image() -> None:
    found = image_of('<meta name="twitter:image" content="https://cdn.example.kr/t.jpg">')
    assert found == Found("https://cdn.example.kr/t.jpg", "twitter:image")


@pytest.mark.parametrize(
    "image",
    [
        '"https://cdn.example.kr/a.jpg"',
        '{"@type": "ImageObject", "url": "https://cdn.example.kr/a.jpg", "width": 1200}',
        '["https://cdn.example.kr/logo.png", {"@type": "ImageObject", "contentUrl": "https://cdn.example.kr/a.jpg"}]',
    ],
)
def test_image_from_jsonld(image: str) -> None:
    head = jsonld(f'{{"@type": "NewsArticle", "image": {image}}}')
    assert image_of(head) == Found("https://cdn.example.kr/a.jpg", "json-ld:NewsArticle.image")


def test_image_lazy_data_src_beats_the_placeholder_src() -> None:
    body = '<img src="data:image/gif;base64,R0lGOD" data-src="/real/photo.jpg">'
    assert image_of("", body) == Found(
        "https://news.example.kr/real/photo.jpg", "body:img[data-src]"
    )


@pytest.mark.parametrize("attr", ["data-lazy-src", "data-original"])
def test_image_other_lazy_attributes(attr: str) -> None:
    body = f'<img src="/img/loading.gif" {attr}="/real/photo.jpg">'
    found = image_of("", body)
    assert found == Found("https://news.example.kr/real/photo.jpg", f"body:img[{attr}]")


def test_image_srcset_largest_candidate() -> None:
    body = '<img srcset="/s.jpg 320w, /l.jpg 1200w, /m.jpg 800w" src="/s.jpg">'
    assert image_of("", body) == Found("https://news.example.kr/l.jpg", "body:img[srcset]")


def test_image_skips_tiny_noscript_and_tracking_images() -> None:
    body = (
        '<img src="/counter.gif" width="1" height="1">'
        '<img src="/thumb.jpg" width="40">'
        '<noscript><img src="/noscript.jpg"></noscript>'
        '<img src="https://ad.doubleclick.net/x.jpg">'
        '<img src="/emoji.png" class="wp-smiley emoji">'
        '<figure><img src="/real.jpg" width="640"></figure>'
    )
    assert image_of("", body) == Found("https://news.example.kr/real.jpg", "body:img[src]")


def test_image_none_without_a_real_image() -> None:
    assert image_of("", "<p>글만 있다</p>") is None
    assert image_of("", None) is None


# ---------------------------------------------------------------- language


@pytest.mark.parametrize(
    ("head", "lang", "expected"),
    [
        ("", "ko-KR", Found("ko", "html[lang]")),
        ('<meta property="og:locale" content="ko_KR">', "", Found("ko", "og:locale")),
        (
            '<meta http-equiv="Content-Language" content="en-US">',
            "",
            Found("en", "meta:content-language"),
        ),
        (
            jsonld('{"@type": "NewsArticle", "inLanguage": "ja-JP"}'),
            "",
            Found("ja", "json-ld:NewsArticle.inLanguage"),
        ),
        ("", "zh-Hant-TW", Found("zh-hant", "html[lang]")),
        ('<meta property="og:locale" content="en_GB">', "und", Found("en", "og:locale")),
        ("", "kor", Found("ko", "html[lang]")),
    ],
)
def test_language(head: str, lang: str, expected: Found[str]) -> None:
    root, meta = page(head, lang=lang)
    assert language(root, meta) == expected


def test_language_none_without_evidence() -> None:
    root, meta = page()
    assert language(root, meta) is None


# ---------------------------------------------------------------- keywords


def test_keywords_every_article_tag() -> None:
    root, meta = page(
        '<meta property="article:tag" content="북한"><meta property="article:tag" content="러시아">'
        '<meta name="keywords" content="뉴스, 속보">'
    )
    assert keywords(root, meta) == Found(("북한", "러시아"), "article:tag")


@pytest.mark.parametrize("value", ['"북한, 러시아; 회담"', '["북한", "러시아, 회담"]'])
def test_keywords_from_jsonld_string_or_list(value: str) -> None:
    root, meta = page(jsonld(f'{{"@type": "NewsArticle", "keywords": {value}}}'))
    assert keywords(root, meta) == Found(("북한", "러시아", "회담"), "json-ld:NewsArticle.keywords")


def test_keywords_news_keywords_before_keywords() -> None:
    root, meta = page('<meta name="keywords" content="a"><meta name="news_keywords" content="b">')
    assert keywords(root, meta) == Found(("b",), "meta:news_keywords")


def test_keywords_trimmed_deduplicated_and_bounded() -> None:
    long = "가" * 51
    root, meta = page(
        f'<meta name="keywords" content=" 북한 ,,#러시아; 북한 ; {long}; Seoul, seoul">'
    )
    assert keywords(root, meta) == Found(("북한", "러시아", "Seoul"), "meta:keywords")


def test_keywords_none_without_evidence() -> None:
    root, meta = page('<meta name="keywords" content=" , ; ">')
    assert keywords(root, meta) is None


# ---------------------------------------------------------------- hostile pages

_PRINTABLE = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
_SNIPPETS = st.sampled_from(
    [
        "<h1>", "</h1>", "<article>", "</article>", "<main>", "<header class='logo'>",
        "<time datetime='2024-06-20'>", "<time pubdate datetime='9999-99-99'>", "</time>",
        "<img src='x' data-src='/a.jpg' srcset=', ,, 1x, 2q'>", "<img width='0' src='//'>",
        "<span class='date'>", "</span>", "<a rel='author' href='/'>", "</a>", "<noscript>",
        "입력 ", "수정 ", "2024.06.20 ", "오후 12:30 ", "6월 20일 ", "By ", " 기자", "·", ",",
        "<svg><title>t</title></svg>", "<p class='byline'>", "</p>", "<div itemprop='author'>",
    ]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_PRINTABLE, _SNIPPETS), max_size=30), _PRINTABLE)
def test_metadata_never_raises_on_hostile_pages(parts: list[str], value: str) -> None:
    attr = html.escape(value, quote=True)
    head = "".join(
        f'<meta property="{key}" content="{attr}">'
        for key in (
            "og:title", "og:site_name", "og:image", "og:image:width", "article:published_time",
            "article:modified_time", "article:author", "article:tag", "og:locale",
        )
    ) + jsonld(value) + jsonld(f'{{"@type": "NewsArticle", "author": {{"name": "{attr}"}},'
                               f' "image": ["{attr}"], "headline": "{attr}"}}')  # fmt: skip
    body = "".join(parts)
    root = lxml.html.document_fromstring(f"<html><head>{head}</head><body>{body}</body></html>")
    meta = read_page(root)
    found_title = title(root, meta, ("h1", "[", "::bad"))
    published, modified = dates(root, meta, SEOUL, NOW, (".date", "time"))
    found_authors = authors(root, meta)
    image = lead_image(root, meta, BASE, body)
    assert found_title is None or found_title.value.strip()
    for date in (published, modified):
        assert date is None or date.value.utcoffset() is not None
    assert found_authors is None or all(0 < len(name) <= 40 for name in found_authors.value)
    assert image is None or image.value.startswith(("http://", "https://"))
    language(root, meta)
    keywords(root, meta)
