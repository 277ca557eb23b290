"""zaitaku ingest hubs: 事業区域 split and resolved within the prefecture, the prefecture told from
the names, a bad name refusing the whole list, a new list replacing the old, wards and cities."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from zaitaku_cli.errors import InputError
from zaitaku_cli.ingest_hubs import ingest_hubs
from zaitaku_cli.readers.hubs import split_area
from zaitaku_cli.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "hubs.example.csv"
MAPPING = ROOT / "examples" / "hubs_mapping.example.toml"


def write(tmp_path: Path, text: str, name: str = "hubs.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def served(wh: Warehouse) -> list[tuple[str, str, str]]:
    return [
        (str(r[0]), str(r[1]), str(r[2]))
        for r in wh.fetch_all(
            "select hub_name, code5, name_given from hub_areas order by source_row, code5"
        )
    ]


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("紫波町、矢巾町", [("紫波町", None), ("矢巾町", None)]),
        ("八幡平市,岩手町，葛巻町", [("八幡平市", None), ("岩手町", None), ("葛巻町", None)]),
        (
            "盛岡市（玉山・渋民地域を除く）・滝沢市",
            [("盛岡市", "玉山・渋民地域を除く"), ("滝沢市", None)],
        ),
        ("盛岡市全域", [("盛岡市", None)]),
        ("紫波町、矢\n巾町", [("紫波町", None), ("矢\n巾町", None)]),
        ("", []),
    ],
)
def test_split_area(text: str, parts: list[tuple[str, str | None]]) -> None:
    assert split_area(text) == parts


def test_example_of_the_seed(warehouse: Warehouse) -> None:
    summary = ingest_hubs(warehouse, EXAMPLE)
    assert (summary.status, summary.rows_loaded, summary.pref_codes) == ("loaded", 3, ["03"])
    assert summary.details["municipalities"] == 6
    assert served(warehouse) == [
        ("紫波郡地域包括支援センター", "03321", "紫波町"),
        ("紫波郡地域包括支援センター", "03322", "矢巾町"),
        ("盛岡北部行政事務組合「在宅医療介護連携推進協議会」", "03214", "八幡平市"),
        ("盛岡北部行政事務組合「在宅医療介護連携推進協議会」", "03302", "葛巻町"),
        ("盛岡北部行政事務組合「在宅医療介護連携推進協議会」", "03303", "岩手町"),
        ("在宅ボックス滝沢", "03216", "滝沢市"),
    ]
    operator, note = warehouse.fetch_all(
        "select operator, note from hub_areas where hub_name = '在宅ボックス滝沢'"
    )[0]
    assert (operator, note) == ("（医）ゆとりが丘クリニック", "H26～R2")
    assert ingest_hubs(warehouse, EXAMPLE).status == "unchanged"


def test_headers_of_the_prefecture_s_own_through_the_example_mapping(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    # headers no alias knows, below a title: refused without --mapping, read with the example
    path = write(
        tmp_path,
        "岩手県 連携拠点一覧\n\n拠点の名前,担当する市町村,委託先,開始時期\n"
        "紫波郡地域包括支援センター,紫波町、矢巾町,（一社）紫波郡医師会,H28年度～\n"
        "在宅ボックス滝沢,滝沢市,（医）ゆとりが丘クリニック,H26～R2\n",
    )
    with pytest.raises(InputError) as info:
        ingest_hubs(warehouse, path)
    assert str(info.value) == (
        f"{path}: no header row in the first 20 rows — a header row naming 名称、事業区域 "
        "(map other headers with --mapping)"
    )
    summary = ingest_hubs(warehouse, path, mapping=MAPPING)
    # 2 hubs; 紫波町 + 矢巾町 + 滝沢市 = 3 municipalities
    assert (summary.status, summary.rows_loaded, summary.pref_codes) == ("loaded", 2, ["03"])
    assert summary.details["municipalities"] == 3
    assert served(warehouse) == [
        ("紫波郡地域包括支援センター", "03321", "紫波町"),
        ("紫波郡地域包括支援センター", "03322", "矢巾町"),
        ("在宅ボックス滝沢", "03216", "滝沢市"),
    ]
    assert warehouse.fetch_all(
        "select distinct operator, note from hub_areas where code5 = '03216'"
    ) == [("（医）ゆとりが丘クリニック", "H26～R2")]


def test_spaces_line_breaks_remarks_and_wards(warehouse: Warehouse, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "拠点名,対象市町村,運営主体\n"
        'A,"盛岡市 滝沢市",盛岡市医師会\n'  # spaces between names: both resolve
        'B,"紫波町、矢\n巾町",紫波郡医師会\n'  # a PDF line break inside 矢巾町
        "C,雫石町（御所地区を除く）,雫石町\n",
    )
    summary = ingest_hubs(warehouse, path, pref_code="03")
    assert served(warehouse) == [
        ("A", "03201", "盛岡市"),
        ("A", "03216", "滝沢市"),
        ("B", "03321", "紫波町"),
        ("B", "03322", "矢\n巾町"),
        ("C", "03301", "雫石町"),
    ]
    # row 5: the quoted 事業区域 of B spans lines 3 and 4 of the file
    assert summary.warnings == [
        "row 5: 雫石町（御所地区を除く） read as 雫石町: the remark is kept in the note, "
        "and 雫石町 counts as served by the hub"
    ]
    city = write(tmp_path, "名称,事業区域\n仙台北,仙台市青葉区、泉区\n仙台全域,仙台市\n", "s.csv")
    ingest_hubs(warehouse, city)
    codes = warehouse.fetch_all("select code5 from hub_areas where pref_code = '04' order by 1")
    assert [c[0] for c in codes] == ["04100", "04101", "04105"]


def test_a_bad_name_refuses_the_list(warehouse: Warehouse, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "名称,事業区域,運営主体\n"
        "紫波郡地域包括支援センター,紫波町、矢巾町,医師会\n"
        "北部,八幡平市、岩手村,組合\n"
        ",滝沢市,\n",
    )
    with pytest.raises(InputError) as info:
        ingest_hubs(warehouse, path, pref_code="03")
    assert str(info.value) == (
        f"{path}, row 3, column 事業区域: 岩手村: no municipality of 岩手県 (03) is named 岩手村 "
        "(value '岩手村') (2 problems in 2 rows); also row 4, column 名称: the hub has no name — "
        "nothing of the file was loaded; every problem is in table rejects (ingest 1)"
    )
    assert warehouse.fetch_all("select count(*) from hub_areas")[0][0] == 0
    assert warehouse.fetch_all("select count(*) from rejects where kind = 'hubs'")[0][0] == 2


def test_prefecture_from_the_names(warehouse: Warehouse, tmp_path: Path) -> None:
    # 府中市 is in 東京都 and 広島県: the list must say which
    path = write(tmp_path, "名称,事業区域\n府中地区,府中市\n")
    with pytest.raises(InputError) as info:
        ingest_hubs(warehouse, path)
    assert str(info.value) == (
        f"{path}, column 事業区域: the names of 事業区域 (府中市 …) resolve in several prefectures "
        "(13, 34) — pass --pref NN (e.g. --pref 03 for 岩手県)"
    )
    summary = ingest_hubs(warehouse, path, pref_code="34")
    assert summary.pref_codes == ["34"]
    assert served(warehouse) == [("府中地区", "34208", "府中市")]


def test_a_new_list_replaces_the_prefecture_s_old_one(warehouse: Warehouse, tmp_path: Path) -> None:
    ingest_hubs(warehouse, EXAMPLE)
    newer = write(
        tmp_path, "名称,事業区域,基準日\n盛岡市在宅医療介護連携支援センター,盛岡市,2026-04-01\n"
    )
    summary = ingest_hubs(warehouse, newer)
    assert summary.as_of == date(2026, 4, 1)
    assert summary.warnings == [
        "replaced the hub list of prefecture 03 loaded from hubs.example.csv (ingest 1, 3 hubs)"
    ]
    assert served(warehouse) == [("盛岡市在宅医療介護連携支援センター", "03201", "盛岡市")]
    frame = pl.from_arrow(warehouse.con.sql("select * from hub_areas").to_arrow_table())
    assert isinstance(frame, pl.DataFrame) and frame.height == 1
