"""The start of an input file, read once and shared by the detectors of every kind.

A detector looks at the first rows of a file (its first 64 KiB of text, the first rows of each
sheet of a workbook, the member names of a zip) and says whether the file is of its kind and
why. Nothing here reads a file whole: recognising a 700 MB claims extract costs one small read.
"""

from __future__ import annotations

import codecs
import io
import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from zaitaku_cli.errors import InputError
from zaitaku_cli.i18n import t
from zaitaku_cli.readers.encoding import detect_encoding
from zaitaku_cli.readers.xlsx_head import SheetHead, read_xlsx_head

if TYPE_CHECKING:
    from zaitaku_cli.readers.claims_extract import ClaimsMapping

__all__ = ["HEAD_BYTES", "HEAD_ROWS", "Sample", "Verdict", "read_zip_member"]

HEAD_BYTES = 64 * 1024
# Enough for every kind's header search (bureau lists 20 rows, count tables 30).
HEAD_ROWS = 30

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_UTF8_FLAG = 0x800


@dataclass(frozen=True)
class Verdict:
    """One detector's answer: is the file of its kind, and why (or why not), in a few words.

    A reason never quotes a cell below the header: a file of another kind may hold person keys.
    """

    matched: bool
    reason: str


class Sample:
    """Lazily read views of the start of `path`; each is read at most once.

    `claims_mapping` is the --mapping file the claims detector matches headers with.
    """

    def __init__(self, path: Path, *, claims_mapping: ClaimsMapping | None = None) -> None:
        self.path = path
        self.suffix = path.suffix.lower()
        self.claims_mapping = claims_mapping

    @cached_property
    def head(self) -> bytes:
        with self.path.open("rb") as fh:
            return fh.read(HEAD_BYTES)

    @property
    def is_ole(self) -> bool:
        """Legacy binary Office (.xls), whatever the file is called."""
        return self.head.startswith(_OLE_MAGIC)

    @cached_property
    def zip_names(self) -> list[str] | None:
        """Member names of a zip container (an .xlsx is one too); None for any other file."""
        if not self.head.startswith(_ZIP_MAGIC):
            return None
        try:
            with zipfile.ZipFile(self.path) as archive:
                return [_member_name(info) for info in archive.infolist()]
        except (zipfile.BadZipFile, OSError):
            return None

    @property
    def is_workbook(self) -> bool:
        names = self.zip_names
        return (
            names is not None
            and "[Content_Types].xml" in names
            and any(n.startswith("xl/") for n in names)
        )

    @cached_property
    def sheets(self) -> list[SheetHead]:
        """First rows of each sheet of an .xlsx; raises InputError for an unreadable one."""
        return read_xlsx_head(self.path, rows=HEAD_ROWS)

    @cached_property
    def text(self) -> tuple[list[str], str] | str:
        """(first lines, encoding) of a text file, or why the start is not text."""
        return _text_lines(self.head, whole=self.path.stat().st_size <= len(self.head))

    def member(self, suffixes: tuple[str, ...]) -> tuple[str, Sample] | None:
        """(name, sample) of the first member of a zip archive with one of `suffixes`, sorted by
        name (as the bureau reader reads them); None when there is none."""
        names = self.zip_names or []
        wanted = sorted(
            n
            for n in names
            if n.lower().endswith(suffixes)
            and not n.lower().startswith("__macosx/")
            and "/." not in f"/{n.lower()}"
        )
        if not wanted:
            return None
        with zipfile.ZipFile(self.path) as archive:
            info = next(i for i in archive.infolist() if _member_name(i) == wanted[0])
            if info.filename.lower().endswith((".xlsx", ".xlsm")):
                # A workbook inside the archive has to be opened from its own bytes (capped:
                # InputError for a likely zip bomb).
                data = read_zip_member(archive, info, f"{self.path.name}/{wanted[0]}")
                return wanted[0], _MemberSample(wanted[0], data)
            with archive.open(info) as fh:
                return wanted[0], _MemberSample(wanted[0], fh.read(HEAD_BYTES), head_only=True)


class _MemberSample(Sample):
    """A zip member seen through the same views as a file."""

    def __init__(self, name: str, data: bytes, *, head_only: bool = False) -> None:
        super().__init__(Path(name))
        self._data = data
        self._head_only = head_only

    @cached_property
    def head(self) -> bytes:
        return self._data[:HEAD_BYTES]

    @cached_property
    def zip_names(self) -> list[str] | None:
        if self._head_only or not self._data.startswith(_ZIP_MAGIC):
            return None
        try:
            with zipfile.ZipFile(io.BytesIO(self._data)) as archive:
                return archive.namelist()
        except zipfile.BadZipFile:
            return None

    @cached_property
    def sheets(self) -> list[SheetHead]:
        return read_xlsx_head(io.BytesIO(self._data), rows=HEAD_ROWS)

    @cached_property
    def text(self) -> tuple[list[str], str] | str:
        return _text_lines(self.head, whole=len(self._data) <= HEAD_BYTES and not self._head_only)


# The largest bureau workbook seen (東海北陸, all prefectures) inflates to about 40 MB, a CSV of
# the same to about 60 MB. A member far beyond that, or compressed far better than text and
# spreadsheets compress, is a zip bomb or not a list: refuse it before it fills the memory.
_MAX_MEMBER_BYTES = 512 << 20
_MAX_RATIO = 100
_RATIO_FROM_BYTES = 16 << 20


def read_zip_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: str) -> bytes:
    """The member's bytes, read with a cap: the sizes in the directory can lie."""
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > _MAX_MEMBER_BYTES or (
        info.file_size > _RATIO_FROM_BYTES and ratio > _MAX_RATIO
    ):
        raise InputError(
            "the member inflates to {mb:,.0f} MB ({ratio:,.0f} times its packed size): "
            "refused as a likely zip bomb",
            file=source,
            mb=info.file_size / (1 << 20),
            ratio=ratio,
            hint="a bureau list is at most tens of MB; unpack the archive and check its contents",
        )
    with archive.open(info) as member:
        data = member.read(_MAX_MEMBER_BYTES + 1)
    if len(data) > _MAX_MEMBER_BYTES:
        raise InputError(
            "the member inflates to more than {mb} MB: refused",
            file=source,
            mb=_MAX_MEMBER_BYTES >> 20,
            hint="a bureau list is at most tens of MB; unpack the archive and check its contents",
        )
    return data


def _text_lines(head: bytes, *, whole: bool) -> tuple[list[str], str] | str:
    if not head.strip():
        return t("the file is empty")
    if b"\0" in head:
        return t("binary data, not text")
    body = head[len(codecs.BOM_UTF8) :] if head.startswith(codecs.BOM_UTF8) else head
    if not whole:
        # Never decode a character cut at the end of the sample.
        cut = body.rfind(b"\n")
        if cut < 0:
            return t("no line end in the first {kb} KB", kb=HEAD_BYTES // 1024)
        body = body[: cut + 1]
    try:
        encoding = detect_encoding(body)
    except InputError:
        return t("neither UTF-8 nor CP932 text")
    text = body.decode("utf-8" if encoding.startswith("utf-8") else encoding)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return lines[:HEAD_ROWS], "cp932" if encoding == "cp932" else "utf-8"


def _member_name(info: zipfile.ZipInfo) -> str:
    """Bureau zips store CP932 names without the UTF-8 flag (see readers.bureau_list)."""
    if info.flag_bits & _ZIP_UTF8_FLAG:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("cp932")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename
