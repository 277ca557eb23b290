"""A corpus of hostile input files: broken, truncated, disguised, oversized or absurd.

Each entry writes one file into a folder and names the ingest command an analyst would point at
it. Every one of them must be refused with one clear message (file, and row/column where there
is one) and exit 1, leaving the warehouse and the exports as they were (tests/test_hostile_inputs).
Files are built here rather than committed so that each one's hostility is readable.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter

from factories import bureau_list, claims, count_table

Builder = Callable[[Path], Path]


@dataclass(frozen=True)
class Hostile:
    name: str  # the test id
    command: list[str]  # the ingest subcommand and its options, before the path
    build: Builder
    says: list[str] = field(default_factory=list)  # phrases the message must contain


FACILITIES = ["ingest", "facilities"]
COUNTS = ["ingest", "facility-counts", "--pref", "03"]
CLAIMS = ["ingest", "claims"]


def _bytes(file_name: str, data: bytes) -> Builder:
    def build(folder: Path) -> Path:
        path = folder / file_name
        path.write_bytes(data)
        return path

    return build


def _good_workbook() -> bytes:
    return bureau_list.xlsx_bytes([bureau_list.bureau_row(), bureau_list.bureau_row()])


def _xlsx(cells: dict[tuple[int, int], object], formulas: dict[tuple[int, int], str]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("Sheet1")
    for (r, c), value in cells.items():
        sheet.write(r, c, value)
    for (r, c), formula in formulas.items():
        sheet.write_formula(r, c, formula)
    book.close()
    return buffer.getvalue()


def _formula_workbook() -> bytes:
    # the real layout, with the 医療機関番号 of the only row a formula (=1+1): not text
    cells: dict[tuple[int, int], object] = {(1, 0): bureau_list.TITLE_2025_10}
    for c, header in enumerate(bureau_list.HEADERS):
        cells[(3, c)] = header
    for c, value in enumerate(bureau_list.bureau_row()):
        if value:
            cells[(4, c)] = value
    cells.pop((4, 4))
    return _xlsx(cells, {(4, 4): "=1+1"})


def _zip_bomb(folder: Path) -> Path:
    # 400 MB of zeros compress to a few hundred KB: a reader that inflates members without a
    # limit fills the memory. The archive must be refused before that.
    path = folder / "名簿_bomb.zip"
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("bomb.xlsx", "w", force_zip64=True) as member,
    ):
        block = b"\0" * (1 << 20)
        for _ in range(400):
            member.write(block)
    return path


def _nested_zip(folder: Path) -> Path:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("名簿.xlsx", _good_workbook())
    return bureau_list.write_zip(folder / "nested.zip", {"inner.zip": inner.getvalue()})


def _traversal_zip(folder: Path) -> Path:
    path = folder / "traversal.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("../../evil.xlsx", b"PK\x03\x04 not really")
    return path


def _claims(file_name: str, rows: list[dict[str, str] | str], **kwargs: object) -> Builder:
    def build(folder: Path) -> Path:
        return claims.write_extract(folder / file_name, rows, **kwargs)  # type: ignore[arg-type]

    return build


def _counts(file_name: str, **kwargs: object) -> Builder:
    def build(folder: Path) -> Path:
        lines = count_table.seed_rows(**kwargs)  # type: ignore[arg-type]
        return count_table.write_csv(folder / file_name, lines)

    return build


def _many(row: dict[str, str], n: int = 20) -> list[dict[str, str] | str]:
    return [dict(row, 被保険者番号=f"H{i:09d}") for i in range(n)]


def _long_line(folder: Path) -> Path:
    # 50 MB without a line end after the header: one field of a giant line
    path = folder / "one_line.csv"
    with path.open("wb") as fh:
        fh.write(",".join(claims.CANONICAL).encode("cp932") + b"\r\n")
        fh.write(b"39030000,")
        block = b"9" * (1 << 20)
        for _ in range(50):
            fh.write(block)
    return path


def _mixed_encodings(folder: Path) -> Path:
    # Two exports pasted together: CP932 lines, then the same lines in UTF-8 (名 is invalid
    # CP932 when written as UTF-8 bytes).
    first = claims.write_extract(folder / "a.csv", _many(claims.claim(市町村名="盛岡市"), 10))
    utf8 = claims.write_extract(
        folder / "b.csv", _many(claims.claim(市町村名="盛岡市"), 10), encoding="utf-8"
    )
    path = folder / "mixed.csv"
    body = utf8.read_bytes().split(b"\r\n", 1)[1]
    path.write_bytes(first.read_bytes() + body)
    first.unlink()
    utf8.unlink()
    return path


def corpus() -> list[Hostile]:
    """The hostile files, with the command each is given to."""
    good = _good_workbook()
    html = b"<html><head><title>\x8e\x77\x92\xe8</title></head><body><table><tr><td>1</td></tr>"
    return [
        # -- bureau lists ---------------------------------------------------------------------
        Hostile("empty xlsx", FACILITIES, _bytes("empty.xlsx", b"")),
        Hostile("truncated xlsx", FACILITIES, _bytes("truncated.xlsx", good[: len(good) // 2])),
        Hostile("html saved as xlsx", FACILITIES, _bytes("saved.xlsx", html), ["(HTML)"]),
        Hostile("binary garbage xlsx", FACILITIES, _bytes("garbage.xlsx", bytes(range(256)) * 64)),
        Hostile("legacy xls", FACILITIES, _bytes("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")),
        Hostile(
            "xlsx without the header",
            FACILITIES,
            _bytes("noheader.xlsx", _xlsx({(0, 0): "hello", (1, 1): 3}, {})),
        ),
        Hostile(
            "xlsx with a duplicated header",
            FACILITIES,
            _bytes(
                "dupheader.xlsx",
                bureau_list.xlsx_bytes(
                    [bureau_list.bureau_row()],
                    headers=[*bureau_list.HEADERS[:5], *bureau_list.HEADERS[4:]],
                ),
            ),
        ),
        Hostile(
            "xlsx with a formula cell", FACILITIES, _bytes("formula.xlsx", _formula_workbook())
        ),
        Hostile(
            "bureau CSV with the header only",
            FACILITIES,
            lambda folder: bureau_list.write_csv(folder / "header_only.csv", []),
        ),
        Hostile(
            "bureau list dated in the future",
            FACILITIES,
            lambda folder: bureau_list.write_csv(
                folder / "future.csv",
                [bureau_list.bureau_row()],
                title="[令和７０年１０月１日 現在 ]令和７年１０月２１日作成",
            ),
            ["2088-10-01", "in the future"],
        ),
        Hostile(
            "bureau CSV of a prefecture code that does not exist",
            FACILITIES,
            lambda folder: bureau_list.write_csv(
                folder / "pref99.csv", [bureau_list.bureau_row(pref_code="99")] * 3
            ),
        ),
        Hostile(
            "bureau CSV whose 医療機関番号 has the wrong length",
            FACILITIES,
            lambda folder: bureau_list.write_csv(
                folder / "short_no.csv", [bureau_list.bureau_row(facility_no="123456789")] * 3
            ),
        ),
        Hostile("zip bomb", FACILITIES, _zip_bomb, ["zip bomb"]),
        Hostile(
            "zip without a workbook",
            FACILITIES,
            lambda folder: bureau_list.write_zip(folder / "empty.zip", {"読んでね.txt": b"x"}),
        ),
        Hostile("zip inside a zip", FACILITIES, _nested_zip),
        Hostile("zip with a path-traversal member", FACILITIES, _traversal_zip),
        # -- count tables ---------------------------------------------------------------------
        Hostile("empty count table", COUNTS, _bytes("empty_counts.csv", b"")),
        Hostile("count table header only", COUNTS, _counts("header.csv", rows=[], total=None)),
        Hostile(
            "count table whose 計 row does not add up",
            COUNTS,
            _counts("total.csv", total=[2, 1, 9, 1, 4, 31, 69, 2]),
            ["row", "column"],
        ),
        Hostile(
            "count table of unknown municipalities",
            COUNTS,
            _counts("names.csv", rows=[("ゴジラ市", [1] * 8)], total=None),
        ),
        Hostile(
            "count table with a huge integer",
            COUNTS,
            _counts(
                "huge.csv",
                rows=[("盛岡市", ["99999999999999999999999", 0, 0, 0, 0, 0, 0, 0])],
                total=None,
            ),
        ),
        Hostile(
            "count table with negative counts",
            COUNTS,
            _counts("negative.csv", rows=[("盛岡市", [-1, 0, 0, 0, 0, 0, 0, 0])], total=None),
        ),
        Hostile(
            "count table with words for numbers",
            COUNTS,
            _counts("words.csv", rows=[("盛岡市", ["二", 0, 0, 0, 0, 0, 0, 0])], total=None),
        ),
        Hostile(
            "count table of binary garbage", COUNTS, _bytes("garbage.csv", bytes(range(256)) * 8)
        ),
        # -- claims extracts --------------------------------------------------------------------
        Hostile("empty claims file", CLAIMS, _bytes("empty_claims.csv", b"")),
        Hostile("claims header only", CLAIMS, _claims("header_only.csv", [])),
        Hostile(
            "claims of binary garbage", CLAIMS, _bytes("garbage_claims.csv", bytes(range(256)) * 64)
        ),
        Hostile("claims with mixed encodings", CLAIMS, _mixed_encodings),
        Hostile("claims as one 50 MB line", CLAIMS, _long_line),
        Hostile(
            "claims with the header repeated on every line",
            CLAIMS,
            _claims("dupheader.csv", [",".join(claims.CANONICAL)] * 5),
        ),
        Hostile(
            "claims whose months are out of range",
            CLAIMS,
            _claims("old_months.csv", _many(claims.claim(診療年月="199001"))),
            ["診療年月"],
        ),
        Hostile(
            "claims whose codes have the wrong length",
            CLAIMS,
            _claims("short_codes.csv", _many(claims.claim(医療機関コード="031123456"))),
            ["医療機関コード"],
        ),
        Hostile(
            "claims with a huge integer count",
            CLAIMS,
            _claims("huge_count.csv", _many(claims.claim(算定回数="99999999999999999999999"))),
            ["算定回数"],
        ),
        Hostile(
            "claims without a required column",
            CLAIMS,
            _claims(
                "no_month.csv",
                _many(claims.claim()),
                header=[h for h in claims.CANONICAL if h != "診療年月"],
            ),
            ["診療年月"],
        ),
        Hostile(
            "claims in UTF-16",
            CLAIMS,
            _claims("utf16.csv", _many(claims.claim()), encoding="utf-16"),
            ["UTF-16"],
        ),
        Hostile("a workbook given as claims", CLAIMS, _bytes("kdb.csv", good), ["workbook"]),
        Hostile(
            "claims with NUL bytes",
            CLAIMS,
            _bytes("nul.csv", ",".join(claims.CANONICAL).encode() + b"\r\n" + b"\0" * 4096),
        ),
        Hostile("claims of blank lines only", CLAIMS, _bytes("blank.csv", b"\r\n" * 100)),
    ]
