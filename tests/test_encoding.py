"""EUC-KR/CP949 pages and feeds, declared, undeclared or mis-declared, decode to right Hangul."""

from __future__ import annotations

import html
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import feedparser
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from lxml import etree

from sokbo.web.encoding import (
    Decoded,
    charset_from_content_type,
    decode_html,
    decode_xml,
    normalise_encoding,
    utf8_xml,
)

# Syllables every Korean browser shows on an "EUC-KR" page but KS X 1001 (EUC-KR proper)
# lacks: only CP949 (Unified Hangul Code) has them.
CP949_ONLY = "똠햏뷁펲쌰믜"
KOREAN = "똠방각하 햏자가 뷁 하고 외치자 드론이 쓩 날아갔다. 펲펲, 쌰쌰, 믜리 국수집."


def page(body_text: str, head: str = "", title: str = "옛날신문") -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="ko"><head>{head}<title>{title}</title></head>\n'
        f'<body><div id="article-view-content-div"><p>{body_text}</p></div></body></html>\n'
    )


META_EUCKR = '<meta http-equiv="Content-Type" content="text/html; charset=euc-kr">'


def test_the_cp949_only_syllables_really_are_missing_from_euc_kr() -> None:
    for syllable in CP949_ONLY:
        with pytest.raises(UnicodeDecodeError):
            syllable.encode("cp949").decode("euc_kr")
    # 쓩 is often quoted as one of them but KS X 1001 has it; it is in the pages all the same.
    assert "쓩".encode("cp949").decode("euc_kr") == "쓩"


# --- labels ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "charset"),
    [
        ("text/html; charset=euc-kr", "euc-kr"),
        ('text/html; charset="EUC-KR"', "EUC-KR"),
        ("text/html;charset=ks_c_5601-1987", "ks_c_5601-1987"),
        ("text/html; foo=bar; Charset = 'utf-8'", "utf-8"),
        ("application/xml", None),
        ("text/html; charset=", None),
        ("", None),
        (None, None),
    ],
)
def test_charset_from_content_type(value: str | None, charset: str | None) -> None:
    assert charset_from_content_type(value) == charset


@pytest.mark.parametrize(
    "label",
    [
        "euc-kr",
        "EUC-KR",
        "euc_kr",
        "x-euc-kr",
        "ks_c_5601-1987",
        "KS_C_5601-1987",
        "ksc5601",
        "ks_c_5601",
        "korean",
        "x-windows-949",
        "windows-949",
        "ms949",
        "uhc",
        "cp949",
        "csEUCKR",
    ],
)
def test_every_euc_kr_label_decodes_as_cp949(label: str) -> None:
    assert normalise_encoding(label) == "cp949"
    body = page(KOREAN, f'<meta charset="{label}">').encode("cp949")
    assert decode_html(body) == Decoded(
        page(KOREAN, f'<meta charset="{label}">'), "cp949", "meta", 0
    )
    decoded = decode_html(page(KOREAN).encode("cp949"), f"text/html; charset={label}")
    assert (decoded.text, decoded.encoding, decoded.source) == (page(KOREAN), "cp949", "header")


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("utf-8", "utf-8"),
        ("UTF8", "utf-8"),
        ("iso-8859-1", "cp1252"),
        ("latin1", "cp1252"),
        ("us-ascii", "cp1252"),
        ("windows-1252", "cp1252"),
        ("gb2312", "gb18030"),
        ("shift_jis", "cp932"),
        ("iso-8859-15", "iso8859-15"),
        ("x-bogus-charset", None),
        ("utf-7", None),  # an XSS vector that browsers dropped
        ("base64", None),  # a bytes-to-bytes codec, not a charset
        ("unicode_escape", None),
        ("", None),
        ("euc-kr\x00", None),
    ],
)
def test_normalise_encoding(label: str, codec: str | None) -> None:
    assert normalise_encoding(label) == codec


# --- HTML pages --------------------------------------------------------------------------


def test_declared_euc_kr_with_cp949_only_syllables() -> None:
    text = page(KOREAN, META_EUCKR)
    assert decode_html(text.encode("cp949"), "text/html") == Decoded(text, "cp949", "meta", 0)


def test_undeclared_euc_kr_is_detected() -> None:
    text = page(KOREAN)
    assert decode_html(text.encode("cp949"), "text/html") == Decoded(text, "cp949", "detected", 0)


def test_meta_after_the_first_4_kb_is_found() -> None:
    script = "<script>var adZones = [" + ",".join(f"'zone{i}'" for i in range(700)) + "];</script>"
    text = page(KOREAN, script + '<meta charset="euc-kr">')
    body = text.encode("cp949")
    assert body.index(b"<meta charset") > 5 * 1024
    assert decode_html(body) == Decoded(text, "cp949", "meta", 0)


def test_meta_beyond_64_kb_is_not_looked_for() -> None:
    text = page(KOREAN, "<style>" + "/* padding */\n" * 6000 + '</style><meta charset="euc-kr">')
    decoded = decode_html(text.encode("cp949"))
    assert (decoded.text, decoded.source) == (text, "detected")


def test_header_saying_utf8_over_cp949_bytes_is_not_believed() -> None:
    with_meta = page(KOREAN, META_EUCKR)
    lying = "text/html; charset=utf-8"
    assert decode_html(with_meta.encode("cp949"), lying) == Decoded(with_meta, "cp949", "meta", 0)
    bare = page(KOREAN)
    assert decode_html(bare.encode("cp949"), lying) == Decoded(bare, "cp949", "detected", 0)


def test_header_saying_euc_kr_over_utf8_bytes_is_not_believed() -> None:
    text = page(KOREAN * 3)
    decoded = decode_html(text.encode("utf-8"), "text/html; charset=euc-kr")
    assert decoded == Decoded(text, "utf-8", "detected", 0)


def test_header_beats_meta_when_both_fit() -> None:
    text = page("Grüße aus Köln — ‘quoted’", '<meta charset="iso-8859-15">', "Köln")
    decoded = decode_html(text.encode("utf-8"), "text/html; charset=UTF-8")
    assert decoded == Decoded(text, "utf-8", "header", 0)


def test_latin1_page_declared_iso_8859_1() -> None:
    text = page("Café crème, déjà vu. Ça va très bien.", title="Société")
    body = text.encode("latin-1")
    assert decode_html(body, "text/html; charset=ISO-8859-1") == Decoded(
        text, "cp1252", "header", 0
    )
    declared = page("Café crème, déjà vu.", '<meta charset="iso-8859-1">', "Société")
    assert decode_html(declared.encode("latin-1")) == Decoded(declared, "cp1252", "meta", 0)


@pytest.mark.parametrize(
    "western",
    [
        "Größe, Übergröße, schön, für, Straße.",
        # "çã" happens to be a valid CP949 pair, so CP949 fails on fewer of these bytes.
        "Informações, atenção, emoção, São Paulo, coração, ações, não.",
        "ÆÄÅ Ärger Öl Übel ÀÁÂ",
    ],
)
def test_western_text_under_a_latin1_header_stays_western(western: str) -> None:
    text = page(western, title=western)
    decoded = decode_html(text.encode("latin-1"), "text/html; charset=iso-8859-1")
    assert decoded == Decoded(text, "cp1252", "header", 0)


def test_latin1_labels_mean_windows_1252_as_in_browsers() -> None:
    # 0x93/0x94 are curly quotes in windows-1252 and C1 controls in ISO-8859-1 proper;
    # 0x81 is undefined in windows-1252 and still must not fail.
    body = b"<p>\x93quoted\x94 \x81 caf\xe9.</p>"
    decoded = decode_html(body, "text/html; charset=iso-8859-1")
    assert decoded == Decoded("<p>“quoted” \x81 café.</p>", "cp1252", "header", 0)


def test_a_latin1_server_default_does_not_hide_cp949() -> None:
    # Apache's AddDefaultCharset ISO-8859-1 in front of a Korean site: Latin-1 decodes any
    # bytes, so the page's own declaration and CP949 detection come first.
    latin1 = "text/html; charset=ISO-8859-1"
    with_meta = page(KOREAN, META_EUCKR)
    assert decode_html(with_meta.encode("cp949"), latin1) == Decoded(with_meta, "cp949", "meta", 0)
    bare = page(KOREAN)
    assert decode_html(bare.encode("cp949"), latin1) == Decoded(bare, "cp949", "detected", 0)


def test_a_latin1_server_default_does_not_hide_a_cut_cp949_character() -> None:
    # Old PHP CMSs cut titles with substr(), leaving half a character: the page then fits
    # nothing strictly, but reads as CP949 with one byte left out, not as Latin-1 mojibake.
    latin1 = "text/html; charset=ISO-8859-1"
    cut = "똠방각하".encode("cp949")[:-1]
    for head in (META_EUCKR, ""):
        body = page(KOREAN, head).encode("cp949").replace(b"</title>", cut + b"</title>")
        decoded = decode_html(body, latin1)
        assert (decoded.encoding, decoded.undecodable) == ("cp949", 1)
        assert KOREAN in decoded.text and "<title>옛날신문똠방각</title>" in decoded.text


def test_unknown_declarations_are_skipped() -> None:
    text = page(KOREAN, '<meta charset="x-no-such-charset">')
    decoded = decode_html(text.encode("cp949"), "text/html; charset=klingon")
    assert decoded == Decoded(text, "cp949", "detected", 0)


def test_a_meta_declaring_utf16_means_utf8() -> None:
    text = page(KOREAN, '<meta charset="utf-16">')
    assert decode_html(text.encode("utf-8")) == Decoded(text, "utf-8", "meta", 0)


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")],
)
def test_a_bom_beats_the_header_and_the_meta(bom: bytes, codec: str) -> None:
    text = page(KOREAN, META_EUCKR)
    body = bom + text.encode(codec)
    assert decode_html(body, "text/html; charset=euc-kr") == Decoded(text, codec, "bom", 0)


def test_override_beats_a_wrong_header_and_meta() -> None:
    text = page(KOREAN, '<meta charset="utf-8">')
    decoded = decode_html(text.encode("cp949"), "text/html; charset=iso-8859-1", "euc-kr")
    assert decoded == Decoded(text, "cp949", "override", 0)


def test_override_is_used_even_when_it_does_not_fit() -> None:
    decoded = decode_html(page(KOREAN).encode("cp949"), override="utf-8")
    assert (decoded.encoding, decoded.source) == ("utf-8", "override")
    assert decoded.undecodable > 0
    assert "\ufffd" not in decoded.text


def test_unknown_override_is_an_error() -> None:
    with pytest.raises(LookupError, match="no-such"):
        decode_html(b"<p>x</p>", override="no-such")


def test_undecodable_garbage_is_counted() -> None:
    garbage = bytes(range(0x80, 0x100)) * 4
    decoded = decode_html(b"<p>" + garbage + b"</p>", "text/html; charset=utf-8")
    assert decoded.undecodable > 0
    assert "\ufffd" not in decoded.text
    assert decoded.text.startswith("<p>") and decoded.text.endswith("</p>")


def test_one_bad_byte_in_a_declared_page_keeps_the_declaration() -> None:
    good = page(KOREAN, META_EUCKR).encode("cp949")
    body = good.replace(b"</p>", b"\xff</p>")
    decoded = decode_html(body)
    assert (decoded.encoding, decoded.source, decoded.undecodable) == ("cp949", "meta", 1)
    assert KOREAN in decoded.text


def test_u_fffd_in_the_source_is_not_a_replacement() -> None:
    text = page("깨진 글자 \ufffd 그대로")
    assert decode_html(text.encode("utf-8")) == Decoded(text, "utf-8", "detected", 0)


def test_ascii_and_empty_pages() -> None:
    assert decode_html(b"") == Decoded("", "utf-8", "detected", 0)
    assert decode_html(b"<p>hi</p>", "text/html") == Decoded("<p>hi</p>", "utf-8", "detected", 0)


def test_an_xml_declaration_counts_for_xhtml() -> None:
    text = '<?xml version="1.0" encoding="euc-kr"?>\n' + page(KOREAN)
    assert decode_html(text.encode("cp949")) == Decoded(text, "cp949", "xml-declaration", 0)


# --- damaged bytes: left out, never U+FFFD ----------------------------------------------
# A U+FFFD written into a post or a feed makes it look broken to readers and to feed
# validators, so bytes that fit no character are dropped (and counted), and a character
# the body ends inside (a truncated response) is no fault of the page's encoding at all.

UTF8 = "text/html; charset=utf-8"


@pytest.mark.parametrize(
    ("last", "cut"),
    [("끝", 1), ("끝", 2), ("😀", 1), ("😀", 2), ("😀", 3)],
)
def test_a_utf8_page_cut_inside_its_last_character(last: str, cut: int) -> None:
    text = page(KOREAN) + last
    body = text.encode("utf-8")[:-cut]
    left = len(last.encode("utf-8")) - cut  # bytes of the character that did arrive
    assert decode_html(body, UTF8) == Decoded(text[:-1], "utf-8", "header", 0, left)
    # Undeclared, the cut page is still UTF-8 (a strict decode would have ruled it out).
    assert decode_html(body) == Decoded(text[:-1], "utf-8", "detected", 0, left)


def test_a_cp949_page_cut_inside_its_last_character() -> None:
    text = page(KOREAN, META_EUCKR) + "똠"
    body = text.encode("cp949")[:-1]
    assert decode_html(body, "text/html") == Decoded(text[:-1], "cp949", "meta", 0, 1)


def test_a_utf16_page_cut_inside_its_last_character() -> None:
    text = page(KOREAN)
    body = b"\xff\xfe" + text.encode("utf-16-le") + "끝".encode("utf-16-le")[:1]
    assert decode_html(body) == Decoded(text, "utf-16-le", "bom", 0, 1)


@pytest.mark.parametrize(
    ("codec", "last"),
    [("utf-8", b"\x80"), ("utf-8", b"\xff"), ("cp949", b"\xff"), ("cp949", b"\x80")],
)
def test_a_last_byte_that_starts_no_character_is_undecodable_not_cut(
    codec: str, last: bytes
) -> None:
    # Python's CJK decoders call any leftover last byte "incomplete"; 0xFF and 0x80 begin
    # no CP949 character, so they are damage like any other.
    text = page(KOREAN, f'<meta charset="{codec}">')
    decoded = decode_html(text.encode(codec) + last)
    assert decoded == Decoded(text, codec, "meta", 1, 0)


def test_undecodable_bytes_are_left_out_not_replaced() -> None:
    text = page(KOREAN, '<meta charset="utf-8">')
    body = text.encode("utf-8").replace("햏자".encode(), b"\xff" + "햏자".encode() + b"\xfe\xff")
    assert decode_html(body) == Decoded(text, "utf-8", "meta", 3, 0)


def test_a_u_fffd_in_the_source_stays_while_damage_goes() -> None:
    text = page("인명이 '김\ufffd수'처럼 보였다", '<meta charset="utf-8">') + "끝"
    body = text.encode("utf-8").replace(b"</p>", b"\xc0</p>")[:-1]
    decoded = decode_html(body)
    assert decoded == Decoded(text[:-1], "utf-8", "meta", 1, 2)
    assert decoded.text.count("\ufffd") == 1


def test_an_override_that_does_not_fit_drops_too() -> None:
    decoded = decode_html(page(KOREAN * 3).encode("cp949"), override="utf-8")
    assert (decoded.encoding, decoded.source) == ("utf-8", "override")
    assert "\ufffd" not in decoded.text
    assert decoded.mostly_undecodable


@pytest.mark.parametrize(
    ("characters", "undecodable", "mostly"),
    [
        (100, 32, False),  # a short page with a few dozen losses: the floor keeps it
        (100, 33, True),
        (10_000, 100, False),  # 100 of 10,100 characters: under 1 %
        (10_000, 102, True),  # 102 of 10,102: over 1 %
        (0, 0, False),
    ],
)
def test_mostly_undecodable_is_over_1_percent_and_over_32(
    characters: int, undecodable: int, mostly: bool
) -> None:
    decoded = Decoded("가" * characters, "utf-8", "meta", undecodable)
    assert decoded.mostly_undecodable is mostly


def test_a_cut_character_is_no_damage() -> None:
    decoded = Decoded("가", "utf-8", "detected", 0, 3)
    assert not decoded.mostly_undecodable


def test_a_feed_with_a_stray_byte_reaches_feedparser_without_it() -> None:
    utf8 = FEED.replace("euc-kr", "utf-8")
    body = utf8.encode("utf-8").replace(KOREAN.encode(), b"\xff" + KOREAN.encode())
    decoded = decode_xml(body, "application/rss+xml; charset=utf-8")
    assert decoded == Decoded(utf8, "utf-8", "header", 1, 0)
    parsed: Any = feedparser.parse(utf8_xml(decoded))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.entries[0].summary == KOREAN


# --- XML feeds ---------------------------------------------------------------------------

TITLE = "똠방각하 햏자, 뷁 쓩"
FEED = f"""<?xml version="1.0" encoding="euc-kr"?>
<rss version="2.0">
<channel>
<title>옛날신문</title>
<link>http://oldnews.example/</link>
<description>똠방골 소식</description>
<item>
<title>{TITLE}</title>
<link>http://oldnews.example/news/articleView.html?idxno=1001</link>
<description>{KOREAN}</description>
<pubDate>Fri, 20 Nov 2026 09:15:02 +0900</pubDate>
</item>
</channel>
</rss>
"""


def test_euc_kr_feed_through_feedparser() -> None:
    decoded = decode_xml(FEED.encode("cp949"), "application/rss+xml")
    assert decoded == Decoded(FEED, "cp949", "xml-declaration", 0)
    data = utf8_xml(decoded)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    parsed: Any = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == "옛날신문"
    assert parsed.entries[0].title == TITLE
    assert parsed.entries[0].summary == KOREAN


def test_euc_kr_feed_through_lxml() -> None:
    body = FEED.encode("cp949")
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(body)  # libxml2's EUC-KR has no 똠
    root = etree.fromstring(utf8_xml(decode_xml(body)))
    assert root.findtext("channel/item/title") == TITLE


def test_feed_with_a_lying_header() -> None:
    decoded = decode_xml(FEED.encode("cp949"), "application/rss+xml; charset=utf-8")
    assert (decoded.text, decoded.encoding, decoded.source) == (FEED, "cp949", "xml-declaration")


def test_undeclared_feed_and_utf8_feed() -> None:
    bare = FEED.replace(' encoding="euc-kr"', "")
    assert decode_xml(bare.encode("cp949")) == Decoded(bare, "cp949", "detected", 0)
    utf8 = FEED.replace("euc-kr", "utf-8")
    assert decode_xml(utf8.encode("utf-8")) == Decoded(utf8, "utf-8", "xml-declaration", 0)


def test_utf8_xml_rewrites_only_the_declaration() -> None:
    text = "\n\n  <?xml version='1.0' encoding='ks_c_5601-1987' standalone='yes'?><a>euc-kr 똠</a>"
    decoded = Decoded(text, "cp949", "xml-declaration", 0)
    assert utf8_xml(decoded) == (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes'?><a>euc-kr 똠</a>".encode()
    )
    assert utf8_xml(Decoded("<a>햏</a>", "cp949", "detected", 0)) == "<a>햏</a>".encode()


# --- properties --------------------------------------------------------------------------


@given(st.text())
def test_any_text_as_utf8_decodes_back(text: str) -> None:
    assume(not text.startswith("\ufeff"))  # that would be a BOM, and is dropped as one
    body = text.encode("utf-8")
    assert decode_html(body).text == text
    assert decode_xml(body).text == text


_HANGUL = st.sampled_from("가각간똠햏뷁쓩펲쌰믜한국어뉴스속보기자입력")


@given(st.text(st.one_of(_HANGUL, st.characters(codec="cp949"))))
@example("宵")  # E1 B2: also the start of a UTF-8 character, cut
def test_any_text_as_cp949_decodes_back(text: str) -> None:
    body = text.encode("cp949")
    try:
        as_utf8 = body.decode("utf-8")
    except UnicodeDecodeError:
        as_utf8 = None
    # A few short CP949 strings are also valid UTF-8 ("징" is C2 A1, which is UTF-8 "¡");
    # with no declaration UTF-8 rightly wins, since real Korean text is never both.
    assume(as_utf8 is None or as_utf8 == text)
    assert decode_html(body).text == text
    assert decode_xml(body).text == text


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@given(st.binary(max_size=2048), st.sampled_from([None, "utf-8", "cp949", "euc-kr"]))
def test_no_u_fffd_that_was_not_in_the_bytes(body: bytes, override: str | None) -> None:
    # EF BF BD is U+FFFD in UTF-8 and a UTF-16 text may hold FD FF: both are content.
    assume(b"\xef\xbf\xbd" not in body and not body.startswith(_UTF16_BOMS))
    for decoded in (decode_html(body, override=override), decode_xml(body, override=override)):
        assert "\ufffd" not in decoded.text


@given(
    st.text(),
    st.characters(min_codepoint=0x80, codec="utf-8"),
    st.integers(min_value=1, max_value=3),
)
def test_any_utf8_text_cut_inside_its_last_character(text: str, last: str, cut: int) -> None:
    encoded = last.encode("utf-8")
    assume(cut < len(encoded) and not (text + last).startswith("\ufeff"))
    body = (text + last).encode("utf-8")[:-cut]
    decoded = decode_html(body, UTF8)
    assert (decoded.text, decoded.undecodable) == (text, 0)
    assert decoded.cut_at_end == len(encoded) - cut


def test_the_cp949_utf8_ambiguity_is_settled_by_a_declaration() -> None:
    body = "징".encode("cp949")
    assert decode_html(body).text == "¡"
    assert decode_html(body, "text/html; charset=euc-kr").text == "징"
    assert decode_html("징계".encode("cp949")).text == "징계"


# --- the euckr-news fixture site ---------------------------------------------------------

SITE = Path(__file__).parent / "sites" / "euckr-news"
EXPECTED: dict[str, Any] = json.loads((SITE / "_expected.json").read_text("utf-8"))
RULES: dict[str, Any] = tomllib.loads((SITE / "_site.toml").read_text("utf-8")).get("paths", {})
# How each page's charset must be found; anything else means a rule stopped working.
SOURCES = {
    "/": "meta",
    "/news/articleView.html?idxno=1001": "meta",  # <meta http-equiv ... charset=euc-kr>
    "/news/articleView.html?idxno=1002": "detected",  # no declaration at all
    "/news/articleView.html?idxno=1003": "meta",  # <meta charset> after 5 KB of head
    "/news/articleView.html?idxno=1004": "meta",  # header says utf-8: skipped
    "/news/articleView.html?idxno=1005": "meta",  # ks_c_5601-1987
    "/news/articleView.html?idxno=1006": "meta",  # euc-kr, with 똠 and 햏
    "/news/articleView.html?idxno=1007": "meta",
    "/news/articleView.html?idxno=1008": "meta",
    "/private/leak.html": "meta",
}
_OG_TITLE = re.compile(r'<meta property="og:title" content="([^"]*)"')


def url_path(file: Path) -> str:
    name = file.relative_to(SITE).as_posix()
    if name == "index.html":
        return "/"
    path, _, query = name.partition("@")
    return "/" + path + (f"?{query}" if query else "")


PAGES = sorted(
    url_path(file)
    for file in SITE.rglob("*")
    if file.is_file() and not file.name.startswith("_") and file.suffix not in (".txt", ".xml")
)


def test_the_site_lists_every_page() -> None:
    assert sorted(SOURCES) == PAGES
    assert set(EXPECTED["articles"]) | set(EXPECTED["never_requested"]) < set(PAGES)
    assert set(EXPECTED["snippets"]) == set(EXPECTED["titles"]) == set(EXPECTED["articles"])


def site_file(path: str) -> bytes:
    name = "index.html" if path == "/" else path.lstrip("/").replace("?", "@")
    return (SITE / name).read_bytes()


@pytest.mark.parametrize("path", PAGES)
def test_every_site_page_decodes_to_the_right_hangul(path: str) -> None:
    body = site_file(path)
    content_type = RULES.get(path, {}).get("content_type", "text/html")
    decoded = decode_html(body, content_type)
    assert (decoded.encoding, decoded.source, decoded.undecodable) == ("cp949", SOURCES[path], 0)
    assert "\ufffd" not in decoded.text
    assert any(char in decoded.text for char in CP949_ONLY)
    title = _OG_TITLE.search(decoded.text)
    assert title is not None
    if path in EXPECTED["articles"]:
        assert EXPECTED["snippets"][path] in decoded.text
        assert html.unescape(title.group(1)) == EXPECTED["titles"][path]
        # The test means something: the usual guesses turn the same bytes into mojibake.
        for naive in ("utf-8", "cp1252"):
            assert EXPECTED["snippets"][path] not in body.decode(naive, errors="replace")
        with pytest.raises(UnicodeDecodeError):
            body.decode("euc_kr")


def test_the_site_exercises_each_case() -> None:
    article = "/news/articleView.html?idxno={}".format
    assert b"charset" not in site_file(article(1002)).lower()
    assert site_file(article(1003)).lower().index(b"charset") > 5 * 1024
    assert RULES[article(1004)]["content_type"] == "text/html; charset=utf-8"
    assert b"charset=ks_c_5601-1987" in site_file(article(1005))


def test_the_site_sitemap_decodes_to_the_expected_titles() -> None:
    decoded = decode_xml((SITE / "sitemap_news.xml").read_bytes(), "application/xml")
    assert (decoded.encoding, decoded.source, decoded.undecodable) == (
        "cp949",
        "xml-declaration",
        0,
    )
    root = etree.fromstring(utf8_xml(decoded))
    ns = {
        "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
        "n": "http://www.google.com/schemas/sitemap-news/0.9",
    }
    titles = {
        str(url.findtext("s:loc", namespaces=ns)).removeprefix("__BASE__"): url.findtext(
            "n:news/n:title", namespaces=ns
        )
        for url in root.findall("s:url", ns)
    }
    assert set(titles) == set(EXPECTED["articles"]) | set(EXPECTED["never_requested"])
    for path in EXPECTED["articles"]:
        assert titles[path] == EXPECTED["titles"][path]
    assert root.findtext("s:url/n:news/n:publication/n:name", namespaces=ns) == "옛날신문"
