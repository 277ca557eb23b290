"""Load KDB-style claim extracts into claim_lines, one transaction per file.

Every line is checked in SQL (sql/staging/stg_claim_lines.sql); bad lines go to `rejects` with
their line number and reason, never dropped silently, and a file with too many of them is refused
whole. 被保険者番号 becomes an HMAC computed inside DuckDB, once per person: the raw key is stored
in no table of the warehouse, not even in `rejects`. The HMAC is kept once per person in `persons`,
whose compact person_id is what claim_lines stores.

The grain: claim lines belong to (保険者番号, 診療年月). A file bringing pairs that another file
still holds is refused (ClaimsOverlap) unless `replace`, which deletes the other files' lines of
exactly those pairs in the same transaction and records it in claim_replacements. A rejected line
keeps no value of the file, only the shape of its fields (see readers/claims_parsing.py `shape`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from zaitaku_cli.claims_raw_view import create_raw_view
from zaitaku_cli.errors import (
    ClaimsOverlap,
    EmptyExtract,
    InputError,
    RejectRateExceeded,
    WarehouseError,
)
from zaitaku_cli.i18n import N_, and_more, join, stored, t
from zaitaku_cli.ingest_checks import REJECT_SCHEMA, insert_rejects
from zaitaku_cli.progress import NoProgress, Progress
from zaitaku_cli.readers.claims_extract import (
    ClaimsMapping,
    ExtractLayout,
    canonical_columns,
    read_layout,
    read_mapping,
)
from zaitaku_cli.readers.claims_parsing import ParsedExtract, parse_extract
from zaitaku_cli.readers.wareki import era_table
from zaitaku_cli.scratch import scratch_dir
from zaitaku_cli.summary import IngestSummary
from zaitaku_cli.warehouse import Warehouse, file_sha256

__all__ = [
    "KIND",
    "ingest_claim_extract",
    "ingest_claim_extracts",
]

KIND = "claims"
EXAMPLES = 5
# pairs and earlier files named in a refusal (the rest are counted)
SHOWN_PAIRS = 5
UNMAPPED_TOP = 20
# 在宅医療 (section C of the medical fee table) codes start with 114.
HOME_CARE_PREFIX = "114"
MERGED_REASON = N_(
    'line merged into an earlier row by quotes (a " left open, or a quoted line break)'
)
WRONG_FIELDS = N_("wrong number of fields")

_TEMP_VIEWS = ("stg_claim_lines", "raw_claim_lines", "claims_raw_lines")
_TEMP_TABLES = (
    "stg_claim_rejects",
    "claims_failed_lines",
    "stg_claim_dates",
    "stg_claim_municipalities",
    "stg_claim_persons",
    "claims_line_shifts",
    "stg_claim_overlaps",
    "claim_pairs_replaced",
)
_OWN_ERAS = "ref_eras"


def ingest_claim_extracts(
    wh: Warehouse,
    paths: list[Path],
    *,
    mapping: Path | None = None,
    encoding: str = "auto",
    max_reject_rate: float = 0.01,
    replace: bool = False,
    allow_empty: bool = False,
    progress: Progress | None = None,
) -> list[IngestSummary]:
    """Ingest each extract in its own transaction; return one summary per file, in order.

    `mapping` is a TOML file mapping headers and value codes to the canonical extract.
    `encoding` is auto (BOM → UTF-8, valid UTF-8, else CP932), cp932 or utf-8; an explicit
    value beats the mapping file's. A file whose share of rejected rows exceeds
    `max_reject_rate` raises RejectRateExceeded and keeps nothing of that file; the files before
    it stay loaded. A file bringing (保険者番号, 診療年月) pairs that another file holds raises
    ClaimsOverlap, unless `replace`: then it supersedes those pairs. A file without data lines
    raises EmptyExtract unless `allow_empty`.
    """
    progress = progress or NoProgress()
    claims_mapping = read_mapping(mapping)
    summaries: list[IngestSummary] = []
    for path in paths:
        try:
            summaries.append(
                ingest_claim_extract(
                    wh,
                    Path(path),
                    mapping=claims_mapping,
                    encoding=encoding,
                    max_reject_rate=max_reject_rate,
                    replace=replace,
                    allow_empty=allow_empty,
                    progress=progress,
                )
            )
        except InputError as exc:
            loaded = [Path(s.file).name for s in summaries if s.status == "loaded"]
            if loaded:
                exc.add_hint(t("loaded before it: {files}", files=join(loaded)))
            raise
    return summaries


def ingest_claim_extract(
    wh: Warehouse,
    path: Path,
    *,
    mapping: ClaimsMapping | None = None,
    encoding: str = "auto",
    max_reject_rate: float = 0.01,
    replace: bool = False,
    allow_empty: bool = False,
    progress: Progress | None = None,
) -> IngestSummary:
    """Ingest one extract (see ingest_claim_extracts) and say what happened."""
    progress = progress or NoProgress()
    mapping = mapping or ClaimsMapping()
    sha = file_sha256(path)
    # A file whose lines were replaced (in part) by another file loads again (with --replace,
    # that is how an analyst reverts to it), so the sha256 alone is not enough.
    previous = wh.intact_ingest(sha, KIND)
    if previous is not None:
        summary = IngestSummary(
            kind=KIND,
            file=str(path),
            sha256=sha,
            status="unchanged",
            rows_loaded=previous.rows_loaded,
            details={"ingest_id": previous.ingest_id, "previous_rows_loaded": previous.rows_loaded},
        )
        summary.warnings.append(
            t(
                "{file}: identical to {previous}, already ingested on {when} "
                "(ingest #{ingest_id}); nothing loaded",
                file=path.name,
                previous=previous.file_name,
                when=f"{previous.ingested_at:%Y-%m-%d %H:%M}",
                ingest_id=previous.ingest_id,
            )
        )
        return summary

    layout = read_layout(path, mapping, encoding=encoding)
    # The Parquet parts sit beside the warehouse, where DuckDB spills too: /tmp may be small.
    # They hold person keys (hashed by the workers, never the raw number) and the rest of the
    # file's text: removed on every exit, or by the next run after a SIGKILL.
    with scratch_dir(wh.path.parent, "claims") as workdir:
        try:
            parsed = parse_extract(layout, Path(workdir), secret=wh.hmac_key(), progress=progress)
            with wh.inputs(**_inputs(wh, layout, mapping)):
                create_raw_view(wh.con, layout, parsed, view="claims_raw_lines")
                # what the staging SQL reads: every line, until _stage_rejects narrows it
                wh.view("ingest/raw_claim_lines")
                with wh.transaction():
                    return _check_and_load(
                        wh,
                        path,
                        sha,
                        layout,
                        parsed,
                        _Rules(max_reject_rate, replace=replace, allow_empty=allow_empty),
                        progress,
                    )
        finally:
            _drop_temporaries(wh)


@dataclass(frozen=True)
class _Rules:
    """When a file is refused, and what --replace does."""

    max_reject_rate: float
    replace: bool = False
    allow_empty: bool = False


def _inputs(wh: Warehouse, layout: ExtractLayout, mapping: ClaimsMapping) -> dict[str, pa.Table]:
    """The Arrow tables the staging SQL reads besides the lines: the mapping file's value
    codes, the file's headers and, unless the reference tables have them, the eras."""
    value_rows = [
        (key, raw, code) for key, table in mapping.values.items() for raw, code in table.items()
    ]
    inputs = {
        "claim_value_map": pa.table(
            {
                "column_key": pa.array([r[0] for r in value_rows], pa.string()),
                "from_value": pa.array([r[1] for r in value_rows], pa.string()),
                "to_value": pa.array([r[2] for r in value_rows], pa.string()),
            }
        ),
    }
    headers = {key: layout.header_of(key) for key in canonical_columns()}
    headers["age_or_birth_date"] = headers["age"] or headers["birth_date"]
    present = {k: h for k, h in headers.items() if h is not None}
    inputs["claims_headers"] = pa.table(
        {
            "column_key": pa.array(list(present), pa.string()),
            "header": pa.array(list(present.values()), pa.string()),
        }
    )
    if wh.has_relation(_OWN_ERAS):
        # Registered by the reference module one day: use that one, and leave it in place.
        return inputs
    inputs[_OWN_ERAS] = era_table()
    return inputs


def _drop_temporaries(wh: Warehouse) -> None:
    for view in _TEMP_VIEWS:
        wh.drop_view(view)
    for table in _TEMP_TABLES:
        wh.drop(table)


def _check_and_load(
    wh: Warehouse,
    path: Path,
    sha: str,
    layout: ExtractLayout,
    parsed: ParsedExtract,
    rules: _Rules,
    progress: Progress,
) -> IngestSummary:
    """Check every line and load the valid ones in one pass, inside the caller's transaction.

    The valid lines go straight from the checks (stg_claim_lines, a view) into claim_lines; only
    when some line failed are the failing ones found (the lines not loaded) and checked again,
    alone, for their reasons. A refusal raises, and the caller's rollback keeps nothing.
    """
    progress.start(t("{file}: checking and loading lines", file=path.name))
    wh.materialize("staging/stg_claim_persons")
    for distinct_values in ("dates", "municipalities"):
        wh.materialize(f"staging/stg_claim_{distinct_values}")
    wh.view("staging/stg_claim_lines")
    ingest_id = wh.new_ingest(
        kind=KIND,
        path=path,
        sha256=sha,
        as_of=None,
        pref_codes=[],
        rows_read=0,
        rows_loaded=0,
        rows_rejected=0,
        details={},
    )
    loaded = wh.insert("claim_lines", "ingest/claim_lines_valid", {"ingest_id": ingest_id})
    checked = int(wh.scalar("ingest/claims_checked_lines"))
    failed = checked - loaded
    # the persons new to the warehouse, of the lines kept: when every line was kept, that is
    # every person of the file (numbered by stg_claim_persons)
    wh.insert(
        "persons",
        "ingest/claim_persons_new_kept" if failed else "ingest/claim_persons_new",
        {"ingest_id": ingest_id},
    )
    _stage_rejects(wh, ingest_id, failed=failed)
    progress.finish()

    malformed = _malformed_rejects(layout, parsed)
    # Lines that are no row of their own: an unclosed quote merged them into an earlier,
    # malformed row. They cannot be shown one by one, but they are counted.
    merged = parsed.merged_lines
    rows_read = checked + len(malformed) + merged
    rows_rejected = checked - loaded + len(malformed) + merged

    reasons: dict[str, int] = dict(wh.rows("ingest/claim_reject_reasons"))
    if malformed:
        reasons[WRONG_FIELDS] = reasons.get(WRONG_FIELDS, 0) + len(malformed)
    if merged:
        reasons[MERGED_REASON] = merged
    reasons = dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))
    examples = _examples(wh, path, layout, malformed)

    if rows_read == 0 and not rules.allow_empty:
        raise EmptyExtract(
            "no data lines: the file holds only a header",
            file=path,
            hint="nothing was recorded; if an extract without claims is expected, ingest it "
            "with --allow-empty",
        )
    rate = rows_rejected / rows_read if rows_read else 0.0
    if rate > rules.max_reject_rate:
        raise RejectRateExceeded(
            "{rejected:,} of {read:,} rows rejected ({rate:.2%}), above the limit of "
            "{limit:.2%}. Most common: {reasons}. First: {examples}",
            file=path,
            hint="nothing of this file was kept; fix those rows, map headers or codes with "
            "--mapping, or raise --max-reject-rate",
            rejected=rows_rejected,
            read=rows_read,
            rate=rate,
            limit=rules.max_reject_rate,
            reasons="; ".join(
                f"{n:,} × {stored(reason)}" for reason, n in list(reasons.items())[:3]
            ),
            examples="; ".join(_example(e) for e in examples),
        )

    grain_warnings, replaced = _apply_grain(wh, path, ingest_id, replace=rules.replace)
    of_ingest = {"ingest_id": ingest_id}
    month_rows = wh.rows("ingest/claim_months_of_ingest", of_ingest)
    months = {str(m): int(n) for m, n, _ in month_rows}
    pref_codes = [r[0] for r in wh.rows("ingest/claim_prefectures_of_ingest", of_ingest)]
    warnings = grain_warnings + _warnings(layout, parsed)
    if merged:
        warnings.append(
            t(
                "{lines:,} line(s) are not rows of their own: quotes merged them into earlier "
                "rows (see the rejects with the wrong number of fields); they count as rejected",
                lines=merged,
            )
        )
    if rows_read == 0:
        warnings.append(t("no data lines: only a header"))
    details: dict[str, Any] = {
        "encoding": parsed.decoded.encoding,
        # bytes converted to UTF-8 (a UTF-8 file is only parsed)
        "transcoded": parsed.decoded.encoding != "utf-8",
        "decode_mb_per_s": round(parsed.decode_mb_per_s, 1),
        "decode_workers": parsed.decoded.workers,
        "delimiter": layout.delimiter,
        "columns": {
            h: canonical_columns()[k].ja
            for h, k in zip(layout.headers, layout.keys, strict=True)
            if k is not None
        },
        "ignored_columns": layout.ignored,
        "blank_lines": parsed.decoded.blank_lines,
        "service_months": months,
        "insurer_months": sum(int(pairs) for _, _, pairs in month_rows),
        "replaced": replaced,
        "unmapped_codes": _unmapped_codes(wh, ingest_id),
    }
    wh.update_ingest(
        ingest_id,
        rows_loaded=rows_read - rows_rejected,
        rows_rejected=rows_rejected,
        rows_read=rows_read,
        pref_codes=pref_codes,
        details={**details, "reject_reasons": reasons},
    )
    wh.insert(
        "rejects",
        "ingest/claim_rejects_of_ingest",
        {"ingest_id": ingest_id, "kind": KIND, "file_name": path.name},
    )
    if merged:
        malformed.append(
            {
                "row": None,
                "reason": MERGED_REASON,
                "value": N_("{lines} lines").format(lines=merged),
                "raw_row": None,
            }
        )
    if malformed:
        insert_rejects(
            wh,
            ingest_id,
            KIND,
            path,
            pl.DataFrame(
                {
                    "row_number": [m["row"] for m in malformed],
                    "column_name": [None] * len(malformed),
                    "reason": [m["reason"] for m in malformed],
                    "value": [m["value"] for m in malformed],
                    "raw_row": [m["raw_row"] for m in malformed],
                },
                schema=REJECT_SCHEMA,
            ),
        )

    return IngestSummary(
        kind=KIND,
        file=str(path),
        sha256=sha,
        status="loaded",
        pref_codes=sorted(pref_codes),
        rows_read=rows_read,
        rows_loaded=rows_read - rows_rejected,
        rows_rejected=rows_rejected,
        reject_reasons=reasons,
        reject_examples=examples,
        warnings=warnings,
        details={**details, "ingest_id": ingest_id},
    )


def _stage_rejects(wh: Warehouse, ingest_id: int, *, failed: int) -> None:
    """stg_claim_rejects: why each checked line that was not loaded failed.

    Checking all lines again would cost a second pass: raw_claim_lines is narrowed to the
    failing lines — the non-blank lines of the file that are not in claim_lines, none when
    every line was loaded — so that stg_claim_lines checks only those.
    """
    wh.materialize("ingest/claims_failed_lines", {"ingest_id": ingest_id, "failed": failed})
    wh.view("ingest/raw_claim_lines_failed", relation="raw_claim_lines")
    wh.materialize("staging/stg_claim_rejects")


def _malformed_rejects(layout: ExtractLayout, parsed: ParsedExtract) -> list[dict[str, Any]]:
    """Lines with a number of fields other than the header's, as the reader shaped them: which
    field holds the person key cannot be told, so no field keeps its text."""
    return [
        {
            "row": m.line,
            "reason": WRONG_FIELDS,
            "value": N_("{fields} fields, the header has {columns}").format(
                fields=m.fields, columns=len(layout.headers)
            ),
            "raw_row": m.shape,
        }
        for m in parsed.malformed
    ]


def _examples(
    wh: Warehouse, path: Path, layout: ExtractLayout, malformed: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The first rejects in file order: by line, then by column as the file has them."""
    rows = wh.rows("ingest/claim_reject_examples", {"n": EXAMPLES})
    order = {key: i for i, key in enumerate(layout.keys) if key is not None}
    found = [
        (
            r[0],
            order.get(r[1], -1),
            {"file": path.name, "row": r[0], "column": r[2], "value": r[3], "reason": r[4]},
        )
        for r in rows
    ]
    found += [
        (
            m["row"],
            -1,
            {
                "file": path.name,
                "row": m["row"],
                "column": None,
                "value": m["value"],
                "reason": m["reason"],
            },
        )
        for m in malformed[:EXAMPLES]
    ]
    return [example for _, _, example in sorted(found, key=lambda f: (f[0], f[1]))][:EXAMPLES]


def _example(e: dict[str, Any]) -> str:
    """One rejected line for a refusal: 'line 7 性別 'a': 性別: not 1 or 2'."""
    where = [t("line {row}", row=e["row"])]
    if e["column"]:
        where.append(e["column"])
    if e["value"] not in (None, ""):
        where.append(repr(stored(e["value"])))
    return f"{' '.join(where)}: {stored(e['reason'])}"


def _unmapped_codes(wh: Warehouse, ingest_id: int) -> list[dict[str, Any]]:
    """114… (在宅医療) codes of the file that the code table lacks, most frequent first."""
    rows = wh.rows(
        "ingest/claim_codes_unmapped_of_ingest",
        {"ingest_id": ingest_id, "prefix": HOME_CARE_PREFIX + "%", "top": UNMAPPED_TOP},
    )
    return [{"code": code, "lines": int(n)} for code, n in rows]


def _apply_grain(
    wh: Warehouse, path: Path, ingest_id: int, *, replace: bool
) -> tuple[list[str], list[dict[str, Any]]]:
    """Record the file's (保険者番号, 診療年月) pairs and enforce the grain rule against the pairs
    other files hold; return (warnings, what was replaced per earlier ingest).

    Works on distinct pairs (claim_pairs, a few rows per insurer and month), never per line:
    the only pass over the lines is the group-by of this file's own, fresh lines.
    """
    wh.insert("claim_pairs", "ingest/claim_pairs_of_ingest", {"ingest_id": ingest_id})
    wh.materialize("staging/stg_claim_overlaps", {"ingest_id": ingest_id})
    same = wh.rows("ingest/claim_overlaps_same")
    if same and not replace:
        raise _overlap_error(path, same)
    replaced = _supersede(wh, ingest_id, same) if same else []
    warnings = [
        t(
            "replaced {lines:,} claim lines of {pairs} (保険者番号, 診療年月) pair(s) "
            "loaded from {file} (ingest {ingest_id})",
            lines=r["lines"],
            pairs=r["pairs"],
            file=r["file_name"],
            ingest_id=r["ingest_id"],
        )
        for r in replaced
    ]
    unknown = wh.rows("ingest/claim_overlaps_insurer_unknown")
    if unknown:
        months = sorted({m for m, _, _ in unknown})
        files = sorted({(i, f) for _, f, i in unknown})
        warnings.append(
            t(
                "service months {months} hold lines without 保険者番号 here and lines with one "
                "in {files}, or the other way round: if they are the same claims, they count "
                "twice (only equal (保険者番号, 診療年月) pairs are refused or replaced)",
                months=_first(months, SHOWN_PAIRS),
                files=_first(
                    [t("{file} (ingest {ingest_id})", file=f, ingest_id=i) for i, f in files], 3
                ),
            )
        )
    return warnings, replaced


def _pair_label(insurer_no: str | None, month: date) -> str:
    return f"{insurer_no or t('(no 保険者番号)')} {month:%Y-%m}"


def _first(items: list[str], n: int) -> str:
    """The first n items and how many more."""
    return and_more(join(items[:n]), len(items) - n)


def _earlier_files(same: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The earlier files holding the pairs of claim_overlaps_same, in ingest order, with how
    many of those pairs and of their lines each holds (a few rows: one per pair)."""
    earlier: dict[int, dict[str, Any]] = {}
    for _insurer, _month, _lines, old_id, old_file, old_at, old_lines in same:
        entry = earlier.setdefault(
            int(old_id),
            {"ingest_id": int(old_id), "file_name": old_file, "ingested_at": old_at,
             "pairs": 0, "lines": 0},
        )  # fmt: skip
        entry["pairs"] += 1
        entry["lines"] += int(old_lines)
    return [earlier[i] for i in sorted(earlier)]


def _overlap_error(path: Path, same: list[tuple[Any, ...]]) -> ClaimsOverlap:
    """Name the pairs (first few and how many) and the earlier files, and what to do."""
    pairs = {(insurer, month): int(lines) for insurer, month, lines, *_ in same}
    earlier = _earlier_files(same)
    labels = [_pair_label(i, m) for i, m in pairs]
    files = [
        t(
            "{file} (ingest {ingest_id}, {when})",
            file=e["file_name"],
            ingest_id=e["ingest_id"],
            when=_when(e["ingested_at"]),
        )
        for e in earlier
    ]
    ids = [e["ingest_id"] for e in earlier]
    n = len(pairs)
    return ClaimsOverlap(
        "1 (保険者番号, 診療年月) pair already loaded from another file: {labels}; loaded from "
        "{files}"
        if n == 1
        else "{count} (保険者番号, 診療年月) pairs already loaded from another file: {labels}; "
        "loaded from {files}",
        file=path,
        hint="nothing of this file was kept. If this file supersedes those claims, ingest it "
        "again with --replace; to take the earlier file out instead, run `zaitaku remove {id}`"
        if len(ids) == 1
        else "nothing of this file was kept. If this file supersedes those claims, ingest it "
        "again with --replace; to take the earlier file out instead, run `zaitaku remove ID` "
        "for each ingest named",
        count=n,
        labels=_first(labels, SHOWN_PAIRS),
        files=_first(files, SHOWN_PAIRS),
        id=ids[0],
        pairs=[
            {"insurer_no": i, "service_month": f"{m:%Y-%m}", "lines": n}
            for (i, m), n in pairs.items()
        ],
        earlier=[{**e, "ingested_at": _when(e["ingested_at"])} for e in earlier],
    )


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"


def _supersede(wh: Warehouse, ingest_id: int, same: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Delete the earlier files' lines of the pairs this file brings again, and record it."""
    earlier = _earlier_files(same)
    expected = sum(e["lines"] for e in earlier)
    replaced = wh.materialize("ingest/claim_pairs_replaced")
    keys = ["ingest_id", "service_month", "insurer_no"]
    deleted = wh.delete_matching("claim_lines", replaced, keys)
    if deleted != expected:
        # claim_pairs out of step with claim_lines: a bug, and the rollback keeps both as were
        raise WarehouseError(
            "replacing found {deleted:,} claim lines where claim_pairs says {expected:,}: "
            "nothing was changed; please report this",
            deleted=deleted,
            expected=expected,
        )
    wh.delete_matching("claim_pairs", replaced, keys)
    wh.insert("claim_replacements", "ingest/claim_replacements_of_ingest", {"ingest_id": ingest_id})
    return [
        {"ingest_id": e["ingest_id"], "file_name": e["file_name"], "pairs": e["pairs"],
         "lines": e["lines"]}
        for e in earlier
    ]  # fmt: skip


def _warnings(layout: ExtractLayout, parsed: ParsedExtract) -> list[str]:
    warnings = []
    if parsed.quoted_line_breaks:
        warnings.append(
            t(
                "some quoted fields hold line breaks: line numbers of rejects after them may be "
                "off by the number of such breaks"
            )
        )
    if parsed.decoded.replaced:
        warnings.append(
            t(
                "some bytes were not valid {encoding}: their rows were rejected; if many, pass "
                "--encoding to match how the file was saved",
                encoding=parsed.decoded.encoding,
            )
        )
    if layout.ignored:
        warnings.append(t("columns not used: {columns}", columns=join(layout.ignored)))
    return warnings
