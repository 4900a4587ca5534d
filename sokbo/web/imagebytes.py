"""What an image's bytes are (format, size as shown), or why sokbo will not mirror them.

Only the raster formats every browser shows are mirrored, each kept byte for byte: JPEG,
PNG, WebP and GIF (animated ones too). The bytes decide, never the Content-Type: an HTML
error page served as `image/jpeg`, an SVG (a document that can carry scripts, and which
would run them from the blog's own origin) or a damaged file is refused with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from PIL import Image, UnidentifiedImageError

from sokbo.web.sniff import HEADER_SIZE, sniff

__all__ = ["MIRRORED_FORMATS", "TOO_MANY_PIXELS", "ImageFacts", "NotMirrorable", "inspect_image"]

# Pillow's format name -> (media type, file extension).
MIRRORED_FORMATS = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "WEBP": ("image/webp", ".webp"),
    "GIF": ("image/gif", ".gif"),
}
TOO_MANY_PIXELS = "more than images_max_pixels"  # the kind of refusal
_EXIF_ORIENTATION = 0x0112
_QUARTER_TURNS = frozenset({5, 6, 7, 8})  # orientations a viewer shows turned on its side


@dataclass(frozen=True)
class ImageFacts:
    """A mirrorable image: its media type, file extension and size as a browser shows it."""

    content_type: str
    extension: str
    width: int
    height: int


class NotMirrorable(Exception):
    """Bytes that are not an image sokbo mirrors: `kind` names the rule broken in a few
    fixed words (to count by), the message says why in full."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def inspect_image(
    data: bytes, max_pixels: int, min_width: int = 0, min_height: int = 0
) -> ImageFacts:
    """The facts of a JPEG, PNG, WebP or GIF image that decodes whole and has at most
    `max_pixels` pixels (and at least the minimum width and height); NotMirrorable else.

    The pixel count is read from the header before anything is decoded, so a small file
    that unpacks into gigabytes (a decompression bomb) costs nothing.
    """
    if not data:
        raise NotMirrorable("empty", "an empty file")
    kind = sniff(data[:HEADER_SIZE])
    if _is_svg(data):
        raise NotMirrorable("an SVG image", "an SVG image (a document that can run scripts)")
    if not kind.mime.startswith("image/"):
        raise NotMirrorable("not an image", f"not an image ({_article(kind.name)})")
    try:
        image = Image.open(BytesIO(data), formats=list(MIRRORED_FORMATS))
    except Image.DecompressionBombError as exc:  # Pillow's own bound, above any site's
        raise NotMirrorable(TOO_MANY_PIXELS, str(exc)) from None
    except UnidentifiedImageError:
        message = f"{_article(kind.name)}: only JPEG, PNG, WebP and GIF are mirrored"
        raise NotMirrorable("another image format", message) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # a header cut short
        raise NotMirrorable("damaged", f"a damaged {kind.name} ({exc})") from None
    with image:
        width, height = image.size
        if width * height > max_pixels:
            message = f"{width}×{height} is more than {max_pixels} pixels"
            raise NotMirrorable(TOO_MANY_PIXELS, message)
        if width < min_width or height < min_height:
            message = f"{width}×{height} is smaller than {min_width}×{min_height}"
            raise NotMirrorable("too small", message)
        try:
            image.load()  # the whole first frame: a file cut short fails here
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise NotMirrorable("damaged", f"a damaged {kind.name} ({exc})") from None
        content_type, extension = MIRRORED_FORMATS[str(image.format)]
        if image.getexif().get(_EXIF_ORIENTATION) in _QUARTER_TURNS:
            width, height = height, width  # browsers apply the orientation
    return ImageFacts(content_type, extension, width, height)


def _is_svg(data: bytes) -> bool:
    """An SVG document, whatever the sniffing rules call its start (XML or text)."""
    head = data[:HEADER_SIZE].lstrip(b"\xef\xbb\xbf\t\n\x0c\r ").lower()
    return head.startswith((b"<svg", b"<?xml", b"<!doctype svg")) and b"<svg" in data[:4096].lower()


def _article(name: str) -> str:
    """`an HTML page`, `a PDF document`, `binary data`: the sniffed kind, as a phrase."""
    if name in ("binary data", "text"):
        return name
    name = "HTML page" if name == "HTML" else name
    vowel_sound = name[:1] in "AEIOUaeiou" or name.startswith(("HTML", "MP", "XML"))
    return f"{'an' if vowel_sound else 'a'} {name}"
