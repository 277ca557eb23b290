"""和暦 dates, property-based: no text crashes the parser; every date round-trips in every form.

A date of an era is written the ways bureau lists and analysts write it (padded, full-width,
era letter, 元年) and must come back as the same date; any other text gives a date or None.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from zaitaku_cli.readers.wareki import ERAS, find_as_of, find_dates, parse_wareki_date

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

# 昭和 onwards: the eras a bureau list or a claim can carry (明治/大正 birth dates are parsed the
# same way, with the same code).
ERA_DATES = st.sampled_from(ERAS[2:]).flatmap(
    lambda era: st.tuples(
        st.just(era),
        st.dates(
            min_value=era.starts,
            max_value=(
                ERAS[ERAS.index(era) + 1].starts - timedelta(days=1)
                if era is not ERAS[-1]
                else date(2060, 12, 31)
            ),
        ),
    )
)


def written(era_name: str, era_letter: str, year: int, day: date, style: int) -> str:
    y = "元" if year == 1 and style % 2 == 0 else str(year)
    forms = [
        f"{era_name}{y}年{day.month}月{day.day}日",
        f"{era_name}{year:2d}年{day.month:2d}月{day.day:2d}日",  # padded as bureaus print it
        f"{era_name}{y}年{day.month}月{day.day}日".translate(FULL_WIDTH),
        f"{era_letter}{year}.{day.month}.{day.day}",
        f"{era_letter.lower()}{year:02d}.{day.month:02d}.{day.day:02d}",
        f"　{era_name} {y}年 {day.month}月 {day.day}日　",
    ]
    return forms[style % len(forms)]


@given(ERA_DATES, st.integers(min_value=0, max_value=11))
def test_every_era_date_round_trips(era_and_day: tuple[object, date], style: int) -> None:
    era, day = era_and_day
    assert hasattr(era, "first_year")
    year = day.year - era.first_year + 1  # type: ignore[attr-defined]
    text = written(era.name, era.letter, year, day, style)  # type: ignore[attr-defined]
    assert parse_wareki_date(text) == day, text


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)))
def test_western_dates_round_trip(day: date) -> None:
    assert parse_wareki_date(day.isoformat()) == day
    assert parse_wareki_date(f"{day.year}年{day.month}月{day.day}日") == day
    assert parse_wareki_date(f"{day:%Y/%m/%d}".translate(FULL_WIDTH)) == day


@given(st.text())
def test_no_text_crashes_the_parsers(text: str) -> None:
    result = parse_wareki_date(text)
    assert result is None or isinstance(result, date)
    assert all(isinstance(d, date) for d, _ in find_dates(text))
    find_as_of(text)


@given(st.text(alphabet=st.sampled_from("令和平成昭元年月日0123456789０１２３ .-/現在　RrHS")))
def test_date_like_noise_never_crashes(text: str) -> None:
    # Near-misses (令和0年, 2月30日, 平成99年) are None, never an exception.
    result = parse_wareki_date(text)
    assert result is None or isinstance(result, date)
