"""Rates per population: facilities per 100,000 and per 10,000 aged 75+, claims indicators per
1,000 of the population of the same ages (or of the 国保 + 後期 enrolment where ingested).

Computes `rates_by_<level>` from the facilities and claims outputs of the same run, so that a
rate's numerator is exactly the published figure (suppressed where that is suppressed). The SQL
is sql/marts/rates_by_area.sql; `aggregate.py` writes the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from zaitaku_cli.choices import DEFAULT_PLAN
from zaitaku_cli.i18n import t
from zaitaku_cli.output_metadata import CLAIM_UNITS, COVERAGE, SUPPRESS_FLAGS
from zaitaku_cli.population import prepare_population
from zaitaku_cli.warehouse import Warehouse

__all__ = ["RATES_SUPPRESS_FLAGS", "RatesTable", "build_rates_by_area"]

# value column → flag column, for export.csv_bytes: a suppressed rate shows '-' like its count
RATES_SUPPRESS_FLAGS = {"numerator": "suppressed", "rate": "suppressed"}

RATES_NOTE = (
    "rate = numerator / denominator × per. Facilities (distinct facilities of a category on a "
    "list date) per 100,000 population and per 10,000 aged 75+. Claims indicators, residence "
    "basis, per 1,000: 75plus over age75p, 65to74 over age65to74 (65+ − 75+), under65 over "
    "under65 (total − 65+), total over population, age65p and age75p (ratios of patients of all "
    "ages). Where an enrolment table (国保 + 後期 members) covers the area and age group, under65 "
    "and 65to74 use it instead of the population (denominator_kind 'enrolment'), and every age "
    "group gains an enrolment row. Denominators: the 住基 snapshot in use (denominator_as_of), "
    "whatever the period."
)
UNDERSTATED_NOTE = (
    "understated = true: KDB holds 国保 and 後期 claims only, so under 75 the numerator counts "
    "国保 members only while the denominator counts every resident (rows of under65, 65to74 and "
    "total over a population). Ingest the 国保 + 後期 enrolment (`zaitaku ingest enrolment`) for "
    "rates that are not."
)
BREAK_NOTE = (
    "houmon_kango_break = true: a 訪問看護 indicator (houmon_kango_*) of a period starting before "
    "the 2024-06 service month, when station-based 訪問看護 claims were on paper and are not in "
    "KDB: not comparable with later periods (domain.md §4)."
)

# the columns rates_by_area.sql reads from each input, so that a run without facilities or
# without claims still has a (empty) relation of the right shape
_CLAIMS_SCHEMA = pa.schema(
    [
        ("period", pa.string()),
        ("area_code", pa.string()),
        ("area_name", pa.string()),
        ("indicator", pa.string()),
        ("basis", pa.string()),
        ("age_group", pa.string()),
        *((unit, pa.int64()) for unit in CLAIM_UNITS),
        *((flag, pa.bool_()) for flag in SUPPRESS_FLAGS.values()),
        ("coverage", pa.string()),
    ]
)
_FACILITIES_SCHEMA = pa.schema(
    [
        ("as_of", pa.date32()),
        ("area_code", pa.string()),
        ("area_name", pa.string()),
        ("category", pa.string()),
        ("facilities", pa.int64()),
        ("source", pa.string()),
        ("members_covered", pa.int64()),
        ("members_total", pa.int64()),
        ("area_coverage", pa.string()),
    ]
)


@dataclass
class RatesTable:
    """The rates output of one run and what to tell the analyst about it."""

    table: pa.Table
    metadata: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _input(table: pa.Table | None, schema: pa.Schema) -> pa.Table:
    if table is None:
        return schema.empty_table()
    return table.select(schema.names).cast(schema)


def build_rates_by_area(
    wh: Warehouse,
    *,
    level: str,
    plan: str = DEFAULT_PLAN,
    facilities: pa.Table | None = None,
    claims: pa.Table | None = None,
    population_prepared: bool = False,
) -> RatesTable:
    """Rates of the facilities and claims outputs of one run at `level`.

    `facilities` is build_facilities_by_area's table, `claims` build_claims_by_area's (with its
    suppression applied); either may be None. Returns every rate, long form (rates_by_area.sql).
    `population_prepared`: the caller has just run prepare_population for the same level and
    plan with nothing written since (aggregate does), so its relations are read as they are.
    """
    if not population_prepared:
        prepare_population(wh, level=level, plan=plan)
    with wh.inputs(
        rates_claims_input=_input(claims, _CLAIMS_SCHEMA),
        rates_facilities_input=_input(facilities, _FACILITIES_SCHEMA),
    ):
        table = wh.arrow("marts/rates_by_area", {"level": level})

    enrolment = wh.rows("checks/enrolment_coverage")[0]
    warnings: list[str] = []
    if claims is not None and claims.num_rows and not enrolment[0]:
        warnings.append(
            t(
                "rates under 75 (under65, 65to74, total) are over the whole population although "
                "KDB counts 国保 members only: flagged understated. `zaitaku ingest enrolment` "
                "gives them the 国保 + 後期 denominator"
            )
        )
    elif enrolment[0] > enrolment[1]:
        warnings.append(
            t(
                "the enrolment table covers {covered} of {cells} area × age-group cells it "
                "touches: the others use the population and stay flagged understated",
                covered=enrolment[1],
                cells=enrolment[0],
            )
        )
    metadata: dict[str, Any] = {
        "rates": RATES_NOTE,
        "understated": UNDERSTATED_NOTE,
        "houmon_kango_break": BREAK_NOTE,
        "coverage": COVERAGE,
        "level": level,
        "plan": plan,
        "rows": table.num_rows,
    }
    return RatesTable(table=table, metadata=metadata, warnings=warnings)
