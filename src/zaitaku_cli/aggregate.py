"""`zaitaku aggregate`: run the marts SQL for one area level and write Parquet + CSV + manifest."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from zaitaku_cli import __version__
from zaitaku_cli.errors import ConfigError, SnapshotNotFound
from zaitaku_cli.export import write_json, write_outputs
from zaitaku_cli.reference import DATA_DIR
from zaitaku_cli.warehouse import Warehouse, file_sha256

LEVELS = ("municipality", "ward", "secondary-area", "prefecture")
PLANS = ("8th", "7th")
PERIODS = ("fiscal-year", "month")

FACILITY_SOURCE_NOTE = (
    "地方厚生局 届出受理医療機関名簿（医科）/ 都道府県の集計表. "
    "facilities = distinct facilities; categories overlap and must not be added together."
)


@dataclass
class AggregateResult:
    level: str
    plan: str
    as_of: date | None
    outputs: list[Path] = field(default_factory=list)
    facilities: pa.Table | None = None
    claims: pa.Table | None = None
    warnings: list[str] = field(default_factory=list)
    manifest: Path | None = None


def file_stem(kind: str, level: str) -> str:
    """facilities_by_secondary_area: file names use underscores where the CLI uses hyphens."""
    return f"{kind}_by_{level.replace('-', '_')}"


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {value!r}")


def available_snapshots(wh: Warehouse) -> list[date]:
    rows = wh.fetch_all(
        "select distinct as_of from facility_notifications where as_of is not null "
        "union select distinct as_of from facility_counts where as_of is not null order by 1"
    )
    return [r[0] for r in rows]


def build_facilities_by_area(
    wh: Warehouse, *, level: str, plan: str = "8th", as_of: date | None = None
) -> pa.Table:
    """Facilities per area × category × list date, from bureau lists and count tables."""
    _check_choice("--by", level, LEVELS)
    _check_choice("--plan", plan, PLANS)
    wh.materialize("staging/stg_area_units", {"plan": plan})
    wh.materialize("staging/stg_facility_categories", {"as_of": as_of})
    return wh.arrow("marts/facilities_by_area", {"level": level, "as_of": as_of})


def _reference_provenance() -> dict[str, str]:
    return {
        path.name: file_sha256(path)
        for path in sorted(DATA_DIR.glob("*.csv"))
        if path.name
        in {"juri_kigo.csv", "claim_codes.csv", "secondary_areas.csv", "municipalities.csv"}
    }


def _output_entry(path: Path, rows: int) -> dict[str, Any]:
    return {
        "path": str(path),
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "rows": rows,
    }


def aggregate(
    wh: Warehouse,
    *,
    level: str,
    out_dir: Path,
    plan: str = "8th",
    as_of: date | None = None,
    period: str = "fiscal-year",
    csv_encoding: str = "utf-8-sig",
    suppress: bool = True,
    min_facilities: int = 0,
) -> AggregateResult:
    """Compute every output the warehouse has data for at `level` and write it to `out_dir`."""
    _check_choice("--period", period, PERIODS)
    result = AggregateResult(level=level, plan=plan, as_of=as_of)
    if as_of is not None and as_of not in available_snapshots(wh):
        dates = ", ".join(d.isoformat() for d in available_snapshots(wh)) or "none"
        raise SnapshotNotFound(
            f"no facility list or count table as of {as_of.isoformat()} in {wh.path} "
            f"(available: {dates}); omit --as-of to use the latest"
        )

    facilities = build_facilities_by_area(wh, level=level, plan=plan, as_of=as_of)
    entries: list[dict[str, Any]] = []
    if facilities.num_rows:
        result.facilities = facilities
        paths = write_outputs(
            facilities,
            out_dir,
            file_stem("facilities", level),
            metadata={"source": FACILITY_SOURCE_NOTE, "level": level, "plan": plan},
            csv_encoding=csv_encoding,
        )
        result.outputs += paths
        entries += [_output_entry(p, facilities.num_rows) for p in paths]

    claims_lines = wh.fetch_all("select count(*) from claim_lines")[0][0]
    if claims_lines:
        from zaitaku_cli.claims_aggregate import build_claims_by_area

        claims = build_claims_by_area(
            wh,
            level=level,
            plan=plan,
            period=period,
            suppress=suppress,
            min_facilities=min_facilities,
        )
        result.claims = claims.table
        result.warnings += claims.warnings
        paths = write_outputs(
            claims.table,
            out_dir,
            file_stem("claims", level),
            metadata=claims.metadata,
            csv_encoding=csv_encoding,
            suppress_flags={
                "patients": "patients_suppressed",
                "claims": "claims_suppressed",
                "count": "count_suppressed",
            },
        )
        result.outputs += paths
        entries += [_output_entry(p, claims.table.num_rows) for p in paths]

    if not result.outputs:
        raise SnapshotNotFound(
            f"the warehouse {wh.path} holds no facility list, count table or claims yet: "
            "run `zaitaku ingest …` first"
        )

    manifest = {
        "zaitaku_version": __version__,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "warehouse": str(wh.path),
        "level": level,
        "plan": plan,
        "as_of": as_of.isoformat() if as_of else "latest per prefecture",
        "period": period,
        "suppression": "ndb" if suppress else "off (internal use only: not for publication)",
        "coverage": "claims: 国保・後期高齢者のみ（KDB）: 被用者保険・医療扶助を含まない",
        "inputs": wh.ingests(),
        "reference_sha256": _reference_provenance(),
        "outputs": entries,
        "warnings": result.warnings,
    }
    result.manifest = write_json(manifest, out_dir / f"manifest_{level.replace('-', '_')}.json")
    wh.con.execute(
        "insert into export_log values (current_localtimestamp(), $level, $manifest)",
        {"level": level, "manifest": str(manifest)},
    )
    return result
