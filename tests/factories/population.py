"""Population and enrolment tables written as files: real rows of the packaged population.csv
(one prefecture, a new date, selected cells changed) and small enrolment tables.

Line numbers in tests count the header as line 1, so the first data row is row 2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from zaitaku_cli.reference import DATA_DIR

PACKAGED = DATA_DIR / "population.csv"


def packaged_lines(pref: str) -> tuple[str, list[str]]:
    """(header, data lines) of one prefecture in the packaged 住基 2025-01-01 table."""
    lines = PACKAGED.read_text(encoding="utf-8").splitlines()
    return lines[0], [line for line in lines[1:] if line[:2] == pref]


def population_file(
    path: Path,
    pref: str = "03",
    *,
    as_of: str = "2026-01-01",
    edits: Mapping[tuple[str, str], str] | None = None,
    drop: Sequence[str] = (),
    extra_lines: Sequence[str] = (),
    encoding: str = "utf-8",
) -> Path:
    """A population table of prefecture `pref` from the packaged rows, dated `as_of`.

    `edits` sets (code5, column) cells; `drop` leaves out rows by code5; `extra_lines` are
    appended as written.
    """
    header, lines = packaged_lines(pref)
    columns = header.split(",")
    out = [header]
    for line in lines:
        fields = line.split(",")
        if fields[1] in drop:
            continue
        fields[columns.index("as_of")] = as_of
        for (code5, column), value in (edits or {}).items():
            if fields[1] == code5:
                fields[columns.index(column)] = value
        out.append(",".join(fields))
    out += extra_lines
    path.write_bytes(("\n".join(out) + "\n").encode(encoding))
    return path


def row_of(pref: str, code5: str) -> int:
    """The line of `code5` in population_file(pref) without drops (header = 1)."""
    _, lines = packaged_lines(pref)
    return 2 + [line.split(",")[1] for line in lines].index(code5)


ENROLMENT_HEADER = "基準日,市町村コード,市町村名,制度,年齢階級,被保険者数"


def enrolment_file(
    path: Path,
    rows: Sequence[Sequence[object]],
    *,
    header: str = ENROLMENT_HEADER,
    encoding: str = "utf-8",
) -> Path:
    """An enrolment table: `rows` are the fields of each line, written as given."""
    text = "\n".join([header, *(",".join(str(f) for f in row) for row in rows)]) + "\n"
    path.write_bytes(text.encode(encoding))
    return path
