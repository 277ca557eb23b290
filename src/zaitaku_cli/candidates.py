"""`zaitaku candidates`: per 二次医療圏, the facilities that could take the 在宅医療において積極的
役割を担う医療機関 role (seed 004; seed 001 ④: a main facility and two backups per area), with
what they billed, and the registered-but-inactive listing.

Candidates are the 機能強化型 在宅療養支援診療所・病院 (支援診1/2, 支援病1/2) and the
在宅療養後方支援病院 (在後病) of the latest bureau list. R8 splits 支援診2 into 2ア (paid as
機能強化型) and 2イ (ordinary 在支診 rates, 24h 往診 through the network): 2イ facilities are
listed but not counted towards the three; a 支援診2 printed without ア/イ after R8 is counted,
with kyoka_rate unknown.
An area is flagged when it has none, or fewer than three (a main and two backups).

The registered-but-inactive listing: facilities holding 在支診/在支病 (any tier) with no 訪問診療
and no 往診 line in the period — within the claims' coverage: KDB holds 国保 and 後期 claims
only, so "no claims" means none in KDB. It lives in this output set because it is, like the
candidates, a list of named facilities of one prefecture for the same discussion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from zaitaku_cli.choices import DEFAULT_PLAN, PLANS, check_choice
from zaitaku_cli.errors import SnapshotNotFound
from zaitaku_cli.facility_activity import (
    LISTING_SUPPRESS_FLAGS,
    prepare_facility_roster,
    suppress_listing,
)
from zaitaku_cli.frames import polars_frame
from zaitaku_cli.i18n import join, t
from zaitaku_cli.output_metadata import COVERAGE
from zaitaku_cli.output_sets import output_set, set_manifest
from zaitaku_cli.projection import ProjectionChoice, choose_base_period
from zaitaku_cli.reference import categories, prefecture_name
from zaitaku_cli.warehouse import Warehouse

__all__ = [
    "CANDIDATE_CATEGORIES",
    "Candidates",
    "CandidatesChoice",
    "CandidatesResult",
    "build_candidates",
    "candidates",
]

KYOKA_CATEGORIES = ("shienshin_tandoku", "shienshin_renkei", "shienbyo_tandoku", "shienbyo_renkei")
CANDIDATE_CATEGORIES = (*KYOKA_CATEGORIES, "zaigobyo")
SHIEN_CATEGORIES = (
    "shienshin_tandoku",
    "shienshin_renkei",
    "shienshin_jurai",
    "shienbyo_tandoku",
    "shienbyo_renkei",
    "shienbyo_jurai",
)
# who and where a facility is, in the order of the listings (category_ja is added beside category)
FACILITY_COLUMNS = (
    "area_code",
    "area_name",
    "code5",
    "municipality_name",
    "facility_code10",
    "facility_name",
    "address",
    "category",
    "category_ja",
    "label",
)
# a main facility and two backups (seed 001 ④: 必ず副医療機関を２つ同時に選定)
NEEDED = 3

STATUS_JA = {
    "none": "該当なし",
    "fewer_than_three": "主＋副2に満たない",
    "ok": "",
}

CANDIDATES_NOTE = (
    "candidates = facilities on the latest bureau list holding 支援診1, 支援診2 "
    "(2ア/2イ from R8), 支援病1, 支援病2 (機能強化型 在宅療養支援診療所・病院) or 在後病 "
    "(在宅療養後方支援病院). counted = false for R8 支援診2イ (not paid as 機能強化型). "
    "An area's status: none (no counted candidate), fewer_than_three (1–2: fewer than a "
    "main and two backups), ok (3 or more)."
)
ACTIVITY_NOTE = (
    "houmon_patients / oushin_patients / mitori_patients = distinct patients the facility "
    "billed 訪問診療 / 往診 / 看取り (看取り加算・死亡診断加算) in the period; "
    "oushin_count = 往診 算定回数. By 医療機関コード, wherever the patient lives. "
    "KDB holds 国保・後期 claims only."
)
SUPPRESSION_NOTE = (
    "NDB rule per area and measure across the listed facilities: 1–9 withheld (null, '-'); where "
    "that leaves one hidden cell — counting the area's other billing facilities as one — the "
    "cells equal to the smallest value ≥ 10 are withheld too. Facility counts are not suppressed."
)
INACTIVE_NOTE = (
    "registered but inactive = holding 在支診 or 在支病 (any tier) on the latest bureau list, with "
    "no 訪問診療 and no 往診 claim line in the period in the claims (KDB: 国保・後期高齢者のみ, so "
    "'none' means none in KDB). Facilities whose notification started after the period are not "
    "listed. Only prefectures whose residents appear in the claims of the period are listed."
)


@dataclass(frozen=True)
class CandidatesChoice:
    """The set name of one candidates export: `candidates_03`, `candidates_03_base2023_7th`."""

    pref: str
    plan: str = DEFAULT_PLAN
    base: str | None = None

    @property
    def suffix(self) -> str:
        choices = ProjectionChoice(level="secondary-area", base=self.base, plan=self.plan)
        return f"_{self.pref}{choices.suffix}"

    @property
    def set_name(self) -> str:
        return f"candidates{self.suffix}"


@dataclass
class Candidates:
    facilities: pa.Table  # one row per candidate facility × category
    areas: pa.Table  # one row per secondary area of the prefecture
    inactive: pa.Table  # registered but inactive
    pref_code: str
    pref_name: str
    base_period: str | None
    list_as_of: Any
    metadata: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass
class CandidatesResult:
    candidates: Candidates
    choice: CandidatesChoice
    folder: Path
    outputs: list[Path] = field(default_factory=list)
    manifest: Path | None = None


def _period(wh: Warehouse, base: str | None) -> tuple[str | None, list[str]]:
    if not wh.count_rows("claim_lines"):
        return None, [
            t(
                "no claim lines ingested: the listing shows no activity and no registered-but-"
                "inactive facilities (`zaitaku ingest claims` first)"
            )
        ]
    period, _months, warnings = choose_base_period(wh, base)
    return period, warnings


def build_candidates(
    wh: Warehouse, *, pref: str, plan: str = DEFAULT_PLAN, base: str | None = None
) -> Candidates:
    """The candidates, their areas and the registered-but-inactive facilities of prefecture
    `pref` per 二次医療圏 of `plan`, activity of fiscal year `base` (default: the latest with
    claims for all 12 months), suppressed for publication."""
    check_choice("--plan", plan, PLANS)
    pref_name = prefecture_name(pref)
    period, warnings = _period(wh, base)
    prepare_facility_roster(wh, level="secondary-area", plan=plan, period=period)
    roster = polars_frame(wh.read("facility_roster", where={"pref_code": pref}))
    if roster.is_empty():
        raise SnapshotNotFound(
            "no bureau list of {pref_name} ({pref}) is ingested: candidates are named from the "
            "届出受理医療機関名簿 (`zaitaku ingest facilities`)",
            pref_name=pref_name,
            pref=pref,
        )
    places = polars_frame(wh.read("facility_activity_places"))
    covered = bool(roster["claims_cover_pref"].any())
    if period is not None and not covered:
        warnings.append(
            t(
                "the claims of {period} hold no resident of {pref_name}: no activity and no "
                "registered-but-inactive facilities can be shown",
                period=period,
                pref_name=pref_name,
            )
        )
    if not covered:
        roster = roster.with_columns(
            pl.lit(None, dtype=pl.Int64).alias(c) for c in LISTING_SUPPRESS_FLAGS
        )
    names = dict(categories().select("category", "short_ja").iter_rows())
    wh.materialize("staging/stg_survey_responses")
    survey = polars_frame(
        wh.read(
            "stg_survey_responses",
            ["facility_code10", "capacity", "intention", "as_of"],
            where={"pref_code": pref},
        )
    )

    listing = roster.filter(pl.col("category").is_in(CANDIDATE_CATEGORIES)).with_columns(
        pl.col("category").replace_strict(names, default=None).alias("category_ja"),
        ((pl.col("category") == "zaigobyo") | pl.col("kyoka_rate").fill_null(True)).alias(
            "counted"
        ),
        # a count of institutions, not persons: kept whatever the patients' suppression
        (pl.col("houmon_patients") > 0).alias("bills_houmon_shinryo"),
    )
    listing = suppress_listing(listing, places) if covered else _unsuppressed(listing)
    listing = _with_survey(listing, survey)
    facilities_table = listing.select(
        *FACILITY_COLUMNS,
        "kyoka_rate",
        "counted",
        "start_date",
        pl.lit(period, dtype=pl.String).alias("period"),
        "bills_houmon_shinryo",
        *LISTING_SUPPRESS_FLAGS,
        "survey_capacity",
        "survey_intention",
        pl.col("as_of").alias("list_as_of"),
        *LISTING_SUPPRESS_FLAGS.values(),
        pl.lit(COVERAGE).alias("coverage"),
    ).sort("area_code", "category", "facility_code10")

    areas = _areas(wh, pref, listing)
    inactive = _inactive(roster, names, period, covered, warnings)
    list_as_of = roster["as_of"].max()
    metadata: dict[str, Any] = {
        "candidates": CANDIDATES_NOTE,
        "activity": ACTIVITY_NOTE,
        "suppression": SUPPRESSION_NOTE,
        "inactive": INACTIVE_NOTE,
        "coverage": COVERAGE,
        "pref_code": pref,
        "plan": plan,
        "period": period,
        "list_as_of": str(list_as_of),
    }
    none = areas.filter(pl.col("status") == "none")["area_name"].to_list()
    few = areas.filter(pl.col("status") == "fewer_than_three")["area_name"].to_list()
    if none:
        warnings.append(
            t("{count} areas have no candidate: {areas}", count=len(none), areas=join(none))
        )
    if few:
        warnings.append(
            t(
                "{count} areas have fewer than a main and two backup candidates: {areas}",
                count=len(few),
                areas=join(few),
            )
        )
    return Candidates(
        facilities=facilities_table.to_arrow(),
        areas=areas.to_arrow(),
        inactive=inactive.to_arrow(),
        pref_code=pref,
        pref_name=pref_name,
        base_period=period,
        list_as_of=list_as_of,
        metadata=metadata,
        warnings=warnings,
    )


def _unsuppressed(listing: pl.DataFrame) -> pl.DataFrame:
    """No claims to tell: activity null, nothing suppressed."""
    return listing.with_columns(
        pl.lit(False).alias(flag) for flag in LISTING_SUPPRESS_FLAGS.values()
    )


def _with_survey(listing: pl.DataFrame, survey: pl.DataFrame | None) -> pl.DataFrame:
    if survey is None or survey.is_empty():
        return listing.with_columns(
            pl.lit(None, dtype=pl.Int64).alias("survey_capacity"),
            pl.lit(None, dtype=pl.String).alias("survey_intention"),
        )
    return listing.join(
        survey.select(
            "facility_code10",
            pl.col("capacity").alias("survey_capacity"),
            pl.col("intention").alias("survey_intention"),
        ),
        on="facility_code10",
        how="left",
        maintain_order="left",
    )


def _areas(wh: Warehouse, pref: str, listing: pl.DataFrame) -> pl.DataFrame:
    """Every secondary area of the prefecture with its candidates counted and its status."""
    grid = polars_frame(wh.arrow("marts/candidate_areas", {"pref": pref}))
    counted = listing.filter(pl.col("counted"))
    per_area = listing.group_by("area_code").agg(
        pl.col("facility_code10").filter(pl.col("counted")).n_unique().alias("candidates"),
        pl.col("facility_code10")
        .filter(pl.col("counted") & pl.col("category").str.starts_with("shienbyo"))
        .n_unique()
        .alias("kyoka_hospitals"),
        pl.col("facility_code10")
        .filter(pl.col("counted") & pl.col("category").str.starts_with("shienshin"))
        .n_unique()
        .alias("kyoka_clinics"),
        pl.col("facility_code10")
        .filter(pl.col("category") == "zaigobyo")
        .n_unique()
        .alias("backup_hospitals"),
        pl.col("facility_code10").filter(~pl.col("counted")).n_unique().alias("not_counted"),
    )
    billing = (
        counted.filter(pl.col("bills_houmon_shinryo").fill_null(False))
        .group_by("area_code")
        .agg(pl.col("facility_code10").n_unique().alias("candidates_billing_houmon_shinryo"))
    )
    out = grid.join(per_area, on="area_code", how="full", coalesce=True).join(
        billing, on="area_code", how="left"
    )
    zero = ["candidates", "kyoka_hospitals", "kyoka_clinics", "backup_hospitals", "not_counted"]
    out = out.with_columns(pl.col(c).fill_null(0).cast(pl.Int64) for c in zero)
    if listing["bills_houmon_shinryo"].null_count() == listing.height:
        # no claims to tell: unknown, not 0
        out = out.with_columns(
            pl.lit(None, dtype=pl.Int64).alias("candidates_billing_houmon_shinryo")
        )
    else:
        out = out.with_columns(
            pl.col("candidates_billing_houmon_shinryo").fill_null(0).cast(pl.Int64)
        )
    status = (
        pl.when(pl.col("candidates") == 0)
        .then(pl.lit("none"))
        .when(pl.col("candidates") < NEEDED)
        .then(pl.lit("fewer_than_three"))
        .otherwise(pl.lit("ok"))
    )
    return (
        out.with_columns(status.alias("status"))
        .with_columns(pl.col("status").replace_strict(STATUS_JA).alias("status_ja"))
        .sort("area_code")
    )


def _inactive(
    roster: pl.DataFrame,
    names: dict[str, str],
    period: str | None,
    covered: bool,
    warnings: list[str],
) -> pl.DataFrame:
    shien = roster.filter(pl.col("category").is_in(SHIEN_CATEGORIES))
    quiet = shien.filter(
        pl.lit(covered) & (pl.col("houmon_patients") == 0) & (pl.col("oushin_patients") == 0)
    )
    later = quiet.filter(pl.col("registered_after_period"))
    if later.height:
        warnings.append(
            t(
                "{count} 在支診/在支病 without 訪問診療 or 往診 in {period} started after the "
                "period and are not listed as inactive",
                count=later.height,
                period=period,
            )
        )
    listed = quiet.filter(~pl.col("registered_after_period"))
    if covered and listed.height:
        warnings.append(
            t(
                "{count} of {total} 在支診/在支病 had no 訪問診療 or 往診 claim in {period} "
                "(in KDB: 国保・後期 only)",
                count=listed.height,
                total=shien["facility_code10"].n_unique(),
                period=period,
            )
        )
    return (
        listed.with_columns(
            pl.col("category").replace_strict(names, default=None).alias("category_ja")
        )
        .select(
            *FACILITY_COLUMNS,
            "start_date",
            pl.lit(period, dtype=pl.String).alias("period"),
            "mitori_patients",
            pl.col("as_of").alias("list_as_of"),
            pl.lit(COVERAGE).alias("coverage"),
        )
        .sort("area_code", "facility_code10")
    )


def candidates(
    wh: Warehouse,
    *,
    pref: str,
    out_dir: Path,
    plan: str = DEFAULT_PLAN,
    base: str | None = None,
    csv_encoding: str = "utf-8-sig",
) -> CandidatesResult:
    """build_candidates, published as one output set `OUT/candidates_<pref>/`."""
    built = build_candidates(wh, pref=pref, plan=plan, base=base)
    choice = CandidatesChoice(
        pref=pref, plan=plan, base=built.base_period if base is not None else None
    )
    result = CandidatesResult(candidates=built, choice=choice, folder=out_dir)
    with output_set(out_dir, choice.set_name) as files:
        for table, kind, by, flags in (
            (built.facilities, "candidates", "facility", LISTING_SUPPRESS_FLAGS),
            (built.areas, "candidate_areas", "secondary_area", None),
            (built.inactive, "inactive", "facility", None),
        ):
            result.outputs += files.write_table(
                table,
                f"{kind}_by_{by}{choice.suffix}",
                metadata=built.metadata,
                csv_encoding=csv_encoding,
                suppress_flags=flags,
            )
        manifest = set_manifest(
            wh,
            files,
            reference=("juri_kigo.csv", "secondary_areas.csv", "claim_codes.csv"),
            warnings=built.warnings,
            pref_code=pref,
            plan=plan,
            period=built.base_period,
            list_as_of=str(built.list_as_of),
            suppression="ndb (per area and measure, see metadata)",
            coverage=COVERAGE,
        )
        result.manifest = files.write_json(f"manifest_{choice.set_name}.json", manifest)
        wh.log_export("candidates", manifest)
    result.folder = out_dir / choice.set_name
    return result
