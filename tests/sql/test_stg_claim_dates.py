"""診療年月 and 生年月日 in every form of domain.md §4, through the staging SQL itself (the one
place the SQL reads 和暦), property-based for months.

Each month of the covered range is written as KDB extracts and analysts write it — 202304,
2023/04, 2023-04, 2023年4月, R05.04, R5.4, 令和5年4月, H31.04, KDB-style 50504, and 5.04 with a
元号 column — and must come back as that month; no text makes the SQL fail: it yields a month
or a reason.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factories.claim_staging import stage, staging_connection
from zaitaku_cli.readers.wareki import ERAS

FULL_WIDTH = str.maketrans("0123456789/", "０１２３４５６７８９／")


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    return staging_connection()


def era_of(month: date) -> tuple[int, object]:
    """(KDB era digit 1–5, era) of the month's first day; the era that starts within a month
    (令和: 2019-05-01) also owns that month's first day only from then on."""
    for code in range(len(ERAS), 0, -1):
        era = ERAS[code - 1]
        if month >= date(era.starts.year, era.starts.month, 1):
            return code, era
    raise AssertionError(month)


def forms(month: date) -> list[tuple[str, str]]:
    """(診療年月, 元号 column) pairs that all mean `month`."""
    code, era = era_of(month)
    y = month.year - era.first_year + 1  # type: ignore[attr-defined]
    name, letter = era.name, era.letter  # type: ignore[attr-defined]
    m = month.month
    written = [
        (f"{month:%Y%m}", ""),
        (f"{month:%Y/%m}", ""),
        (f"{month:%Y-%m}", ""),
        (f"{month.year}年{m}月", ""),
        (f"{letter}{y:02d}.{m:02d}", ""),
        (f"{letter}{y}.{m}", ""),
        (f"{name}{y}年{m}月", ""),
        (f"{code}{y:02d}{m:02d}", ""),  # KDB: era digit + YYMM
        (f"{y}.{m:02d}", name),  # era year with a 元号 column
        (f"{month:%Y/%m}".translate(FULL_WIDTH), ""),
    ]
    if y == 1:
        written.append((f"{name}元年{m}月", ""))
    return written


# the range KDB data can hold: 2008 (後期高齢者医療 starts) to the end of ref_months
MONTHS = st.dates(min_value=date(2008, 4, 1), max_value=date(2060, 3, 31)).map(
    lambda d: d.replace(day=1)
)


@settings(max_examples=150, deadline=None)
@given(MONTHS)
def test_every_month_round_trips_in_every_form(con: duckdb.DuckDBPyConnection, month: date) -> None:
    pairs = forms(month)
    rows = stage(
        con,
        "stg_claim_dates",
        {"service_month": [p[0] for p in pairs], "era": [p[1] for p in pairs]},
    )
    got = {(r["text"], r["era_raw"]): (r["value"], r["reason"]) for r in rows}
    for pair in pairs:
        assert got[pair] == (month, None), pair


def test_the_months_of_an_era_change_are_both_valid(con: duckdb.DuckDBPyConnection) -> None:
    # 平成31年4月 and 令和元年5月 are both real service months; 平成31年5月 (the era ended
    # 2019-04-30) and 令和元年4月 (it began 2019-05-01) are not.
    rows = stage(
        con,
        "stg_claim_dates",
        {
            "service_month": ["H31.04", "令和元年5月", "H31.05", "令和元年4月"],
            "era": ["", "", "", ""],
        },
    )
    got = {r["text"]: (r["value"], r["reason"]) for r in rows}
    assert got["H31.04"] == (date(2019, 4, 1), None)
    assert got["令和元年5月"] == (date(2019, 5, 1), None)
    assert got["H31.05"][1] == "診療年月: year outside the era"
    assert got["令和元年4月"][1] == "診療年月: year outside the era"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=10), st.text(max_size=4))
def test_no_text_makes_the_check_fail(
    con: duckdb.DuckDBPyConnection, values: list[str], era: str
) -> None:
    # the same texts as 診療年月 and as 生年月日 (of lines without 年齢)
    rows = stage(
        con,
        "stg_claim_dates",
        {"service_month": values, "era": [era] * len(values), "birth_date": values},
    )
    for row in rows:
        # a month or a reason why not: nothing passes unexplained
        assert row["value"] is not None or row["reason"], row


def test_birth_dates_in_every_form_and_at_an_era_change(con: duckdb.DuckDBPyConnection) -> None:
    # 昭和 ended on 1989-01-07 (its 64th year), 平成 began on 1989-01-08.
    texts = {
        "19450315": (date(1945, 3, 15), None),
        "1945/3/15": (date(1945, 3, 15), None),
        "S20.03.15": (date(1945, 3, 15), None),
        "昭和20年3月15日": (date(1945, 3, 15), None),
        "3200315": (date(1945, 3, 15), None),  # KDB: era digit 3 (昭和), then YYMMDD
        "S64.01.07": (date(1989, 1, 7), None),
        "平成元年1月8日": (date(1989, 1, 8), None),
        "S64.01.08": (date(1989, 1, 8), "生年月日: year outside the era"),
        "H01.01.07": (date(1989, 1, 7), "生年月日: year outside the era"),
        "19450230": (None, "生年月日: not a valid date"),
        "X20.03.15": (None, "生年月日: not a known era"),
    }
    rows = stage(
        con,
        "stg_claim_dates",
        {
            "birth_date": list(texts),
            "age": [""] * len(texts),
            "service_month": ["202304"] * len(texts),
        },
    )
    got = {r["text"]: (r["value"], r["reason"]) for r in rows if r["kind"] == "birth"}
    assert got == texts
    # a line with 年齢 is not read for its 生年月日
    rows = stage(con, "stg_claim_dates", {"birth_date": ["S20.03.15"], "age": ["82"]})
    assert [r["kind"] for r in rows] == ["month"]
