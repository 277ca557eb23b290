"""Text encodings of Japanese input files: tell UTF-8 (with or without BOM) from CP932.

Official and KDB files are CP932 (Shift_JIS with Microsoft extensions); tools and analysts also
produce UTF-8, sometimes BOM-marked by Excel. We never guess beyond these three: bytes that are
neither are refused with the file named, rather than decoded into mojibake.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from zaitaku_cli.errors import EncodingDetectionError

__all__ = ["SAMPLE_BYTES", "decode_bytes", "detect_encoding", "read_text", "sniff_file"]

# Enough to see Japanese text well past any ASCII-only title or header.
SAMPLE_BYTES = 1 << 20

_BOM = codecs.BOM_UTF8


# Python's cp932 codec maps the single bytes 0x80, 0xA0, 0xFD–0xFF (unassigned in CP932) to
# U+0080 and U+F8F0–U+F8F3 instead of failing; real CP932 text never contains them, UTF-16
# (Excel's "Unicode text", starting FF FE) and binary files do.
_NOT_CP932 = re.compile("[\x80-\x9f\uf8f0-\uf8f3]")


def _decodes(sample: bytes, encoding: str) -> bool:
    # An incremental decoder with final=False forgives a multibyte character cut at the end of
    # the sample, which a plain bytes.decode would wrongly count as invalid.
    try:
        text = codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return not (encoding == "cp932" and _NOT_CP932.search(text))


def detect_encoding(sample: bytes, *, file: str | Path | None = None) -> str:
    """'utf-8-sig' (BOM), 'utf-8' (valid UTF-8, ASCII included) or 'cp932'.

    `sample` is the start of the file (or all of it). `file` only names the file in the error.
    Raises EncodingDetectionError when the bytes are neither UTF-8 nor CP932.
    """
    if sample.startswith(_BOM):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise EncodingDetectionError(
            'the text is UTF-16 (Excel\'s "Unicode text"), which zaitaku does not read',
            file=file,
            hint="save it again from Excel as CSV (UTF-8) or CSV (コンマ区切り)",
        )
    if sample.startswith(b"PK\x03\x04"):
        raise EncodingDetectionError(
            "this is a zip archive or an Excel workbook (.xlsx), not a text (CSV) file",
            file=file,
            hint="save the sheet as CSV from Excel, or give the workbook to the ingest that "
            "reads .xlsx (bureau lists, count tables)",
        )
    if _decodes(sample, "utf-8"):
        return "utf-8"
    if _decodes(sample, "cp932"):
        return "cp932"
    raise EncodingDetectionError(
        "the text is neither UTF-8 nor CP932 (Shift_JIS)",
        file=file,
        hint="save it again as CSV (UTF-8) or CSV (Shift_JIS/CP932) from Excel",
    )


def sniff_file(path: Path, *, sample_bytes: int = SAMPLE_BYTES) -> str:
    """Encoding of a file from its first `sample_bytes` bytes (see detect_encoding)."""
    with path.open("rb") as fh:
        sample = fh.read(sample_bytes)
    return detect_encoding(sample, file=path)


def decode_bytes(data: bytes, *, file: str | Path | None = None) -> tuple[str, str]:
    """(text, encoding) of bytes already in memory, e.g. a CSV member of a zip archive.

    The whole buffer is decoded strictly: a bad byte far past the sample is still reported,
    with its line number, instead of turning into a replacement character.
    """
    encoding = detect_encoding(data[:SAMPLE_BYTES], file=file)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise _mixed(data, exc.start, encoding, file) from exc
    if encoding == "cp932" and len(data) > SAMPLE_BYTES:
        bad = _NOT_CP932.search(text)
        if bad:
            raise _mixed(data, len(text[: bad.start()].encode("cp932")), encoding, file)
    return text, encoding


def _mixed(data: bytes, offset: int, encoding: str, file: str | Path | None) -> Exception:
    line = data.count(b"\n", 0, offset) + 1
    return EncodingDetectionError(
        "byte {offset} is not valid {encoding}",
        file=file,
        offset=offset,
        encoding=encoding,
        row=line,
        hint="the file mixes encodings; save it again from Excel as one CSV",
    )


def read_text(path: Path) -> tuple[str, str]:
    """(text, encoding) of a whole small text file in UTF-8 (BOM or not) or CP932.

    For files that fit in memory comfortably (bureau CSVs are tens of MB at most).
    """
    return decode_bytes(path.read_bytes(), file=path)
