"""Claims indicators per area (patients, claims, count, facilities) with small-cell suppression.

Runs the claims marts SQL for one area level and returns the publishable table plus what the
analyst must be told about it (coverage caveat, suppression rule, facilities no list locates).
`aggregate.py` writes the table; this module computes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl
import pyarrow as pa

from zaitaku_cli.choices import LEVELS, PERIODS, PLANS, check_choice
from zaitaku_cli.claims_suppression import HIDDEN_SCHEMA, hidden_cells
from zaitaku_cli.engine import Engine
from zaitaku_cli.errors import ConfigError
from zaitaku_cli.warehouse import Warehouse

__all__ = [
    "COVERAGE",
    "SUPPRESS_FLAGS",
    "ClaimsAggregate",
    "build_claims_by_area",
    "prepare_claim_cells",
    "suppression_note",
]

# KDB holds 国保 and 後期高齢者 claims only (domain.md §4): every claims figure carries this.
COVERAGE = "国保・後期高齢者のみ（KDB）: 被用者保険・医療扶助を含まない"

SUPPRESSION_NDB = (
    "ndb: NDB open-data rule applied after aggregation, per unit (patients, claims, count): "
    "values 1-9 are suppressed (0 stays 0); then complementary suppression over the whole "
    "hierarchy at once (ward < municipality < 二次医療圏 of both plans < prefecture, unknown "
    "areas in their prefecture, age groups < total, all levels and files of the same period "
    "kind): in every equation parent = sum of children with exactly one suppressed cell the "
    "smallest shown cell is suppressed too, and an exact check adds cells until no suppressed "
    "cell follows linearly from the published ones (every unit treated as additive). Months "
    "are not linked to their fiscal year. Suppressed values are null with a true *_suppressed "
    "flag, never 0. facilities (institutions, not persons) is not suppressed."
)
SUPPRESSION_OFF = "off: internal use only: not for publication (no small-cell suppression)"

# value column → flag column, as export.csv_bytes(suppress_flags=...) expects them.
SUPPRESS_FLAGS = {
    "patients": "patients_suppressed",
    "claims": "claims_suppressed",
    "count": "count_suppressed",
}

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

# The relations of the claims cells, in order (sql/intermediate/): small ones and the ones read
# more than once are materialised, the line grain is a view read once per consumer.
_CELL_STEPS = (
    "int_claim_units",
    "int_claim_unit_areas",
    "int_claim_areas",
    "int_claim_unit_area_ids",
    "int_claim_indicators",
    "int_claim_codes",
    "int_claim_periods",
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
    "int_claim_distinct_by_age",
    "int_claim_distinct_totals",
    "int_claim_cells",
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
) -> ClaimsAggregate:
    """Claims indicators per period × area × indicator × basis × age group at `level`.

    Every cell is computed from the claim lines (patients are never summed). The cells of every
    level and both plans are computed together, and so is the suppression pattern (NDB rule,
    complementary suppression across the whole hierarchy, optionally `min_facilities`): the
    pattern of a level does not depend on which levels a run writes. Within one connection
    the cells are kept, so writing several levels computes them once. With `suppress` False the
    metadata marks the table as not for publication. With no claim lines the result is empty
    (`.empty`), with a warning, and nothing is computed.
    """
    check_choice("--by", level, LEVELS)
    check_choice("--plan", plan, PLANS)
    check_choice("--period", period, PERIODS)
    if min_facilities < 0:
        raise ConfigError(f"--min-facilities must be 0 (off) or more, not {min_facilities}")

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
            warnings=["no claim lines ingested: no claims output"],
            metadata={**metadata, "lines": 0},
        )

    prepare_claim_cells(engine, period=period, suppress=suppress, min_facilities=min_facilities)
    unknown = _unknown_facilities(engine)
    indicator_lines = int(engine.scalar("staging/stg_claim_lines_counted"))
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


def _state(wh: Warehouse) -> tuple[Any, ...]:
    """What the claims cells depend on, cheaply: a change of claim lines, bureau lists or codes
    changes it (within one connection; see prepare_claim_cells)."""
    return (
        *wh.fetch_all(
            "select count(*), coalesce(sum(ingest_id), 0), coalesce(sum(source_row), 0) "
            "from claim_lines"
        )[0],
        *wh.fetch_all("select count(*), coalesce(sum(ingest_id), 0) from facility_notifications")[
            0
        ],
        *wh.fetch_all("select count(*) from claim_code_additions")[0],
    )


def prepare_claim_cells(
    engine: Engine, *, period: str, suppress: bool = True, min_facilities: int = 0
) -> None:
    """Materialise the claims cells of every level (int_claim_cells) and the suppression
    pattern (claims_hidden) for `period` on this engine, unless they are already there for
    the same state of the warehouse."""
    key = (period, suppress, min_facilities, _state(engine.warehouse))
    if getattr(engine, "_claim_cells_key", None) == key:
        return
    engine.materialize("staging/stg_area_units", {"plan": "8th"}, table="stg_area_units_8th")
    engine.materialize("staging/stg_area_units", {"plan": "7th"}, table="stg_area_units_7th")
    engine.materialize("staging/stg_claim_facility_locations")
    for step in _CELL_STEPS:
        if step == "int_claim_grain":
            engine.view("intermediate/int_claim_lines")
        engine.materialize(f"intermediate/{step}", {"period": period})
    for step in _TRANSIENT:
        engine.drop(step)
    if suppress:
        primary = engine.arrow("intermediate/int_claim_primary", {"min_facilities": min_facilities})
        unit_areas = engine.read("int_claim_unit_area_ids", ["level_id", "area_id", "unit_id"])
        hidden = hidden_cells(pl_frame(primary), pl_frame(unit_areas))
    else:
        hidden = HIDDEN_SCHEMA.empty_table()
    engine.register("claims_hidden", hidden)
    engine._claim_cells_key = key  # type: ignore[attr-defined]


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
            "claims written without small-cell suppression: internal use only, not for publication"
        )
    if indicator_lines == 0:
        warnings.append(
            "no claim line has a code of the claim-code table: every indicator is 0 "
            "(see `zaitaku reference codes` and `reference update-codes`)"
        )
    if not unknown:
        return warnings
    listed = engine.count_rows("stg_claim_facility_locations")
    unknown_lines = sum(int(row[1]) for row in unknown)
    if listed == 0:
        warnings.append(
            "no bureau list ingested: facility basis falls under the unknown area "
            "(所在地不明（届出名簿に該当なし）) for every facility; "
            "ingest the 届出受理医療機関名簿 with `zaitaku ingest facilities` to place facilities"
        )
    else:
        examples = ", ".join(str(row[0]) for row in unknown[:_EXAMPLES])
        more = f" and {len(unknown) - _EXAMPLES} more" if len(unknown) > _EXAMPLES else ""
        share = unknown_lines / indicator_lines if indicator_lines else 0.0
        noun = "facility is" if len(unknown) == 1 else "facilities are"
        warnings.append(
            f"{len(unknown)} billing {noun} in no bureau list ({unknown_lines:,} lines, "
            f"{share:.1%} of home-care lines): counted under 所在地不明（届出名簿に該当なし） "
            f"on the facility basis (e.g. {examples}{more})"
        )
    return warnings


def _empty_table(engine: Engine, *, level: str, plan: str, suppress: bool) -> pa.Table:
    """The output schema with no rows, from the SQL itself so that the two cannot drift."""
    prepare_claim_cells(engine, period="fiscal-year", suppress=False)
    return _mart(engine, level=level, plan=plan, suppress=suppress)
