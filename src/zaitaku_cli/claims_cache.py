"""The protected claims cells kept in the warehouse between runs (tables of migration 008).

The claims cells of every level and their suppression pattern take tens of seconds to compute on
millions of claim lines, and each `zaitaku aggregate`, `report` or `project` process needs them.
They are stored under a digest of everything they depend on:

- the claim lines: every claims ingest (id, sha256, removed or not), the (保険者番号, 診療年月)
  pairs each still holds (`claim_pairs`: a `--replace` or `remove` changes them), the
  replacements, and a cheap check of the lines themselves (count and sums of integer columns,
  for lines written by other means than the ingest, as the tests' factories do);
- the code table (`ref_claim_codes`: the packaged codes and `claim_code_additions`);
- the bureau lists that place facilities (facility ingests, and a check of
  `facility_notifications`);
- the reference tables the areas come from (municipalities, 二次医療圏) and the month table;
- zaitaku's rules: SUPPRESSION_RULE_VERSION, the SQL of the cells and the source of the
  suppression modules (a development change recomputes instead of reading stale cells).

A run with the same digest and choices (period kind, suppress, min_facilities) reads the cells
back; any other computes them and stores them, removing the entries of any other state, in one
transaction. A read-only connection reads but never writes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from zaitaku_cli import __version__
from zaitaku_cli.reference import DATA_DIR
from zaitaku_cli.sql_files import load_sql
from zaitaku_cli.warehouse import Warehouse

__all__ = [
    "PLANS",
    "SUPPRESSION_RULE_VERSION",
    "CacheKey",
    "cache_key",
    "find_entry",
    "restore",
    "store",
]

# Bump when the suppression rule or its solver changes a pattern, so that stored patterns of
# earlier versions are not read back (the module sources are in the digest as well).
SUPPRESSION_RULE_VERSION = "2026-12-2"
# The cells hold the areas of both plans at once (the pattern holds across them).
PLANS = "8th+7th"

# The SQL the cells are computed with (sql/).
_SQL = (
    "staging/stg_area_units",
    "staging/stg_claim_facility_locations",
    "intermediate/int_claim_units",
    "intermediate/int_claim_unit_areas",
    "intermediate/int_claim_areas",
    "intermediate/int_claim_unit_area_ids",
    "intermediate/int_claim_indicators",
    "intermediate/int_claim_codes",
    "intermediate/int_claim_periods",
    "intermediate/int_claim_residences",
    "intermediate/int_claim_facilities",
    "intermediate/int_claim_lines",
    "intermediate/int_claim_grain",
    "intermediate/int_claim_multi_pieces",
    "intermediate/int_claim_person_places",
    "intermediate/int_claim_person_spans",
    "intermediate/int_claim_claim_values",
    "intermediate/int_claim_patient_values",
    "intermediate/int_claim_facility_places",
    "intermediate/int_claim_facility_values",
    "intermediate/int_claim_distinct_by_age",
    "intermediate/int_claim_distinct_totals",
    "intermediate/int_claim_cells",
    "intermediate/int_claim_primary",
    "intermediate/int_claim_month_years",
)
_REFERENCE_FILES = ("municipalities.csv", "secondary_areas.csv")

# What the state digest reads: small tables whole, the large ones as aggregates.
_STATE_QUERIES = {
    "claim_ingests": (
        "select ingest_id, sha256, removed_at from ingest_log where kind = 'claims' "
        "order by ingest_id"
    ),
    "claim_pairs": (
        "select ingest_id, insurer_no, service_month, lines from claim_pairs "
        "order by ingest_id, insurer_no, service_month"
    ),
    "claim_replacements": (
        "select ingest_id, replaced_ingest_id, insurer_no, service_month, lines "
        "from claim_replacements "
        "order by ingest_id, replaced_ingest_id, insurer_no, service_month"
    ),
    "claim_lines": (
        "select count(*), sum(ingest_id), sum(source_row), sum(person_id), sum(times), "
        "count(age), sum(age) from claim_lines"
    ),
    "codes": "select code, indicator from ref_claim_codes order by code, indicator",
    "facility_ingests": (
        "select ingest_id, sha256, as_of, removed_at from ingest_log where kind = 'facilities' "
        "order by ingest_id"
    ),
    "facility_notifications": (
        "select count(*), sum(ingest_id), sum(source_row), min(as_of), max(as_of) "
        "from facility_notifications"
    ),
    "months": "select count(*), min(month_start), max(month_start) from ref_months",
}


@dataclass(frozen=True)
class CacheKey:
    """The digests of one request: the warehouse state, and the entry of these choices."""

    state: str
    entry: str
    period: str
    suppress: bool
    min_facilities: int
    parts: dict[str, str]  # part name → its digest (kept in the entry, to tell what changed)


def cache_key(wh: Warehouse, *, period: str, suppress: bool, min_facilities: int) -> CacheKey:
    """The digest of what the cells of `period` depend on, and of the suppression choice."""
    parts = {name: _digest(wh.fetch_all(query)) for name, query in _STATE_QUERIES.items()}
    parts["reference"] = _digest([_reference_sha256(name) for name in _REFERENCE_FILES])
    parts["rules"] = _rules_digest()
    state = _digest(sorted(parts.items()))
    entry = _digest([state, period, PLANS, suppress, min_facilities if suppress else 0])
    return CacheKey(
        state=state,
        entry=entry,
        period=period,
        suppress=suppress,
        min_facilities=min_facilities if suppress else 0,
        parts=parts,
    )


def find_entry(wh: Warehouse, key: CacheKey) -> tuple[str, bool] | None:
    """A stored entry to read for `key`: (entry_key, True) when its pattern is the one asked
    for, (entry_key, False) when only its cells are (same state and period, another
    suppression choice: the pattern is computed again), None when there is none."""
    rows = wh.fetch_all(
        "select entry_key, entry_key = $entry as exact from claim_cells_entries "
        "where state_key = $state and period = $period and plans = $plans "
        "order by exact desc, created_at desc limit 1",
        {"entry": key.entry, "state": key.state, "period": key.period, "plans": PLANS},
    )
    if not rows:
        return None
    return str(rows[0][0]), bool(rows[0][1])


def restore(wh: Warehouse, entry_key: str, *, with_pattern: bool) -> None:
    """The temp tables int_claim_cells and claims_hidden from a stored entry (claims_hidden
    empty when `with_pattern` is false: the caller computes it)."""
    params = {"entry": entry_key}
    wh.con.execute(
        "create or replace temp table int_claim_cells as "
        "select period_id, level_id, area_id, indicator_id, basis, age_group_id, unit, value "
        "from claim_cells_cache where entry_key = $entry and value is not null",
        params,
    )
    wh.con.execute(
        "create or replace temp table claims_hidden as "
        "select period_id, level_id, area_id, indicator_id, basis, age_group_id, unit "
        "from claim_cells_cache where entry_key = $entry and hidden and $with_pattern",
        {**params, "with_pattern": with_pattern},
    )


def store(wh: Warehouse, key: CacheKey, *, seconds: float) -> bool:
    """Keep int_claim_cells and claims_hidden of this connection under `key`, in one
    transaction that also removes the entries of any other warehouse state and the previous
    entry of the same key. Nothing is written on a read-only connection (returns False)."""
    if _read_only(wh):
        return False
    with wh.transaction() as con:
        con.execute(
            "delete from claim_cells_cache where entry_key in ("
            "select entry_key from claim_cells_entries "
            "where state_key <> $state or entry_key = $entry)",
            {"state": key.state, "entry": key.entry},
        )
        con.execute(
            "delete from claim_cells_entries where state_key <> $state or entry_key = $entry",
            {"state": key.state, "entry": key.entry},
        )
        con.execute(
            """
            insert into claim_cells_cache
            select $entry,
                coalesce(c.period_id, h.period_id), coalesce(c.level_id, h.level_id),
                coalesce(c.area_id, h.area_id), coalesce(c.indicator_id, h.indicator_id),
                coalesce(c.basis, h.basis), coalesce(c.age_group_id, h.age_group_id),
                coalesce(c.unit, h.unit), c.value, h.unit is not null
            from int_claim_cells as c
            full outer join claims_hidden as h
                on h.period_id = c.period_id
                and h.level_id = c.level_id
                and h.area_id = c.area_id
                and h.indicator_id = c.indicator_id
                and h.basis = c.basis
                and h.age_group_id = c.age_group_id
                and h.unit = c.unit
            """,
            {"entry": key.entry},
        )
        counts = con.execute(
            "select count(*), count(*) filter (where hidden) from claim_cells_cache "
            "where entry_key = $entry",
            {"entry": key.entry},
        ).fetchall()[0]
        con.execute(
            """
            insert into claim_cells_entries values ($entry, $state, $period, $plans, $suppress,
                $min_facilities, $cells, $hidden, $seconds, current_localtimestamp(), $version,
                $parts)
            """,
            _entry_row(key, cells=int(counts[0]), hidden=int(counts[1]), seconds=seconds),
        )
    return True


def _entry_row(key: CacheKey, *, cells: int, hidden: int, seconds: float) -> dict[str, Any]:
    return {
        "entry": key.entry,
        "state": key.state,
        "period": key.period,
        "plans": PLANS,
        "suppress": key.suppress,
        "min_facilities": key.min_facilities,
        "cells": cells,
        "hidden": hidden,
        "seconds": seconds,
        "version": __version__,
        "parts": json.dumps(key.parts, sort_keys=True),
    }


def _read_only(wh: Warehouse) -> bool:
    rows = wh.fetch_all(
        "select readonly from duckdb_databases() where database_name = current_database()"
    )
    return bool(rows and rows[0][0])


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, default=str).encode("utf-8")).hexdigest()


@cache
def _reference_sha256(file_name: str) -> str:
    return hashlib.sha256((DATA_DIR / file_name).read_bytes()).hexdigest()


@cache
def _rules_digest() -> str:
    from zaitaku_cli import claims_aggregate, claims_suppression, suppression, suppression_months

    sources = [
        Path(m.__file__ or "").read_text(encoding="utf-8")
        for m in (suppression, suppression_months, claims_suppression, claims_aggregate)
    ]
    return _digest([SUPPRESSION_RULE_VERSION, __version__, [load_sql(n) for n in _SQL], sources])
