"""Tiny KDB-style claims extracts written byte for byte: CP932, UTF-8 with BOM, mapped headers.

Rows are dicts keyed by header (missing keys are empty fields) or raw strings written as they
are, for blank and malformed lines. Line numbers in tests count the header as line 1.
"""

from __future__ import annotations

from pathlib import Path

CANONICAL = [
    "保険者番号",
    "被保険者番号",
    "性別",
    "年齢",
    "市町村コード",
    "市町村名",
    "診療年月",
    "入外区分",
    "医療機関コード",
    "診療行為コード",
    "算定回数",
]

# A valid line: a woman of 82 living in 盛岡市 (032018, check digit 8), visited at home
# (114001110 在宅患者訪問診療料（１）１) once in April 2023 by a clinic of 岩手県.
GOOD: dict[str, str] = {
    "保険者番号": "39030000",
    "被保険者番号": "P000000001",
    "性別": "2",
    "年齢": "82",
    "市町村コード": "032018",
    "市町村名": "盛岡市",
    "診療年月": "202304",
    "入外区分": "2",
    "医療機関コード": "0311234567",
    "診療行為コード": "114001110",
    "算定回数": "1",
}


def claim(**changes: str) -> dict[str, str]:
    """GOOD with some fields changed; keyword names are the canonical Japanese headers."""
    return {**GOOD, **changes}


def write_extract(
    path: Path,
    rows: list[dict[str, str] | str],
    *,
    header: list[str] | None = None,
    encoding: str = "cp932",
    delimiter: str = ",",
    line_end: str = "\r\n",
) -> Path:
    """Write header + rows; encoding 'utf-8-sig' gives a BOM, as Excel's "CSV UTF-8" does."""
    header = header or CANONICAL
    lines = [delimiter.join(header)]
    for row in rows:
        lines.append(
            row if isinstance(row, str) else delimiter.join(row.get(h, "") for h in header)
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((line_end.join(lines) + line_end).encode(encoding))
    return path


def rename(row: dict[str, str], names: dict[str, str]) -> dict[str, str]:
    """The same row under other headers (canonical name → the export's name)."""
    return {names.get(k, k): v for k, v in row.items()}
