"""Read a 追加的需要 scenario for `zaitaku project --scenario`: a small CSV of additional patients
(demand moving out of long-term-care beds into home care) per area and year.

Columns (header names; Japanese aliases accepted): area_code (地域コード), year (年),
additional_patients (追加患者数). UTF-8 (BOM or not) or CP932. Values are checked here as values;
whether an area and a year belong to the projection is the projection's check.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from zaitaku_cli.errors import InputError
from zaitaku_cli.i18n import and_more, join, t
from zaitaku_cli.readers.claims_extract import normalize_header
from zaitaku_cli.readers.encoding import decode_bytes

__all__ = ["SCENARIO_COLUMNS", "ScenarioRow", "read_scenario"]

SCENARIO_COLUMNS = {
    "area_code": ("area_code", "地域コード", "圏域コード", "市町村コード", "area"),
    "year": ("year", "年", "年次"),
    "additional_patients": ("additional_patients", "追加患者数", "追加的需要", "additional"),
}

_SHOW = 3
_NUMBER = re.compile(r"\d+(\.\d+)?")


@dataclass(frozen=True)
class ScenarioRow:
    row: int  # line in the file, header = 1
    area_code: str  # as written (leading zeros possibly lost to Excel; 05-北秋田 for 7th-plan keys)
    year: int
    additional_patients: float


def _columns(path: Path, header: list[str]) -> dict[str, int]:
    index = {normalize_header(alias): key for key, al in SCENARIO_COLUMNS.items() for alias in al}
    found: dict[str, int] = {}
    for position, name in enumerate(header):
        key = index.get(normalize_header(name))
        if key is not None and key not in found:
            found[key] = position
    missing = [key for key in SCENARIO_COLUMNS if key not in found]
    if missing:
        raise InputError(
            "column(s) missing: {missing} (headers found: {headers})",
            file=path,
            missing=join(missing),
            headers=join(header),
            row=1,
            hint="a scenario has the columns area_code, year, additional_patients",
        )
    return found


def read_scenario(path: Path) -> list[ScenarioRow]:
    """Rows of a scenario file; every unreadable value is reported (count and the first few)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(
            "cannot read the scenario ({reason})", file=path, reason=exc.strerror
        ) from exc
    text, _ = decode_bytes(data, file=path)
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not lines:
        raise InputError("the file is empty", file=path)
    columns = _columns(path, lines[0])
    rows: list[ScenarioRow] = []
    problems: list[tuple[int, str, str]] = []  # row, column, message
    for number, fields in enumerate(lines[1:], start=2):
        if not any(f.strip() for f in fields):
            continue
        values = {
            key: fields[pos].strip() if pos < len(fields) else "" for key, pos in columns.items()
        }
        area, year, extra = values["area_code"], values["year"], values["additional_patients"]
        if not area:
            problems.append((number, "area_code", t("no area code")))
        if not (year.isdigit() and len(year) == 4):
            problems.append((number, "year", t("{value!r} is not a year like 2030", value=year)))
        if not _NUMBER.fullmatch(extra):
            problems.append(
                (
                    number,
                    "additional_patients",
                    t("{value!r} is not a number of 0 or more", value=extra),
                )
            )
        if area and year.isdigit() and len(year) == 4 and _NUMBER.fullmatch(extra):
            rows.append(ScenarioRow(number, area, int(year), float(extra)))
    if problems:
        first_row, first_column, _ = problems[0]
        shown = "; ".join(
            f"{join([t('row {row}', row=r), c])}: {m}" for r, c, m in problems[:_SHOW]
        )
        raise InputError(
            "{count} bad value(s): {problems}",
            file=path,
            count=len(problems),
            problems=and_more(shown, len(problems) - _SHOW),
            row=first_row,
            column=first_column,
        )
    return rows
