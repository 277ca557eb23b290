"""Claims indicators per area (patients, claims, count, facilities) with small-cell suppression.

Runs the claims marts SQL for one area level and returns the publishable table plus what the
analyst must be told about it (coverage caveat, suppression rule, facilities no list locates).
`aggregate.py` writes the table; this module computes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from zaitaku_cli.choices import LEVELS, PERIODS, PLANS, check_choice
from zaitaku_cli.warehouse import Warehouse

__all__ = [
    "COVERAGE",
    "SUPPRESS_FLAGS",
    "ClaimsAggregate",
    "build_claims_by_area",
]

# KDB holds 国保 and 後期高齢者 claims only (domain.md §4): every claims figure carries this.
COVERAGE = "国保・後期高齢者のみ（KDB）: 被用者保険・医療扶助を含まない"

SUPPRESSION_NDB = (
    "ndb: NDB open-data rule applied after aggregation, per unit (patients, claims, count): "
    "values 1-9 are suppressed (0 stays 0); within a row (period, area, indicator, basis, unit) "
    "across the age groups under65/65to74/75plus(/unknown), if exactly one cell is suppressed, "
    "every cell equal to the smallest value >= 10 of that row is suppressed too; totals < 10 are "
    "suppressed. Suppressed values are null with a true *_suppressed flag, never 0. "
    "facilities (institutions, not persons) is not suppressed."
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
    # with reuse_periods: {"computed": n, "reused": n} periods (not in the metadata, so that the
    # files are the same however they were computed)
    periods: dict[str, int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """Nothing to write (no claim lines): the caller skips the claims outputs."""
        return self.table.num_rows == 0


def build_claims_by_area(
    wh: Warehouse,
    *,
    level: str,
    plan: str = "8th",
    period: str = "fiscal-year",
    suppress: bool = True,
    reuse_periods: bool = False,
) -> ClaimsAggregate:
    """Claims indicators per period × area × indicator × basis × age group at `level`.

    Every cell is computed from the claim lines (patients are never summed); suppression is the
    NDB rule unless `suppress` is False, which the metadata then marks as not for publication.
    With no claim lines the result is empty (`.empty`), with a warning, and nothing is computed.
    `reuse_periods` takes the cells of periods whose lines and inputs did not change from the
    previous such run (claims_periods; the same table, computed faster).
    """
    check_choice("--by", level, LEVELS)
    check_choice("--plan", plan, PLANS)
    check_choice("--period", period, PERIODS)

    metadata: dict[str, Any] = {
        "source": "KDB-style claim lines (claim_lines); codes: ref_claim_codes",
        "coverage": COVERAGE,
        "suppression": SUPPRESSION_NDB if suppress else SUPPRESSION_OFF,
        "period": period,
        "plan": plan,
        "level": level,
        "units": UNITS_NOTE,
        "basis": BASIS_NOTE,
    }
    lines = int(wh.fetch_all("select count(*) from claim_lines")[0][0])
    if lines == 0:
        return ClaimsAggregate(
            table=_empty_table(wh, level=level, plan=plan, suppress=suppress),
            lines=0,
            indicator_lines=0,
            unknown_facilities=0,
            warnings=["no claim lines ingested: no claims output"],
            metadata={**metadata, "lines": 0},
        )

    wh.materialize("staging/stg_area_units", {"plan": plan})
    wh.materialize("staging/stg_claim_facility_locations")
    wh.materialize("staging/stg_claim_unknown_facilities")
    unknown = wh.fetch_all(
        "select facility_code10, lines from stg_claim_unknown_facilities "
        "order by lines desc, facility_code10"
    )
    indicator_lines = int(
        wh.fetch_all(
            "select count(*) from claim_lines as l "
            "inner join (select distinct code from ref_claim_codes) as c on c.code = l.act_code"
        )[0][0]
    )

    periods: dict[str, int] = {}
    if reuse_periods:
        from zaitaku_cli.claims_periods import materialize_claims_by_area

        periods = materialize_claims_by_area(wh, level=level, plan=plan, period=period)
    else:
        wh.materialize("marts/claims_by_area", {"level": level, "period": period})
    table = wh.arrow(
        "marts/claims_suppressed",
        {
            "suppress": suppress,
            "coverage": COVERAGE,
            "suppression": "ndb" if suppress else "off",
        },
    )
    wh.con.execute("drop table if exists temp.claims_by_area")

    warnings = _warnings(wh, unknown, indicator_lines, suppress=suppress)
    metadata.update(
        lines=lines,
        indicator_lines=indicator_lines,
        unknown_facilities=len(unknown),
        rows=table.num_rows,
    )
    return ClaimsAggregate(
        table=table,
        lines=lines,
        indicator_lines=indicator_lines,
        unknown_facilities=len(unknown),
        warnings=warnings,
        metadata=metadata,
        periods=periods,
    )


def _warnings(
    wh: Warehouse, unknown: list[tuple[Any, ...]], indicator_lines: int, *, suppress: bool
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
    listed = int(wh.fetch_all("select count(*) from stg_claim_facility_locations")[0][0])
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


def _empty_table(wh: Warehouse, *, level: str, plan: str, suppress: bool) -> pa.Table:
    """The output schema with no rows, from the SQL itself so that the two cannot drift."""
    wh.materialize("staging/stg_area_units", {"plan": plan})
    wh.materialize("staging/stg_claim_facility_locations")
    wh.materialize("marts/claims_by_area", {"level": level, "period": "fiscal-year"})
    table = wh.arrow(
        "marts/claims_suppressed",
        {"suppress": suppress, "coverage": COVERAGE, "suppression": "ndb" if suppress else "off"},
    )
    wh.con.execute("drop table if exists temp.claims_by_area")
    return table
