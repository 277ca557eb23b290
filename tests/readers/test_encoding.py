"""Encoding detection of Japanese text files: BOM, UTF-8, CP932, and refusing anything else."""

from __future__ import annotations

from pathlib import Path

import pytest

from zaitaku_cli.errors import EncodingDetectionError
from zaitaku_cli.readers.encoding import decode_bytes, detect_encoding, read_text, sniff_file

TEXT = "医療機関名称,医療機関所在地（住所）\r\n盛岡テスト内科クリニック,盛岡市内丸１１－１\r\n"


def test_bom_is_utf8_sig() -> None:
    assert detect_encoding(TEXT.encode("utf-8-sig")) == "utf-8-sig"


def test_utf8_without_bom() -> None:
    assert detect_encoding(TEXT.encode("utf-8")) == "utf-8"


def test_ascii_is_utf8() -> None:
    assert detect_encoding(b"a,b,c\r\n") == "utf-8"


def test_cp932() -> None:
    assert detect_encoding(TEXT.encode("cp932")) == "cp932"


def test_cp932_only_characters() -> None:
    # ① and ㈱ are NEC/IBM extensions: CP932, not plain Shift_JIS.
    assert detect_encoding("①㈱".encode("cp932")) == "cp932"


def test_sample_cut_inside_a_character_is_still_recognised() -> None:
    # 盛 is 3 bytes in UTF-8 and 2 in CP932; a sample may end in the middle of one.
    utf8 = TEXT.encode("utf-8")
    cp932 = TEXT.encode("cp932")
    assert detect_encoding(utf8[: utf8.index("盛".encode()) + 1]) == "utf-8"
    assert detect_encoding(cp932[: cp932.index("盛".encode("cp932")) + 1]) == "cp932"


def test_neither_utf8_nor_cp932_names_the_file() -> None:
    # 0x80 and 0xA0 are unassigned in CP932 and invalid as UTF-8 lead bytes.
    with pytest.raises(EncodingDetectionError) as info:
        detect_encoding(b"abc\x80\xa0", file="kdb.csv")
    assert str(info.value) == (
        "kdb.csv: the text is neither UTF-8 nor CP932 (Shift_JIS) — save it again as CSV "
        "(UTF-8) or CSV (Shift_JIS/CP932) from Excel"
    )


def test_utf16_is_refused() -> None:
    # Excel's "Unicode テキスト" is UTF-16LE with the BOM FF FE: neither encoding we read.
    with pytest.raises(EncodingDetectionError):
        detect_encoding(TEXT.encode("utf-16"))


def test_read_text_round_trips(tmp_path: Path) -> None:
    for encoding in ("cp932", "utf-8", "utf-8-sig"):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(TEXT.encode(encoding))
        assert read_text(path) == (TEXT, encoding)
        assert sniff_file(path) == encoding


def test_bad_byte_after_the_sample_gives_its_line(monkeypatch: pytest.MonkeyPatch) -> None:
    # A CP932 file whose 3rd line holds a byte that is not CP932, beyond the sampled bytes.
    monkeypatch.setattr("zaitaku_cli.readers.encoding.SAMPLE_BYTES", len(TEXT.encode("cp932")))
    data = TEXT.encode("cp932") + b"x\x81\x20\r\n"  # 0x81 needs a trail byte >= 0x40
    with pytest.raises(EncodingDetectionError) as info:
        decode_bytes(data, file="list.csv")
    assert info.value.row == 3
    assert str(info.value) == (
        f"list.csv, row 3: byte {len(TEXT.encode('cp932')) + 1} is not valid cp932 — the file "
        "mixes encodings; save it again from Excel as one CSV"
    )
