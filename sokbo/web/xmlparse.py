"""The one way sokbo parses XML it fetched (sitemaps, feeds' hub links): no entities
resolved, no network, no DTD, no huge trees, comments and processing instructions dropped."""

from __future__ import annotations

from lxml import etree


def safe_parser(recover: bool) -> etree.XMLParser:
    """A new parser (one per document: an lxml parser must not be shared between
    threads); `recover`: read what it can of a broken document."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        recover=recover,
        remove_comments=True,
        remove_pis=True,
    )
