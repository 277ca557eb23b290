"""What an ingest tells the analyst: one summary per file, shown as a table or as JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

Status = Literal["loaded", "unchanged", "refused"]


@dataclass
class IngestSummary:
    kind: str  # facilities | facility_counts | claims
    file: str
    sha256: str
    status: Status
    as_of: date | None = None
    pref_codes: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    # reason -> number of rejected rows; examples are the first few rejects (row, column, value)
    reject_reasons: dict[str, int] = field(default_factory=dict)
    reject_examples: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # kind-specific figures (categories counted, unknown labels, tiers collapsed, …)
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat() if self.as_of else None
        return data
