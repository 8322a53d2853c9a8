"""XML from outside, parsed with lxml's hardened settings: no DTD loaded, no entity expanded, no network, no huge
trees. A document that declares a DOCTYPE is refused outright (XXE and billion-laughs both need one).
"""

from __future__ import annotations

from typing import Any

from lxml import etree

DOCTYPE_REFUSED = "The XML declares a DOCTYPE or entities, which Syllabus does not accept."
NOT_XML = "The file is not well-formed XML: {reason}"


class UnsafeXML(ValueError):
    """The document is not well-formed, or uses a feature refused here (DOCTYPE, entities)."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse(content: bytes) -> Any:
    """The root element of `content`, or UnsafeXML with a message naming the line."""
    upper = content.upper()
    if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
        raise UnsafeXML(DOCTYPE_REFUSED)
    try:
        root = etree.fromstring(content, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise UnsafeXML(NOT_XML.format(reason=str(exc))) from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise UnsafeXML(DOCTYPE_REFUSED)
    return root
