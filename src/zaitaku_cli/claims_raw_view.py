"""The claims extract's Parquet parts as a view on the warehouse: every row with its line.

The reader (readers/claims_parsing.py) writes the parts and their line bookkeeping; the ingest
makes this view over them, in its own connection: line_no, blankness, undecodable text, each
canonical column and its shape (what a rejected line keeps of a field: never its value).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from zaitaku_cli.readers.claims_extract import ExtractLayout, canonical_columns
from zaitaku_cli.readers.claims_parsing import SHAPE_CHARS, SHAPE_OTHER, ParsedExtract

__all__ = ["create_raw_view", "shape_sql"]


def shape_sql(expr: str) -> str:
    """SQL for the shape of the varchar `expr` (an internal column name: never a value), as
    readers.claims_parsing.shape computes it in Python."""
    head = f"left({expr}, {SHAPE_CHARS})"
    digits = f"regexp_replace({head}, '[0-9]', '#', 'g')"
    letters = f"regexp_replace({digits}, '[A-Za-z]', 'a', 'g')"
    other = f"regexp_replace({letters}, '{SHAPE_OTHER.pattern}', '*', 'g')"
    return f"({other} || case when length({expr}) > {SHAPE_CHARS} then '…' else '' end)"


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def create_raw_view(
    con: duckdb.DuckDBPyConnection,
    layout: ExtractLayout,
    parsed: ParsedExtract,
    *,
    view: str = "raw_claim_lines",
) -> None:
    """Expose the Parquet parts under canonical names as `view`, with line_no and checks.

    Columns: line_no (the row's line in the input), is_blank, undecodable, raw_shape, one
    varchar per canonical column (null when the file lacks it) and its shape, <key>_shape (see
    readers.claims_parsing.shape). raw_shape is the row's fields in file order joined by the
    file's delimiter, each shaped, 被保険者番号 as '*' (not even its shape): what a reject keeps
    of its row. Shapes are computed only for the rows a query reads them from (the rejected
    ones). Only internal names (c1…, canonical keys), numbers (the delimiter's code point among
    them) and our own part paths reach the SQL text. The line shifts of the parts become the
    temp table claims_line_shifts.
    """
    fields = [f"c{i + 1}" for i in range(len(layout.headers))]
    person = layout.position("person_id")
    assert person is not None
    # the delimiter by its code point: no text of the file is formatted into SQL
    delim = f"chr({ord(layout.delimiter)})"
    paths = "[" + ", ".join(_sql_text(str(p)) for p in parsed.paths) + "]"
    # line of row_index r in part i: r + 2 (header, 1-based) + the part's offset + the lines
    # of malformed rows before it
    offsets = parsed.decoded.part_offsets
    offset = (
        "case r.file_index "
        + " ".join(f"when {i} then {int(o)}" for i, o in enumerate(offsets))
        + " end"
        if any(offsets)
        else "0"
    )
    if parsed.line_shifts:
        con.register(
            "claims_line_shifts_input",
            pa.table(
                {
                    "part": [s[0] for s in parsed.line_shifts],
                    "threshold": [s[1] for s in parsed.line_shifts],
                    "shift": [s[2] for s in parsed.line_shifts],
                }
            ),
        )
        con.execute(
            "create or replace temp table claims_line_shifts as "
            "select part, threshold, shift from claims_line_shifts_input"
        )
        con.unregister("claims_line_shifts_input")
        shift = "coalesce(s.shift, 0)"
        source = (
            f"read_parquet({paths}) as r asof left join claims_line_shifts as s "
            "on s.part = r.file_index and r.row_index >= s.threshold"
        )
    else:
        shift = "0"
        source = f"read_parquet({paths}) as r"
    is_blank = " and ".join(f"r.{c} = ''" for c in fields)
    canonical = []
    for key in canonical_columns():
        pos = layout.position(key)
        # a column the extract lacks is a typed null: Spark's ANSI mode refuses an untyped one
        canonical.append(
            f"r.{fields[pos]} as {key}" if pos is not None else f"cast(null as varchar) as {key}"
        )
        canonical.append(
            f"{shape_sql('r.' + fields[pos])} as {key}_shape"
            if pos is not None and key != "person_id"
            else f"cast(null as varchar) as {key}_shape"
        )
    undecodable = (
        f"strpos(concat_ws('', {', '.join('r.' + c for c in fields)}), chr(65533)) > 0"
        if parsed.decoded.replaced
        else "false"
    )
    shapes = [
        f"case when r.{c} = '' then '' else '*' end" if i == person else shape_sql(f"r.{c}")
        for i, c in enumerate(fields)
    ]
    con.execute(
        f"""
        create or replace temp view {view} as
        select
            r.row_index + 2 + {offset} + {shift} as line_no,
            {is_blank} as is_blank,
            {undecodable} as undecodable,
            concat_ws({delim}, {", ".join(shapes)}) as raw_shape,
            {", ".join(canonical)}
        from {source}
        """
    )
