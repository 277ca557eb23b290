"""A small 岩手県 for supply, candidates and the registered-but-inactive listing: six facilities of
the bureau list, a year of claims whose every number can be counted by hand, and the survey and
hub files the prefecture would collect itself.

Facilities (list of 2025-10-01; 医療機関コード = 03 + 1 + 番号):
  A 0310000001 盛岡市 03201  支援病1 (機能強化型)          訪問診療 12 persons, 往診 3 persons
  B 0310000002 盛岡市 03201  支援診2イ (R8: not 機能強化型)  訪問診療 5 persons
  C 0310000003 滝沢市 03216  在後病                          訪問診療 20 persons, 看取り 2 persons
  D 0310000004 紫波町 03321  支援診3                         no claim: registered but inactive
  E 0310000005 花巻市 03205  支援診1, started 2025-06-01      no claim: started after FY2024
  F 0310000006 盛岡市 03201  在医総管                        訪問診療 `rest` persons (0 = none)
Every patient lives in 盛岡市 (03201), is 80, and is seen once in 2024-05 (FY2024); persons of
different facilities are different people.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from factories.claim_lines import HOUMON_SHINRYO, MITORI, OUSHIN, Line, add_lines, repeat
from factories.facility_rows import add_ingest, add_notification
from zaitaku_cli.warehouse import Warehouse

A, B, C, D, E, F = (f"031000000{i}" for i in range(1, 7))
MORIOKA, TAKIZAWA, SHIWA, HANAMAKI = "03201", "03216", "03321", "03205"
MONTH = "2024-05"
BASE = "FY2024"

SURVEY_CSV = (
    "調査時点,医療機関コード,医療機関名,所在地,訪問診療の実施可能件数,参入意向\n"
    "2025-09-01,0310000001,A病院,盛岡市,30,拡大\n"
    "2025-09-01,0310000002,B診療所,盛岡市,10,維持\n"
    "2025-09-01,0310000004,D診療所,紫波町,,新規参入\n"
)
HUBS_CSV = (
    "名称,事業区域,運営主体\n紫波郡地域包括支援センター,紫波町、矢巾町,紫波郡医師会\n"
    "在宅ボックス滝沢,滝沢市,クリニック\n"
)


def small_iwate(wh: Warehouse, *, rest: int = 0) -> None:
    """The facilities and claims above; `rest` patients of F (a facility no listing shows)."""
    ingest = add_ingest(wh, "facilities", "bureau.xlsx", date(2025, 10, 1))
    old = date(2020, 4, 1)
    rows = [
        (A, MORIOKA, "支援病１", "shienbyo_tandoku", True, "A病院", old),
        (B, MORIOKA, "支援診２イ", "shienshin_renkei", False, "B診療所", old),
        (C, TAKIZAWA, "在後病", "zaigobyo", None, "C病院", old),
        (D, SHIWA, "支援診３", "shienshin_jurai", False, "D診療所", old),
        (E, HANAMAKI, "支援診１", "shienshin_tandoku", True, "E診療所", date(2025, 6, 1)),
        (F, MORIOKA, "在医総管１", "zaiisoukan", None, "F診療所", old),
    ]
    for code, code5, label, category, kyoka, name, start in rows:
        add_notification(
            wh,
            ingest,
            facility_no=code[3:],
            code5=code5,
            label=label,
            category=category,
            name=name,
            address=f"{name}の所在地",
            kyoka_rate=kyoka,
            start_date=start,
        )
    lines = [
        *repeat(Line("a", MONTH, A, MORIOKA), 12, "a"),
        *repeat(Line("a", MONTH, A, MORIOKA, act=OUSHIN), 3, "a"),  # the same persons a-0..a-2
        *repeat(Line("b", MONTH, B, MORIOKA), 5, "b"),
        *repeat(Line("c", MONTH, C, MORIOKA), 20, "c"),
        *repeat(Line("c", MONTH, C, MORIOKA, act=MITORI), 2, "c"),
        *repeat(Line("f", MONTH, F, MORIOKA, act=HOUMON_SHINRYO), rest, "f"),
    ]
    add_lines(wh, lines)


def write_inputs(folder: Path) -> tuple[Path, Path]:
    """The survey and hub CSVs above, in `folder`."""
    survey = folder / "survey.csv"
    survey.write_text(SURVEY_CSV, encoding="utf-8")
    hubs = folder / "hubs.csv"
    hubs.write_text(HUBS_CSV, encoding="utf-8")
    return survey, hubs
