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


def test_a_lower_migration_arriving_later_is_still_applied(
    warehouse_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Branches number migrations in parallel: 006 may be applied before 003 exists.
    from zaitaku_cli import warehouse as module

    shipped = module.migration_files()
    numbers = [n for n, _path in shipped]  # 1, 2, 5, 6, 7 … (no 3 or 4 shipped)
    assert 3 not in numbers
    with Warehouse(warehouse_path) as wh:
        assert wh.fetch_all("select value from zaitaku_meta where key = 'migrations_applied'") == [
            (",".join(map(str, numbers)),)
        ]
    late = tmp_path / "003_late.sql"
    late.write_text("create table late_table (x integer);", encoding="utf-8")
    monkeypatch.setattr(module, "migration_files", lambda: sorted([*shipped, (3, late)]))
    with Warehouse(warehouse_path) as wh:
        assert wh.fetch_all("select count(*) from late_table") == [(0,)]
        assert wh.fetch_all(
            "select value from zaitaku_meta where key in ('migrations_applied', "
            "'schema_version') order by key"
        ) == [(",".join(map(str, sorted([*numbers, 3]))),), (str(numbers[-1]),)]


def test_a_warehouse_from_before_the_record_gets_the_new_migrations(warehouse_path: Path) -> None:
    # As zaitaku left it before 005 was merged: the others applied, schema_version the highest
    # and no list of applied migrations. 005 says it may be applied again, so it is.
    from zaitaku_cli.sql_files import migration_files

    numbers = ",".join(str(n) for n, _path in migration_files())
    with Warehouse(warehouse_path) as wh:
        wh.con.execute("drop table run_history")
        wh.con.execute("drop sequence run_id_seq")
        wh.con.execute("delete from zaitaku_meta where key = 'migrations_applied'")
    with Warehouse(warehouse_path) as wh:
        assert wh.fetch_all("select count(*) from run_history") == [(0,)]
        assert wh.fetch_all("select value from zaitaku_meta where key = 'migrations_applied'") == [
            (numbers,)
        ]


@pytest.mark.parametrize("committed", [True, False])
def test_an_interrupt_at_the_commit_leaves_no_transaction_open(
    warehouse: Warehouse, committed: bool
) -> None:
    # The signal may land just after DuckDB's commit, or stop it: either way the connection
    # must be outside any transaction afterwards, so that asking what was kept reads the truth.
    real = warehouse.con

    class Interrupting:
        def execute(self, query: str, *args: object) -> object:
            if query == "commit":
                if committed:
                    real.execute(query)
                raise KeyboardInterrupt
            return real.execute(query, *args)

    with pytest.raises(KeyboardInterrupt), warehouse.transaction():
        warehouse.con.execute(
            "insert into rejects (ingest_id, kind, file_name, reason) values (1, 'x', 'f', 'r')"
        )
        warehouse.con = Interrupting()  # type: ignore[assignment]
    warehouse.con = real
    assert warehouse.fetch_all("select count(*) from rejects") == [(1 if committed else 0,)]
    with warehouse.transaction():  # "cannot start a transaction within a transaction" if open
        pass


def test_the_newest_ingest_and_those_after_it(warehouse: Warehouse, tmp_path: Path) -> None:
    assert warehouse.last_ingest_id() == 0
    for name in ("a.csv", "b.csv"):
        warehouse.new_ingest(
            kind="claims",
            path=tmp_path / name,
            sha256=name,
            as_of=None,
            pref_codes=[],
            rows_read=0,
            rows_loaded=0,
            rows_rejected=0,
            details={},
        )
    assert warehouse.last_ingest_id() == 2
    assert warehouse.ingests_after(1) == [(2, str(tmp_path / "b.csv"))]
