"""Warehouse: migrations are idempotent, transactions all-or-nothing, reference tables present."""

from __future__ import annotations

from pathlib import Path

import pytest

from zaitaku_cli.warehouse import Warehouse


def test_reopening_keeps_schema_version_and_secret(warehouse_path: Path) -> None:
    with Warehouse(warehouse_path) as wh:
        key = wh.hmac_key()
        version = wh.migrate()
    with Warehouse(warehouse_path) as wh:
        assert wh.migrate() == version
        assert wh.hmac_key() == key  # generated once per warehouse
        assert len(key) == 32


def test_failed_transaction_leaves_nothing(warehouse: Warehouse) -> None:
    with pytest.raises(RuntimeError), warehouse.transaction():
        warehouse.con.execute(
            "insert into rejects (ingest_id, kind, file_name, reason) values (1, 'x', 'f', 'r')"
        )
        raise RuntimeError("boom")
    assert warehouse.fetch_all("select count(*) from rejects") == [(0,)]


def test_reference_tables_are_registered(warehouse: Warehouse) -> None:
    # 1,965 current + 7 abolished rows (PROVENANCE.md); months carry fiscal years.
    assert warehouse.fetch_all("select count(*) from ref_municipalities") == [(1972,)]
    assert warehouse.fetch_all(
        "select fy_label from ref_months where month_label in ('2024-03', '2024-04') order by 1"
    ) == [("FY2023",), ("FY2024",)]
