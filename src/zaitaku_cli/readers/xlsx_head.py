"""The first rows of each sheet of an .xlsx workbook, read without loading the workbook.

Recognising a file by its content must be cheap even for a 200,000-row bureau list, whose sheet
calamine would parse whole (about 1.5 s) just to show twenty rows. An .xlsx is a zip of XML
parts: this module streams the sheet's XML until the rows it needs have gone by, then reads the
shared strings only as far as the highest index those rows use. Values come back as text, as
the readers see them; phonetic guides (ふりがな, <rPh>) are not part of a cell's text.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml.etree import ElementTree

from zaitaku_cli.errors import InputError

__all__ = ["SheetHead", "read_xlsx_head"]

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_OFFICE_DOCUMENT = "/officeDocument"
_SHARED_STRINGS = "/sharedStrings"
# Columns beyond this are not needed to recognise any input, and a hostile row cannot grow a list
# without bound.
_MAX_COLUMNS = 256
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")


@dataclass(frozen=True)
class SheetHead:
    """The first rows of one sheet: `rows[i]` is sheet row i + 1, cells as text (None = empty)."""

    name: str
    rows: list[list[str | None]]


def read_xlsx_head(source: Path | IO[bytes], *, rows: int = 20) -> list[SheetHead]:
    """The first `rows` rows of every worksheet, in workbook order.

    Raises InputError when the bytes are not a readable workbook (not a zip, no workbook part).
    """
    name = source.name if isinstance(source, Path) else "workbook"
    try:
        with zipfile.ZipFile(source) as archive:
            parts = set(archive.namelist())
            book = _workbook_path(archive, parts)
            sheets, shared_path = _sheets(archive, book, parts)
            heads: list[tuple[str, list[list[tuple[str, str]]]]] = []
            needed = -1
            for sheet_name, path in sheets:
                cells = _sheet_cells(archive, path, rows)
                heads.append((sheet_name, cells))
                for row in cells:
                    for kind, value in row:
                        if kind == "s" and value.isdigit():
                            needed = max(needed, int(value))
            strings = _shared_strings(archive, shared_path, needed) if needed >= 0 else []
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError, OSError) as exc:
        raise InputError("not a readable .xlsx workbook ({reason})", file=name, reason=exc) from exc
    return [
        SheetHead(
            sheet_name, [[_text(kind, value, strings) for kind, value in row] for row in cells]
        )
        for sheet_name, cells in heads
    ]


def _text(kind: str, value: str, strings: list[str]) -> str | None:
    if kind == "":
        return None
    if kind == "s":
        index = int(value) if value.isdigit() else -1
        return strings[index] if 0 <= index < len(strings) else None
    return value


def _rels(archive: zipfile.ZipFile, part: str, parts: set[str]) -> dict[str, tuple[str, str]]:
    """{relationship id: (type, target part)} of `part` (its _rels/<name>.rels)."""
    folder, base = posixpath.split(part)
    rels_path = posixpath.join(folder, "_rels", base + ".rels")
    if rels_path not in parts:
        return {}
    root = ElementTree.fromstring(archive.read(rels_path))
    found = {}
    for rel in root.iter(f"{_PKG_REL}Relationship"):
        target = rel.get("Target", "")
        # Targets are relative to the part's folder, or absolute from the package root.
        path = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        found[rel.get("Id", "")] = (rel.get("Type", ""), posixpath.normpath(path))
    return found


def _workbook_path(archive: zipfile.ZipFile, parts: set[str]) -> str:
    for rel_type, target in _rels(archive, "", parts).values():
        if rel_type.endswith(_OFFICE_DOCUMENT) and target in parts:
            return target
    if "xl/workbook.xml" in parts:
        return "xl/workbook.xml"
    raise KeyError("no workbook part (xl/workbook.xml)")


def _sheets(
    archive: zipfile.ZipFile, book: str, parts: set[str]
) -> tuple[list[tuple[str, str]], str | None]:
    rels = _rels(archive, book, parts)
    root = ElementTree.fromstring(archive.read(book))
    sheets = []
    for sheet in root.iter(f"{_MAIN}sheet"):
        rel = rels.get(sheet.get(f"{_REL}id", ""))
        if rel is not None and rel[1] in parts and "worksheet" in rel[0]:
            sheets.append((sheet.get("name", ""), rel[1]))
    shared = next(
        (target for rel_type, target in rels.values() if rel_type.endswith(_SHARED_STRINGS)),
        None,
    )
    return sheets, shared if shared in parts else None


def _column(ref: str | None, fallback: int) -> int:
    match = _CELL_REF.match(ref or "")
    if match is None:
        return fallback
    index = 0
    for letter in match.group(1):
        index = index * 26 + ord(letter) - 64
    return index - 1


def _events(stream: IO[bytes]) -> Iterator[tuple[str, ElementTree.Element]]:
    return ElementTree.iterparse(stream, events=("start", "end"))


def _sheet_cells(archive: zipfile.ZipFile, path: str, rows: int) -> list[list[tuple[str, str]]]:
    """Rows 1…`rows` as (type, raw value) cells; ('', '') is an empty cell. Stops reading the
    sheet's XML at the first row beyond them."""
    grid: list[list[tuple[str, str]]] = []
    with archive.open(path) as stream:
        row_number = 0
        for event, elem in _events(stream):
            if event == "start" and elem.tag == f"{_MAIN}row":
                given = elem.get("r")
                row_number = int(given) if given and given.isdigit() else row_number + 1
                if row_number > rows:
                    break
                continue
            if event != "end":
                continue
            if elem.tag == f"{_MAIN}c":
                col = _column(elem.get("r"), len(grid[-1]) if grid else 0)
                if 0 <= col < _MAX_COLUMNS and 0 < row_number <= rows:
                    while len(grid) < row_number:
                        grid.append([])
                    row = grid[row_number - 1]
                    while len(row) <= col:
                        row.append(("", ""))
                    row[col] = _cell_value(elem)
                elem.clear()
            elif elem.tag == f"{_MAIN}row":
                elem.clear()
    return grid


def _cell_value(cell: ElementTree.Element) -> tuple[str, str]:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        inline = cell.find(f"{_MAIN}is")
        return ("str", _string_item(inline)) if inline is not None else ("", "")
    value = cell.find(f"{_MAIN}v")
    if value is None or value.text is None:
        return ("", "")
    if kind == "b":
        return ("str", "TRUE" if value.text.strip() == "1" else "FALSE")
    return ("s" if kind == "s" else "str", value.text)


def _string_item(item: ElementTree.Element) -> str:
    """Text of a shared or inline string: plain <t>, or the runs <r><t> of rich text; phonetic
    guides (<rPh>) are skipped."""
    parts = []
    for child in item:
        if child.tag == f"{_MAIN}t":
            parts.append(child.text or "")
        elif child.tag == f"{_MAIN}r":
            text = child.find(f"{_MAIN}t")
            parts.append(text.text or "" if text is not None else "")
    return "".join(parts)


def _shared_strings(archive: zipfile.ZipFile, path: str | None, needed: int) -> list[str]:
    """Shared strings 0…`needed`; the rest of the table is not read."""
    if path is None:
        return []
    strings: list[str] = []
    with archive.open(path) as stream:
        for event, elem in _events(stream):
            if event != "end" or elem.tag != f"{_MAIN}si":
                continue
            strings.append(_string_item(elem))
            elem.clear()
            if len(strings) > needed:
                break
    return strings
