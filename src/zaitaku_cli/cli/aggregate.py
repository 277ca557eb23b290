"""`zaitaku aggregate`: indicators per area level, written as Parquet, CSV and a manifest."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from zaitaku_cli.choices import DEFAULT_PERIOD_OPTION, DEFAULT_PLAN_OPTION, Level, Period, Plan
from zaitaku_cli.cli.common import (
    MAX_TABLE_ROWS,
    CsvEncoding,
    JsonOpt,
    LogOpt,
    QuietOpt,
    WarehouseOpt,
    handles_errors,
    parse_date_option,
    warehouse_run,
)
from zaitaku_cli.config import resolve_settings
from zaitaku_cli.console import Output, frame_table
from zaitaku_cli.i18n import t
from zaitaku_cli.output_metadata import CLAIM_UNITS


class EngineChoice(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


def parse_spark_conf(values: list[str] | None) -> dict[str, str]:
    """--spark-conf KEY=VALUE, repeated, as a dict (a later key wins)."""
    conf: dict[str, str] = {}
    for value in values or []:
        key, sep, setting = value.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(
                t("{value!r} is not KEY=VALUE (e.g. spark.executor.memory=8g)", value=value),
                param_hint="--spark-conf",
            )
        conf[key.strip()] = setting.strip()
    return conf


@handles_errors
def aggregate_cmd(
    by: Annotated[
        Level,
        typer.Option(
            "--by",
            help="municipality (政令市 as one city, 特別区 separately), ward (政令市 by 区), "
            "secondary-area (二次医療圏) or prefecture.",
        ),
    ],
    plan: Annotated[
        Plan, typer.Option("--plan", help="Medical plan whose 二次医療圏 to use.")
    ] = DEFAULT_PLAN_OPTION,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="List date to use (YYYY-MM-DD); default the latest per prefecture.",
            show_default=False,
        ),
    ] = None,
    period: Annotated[
        Period, typer.Option("--period", help="Claims period: fiscal-year (FY2023) or month.")
    ] = DEFAULT_PERIOD_OPTION,
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
            help="Turn small-cell suppression off (internal use only; recorded in the output).",
        ),
    ] = False,
    xlsx: Annotated[
        bool,
        typer.Option(
            "--xlsx",
            help="Also write OUT/LEVEL/LEVEL.xlsx: every output in one workbook with Japanese "
            "headers, codes kept as text, '-' for suppressed cells, a wide sheet (one row per "
            "area) and a sheet with the coverage caveat, suppression rule and inputs. The file "
            "to open in Excel.",
        ),
    ] = False,
    min_facilities: Annotated[
        int,
        typer.Option(
            "--min-facilities",
            min=0,
            help="Also suppress a non-zero claims cell billed by fewer than N facilities "
            "(its facilities column), as if it were 1–9. 0 = off.",
        ),
    ] = 0,
    engine: Annotated[
        EngineChoice,
        typer.Option(
            "--engine",
            help="Run the SQL on DuckDB (the warehouse) or on Apache Spark (same SQL, same "
            "outputs; needs pip install 'zaitaku[spark]' and Java 17+).",
        ),
    ] = EngineChoice.duckdb,
    spark_master: Annotated[
        str,
        typer.Option(
            "--spark-master",
            help="With --engine spark: local[2] (this machine), spark://HOST:7077 "
            "(standalone) or yarn.",
        ),
    ] = "local[2]",
    spark_export: Annotated[
        str | None,
        typer.Option(
            "--spark-export",
            help="With --engine spark: where the warehouse's tables go as Parquet for Spark, "
            "a folder every executor mounts at the same path or an hdfs:// URI. Default: a "
            "private folder beside the warehouse (local masters). Removed after the run.",
            show_default=False,
        ),
    ] = None,
    spark_conf: Annotated[
        list[str] | None,
        typer.Option(
            "--spark-conf",
            help="With --engine spark: a Spark setting KEY=VALUE, repeatable "
            "(spark.executor.memory=8g).",
            show_default=False,
        ),
    ] = None,
    warehouse: WarehouseOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    log: LogOpt = None,
) -> None:
    """Indicators per area: facilities_by_LEVEL, claims_by_LEVEL, population_by_LEVEL and
    rates_by_LEVEL (per 100,000 / per 1,000 of the same ages) as Parquet and CSV (and with
    --xlsx one Excel workbook of them all: the file to open in Excel).

    The files and a manifest (inputs, reference tables, outputs with sha256) go into one folder
    per export, OUT/LEVEL (e.g. data/processed/municipality), which replaces the previous one
    as a whole: a reader never sees new and old files mixed. Choices other than the defaults
    are part of the folder and file names (municipality_7th_monthly_internal), so an internal
    run never overwrites the public files. Claims outputs apply small-cell suppression (NDB
    rule: 1–9 hidden, then complements so that no hidden cell follows from the cells of any
    level) unless --no-suppress.

    --engine spark runs the same SQL on Apache Spark over the warehouse's tables exported as
    Parquet, for claims too large for one machine; the outputs are the same, cell for cell.
    """
    from zaitaku_cli.aggregate import aggregate
    from zaitaku_cli.engine import SparkOptions, open_engine

    out = Output(quiet=quiet, as_json=as_json)
    settings = resolve_settings(warehouse=warehouse, out_dir=out_dir)
    day = parse_date_option(as_of)
    spark = SparkOptions(
        master=spark_master, export=spark_export, conf=parse_spark_conf(spark_conf)
    )
    command = f"zaitaku aggregate --by {by.value}"
    with (
        warehouse_run(settings.warehouse, command, must_exist=True) as (wh, run),
        open_engine(engine.value, wh, spark) as sql_engine,
    ):
        result = aggregate(
            wh,
            level=by.value,
            plan=plan.value,
            as_of=day,
            period=period.value,
            out_dir=settings.out_dir,
            csv_encoding=csv_encoding.value,
            suppress=not no_suppress,
            xlsx=xlsx,
            min_facilities=min_facilities,
            engine=sql_engine,
        )
        run.outputs = [{"folder": str(result.folder), "files": [p.name for p in result.outputs]}]
        run.warnings = result.warnings
    if out.as_json:
        out.json(
            {
                "level": result.level,
                "plan": result.plan,
                "folder": str(result.folder),
                "outputs": [str(p) for p in result.outputs],
                "manifest": str(result.manifest),
                "workbook": str(result.workbook) if result.workbook else None,
                "facility_rows": result.facilities.num_rows if result.facilities else 0,
                "claims_rows": result.claims.num_rows if result.claims else 0,
                "population_rows": result.population.num_rows if result.population else 0,
                "rates_rows": result.rates.num_rows if result.rates else 0,
                "suppression": not no_suppress,
                "claims_cells": result.claims_cells,
                "warnings": result.warnings,
            }
        )
        for w in result.warnings:
            out.warn(w)  # in the document above; logged
        return
    if result.facilities is not None:
        for view in facilities_overview(result.facilities, by.value):
            out.print(view)
    if result.claims is not None and result.claims.num_rows:
        out.print(claims_overview(result.claims, by.value))
    if no_suppress:
        out.warn(t("small-cell suppression is OFF: these files are for internal use only."))
    for w in result.warnings:
        out.warn(w)
    out.print(t("Wrote {folder}:", folder=result.folder))
    for p in [*result.outputs, result.manifest]:
        out.print(f"  {p.name if p else p}")


def facilities_overview(table: Any, level: str) -> list[Any]:
    """Wide views (area × category) of the facilities output, one per source and list date,
    with the short 受理記号-style headers analysts know from the prefecture tables."""
    import polars as pl

    from zaitaku_cli.reference import categories

    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    labels = dict(categories().select("category", "short_ja").iter_rows())
    order = [c for c in labels if c in set(frame["category"])]
    views: list[Any] = []
    for (source, as_of), part in frame.group_by(["source", "as_of"], maintain_order=True):
        wide = part.pivot(
            on="category",
            index=["area_code", "area_name"],
            values="facilities",
            aggregate_function="sum",
        ).sort("area_code")
        cols = [c for c in order if c in wide.columns]
        partial = {
            r["area_code"]: t(
                " (partial: {covered}/{total})",
                covered=r["members_covered"],
                total=r["members_total"],
            )
            for r in part.filter(pl.col("area_coverage") == "partial").iter_rows(named=True)
        }
        rows = [
            (
                f"{r['area_code'] or ''} {r['area_name']}{partial.get(r['area_code'], '')}",
                *(r[c] for c in cols),
            )
            for r in wide.iter_rows(named=True)
        ]
        title = t(
            "在宅医療の届出施設数 by {level} — {source}, as of {as_of}"
            if as_of
            else "在宅医療の届出施設数 by {level} — {source}, as of undated",
            level=t(level),
            source=t(source),
            as_of=as_of,
        )
        if len(rows) > MAX_TABLE_ROWS:
            views.append(
                t("{title}: {areas} areas (see the files below)", title=title, areas=len(rows))
            )
            continue
        views.append(frame_table(title, [t("area"), *(labels[c] for c in cols)], rows))
    return views


def claims_overview(table: Any, level: str) -> Any:
    """The headline claims indicator (訪問診療, all ages, residence basis, latest period)."""
    import polars as pl

    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    head = frame.filter(
        (pl.col("indicator") == "houmon_shinryo")
        & (pl.col("basis") == "residence")
        & (pl.col("age_group") == "total")
    )
    if head.is_empty():
        return t("claims_by_{level}: {rows} rows", level=level, rows=frame.height)
    period = str(head["period"].max())
    head = head.filter(pl.col("period") == period).sort("area_code")
    title = t(
        "訪問診療 (houmon_shinryo) by {level}, {period}, residence basis, all ages — "
        "国保・後期高齢者のみ (KDB); '-' = suppressed (1–9)",
        level=t(level),
        period=period,
    )
    if head.height > MAX_TABLE_ROWS:
        return t("{title}: {areas} areas (see the files below)", title=title, areas=head.height)
    rows = [
        (
            f"{r['area_code']} {r['area_name']}",
            *("-" if r[f"{u}_suppressed"] else r[u] for u in CLAIM_UNITS),
            r["facilities"],
        )
        for r in head.iter_rows(named=True)
    ]
    headers = [t("area"), t("patients"), t("claims"), t("count"), t("facilities")]
    return frame_table(title, headers, rows)
