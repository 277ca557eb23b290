"""Take an ingested file back out of the warehouse (`zaitaku remove FILE|ID`), in one transaction.

The file's rows go (claim lines, facility notifications or count rows, and its rejects); its
ingest_log row stays, marked removed, so that `zaitaku status` and the manifests still tell what
happened. A removed file that is ingested again loads again.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from zaitaku_cli.errors import AmbiguousIngest, IngestNotFound, ZaitakuError
from zaitaku_cli.i18n import N_, join, t
from zaitaku_cli.warehouse import Warehouse, file_sha256

__all__ = ["LoggedIngest", "Removal", "find_ingests", "remove_ingest"]

# The table holding each kind's rows; every kind also has rows in `rejects`.
ROW_TABLES = {
    "claims": "claim_lines",
    "facilities": "facility_notifications",
    "facility_counts": "facility_counts",
    "survey": "survey_responses",
    "hubs": "hub_areas",
}

RemovalStatus = Literal["removed", "would remove", "already removed"]


@dataclass
class Removal:
    """What `remove` did (or, with dry_run, would do) to one ingested file."""

    ingest_id: int
    kind: str
    file_name: str
    ingested_at: datetime
    status: RemovalStatus
    rows: int = 0  # claim lines, facility notifications or count rows
    rejects: int = 0
    claim_pairs: int = 0  # (保険者番号, 診療年月) pairs the claims held
    persons_pruned: int = 0  # persons no other claim line refers to any more
    removed_at: datetime | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("ingested_at", "removed_at"):
            moment = data[key]
            data[key] = moment.isoformat(sep=" ", timespec="seconds") if moment else None
        return data


@dataclass(frozen=True)
class LoggedIngest:
    """One row of ingest_log, as remove matches it."""

    ingest_id: int
    kind: str
    file_name: str
    file_path: str
    ingested_at: datetime
    removed_at: datetime | None
    details: str | None

    def label(self) -> str:
        return t(
            "ingest {ingest_id} ({kind}, {file}, {when})",
            ingest_id=self.ingest_id,
            kind=self.kind,
            file=self.file_name,
            when=_when(self.ingested_at),
        )


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"


def find_ingests(wh: Warehouse, target: str) -> list[LoggedIngest]:
    """The ingests `target` names, in the order of the rules below; removed ones included.

    An existing file is matched by its content (sha256), then by the path it was ingested
    from, then by its name; a number that is no file by ingest_id; anything else by the path
    it was ingested from or its file name.
    """
    path = Path(target)
    rules: list[tuple[str, set[Any]]] = []
    if path.is_file():
        rules.append(("sha256", {file_sha256(path)}))
        rules.append(("file_path", {target, str(path.resolve())}))
        rules.append(("file_name", {path.name}))
    elif target.isdigit():
        rules.append(("ingest_id", {int(target)}))
    else:
        rules.append(("file_path", {target}))
        rules.append(("file_name", {path.name}))
    log = wh.ingest_log()  # a row per file ever ingested: read once, matched here
    for column, values in rules:
        found = [
            LoggedIngest(**{f.name: row[f.name] for f in fields(LoggedIngest)})
            for row in log
            if row[column] in values
        ]
        if found:
            return found
    return []


def remove_ingest(wh: Warehouse, target: str, *, dry_run: bool = False) -> Removal:
    """Take the file `target` names (see find_ingests) out of the warehouse, in one transaction.

    Raises IngestNotFound when nothing matches, AmbiguousIngest when several files still in
    the warehouse do. A file already removed is no error (a cron job may run twice): its
    Removal says "already removed".
    """
    found = find_ingests(wh, target)
    if not found:
        raise IngestNotFound(
            "no ingested file matches {target!r}: give the file, its name or its ingest id "
            "as `zaitaku status` lists them",
            target=target,
        )
    present = [i for i in found if i.removed_at is None]
    if not present:
        last = found[-1]
        assert last.removed_at is not None
        return Removal(
            ingest_id=last.ingest_id,
            kind=last.kind,
            file_name=last.file_name,
            ingested_at=last.ingested_at,
            status="already removed",
            removed_at=last.removed_at,
        )
    if len(present) > 1:
        shown = "; ".join(i.label() for i in present)
        raise AmbiguousIngest(
            "{target!r} matches {count} ingested files: {files} — name one by its id, "
            "e.g. `zaitaku remove {ingest_id}`",
            target=target,
            count=len(present),
            files=shown,
            ingest_id=present[-1].ingest_id,
        )
    ingest = present[0]
    if ingest.kind not in ROW_TABLES:
        raise ZaitakuError(
            "{ingest}: unknown kind {kind!r}, nothing removed",
            ingest=ingest.label(),
            kind=ingest.kind,
        )
    if dry_run:
        return _count(wh, ingest)
    with wh.transaction():
        return _remove(wh, ingest)


def _count(wh: Warehouse, ingest: LoggedIngest) -> Removal:
    of_ingest = {"ingest_id": ingest.ingest_id}
    removal = Removal(
        ingest_id=ingest.ingest_id,
        kind=ingest.kind,
        file_name=ingest.file_name,
        ingested_at=ingest.ingested_at,
        status="would remove",
        rows=wh.count_rows(ROW_TABLES[ingest.kind], of_ingest),
        rejects=wh.count_rows("rejects", of_ingest),
        claim_pairs=wh.count_rows("claim_pairs", of_ingest),
    )
    removal.warnings = _not_restored(wh, ingest)
    return removal


def _remove(wh: Warehouse, ingest: LoggedIngest) -> Removal:
    removal = _count(wh, ingest)
    of_ingest = {"ingest_id": ingest.ingest_id}
    deleted = wh.delete_rows(ROW_TABLES[ingest.kind], of_ingest)
    wh.delete_rows("rejects", of_ingest)
    if ingest.kind == "claims":
        wh.delete_rows("claim_pairs", of_ingest)
        # persons holds one HMAC per person; prune those no claim line refers to any more, so
        # that a file taken out (maybe because it should never have been loaded) leaves no
        # trace of its persons. One pass over claim_lines.person_id: cheap next to the delete.
        # A person id freed here may be given again later: no stored line refers to it.
        removal.persons_pruned = wh.prune("persons", "person_id", referenced_by="claim_lines")
    removal.removed_at = wh.mark_removed(ingest.ingest_id, rows=deleted)
    removal.rows = deleted
    removal.status = "removed"
    return removal


def _not_restored(wh: Warehouse, ingest: LoggedIngest) -> list[str]:
    """Rows this file had replaced stay gone when it is removed: say how to bring them back."""
    if ingest.kind == "claims":
        rows = wh.rows("ingest/claims_replaced_by_ingest", {"ingest_id": ingest.ingest_id})
        return [
            t(
                "{file} had replaced {lines:,} claim lines of {pairs} (保険者番号, 診療年月) "
                "pair(s) from {earlier} (ingest {ingest_id}): they are not restored; to bring "
                "them back, ingest {earlier} again with --replace",
                file=ingest.file_name,
                lines=int(lines),
                pairs=pairs,
                earlier=name,
                ingest_id=old,
            )
            for name, old, pairs, lines in rows
        ]
    if ingest.kind in {"facility_counts", "survey", "hubs"} and ingest.details:
        replaced = json.loads(ingest.details).get("replaced_ingests") or []
        if replaced:
            message = {
                "survey": N_(
                    "{file} had replaced the same answers from ingest {ids}: it is not "
                    "restored; ingest it again to bring it back"
                ),
                "hubs": N_(
                    "{file} had replaced the same hub list from ingest {ids}: it is not "
                    "restored; ingest it again to bring it back"
                ),
            }.get(
                ingest.kind,
                N_(
                    "{file} had replaced the same table from ingest {ids}: it is not "
                    "restored; ingest it again to bring it back"
                ),
            )
            return [t(message, file=ingest.file_name, ids=join(replaced))]
    return []
