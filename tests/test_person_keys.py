"""Person keys: the keyed hash of a 被保険者番号, column by column as the claims reader's
workers compute it, equal to HMAC-SHA256 of the trimmed number computed value by value."""

from __future__ import annotations

import pyarrow as pa
import pytest

from zaitaku_cli.person_keys import PersonKeyHasher, person_key

KEY = b"a secret of the warehouse, 32 b!"


@pytest.mark.parametrize("cache_limit", [1_000, 3, 1])
def test_blocks_are_hashed_like_each_value_alone(cache_limit: int) -> None:
    # Three blocks repeating numbers within and across blocks; a small cache starts again
    # (forgets) in the middle of a block: every value is still its own HMAC.
    blocks = [
        ["0001", "0002", "0001", " 0003 ", "0002"],
        ["0003", "0004", "0005", "0001", "0006", "0004"],
        ["0006", "", "  ", "0007"],
    ]
    with PersonKeyHasher(KEY, cache_limit=cache_limit) as hasher:
        for block in blocks:
            hashed = hasher.hash(pa.array(block, pa.string())).to_pylist()
            # a number blank once trimmed is no number: it stays as it was
            assert hashed == [person_key(KEY, v) if v.strip() else v for v in block]


def test_a_number_with_undecodable_bytes_keeps_the_mark() -> None:
    with PersonKeyHasher(KEY) as hasher:
        [hashed] = hasher.hash(pa.array(["12\ufffd4"], pa.string())).to_pylist()
    assert hashed == "\ufffd" + person_key(KEY, "12\ufffd4")
