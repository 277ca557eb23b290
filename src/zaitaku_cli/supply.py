"""`zaitaku supply`: supply against demand per area — registered facilities, the facilities that
actually billed home care, patients now and projected, projected patients per billing facility,
the capacity the prefecture's survey states and the municipalities no 連携拠点 serves.

`build_supply_by_area` combines the published outputs of one run — facilities_by_area,
claims_by_area (suppression applied) and the demand projection — with the survey and the hub
list (sql/marts/supply_by_area.sql), so every figure is one of theirs: a suppressed cell stays
suppressed and a ratio over a withheld projection is null. `supply` writes the set
`OUT/supply_<level>/`: supply_by_<level> (area × year), supply_facilities_by_<level> (area ×
category: registered, billing, registered but inactive) and, where a hub list exists,
hub_coverage_by_<level> (each municipality and the hubs serving it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from zaitaku_cli.aggregate import build_facilities_by_area
from zaitaku_cli.choices import DEFAULT_PLAN, ExportChoice, level_key
from zaitaku_cli.claims_aggregate import build_claims_by_area
from zaitaku_cli.errors import SnapshotNotFound
from zaitaku_cli.facility_activity import prepare_facility_roster
from zaitaku_cli.frames import polars_frame
from zaitaku_cli.i18n import join, t
from zaitaku_cli.output_metadata import COVERAGE
from zaitaku_cli.output_sets import output_set, set_manifest
from zaitaku_cli.projection import (
    DEFAULT_YEARS,
    ProjectionChoice,
    build_projection,
    check_years,
    choose_base_period,
)
from zaitaku_cli.reference import prefecture_name
from zaitaku_cli.warehouse import Warehouse

__all__ = [
    "SUPPLY_SUPPRESS_FLAGS",
    "Supply",
    "SupplyChoice",
    "SupplyResult",
    "build_supply_by_area",
    "supply",
]

INDICATOR = "houmon_shinryo"

# value column → flag column for the CSV: '-' where the published figure is withheld
SUPPLY_SUPPRESS_FLAGS = {
    "patients": "patients_suppressed",
    "patients_75plus": "patients_75plus_suppressed",
    "projected_patients": "projected_patients_suppressed",
    "projected_per_billing_facility": "projected_patients_suppressed",
    "projected_patients_75plus": "projected_patients_75plus_suppressed",
    "projected_75plus_per_billing_facility": "projected_patients_75plus_suppressed",
}

SUPPLY_NOTE = (
    "One row per area and projection year. registered_* = facilities on the latest bureau list "
    "(else the prefecture's count table: facilities_source) — 在支診 and 在支病 are the sums of "
    "their tiers (one tier per facility), kyoka = 機能強化型 (単独型 + 連携型); billing_* = "
    "facilities billing 訪問診療 / 往診 / 看取り in base_period (claims, facility basis: the 8th "
    "plan's 訪問診療を実施している診療所・病院数); patients = 訪問診療 patients living in the "
    "area (residence basis) in base_period; projected_patients = the demand projection "
    "(zaitaku project) of the year; projected_per_billing_facility = projected_patients ÷ "
    "billing_houmon_shinryo; stated_capacity = the sum of 訪問診療の実施可能件数 the facilities "
    "of the area answered in the prefecture's newest survey (survey_as_of), as the survey asked "
    "it — not a count of patients per year, so set it beside the projection, do not divide; "
    "municipalities_without_hub = base units (市町村, 政令市の区) that no "
    "在宅医療に必要な連携を担う拠点 serves (names in municipalities_without_hub_names; "
    "null where no hub list is ingested)."
)
SUPPRESSION_NOTE = (
    "Patient figures are the published ones (claims_by_area and projection_by_area with the NDB "
    "rule): a suppressed or withheld cell is null with its *_suppressed flag, and a ratio over "
    "it is null. Facility counts, capacities and municipality counts are not suppressed."
)
FACILITIES_NOTE = (
    "One row per area and category of the latest bureau list: registered facilities, of which "
    "billing 訪問診療 / 往診 / 看取り in the period (by 医療機関コード), inactive (no 訪問診療 and "
    "no 往診 line in the period: registered but inactive, named in `zaitaku candidates`), and "
    "registered_after_period (notification starting after it). Null where the claims hold no "
    "resident of the prefecture. KDB: 国保・後期高齢者のみ."
)
HUBS_NOTE = (
    "One row per base unit (市町村, 特別区, 政令市の区) of the prefectures with an ingested hub "
    "list: the hubs (在宅医療に必要な連携を担う拠点) whose 事業区域 names it (or its 政令市), "
    "served = false where none."
)


@dataclass(frozen=True)
class SupplyChoice:
    """Names the set and files of one supply export: `supply_secondary_area`,
    `supply_secondary_area_03`, `supply_municipality_03_base2023_7th` — the projection's
    choices (ProjectionChoice) after the prefecture."""

    level: str
    years: tuple[int, ...] = DEFAULT_YEARS
    base: str | None = None
    plan: str = DEFAULT_PLAN
    pref: str | None = None

    @property
    def suffix(self) -> str:
        projection = ProjectionChoice(
            level=self.level, years=self.years, base=self.base, plan=self.plan
        )
        return (f"_{self.pref}" if self.pref else "") + projection.suffix

    @property
    def set_name(self) -> str:
        return f"supply_{level_key(self.level)}{self.suffix}"

    def stem(self, kind: str) -> str:
        return f"{kind}_by_{level_key(self.level)}{self.suffix}"


@dataclass
class Supply:
    table: pa.Table  # supply_by_<level>
    facilities: pa.Table  # supply_facilities_by_<level>
    hubs: pa.Table | None  # hub_coverage_by_<level>, None without any hub list
    base_period: str | None
    metadata: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass
class SupplyResult:
    supply: Supply
    choice: SupplyChoice
    folder: Path
    outputs: list[Path] = field(default_factory=list)
    manifest: Path | None = None


def build_supply_by_area(
    wh: Warehouse,
    *,
    level: str,
    plan: str = DEFAULT_PLAN,
    years: tuple[int, ...] = DEFAULT_YEARS,
    base: str | None = None,
    pref: str | None = None,
) -> Supply:
    """Supply against demand per area at `level` (and the per-category and hub tables).

    `base` is the fiscal year of activity and of the projection's usage rates (default: the
    latest with claims for all 12 months); `pref` keeps one prefecture. Works without claims
    (no activity, patients or projection: said in the warnings) and without survey or hubs.
    """
    ExportChoice(level=level, plan=plan)  # checks level and plan
    if pref is not None:
        prefecture_name(pref)  # a code of no 都道府県 is refused before any work
    years = check_years(years)
    warnings: list[str] = []
    facilities = build_facilities_by_area(wh, level=level, plan=plan)
    has_claims = bool(wh.count_rows("claim_lines"))
    if not facilities.num_rows and not has_claims:
        raise SnapshotNotFound(
            "the warehouse {path} holds no facility list, count table or claims yet: "
            "run `zaitaku ingest …` first",
            path=wh.path,
        )
    base_period: str | None = None
    projection_table: pa.Table | None = None
    # without claim lines: the claims output's own columns, no rows
    claims = build_claims_by_area(wh, level=level, plan=plan, period="fiscal-year")
    if has_claims:
        base_period, _months, period_warnings = choose_base_period(wh, base)
        warnings += period_warnings
        projection = build_projection(
            wh,
            level=level,
            indicator=INDICATOR,
            years=years,
            base=base_period,
            plan=plan,
            claims=claims,
        )
        warnings += [w for w in projection.warnings if w not in warnings]
        projection_table = projection.table
    else:
        warnings.append(
            t(
                "no claim lines ingested: no billing facilities, patients or projection "
                "(`zaitaku ingest claims` first)"
            )
        )

    prepare_facility_roster(wh, level=level, plan=plan, period=base_period)
    supply_facilities = polars_frame(
        wh.arrow("marts/supply_facilities_by_area", {"level": level})
    ).with_columns(pl.lit(base_period, dtype=pl.String).alias("period"))
    wh.materialize("staging/stg_survey_responses")
    wh.materialize("marts/survey_by_area", {"level": level})
    wh.materialize("marts/hub_coverage", {"level": level})
    hub_links = polars_frame(wh.arrow("marts/hub_coverage", {"level": level}))

    inputs = {
        "supply_facilities_input": facilities,
        "supply_claims_input": claims.table,
        "supply_projection_input": (
            projection_table if projection_table is not None else _empty_projection()
        ),
    }
    with wh.inputs(**inputs):
        table = polars_frame(
            wh.arrow(
                "marts/supply_by_area",
                {"level": level, "base_period": base_period or "", "pref": pref},
            )
        )

    hubs = _hub_table(hub_links)
    table = _with_uncovered_names(table, hubs)
    if pref is not None:
        supply_facilities = supply_facilities.filter(pl.col("pref_code") == pref)
        hubs = hubs.filter(pl.col("pref_code") == pref) if hubs is not None else None
    warnings += _input_warnings(table, hubs)
    metadata: dict[str, Any] = {
        "supply": SUPPLY_NOTE,
        "suppression": SUPPRESSION_NOTE,
        "coverage": COVERAGE,
        "level": level,
        "plan": plan,
        "base_period": base_period,
        "indicator": INDICATOR,
        "years": list(years),
        "pref_code": pref,
        "rows": table.height,
    }
    return Supply(
        table=table.with_columns(pl.lit(COVERAGE).alias("coverage")).to_arrow(),
        facilities=supply_facilities.to_arrow(),
        hubs=hubs.to_arrow() if hubs is not None else None,
        base_period=base_period,
        metadata=metadata,
        warnings=warnings,
    )


def _empty_projection() -> pa.Table:
    return pa.schema(
        [
            ("area_code", pa.string()),
            ("area_name", pa.string()),
            ("year", pa.int32()),
            ("age_group", pa.string()),
            ("projected_patients", pa.float64()),
            ("status", pa.string()),
            ("reason", pa.string()),
            ("suppressed", pa.bool_()),
        ]
    ).empty_table()


def _hub_table(links: pl.DataFrame) -> pl.DataFrame | None:
    """One row per base unit: the hubs serving it, joined by '、' (no list aggregation in SQL)."""
    if links.is_empty():
        return None
    return (
        links.group_by("area_code", "area_name", "pref_code", "unit_code5", "name")
        .agg(
            pl.col("hub_name").drop_nulls().sort().str.join("、").alias("hubs"),
            pl.col("hub_name").drop_nulls().n_unique().alias("hub_count"),
        )
        .with_columns(
            (pl.col("hub_count") > 0).alias("served"),
            pl.when(pl.col("hubs") != "").then(pl.col("hubs")).alias("hubs"),
        )
        .rename({"unit_code5": "code5", "name": "municipality_name"})
        .select(
            "area_code",
            "area_name",
            "pref_code",
            "code5",
            "municipality_name",
            "served",
            pl.col("hub_count").cast(pl.Int64),
            "hubs",
        )
        .sort("area_code", "code5")
    )


def _with_uncovered_names(table: pl.DataFrame, hubs: pl.DataFrame | None) -> pl.DataFrame:
    column = "municipalities_without_hub_names"
    if hubs is None:
        return table.with_columns(pl.lit(None, dtype=pl.String).alias(column))
    names = (
        hubs.filter(~pl.col("served"))
        .sort("code5")
        .group_by("area_code")
        .agg(pl.col("municipality_name").str.join("、").alias(column))
    )
    out = table.join(names, on="area_code", how="left", maintain_order="left")
    # an area of a prefecture with a hub list whose every unit is served: '' is not 'unknown'
    return out.with_columns(
        pl.when(pl.col("hub_municipalities").is_not_null())
        .then(pl.col(column).fill_null(""))
        .alias(column)
    )


def _input_warnings(table: pl.DataFrame, hubs: pl.DataFrame | None) -> list[str]:
    warnings = []
    prefs = sorted(table["pref_code"].unique().to_list())
    no_survey = sorted(
        table.filter(pl.col("survey_answers").is_null())["pref_code"].unique().to_list()
    )
    if no_survey:
        warnings.append(
            t(
                "no facility survey ingested for {prefs}: stated_capacity is empty "
                "(`zaitaku ingest survey`)",
                prefs=join(no_survey),
            )
        )
    with_hubs = set(hubs["pref_code"].to_list()) if hubs is not None else set()
    no_hubs = [p for p in prefs if p not in with_hubs]
    if no_hubs:
        warnings.append(
            t(
                "no hub list ingested for {prefs}: the municipalities no 連携拠点 serves are not "
                "known (`zaitaku ingest hubs`)",
                prefs=join(no_hubs),
            )
        )
    count_only = table.filter(pl.col("facilities_source") == "count_table")
    if count_only.height:
        areas = count_only.select("area_code", "area_name").unique().sort("area_code")
        shown = join(f"{c} {n}" for c, n in areas.head(5).rows())
        warnings.append(
            t(
                "{count} areas have registered facilities from a count table only ({areas}): "
                "their facilities cannot be set against claims one by one",
                count=areas.height,
                areas=shown,
            )
        )
    return warnings


def supply(
    wh: Warehouse,
    *,
    level: str,
    out_dir: Path,
    plan: str = DEFAULT_PLAN,
    years: tuple[int, ...] = DEFAULT_YEARS,
    base: str | None = None,
    pref: str | None = None,
    csv_encoding: str = "utf-8-sig",
    xlsx: bool = False,
) -> SupplyResult:
    """build_supply_by_area, published as one output set `OUT/supply_<level>…/`."""
    years = check_years(years)
    built = build_supply_by_area(wh, level=level, plan=plan, years=years, base=base, pref=pref)
    choice = SupplyChoice(
        level=level,
        years=years,
        base=built.base_period if base is not None else None,
        plan=plan,
        pref=pref,
    )
    result = SupplyResult(supply=built, choice=choice, folder=out_dir)
    with output_set(out_dir, choice.set_name) as files:
        result.outputs += files.write_table(
            built.table,
            choice.stem("supply"),
            metadata=built.metadata,
            csv_encoding=csv_encoding,
            suppress_flags=SUPPLY_SUPPRESS_FLAGS,
        )
        result.outputs += files.write_table(
            built.facilities,
            choice.stem("supply_facilities"),
            metadata={**built.metadata, "supply": FACILITIES_NOTE},
            csv_encoding=csv_encoding,
        )
        if built.hubs is not None:
            result.outputs += files.write_table(
                built.hubs,
                choice.stem("hub_coverage"),
                metadata={**built.metadata, "supply": HUBS_NOTE},
                csv_encoding=csv_encoding,
            )
        manifest = set_manifest(
            wh,
            files,
            reference=(
                "juri_kigo.csv",
                "claim_codes.csv",
                "secondary_areas.csv",
                "municipalities.csv",
                "population_projection.csv",
            ),
            warnings=built.warnings,
            level=level,
            plan=plan,
            pref_code=pref,
            base_period=built.base_period,
            years=list(years),
            suppression="ndb (the published claims and projection cells)",
            coverage=COVERAGE,
        )
        if xlsx:
            result.outputs.append(files.write_workbook(f"{choice.set_name}.xlsx", manifest))
            manifest["outputs"] = list(files.entries)
        result.manifest = files.write_json(f"manifest_{choice.set_name}.json", manifest)
        wh.log_export(level, manifest)
    result.folder = out_dir / choice.set_name
    return result
