"""Hypothesis strategies that damage a valid file: at the byte level and in its structure.

Byte damage (flipped bits, overwritten header fields, truncation, inserted and deleted runs)
hits every format, and is aimed at the first bytes half of the time, where binary headers
announce counts, offsets and sizes. Structural damage keeps a text format parseable so that the
damage reaches the reader's own code rather than the parser: a JSON value, an XML element or
attribute, a CSV cell or a TOML value is replaced by a hostile one (a wrong type, an empty or
huge number, NaN, a cycle of references), removed or duplicated.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import struct
from functools import cache
from typing import Any

from hypothesis import strategies as st
from lxml import etree

HEADER_BYTES = 512
# Values that break readers that trust a header: zero, all ones, sign bits, NaN and huge floats.
HOSTILE_WORDS = [b"\x00", b"\xff", b"\x7f", b"\x80", b"\x00" * 4, b"\xff" * 4, b"\xff" * 8,
                 struct.pack("<i", -1), struct.pack("<I", 2**31), struct.pack("<Q", 2**63),
                 struct.pack("<d", float("nan")), struct.pack("<d", float("inf")), struct.pack("<d", 1e308),
                 struct.pack("<d", 0.0), struct.pack("<H", 0xFFFF)]
HOSTILE_TEXTS = ["", " ", "0", "-1", "1e400", "-1e400", "nan", "NaN", "inf", "-inf", "1 2", "1,2,3",
                 "9" * 40, "0x1F", "2026-13-45T99:99:99Z", "2026-07-10T15:05:00+99:99", "T", "Z",
                 "EPSG:0", "EPSG:99999", "urn:ogc:def:crs:EPSG::25833", "#", "../../etc/passwd",
                 "\x00", "ä€𝔘", "1 2 3 4 5 6 7 8 9 10 11 12 13"]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.sampled_from([0, -1, 1, 2**31, 2**63, 10**30, 0.5, float("nan"),
                                                 float("inf"), -1e308]) | st.sampled_from(HOSTILE_TEXTS)
    | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8)
TOML_VALUES = ["-1", "0", "nan", "inf", "-inf", "1e308", "9223372036854775807", "true", '""', '"x"',
               "[]", "[1, 2]", '["a", 1]', "{}", '{ a = 1 }', '"../../etc/passwd"', '"/"', '"EPSG:0"',
               "2026-07-10T15:05:00Z", '"\\u0000"']


@st.composite
def byte_damage(draw: st.DrawFn, seed: bytes) -> bytes:
    """The seed with one to four byte-level edits."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        end = len(data)
        position = draw(st.integers(0, min(end, HEADER_BYTES)) | st.integers(0, end))
        edit = draw(st.sampled_from(["flip", "overwrite", "insert", "delete", "truncate", "repeat"]))
        if edit == "flip" and position < end:
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif edit == "overwrite":
            word = draw(st.sampled_from(HOSTILE_WORDS) | st.binary(min_size=1, max_size=8))
            data[position:position + len(word)] = word
        elif edit == "insert":
            data[position:position] = draw(st.sampled_from(HOSTILE_WORDS) | st.binary(max_size=64))
        elif edit == "delete":
            del data[position:position + draw(st.integers(1, 256))]
        elif edit == "truncate":
            del data[position:]
        elif edit == "repeat":
            data[position:position] = data[position:position + draw(st.integers(1, 4096))]
    return bytes(data)


@st.composite
def json_damage(draw: st.DrawFn, seed: bytes) -> bytes:
    """The seed's JSON with one to three values replaced, removed or duplicated."""
    document = copy.deepcopy(_parsed_json(seed))
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_json_paths(document))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _json_node(document, path[:-1]), path[-1]
        edit = draw(st.sampled_from(["replace", "remove", "duplicate", "wrap"]))
        if edit == "replace":
            parent[key] = draw(JSON_VALUES)
        elif edit == "remove":
            del parent[key]
        elif edit == "duplicate" and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        elif edit == "wrap":
            parent[key] = [parent[key]]
    return json.dumps(document).encode()


@st.composite
def xml_damage(draw: st.DrawFn, seed: bytes) -> bytes:
    """The seed's XML with one to three elements emptied, removed, copied or given hostile text."""
    root = etree.fromstring(seed, etree.XMLParser(resolve_entities=False, no_network=True))
    for _ in range(draw(st.integers(1, 3))):
        elements = list(root.iter(etree.Element))
        element = elements[draw(st.integers(0, len(elements) - 1))]
        edit = draw(st.sampled_from(["text", "attribute", "remove", "copy"]))
        if edit == "text":
            element.text = draw((st.sampled_from(HOSTILE_TEXTS) | st.text(max_size=20)).filter(_is_xml_text))
        elif edit == "attribute":
            name = draw(st.sampled_from(["srsDimension", "srsName", "orientation",
                                         "{http://www.w3.org/1999/xlink}href",
                                         "{http://www.opengis.net/gml}id"]))
            value = draw(st.sampled_from([*HOSTILE_TEXTS, "-", "#" + _an_id(elements, draw), "2", "3"])
                         .filter(_is_xml_text))
            element.set(name, value)
        elif edit == "remove" and element.getparent() is not None:
            element.getparent().remove(element)
        elif edit == "copy" and element.getparent() is not None:
            target = elements[draw(st.integers(0, len(elements) - 1))]
            if element not in target.iterancestors() and element is not target:
                target.append(copy.deepcopy(element))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@st.composite
def csv_damage(draw: st.DrawFn, seed: bytes) -> bytes:
    """The seed's CSV with one to three cells or rows replaced, removed or duplicated."""
    rows = list(csv.reader(io.StringIO(seed.decode("utf-8"))))
    for _ in range(draw(st.integers(1, 3))):
        row = draw(st.integers(0, len(rows) - 1))
        edit = draw(st.sampled_from(["cell", "cell", "drop_cell", "add_cell", "drop_row", "repeat_row"]))
        if edit == "cell" and rows[row]:
            column = draw(st.integers(0, len(rows[row]) - 1))
            rows[row][column] = draw(st.sampled_from(HOSTILE_TEXTS) | st.text(max_size=12))
        elif edit == "drop_cell" and rows[row]:
            rows[row].pop()
        elif edit == "add_cell":
            rows[row].append(draw(st.sampled_from(HOSTILE_TEXTS)))
        elif edit == "drop_row" and len(rows) > 1:
            rows.pop(row)
        elif edit == "repeat_row":
            rows.insert(row, list(rows[row]))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8", errors="surrogatepass")


@st.composite
def toml_damage(draw: st.DrawFn, seed: bytes) -> bytes:
    """The seed's TOML with one to three values replaced by hostile ones, or lines removed."""
    lines = seed.decode().splitlines()
    for _ in range(draw(st.integers(1, 3))):
        number = draw(st.integers(0, len(lines) - 1))
        key, equals, _value = lines[number].partition("=")
        edit = draw(st.sampled_from(["value", "value", "remove", "repeat"]))
        if edit == "value" and equals:
            lines[number] = f"{key}= {draw(st.sampled_from(TOML_VALUES))}"
        elif edit == "remove":
            lines.pop(number)
        elif edit == "repeat":
            lines.insert(number, lines[number])
        if not lines:
            break
    return "\n".join(lines).encode()


def damage(name: str, seed: bytes) -> st.SearchStrategy[bytes]:
    """Byte damage for any file; structural damage too where the file's format has a structure."""
    structural = _STRUCTURAL.get(_kind_of(name))
    return byte_damage(seed) | structural(seed) if structural else byte_damage(seed)


def _kind_of(name: str) -> str:
    name = name.lower()
    if name.endswith((".json", ".geojson")):
        return "json"
    return name.rpartition(".")[2]


_STRUCTURAL = {"json": json_damage, "gml": xml_damage, "csv": csv_damage, "toml": toml_damage}


@cache
def _parsed_json(seed: bytes) -> Any:
    return json.loads(seed)


def _json_paths(node: Any, prefix: tuple = ()) -> Any:
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        yield (*prefix, key)
        yield from _json_paths(child, (*prefix, key))


def _json_node(document: Any, path: tuple) -> Any:
    for key in path:
        document = document[key]
    return document


def _an_id(elements: list[etree._Element], draw: st.DrawFn) -> str:
    ids = [value for element in elements for name, value in element.attrib.items() if name.endswith("}id")]
    return draw(st.sampled_from(ids)) if ids else "nowhere"


def _is_xml_text(text: str) -> bool:
    try:
        etree.Element("probe").text = text
    except ValueError:
        return False
    return True
