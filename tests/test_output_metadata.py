"""Output metadata: one text for each fact, and the claims aggregate saying the same."""

from __future__ import annotations

from zaitaku_cli import claims_aggregate
from zaitaku_cli.output_metadata import (
    CLAIM_UNITS,
    COVERAGE,
    COVERAGE_NOTE_JA,
    SUPPRESS_FLAGS,
)


def test_the_claims_aggregate_states_the_same_coverage_and_flags() -> None:
    # claims_aggregate takes them from here (and still offers them under its own name)
    assert claims_aggregate.COVERAGE is COVERAGE
    assert claims_aggregate.SUPPRESS_FLAGS is SUPPRESS_FLAGS


def test_flags_of_the_units() -> None:
    assert SUPPRESS_FLAGS == {
        "patients": "patients_suppressed",
        "claims": "claims_suppressed",
        "count": "count_suppressed",
    }
    assert tuple(SUPPRESS_FLAGS) == CLAIM_UNITS


def test_the_japanese_caveat_names_what_is_missing() -> None:
    for missing in ("被用者保険", "医療扶助", "75 歳未満は国保加入者のみ"):
        assert missing in COVERAGE_NOTE_JA
