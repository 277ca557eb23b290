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

import duckdb
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
from zaitaku_cli.warehouse import IngestRecord, Warehouse, file_sha256

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
)
_REGISTERED = ("claim_value_map", "claims_headers")
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
    previous = _intact_ingest(wh, sha)
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
    own_eras = not _relation_exists(wh, _OWN_ERAS)
    # The Parquet parts sit beside the warehouse, where DuckDB spills too: /tmp may be small.
    # They hold person keys (hashed by the workers, never the raw number) and the rest of the
    # file's text: removed on every exit, or by the next run after a SIGKILL.
    with scratch_dir(wh.path.parent, "claims") as workdir:
        try:
            parsed = parse_extract(layout, Path(workdir), secret=wh.hmac_key(), progress=progress)
            _register_inputs(wh, layout, mapping)
            create_raw_view(wh.con, layout, parsed, view="claims_raw_lines")
            # what the staging SQL reads: every line, until _stage_rejects narrows it
            wh.con.execute(
                "create or replace temp view raw_claim_lines as select * from claims_raw_lines"
            )
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
            _drop_temporaries(wh, own_eras=own_eras)


def _intact_ingest(wh: Warehouse, sha: str) -> IngestRecord | None:
    """The latest ingest of this exact file whose lines are all still in: not removed, and no
    pair of it replaced since. A file whose lines were replaced (in part) by another file loads
    again (with --replace, that is how an analyst reverts to it), so the sha256 alone is not
    enough."""
    row = wh.fetch_all(
        """
        select ingest_id, kind, file_name, sha256, as_of, rows_loaded, ingested_at
        from ingest_log as l
        where sha256 = $sha and kind = $kind and removed_at is null
            and not exists (
                select 1 from claim_replacements as r where r.replaced_ingest_id = l.ingest_id
            )
        order by ingest_id desc
        limit 1
        """,
        {"sha": sha, "kind": KIND},
    )
    return IngestRecord(*row[0]) if row else None


@dataclass(frozen=True)
class _Rules:
    """When a file is refused, and what --replace does."""

    max_reject_rate: float
    replace: bool = False
    allow_empty: bool = False


def _register_inputs(wh: Warehouse, layout: ExtractLayout, mapping: ClaimsMapping) -> None:
    value_rows = [
        (key, raw, code) for key, table in mapping.values.items() for raw, code in table.items()
    ]
    wh.con.register(
        "claim_value_map",
        pa.table(
            {
                "column_key": pa.array([r[0] for r in value_rows], pa.string()),
                "from_value": pa.array([r[1] for r in value_rows], pa.string()),
                "to_value": pa.array([r[2] for r in value_rows], pa.string()),
            }
        ),
    )
    headers = {key: layout.header_of(key) for key in canonical_columns()}
    headers["age_or_birth_date"] = headers["age"] or headers["birth_date"]
    present = {k: h for k, h in headers.items() if h is not None}
    wh.con.register(
        "claims_headers",
        pa.table(
            {
                "column_key": pa.array(list(present), pa.string()),
                "header": pa.array(list(present.values()), pa.string()),
            }
        ),
    )
    if _relation_exists(wh, _OWN_ERAS):
        # Registered by the reference module one day: use that one, and leave it in place.
        return
    wh.con.register(_OWN_ERAS, era_table())


def _relation_exists(wh: Warehouse, name: str) -> bool:
    try:
        wh.fetch_all(f"select 1 from {name} limit 0")
    except duckdb.CatalogException:
        return False
    return True


def _drop_temporaries(wh: Warehouse, *, own_eras: bool) -> None:
    for view in _TEMP_VIEWS:
        wh.con.execute(f"drop view if exists {view}")
    for table in _TEMP_TABLES:
        wh.con.execute(f"drop table if exists {table}")
    for name in _REGISTERED + ((_OWN_ERAS,) if own_eras else ()):
        wh.con.unregister(name)


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
    loaded = wh.fetch_all(
        """
        insert into claim_lines (ingest_id, source_row, service_month, insurer_no, person_id,
            sex, age, residence_code5, inout, facility_code10, act_code, times)
        select $ingest_id, line_no, service_month, insurer_no, person_id,
            sex, age, residence_code5, inout, facility_code10, act_code, times
        from stg_claim_lines
        where is_valid
        """,
        {"ingest_id": ingest_id},
    )[0][0]
    checked = wh.fetch_all("select count(*) from raw_claim_lines where not is_blank")[0][0]
    failed = int(checked) - int(loaded)
    # the persons new to the warehouse, of the lines kept: when every line was kept, that is
    # every person of the file (numbered by stg_claim_persons)
    wh.con.execute(
        "insert into persons (person_key, person_id) "
        "select person_key, person_id from stg_claim_persons where is_new"
        + (
            " and person_id in (select person_id from claim_lines where ingest_id = $ingest_id)"
            if failed
            else ""
        ),
        {"ingest_id": ingest_id} if failed else {},
    )
    _stage_rejects(wh, ingest_id, failed=failed)
    progress.finish()

    malformed = _malformed_rejects(layout, parsed)
    # Lines that are no row of their own: an unclosed quote merged them into an earlier,
    # malformed row. They cannot be shown one by one, but they are counted.
    merged = parsed.merged_lines
    rows_read = int(checked) + len(malformed) + merged
    rows_rejected = int(checked) - int(loaded) + len(malformed) + merged

    reasons: dict[str, int] = dict(
        wh.fetch_all(
            "select reason, count(*) from stg_claim_rejects group by reason "
            "order by count(*) desc, reason"
        )
    )
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
    months = dict(
        wh.fetch_all(
            "select strftime(service_month, '%Y-%m'), sum(lines) from claim_pairs "
            "where ingest_id = $id group by service_month order by service_month",
            {"id": ingest_id},
        )
    )
    months = {m: int(n) for m, n in months.items()}
    pref_codes = [
        r[0]
        for r in wh.fetch_all(
            "select distinct substr(residence_code5, 1, 2) from claim_lines where ingest_id = $id",
            {"id": ingest_id},
        )
    ]
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
        "insurer_months": wh.fetch_all(
            "select count(*) from claim_pairs where ingest_id = $id", {"id": ingest_id}
        )[0][0],
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
    wh.con.execute(
        """
        insert into rejects (ingest_id, kind, file_name, row_number, column_name, reason, value,
            raw_row)
        select $ingest_id, $kind, $file_name, line_no, column_name, reason, value, raw_row
        from stg_claim_rejects
        """,
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
        wh.con.register("claims_malformed_rejects", pa.Table.from_pylist(malformed))
        try:
            wh.con.execute(
                """
                insert into rejects (ingest_id, kind, file_name, row_number, column_name,
                    reason, value, raw_row)
                select $ingest_id, $kind, $file_name, row, null, reason, value, raw_row
                from claims_malformed_rejects
                """,
                {"ingest_id": ingest_id, "kind": KIND, "file_name": path.name},
            )
        finally:
            wh.con.unregister("claims_malformed_rejects")

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
    wh.con.execute(
        """
        create or replace temp table claims_failed_lines as
        select line_no
        from claims_raw_lines
        where $failed > 0
            and not is_blank
            and line_no not in (select source_row from claim_lines where ingest_id = $ingest_id)
        """,
        {"ingest_id": ingest_id, "failed": failed},
    )
    wh.con.execute(
        "create or replace temp view raw_claim_lines as select * from claims_raw_lines "
        "where line_no in (select line_no from claims_failed_lines)"
    )
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
    rows = wh.fetch_all(
        """
        select line_no, column_key, column_name, value, reason
        from stg_claim_rejects
        where line_no in (
            select distinct line_no from stg_claim_rejects order by line_no limit $n
        )
        """,
        {"n": EXAMPLES},
    )
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
    rows = wh.fetch_all(
        """
        select l.act_code, count(*) as lines
        from claim_lines as l
        left join ref_claim_codes as c on c.code = l.act_code
        where l.ingest_id = $ingest_id and c.code is null and l.act_code like $prefix
        group by l.act_code
        order by lines desc, l.act_code
        limit $top
        """,
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
    wh.con.execute(
        """
        insert into claim_pairs (ingest_id, insurer_no, service_month, lines)
        select $ingest_id, insurer_no, service_month, count(*)
        from claim_lines
        where ingest_id = $ingest_id
        group by insurer_no, service_month
        """,
        {"ingest_id": ingest_id},
    )
    wh.materialize("staging/stg_claim_overlaps", {"ingest_id": ingest_id})
    same = wh.fetch_all(
        """
        select insurer_no, service_month, lines, earlier_ingest_id, earlier_file_name,
            earlier_ingested_at, earlier_lines
        from stg_claim_overlaps
        where overlap = 'same'
        order by service_month, insurer_no nulls first, earlier_ingest_id
        """
    )
    if same and not replace:
        raise _overlap_error(path, same)
    replaced = _supersede(wh, ingest_id) if same else []
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
    unknown = wh.fetch_all(
        """
        select distinct strftime(service_month, '%Y-%m'), earlier_file_name, earlier_ingest_id
        from stg_claim_overlaps
        where overlap = 'insurer_unknown'
        order by 1, 3
        """
    )
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


def _overlap_error(path: Path, same: list[tuple[Any, ...]]) -> ClaimsOverlap:
    """Name the pairs (first few and how many) and the earlier files, and what to do."""
    pairs: dict[tuple[str | None, date], int] = {}
    earlier: dict[int, dict[str, Any]] = {}
    for insurer, month, lines, old_id, old_file, old_at, old_lines in same:
        pairs[(insurer, month)] = int(lines)
        entry = earlier.setdefault(
            int(old_id),
            {"ingest_id": int(old_id), "file_name": old_file, "ingested_at": old_at,
             "pairs": 0, "lines": 0},
        )  # fmt: skip
        entry["pairs"] += 1
        entry["lines"] += int(old_lines)
    labels = [_pair_label(i, m) for i, m in pairs]
    files = [
        t(
            "{file} (ingest {ingest_id}, {when})",
            file=e["file_name"],
            ingest_id=e["ingest_id"],
            when=_when(e["ingested_at"]),
        )
        for e in sorted(earlier.values(), key=lambda e: e["ingest_id"])
    ]
    ids = sorted(earlier)
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
        earlier=[
            {**e, "ingested_at": _when(e["ingested_at"])}
            for e in sorted(earlier.values(), key=lambda e: e["ingest_id"])
        ],
    )


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"


def _supersede(wh: Warehouse, ingest_id: int) -> list[dict[str, Any]]:
    """Delete the earlier files' lines of the pairs this file brings again, and record it."""
    expected = wh.fetch_all(
        "select coalesce(sum(earlier_lines), 0) from stg_claim_overlaps where overlap = 'same'"
    )[0][0]
    deleted = wh.fetch_all(
        """
        delete from claim_lines as l
        using stg_claim_overlaps as o
        where o.overlap = 'same'
            and l.ingest_id = o.earlier_ingest_id
            and l.service_month = o.service_month
            and l.insurer_no is not distinct from o.insurer_no
        """
    )[0][0]
    if int(deleted) != int(expected):
        # claim_pairs out of step with claim_lines: a bug, and the rollback keeps both as were
        raise WarehouseError(
            "replacing found {deleted:,} claim lines where claim_pairs says {expected:,}: "
            "nothing was changed; please report this",
            deleted=int(deleted),
            expected=int(expected),
        )
    wh.con.execute(
        """
        delete from claim_pairs as p
        using stg_claim_overlaps as o
        where o.overlap = 'same'
            and p.ingest_id = o.earlier_ingest_id
            and p.service_month = o.service_month
            and p.insurer_no is not distinct from o.insurer_no
        """
    )
    wh.con.execute(
        """
        insert into claim_replacements (ingest_id, replaced_ingest_id, insurer_no,
            service_month, lines, replaced_at)
        select $ingest_id, earlier_ingest_id, insurer_no, service_month, earlier_lines,
            current_localtimestamp()
        from stg_claim_overlaps
        where overlap = 'same'
        """,
        {"ingest_id": ingest_id},
    )
    rows = wh.fetch_all(
        """
        select earlier_ingest_id, earlier_file_name, count(*), sum(earlier_lines)
        from stg_claim_overlaps
        where overlap = 'same'
        group by earlier_ingest_id, earlier_file_name
        order by earlier_ingest_id
        """
    )
    return [
        {"ingest_id": int(i), "file_name": f, "pairs": int(p), "lines": int(n)}
        for i, f, p, n in rows
    ]


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
