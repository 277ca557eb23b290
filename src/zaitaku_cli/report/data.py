"""The tables a report shows, each from one small function over the warehouse's own outputs.

Every figure on the page comes from build_facilities_by_area / build_claims_by_area (and, once
they exist, the rates, projection and supply builders) exactly as `aggregate` publishes it:
suppressed cells stay null with their flags, nothing is summed or derived here.
A section whose builder is not part of this zaitaku raises SectionUnavailable, and the page
shows the reason instead of the section.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from zaitaku_cli.aggregate import build_facilities_by_area
from zaitaku_cli.claims_aggregate import build_claims_by_area
from zaitaku_cli.errors import SnapshotNotFound
from zaitaku_cli.i18n import N_, t
from zaitaku_cli.reference import prefecture_name
from zaitaku_cli.warehouse import Warehouse

__all__ = [
    "ReportData",
    "SectionUnavailable",
    "latest_fiscal_year",
    "load_report_data",
    "municipality_areas",
    "projection_table",
    "rates_table",
    "supply_table",
]

# The facility list analysts cite is the bureau list (whole prefecture); a prefecture's own
# count table is used only where no list was ingested (it may cover only some municipalities).
SOURCE_ORDER = ("bureau_list", "count_table")


class SectionUnavailable(Exception):
    """A section cannot be shown with this zaitaku or these data; the message says why."""


@dataclass
class ReportData:
    """The warehouse's outputs for one prefecture, at the report's summary level and per
    municipality, computed once and shared by every section."""

    wh: Warehouse
    pref_code: str
    pref_name: str
    level: str
    plan: str
    facilities_level: pl.DataFrame
    facilities_municipality: pl.DataFrame
    facilities_pref: pl.DataFrame
    claims_level: pl.DataFrame | None
    claims_pref: pl.DataFrame | None
    claims_municipality: pl.DataFrame | None
    claims_monthly_pref: pl.DataFrame | None
    claims_monthly_level: pl.DataFrame | None
    areas: pl.DataFrame  # municipality_code → secondary_area_code (report_municipality_areas)
    warnings: list[str] = field(default_factory=list)

    @property
    def facility_source(self) -> tuple[str, str | None]:
        """(source, as-of) of the facility figures shown."""
        frame = self.facilities_level
        if frame.is_empty():
            return ("", None)
        row = frame.row(0, named=True)
        return (row["source"], row["as_of"].isoformat() if row["as_of"] else None)


def _for_pref(frame: pl.DataFrame, pref_code: str) -> pl.DataFrame:
    # area codes of every level start with the prefecture code (05-北秋田 included)
    return frame.filter(pl.col("area_code").str.starts_with(pref_code))


def _one_source(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows of the preferred facility source (bureau list, else count table), latest date."""
    for source in SOURCE_ORDER:
        part = frame.filter(pl.col("source") == source)
        if not part.is_empty():
            latest = part["as_of"].max()
            if latest is None:
                return part
            return part.filter(pl.col("as_of") == latest)
    return frame.clear()


def _facilities(wh: Warehouse, *, level: str, plan: str, pref_code: str) -> pl.DataFrame:
    table = build_facilities_by_area(wh, level=level, plan=plan)
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return _one_source(_for_pref(frame, pref_code))


def _claims(
    wh: Warehouse, *, level: str, plan: str, period: str, pref_code: str
) -> pl.DataFrame | None:
    result = build_claims_by_area(wh, level=level, plan=plan, period=period, suppress=True)
    if result.empty:
        return None
    frame = pl.from_arrow(result.table)
    assert isinstance(frame, pl.DataFrame)
    frame = _for_pref(frame, pref_code)
    return None if frame.is_empty() else frame


def municipality_areas(wh: Warehouse, *, pref_code: str, plan: str) -> pl.DataFrame:
    """Each municipality of the prefecture with its 二次医療圏 (null for a 政令市 split over
    several areas), from sql/marts/report_municipality_areas.sql."""
    wh.materialize("staging/stg_area_units", {"plan": plan})
    frame = pl.from_arrow(wh.arrow("marts/report_municipality_areas", {"pref": pref_code}))
    assert isinstance(frame, pl.DataFrame)
    return frame


def load_report_data(wh: Warehouse, *, pref_code: str, level: str, plan: str) -> ReportData:
    """Everything the report shows for `pref_code`, with the suppression of the public outputs.

    Raises SnapshotNotFound when the warehouse holds neither a facility list nor claims of
    that prefecture: an empty report would look like a prefecture without home care.
    """
    pref_name = prefecture_name(pref_code)
    has_claims = bool(wh.count_rows("claim_lines"))
    facilities_level = _facilities(wh, level=level, plan=plan, pref_code=pref_code)
    facilities_municipality = _facilities(wh, level="municipality", plan=plan, pref_code=pref_code)
    facilities_pref = (
        facilities_level
        if level == "prefecture"
        else _facilities(wh, level="prefecture", plan=plan, pref_code=pref_code)
    )
    claims: dict[tuple[str, str], pl.DataFrame | None] = {}
    for lvl, period in (
        (level, "fiscal-year"),
        ("prefecture", "fiscal-year"),
        ("municipality", "fiscal-year"),
        ("prefecture", "month"),
        (level, "month"),
    ):
        if (lvl, period) not in claims:
            claims[(lvl, period)] = (
                _claims(wh, level=lvl, plan=plan, period=period, pref_code=pref_code)
                if has_claims
                else None
            )
    if facilities_level.is_empty() and claims[(level, "fiscal-year")] is None:
        raise SnapshotNotFound(
            "the warehouse {path} holds no facility list, count table or claims of "
            "{pref_name} ({pref}): ingest them first (`zaitaku ingest facilities …`, "
            "`zaitaku ingest claims …`)",
            path=wh.path,
            pref_name=pref_name,
            pref=pref_code,
        )
    data = ReportData(
        wh=wh,
        pref_code=pref_code,
        pref_name=pref_name,
        level=level,
        plan=plan,
        facilities_level=facilities_level,
        facilities_municipality=facilities_municipality,
        facilities_pref=facilities_pref,
        claims_level=claims[(level, "fiscal-year")],
        claims_pref=claims[("prefecture", "fiscal-year")],
        claims_municipality=claims[("municipality", "fiscal-year")],
        claims_monthly_pref=claims[("prefecture", "month")],
        claims_monthly_level=claims[(level, "month")],
        areas=municipality_areas(wh, pref_code=pref_code, plan=plan),
    )
    if facilities_level.is_empty():
        data.warnings.append(
            t(
                "no facility list or count table of {pref_name}: the report shows claims only",
                pref_name=pref_name,
            )
        )
    elif data.facility_source[0] == "count_table":
        data.warnings.append(
            t(
                "no bureau list of {pref_name}: facilities come from the prefecture's count "
                "table, which may list only some municipalities",
                pref_name=pref_name,
            )
        )
    if data.claims_level is None:
        data.warnings.append(
            t("no claims of {pref_name}: the report shows facilities only", pref_name=pref_name)
        )
    return data


def latest_fiscal_year(claims: pl.DataFrame) -> str:
    """The latest FY label in a fiscal-year claims table (FY2024 > FY2023)."""
    return str(claims["period"].max())


def months_in(monthly: pl.DataFrame | None, fiscal_year: str) -> int:
    """How many service months of `fiscal_year` the monthly claims hold (12 = complete)."""
    if monthly is None:
        return 0
    year = int(fiscal_year.removeprefix("FY"))
    months = set(monthly["period"].unique().to_list())
    return sum(1 for m in range(12) if f"{year + (3 + m) // 12}-{(3 + m) % 12 + 1:02d}" in months)


# -- sections that plug in when their builders land (issue 8) -----------------------------------


def _builder(module: str, name: str, what: str) -> Any:
    """The builder `module.name`, or SectionUnavailable naming what is missing."""
    try:
        found = importlib.import_module(f"zaitaku_cli.{module}")
    except ModuleNotFoundError as exc:
        if exc.name != f"zaitaku_cli.{module}":
            raise
        raise SectionUnavailable(
            t(
                "{what} is not part of this zaitaku yet ({builder})",
                what=t(what),
                builder=f"zaitaku_cli.{module}.{name}",
            )
        ) from exc
    builder = getattr(found, name, None)
    if builder is None:
        raise SectionUnavailable(
            t(
                "{what}: {module} has no {name}",
                what=t(what),
                module=f"zaitaku_cli.{module}",
                name=name,
            )
        )
    return builder


def rates_table(data: ReportData) -> pl.DataFrame:
    """rates_by_<municipality> of this prefecture (issue 8 §2), suppression as published."""
    build = _builder("rates", "build_rates_by_area", N_("rates per population (rates_by_<level>)"))
    facilities = (
        data.facilities_municipality.to_arrow() if data.facilities_municipality.height else None
    )
    claims = data.claims_municipality.to_arrow() if data.claims_municipality is not None else None
    result = build(
        data.wh, level="municipality", plan=data.plan, facilities=facilities, claims=claims
    )
    frame = pl.from_arrow(result.table)
    assert isinstance(frame, pl.DataFrame)
    data.warnings += list(getattr(result, "warnings", []))
    return _for_pref(frame, data.pref_code)


@dataclass
class ProjectionData:
    table: pl.DataFrame
    base_period: str
    base_year: int


def projection_table(data: ReportData, indicator: str = "houmon_shinryo") -> ProjectionData:
    """projection_by_<level> of this prefecture to 2050 (issue 8 §3)."""
    build = _builder(
        "projection", "build_projection", N_("the demand projection (zaitaku project)")
    )
    if data.claims_level is None:
        raise SectionUnavailable(t("the demand projection needs claims, and there are none"))
    result = build(
        data.wh,
        level=data.level,
        indicator=indicator,
        years=(2025, 2030, 2035, 2040, 2045, 2050),
        plan=data.plan,
        suppress=True,
    )
    frame = pl.from_arrow(result.table)
    assert isinstance(frame, pl.DataFrame)
    data.warnings += list(getattr(result, "warnings", []))
    return ProjectionData(
        table=_for_pref(frame, data.pref_code),
        base_period=str(result.base_period),
        base_year=int(result.base_year),
    )


def supply_table(data: ReportData) -> pl.DataFrame:
    """supply_by_<level> of this prefecture (issue 8 §4), as `zaitaku supply --pref` writes it."""
    build = _builder("supply", "build_supply_by_area", N_("supply against demand (zaitaku supply)"))
    result = build(data.wh, level=data.level, plan=data.plan, pref=data.pref_code)
    table = getattr(result, "table", result)
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    data.warnings += [w for w in getattr(result, "warnings", []) if w not in data.warnings]
    return _for_pref(frame, data.pref_code)
