"""`zaitaku report`: the offline HTML report of one prefecture (and PNGs of its charts)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from zaitaku_cli.choices import DEFAULT_PLAN_OPTION, DEFAULT_REPORT_LEVEL_OPTION, Plan, ReportLevel
from zaitaku_cli.cli.common import (
    JsonOpt,
    QuietOpt,
    WarehouseOpt,
    handles_errors,
    open_warehouse,
)


@handles_errors
def report_cmd(
    pref: Annotated[
        str,
        typer.Option(
            "--pref", help="都道府県コード of the prefecture to report on, e.g. 03 (岩手県)."
        ),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", help="The HTML file to write, e.g. report.html."),
    ] = Path("report.html"),
    level: Annotated[
        ReportLevel,
        typer.Option(
            "--level",
            help="Level of the summary table, the monthly panels and the projection: "
            "secondary-area (二次医療圏), municipality or prefecture. Tables and bar charts "
            "per municipality are always included.",
        ),
    ] = DEFAULT_REPORT_LEVEL_OPTION,
    plan: Annotated[
        Plan, typer.Option("--plan", help="Medical plan whose 二次医療圏 to use.")
    ] = DEFAULT_PLAN_OPTION,
    png: Annotated[
        Path | None,
        typer.Option(
            "--png",
            help="Also write each chart as a PNG (200 dpi, for slides) into this folder.",
            show_default=False,
        ),
    ] = None,
    warehouse: WarehouseOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """One self-contained HTML report of a prefecture, for analysts and the 協議の場.

    Key figures, a summary per 二次医療圏, tables and bar charts per municipality, monthly
    trends and — once this zaitaku computes them — rates per population, the demand projection
    to 2050 and supply against demand. The page states the KDB coverage caveat and the
    suppression rule, which applies to every table and chart (suppressed cells show '-').
    It loads nothing from anywhere (no script, font or image): it opens offline and can be
    mailed as one file. Example: zaitaku report --pref 03 --out 岩手県.html --png slides/
    """
    from zaitaku_cli.console import Output
    from zaitaku_cli.i18n import t
    from zaitaku_cli.report import write_report

    output = Output(quiet=quiet, as_json=as_json)
    with open_warehouse(warehouse, must_exist=True) as wh:
        result = write_report(
            wh,
            pref_code=pref,
            out=out,
            level=level.value,
            plan=plan.value,
            png_dir=png,
        )
    if output.as_json:
        output.json(
            {
                "report": str(result.path),
                "pref_code": result.pref_code,
                "pref_name": result.pref_name,
                "level": result.level,
                "bytes": result.size,
                "pngs": [str(p) for p in result.pngs],
                "sections": result.sections,
                "warnings": result.warnings,
            }
        )
        return
    for warning in result.warnings:
        output.warn(warning)
    output.print(
        t(
            "Wrote the report of {pref} ({kb:,.0f} KB): {path}",
            pref=result.pref_name,
            kb=result.size / 1024,
            path=result.path,
        ),
        markup=False,
    )
    if result.pngs:
        output.print(
            t("Wrote {count} charts as PNG into {folder}", count=len(result.pngs), folder=png),
            markup=False,
        )
