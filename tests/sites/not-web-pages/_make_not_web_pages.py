"""Writes this site's files: media and archives served where articles should be, and the
text pages (UTF-16, XHTML, a comment first, plain text) that must still pass as pages.

Run it from anywhere (`python tests/sites/not-web-pages/_make_not_web_pages.py`); it
rewrites only the files it names. The binary files begin as real files of their kind do:
the PNG, GIF, WebP, PDF and ZIP are complete (`file` names each), the JPEG has real
markers around a stub scan, the MP4 is an ftyp box and an empty mdat.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

SITE = Path(__file__).parent
BRAND = "새벽뉴스"


def article(path: str, title: str, age: str, text: str, *, doctype: str = "<!DOCTYPE html>") -> str:
    """An article page, UTF-8 unless re-encoded (the server replaces tokens in ASCII only,
    so a UTF-16 page must not use them: see utf16_article)."""
    return f"""{doctype}
<html lang="ko">
<head>
<meta charset="utf-8">
<title>{title} | {BRAND}</title>
<meta property="og:type" content="article">
<meta property="og:title" content="{title}">
<meta property="og:description" content="{text}">
<meta property="article:published_time" content="__NOW-{age}__">
<link rel="canonical" href="__BASE__{path}">
</head>
<body>
<main><article>
<h1>{title}</h1>
<div id="articleBody">
<p>{text}</p>
<p>자세한 내용은 추후 보도할 예정이다.</p>
</div>
</article></main>
</body>
</html>
"""


def utf16_article() -> bytes:
    # No __BASE__ or __NOW__: those tokens are ASCII bytes, not UTF-16 ones. The feed
    # gives the date; the canonical link is relative.
    text = article("/news/utf16.html", "UTF-16으로 쓴 기사", "2h", "바이트 순서 표시가 있다.")
    text = text.replace('<meta charset="utf-8">', '<meta charset="utf-16">')
    text = text.replace("__BASE__", "")
    text = "\n".join(line for line in text.splitlines() if "__NOW" not in line) + "\n"
    return b"\xff\xfe" + text.encode("utf-16-le")


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


# A 1x1 GIF89a (the classic tracking pixel) and a 1x1 lossless WebP.
GIF = bytes.fromhex(
    "47494638396101000100800000ffffff00000021f90401000000002c00000000010001000002024401003b"
)
WEBP = bytes.fromhex("524946461a000000574542505650384c0d0000002f0000001007101111888808fe0700")
# A 1x1 baseline JPEG's markers: SOI, APP0 (JFIF), DQT, SOF0, DHT, SOS, scan data, EOI.
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010101004800480000"
    "ffdb004300" + "01" * 64 + "ffc0000b080001000101011100"
    "ffc4001400010000000000000000000000000000000000"
    "ffc40014100100000000000000000000000000000000"
    "ffda0008010100003f00d2cf20ffd9"
)


def pdf() -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def zip_archive() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("보도자료.txt", date_time=(2024, 7, 1, 9, 0, 0))
        archive.writestr(info, "보도자료 원문입니다.\n" * 20)
    return out.getvalue()


def mp4() -> bytes:
    # An ftyp box (major brand isom, compatible isom, iso2, avc1, mp41), then an empty mdat.
    ftyp = b"ftyp" + b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41"
    return struct.pack(">I", len(ftyp) + 4) + ftyp + struct.pack(">I", 8) + b"mdat"


def blob() -> bytes:
    # Bytes of no known kind (a serialised object, say): only the binary-byte rule tells.
    return b"".join(struct.pack("<IHH", n * 2654435761 % 2**32, n, 0) for n in range(64))


NOTICE = "[알림] 새벽뉴스 누리집 점검 안내\n\n오늘 새벽 2시부터 4시까지 점검합니다.\n"
# What the feed calls each entry (a text page's post takes its title from here).
TITLES = {
    "news/photo.html": "[포토] 새벽 한강 물안개",
    "news/chart.html": "[그래픽] 7월 소비자물가",
    "news/pixel.html": "조회수 집계용 픽셀",
    "news/thumbnail.html": "[포토] 폭염 속 도심",
    "news/report.html": "[전문] 감사원 감사 보고서",
    "news/press-kit.html": "[보도자료] 신제품 발표",
    "news/clip.html": "[영상] 태풍 상륙 순간",
    "news/record.html": "[데이터] 개표 현황",
    "news/compressed.html": "압축된 채로 온 기사",
    "news/utf16.html": "UTF-16으로 쓴 기사",
    "news/comment-first.html": "주석으로 시작하는 기사",
    "news/xhtml.html": "XHTML로 쓴 기사",
    "news/notice.txt": "[알림] 누리집 점검 안내",
}


def main() -> None:
    files = {
        "news/photo.html": JPEG,
        "news/chart.html": png(),
        "news/pixel.html": GIF,
        "news/thumbnail.html": WEBP,
        "news/report.html": pdf(),
        "news/press-kit.html": zip_archive(),
        "news/clip.html": mp4(),
        "news/record.html": blob(),
        # Stored as text: the server gzips it (_site.toml) but sends no Content-Encoding.
        "news/compressed.html": article(
            "/news/compressed.html", "압축된 채로 온 기사", "1h", "이 기사는 압축된 채로 왔다."
        ).encode(),
        "news/utf16.html": utf16_article(),
        "news/comment-first.html": article(
            "/news/comment-first.html",
            "주석으로 시작하는 기사",
            "3h",
            "페이지가 빈 줄과 주석으로 시작한다.",
            doctype="\n\n<!-- generated by newsroom CMS 4.2 -->\n<!DOCTYPE html>",
        ).encode(),
        "news/xhtml.html": article(
            "/news/xhtml.html",
            "XHTML로 쓴 기사",
            "4h",
            "XML 선언으로 시작하는 XHTML 문서다.",
            doctype='<?xml version="1.0" encoding="UTF-8"?>\n'
            '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
            '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">',
        )
        .replace('<html lang="ko">', '<html xmlns="http://www.w3.org/1999/xhtml" lang="ko">')
        .replace('<meta charset="utf-8">', '<meta charset="utf-8" />')
        .encode(),
        "news/notice.txt": NOTICE.encode(),
    }
    for name, data in files.items():
        (SITE / name).write_bytes(data)
    items = "\n".join(
        f"""<item>
<title>{TITLES[name]}</title>
<link>__BASE__/{name}</link>
<guid isPermaLink="true">__BASE__/{name}</guid>
<pubDate>__RFC822_NOW-{hours + 1}h__</pubDate>
</item>"""
        for hours, name in enumerate(files)
    )
    feed = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
<channel>
<title>{BRAND}</title>
<link>__BASE__/</link>
<description>{BRAND} 최신 기사</description>
{items}
</channel>
</rss>
"""
    (SITE / "feed.xml").write_text(feed, encoding="utf-8")
    (SITE / "robots.txt").write_text("User-agent: *\nDisallow:\n", encoding="utf-8")


if __name__ == "__main__":
    main()
