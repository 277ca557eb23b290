"""`zaitaku project`: future demand per area from today's usage rates and the 社人研 projection."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from zaitaku_cli.cli.common import (
    MAX_TABLE_ROWS,
    CsvEncoding,
    JsonOpt,
    Level,
    Plan,
    QuietOpt,
    WarehouseOpt,
    handles_errors,
    open_warehouse,
)
from zaitaku_cli.config import resolve_settings
from zaitaku_cli.console import Output, frame_table
from zaitaku_cli.i18n import t


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
    by: Annotated[
        Level,
        typer.Option(
            "--by",
            help="municipality, ward, secondary-area (二次医療圏) or prefecture.",
        ),
    ],
    indicator: Annotated[
        str,
        typer.Option(
            "--indicator",
            help="Claims indicator to project (see `zaitaku reference codes`), e.g. "
            "houmon_shinryo (訪問診療), mitori (看取り).",
        ),
    ] = "houmon_shinryo",
    years: Annotated[
        str,
        typer.Option(
            "--years",
            help="Future years, comma-separated, from the 社人研 2023 projection "
            "(2020, 2025 … 2050).",
        ),
    ] = "2030,2035,2040,2045,2050",
    base: Annotated[
        str | None,
        typer.Option(
            "--base",
            help="Base fiscal year of the usage rates, e.g. FY2023. Default: the latest with "
            "claims for all 12 months.",
            show_default=False,
        ),
    ] = None,
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
    plan: Annotated[
        Plan, typer.Option("--plan", help="Medical plan whose 二次医療圏 to use.")
    ] = Plan.eighth,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Output folder. Default data/processed.", show_default=False),
    ] = None,
    csv_encoding: Annotated[
        CsvEncoding,
        typer.Option(
            "--csv-encoding", help="utf-8-sig opens in Japanese Excel; cp932 for old tools."
        ),
    ] = CsvEncoding.utf8_bom,
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
    with open_warehouse(settings.warehouse, must_exist=True) as wh:
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
    out.print(t("Wrote {folder}:", folder=result.folder))
    for p in [*result.outputs, result.manifest]:
        out.print(f"  {p.name if p else p}")


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
