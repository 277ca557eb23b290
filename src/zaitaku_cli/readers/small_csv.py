"""Read a small CSV (a population, enrolment or scenario table) into text columns with the line
number of every row, so that checks can name file, row and column. Whole-file, in memory: these
tables have thousands of rows, not millions.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl

from zaitaku_cli.errors import InputError
from zaitaku_cli.i18n import join
from zaitaku_cli.readers.encoding import decode_bytes

__all__ = ["read_csv_rows"]


def read_csv_rows(
    path: Path, *, delimiter: str | None = ",", encoding: str | None = None
) -> tuple[list[str], pl.DataFrame, str]:
    """(header, rows, encoding) of a small CSV: UTF-8 (BOM or not) or CP932, detected unless
    `encoding` names one; `delimiter` None guesses it from the header line (, tab ; |).

    rows holds the fields by header name as text (missing fields empty), `source_row` (the line
    where the row starts, header = 1) and `raw_row` (the row as read, for rejects). Blank lines
    are skipped.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError("cannot read the file ({reason})", file=path, reason=exc.strerror) from exc
    if not data.strip():
        raise InputError("the file is empty", file=path)
    if encoding is None:
        text, encoding = decode_bytes(data, file=path)
    else:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise InputError(
                "not valid {encoding} text",
                file=path,
                row=line,
                hint="check the encoding",
                encoding=encoding,
            ) from exc
    text = text.lstrip("\ufeff")
    if delimiter is None:
        first = text.split("\n", 1)[0]
        delimiter = max(",\t;|", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip() for h in next(reader)]
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise InputError(
            "the header names {columns} more than once",
            file=path,
            columns=join(repeated),
            row=1,
            column=repeated[0],
            hint="keep one column of each name",
        )
    records: dict[str, list[str]] = {name: [] for name in header}
    lines: list[int] = []
    raws: list[str] = []
    start = reader.line_num + 1
    for fields in reader:
        if any(f.strip() for f in fields):
            for position, name in enumerate(header):
                records[name].append(fields[position].strip() if position < len(fields) else "")
            lines.append(start)
            raws.append(delimiter.join(fields))
        start = reader.line_num + 1
    frame = pl.DataFrame(
        {**records, "source_row": lines, "raw_row": raws},
        schema={**dict.fromkeys(header, pl.String), "source_row": pl.Int64, "raw_row": pl.String},
    )
    return header, frame, encoding
