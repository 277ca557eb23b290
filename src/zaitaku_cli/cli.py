"""The `zaitaku` command line: parse options, call one core function, render the result.

Exit codes: 0 success (also when a file was already ingested), 1 a data or input problem
(the message names file, row and column), 2 a usage error (unknown option, bad value).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from zaitaku_cli import __version__
from zaitaku_cli.config import resolve_settings
from zaitaku_cli.console import Output, frame_table, ingest_table, reject_lines
from zaitaku_cli.errors import WarehouseError, ZaitakuError
from zaitaku_cli.summary import IngestSummary
from zaitaku_cli.warehouse import Warehouse

# Wider results are only written to files: a terminal table of 200 municipalities helps no one.
MAX_TABLE_ROWS = 60

EXIT_CODES_HELP = (
    "Exit codes: 0 success (also 'unchanged' re-ingests); 1 data or input error, "
    "the message names file, row and column; 2 usage error."
)

app = typer.Typer(
    name="zaitaku",
    help=(
        "在宅医療 (home care) supply and demand per municipality, 二次医療圏 and prefecture.\n\n"
        "Typical run: `zaitaku ingest facilities 名簿.xlsx`, `zaitaku ingest claims kdb.csv`, "
        "then `zaitaku aggregate --by municipality`. Claims figures cover 国保 and "
        "後期高齢者 only (KDB).\n\n" + EXIT_CODES_HELP
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
)
ingest_app = typer.Typer(help="Load raw inputs into the warehouse (one transaction per file).")
reference_app = typer.Typer(help="Packaged reference data: areas, codes, 受理記号.")
demo_app = typer.Typer(help="Write realistic synthetic sample inputs.")
app.add_typer(ingest_app, name="ingest")
app.add_typer(reference_app, name="reference")
app.add_typer(demo_app, name="demo")


class Level(StrEnum):
    municipality = "municipality"
    ward = "ward"
    secondary_area = "secondary-area"
    prefecture = "prefecture"


class Plan(StrEnum):
    eighth = "8th"
    seventh = "7th"


class Period(StrEnum):
    fiscal_year = "fiscal-year"
    month = "month"


class CsvEncoding(StrEnum):
    utf8_bom = "utf-8-sig"
    utf8 = "utf-8"
    cp932 = "cp932"


class ClaimsEncoding(StrEnum):
    auto = "auto"
    cp932 = "cp932"
    utf8 = "utf-8"


WarehouseOpt = Annotated[
    Path | None,
    typer.Option(
        "--warehouse",
        "-w",
        help="DuckDB warehouse file. Default: $ZAITAKU_WAREHOUSE, zaitaku.toml, "
        "then data/zaitaku.duckdb.",
        show_default=False,
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors (cron).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout (scripts).")]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="List date YYYY-MM-DD; overrides the date in the title row.",
        show_default=False,
    ),
]

F = TypeVar("F", bound=Callable[..., Any])


def handles_errors(func: F) -> F:
    """Turn zaitaku's own exceptions into one 'Error: …' line and exit 1 (usage stays exit 2)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ZaitakuError as exc:
            Output().error(str(exc))
            raise typer.Exit(exc.exit_code) from exc

    return wrapper  # type: ignore[return-value]


def parse_date_option(value: str | None, option: str = "--as-of") -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(
            f"{value!r} is not a date like 2025-10-01", param_hint=option
        ) from exc


def open_warehouse(path: Path | None, *, must_exist: bool = False) -> Warehouse:
    """Open (or, for ingest, create) the warehouse. Commands that only read it refuse a missing
    file: a mistyped path must not quietly create an empty warehouse."""
    settings = resolve_settings(warehouse=path)
    if must_exist and not settings.warehouse.exists():
        raise WarehouseError(
            f"no warehouse at {settings.warehouse}: check --warehouse / $ZAITAKU_WAREHOUSE, "
            "or load data first with `zaitaku ingest …`"
        )
    return Warehouse(settings.warehouse, memory_limit=settings.memory_limit)


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


@app.callback(invoke_without_command=True)
def main_callback(
    version: Annotated[bool, typer.Option("--version", help="Show the version and exit.")] = False,
) -> None:
    if version:
        typer.echo(f"zaitaku {__version__}")
        raise typer.Exit(0)


# -- ingest ------------------------------------------------------------------------------------
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
            lambda path: ingest_facility_lists(wh, [path], as_of=day, progress=out.progress()),
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


# -- aggregate ---------------------------------------------------------------------------------
@app.command("aggregate")
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
    ] = Plan.eighth,
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
    ] = Period.fiscal_year,
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
    warehouse: WarehouseOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Indicators per area: facilities_by_LEVEL and claims_by_LEVEL as Parquet and CSV.

    Files go to --out (default data/processed), each written to a temporary file and renamed,
    with a manifest_LEVEL.json of inputs, reference tables and outputs. Claims outputs apply
    small-cell suppression (NDB rule) unless --no-suppress.
    """
    from zaitaku_cli.aggregate import aggregate

    out = Output(quiet=quiet, as_json=as_json)
    settings = resolve_settings(warehouse=warehouse, out_dir=out_dir)
    day = parse_date_option(as_of)
    with open_warehouse(settings.warehouse, must_exist=True) as wh:
        result = aggregate(
            wh,
            level=by.value,
            plan=plan.value,
            as_of=day,
            period=period.value,
            out_dir=settings.out_dir,
            csv_encoding=csv_encoding.value,
            suppress=not no_suppress,
        )
    if out.as_json:
        out.json(
            {
                "level": result.level,
                "plan": result.plan,
                "outputs": [str(p) for p in result.outputs],
                "manifest": str(result.manifest),
                "facility_rows": result.facilities.num_rows if result.facilities else 0,
                "claims_rows": result.claims.num_rows if result.claims else 0,
                "suppression": not no_suppress,
                "warnings": result.warnings,
            }
        )
        return
    if result.facilities is not None:
        for view in facilities_overview(result.facilities, by.value):
            out.print(view)
    if result.claims is not None and result.claims.num_rows:
        out.print(claims_overview(result.claims, by.value))
    if no_suppress:
        out.warn("small-cell suppression is OFF: these files are for internal use only.")
    for w in result.warnings:
        out.warn(w)
    out.print("Wrote:")
    for p in [*result.outputs, result.manifest]:
        out.print(f"  {p}")


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
        rows = [
            (f"{r['area_code'] or ''} {r['area_name']}", *(r[c] for c in cols))
            for r in wide.iter_rows(named=True)
        ]
        title = f"在宅医療の届出施設数 by {level} — {source}, as of {as_of or 'undated'}"
        if len(rows) > MAX_TABLE_ROWS:
            views.append(f"{title}: {len(rows)} areas (see the files below)")
            continue
        views.append(frame_table(title, ["area", *(labels[c] for c in cols)], rows))
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
        return f"claims_by_{level}: {frame.height} rows"
    period = str(head["period"].max())
    head = head.filter(pl.col("period") == period).sort("area_code")
    title = (
        f"訪問診療 (houmon_shinryo) by {level}, {period}, residence basis, all ages — "
        "国保・後期高齢者のみ (KDB); '-' = suppressed (1–9)"
    )
    if head.height > MAX_TABLE_ROWS:
        return f"{title}: {head.height} areas (see the files below)"
    rows = [
        (
            f"{r['area_code']} {r['area_name']}",
            *("-" if r[f"{u}_suppressed"] else r[u] for u in ("patients", "claims", "count")),
            r["facilities"],
        )
        for r in head.iter_rows(named=True)
    ]
    return frame_table(title, ["area", "patients", "claims", "count", "facilities"], rows)


# -- reference ---------------------------------------------------------------------------------
@reference_app.command("areas")
@handles_errors
def reference_areas_cmd(
    pref: Annotated[str, typer.Option("--pref", help="都道府県コード, e.g. 03.")],
    plan: Annotated[Plan, typer.Option("--plan", help="Medical plan.")] = Plan.eighth,
    as_json: JsonOpt = False,
) -> None:
    """List a prefecture's 二次医療圏 and their member municipalities (and 政令市 wards)."""
    from zaitaku_cli.reference.areas import area_members

    out = Output(as_json=as_json)
    areas = area_members(pref.zfill(2), plan.value)
    if as_json:
        out.json(areas)
        return
    out.print(
        frame_table(
            f"二次医療圏 ({plan.value} plan), 都道府県コード {pref.zfill(2)}",
            ["area_code", "area_name", "members", "municipalities"],
            [
                (
                    a["area_code"],
                    a["area_name"],
                    len(a["members"]),
                    "、".join(m["name"] for m in a["members"]),
                )
                for a in areas
            ],
        )
    )


@reference_app.command("codes")
@handles_errors
def reference_codes_cmd(
    indicator: Annotated[
        str | None, typer.Option("--indicator", help="Only this indicator, e.g. houmon_shinryo.")
    ] = None,
    warehouse: WarehouseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List the 診療行為コード → indicator table (packaged codes plus codes you added)."""
    from zaitaku_cli.claim_codes import list_codes

    out = Output(as_json=as_json)
    with open_warehouse(warehouse) as wh:
        codes = list_codes(wh)
    if indicator:
        codes = codes.filter(codes["indicator"] == indicator)
    if as_json:
        out.json(codes.to_dicts())
        return
    cols = ["code", "kubun", "indicator", "name"]
    out.print(frame_table(f"Claim codes ({codes.height})", cols, codes.select(cols).rows()))


@reference_app.command("update-codes")
@handles_errors
def reference_update_codes_cmd(
    master: Annotated[
        Path,
        typer.Argument(
            help="支払基金 医科診療行為マスター (e.g. s_ALL20260605.csv, CP932, no header).",
            exists=True,
            dir_okay=False,
        ),
    ],
    apply: Annotated[
        bool, typer.Option("--apply", help="Add the suggested codes to the warehouse's code table.")
    ] = False,
    warehouse: WarehouseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Report home-care codes (C000–C005, C007, A206, A246, B004–B007-2) the table does not map."""
    from zaitaku_cli.claim_codes import apply_additions, find_unmapped_home_care_codes, read_master

    out = Output(as_json=as_json)
    with open_warehouse(warehouse) as wh:
        found = find_unmapped_home_care_codes(wh, read_master(master))
        added = apply_additions(wh, found) if apply and found.height else 0
    if as_json:
        out.json({"unmapped": found.to_dicts(), "added": added})
        return
    cols = [c for c in ("code", "kubun", "name", "suggested_indicator") if c in found.columns]
    out.print(
        frame_table(
            f"Home-care codes not in the table ({found.height})", cols, found.select(cols).rows()
        )
    )
    if apply:
        out.print(f"Added {added} codes to the warehouse code table.")
    elif found.height:
        out.print("Review the suggestions, then run again with --apply to add them.")


# -- demo --------------------------------------------------------------------------------------
@demo_app.command("claims")
@handles_errors
def demo_claims_cmd(
    rows: Annotated[int, typer.Option("--rows", min=1, help="Number of claim lines.")],
    out_file: Annotated[Path, typer.Option("--out", help="CSV file to write (CP932).")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same file).")] = 0,
    facilities_from: Annotated[
        Path | None,
        typer.Option(
            "--facilities-from",
            help="Bureau list whose facilities bill the claims, so the facility basis joins.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Write a realistic, deterministic synthetic KDB-style extract."""
    from zaitaku_cli.demo.claims_extract import write_claims_extract

    codes = None
    if facilities_from is not None:
        from zaitaku_cli.readers.bureau_list import facility_codes_in

        codes = facility_codes_in(facilities_from)
    path = write_claims_extract(out_file, rows=rows, seed=seed, facility_codes=codes)
    Output().print(f"Wrote {rows:,} claim lines to {path}")


@demo_app.command("facilities")
@handles_errors
def demo_facilities_cmd(
    out_file: Annotated[Path, typer.Option("--out", help=".xlsx file to write.")],
    rows: Annotated[
        int | None, typer.Option("--rows", min=1, help="Approximate number of rows.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    as_of: Annotated[
        str, typer.Option("--as-of", help="List date in the title row.")
    ] = "2025-10-01",
) -> None:
    """Write a realistic synthetic bureau workbook (real layout: title row, 24 columns)."""
    from zaitaku_cli.demo.bureau_workbook import write_bureau_workbook

    day = parse_date_option(as_of)
    assert day is not None
    path = write_bureau_workbook(out_file, as_of=day, rows=rows, seed=seed)
    Output().print(f"Wrote {path}")


# -- status ------------------------------------------------------------------------------------
@app.command("status")
@handles_errors
def status_cmd(warehouse: WarehouseOpt = None, as_json: JsonOpt = False) -> None:
    """What the warehouse holds: every ingested file with its sha256, as-of date and row counts."""
    out = Output(as_json=as_json)
    with open_warehouse(warehouse, must_exist=True) as wh:
        rows = wh.ingests()
    if as_json:
        out.json(rows)
        return
    cols = ["ingest_id", "kind", "file_name", "as_of", "rows_read", "rows_loaded", "rows_rejected"]
    out.print(frame_table("Ingested files", cols, [[r[c] for c in cols] for r in rows]))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
