"""`reference areas`: members of a prefecture's 二次医療圏."""

from __future__ import annotations

import pytest

from zaitaku_cli.errors import ConfigError
from zaitaku_cli.reference.areas import area_members


def test_iwate_morioka_members() -> None:
    areas = area_members("03", "8th")
    assert len(areas) == 9
    morioka = areas[0]
    assert (morioka["area_code"], morioka["area_name"]) == ("0301", "盛岡")
    assert [m["name"] for m in morioka["members"]] == [
        "盛岡市",
        "八幡平市",
        "滝沢市",
        "雫石町",
        "葛巻町",
        "岩手町",
        "紫波町",
        "矢巾町",
    ]


def test_akita_has_eight_areas_in_the_7th_plan_and_three_in_the_8th() -> None:
    assert len(area_members("05", "7th")) == 8
    assert len(area_members("05", "8th")) == 3


def test_unknown_prefecture() -> None:
    with pytest.raises(ConfigError, match="use 01–47"):
        area_members("48")
