"""Ingest files of any kind: each is recognised by its content (readers.detect) and loaded by the
ingest of its kind, one transaction per file. `zaitaku ingest PATH...` and `zaitaku refresh`
call this; `zaitaku ingest KIND PATH...` goes straight to the kind's own ingest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from zaitaku_cli.errors import InputError
from zaitaku_cli.geo import prefectures_naming
from zaitaku_cli.i18n import N_, join
from zaitaku_cli.ingest_claims import ingest_claim_extracts
from zaitaku_cli.ingest_counts import ingest_count_table
from zaitaku_cli.ingest_facilities import ingest_facility_list
from zaitaku_cli.ingest_population import ingest_enrolment, ingest_population
from zaitaku_cli.progress import NoProgress, Progress
from zaitaku_cli.readers.claims_extract import read_mapping
from zaitaku_cli.readers.count_table import read_count_table
from zaitaku_cli.readers.detect import DETECTORS, Detection, detect_kind
from zaitaku_cli.reference import municipalities
from zaitaku_cli.summary import IngestSummary
from zaitaku_cli.warehouse import Warehouse

__all__ = [
    "INGESTERS",
    "IngestOptions",
    "count_table_prefecture",
    "ingest_file",
    "recognise",
]


@dataclass(frozen=True)
class IngestOptions:
    """What the kinds' ingests may need; each takes the options that concern it."""

    # count tables and hub lists: 都道府県コード, None = tell it from the names; surveys: the
    # prefecture to look rows without a code up in
    pref: str | None = None
    as_of: date | None = None  # bureau lists and count tables: overrides the title's date
    claims_mapping: Path | None = None
    claims_encoding: str = "auto"
    max_reject_rate: float = 0.01
    # Claims whose (保険者番号, 診療年月) pairs were loaded from another file: supersede them
    # (True) or refuse the file (False).
    replace: bool = False
    # A file with a header but no data rows: record it (True) or refuse it (False).
    allow_empty: bool = False


Ingester = Callable[[Warehouse, Path, IngestOptions, Progress], IngestSummary]


def _facilities(
    wh: Warehouse, path: Path, options: IngestOptions, progress: Progress
) -> IngestSummary:
    return ingest_facility_list(
        wh, path, as_of=options.as_of, allow_empty=options.allow_empty, progress=progress
    )


def _facility_counts(
    wh: Warehouse, path: Path, options: IngestOptions, progress: Progress
) -> IngestSummary:
    pref = options.pref or count_table_prefecture(path)
    summary = ingest_count_table(wh, path, pref_code=pref, as_of=options.as_of)
    summary.details["pref_from"] = "option" if options.pref else "names"
    return summary


def _claims(wh: Warehouse, path: Path, options: IngestOptions, progress: Progress) -> IngestSummary:
    summaries = ingest_claim_extracts(
        wh,
        [path],
        mapping=options.claims_mapping,
        encoding=options.claims_encoding,
        max_reject_rate=options.max_reject_rate,
        replace=options.replace,
        allow_empty=options.allow_empty,
        progress=progress,
    )
    return summaries[0]


def _population(
    wh: Warehouse, path: Path, options: IngestOptions, progress: Progress
) -> IngestSummary:
    return ingest_population(wh, path)


def _enrolment(
    wh: Warehouse, path: Path, options: IngestOptions, progress: Progress
) -> IngestSummary:
    # its date is its own 基準日 column (--as-of is a bureau list's or count table's date); a
    # layout that needs --mapping is ingested with `zaitaku ingest enrolment`
    return ingest_enrolment(wh, path)


def _survey(wh: Warehouse, path: Path, options: IngestOptions, progress: Progress) -> IngestSummary:
    # its date is its own 調査時点 column; --pref scopes rows without a 医療機関コード
    from zaitaku_cli.ingest_survey import ingest_survey

    return ingest_survey(wh, path, pref_code=options.pref)


def _hubs(wh: Warehouse, path: Path, options: IngestOptions, progress: Progress) -> IngestSummary:
    from zaitaku_cli.ingest_hubs import ingest_hubs

    return ingest_hubs(wh, path, pref_code=options.pref)


# One ingest per kind that DETECTORS recognises (and `zaitaku ingest KIND` names).
INGESTERS: dict[str, Ingester] = {
    "facilities": _facilities,
    "facility-counts": _facility_counts,
    "claims": _claims,
    "population": _population,
    "enrolment": _enrolment,
    "survey": _survey,
    "hubs": _hubs,
}
assert set(INGESTERS) <= {d.kind for d in DETECTORS}


def recognise(paths: Sequence[Path], *, claims_mapping: Path | None = None) -> list[Detection]:
    """The kind of every file, before any is loaded: an unrecognised file stops the ingest with
    nothing loaded (UnrecognisedInput names each kind tried and why it did not match)."""
    mapping = read_mapping(claims_mapping)
    found = [detect_kind(Path(p), claims_mapping=mapping) for p in paths]
    for detection in found:
        if detection.kind not in INGESTERS:
            raise InputError(
                "recognised as {kind}, which this zaitaku cannot ingest yet",
                file=detection.path,
                kind=detection.kind,
            )
    return found


def ingest_file(
    wh: Warehouse,
    path: Path,
    kind: str,
    options: IngestOptions | None = None,
    *,
    progress: Progress | None = None,
) -> IngestSummary:
    """Ingest one file as `kind` (a key of INGESTERS) in its own transaction."""
    return INGESTERS[kind](wh, path, options or IngestOptions(), progress or NoProgress())


def count_table_prefecture(path: Path) -> str:
    """The 都道府県コード of a count table given without --pref: the one prefecture all its
    names are municipalities of. InputError asking for --pref when none or several fit."""
    table = read_count_table(path)
    names = sorted(set(table.counts["name_raw"].to_list()))
    naming = prefectures_naming(names)
    fits = [pref for pref, n in naming.items() if n == len(names)]
    if len(fits) == 1:
        return fits[0]
    pref_names = dict(
        municipalities().filter(kind="都道府県").select("pref_code", "name").iter_rows()
    )
    best = max(naming, key=lambda p: (naming[p], p)) if naming else ""
    if fits:
        message = N_("its municipality names fit more than one prefecture ({prefs})")
    elif naming:
        message = N_(
            "its municipality names are not those of one prefecture (at most {most} of "
            "{names} are in {best})"
        )
    else:
        message = N_("none of its names is a municipality")
    raise InputError(
        message,
        file=path,
        column=table.name_header,
        hint="pass --pref with the 都道府県コード (e.g. --pref 03 for 岩手県)",
        prefs=join(f"{p} {pref_names[p]}" for p in fits),
        most=naming.get(best, 0),
        names=len(names),
        best=f"{best} {pref_names.get(best, '')}",
    )
