"""Insert hand-made rows straight into the warehouse, for tests of the SQL that reads them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from zaitaku_cli.warehouse import Warehouse


def add_ingest(wh: Warehouse, kind: str, name: str, as_of: date | None = None) -> int:
    return wh.new_ingest(
        kind=kind,
        path=Path(name),
        sha256=f"sha-{name}",
        as_of=as_of,
        pref_codes=[],
        rows_read=0,
        rows_loaded=0,
        rows_rejected=0,
        details={},
    )


def add_notification(
    wh: Warehouse,
    ingest_id: int,
    *,
    facility_no: str,
    code5: str,
    label: str,
    category: str | None,
    as_of: date = date(2025, 10, 1),
    pref_code: str | None = None,
    withdrawn: bool = False,
    name: str = "テスト診療所",
    address: str | None = None,
    kyoka_rate: bool | None = None,
    start_date: date | None = None,
) -> None:
    pref = pref_code or code5[:2]
    wh.con.execute(
        """
        insert into facility_notifications (ingest_id, as_of, source_row, pref_code, kubun,
            facility_no, facility_code10, facility_name, address, label_raw, label, start_date,
            remarks, withdrawn, category, kyoka_rate, code5)
        values ($ingest, $as_of, 5, $pref, '医科', $no, $pref || '1' || $no, $name, $address,
            $label, $label, $start, $remarks, $withdrawn, $category, $kyoka, $code5)
        """,
        {
            "name": name,
            "address": address,
            "kyoka": kyoka_rate,
            "start": start_date,
            "ingest": ingest_id,
            "as_of": as_of,
            "pref": pref,
            "no": facility_no,
            "label": label,
            "remarks": json.dumps({}),
            "withdrawn": withdrawn,
            "category": category,
            "code5": code5,
        },
    )
