"""`zaitaku ingest …`: load raw inputs into the warehouse, one transaction per file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from zaitaku_cli.cli.common import (
    AsOfOpt,
    ClaimsEncoding,
    JsonOpt,
    QuietOpt,
    WarehouseOpt,
    handles_errors,
    open_warehouse,
    parse_date_option,
)
from zaitaku_cli.console import Output, ingest_table, reject_lines
from zaitaku_cli.errors import ZaitakuError
from zaitaku_cli.summary import IngestSummary

AllowEmptyOpt = Annotated[
    bool,
    typer.Option(
        "--allow-empty",
        help="Record a file that has a header but no data rows (refused by default: an empty "
        "export is usually a failed one).",
    ),
]

ingest_app = typer.Typer(help="Load raw inputs into the warehouse (one transaction per file).")


def render_ingest(out: Output, summaries: list[IngestSummary]) -> None:
    if out.as_json:
        out.json({"ingested": [s.to_dict() for s in summaries]})
        return
    out.print(ingest_table(summaries))
    for s in summaries:
        if s.status == "unchanged":
            out.print(f"{s.file}: already ingested (same sha256), nothing changed.")
        if s.rows_rejected:
            out.print(f"{s.file}: {s.rows_rejected:,} rows rejected (kept in table `rejects`):")
            for line in reject_lines(s):
                out.print(line, markup=False)
        for w in s.warnings:
            out.warn(w if Path(s.file).name in w else f"{s.file}: {w}")
        unmapped = s.details.get("unmapped_codes") or []
        if unmapped:
            shown = ", ".join(f"{u['code']} ({u['lines']:,} lines)" for u in unmapped[:5])
            out.warn(
                f"{s.file}: {len(unmapped)} 在宅医療 codes are not in the code table and count "
                f"towards no indicator: {shown}. Check them with "
                "`zaitaku reference update-codes MASTER` (a newer 医科診療行為マスター)."
            )


def ingest_one_by_one(
    out: Output, paths: list[Path], ingest: Callable[[Path], list[IngestSummary]]
) -> list[IngestSummary]:
    """Ingest files in order (each its own transaction). When one fails, the files before it
    stay loaded: say which, in the table or in the --json document, before the error."""
    done: list[IngestSummary] = []
    for path in paths:
        try:
            done += ingest(path)
        except ZaitakuError as exc:
            if out.as_json:
                out.json({"ingested": [s.to_dict() for s in done], "error": str(exc)})
            elif done:
                render_ingest(out, done)
            raise
    return done


@ingest_app.command("facilities")
@handles_errors
def ingest_facilities_cmd(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Bureau lists (届出受理医療機関名簿) as published: .xlsx, .zip of .xlsx, or a CSV "
            "saved from Excel (CP932 or UTF-8).",
            exists=True,
            dir_okay=False,
        ),
    ],
    as_of: AsOfOpt = None,
    allow_empty: AllowEmptyOpt = False,
    warehouse: WarehouseOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Load 地方厚生局 facility lists: 医科 rows, 受理記号 → category, address → 市区町村.

    Rows whose address matches no municipality of their prefecture are kept in `rejects` with
    the reason. Re-ingesting the same file changes nothing.
    """
    from zaitaku_cli.ingest_facilities import ingest_facility_lists

    out = Output(quiet=quiet, as_json=as_json)
    day = parse_date_option(as_of)
    with open_warehouse(warehouse) as wh:
        summaries = ingest_one_by_one(
            out,
            paths,
            lambda path: ingest_facility_lists(
                wh, [path], as_of=day, allow_empty=allow_empty, progress=out.progress()
            ),
        )
    render_ingest(out, summaries)


@ingest_app.command("facility-counts")
@handles_errors
def ingest_facility_counts_cmd(
    path: Annotated[
        Path,
        typer.Argument(
            help="Wide count table (市町名 × 受理記号), CSV (CP932/UTF-8) or .xlsx.",
            exists=True,
            dir_okay=False,
        ),
    ],
    pref: Annotated[
        str, typer.Option("--pref", help="都道府県コード the names belong to, e.g. 03 (岩手県).")
    ],
    as_of: AsOfOpt = None,
    warehouse: WarehouseOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Load a prefecture's published count table; its 計 row is checked against the column sums."""
    from zaitaku_cli.ingest_counts import ingest_count_table

    if not (pref.isdigit() and len(pref) == 2 and 1 <= int(pref) <= 47):
        raise typer.BadParameter(f"{pref!r} is not a 都道府県コード 01–47", param_hint="--pref")
    out = Output(quiet=quiet, as_json=as_json)
    with open_warehouse(warehouse) as wh:
        summary = ingest_count_table(wh, path, pref_code=pref, as_of=parse_date_option(as_of))
    render_ingest(out, [summary])


@ingest_app.command("claims")
@handles_errors
def ingest_claims_cmd(
    paths: Annotated[
        list[Path],
        typer.Argument(help="KDB-style claim extracts (CSV).", exists=True, dir_okay=False),
    ],
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            help="TOML file mapping your export's headers and value codes to the canonical "
            "extract (see examples/claims_mapping.example.toml).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    encoding: Annotated[
        ClaimsEncoding,
        typer.Option("--encoding", help="File encoding; auto detects BOM/UTF-8/CP932."),
    ] = ClaimsEncoding.auto,
    max_reject_rate: Annotated[
        float,
        typer.Option(
            "--max-reject-rate",
            min=0.0,
            max=1.0,
            help="Refuse the whole file (exit 1, nothing kept) above this share of bad rows.",
        ),
    ] = 0.01,
    warehouse: WarehouseOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Load claim lines; the person key is replaced by a keyed hash and never stored raw."""
    from zaitaku_cli.ingest_claims import ingest_claim_extracts

    out = Output(quiet=quiet, as_json=as_json)
    with open_warehouse(warehouse) as wh:
        summaries = ingest_one_by_one(
            out,
            paths,
            lambda path: ingest_claim_extracts(
                wh,
                [path],
                mapping=mapping,
                encoding=encoding.value,
                max_reject_rate=max_reject_rate,
                progress=out.progress(),
            ),
        )
    render_ingest(out, summaries)
