"""Claims indicators per area (patients, claims, count, facilities) with small-cell suppression.

Runs the claims marts SQL for one area level and returns the publishable table plus what the
analyst must be told about it (coverage caveat, suppression rule, facilities no list locates).
`aggregate.py` writes the table; this module computes it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import polars as pl
import pyarrow as pa

from zaitaku_cli import claims_cache
from zaitaku_cli.choices import LEVELS, PERIODS, PLANS, check_choice
from zaitaku_cli.claims_suppression import HIDDEN_SCHEMA, hidden_cells, hidden_month_cells
from zaitaku_cli.engine import Engine
from zaitaku_cli.errors import ConfigError
from zaitaku_cli.i18n import and_more, join, t
from zaitaku_cli.output_metadata import COVERAGE, SUPPRESS_FLAGS

__all__ = [
    "COVERAGE",
    "SUPPRESS_FLAGS",
    "ClaimsAggregate",
    "build_claims_by_area",
    "prepare_claim_cells",
    "suppression_note",
]


SUPPRESSION_NDB = (
    "ndb: NDB open-data rule applied after aggregation, per unit (patients, claims, count): "
    "values 1-9 are suppressed (0 stays 0); then complementary suppression over the whole "
    "hierarchy at once (ward < municipality < 二次医療圏 of both plans < prefecture, unknown "
    "areas in their prefecture, age groups < total, all levels and files of the same period "
    "kind): in every equation parent = sum of children with exactly one suppressed cell the "
    "smallest shown cell is suppressed too, and an exact check adds cells until no suppressed "
    "cell follows linearly from the published ones (every unit treated as additive). Months "
    "are protected under their fiscal year's published pattern (the year = the sum of its "
    "months): month cells, and where only that protects, a 0 of a listed month, are "
    "suppressed so that the month and fiscal-year files together give no suppressed cell "
    "back. Suppressed values are null with a true *_suppressed flag. facilities "
    "(institutions, not persons) is not suppressed."
)
SUPPRESSION_OFF = "off: internal use only: not for publication (no small-cell suppression)"


UNITS_NOTE = (
    "patients = 実患者数 (distinct persons in the period and cell); claims = レセプト件数 "
    "(distinct person x facility x service month); count = 算定回数 (sum of times); "
    "facilities = distinct 医療機関コード billing the indicator. Patients are not additive "
    "across areas, periods or age groups: every cell is counted from the lines."
)
BASIS_NOTE = (
    "residence = the patient's 市町村コード; facility = location of the billing facility in "
    "the latest bureau list (届出受理医療機関名簿) that holds it; facilities in no list are "
    "under 所在地不明（届出名簿に該当なし） (pref||'999', secondary-area pref||'99')."
)

# How many unknown facility codes a warning names (the rest are counted).
_EXAMPLES = 5


@dataclass
class ClaimsAggregate:
    """The claims mart of one run: the table to write and what to tell the analyst about it."""

    table: pa.Table
    lines: int  # claim lines in the warehouse (all codes)
    indicator_lines: int  # of which lines of a ref_claim_codes code, i.e. counted
    unknown_facilities: int  # distinct billing facilities that no bureau list locates
    warnings: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    # where the cells came from: computed, cache (claims_cache.py) or connection (this run)
    cells: str = "computed"

    @property
    def empty(self) -> bool:
        """Nothing to write (no claim lines): the caller skips the claims outputs."""
        return self.table.num_rows == 0


# int_claim_unit_areas.level_id of each (--by, --plan)
_LEVEL_IDS = {
    ("ward", "8th"): 1,
    ("ward", "7th"): 1,
    ("municipality", "8th"): 2,
    ("municipality", "7th"): 2,
    ("secondary-area", "8th"): 3,
    ("secondary-area", "7th"): 4,
    ("prefecture", "8th"): 5,
    ("prefecture", "7th"): 5,
}

# The areas, indicators and periods the cells are keyed by (sql/intermediate/): small, from the
# reference tables and the code table; made on every run, the marts join them to the cells.
_AREA_STEPS = (
    "int_claim_units",
    "int_claim_unit_areas",
    "int_claim_areas",
    "int_claim_unit_area_ids",
    "int_claim_indicators",
    "int_claim_codes",
    "int_claim_periods",
)
# The relations of the claims cells, in order: small ones and the ones read more than once are
# materialised, the line grain is a view read once per consumer. Skipped when the cells are
# read from the cache.
_CELL_STEPS = (
    "int_claim_residences",
    "int_claim_facilities",
    "int_claim_grain",
    "int_claim_multi_pieces",
    "int_claim_person_places",
    "int_claim_person_spans",
    "int_claim_claim_values",
    "int_claim_patient_values",
    "int_claim_facility_places",
    "int_claim_facility_values",
    "int_claim_kinds",
    "int_claim_distinct_by_age",
    "int_claim_distinct_totals",
    "int_claim_cells",
)
# Relations read straight into their consumers (views on DuckDB), made before the step named.
_VIEWS = {"int_claim_grain": "int_claim_lines", "int_claim_distinct_by_age": "int_claim_entities"}
_CELL_COLUMNS = [
    "period_id",
    "level_id",
    "area_id",
    "indicator_id",
    "basis",
    "age_group_id",
    "unit",
    "value",
]
# The fiscal years' relations a month pattern is computed under, kept aside: source → copy.
_YEAR_COPIES = (
    ("int_claim_cells", "year_claim_cells", _CELL_COLUMNS),
    ("claims_hidden", "year_claims_hidden", HIDDEN_SCHEMA.names),
    ("int_claim_periods", "int_claim_year_periods", ["service_month", "period_id", "label"]),
)
# Intermediate tables that only feed later steps: dropped once int_claim_cells exists.
_TRANSIENT = (
    "int_claim_grain",
    "int_claim_multi_pieces",
    "int_claim_person_places",
    "int_claim_person_spans",
    "int_claim_claim_values",
    "int_claim_patient_values",
    "int_claim_facility_places",
    "int_claim_facility_values",
    "int_claim_kinds",
    "int_claim_distinct_by_age",
    "int_claim_distinct_totals",
)


def build_claims_by_area(
    engine: Engine,
    *,
    level: str,
    plan: str = "8th",
    period: str = "fiscal-year",
    suppress: bool = True,
    min_facilities: int = 0,
    cache: bool = True,
) -> ClaimsAggregate:
    """Claims indicators per period × area × indicator × basis × age group at `level`.

    Every cell is computed from the claim lines (patients are never summed). The cells of every
    level and both plans are computed together, and so is the suppression pattern (NDB rule,
    complementary suppression across the whole hierarchy, optionally `min_facilities`): the
    pattern of a level does not depend on which levels a run writes. Within one connection
    the cells are kept, so writing several levels computes them once; across runs they are
    kept in the warehouse (claims_cache.py) unless `cache` is false or the engine is not the
    warehouse's DuckDB. With `suppress` False the
    metadata marks the table as not for publication. With no claim lines the result is empty
    (`.empty`), with a warning, and nothing is computed.
    """
    check_choice("--by", level, LEVELS)
    check_choice("--plan", plan, PLANS)
    check_choice("--period", period, PERIODS)
    if min_facilities < 0:
        raise ConfigError(
            "--min-facilities must be 0 (off) or more, not {value}", value=min_facilities
        )

    metadata: dict[str, Any] = {
        "source": "KDB-style claim lines (claim_lines); codes: ref_claim_codes",
        "coverage": COVERAGE,
        "suppression": suppression_note(suppress, min_facilities),
        "period": period,
        "plan": plan,
        "level": level,
        "units": UNITS_NOTE,
        "basis": BASIS_NOTE,
    }
    lines = engine.count_rows("claim_lines")
    if lines == 0:
        return ClaimsAggregate(
            table=_empty_table(engine, level=level, plan=plan, suppress=suppress),
            lines=0,
            indicator_lines=0,
            unknown_facilities=0,
            warnings=[t("no claim lines ingested: no claims output")],
            metadata={**metadata, "lines": 0},
        )

    cells = prepare_claim_cells(
        engine, period=period, suppress=suppress, min_facilities=min_facilities, cache=cache
    )
    unknown, indicator_lines = _line_facts(engine)
    table = _mart(engine, level=level, plan=plan, suppress=suppress)

    warnings = _warnings(engine, unknown, indicator_lines, suppress=suppress)
    metadata.update(
        lines=lines,
        indicator_lines=indicator_lines,
        unknown_facilities=len(unknown),
        rows=table.num_rows,
        min_facilities=min_facilities,
    )
    return ClaimsAggregate(
        table=table,
        lines=lines,
        indicator_lines=indicator_lines,
        unknown_facilities=len(unknown),
        warnings=warnings,
        metadata=metadata,
        cells=cells,
    )


def suppression_note(suppress: bool, min_facilities: int = 0) -> str:
    """The suppression text of the metadata and manifest."""
    if not suppress:
        return SUPPRESSION_OFF
    if min_facilities:
        return (
            f"{SUPPRESSION_NDB} --min-facilities {min_facilities}: a non-zero cell billed by "
            f"fewer than {min_facilities} facilities is suppressed like a cell of 1-9."
        )
    return SUPPRESSION_NDB


def prepare_claim_cells(
    engine: Engine,
    *,
    period: str,
    suppress: bool = True,
    min_facilities: int = 0,
    cache: bool = True,
) -> str:
    """Materialise the claims cells of every level (int_claim_cells) and the suppression
    pattern (claims_hidden) for `period` on this engine, with the small relations the marts
    join them to.

    With `cache` (and the warehouse's DuckDB as the engine: the cache is the warehouse's), the
    cells and patterns of the fiscal years the warehouse keeps (claims_cache.py) are read, and
    only the other fiscal years are computed, from their months' lines, then stored (unless the
    warehouse is read-only). Returns where the cells came from: 'connection' (already there for
    the same state of the warehouse), 'cache' (read), 'cache-cells' (the cells read, the
    pattern of this suppression choice computed), 'computed', or per fiscal year when they
    differ ('FY2023 cache, FY2024 computed').
    """
    wh = engine.warehouse
    cache = cache and engine.name == "duckdb"
    memo = (period, suppress, min_facilities, cache, claims_cache.connection_state(wh))
    if getattr(engine, "_claim_cells_key", None) == memo:
        return "connection"
    started = time.perf_counter()
    choice = min_facilities if suppress else None
    blocks: dict[str, claims_cache.Block] = {}
    stored: dict[str, bool] = {}
    engine.materialize("staging/stg_claim_facility_locations")
    if cache:
        blocks = claims_cache.blocks(wh, period)
        stored = claims_cache.stored(wh, blocks, choice)
    # fiscal years whose cells, and whose pattern, this run computes (None: all of them)
    count = [fy for fy in blocks if fy not in stored] if cache else None
    protect = [fy for fy in blocks if not stored.get(fy)] if cache else None
    linked = period == "month" and suppress and (protect is None or bool(protect))
    if linked:
        # Months are protected under the pattern their fiscal years are published with (the
        # year = the sum of its months): the years' cells and pattern first, kept aside.
        prepare_claim_cells(
            engine, period="fiscal-year", suppress=True, min_facilities=min_facilities, cache=cache
        )
        for source, copy, columns in _YEAR_COPIES:
            engine.register(copy, engine.read(source, list(columns)))
    engine.materialize("staging/stg_area_units", {"plan": "8th"}, table="stg_area_units_8th")
    engine.materialize("staging/stg_area_units", {"plan": "7th"}, table="stg_area_units_7th")
    for step in _AREA_STEPS:
        engine.materialize(f"intermediate/{step}", {"period": period})
    if count is None or count:
        _count_cells(engine, period, None if count is None else [blocks[fy] for fy in count])
        if stored:
            claims_cache.append_cells(wh, [blocks[fy].key for fy in stored])
    else:
        claims_cache.restore_cells(wh, [b.key for b in blocks.values()])
    hidden = HIDDEN_SCHEMA.empty_table()
    if suppress:
        hidden = _pattern(engine, min_facilities, protect, linked=linked)
        kept = [blocks[fy].key for fy, has in stored.items() if has]
        if kept:
            restored = claims_cache.restore_hidden(wh, kept, min_facilities)
            hidden = pa.concat_tables([hidden, restored.cast(HIDDEN_SCHEMA)])
    engine.register("claims_hidden", hidden)
    if cache:
        claims_cache.store(
            wh,
            period,
            blocks,
            cells=count or [],
            patterns=protect or [],
            min_facilities=choice,
            seconds=time.perf_counter() - started,
        )
    engine._claim_cells_key = memo  # type: ignore[attr-defined]
    if not cache:
        return "computed"
    where = {
        fy: "cache" if stored.get(fy) else "cache-cells" if fy in stored else "computed"
        for fy in blocks
    }
    if len(set(where.values())) <= 1:
        return next(iter(where.values()), "computed")
    return ", ".join(f"{fy} {how}" for fy, how in where.items())


def _count_cells(engine: Engine, period: str, blocks: list[claims_cache.Block] | None) -> None:
    """int_claim_cells from the lines of the months of `blocks` (None: every month)."""
    if blocks is None:
        months = engine.read("int_claim_periods", ["service_month"])
    else:
        wanted = sorted(m for b in blocks for m in b.service_months)
        months = pa.table({"service_month": pa.array(wanted, type=pa.date32())})
    engine.register("int_claim_wanted_months", months)
    for step in _CELL_STEPS:
        if step in _VIEWS:
            engine.view(f"intermediate/{_VIEWS[step]}")
        engine.materialize(f"intermediate/{step}", {"period": period})
    for step in _TRANSIENT:
        engine.drop(step)


def _pattern(
    engine: Engine, min_facilities: int, fiscal_years: list[str] | None, *, linked: bool
) -> pa.Table:
    """The hidden cells of the periods of `fiscal_years` (None: every period): the fiscal
    years' pattern, or with `linked` the months' under their years' (kept aside)."""
    if fiscal_years is not None and not fiscal_years:
        return HIDDEN_SCHEMA.empty_table()
    primary = pl_frame(
        engine.arrow("intermediate/int_claim_primary", {"min_facilities": min_facilities})
    )
    if fiscal_years is not None:
        periods = claims_cache.period_ids(engine.warehouse, fiscal_years)
        primary = primary.filter(pl.col("period_id").is_in(periods))
    unit_areas = pl_frame(
        engine.read("int_claim_unit_area_ids", ["level_id", "area_id", "unit_id"])
    )
    if not linked:
        return hidden_cells(primary, unit_areas)
    return hidden_month_cells(
        primary,
        pl_frame(engine.read("year_claim_cells", _CELL_COLUMNS)),
        pl_frame(engine.read("year_claims_hidden", HIDDEN_SCHEMA.names)),
        pl_frame(engine.arrow("intermediate/int_claim_month_years")),
        unit_areas,
    )


def pl_frame(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _mart(engine: Engine, *, level: str, plan: str, suppress: bool) -> pa.Table:
    return engine.arrow(
        "marts/claims_by_area",
        {
            "level": level,
            "level_id": _LEVEL_IDS[(level, plan)],
            "coverage": COVERAGE,
            "suppression": "ndb" if suppress else "off",
        },
    )


def _line_facts(engine: Engine) -> tuple[list[tuple[str, int]], int]:
    """(_unknown_facilities, lines of a code of the code table): two scans of the claim lines,
    made once per state of the warehouse on this engine (every level of a run asks)."""
    state = claims_cache.connection_state(engine.warehouse)
    memo = getattr(engine, "_claim_line_facts", None)
    if memo is None or memo[0] != state:
        counted = int(engine.scalar("staging/stg_claim_lines_counted"))
        memo = (state, _unknown_facilities(engine), counted)
        engine._claim_line_facts = memo  # type: ignore[attr-defined]
    return memo[1], memo[2]


def _unknown_facilities(engine: Engine) -> list[tuple[str, int]]:
    """(facility_code10, lines) of the billing facilities no bureau list locates, most first."""
    table = engine.arrow("staging/stg_claim_unknown_facilities")
    rows = zip(table["facility_code10"].to_pylist(), table["lines"].to_pylist(), strict=True)
    return sorted(((str(code), int(n)) for code, n in rows), key=lambda r: (-r[1], r[0]))


def _warnings(
    engine: Engine, unknown: list[tuple[str, int]], indicator_lines: int, *, suppress: bool
) -> list[str]:
    warnings = []
    if not suppress:
        warnings.append(
            t(
                "claims written without small-cell suppression: internal use only, not for "
                "publication"
            )
        )
    if indicator_lines == 0:
        warnings.append(
            t(
                "no claim line has a code of the claim-code table: every indicator is 0 "
                "(see `zaitaku reference codes` and `reference update-codes`)"
            )
        )
    if not unknown:
        return warnings
    listed = engine.count_rows("stg_claim_facility_locations")
    unknown_lines = sum(int(row[1]) for row in unknown)
    if listed == 0:
        warnings.append(
            t(
                "no bureau list ingested: facility basis falls under the unknown area "
                "(所在地不明（届出名簿に該当なし）) for every facility; ingest the "
                "届出受理医療機関名簿 with `zaitaku ingest facilities` to place facilities"
            )
        )
    else:
        examples = join(str(row[0]) for row in unknown[:_EXAMPLES])
        warnings.append(
            t(
                "1 billing facility is in no bureau list ({lines:,} lines, {share:.1%} of "
                "home-care lines): counted under 所在地不明（届出名簿に該当なし） on the facility "
                "basis (e.g. {examples})"
                if len(unknown) == 1
                else "{count} billing facilities are in no bureau list ({lines:,} lines, "
                "{share:.1%} of home-care lines): counted under 所在地不明（届出名簿に該当なし） "
                "on the facility basis (e.g. {examples})",
                count=len(unknown),
                lines=unknown_lines,
                share=unknown_lines / indicator_lines if indicator_lines else 0.0,
                examples=and_more(examples, len(unknown) - _EXAMPLES),
            )
        )
    return warnings


def _empty_table(engine: Engine, *, level: str, plan: str, suppress: bool) -> pa.Table:
    """The output schema with no rows, from the SQL itself so that the two cannot drift."""
    prepare_claim_cells(engine, period="fiscal-year", suppress=False, cache=False)
    return _mart(engine, level=level, plan=plan, suppress=suppress)
