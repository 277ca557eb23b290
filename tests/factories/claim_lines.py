"""Hand-made claim lines and facility locations inserted straight into the warehouse.

Tests of the claims marts use these instead of the claims ingest, so that every expected number
can be worked out by hand from a handful of rows. Person keys are plain strings here (the ingest
stores an HMAC; the SQL only compares them), numbered in `persons` as the ingest does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from zaitaku_cli.warehouse import Warehouse

# Real codes of the packaged claim-code table (claim_codes.csv).
HOUMON_SHINRYO = "114001110"  # C001 在宅患者訪問診療料（１）１ → houmon_shinryo
OUSHIN = "114000110"  # C000 往診料 → oushin
MITORI = "114018570"  # C001 看取り加算 → mitori
SAISHIN = "112007410"  # 再診料: in no home-care indicator

INGEST_ID = 900


@dataclass(frozen=True)
class Line:
    """One claim line with the columns the marts read; the rest get neutral defaults."""

    person: str
    month: str  # 'YYYY-MM'
    facility: str  # 10-digit 医療機関コード
    residence: str  # code5
    act: str = HOUMON_SHINRYO
    times: int = 1
    age: int | None = 80


def add_lines(wh: Warehouse, lines: list[Line]) -> None:
    rows = [
        {
            "row": i,
            "month": date(int(line.month[:4]), int(line.month[5:7]), 1),
            "person": line.person,
            "age": line.age,
            "residence": line.residence,
            "facility": line.facility,
            "act": line.act,
            "times": line.times,
        }
        for i, line in enumerate(lines, start=2)
    ]
    for person in dict.fromkeys(row["person"] for row in rows):
        wh.con.execute(
            """
            insert into persons (person_key, person_id)
            select $person, (select coalesce(max(person_id), 0) + 1 from persons)
            where not exists (select 1 from persons where person_key = $person)
            """,
            {"person": person},
        )
    for row in rows:
        wh.con.execute(
            """
            insert into claim_lines (ingest_id, source_row, service_month, insurer_no, person_id,
                sex, age, residence_code5, inout, facility_code10, act_code, times)
            select $ingest, $row, $month, '390300', person_id, '2', $age, $residence, '2',
                $facility, $act, $times
            from persons where person_key = $person
            """,
            {"ingest": INGEST_ID, **row},
        )


def repeat(line: Line, persons: int, prefix: str) -> list[Line]:
    """`persons` distinct patients with otherwise the same line (person keys prefix-0, -1, …)."""
    return [
        Line(
            person=f"{prefix}-{i}",
            month=line.month,
            facility=line.facility,
            residence=line.residence,
            act=line.act,
            times=line.times,
            age=line.age,
        )
        for i in range(persons)
    ]


def locate_facility(
    wh: Warehouse, facility_code10: str, code5: str, *, as_of: date = date(2025, 10, 1)
) -> None:
    """A bureau-list row placing the facility in base unit code5 on list date as_of."""
    wh.con.execute(
        """
        insert into facility_notifications (ingest_id, as_of, source_row, pref_code, kubun,
            facility_no, facility_code10, facility_name, label_raw, label, withdrawn, category,
            code5)
        values ($ingest, $as_of, 5, $pref, '医科', $no, $code10, 'テスト診療所', '支援診３',
            '支援診３', false, 'shienshin_jurai', $code5)
        """,
        {
            "ingest": INGEST_ID + 1,
            "as_of": as_of,
            "pref": facility_code10[:2],
            "no": facility_code10[3:],
            "code10": facility_code10,
            "code5": code5,
        },
    )
