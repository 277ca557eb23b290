"""Arrow tables as Polars frames, for modules that reshape query results in Polars."""

from __future__ import annotations

import polars as pl
import pyarrow as pa

__all__ = ["polars_frame"]


def polars_frame(table: pa.Table) -> pl.DataFrame:
    """`table` as a Polars DataFrame (pl.from_arrow's type also admits a Series)."""
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame
