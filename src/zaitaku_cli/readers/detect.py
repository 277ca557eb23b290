"""Recognise an input file's kind by its content: one cheap detector per kind, tried in turn.

`zaitaku ingest PATH` and the drop folder of `zaitaku refresh` use this to tell a bureau list
from a count table from a claims extract without being told. Each detector reads only the start
of the file (readers.sample) and answers with a reason, so that a file no detector takes is
refused with what each kind expected. A new kind (survey, hubs…) adds its `detect(sample)`
beside its reader and one line to DETECTORS (and its ingest to ingest_auto.INGESTERS).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from zaitaku_cli.errors import InputError
from zaitaku_cli.i18n import N_, t
from zaitaku_cli.readers import (
    bureau_list,
    claims_extract,
    count_table,
    enrolment,
    hubs,
    population_table,
    survey,
)
from zaitaku_cli.readers.claims_extract import ClaimsMapping
from zaitaku_cli.readers.sample import Sample, Verdict

__all__ = ["DETECTORS", "Detection", "Detector", "UnrecognisedInput", "detect_kind", "kinds"]


@dataclass(frozen=True)
class Detector:
    kind: str  # the kind as the CLI names it: `zaitaku ingest KIND`
    what: str  # what such a file is, for messages
    detect: Callable[[Sample], Verdict]


# In the order files of a refresh are ingested (facility lists before the claims they locate).
DETECTORS: tuple[Detector, ...] = (
    Detector("facilities", N_("bureau list 届出受理医療機関名簿"), bureau_list.detect),
    Detector("facility-counts", N_("count table 市町名 × 受理記号"), count_table.detect),
    Detector("claims", N_("KDB claims extract"), claims_extract.detect),
    Detector(
        "population",
        N_("住基 population table (population.csv columns)"),
        population_table.detect,
    ),
    Detector("enrolment", N_("国保 + 後期 enrolment table"), enrolment.detect),
    Detector("survey", N_("facility survey 訪問診療の実施可能件数・参入意向"), survey.detect),
    Detector("hubs", N_("hub list 在宅医療に必要な連携を担う拠点"), hubs.detect),
)


def kinds() -> list[str]:
    return [d.kind for d in DETECTORS]


@dataclass(frozen=True)
class Detection:
    path: Path
    kind: str
    reason: str  # why it was taken for that kind
    tried: tuple[tuple[str, Verdict], ...]  # every kind's verdict, in DETECTORS order


class UnrecognisedInput(InputError):
    """No detector (or more than one) took the file: the message says what each one found."""


def detect_kind(path: Path, *, claims_mapping: ClaimsMapping | None = None) -> Detection:
    """The kind of `path`, from its content. Raises UnrecognisedInput naming every kind tried
    and why it did not match (or which kinds matched, when more than one did)."""
    if not path.is_file():
        raise InputError("not a file", file=path, hint="check the path")
    sample = Sample(path, claims_mapping=claims_mapping)
    try:
        tried = tuple((d.kind, d.detect(sample)) for d in DETECTORS)
    except OSError as exc:
        raise InputError(
            "cannot read the file ({reason})", file=path, reason=exc.strerror or exc
        ) from exc
    matched = [(kind, verdict) for kind, verdict in tried if verdict.matched]
    explicit = "{" + ",".join(kinds()) + "}"
    if len(matched) == 1:
        kind, verdict = matched[0]
        return Detection(path, kind, verdict.reason, tried)
    if matched:
        shown = "; ".join(f"{kind} ({verdict.reason})" for kind, verdict in matched)
        raise UnrecognisedInput(
            "looks like more than one kind of input: {kinds}",
            file=path,
            hint="name the kind: zaitaku ingest {choices} PATH",
            kinds=shown,
            choices=explicit,
        )
    what = {d.kind: d.what for d in DETECTORS}
    shown = "; ".join(
        t("as {kind} ({what}): {reason}", kind=kind, what=t(what[kind]), reason=verdict.reason)
        for kind, verdict in tried
    )
    raise UnrecognisedInput(
        "not a kind of input zaitaku recognises — tried {tried}",
        file=path,
        hint="name the kind: zaitaku ingest {choices} PATH",
        tried=shown,
        choices=explicit,
    )
