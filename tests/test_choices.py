"""Export names: every choice other than the default is part of the name."""

from __future__ import annotations

from datetime import date

import pytest

from zaitaku_cli.choices import ExportChoice
from zaitaku_cli.errors import ConfigError


def test_the_defaults_keep_the_plain_name() -> None:
    choice = ExportChoice(level="secondary-area")
    assert choice.set_name == "secondary_area"
    assert choice.stem("claims") == "claims_by_secondary_area"
    assert choice.manifest_name == "manifest_secondary_area.json"


def test_every_other_choice_is_in_the_name() -> None:
    choice = ExportChoice(
        level="municipality",
        plan="7th",
        period="month",
        as_of=date(2025, 10, 1),
        suppress=False,
        min_facilities=3,
    )
    assert choice.set_name == "municipality_7th_monthly_asof20251001_minfac3_internal"
    assert choice.stem("facilities") == (
        "facilities_by_municipality_7th_monthly_asof20251001_minfac3_internal"
    )


def test_all_combinations_have_distinct_names() -> None:
    names = {
        ExportChoice(level=lv, plan=pl, period=pe, suppress=su).set_name
        for lv in ("municipality", "ward", "secondary-area", "prefecture")
        for pl in ("8th", "7th")
        for pe in ("fiscal-year", "month")
        for su in (True, False)
    }
    assert len(names) == 4 * 2 * 2 * 2


def test_an_unknown_choice_names_the_option() -> None:
    with pytest.raises(ConfigError, match="--by must be one of municipality, ward"):
        ExportChoice(level="city")


def test_every_choice_has_its_japanese_name() -> None:
    # levels are named in labels.csv (area_level), plans and periods in choices itself
    from zaitaku_cli.choices import LEVELS, PERIOD_JA, PERIODS, PLAN_JA, PLANS, ReportLevel
    from zaitaku_cli.labels import value_label

    assert [value_label("area_level", level) for level in LEVELS] == [
        "市区町村", "市区町村（政令市は区）", "二次医療圏", "都道府県",
    ]  # fmt: skip
    assert [PLAN_JA[p] for p in PLANS] == ["第8次医療計画", "第7次医療計画"]
    assert [PERIOD_JA[p] for p in PERIODS] == ["年度（4月〜翌3月）", "月"]
    assert set(ReportLevel) < set(LEVELS)
