"""和暦 (Japanese era) dates: scalar parsers and the era table shared by every reader.

Bureau lists print 算定開始年月日 as padded 和暦 text ('令和 7年 9月 1日', '平成29年11月 1日') and
put the list date in a title row ('[令和７年１０月１日 現在 ]令和７年１０月２１日作成'); claims use
era letters (R05.04). Parsing is scalar on purpose: callers apply it to the *distinct* values of
a column, which are few even in a 200,000-row list. Claim extracts are read in SQL
(sql/staging/stg_claim_dates.sql, the SQL's one place for 和暦) over era_table(), made from ERAS.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

import pyarrow as pa

__all__ = [
    "ERAS",
    "ERA_FIRST_YEAR",
    "Era",
    "era_of",
    "era_table",
    "era_year",
    "find_as_of",
    "find_dates",
    "parse_wareki_date",
]


@dataclass(frozen=True)
class Era:
    name: str  # 令和
    letter: str  # R (as in R05.04)
    first_year: int  # gregorian year of 元年
    starts: date  # first day of the era


# Oldest first. 元年 = first_year; year n of an era is first_year + n - 1.
ERAS: tuple[Era, ...] = (
    Era("明治", "M", 1868, date(1868, 10, 23)),
    Era("大正", "T", 1912, date(1912, 7, 30)),
    Era("昭和", "S", 1926, date(1926, 12, 25)),
    Era("平成", "H", 1989, date(1989, 1, 8)),
    Era("令和", "R", 2019, date(2019, 5, 1)),
)

# Name or letter (upper case) → gregorian year of 元年.
ERA_FIRST_YEAR: dict[str, int] = {
    **{era.name: era.first_year for era in ERAS},
    **{era.letter: era.first_year for era in ERAS},
}


def era_of(day: date) -> tuple[Era, int]:
    """The era of `day` and the year of the era it falls in (1 = 元年), e.g. (令和, 7) for
    2025-10-01; days before 明治 are not 和暦 dates zaitaku writes."""
    era = next((e for e in reversed(ERAS) if day >= e.starts), None)
    if era is None:
        raise ValueError(f"{day} is before 明治")
    return era, day.year - era.first_year + 1


def era_table() -> pa.Table:
    """ERAS as the table the claims staging SQL reads 和暦 with (ref_eras): era_code is the digit
    KDB writes for the era (1 明治 … 5 令和, the order of ERAS); an era ends the day before the
    next one starts, the current one has no end."""
    ends: list[date | None] = [nxt.starts - timedelta(days=1) for nxt in ERAS[1:]]
    return pa.table(
        {
            "era_code": pa.array([i + 1 for i in range(len(ERAS))], pa.int32()),
            "era_name": pa.array([e.name for e in ERAS], pa.string()),
            "era_letter": pa.array([e.letter for e in ERAS], pa.string()),
            "first_year": pa.array([e.first_year for e in ERAS], pa.int32()),
            "starts": pa.array([e.starts for e in ERAS], pa.date32()),
            "ends": pa.array([*ends, None], pa.date32()),
        }
    )


def era_year(era: str, year: str | int) -> int | None:
    """Gregorian year of `year` (a number or '元') in `era` (name or letter); None if unknown."""
    first = ERA_FIRST_YEAR.get(era.upper() if len(era) == 1 else era)
    if first is None:
        return None
    n = 1 if year == "元" else int(year)
    return first + n - 1


_ERA_ALT = "|".join([e.name for e in ERAS] + [e.letter for e in ERAS])
# After NFKC: digits are ASCII, full-width spaces are plain spaces. Separators are 年月日 or
# '.', '/', '-' (R7.9.1); padding spaces may sit anywhere between the parts.
_ERA_DATE = (
    rf"(?P<era>{_ERA_ALT})\s*\.?\s*(?P<ey>元|\d{{1,2}})\s*[年./-]\s*"
    r"(?P<em>\d{1,2})\s*[月./-]\s*(?P<ed>\d{1,2})\s*日?"
)
_ISO_DATE = r"(?P<y>\d{4})\s*[年./-]\s*(?P<m>\d{1,2})\s*[月./-]\s*(?P<d>\d{1,2})\s*日?"
_ANY_DATE = re.compile(rf"(?:{_ERA_DATE})|(?:(?<!\d){_ISO_DATE})", re.IGNORECASE)
_FULL = re.compile(rf"\s*(?:(?:{_ERA_DATE})|(?:{_ISO_DATE}))\s*", re.IGNORECASE)
_NOW = re.compile(r"\s*現在")


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _to_date(match: re.Match[str]) -> date | None:
    parts = match.groupdict()
    try:
        if parts["era"]:
            year = era_year(parts["era"], parts["ey"])
            if year is None:
                return None
            return date(year, int(parts["em"]), int(parts["ed"]))
        return date(int(parts["y"]), int(parts["m"]), int(parts["d"]))
    except ValueError:
        # 令和7年2月30日 and the like: not a date. The caller decides whether that is an error.
        return None


def parse_wareki_date(text: str | None) -> date | None:
    """A whole cell holding one date, 和暦 or ISO; None when empty or not a valid date.

    >>> parse_wareki_date('令和 7年 9月 1日'), parse_wareki_date('平成29年11月 1日')
    (datetime.date(2025, 9, 1), datetime.date(2017, 11, 1))
    >>> parse_wareki_date('令和元年5月1日'), parse_wareki_date('２０２５／１０／０１')
    (datetime.date(2019, 5, 1), datetime.date(2025, 10, 1))
    >>> parse_wareki_date('令和7年2月30日') is None
    True
    """
    if not text:
        return None
    match = _FULL.fullmatch(_normalise(text))
    return _to_date(match) if match else None


def find_dates(text: str | None) -> list[tuple[date, bool]]:
    """Every valid date in free text, in order, each with whether 現在 follows it."""
    if not text:
        return []
    norm = _normalise(text)
    found = []
    for match in _ANY_DATE.finditer(norm):
        day = _to_date(match)
        if day is not None:
            found.append((day, bool(_NOW.match(norm, match.end()))))
    return found


def find_as_of(text: str | None) -> date | None:
    """The list date of a title such as '[令和７年１０月１日 現在 ]令和７年１０月２１日作成'.

    The date followed by 現在 wins (the other one is when the file was made); without 現在,
    the first date.

    >>> find_as_of('[令和７年１０月１日 現在 ]令和７年１０月２１日作成')
    datetime.date(2025, 10, 1)
    """
    dates = find_dates(text)
    for day, is_now in dates:
        if is_now:
            return day
    return dates[0][0] if dates else None
