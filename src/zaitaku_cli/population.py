"""Population of every area at one level: 住基 (packaged or ingested), the 社人研 2023 projection
and the analyst's 国保 + 後期 enrolment, each with a status saying whether a figure is exact,
estimated (and how) or missing (and why).

The SQL lives in sql/staging/stg_population_*.sql, stg_projection_by_area.sql and
stg_enrolment_by_area.sql; `prepare_population` materialises them for one run, and the rates
and projection marts read them by name.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from zaitaku_cli.choices import DEFAULT_PLAN, LEVELS, PLANS, check_choice
from zaitaku_cli.warehouse import Warehouse

__all__ = [
    "KINDS",
    "PROJECTION_SOURCE",
    "PROJECTION_YEARS",
    "PopulationTable",
    "build_population_by_area",
    "prepare_population",
]

# kind → what it counts, in output order (stg_population_by_area.sql)
KINDS = {
    "population": "all ages",
    "under65": "under 65 (total − 65+; holds band_gap, see PROVENANCE.md)",
    "age65to74": "65–74 (65+ − 75+)",
    "age65p": "65 and over",
    "age75p": "75 and over",
}

PROJECTION_SOURCE = "ipss_r5_2023"
PROJECTION_YEARS = (2020, 2025, 2030, 2035, 2040, 2045, 2050)

POPULATION_NOTE = (
    "住基 = 総務省 住民基本台帳に基づく人口 (packaged: 2025-01-01; a newer table loaded "
    "with `zaitaku ingest population` wins per prefecture); projection = 社人研 "
    "日本の地域別将来推計人口 (令和5年推計), figures as of 1 October of each year. "
    "An area's figure is the sum of its current base units (市町村, 特別区, 政令市の区). "
    "status: exact; estimated: how (the new 浜松 wards 中央区/浜名区 split from the "
    "old wards by 住基 2025-01-01 shares); missing: why (the 13 浜通り municipalities, "
    "projected only as one group 07999, and the areas 相双/いわき that split it): "
    "value null, never 0."
)


@dataclass
class PopulationTable:
    """The population output of one level and what to tell the analyst about it."""

    table: pa.Table
    metadata: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def prepare_population(wh: Warehouse, *, level: str, plan: str = DEFAULT_PLAN) -> None:
    """Materialise the population relations of `level` (and the area units of `plan`).

    Later SQL of the same run reads stg_population_by_area, stg_projection_by_area and
    stg_enrolment_by_area by name.
    """
    check_choice("--by", level, LEVELS)
    check_choice("--plan", plan, PLANS)
    wh.materialize("staging/stg_area_units", {"plan": plan})
    wh.materialize("staging/stg_population_units")
    wh.materialize("staging/stg_population_by_area", {"level": level})
    wh.materialize("staging/stg_projection_by_area", {"level": level})
    wh.materialize("staging/stg_enrolment_by_area", {"level": level})


def build_population_by_area(
    wh: Warehouse,
    *,
    level: str,
    plan: str = DEFAULT_PLAN,
    pref_codes: Collection[str] | None = None,
) -> PopulationTable:
    """住基 and 社人研 populations of every area at `level`, long form with a status per figure.

    `pref_codes` keeps the areas of those prefectures only (an area's first two digits are its
    prefecture at every level); None keeps the whole country.
    """
    prepare_population(wh, level=level, plan=plan)
    table = wh.arrow("marts/population_by_area", {"level": level})
    if pref_codes is not None:
        prefs = pc.utf8_slice_codeunits(table["area_code"], 0, 2)
        table = table.filter(pc.is_in(prefs, value_set=pa.array(sorted(pref_codes), pa.string())))
    snapshots = wh.rows("checks/population_snapshots")
    not_exact = wh.scalar("checks/projection_areas_not_exact")
    metadata: dict[str, Any] = {
        "source": POPULATION_NOTE,
        "level": level,
        "plan": plan,
        "kinds": KINDS,
        "juki_snapshots": [
            {"as_of": str(as_of), "source": source, "units": units}
            for as_of, source, units in snapshots
        ],
        "projection_areas_not_exact": int(not_exact),
        "prefectures": sorted(pref_codes) if pref_codes is not None else "all",
    }
    return PopulationTable(table=table, metadata=metadata)
