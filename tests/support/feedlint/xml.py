"""The RSS 2.0 and Atom 1.0 lint."""

from __future__ import annotations

import codecs
import re
from typing import Any, Literal

from lxml import etree

from tests.support.feedlint.problems import Problem
from tests.support.feedlint.values import (
    MIME,
    char_problems,
    html_problems,
    http_url_problem,
    id_problem,
    rfc822_problem,
    rfc3339_problem,
    same_url,
)

RSS_CONTENT = "http://purl.org/rss/1.0/modules/content/"
ATOM = "http://www.w3.org/2005/Atom"
MEDIA = "http://search.yahoo.com/mrss/"
DC = "http://purl.org/dc/elements/1.1/"
_KNOWN_PREFIXES = {"content": RSS_CONTENT, "atom": ATOM, "media": MEDIA, "dc": DC}
_PREFIX_OF = {namespace: prefix for prefix, namespace in _KNOWN_PREFIXES.items()}


def _declared_encoding(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    match = re.match(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']", data)
    return match.group(1).decode("ascii") if match else "utf-8"


class XmlLint:
    def __init__(self, kind: Literal["rss", "atom"], feed_url: str) -> None:
        self.kind = kind
        self.feed_url = feed_url
        self.problems: list[Problem] = []

    def add(self, rule: str, message: str, where: Any) -> None:
        place = where if isinstance(where, str) else _where(where)
        self.problems.append(Problem(rule, message, place))

    def run(self, data: bytes) -> list[Problem]:
        encoding = _declared_encoding(data)
        try:
            text = data.decode(encoding)
        except LookupError:
            self.add("encoding", f"unknown encoding {encoding!r} in the XML declaration", "line 1")
            return self.problems
        except UnicodeDecodeError as exc:
            where = f"byte {exc.start}"
            self.add("encoding", f"not valid {encoding}: {exc.reason}", where)
            return self.problems
        self.problems.extend(char_problems(text))
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
        )
        try:
            root = etree.fromstring(data, parser)
        except etree.XMLSyntaxError as exc:
            message = str(exc.msg if hasattr(exc, "msg") else exc)
            if "char" in message.lower() and any(p.rule == "xml-char" for p in self.problems):
                return self.problems  # already said, with the position
            rule = "namespace" if "Namespace prefix" in message else "well-formed"
            line, column = exc.position if exc.position else (exc.lineno, 0)
            self.add(rule, message, f"line {line}, column {column}")
            return self.problems
        docinfo: Any = root.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:
            self.add("no-dtd", "the document has a DOCTYPE; feeds must not use DTDs", "line 1")
        self._namespaces(root)
        if self.kind == "rss":
            self._rss(root)
        else:
            self._atom(root)
        return self.problems

    # -- shared -------------------------------------------------------------------------

    def _namespaces(self, root: Any) -> None:
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            prefix = element.prefix
            namespace = etree.QName(element).namespace
            expected = _KNOWN_PREFIXES.get(prefix or "")
            if expected is not None and namespace != expected:
                message = f"prefix {prefix!r} is bound to {namespace!r}, not {expected!r}"
                self.add("namespace", message, element)
            elif etree.QName(element).localname == "encoded" and namespace != RSS_CONTENT:
                message = f"<encoded> is in {namespace!r}; content:encoded is in {RSS_CONTENT!r}"
                self.add("namespace", message, element)

    def _once(self, parent: Any, tag: str, *, required: bool, blank_ok: bool = False) -> Any:
        found = parent.findall(tag)
        name = _name(tag)
        if not found:
            if required:
                self.add("missing-element", f"<{name}> is required here", parent)
            return None
        for extra in found[1:]:
            self.add("duplicate-element", f"<{name}> may appear only once here", extra)
        element = found[0]
        if required and not blank_ok and not _text(element).strip() and len(element) == 0:
            self.add("missing-element", f"<{name}> must not be blank", element)
        return element

    def _url(self, element: Any, value: str | None, what: str) -> None:
        problem = http_url_problem(value or "")
        if problem:
            self.add("absolute-url", f"{what} {problem}", element)

    def _html(self, element: Any, fragment: str) -> None:
        for problem in html_problems(fragment):
            self.add("unsafe-html", f"escaped HTML contains a {problem}", element)

    def _self_link(self, parent: Any, tag: str) -> None:
        links = [link for link in parent.findall(tag) if link.get("rel") == "self"]
        if not links:
            message = f"no <{_name(tag)} rel='self'> naming the feed's own URL {self.feed_url}"
            self.add("self-link", message, parent)
            return
        for extra in links[1:]:
            self.add("self-link", "more than one self link", extra)
        href = links[0].get("href") or ""
        if not same_url(href, self.feed_url):
            message = f"the self link is {href!r}, but the feed is at {self.feed_url!r}"
            self.add("self-link", message, links[0])

    def _rfc822(self, element: Any) -> None:
        if element is not None:
            problem = rfc822_problem(_text(element))
            if problem:
                self.add("rfc822-date", problem, element)

    def _rfc3339(self, element: Any) -> None:
        if element is not None:
            problem = rfc3339_problem(_text(element))
            if problem:
                self.add("rfc3339-date", problem, element)

    def _media(self, parent: Any) -> None:
        for tag in (f"{{{MEDIA}}}content", f"{{{MEDIA}}}thumbnail"):
            for media in parent.iter(tag):
                if media.get("url") is not None:
                    self._url(media, media.get("url"), "url")

    # -- RSS 2.0 ------------------------------------------------------------------------

    def _rss(self, root: Any) -> None:
        if root.tag != "rss" or root.get("version") != "2.0":
            found = f"<{_name(root.tag)} version={root.get('version')!r}>"
            self.add("root", f"the root must be <rss version='2.0'>, not {found}", root)
            return
        channels = root.findall("channel")
        if len(channels) != 1:
            self.add("root", f"<rss> must hold exactly one <channel>, not {len(channels)}", root)
            if not channels:
                return
        channel = channels[0]
        self._once(channel, "title", required=True)
        link = self._once(channel, "link", required=True)
        if link is not None:
            self._url(link, _text(link), "the channel link")
        self._once(channel, "description", required=True)
        for tag in ("language", "copyright", "docs", "generator", "ttl", "image"):
            self._once(channel, tag, required=False)
        for tag in ("pubDate", "lastBuildDate"):
            self._rfc822(self._once(channel, tag, required=False))
        docs = channel.find("docs")
        if docs is not None:
            self._url(docs, _text(docs), "docs")
        image = channel.find("image")
        if image is not None:
            for tag in ("url", "title", "link"):
                self._once(image, tag, required=True)
            for tag in ("url", "link"):
                found = image.find(tag)
                if found is not None:
                    self._url(found, _text(found), f"image {tag}")
        self._self_link(channel, f"{{{ATOM}}}link")
        for atom_link in channel.findall(f"{{{ATOM}}}link"):
            self._url(atom_link, atom_link.get("href"), "atom:link href")
        seen: dict[str, Any] = {}
        for item in channel.findall("item"):
            self._rss_item(item, seen)

    def _rss_item(self, item: Any, seen: dict[str, Any]) -> None:
        title = self._once(item, "title", required=False)
        description = self._once(item, "description", required=False)
        if title is None and description is None:
            self.add("missing-element", "an <item> needs a <title> or a <description>", item)
        for tag in ("link", "comments"):
            found = self._once(item, tag, required=False)
            if found is not None:
                self._url(found, _text(found), tag)
        self._rfc822(self._once(item, "pubDate", required=False))
        guid = self._once(item, "guid", required=False)
        if guid is not None:
            self._guid(guid, seen)
        source = self._once(item, "source", required=False)
        if source is not None:
            self._url(source, source.get("url"), "source url")
        for enclosure in item.findall("enclosure"):
            self._rss_enclosure(enclosure)
        if description is not None:
            self._html(description, _text(description))
        encoded = self._once(item, f"{{{RSS_CONTENT}}}encoded", required=False)
        if encoded is not None:
            self._html(encoded, _text(encoded))
        self._media(item)

    def _guid(self, guid: Any, seen: dict[str, Any]) -> None:
        value = _text(guid).strip()
        if not value:
            self.add("missing-element", "<guid> must not be blank", guid)
            return
        permalink = guid.get("isPermaLink", "true")
        if permalink not in ("true", "false"):
            self.add(
                "guid-permalink", f"isPermaLink must be 'true' or 'false', not {permalink!r}", guid
            )
        elif permalink == "true":
            problem = http_url_problem(value)
            if problem:
                message = (
                    f"a permalink guid (isPermaLink missing or 'true') must be a URL: {problem}"
                )
                self.add("guid-permalink", message, guid)
        if value in seen:
            message = f"guid {value!r} is also used at {_where(seen[value])}"
            self.add("duplicate-id", message, guid)
        else:
            seen[value] = guid

    def _rss_enclosure(self, enclosure: Any) -> None:
        url, kind, length = (enclosure.get(name) for name in ("url", "type", "length"))
        for name, value in (("url", url), ("type", kind), ("length", length)):
            if value is None:
                self.add("enclosure", f"<enclosure> has no {name} attribute", enclosure)
        if url is not None:
            problem = http_url_problem(url)
            if problem:
                self.add("enclosure", f"enclosure url {problem}", enclosure)
        if kind is not None and not MIME.fullmatch(kind.strip()):
            self.add("enclosure", f"enclosure type {kind!r} is not a MIME type", enclosure)
        if length is not None and not (length.isascii() and length.strip().isdigit()):
            self.add("enclosure", f"enclosure length {length!r} is not a byte count", enclosure)

    # -- Atom 1.0 -----------------------------------------------------------------------

    def _atom(self, root: Any) -> None:
        if root.tag != f"{{{ATOM}}}feed":
            self.add("root", f"the root must be Atom's <feed>, not <{_name(root.tag)}>", root)
            return
        a = f"{{{ATOM}}}"
        feed_id = self._once(root, f"{a}id", required=True)
        if feed_id is not None:
            self._id(feed_id)
        self._once(root, f"{a}title", required=True, blank_ok=True)
        self._rfc3339(self._once(root, f"{a}updated", required=True))
        for tag in ("subtitle", "rights", "icon", "logo", "generator"):
            self._once(root, f"{a}{tag}", required=False)
        self._self_link(root, f"{a}link")
        self._atom_links(root)
        self._atom_text(root)
        feed_has_author = self._authors(root)
        seen: dict[str, Any] = {}
        for entry in root.findall(f"{a}entry"):
            self._atom_entry(entry, seen, feed_has_author)

    def _id(self, element: Any) -> None:
        problem = id_problem(_text(element))
        if problem:
            self.add("absolute-url", f"id {problem}", element)

    def _authors(self, parent: Any) -> bool:
        authors = parent.findall(f"{{{ATOM}}}author")
        for author in authors:
            self._once(author, f"{{{ATOM}}}name", required=True)
            uri = author.find(f"{{{ATOM}}}uri")
            if uri is not None:
                self._url(uri, _text(uri), "author uri")
        return bool(authors)

    def _atom_links(self, parent: Any) -> None:
        alternates: dict[tuple[str, str], Any] = {}
        for link in parent.findall(f"{{{ATOM}}}link"):
            rel = link.get("rel", "alternate")
            href = link.get("href")
            if href is None:
                self.add("missing-element", "<link> has no href", link)
                continue
            if rel == "enclosure":
                self._atom_enclosure(link)
            else:
                self._url(link, href, f"link rel={rel!r} href")
            if rel == "alternate":
                key = (link.get("type", ""), link.get("hreflang", ""))
                if key in alternates:
                    message = "two alternate links with the same type and hreflang"
                    self.add("duplicate-element", message, link)
                alternates[key] = link
        if not alternates:
            self.add(
                "missing-element", "no <link rel='alternate'> (the page it stands for)", parent
            )

    def _atom_enclosure(self, link: Any) -> None:
        problem = http_url_problem(link.get("href") or "")
        if problem:
            self.add("enclosure", f"enclosure href {problem}", link)
        kind = link.get("type")
        if kind is None or not MIME.fullmatch(kind.strip()):
            self.add("enclosure", f"enclosure type {kind!r} is not a MIME type", link)
        length = link.get("length")
        if length is not None and not (length.isascii() and length.isdigit()):
            self.add("enclosure", f"enclosure length {length!r} is not a byte count", link)

    def _atom_text(self, parent: Any) -> None:
        """Escaped HTML and XHTML in the text constructs and content of ``parent``."""
        for tag in ("title", "subtitle", "summary", "rights", "content"):
            for element in parent.findall(f"{{{ATOM}}}{tag}"):
                kind = element.get("type", "text")
                if tag == "content" and element.get("src") is not None:
                    self._url(element, element.get("src"), "content src")
                if kind == "html":
                    self._html(element, _text(element))
                elif kind == "xhtml":
                    markup = "".join(
                        etree.tostring(child, encoding="unicode", with_tail=True)
                        for child in element
                    )
                    self._html(element, markup)

    def _atom_entry(self, entry: Any, seen: dict[str, Any], feed_has_author: bool) -> None:
        a = f"{{{ATOM}}}"
        entry_id = self._once(entry, f"{a}id", required=True)
        if entry_id is not None:
            self._id(entry_id)
            value = _text(entry_id).strip()
            if value in seen:
                message = f"id {value!r} is also used at {_where(seen[value])}"
                self.add("duplicate-id", message, entry_id)
            elif value:
                seen[value] = entry_id
        self._once(entry, f"{a}title", required=True, blank_ok=True)
        self._rfc3339(self._once(entry, f"{a}updated", required=True))
        self._rfc3339(self._once(entry, f"{a}published", required=False))
        for tag in ("content", "summary", "rights", "source"):
            self._once(entry, f"{a}{tag}", required=False)
        has_author = self._authors(entry)
        source = entry.find(f"{a}source")
        if source is not None and source.find(f"{a}author") is not None:
            has_author = True
        if not (feed_has_author or has_author):
            message = "no <author> here and none on the feed; Atom needs one or the other"
            self.add("atom-author", message, entry)
        self._atom_links(entry)
        self._atom_text(entry)
        self._media(entry)


def _text(element: Any) -> str:
    return "".join(element.itertext()) if element is not None else ""


def _name(tag: str, atom_default: bool = False) -> str:
    """``tag`` as a reader would write it: ``content:encoded``, ``atom:link``, ``entry``."""
    if not tag.startswith("{"):
        return tag
    namespace, _, local = tag[1:].partition("}")
    if namespace == ATOM and atom_default:
        return local
    prefix = _PREFIX_OF.get(namespace)
    return f"{prefix}:{local}" if prefix else tag


def _where(element: Any) -> str:
    """``line N /rss/channel/item[3]/pubDate``: the element's line and path."""
    atom_default = element.getroottree().getroot().tag == f"{{{ATOM}}}feed"
    steps = []
    node = element
    while node is not None:
        parent = node.getparent()
        name = _name(node.tag, atom_default)
        if parent is not None:
            same = [sibling for sibling in parent if sibling.tag == node.tag]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        steps.append(name)
        node = parent
    return f"line {element.sourceline} /{'/'.join(reversed(steps))}"
