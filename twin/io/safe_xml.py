"""lxml settings for XML from strangers: no entities, no DTDs, no network, no huge trees.

A CityGML file may declare an external entity pointing at a local file or a URL; it must never
be read or fetched. Entity-expansion bombs stop at libxml2's amplification limit, which
`huge_tree=False` keeps switched on.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from lxml import etree

HARDENED = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def iterparse(source: Path | BinaryIO, tags: Iterable[str],
              events: tuple[str, ...] = ("end",)) -> etree.iterparse:
    """A hardened streaming parse of a file or an open binary stream, reporting only `tags` elements."""
    source = str(source) if isinstance(source, Path) else source
    return etree.iterparse(source, events=events, tag=list(tags), **HARDENED)


def root_tag(path: Path, chunk_bytes: int = 64 * 1024) -> str:
    """The qualified name of the root element, read from the first bytes that contain it.

    Raises lxml.etree.XMLSyntaxError where the file is not XML.
    """
    parser = etree.XMLPullParser(events=("start",), **HARDENED)
    with path.open("rb") as stream:
        while chunk := stream.read(chunk_bytes):
            parser.feed(chunk)
            for _event, element in parser.read_events():
                return element.tag
    parser.close()  # raises for an empty or truncated document
    raise etree.XMLSyntaxError("the document has no root element", None, 0, 0)


def local_name(tag: object) -> str:
    """'Building' for '{http://www.opengis.net/citygml/building/2.0}Building'; '' for entities."""
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]
