"""Small 医科診療行為マスター files shaped like 支払基金's s_ALL….csv: CP932, every field quoted,
CRLF, no header, 150 fields a row, with the positions zaitaku reads (domain.md §4) filled in.

The field layout was checked against the published R6 change file s_20250307.csv: e.g. 114746310
(在宅医療ＤＸ情報活用加算１) has [84] 'C', [86] '20250401', [87] '99999999', [89]–[93]
'2','02','001','00','009'.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

WIDTH = 150


@dataclass(frozen=True)
class MasterCode:
    code: str
    name: str  # 基本漢字名称
    letter: str  # 点数表区分
    kubun_no: str  # 区分番号, 3 digits
    branch_no: str = "00"  # 枝番
    item_no: str = "001"  # 項番
    points: str = "888.00"
    changed_on: str = "20260601"
    abolished_on: str = "99999999"
    short_name: str = ""


def master_row(c: MasterCode) -> list[str]:
    fields = ["0"] * WIDTH
    fields[0] = "3"  # 変更区分 (3 = new)
    fields[1] = "S"
    fields[2] = c.code
    fields[4] = c.short_name or c.name[:32]
    fields[11] = c.points
    fields[84] = c.letter
    fields[85] = ""
    fields[86] = c.changed_on
    fields[87] = c.abolished_on
    fields[89] = "2"  # 章
    fields[90] = "01" if c.letter == "B" else "02"  # 部
    fields[91] = c.kubun_no
    fields[92] = c.branch_no
    fields[93] = c.item_no
    fields[112] = c.name
    return fields


def master_bytes(codes: list[MasterCode], *, rows: list[list[str]] | None = None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    for c in codes:
        writer.writerow(master_row(c))
    for row in rows or []:
        writer.writerow(row)
    return buffer.getvalue().encode("cp932")


def write_master(path: Path, codes: list[MasterCode], **kwargs: object) -> Path:
    path.write_bytes(master_bytes(codes, **kwargs))  # type: ignore[arg-type]
    return path


def write_master_zip(path: Path, member: str, codes: list[MasterCode]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(member, master_bytes(codes))
    return path
