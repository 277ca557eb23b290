"""The keyed hash that stands for a 被保険者番号 everywhere zaitaku keeps or writes one.

A person key is HMAC-SHA256 (RFC 2104) of the trimmed 被保険者番号 under the warehouse's own
secret, in hex. The claims reader's workers hash the column as they parse it, before anything
reaches disk: the Parquet parts of an ingest (left behind when a run is SIGKILLed), DuckDB's
spill and every later table only ever hold the keyed hash, never the number itself.
"""

from __future__ import annotations

import hashlib
import hmac

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from zaitaku_cli.arrow_arrays import string_array
from zaitaku_cli.sql_files import load_sql

__all__ = ["PersonKeyHasher", "hmac_pads", "person_key"]

# What the worker's query reads the distinct texts of a block from.
_INPUT = "raw_person_ids"


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """(key xor ipad, key xor opad) of HMAC-SHA256 (RFC 2104), for the SQL that hashes keys."""
    block = 64
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def person_key(key: bytes, raw: str) -> str:
    """The person key the SQL computes, in Python: HMAC-SHA256 of the trimmed 被保険者番号, hex."""
    return hmac.new(key, raw.strip().encode("utf-8"), hashlib.sha256).hexdigest()


class PersonKeyHasher:
    """Replaces 被保険者番号 columns by person keys, block after block, in one process.

    Each distinct number of a block is looked up among those this process has already hashed;
    only new ones are hashed, together, in DuckDB (sql/staging/stg_person_keys.sql). An extract
    repeats a person on many lines spread over the file: a block of 100,000 lines of the
    generated sample holds about 70,000 distinct numbers, the whole 2,000,000 lines 83,000:
    with the lookup, 2 million lines cost 0.5 s more CPU to read (hashing each block alone: 2.6 s).
    The cache holds at most `cache_limit` numbers (then it starts again), in memory only: the
    DuckDB connection is in memory with spilling off, so no raw number reaches a disk.
    """

    def __init__(self, key: bytes, cache_limit: int = 1_000_000) -> None:
        ipad, opad = hmac_pads(key)
        self._params = {"hmac_ipad": ipad, "hmac_opad": opad}
        self._query = load_sql("staging/stg_person_keys")
        # one thread: the reader runs one worker process per CPU already
        self._con = duckdb.connect(config={"threads": 1, "temp_directory": ""})
        self._cache_limit = cache_limit
        self._forget()

    def __enter__(self) -> PersonKeyHasher:
        return self

    def __exit__(self, *exc: object) -> None:
        self._forget()
        self._con.close()

    def _forget(self) -> None:
        # the numbers met so far and their keys, at the same places (Arrow: no Python loop)
        self._numbers = string_array([])
        self._keys = string_array([])

    def hash(self, column: pa.Array) -> pa.Array:
        """`column` (被保険者番号 texts) with each value replaced by its person key."""
        encoded = pc.dictionary_encode(column)
        distinct = encoded.dictionary
        found = pc.index_in(distinct, value_set=self._numbers)
        missing = pc.is_null(found)
        if pc.any(missing).as_py():
            new = pc.filter(distinct, missing)
            if len(self._numbers) + len(new) > self._cache_limit:
                # start again from this block: all of its numbers are new then
                self._forget()
                new = distinct
                found = pc.index_in(distinct, value_set=self._numbers)
                missing = pc.is_null(found)
            # the new numbers go at the end, in their order: the k-th one at (known + k)
            at_end = pc.add(pc.cumulative_sum(pc.cast(missing, pa.int64())), len(self._numbers) - 1)
            found = pc.if_else(missing, at_end, found)
            self._keys = pa.concat_arrays([self._keys, self._hashed(new)])
            self._numbers = pa.concat_arrays([self._numbers, new])
        return pc.take(pc.take(self._keys, found), encoded.indices)

    def _hashed(self, numbers: pa.Array) -> pa.Array:
        self._con.register(_INPUT, pa.table({"person_id": numbers}))
        try:
            rows = self._con.sql(self._query, params=self._params).to_arrow_table()
        finally:
            self._con.unregister(_INPUT)
        return rows.column("person_key").combine_chunks()
