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

from zaitaku_cli.sql_files import load_sql

__all__ = ["hash_person_ids", "hmac_pads", "person_key"]

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


def hash_person_ids(con: duckdb.DuckDBPyConnection, column: pa.Array, key: bytes) -> pa.Array:
    """`column` (被保険者番号 texts) with each value replaced by its person key.

    Each distinct value of the column is hashed once (a block of a claims extract repeats a
    person on many lines), in DuckDB (sql/staging/stg_person_keys.sql), then put back in place.
    `con` is a connection of the caller's own (a worker's in-memory one).
    """
    encoded = pc.dictionary_encode(column)
    ipad, opad = hmac_pads(key)
    con.register(_INPUT, pa.table({"person_id": encoded.dictionary}))
    try:
        hashed = con.sql(
            load_sql("staging/stg_person_keys"), params={"hmac_ipad": ipad, "hmac_opad": opad}
        ).to_arrow_table()
    finally:
        con.unregister(_INPUT)
    return pc.take(hashed.column("person_key").combine_chunks(), encoded.indices)
