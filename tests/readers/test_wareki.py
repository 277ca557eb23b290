"""和暦 dates: cell values of 算定開始年月日, list titles, the era table.

Expected years are worked out as era first year + n − 1 (令和 2019, 平成 1989, 昭和 1926):
令和7 = 2019 + 6 = 2025, 平成29 = 1989 + 28 = 2017, 昭和63 = 1926 + 62 = 1988, 元年 = first year.
"""

from __future__ import annotations

from datetime import date

import pytest

from zaitaku_cli.readers.wareki import (
    ERA_FIRST_YEAR,
    ERAS,
    era_of,
    era_year,
    find_as_of,
    parse_wareki_date,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("令和 7年 9月 1日", date(2025, 9, 1)),  # padded as the bureau lists print it
        ("平成29年11月 1日", date(2017, 11, 1)),
        ("昭和63年 1月 7日", date(1988, 1, 7)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("令和 元年 5月 1日", date(2019, 5, 1)),
        ("令和７年１０月１日", date(2025, 10, 1)),  # full-width digits
        ("　令和７年１０月１日　", date(2025, 10, 1)),  # full-width spaces around
        ("R7.9.1", date(2025, 9, 1)),  # era letter
        ("H31.4.30", date(2019, 4, 30)),  # 1989 + 30
        ("2025-10-01", date(2025, 10, 1)),
        ("2025/10/01", date(2025, 10, 1)),
        ("２０２５／１０／０１", date(2025, 10, 1)),
        ("2025年10月1日", date(2025, 10, 1)),
    ],
)
def test_parse_wareki_date(text: str, expected: date) -> None:
    assert parse_wareki_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "令和7年2月30日",  # no 30 February: None, not a crash
        "令和7年13月1日",
        "",
        None,
        "未定",
        "令和7年9月",  # no day
        "2025-10-01 追加",  # not a whole cell holding one date
    ],
)
def test_parse_wareki_date_invalid_is_none(text: str | None) -> None:
    assert parse_wareki_date(text) is None


def test_find_as_of_prefers_the_date_before_genzai() -> None:
    # The real title: 10/1 is the list date (現在), 10/21 the day the file was made.
    assert find_as_of("[令和７年１０月１日 現在 ]令和７年１０月２１日作成") == date(2025, 10, 1)
    # 現在 on the second date: that one wins even though it comes later.
    assert find_as_of("令和７年１０月２１日作成 [令和７年１０月１日現在]") == date(2025, 10, 1)


def test_find_as_of_without_genzai_takes_the_first_date() -> None:
    assert find_as_of("届出受理医療機関名簿 令和8年7月1日 令和8年7月22日作成") == date(2026, 7, 1)
    assert find_as_of("[令和元年５月１日 現在 ]") == date(2019, 5, 1)


def test_find_as_of_none_without_a_valid_date() -> None:
    assert find_as_of("届出受理医療機関名簿（医科）") is None
    assert find_as_of(None) is None
    assert find_as_of("[令和７年２月３０日 現在 ]") is None  # invalid date is not a date


def test_era_table() -> None:
    assert [(e.name, e.letter, e.first_year) for e in ERAS] == [
        ("明治", "M", 1868),
        ("大正", "T", 1912),
        ("昭和", "S", 1926),
        ("平成", "H", 1989),
        ("令和", "R", 2019),
    ]
    assert ERA_FIRST_YEAR["令和"] == ERA_FIRST_YEAR["R"] == 2019
    assert era_year("r", 5) == 2023  # KDB-style R05, lower case accepted
    assert era_year("平成", "元") == 1989
    assert era_year("X", 1) is None


def test_era_of_a_day_and_its_year() -> None:
    # 平成 ended on 2019-04-30, 令和 began on 2019-05-01 (its 元年): 2025 is 令和7年.
    assert [(era.name, year) for era, year in map(era_of, [
        date(2019, 4, 30), date(2019, 5, 1), date(2025, 10, 1), date(1989, 1, 7),
    ])] == [("平成", 31), ("令和", 1), ("令和", 7), ("昭和", 64)]  # fmt: skip
    with pytest.raises(ValueError, match="before 明治"):
        era_of(date(1868, 10, 22))
