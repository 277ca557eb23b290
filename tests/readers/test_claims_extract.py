"""Claims extract layout: header aliases, mapping files, encoding and delimiter."""

from __future__ import annotations

from pathlib import Path

import pytest

from factories.claims import CANONICAL, claim, write_extract
from zaitaku_cli.errors import InputError
from zaitaku_cli.readers.claims_extract import (
    canonical_columns,
    normalize_header,
    read_layout,
    read_mapping,
)


def layout_of(path: Path, mapping: Path | None = None, encoding: str = "auto"):
    return read_layout(path, read_mapping(mapping), encoding=encoding)


# -- headers -----------------------------------------------------------------------------------
def test_alias_table_names_every_canonical_column() -> None:
    columns = canonical_columns()
    assert [c.ja for c in columns.values()] == [
        "保険者番号", "被保険者番号", "性別", "年齢", "生年月日", "市町村コード", "市町村名",
        "診療年月", "元号", "入外区分", "医療機関コード", "診療行為コード", "算定回数",
    ]  # fmt: skip
    assert {k for k, c in columns.items() if c.required} == {
        "person_id", "sex", "municipality_code", "service_month", "facility_code",
        "procedure_code", "times",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("header", "normalised"),
    [
        ("Person ID", "personid"),
        ("person_id", "personid"),
        ("ＰＥＲＳＯＮ＿ＩＤ", "personid"),  # full-width, as Excel users type it
        (" 被保険者番号 ", "被保険者番号"),
        ("医療機関・コード", "医療機関コード"),
    ],
)
def test_normalize_header(header: str, normalised: str) -> None:
    assert normalize_header(header) == normalised


def test_canonical_and_english_headers(tmp_path: Path) -> None:
    canonical = layout_of(write_extract(tmp_path / "ja.csv", [claim()]))
    assert canonical.keys == (
        "insurer_no", "person_id", "sex", "age", "municipality_code", "municipality_name",
        "service_month", "inout", "facility_code", "procedure_code", "times",
    )  # fmt: skip
    english = [
        "Insurer_No", "PERSON_ID", "sex", "age", "city_code", "city_name", "service month",
        "inout", "facility_code", "act_code", "times", "memo",
    ]  # fmt: skip
    layout = layout_of(write_extract(tmp_path / "en.csv", [], header=english))
    assert layout.keys == (*canonical.keys, None)
    assert layout.ignored == ["memo"]
    assert layout.header_of("person_id") == "PERSON_ID"


def test_two_headers_for_one_column_are_refused(tmp_path: Path) -> None:
    path = write_extract(tmp_path / "dup.csv", [], header=[*CANONICAL, "sex"])
    with pytest.raises(InputError) as err:
        layout_of(path)
    assert str(err.value) == (
        f"{path}, row 1, column sex: headers '性別' and 'sex' both map to 性別 — map one of "
        "them to another column in --mapping [columns], or remove it"
    )


def test_delimiter_is_taken_from_the_header(tmp_path: Path) -> None:
    path = write_extract(tmp_path / "t.tsv", [claim()], delimiter="\t")
    assert layout_of(path).delimiter == "\t"


# -- mapping files -----------------------------------------------------------------------------
def write_mapping(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "map.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_mapping_file(tmp_path: Path) -> None:
    mapping = read_mapping(
        write_mapping(
            tmp_path,
            """
            encoding = "Shift_JIS"
            delimiter = "|"
            [columns]
            "被保番" = "被保険者番号"
            "SEIBETSU" = "sex"
            [values."性別"]
            "M" = "1"
            [values.inout]
            "入院" = "1"
            """,
        )
    )
    assert mapping.columns == {"被保番": "person_id", "seibetsu": "sex"}
    assert mapping.values == {"sex": {"M": "1"}, "inout": {"入院": "1"}}
    assert (mapping.encoding, mapping.delimiter) == ("cp932", "|")


def test_example_mapping_file_parses() -> None:
    example = Path(__file__).parents[2] / "examples" / "claims_mapping.example.toml"
    mapping = read_mapping(example)
    assert mapping.columns and mapping.values


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[columns]\n"X" = "患者番号"',
            "[columns] maps 'X' to '患者番号', which is not a canonical column",
        ),
        ('[values."医療機関コード"]\n"a" = "b"', "[values.医療機関コード] cannot be mapped"),
        ('encoding = "latin-1"', "encoding 'latin-1' is not supported"),
        ('delimiter = ":"', "delimiter ':' is not supported"),
        ("header_row = 2", "unknown setting(s) header_row"),
        ("[columns", "not valid TOML"),
    ],
)
def test_bad_mapping_files(tmp_path: Path, text: str, message: str) -> None:
    path = write_mapping(tmp_path, text)
    with pytest.raises(InputError) as err:
        read_mapping(path)
    assert str(err.value).startswith(f"{path}: {message}")


# -- encodings ---------------------------------------------------------------------------------
def test_encodings_detected(tmp_path: Path) -> None:
    assert layout_of(write_extract(tmp_path / "a.csv", [claim()])).encoding == "cp932"
    bom = write_extract(tmp_path / "b.csv", [claim()], encoding="utf-8-sig")
    assert layout_of(bom).encoding == "utf-8"
    plain = write_extract(tmp_path / "c.csv", [claim()], encoding="utf-8")
    assert layout_of(plain).encoding == "utf-8"
    # --encoding beats the mapping file, which beats detection
    mapping = write_mapping(tmp_path, 'encoding = "cp932"')
    assert layout_of(plain, mapping, encoding="utf-8").encoding == "utf-8"
    with pytest.raises(InputError) as err:
        layout_of(plain, mapping)
    assert str(err.value) == (
        f"{plain}, row 1: the header is not valid cp932 — pass --encoding cp932 or --encoding "
        "utf-8 to match how the file was saved"
    )


def test_the_literal_headers_are_the_canonical_columns() -> None:
    # The generator and the test factories write the header as KDB prints it, literally (they
    # test the reader against the file); it must stay the canonical columns of
    # claims_columns.toml, in their order, without the optional 生年月日 and 元号.
    from zaitaku_cli.demo.claims_extract import CANONICAL_HEADER

    canonical = [c.ja for k, c in canonical_columns().items() if k not in ("birth_date", "era")]
    assert CANONICAL_HEADER == CANONICAL == canonical
