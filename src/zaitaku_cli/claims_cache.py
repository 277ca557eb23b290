"""The protected claims cells kept in the warehouse between runs, per fiscal year (migration 008).

The claims cells of every level and their suppression pattern take seconds to tens of seconds
on millions of claim lines, and each `zaitaku aggregate`, `refresh`, `report` or `project`
process needs them. A nightly refresh adds a month: only its fiscal year changes. So the cells
are kept in blocks, one per period kind (fiscal-year, month) and fiscal year: the cells of that
fiscal year (or of its months), with their suppression pattern for each --min-facilities choice.
Each block is keyed by a digest of what its cells depend on:

- the claim lines of its months: per service month, the number of lines and the sum of a hash
  of every column the cells read (person, age, 市町村コード, 医療機関コード, 診療行為コード, times)
  together with the place the bureau lists give the line's facility
  (stg_claim_facility_locations.code5). Any ingest, `--replace` or `remove` that changes a
  month's lines (a file of another insurer for the same month included), and a bureau list that
  places one of the month's facilities elsewhere, change it; lines of other fiscal years do not.
  Months do not depend on each other (every cell counts the lines of its period only); the
  month pattern depends on its fiscal year's, whose lines are the same;
- what every block depends on: the code table (ref_claim_codes: the packaged codes and
  `claim_code_additions`; it numbers the indicators), the reference tables the areas come from
  (municipalities, 二次医療圏) and the month table (they number areas and periods), and zaitaku's
  rules (SUPPRESSION_RULE_VERSION, the SQL of the cells, the source of the suppression modules:
  a development change recomputes instead of reading stale cells).

A run reads the blocks it finds and computes the others from their months' lines only; it
stores them in one transaction that also drops the blocks of the same period kind that are no
longer current (another digest for the same fiscal year, or a fiscal year without lines). A
read-only connection reads but never writes. The cache is the warehouse's: with `--engine spark`
nothing is read or stored (claims_aggregate.prepare_claim_cells).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from zaitaku_cli import __version__
from zaitaku_cli.reference import DATA_DIR
from zaitaku_cli.sql_files import load_sql
from zaitaku_cli.warehouse import Warehouse

__all__ = [
    "SUPPRESSION_RULE_VERSION",
    "Block",
    "append_cells",
    "blocks",
    "connection_state",
    "period_ids",
    "restore_cells",
    "restore_hidden",
    "store",
    "stored",
]

# Bump when the suppression rule or its solver changes a pattern, so that stored patterns of
# earlier versions are not read back (the module sources are in the digest as well).
SUPPRESSION_RULE_VERSION = "2026-12-2"
# The cells hold the areas of both plans at once (the pattern holds across them).
PLANS = "8th+7th"

# The SQL the cells and their pattern are computed with (sql/).
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
    "intermediate/int_claim_facility_values",
    "intermediate/int_claim_facility_places",
    "intermediate/int_claim_entities",
    "intermediate/int_claim_kinds",
    "intermediate/int_claim_distinct_by_age",
    "intermediate/int_claim_distinct_totals",
    "intermediate/int_claim_cells",
    "intermediate/int_claim_primary",
    "intermediate/int_claim_month_years",
)
_REFERENCE_FILES = ("municipalities.csv", "secondary_areas.csv")

# What every block depends on, read whole (small tables): sql/cache/.
_GLOBAL_QUERIES = ("cache/claim_cache_codes", "cache/claim_cache_months")


@dataclass(frozen=True)
class Block:
    """The cells of one period kind and fiscal year, as the claim lines are now."""

    period: str  # fiscal-year | month
    fiscal_year: str  # 'FY2023'
    key: str  # digest of the period kind, the fiscal year and all it depends on
    service_months: tuple[Any, ...]  # the months (date) of the fiscal year that have lines
    parts: str  # JSON: the month digests and the global digest the key was made of


def connection_state(wh: Warehouse) -> tuple[Any, ...]:
    """What the cells depend on, cheaply: a change of claim lines, bureau lists or codes
    changes it. For what one connection has already computed, not for the stored blocks."""
    return tuple(wh.rows("cache/claim_cache_state")[0])


def blocks(wh: Warehouse, period: str) -> dict[str, Block]:
    """fiscal year → its block of `period`, for every fiscal year that has claim lines.

    Reads stg_claim_facility_locations of this connection (the caller materialises it)."""
    state = connection_state(wh)
    memo = getattr(wh, "_claims_cache_months", None)
    if memo is None or memo[0] != state:
        memo = (state, wh.rows("cache/claim_month_digests"))
        wh._claims_cache_months = memo  # type: ignore[attr-defined]
    by_year: dict[str, list[tuple[Any, ...]]] = {}
    for fiscal_year, label, month, lines, content in memo[1]:
        by_year.setdefault(str(fiscal_year), []).append((label, month, int(lines), str(content)))
    common = _global_digest(wh)
    found = {}
    for fiscal_year, months in sorted(by_year.items()):
        parts = json.dumps(
            {"global": common, "months": {label: [n, c] for label, _, n, c in months}},
            sort_keys=True,
        )
        found[fiscal_year] = Block(
            period=period,
            fiscal_year=fiscal_year,
            key=_digest([period, fiscal_year, PLANS, parts]),
            service_months=tuple(month for _, month, _, _ in months),
            parts=parts,
        )
    return found


def stored(wh: Warehouse, current: dict[str, Block], min_facilities: int | None) -> dict[str, bool]:
    """fiscal year → True when its block's cells and the pattern of `min_facilities` are
    stored (None: no suppression, the cells are enough), False when only its cells are;
    fiscal years whose cells are not stored are absent."""
    fiscal_year = {b.key: fy for fy, b in current.items()}
    if not fiscal_year:
        return {}
    with wh.inputs(claim_cache_keys=_keys(fiscal_year)):
        rows = wh.rows(
            "cache/claim_cell_blocks_stored",
            {"min_facilities": -1 if min_facilities is None else min_facilities},
        )
    return {fiscal_year[key]: bool(has) or min_facilities is None for key, has in rows}


def restore_cells(wh: Warehouse, keys: Iterable[str]) -> None:
    """The temp table int_claim_cells from the stored cells of these blocks."""
    with wh.inputs(claim_cache_keys=_keys(keys)):
        wh.materialize("cache/claim_cells_cached", table="int_claim_cells")


def append_cells(wh: Warehouse, keys: Iterable[str]) -> None:
    """The stored cells of these blocks added to int_claim_cells computed by this run."""
    with wh.inputs(claim_cache_keys=_keys(keys)):
        wh.insert("int_claim_cells", "cache/claim_cells_cached")


def restore_hidden(wh: Warehouse, keys: Iterable[str], min_facilities: int) -> pa.Table:
    """The stored hidden cells of these blocks for `min_facilities` (claims_hidden rows)."""
    with wh.inputs(claim_cache_keys=_keys(keys)):
        return wh.arrow("cache/claim_hidden_cached", {"min_facilities": min_facilities})


def period_ids(wh: Warehouse, fiscal_years: Iterable[str]) -> list[int]:
    """The period ids of this connection's int_claim_periods that lie in these fiscal years."""
    wanted = set(fiscal_years)
    return sorted(int(p) for p, fy in wh.rows("cache/claim_period_years") if fy in wanted)


def store(
    wh: Warehouse,
    period: str,
    current: dict[str, Block],
    *,
    cells: Iterable[str],
    patterns: Iterable[str],
    min_facilities: int | None,
    seconds: float,
) -> bool:
    """Keep what this run computed: the cells (int_claim_cells) of the fiscal years `cells`
    and the pattern (claims_hidden) of `min_facilities` of the fiscal years `patterns`, in
    one transaction that first drops the stored blocks of `period` not in `current`. Nothing
    is written on a read-only connection (returns False)."""
    if wh.scalar("cache/warehouse_read_only"):
        return False
    cells = list(cells)
    patterns = list(patterns) if min_facilities is not None else []
    with wh.inputs(claim_cache_keys=_keys(b.key for b in current.values())):
        stale = wh.arrow("cache/claim_cell_blocks_stale", {"period": period})
    fresh = _keys(current[fy].key for fy in cells)
    years = dict(wh.rows("cache/claim_period_years"))
    with wh.transaction(), wh.inputs(claims_cache_stale=stale, claims_cache_fresh=fresh):
        for table in ("claim_cell_values", "claim_cell_patterns", "claim_cell_hidden"):
            wh.delete_matching(table, "claims_cache_stale", ["block_key"])
            wh.delete_matching(table, "claims_cache_fresh", ["block_key"])
        wh.delete_matching("claim_cell_blocks", "claims_cache_stale", ["block_key"])
        wh.delete_matching("claim_cell_blocks", "claims_cache_fresh", ["block_key"])
        with wh.inputs(claim_cache_periods=_periods(current, cells, years)):
            wh.insert("claim_cell_values", "cache/claim_cell_values_new")
        wh.append(
            "claim_cell_blocks",
            pa.Table.from_pylist(
                [
                    _block_row(
                        current[fy],
                        cells=wh.count_rows("claim_cell_values", {"block_key": current[fy].key}),
                        seconds=seconds,
                    )
                    for fy in cells
                ],
                schema=_BLOCK_SCHEMA,
            ),
        )
        for fy in patterns:
            wh.delete_rows(
                "claim_cell_hidden",
                {"block_key": current[fy].key, "min_facilities": min_facilities},
            )
            wh.delete_rows(
                "claim_cell_patterns",
                {"block_key": current[fy].key, "min_facilities": min_facilities},
            )
        with wh.inputs(claim_cache_periods=_periods(current, patterns, years)):
            wh.insert(
                "claim_cell_hidden",
                "cache/claim_cell_hidden_new",
                {"min_facilities": min_facilities},
            )
        made = datetime.now()
        wh.append(
            "claim_cell_patterns",
            pa.Table.from_pylist(
                [
                    {
                        "block_key": current[fy].key,
                        "min_facilities": min_facilities,
                        "hidden": wh.count_rows(
                            "claim_cell_hidden",
                            {"block_key": current[fy].key, "min_facilities": min_facilities},
                        ),
                        "created_at": made,
                    }
                    for fy in patterns
                ],
                schema=_PATTERN_SCHEMA,
            ),
        )
    return True


def _keys(keys: Iterable[str]) -> pa.Table:
    return pa.table({"block_key": pa.array(list(keys), type=pa.string())})


def _periods(current: dict[str, Block], fiscal_years: list[str], years: dict[Any, Any]) -> pa.Table:
    """(block_key, period_id) of the blocks of `fiscal_years`, from the periods' years."""
    rows = [
        (current[fy].key, int(period)) for period, fy in sorted(years.items()) if fy in fiscal_years
    ]
    return pa.table(
        {
            "block_key": pa.array([k for k, _ in rows], type=pa.string()),
            "period_id": pa.array([p for _, p in rows], type=pa.int64()),
        }
    )


_BLOCK_SCHEMA = pa.schema(
    [
        ("block_key", pa.string()),
        ("period", pa.string()),
        ("fiscal_year", pa.string()),
        ("cells", pa.int64()),
        ("seconds", pa.float64()),
        ("created_at", pa.timestamp("us")),
        ("zaitaku_version", pa.string()),
        ("parts", pa.string()),
    ]
)
_PATTERN_SCHEMA = pa.schema(
    [
        ("block_key", pa.string()),
        ("min_facilities", pa.int32()),
        ("hidden", pa.int64()),
        ("created_at", pa.timestamp("us")),
    ]
)


def _block_row(block: Block, *, cells: int, seconds: float) -> dict[str, Any]:
    return {
        "block_key": block.key,
        "period": block.period,
        "fiscal_year": block.fiscal_year,
        "cells": cells,
        "seconds": seconds,
        "created_at": datetime.now(),
        "zaitaku_version": __version__,
        "parts": block.parts,
    }


def _global_digest(wh: Warehouse) -> str:
    parts = {name: _digest(wh.rows(name)) for name in _GLOBAL_QUERIES}
    parts["reference"] = _digest([_reference_sha256(name) for name in _REFERENCE_FILES])
    parts["rules"] = _rules_digest()
    return _digest(sorted(parts.items()))


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
