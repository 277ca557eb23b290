"""`zaitaku ingest …`: load raw inputs into the warehouse, one transaction per file.

Two forms: `zaitaku ingest PATH...` recognises each file by its content, and
`zaitaku ingest KIND PATH...` names the kind. Typer groups cannot take an optional subcommand
before arguments, so IngestGroup hands any first word that is not a kind to the hidden command
BARE, and shows that command's options in the group's help.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import duckdb
import typer
from typer.core import TyperGroup

from zaitaku_cli.cli import interrupts
from zaitaku_cli.cli.common import (
    AsOfOpt,
    ClaimsEncoding,
    JsonOpt,
    LogOpt,
    QuietOpt,
    WarehouseOpt,
    handles_errors,
    parse_date_option,
    parse_pref,
    record_ingests,
    warehouse_run,
)
from zaitaku_cli.console import Output, ingest_table, reject_lines
from zaitaku_cli.errors import ClaimsOverlap, ZaitakuError
from zaitaku_cli.i18n import join, t
from zaitaku_cli.pref_codes import is_pref_code
from zaitaku_cli.summary import IngestSummary
from zaitaku_cli.warehouse import Warehouse

AllowEmptyOpt = Annotated[
    bool,
    typer.Option(
        "--allow-empty",
        help="Record a file that has a header but no data rows (refused by default: an empty "
        "export is usually a failed one).",
    ),
]

if TYPE_CHECKING:
    # Typer vendors click; only the type is needed, and only by mypy.
    from typer._click import Context

# The hidden command behind `zaitaku ingest PATH...`.
BARE = "auto"
KINDS_PANEL = "Kinds: zaitaku ingest KIND PATH..."


class IngestGroup(TyperGroup):
    """`ingest` as a group whose first word is a kind, or else a path (see the module doc)."""

    _showing_help = False

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands:
            wants_help = any(a in ctx.help_option_names for a in args)
            # `zaitaku ingest x.csv --help` asks for this group's help, which is the bare form's.
            args = ["--help"] if wants_help else [BARE, *args]
        return super().parse_args(ctx, args)

    def format_help(self, ctx: Context, formatter: Any) -> None:
        self._showing_help = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._showing_help = False

    def get_params(self, ctx: Context) -> list[Any]:
        params = super().get_params(ctx)
        if self._showing_help:
            # Only while help is shown: parsing the group must not consume the bare form's
            # options and arguments.
            bare = self.commands[BARE].get_params(ctx)
            params = [*(p for p in bare if p.name != "help"), *params]
        return params

    def collect_usage_pieces(self, ctx: Context) -> list[str]:
        return ["[OPTIONS]", "PATH...", "|", "KIND", "PATH..."]


ingest_app = typer.Typer(
    cls=IngestGroup,
    no_args_is_help=True,
    rich_markup_mode="markdown",
    help=(
        "Load raw inputs into the warehouse, one transaction per file; a file already "
        "ingested (same sha256) is not loaded twice.\n\n"
        "**zaitaku ingest PATH...** recognises each file by its content — a bureau list "
        "(届出受理医療機関名簿: .xlsx, .zip or CSV with the 24-column header), a count table "
        "(市町名 × 受理記号), a KDB claims extract (the canonical header, its aliases or your "
        "--mapping), a population table (population.csv's columns) or an enrolment table "
        "(its canonical headers) — says what it took each one for, and refuses a file it does not "
        "recognise, naming what each kind expected. Nothing is loaded unless every file is "
        "recognised. A count table's prefecture is told from its names; --pref when they fit "
        "more than one.\n\n"
        "**zaitaku ingest KIND PATH...** names the kind (see `zaitaku ingest KIND --help`). "
        "The options below are those of the first form."
    ),
)


def render_ingest(out: Output, summaries: list[IngestSummary]) -> None:
    if out.as_json:
        out.json({"ingested": [s.to_dict() for s in summaries]})
        for s in summaries:
            for warning in file_warnings(s):
                out.warn(warning)  # not printed with --json (they are in the document): logged
        return
    out.print(ingest_table(summaries))
    for s in summaries:
        if s.status == "unchanged":
            out.print(t("{file}: already ingested (same sha256), nothing changed.", file=s.file))
        if s.rows_rejected:
            out.print(
                t(
                    "{file}: {rows:,} rows rejected (kept in table `rejects`):",
                    file=s.file,
                    rows=s.rows_rejected,
                )
            )
            for line in reject_lines(s):
                out.print(line, markup=False)
        for warning in file_warnings(s):
            out.warn(warning)


def file_warnings(s: IngestSummary) -> list[str]:
    """The warnings of one ingested file, each naming the file."""
    found = [w if Path(s.file).name in w else f"{s.file}: {w}" for w in s.warnings]
    unmapped = s.details.get("unmapped_codes") or []
    if unmapped:
        shown = join(
            t("{code} ({lines:,} lines)", code=u["code"], lines=u["lines"]) for u in unmapped[:5]
        )
        found.append(
            t(
                "{file}: {count} 在宅医療 codes are not in the code table and count "
                "towards no indicator: {codes}. Check them with "
                "`zaitaku reference update-codes MASTER` (a newer 医科診療行為マスター).",
                file=s.file,
                count=len(unmapped),
                codes=shown,
            )
        )
    return found


def ingest_one_by_one(
    out: Output,
    wh: Warehouse,
    paths: list[Path],
    ingest: Callable[[Path], list[IngestSummary]],
) -> list[IngestSummary]:
    """Ingest files in order (each its own transaction). When one fails, the files before it
    stay loaded: say which, in the table or in the --json document, before the error.

    When an interrupt stops it, the warehouse says which files were committed: the ingests
    after the newest one before this command. That holds even when the signal came between a
    commit and its summary; the interrupt's line names them.
    """
    mark = wh.last_ingest_id()
    done: list[IngestSummary] = []
    current: Path | None = None
    try:
        for current in paths:
            done += ingest(current)
    except BaseException as exc:
        if interrupts.signal_of(exc) is not None:
            interrupts.tell(_after_interrupt(wh, mark, paths, current))
        elif isinstance(exc, ZaitakuError):
            if out.as_json:
                document: dict[str, Any] = {
                    "ingested": [s.to_dict() for s in done],
                    "error": str(exc),
                }
                if isinstance(exc, ClaimsOverlap):
                    document["overlap"] = {"pairs": exc.pairs, "earlier": exc.earlier}
                out.json(document)
            elif done:
                render_ingest(out, done)
        raise
    interrupts.tell(_after_interrupt(wh, mark, paths, None))
    return done


def _after_interrupt(wh: Warehouse, mark: int, paths: list[Path], current: Path | None) -> str:
    """What an interrupt left: the file it stopped (`current`; None once all were done) was
    committed or not, the files before it that were committed, those never started."""
    try:
        committed = {path: ingest_id for ingest_id, path in wh.ingests_after(mark)}
    except duckdb.Error:
        if current is None:
            return t("whether the files were kept cannot be told now: see `zaitaku status`")
        return t(
            "whether {file} was kept cannot be told now: see `zaitaku status`", file=current.name
        )
    at = paths.index(current) if current is not None else len(paths)

    def loaded(ps: list[Path]) -> str:
        return join(
            t("{file} (ingest #{ingest_id})", file=p.name, ingest_id=committed[str(p)]) for p in ps
        )

    before = [p for p in paths[:at] if str(p) in committed]
    if current is None:
        if not before:
            return t("nothing needed loading (already in the warehouse); the interrupt came after")
        if len(before) == 1:
            return t("{files} was loaded; the interrupt came after", files=loaded(before))
        return t("{files} were loaded; the interrupt came after", files=loaded(before))
    # the story's clauses, each a sentence of its own in Japanese
    if str(current) in committed:
        story = [
            t(
                "{file} was loaded (ingest #{ingest_id}); the interrupt came after",
                file=current.name,
                ingest_id=committed[str(current)],
            )
        ]
    else:
        story = [t("nothing of {file} was kept", file=current.name)]
    if before:
        story.append(t("loaded before it: {files}", files=loaded(before)))
    rest = paths[at + 1 :]
    if rest:
        story.append(t("not started: {files}", files=join(p.name for p in rest)))
    return t("; ").join(story)


@ingest_app.command("facilities", rich_help_panel=KINDS_PANEL)
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
    log: LogOpt = None,
) -> None:
    """Load 地方厚生局 facility lists: 医科 rows, 受理記号 → category, address → 市区町村.

    Rows whose address matches no municipality of their prefecture are kept in `rejects` with
    the reason. Re-ingesting the same file changes nothing.
    """
    from zaitaku_cli.ingest_facilities import ingest_facility_lists

    out = Output(quiet=quiet, as_json=as_json)
    day = parse_date_option(as_of)
    with warehouse_run(warehouse, "zaitaku ingest facilities") as (wh, run):
        summaries = ingest_one_by_one(
            out,
            wh,
            paths,
            lambda path: ingest_facility_lists(
                wh, [path], as_of=day, allow_empty=allow_empty, progress=out.progress()
            ),
        )
        record_ingests(run, summaries)
    render_ingest(out, summaries)


@ingest_app.command("facility-counts", rich_help_panel=KINDS_PANEL)
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
    log: LogOpt = None,
) -> None:
    """Load a prefecture's published count table; its 計 row is checked against the column sums."""
    from zaitaku_cli.ingest_counts import ingest_count_table

    check_pref(pref)
    out = Output(quiet=quiet, as_json=as_json)
    day = parse_date_option(as_of)
    with warehouse_run(warehouse, "zaitaku ingest facility-counts") as (wh, run):
        summaries = ingest_one_by_one(
            out, wh, [path], lambda p: [ingest_count_table(wh, p, pref_code=pref, as_of=day)]
        )
        record_ingests(run, summaries)
    render_ingest(out, summaries)


@ingest_app.command("claims", rich_help_panel=KINDS_PANEL)
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
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="This file supersedes the (保険者番号, 診療年月) pairs it shares with files "
            "already loaded: their lines of those pairs are deleted in the same transaction "
            "(recorded in the ingest log). Without it such a file is refused.",
        ),
    ] = False,
    allow_empty: AllowEmptyOpt = False,
    warehouse: WarehouseOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    log: LogOpt = None,
) -> None:
    """Load claim lines; the person key is replaced by a keyed hash and never stored raw.

    Claim lines belong to (保険者番号, 診療年月): a file bringing pairs another file already
    loaded is refused (exit 1, nothing kept) unless --replace; take a file back out with
    `zaitaku remove`. Rejected lines keep only the shape of their fields, never their text.
    """
    from zaitaku_cli.ingest_claims import ingest_claim_extracts

    out = Output(quiet=quiet, as_json=as_json)
    with warehouse_run(warehouse, "zaitaku ingest claims") as (wh, run):
        summaries = ingest_one_by_one(
            out,
            wh,
            paths,
            lambda path: ingest_claim_extracts(
                wh,
                [path],
                mapping=mapping,
                encoding=encoding.value,
                max_reject_rate=max_reject_rate,
                replace=replace,
                allow_empty=allow_empty,
                progress=out.progress(),
            ),
        )
        record_ingests(run, summaries)
    render_ingest(out, summaries)


@ingest_app.command("population", rich_help_panel=KINDS_PANEL)
@handles_errors
def ingest_population_cmd(
    path: Annotated[
        Path,
        typer.Argument(
            help="A newer 住基 population table with the columns of the packaged population.csv "
            "(code6, code5, name, kind, as_of, source, total, male, female, a00_04 … a100p, "
            "band_gap, age0_14, age15_64, age65p, age75p). CSV, UTF-8 or CP932.",
            exists=True,
            dir_okay=False,
        ),
    ],
    warehouse: WarehouseOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Load a population table; per prefecture the newest as-of date is used for rates.

    Every row is checked (codes, whole numbers ≥ 0, male + female = total, bands adding up to
    the age totals, one row per unit) and the table must cover whole prefectures. Any failure
    refuses the file: nothing is loaded and every problem is kept in table `rejects`.
    Re-ingesting the same file changes nothing.
    """
    from zaitaku_cli.ingest_population import ingest_population

    out = Output(quiet=quiet, as_json=as_json)
    with warehouse_run(warehouse, "zaitaku ingest population") as (wh, run):
        summary = ingest_population(wh, path)
        record_ingests(run, [summary])
    render_ingest(out, [summary])


@ingest_app.command("enrolment", rich_help_panel=KINDS_PANEL)
@handles_errors
def ingest_enrolment_cmd(
    path: Annotated[
        Path,
        typer.Argument(
            help="Members of 国保 and 後期高齢者医療 by municipality and age group (CSV): "
            "基準日, 市町村コード, 制度 (国保/後期, optional), 年齢階級 (under65/65to74/75plus), "
            "被保険者数. See examples/enrolment.example.csv.",
            exists=True,
            dir_okay=False,
        ),
    ],
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            help="TOML file mapping your headers and values to the canonical ones "
            "(see examples/enrolment_mapping.example.toml).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Date of the enrolment figures, YYYY-MM-DD, when the table has no 基準日 "
            "column (overrides it when it has).",
            show_default=False,
        ),
    ] = None,
    warehouse: WarehouseOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Load the 国保 + 後期 enrolment: rates under 75 then use it instead of the population.

    KDB holds 国保 and 後期 claims only, so under 75 its patients are 国保 members only; over
    the whole population their rates are understated. Where this table covers an area, its
    rates of under65 and 65to74 are per 1,000 members instead. Any bad row refuses the file
    (kept in table `rejects`); a 政令市 may be given as one city row or by ward, not both.
    """
    from zaitaku_cli.ingest_population import ingest_enrolment

    out = Output(quiet=quiet, as_json=as_json)
    day = parse_date_option(as_of)
    with warehouse_run(warehouse, "zaitaku ingest enrolment") as (wh, run):
        summary = ingest_enrolment(wh, path, mapping=mapping, as_of=day)
        record_ingests(run, [summary])
    render_ingest(out, [summary])


def _mapping(what: str) -> Any:
    return typer.Option("--mapping", help=f"TOML file mapping {what}.", exists=True, dir_okay=False)


def _text(name: str, help: str) -> Any:
    return typer.Option(name, help=help, show_default=False)


def _ingest_prefecture_table(
    kind: str,
    load: Callable[..., IngestSummary],
    path: Path,
    *,
    mapping: Path | None,
    as_of: str | None,
    pref: str | None,
    warehouse: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Load one table the prefecture collected itself (survey, hubs) and show what happened."""
    out = Output(quiet=quiet, as_json=as_json)
    day = parse_date_option(as_of)
    code = parse_pref(pref)
    with warehouse_run(warehouse, f"zaitaku ingest {kind}") as (wh, run):
        summaries = ingest_one_by_one(
            out,
            wh,
            [path],
            lambda p: [load(wh, p, mapping=mapping, as_of=day, pref_code=code)],
        )
        record_ingests(run, summaries)
    render_ingest(out, summaries)


@ingest_app.command("survey")
@handles_errors
def ingest_survey_cmd(
    path: Annotated[
        Path,
        typer.Argument(
            help="The prefecture's facility survey, one row per facility: a CSV (UTF-8 or "
            "CP932) or an Excel sheet (.xlsx; the header may sit below a title). Columns "
            "医療機関コード (or 医療機関名 + 所在地), 訪問診療の実施可能件数, 参入意向, 調査時点. "
            "See examples/survey.example.csv.",
            exists=True,
            dir_okay=False,
        ),
    ],
    mapping: Annotated[
        Path | None,
        _mapping(
            "your headers and 参入意向 answers to the canonical ones (see "
            "examples/survey_mapping.example.toml)"
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        _text(
            "--as-of",
            "Survey date, YYYY-MM-DD, when the file has no 調査時点 column (overrides it "
            "when it has).",
        ),
    ] = None,
    pref: Annotated[
        str | None,
        _text(
            "--pref",
            "Prefecture whose bureau lists rows without a 医療機関コード are looked up in "
            "(default: the prefecture of the lists whose municipality the address names).",
        ),
    ] = None,
    warehouse: WarehouseOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    log: LogOpt = None,
) -> None:
    """Load the facility survey: 訪問診療の実施可能件数 and 参入意向 per facility.

    Each row is matched to a facility of the ingested bureau lists by 医療機関コード, else by
    医療機関名 and 所在地 within the municipality. Rows that match no facility or several, or
    hold a bad value, are kept in `rejects` with the reason (never dropped silently); the others
    load. `zaitaku supply` sets the stated capacity per area beside projected demand; the newest
    survey date of a prefecture is used. Re-ingesting the same file changes nothing.
    """
    from zaitaku_cli.ingest_survey import ingest_survey

    _ingest_prefecture_table(
        "survey",
        ingest_survey,
        path,
        mapping=mapping,
        as_of=as_of,
        pref=pref,
        warehouse=warehouse,
        quiet=quiet,
        as_json=as_json,
    )


@ingest_app.command("hubs")
@handles_errors
def ingest_hubs_cmd(
    path: Annotated[
        Path,
        typer.Argument(
            help="The prefecture's 在宅医療に必要な連携を担う拠点, one row per hub: 名称, "
            "運営主体, 事業区域 (municipalities separated by 、), 備考. CSV or .xlsx. See "
            "examples/hubs.example.csv.",
            exists=True,
            dir_okay=False,
        ),
    ],
    pref: Annotated[
        str | None,
        _text(
            "--pref",
            "都道府県コード the names belong to, e.g. 03 (default: the one prefecture in which "
            "every name resolves).",
        ),
    ] = None,
    mapping: Annotated[
        Path | None,
        _mapping(
            "your headers to 名称, 事業区域, 運営主体, 備考 (see "
            "examples/hubs_mapping.example.toml)"
        ),
    ] = None,
    as_of: Annotated[
        str | None, _text("--as-of", "Date of the list, YYYY-MM-DD (optional).")
    ] = None,
    warehouse: WarehouseOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    log: LogOpt = None,
) -> None:
    """Load the prefecture's hub list; `zaitaku supply` names the municipalities no hub serves.

    Names in 事業区域 resolve within the prefecture (紫波町, 紫波郡矢巾町, 仙台市青葉区). Any
    name that does not, a hub without a name or a hub given twice refuses the file: nothing is
    loaded and every problem is kept in `rejects`. A new list replaces the prefecture's previous
    one; re-ingesting the same file changes nothing.
    """
    from zaitaku_cli.ingest_hubs import ingest_hubs

    _ingest_prefecture_table(
        "hubs",
        ingest_hubs,
        path,
        mapping=mapping,
        as_of=as_of,
        pref=pref,
        warehouse=warehouse,
        quiet=quiet,
        as_json=as_json,
    )


def check_pref(pref: str | None) -> None:
    if pref is not None and not is_pref_code(pref):
        raise typer.BadParameter(
            t("{value!r} is not a 都道府県コード 01–47", value=pref), param_hint="--pref"
        )


@ingest_app.command(BARE, hidden=True)
@handles_errors
def ingest_recognised_cmd(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Input files of any kind, recognised by their content.",
            metavar="PATH...",
            exists=True,
            dir_okay=False,
            show_default=False,
        ),
    ],
    pref: Annotated[
        str | None,
        typer.Option(
            "--pref",
            help="Count tables: 都道府県コード of the names (default: told from the names).",
            show_default=False,
        ),
    ] = None,
    as_of: AsOfOpt = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            help="Claims: TOML file mapping your export's headers to the canonical extract; "
            "also used to recognise it.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    encoding: Annotated[
        ClaimsEncoding,
        typer.Option("--encoding", help="Claims: file encoding; auto detects BOM/UTF-8/CP932."),
    ] = ClaimsEncoding.auto,
    max_reject_rate: Annotated[
        float,
        typer.Option(
            "--max-reject-rate",
            min=0.0,
            max=1.0,
            help="Claims: refuse the whole file above this share of bad rows.",
        ),
    ] = 0.01,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Claims: supersede the (保険者番号, 診療年月) pairs already loaded from another "
            "file (refused without it).",
        ),
    ] = False,
    allow_empty: AllowEmptyOpt = False,
    warehouse: WarehouseOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    log: LogOpt = None,
) -> None:
    """Load input files of any kind, each recognised by its content."""
    from zaitaku_cli.ingest_auto import IngestOptions, ingest_file, recognise
    from zaitaku_cli.readers.detect import DETECTORS

    check_pref(pref)
    out = Output(quiet=quiet, as_json=as_json)
    detections = recognise(paths, claims_mapping=mapping)
    what = {d.kind: d.what for d in DETECTORS}
    for found in detections:
        out.print(
            t(
                "{file}: {kind} ({reason})",
                file=found.path,
                kind=t(what[found.kind]),
                reason=found.reason,
            ),
            markup=False,
        )
    options = IngestOptions(
        pref=pref,
        as_of=parse_date_option(as_of),
        claims_mapping=mapping,
        claims_encoding=encoding.value,
        max_reject_rate=max_reject_rate,
        replace=replace,
        allow_empty=allow_empty,
    )
    by_path = {found.path: found.kind for found in detections}
    with warehouse_run(warehouse, "zaitaku ingest") as (wh, run):
        summaries = ingest_one_by_one(
            out,
            wh,
            [found.path for found in detections],
            lambda path: [ingest_file(wh, path, by_path[path], options, progress=out.progress())],
        )
        record_ingests(run, summaries)
    if out.as_json:
        out.json(
            {
                "recognised": [
                    {"file": str(f.path), "kind": f.kind, "reason": f.reason} for f in detections
                ],
                "ingested": [s.to_dict() for s in summaries],
            }
        )
        return
    render_ingest(out, summaries)
    for s in summaries:
        if s.details.get("pref_from") == "names" and s.status == "loaded":
            out.print(
                t(
                    "{file}: prefecture {prefs}, told from its names",
                    file=s.file,
                    prefs=join(s.pref_codes),
                )
            )
