"""Read the prefecture's list of 在宅医療に必要な連携を担う拠点 (名称, 運営主体, 事業区域): a CSV
or an Excel sheet, columns named as in hubs_columns.toml or mapped by a --mapping TOML file.

事業区域 is split into municipality names here (split_area); `ingest_hubs` resolves them.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from zaitaku_cli.i18n import N_
from zaitaku_cli.readers.column_mapping import TableKind

__all__ = ["HUBS", "detect", "split_area"]

HUBS = TableKind(
    Path(__file__).with_name("hubs_columns.toml"),
    example='"拠点名称" = "名称"',
    what=N_("hub list"),
)
# recognising a file by its content (readers.detect)
detect = HUBS.detect

# Separators between names in 事業区域. Spaces and line breaks are not among them: a PDF copied
# into Excel breaks names across lines (矢\n巾町); split_area tries them only as a last resort.
_SEPARATORS = re.compile(r"[、,，/／;；・]+")
_REMARK = re.compile(r"[（(][^）)]*[）)]")
_WHOLE = re.compile(r"(全域|全体|一円)$")


def split_area(text: str) -> list[tuple[str, str | None]]:
    """(name, remark) for each name of a 事業区域: '紫波町、矢巾町' → [('紫波町', None),
    ('矢巾町', None)]; '盛岡市（玉山地域を除く）' → [('盛岡市', '玉山地域を除く')].

    Parts keep their inner spaces (the resolver removes them); a part that is several names
    separated by spaces is split by the ingest only when every piece is a municipality.
    """
    parts: list[tuple[str, str | None]] = []
    normalised = unicodedata.normalize("NFKC", text)
    # a remark may itself hold separators (（玉山・渋民を除く）): take remarks out first
    remarks: list[str] = []

    def keep(match: re.Match[str]) -> str:
        remarks.append(match.group(0)[1:-1].strip())
        return f"\x00{len(remarks) - 1}\x00"

    for raw in _SEPARATORS.split(_REMARK.sub(keep, normalised)):
        found = [remarks[int(i)] for i in re.findall(r"\x00(\d+)\x00", raw)]
        name = _WHOLE.sub("", re.sub(r"\x00\d+\x00", "", raw).strip()).strip()
        if name:
            parts.append((name, "; ".join(found) or None))
    return parts
