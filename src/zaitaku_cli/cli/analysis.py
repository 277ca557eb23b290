"""`zaitaku project`, `supply` and `candidates`: future demand per area from today's usage rates
and the 社人研 projection, set against the facilities that supply it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from zaitaku_cli.choices import DEFAULT_PLAN_OPTION, Level, Plan
from zaitaku_cli.cli.common import (
    MAX_TABLE_ROWS,
    CsvEncoding,
    JsonOpt,
    QuietOpt,
    WarehouseOpt,
    handles_errors,
    parse_pref,
    warehouse_run,
)
from zaitaku_cli.config import resolve_settings
from zaitaku_cli.console import Output, frame_table
from zaitaku_cli.i18n import t

ByOpt = Annotated[
    Level,
    typer.Option("--by", help="municipality, ward, secondary-area (二次医療圏) or prefecture."),
]
YearsOpt = Annotated[
    str,
    typer.Option(
        "--years",
        help="Future years, comma-separated, from the 社人研 2023 projection (2020, 2025 … 2050).",
    ),
]
PlanOpt = Annotated[Plan, typer.Option("--plan", help="Medical plan whose 二次医療圏 to use.")]
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", help="Output folder. Default data/processed.", show_default=False),
]
CsvEncodingOpt = Annotated[
    CsvEncoding,
    typer.Option("--csv-encoding", help="utf-8-sig opens in Japanese Excel; cp932 for old tools."),
]


def _base_option(what: str) -> Any:
    return typer.Option(
        "--base",
        help=f"Fiscal year of {what}, e.g. FY2023. Default: the latest with claims for all 12 "
        "months.",
        show_default=False,
    )


def wrote(out: Output, folder: Path, files: list[Path | None]) -> None:
    """The published set and its files, one per line."""
    out.print(t("Wrote {folder}:", folder=folder))
    for p in files:
        out.print(f"  {p.name if p else p}")


def parse_years(value: str) -> tuple[int, ...]:
    """'2030,2035' → (2030, 2035); anything else is a usage error (exit 2)."""
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if not parts or not all(p.isdigit() for p in parts):
        raise typer.BadParameter(
            t("{value!r} is not a list of years like 2030,2035,2040", value=value),
            param_hint="--years",
        )
    return tuple(int(p) for p in parts)


@handles_errors
def project_cmd(
    by: ByOpt,
    indicator: Annotated[
        str,
        typer.Option(
            "--indicator",
            help="Claims indicator to project (see `zaitaku reference codes`), e.g. "
            "houmon_shinryo (訪問診療), mitori (看取り).",
        ),
    ] = "houmon_shinryo",
    years: YearsOpt = "2030,2035,2040,2045,2050",
    base: Annotated[str | None, _base_option("the usage rates")] = None,
    scenario: Annotated[
        Path | None,
        typer.Option(
            "--scenario",
            help="CSV of 追加的需要 (patients moving out of long-term-care beds): area_code, "
            "year, additional_patients. Shown beside the projection, not mixed into it.",
            exists=True,
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    plan: PlanOpt = DEFAULT_PLAN_OPTION,
    out_dir: OutOpt = None,
    csv_encoding: CsvEncodingOpt = CsvEncoding.utf8_bom,
    no_suppress: Annotated[
        bool,
        typer.Option(
            "--no-suppress",
            help="Project from unsuppressed counts (internal use only; recorded in the output).",
        ),
    ] = False,
    warehouse: WarehouseOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Project patients to future years: the base year's usage rate × projected population.

    For each area and age group (under65, 65to74, 75plus): rate = patients of the base fiscal
    year (residence basis, 実患者数) ÷ the 社人研 2023 population of the projection year nearest
    it (FY2023 → 2025); projected patients = rate × the population of each year; total = the
    sum of the groups. Writes OUT/projection_LEVEL/projection_by_LEVEL.parquet|csv and a
    manifest. A group whose base count is suppressed (1–9, NDB rule) gets no rate and no
    projection, and its area's total is withheld, so that no suppressed count can be
    recovered. Areas without a projected population (the 13 浜通り municipalities, projected
    only as one group) say so in status and reason. Claims cover 国保 and 後期 only: groups
    under 75 are flagged understated.
    """
    from zaitaku_cli.projection import project

    out = Output(quiet=quiet, as_json=as_json)
    settings = resolve_settings(warehouse=warehouse, out_dir=out_dir)
    with warehouse_run(settings.warehouse, "zaitaku project", must_exist=True) as (wh, run):
        result = project(
            wh,
            level=by.value,
            out_dir=settings.out_dir,
            indicator=indicator,
            years=parse_years(years),
            base=base,
            plan=plan.value,
            suppress=not no_suppress,
            scenario=scenario,
            csv_encoding=csv_encoding.value,
        )
        run.outputs = [{"folder": str(result.folder), "files": [p.name for p in result.outputs]}]
        run.warnings = list(result.projection.warnings)
    projection = result.projection
    if out.as_json:
        out.json(
            {
                "level": by.value,
                "indicator": indicator,
                "base_period": projection.base_period,
                "base_population_year": projection.base_year,
                "years": projection.metadata["years"],
                "folder": str(result.folder),
                "outputs": [str(p) for p in result.outputs],
                "manifest": str(result.manifest),
                "rows": projection.table.num_rows,
                "suppression": not no_suppress,
                "warnings": projection.warnings,
            }
        )
        return
    out.print(projection_overview(projection.table, by.value, indicator))
    if _withheld_totals(projection.table):
        # totals withheld for a small under-75 group often leave the 75+ projection publishable
        out.print(projection_overview(projection.table, by.value, indicator, age_group="75plus"))
    if no_suppress:
        out.warn(t("small-cell suppression is OFF: these files are for internal use only."))
    for w in projection.warnings:
        out.warn(w)
    wrote(out, result.folder, [*result.outputs, result.manifest])


def _withheld_totals(table: Any) -> bool:
    import polars as pl

    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    totals = frame.filter(pl.col("age_group") == "total")
    return bool(totals.height) and totals["projected_patients"].null_count() > 0


def projection_overview(table: Any, level: str, indicator: str, *, age_group: str = "total") -> Any:
    """Projected patients of one age group per area and year, '-' where withheld or missing."""
    import polars as pl

    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    totals = frame.filter(pl.col("age_group") == age_group)
    if totals.is_empty():
        return t("projection_by_{level}: no areas", level=level)
    base = t(
        "{period} (population {year})",
        period=totals["base_period"][0],
        year=totals["base_population_year"][0],
    )
    ages = (
        t("all ages")
        if age_group == "total"
        else t("aged 75+")
        if age_group == "75plus"
        else age_group
    )
    title = t(
        "{indicator}: projected patients by {level}, {ages}, base {base} — "
        "国保・後期高齢者のみ (KDB); '-' = withheld or missing (see status)",
        indicator=indicator,
        level=t(level),
        ages=ages,
        base=base,
    )
    years = sorted(set(totals["year"].to_list()))
    rows = []
    for (code, name), part in totals.group_by(["area_code", "area_name"], maintain_order=True):
        by_year = dict(part.select("year", "projected_patients").rows())
        rows.append(
            (
                f"{code} {name}",
                *("-" if by_year.get(y) is None else f"{by_year[y]:,.0f}" for y in years),
            )
        )
    if len(rows) > MAX_TABLE_ROWS:
        return t("{title}: {areas} areas (see the files below)", title=title, areas=len(rows))
    return frame_table(title, [t("area"), *map(str, years)], sorted(rows))


@handles_errors
def supply_cmd(
    by: ByOpt,
    pref: Annotated[
        str | None,
        typer.Option(
            "--pref",
            help="Only this prefecture (都道府県コード, e.g. 03). Default: every prefecture of "
            "the warehouse.",
            show_default=False,
        ),
    ] = None,
    years: YearsOpt = "2030,2035,2040,2045,2050",
    base: Annotated[str | None, _base_option("the activity and of the usage rates")] = None,
    plan: PlanOpt = DEFAULT_PLAN_OPTION,
    out_dir: OutOpt = None,
    csv_encoding: CsvEncodingOpt = CsvEncoding.utf8_bom,
    xlsx: Annotated[
        bool, typer.Option("--xlsx", help="Also write the set as one Excel workbook.")
    ] = False,
    warehouse: WarehouseOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Supply against demand per area: who is registered, who bills, how many patients now and
    to come.

    One row per area and projection year: facilities registered for 在支診 / 在支病 / 在後病 /
    在医総管 (bureau lists, else the count table), facilities billing 訪問診療 / 往診 / 看取り in
    the base year (claims, facility basis), 訪問診療 patients now (residence basis), projected
    patients (all ages and 75+) and per billing facility, the capacity stated in the facility
    survey (`zaitaku ingest survey`) and the municipalities no 連携拠点 serves (`zaitaku ingest
    hubs`). Writes OUT/supply_LEVEL/: supply_by_LEVEL, supply_facilities_by_LEVEL (per category:
    registered, billing, registered but inactive) and hub_coverage_by_LEVEL, with a manifest.
    Patient figures keep the published suppression ('-'); a ratio over a withheld figure is
    empty. Claims cover 国保 and 後期 only (KDB).
    """
    from zaitaku_cli.supply import supply

    out = Output(quiet=quiet, as_json=as_json)
    settings = resolve_settings(warehouse=warehouse, out_dir=out_dir)
    with warehouse_run(settings.warehouse, "zaitaku supply", must_exist=True) as (wh, run):
        result = supply(
            wh,
            level=by.value,
            out_dir=settings.out_dir,
            plan=plan.value,
            years=parse_years(years),
            base=base,
            pref=parse_pref(pref),
            csv_encoding=csv_encoding.value,
            xlsx=xlsx,
        )
        run.outputs = [{"folder": str(result.folder), "files": [p.name for p in result.outputs]}]
        run.warnings = list(result.supply.warnings)
    built = result.supply
    if out.as_json:
        out.json(
            {
                "level": by.value,
                "pref_code": parse_pref(pref),
                "base_period": built.base_period,
                "folder": str(result.folder),
                "outputs": [str(p) for p in result.outputs],
                "manifest": str(result.manifest),
                "rows": built.table.num_rows,
                "warnings": built.warnings,
            }
        )
        return
    out.print(supply_overview(built.table, by.value))
    for w in built.warnings:
        out.warn(w)
    wrote(out, result.folder, [*result.outputs, result.manifest])


def supply_overview(table: Any, level: str) -> Any:
    """One line per area for the last projection year: the figures an analyst reads first."""
    import polars as pl

    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    if frame.is_empty():
        return t("supply_by_{level}: no areas", level=level)
    years = frame["year"].drop_nulls()
    last = int(years.max()) if len(years) else None  # type: ignore[arg-type]
    rows_of = frame.filter(pl.col("year") == last) if last is not None else frame
    base = frame["base_period"].drop_nulls()
    period = str(base[0]) if len(base) else "-"

    def cell(value: Any, digits: int = 0) -> str:
        if value is None:
            return "-"
        return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"

    rows = [
        (
            f"{r['area_code']} {r['area_name']}",
            cell(r["registered_shienshin"]),
            cell(r["registered_shienbyo"]),
            cell(r["billing_houmon_shinryo"]),
            cell(r["patients"]),
            cell(r["projected_patients_75plus"]),
            cell(r["projected_75plus_per_billing_facility"], 1),
            cell(r["stated_capacity"]),
            cell(r["municipalities_without_hub"]),
        )
        for r in rows_of.sort("area_code").iter_rows(named=True)
    ]
    title = t(
        "supply against demand by {level}: activity {period}, projection {year} — "
        "国保・後期高齢者のみ (KDB); '-' = withheld or not available",
        level=t(level),
        period=period,
        year=last or "-",
    )
    if len(rows) > MAX_TABLE_ROWS:
        return t("{title}: {areas} areas (see the files below)", title=title, areas=len(rows))
    headers = [
        t("area"),
        "在支診",
        "在支病",
        t("訪問診療 facilities {period}", period=period),
        t("patients {period}", period=period),
        t("75+ projected {year}", year=last or "-"),
        t("per facility"),
        t("survey capacity"),
        t("no hub"),
    ]
    return frame_table(title, headers, rows)


@handles_errors
def candidates_cmd(
    pref: Annotated[
        str,
        typer.Option("--pref", help="都道府県コード of the prefecture, e.g. 03 (岩手県)."),
    ],
    plan: PlanOpt = DEFAULT_PLAN_OPTION,
    base: Annotated[str | None, _base_option("the activity shown")] = None,
    out_dir: OutOpt = None,
    csv_encoding: CsvEncodingOpt = CsvEncoding.utf8_bom,
    warehouse: WarehouseOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """The facilities that could take the 積極的役割 per 二次医療圏, and those registered but
    inactive.

    Candidates: 機能強化型 在宅療養支援診療所・病院 (支援診1/2, 支援病1/2) and 在宅療養後方支援病院
    (在後病) of the latest bureau list, with their 訪問診療・往診・看取り in the base year (claims;
    counts of 1–9 shown as '-'). R8 支援診2イ (not paid as 機能強化型) is listed, not counted. An
    area with none, or fewer than three (a main facility and two backups, seed 001 ④), is
    flagged. Also lists the 在支診/在支病 with no 訪問診療 and no 往診 claim in the base year
    ("none" means none in KDB: 国保・後期 only). Writes OUT/candidates_NN/.
    """
    from zaitaku_cli.candidates import candidates

    out = Output(quiet=quiet, as_json=as_json)
    code = parse_pref(pref)
    assert code is not None
    settings = resolve_settings(warehouse=warehouse, out_dir=out_dir)
    with warehouse_run(settings.warehouse, "zaitaku candidates", must_exist=True) as (wh, run):
        result = candidates(
            wh,
            pref=code,
            out_dir=settings.out_dir,
            plan=plan.value,
            base=base,
            csv_encoding=csv_encoding.value,
        )
        run.outputs = [{"folder": str(result.folder), "files": [p.name for p in result.outputs]}]
        run.warnings = list(result.candidates.warnings)
    built = result.candidates
    if out.as_json:
        out.json(
            {
                "pref_code": code,
                "period": built.base_period,
                "folder": str(result.folder),
                "outputs": [str(p) for p in result.outputs],
                "manifest": str(result.manifest),
                "areas": built.areas.to_pylist(),
                "candidates": built.facilities.num_rows,
                "inactive": built.inactive.num_rows,
                "warnings": built.warnings,
            }
        )
        return
    out.print(candidates_overview(built))
    for w in built.warnings:
        out.warn(w)
    wrote(out, result.folder, [*result.outputs, result.manifest])


def candidates_overview(built: Any) -> Any:
    """Per area: its status, then each candidate with its activity ('-' where withheld)."""
    import polars as pl

    areas = pl.from_arrow(built.areas)
    facilities = pl.from_arrow(built.facilities)
    assert isinstance(areas, pl.DataFrame) and isinstance(facilities, pl.DataFrame)
    period = built.base_period or "-"
    rows: list[tuple[Any, ...]] = []
    for area in areas.iter_rows(named=True):
        listed = facilities.filter(pl.col("area_code") == area["area_code"])
        flag = area["status_ja"] or "OK"
        label = f"{area['area_code']} {area['area_name']}"
        if listed.is_empty():
            rows.append((label, flag, "（なし）", "", "", "", ""))
            continue
        for i, f in enumerate(listed.iter_rows(named=True)):
            name = f["facility_name"] + ("" if f["counted"] else "（数えない: 2イ）")
            rows.append(
                (
                    label if i == 0 else "",
                    flag if i == 0 else "",
                    name,
                    f["category_ja"],
                    f["houmon_patients"],
                    f["oushin_count"],
                    f["mitori_patients"],
                )
            )
    title = t(
        "{pref_name} ({pref}): candidates per 二次医療圏, activity {period} — "
        "国保・後期高齢者のみ (KDB); '-' = 1–9 or withheld",
        pref_name=built.pref_name,
        pref=built.pref_code,
        period=period,
    )
    return frame_table(
        title,
        [
            t("area"),
            t("status"),
            t("facility"),
            "区分",
            t("訪問診療 patients"),
            t("往診 count"),
            t("看取り patients"),
        ],
        rows,
    )
