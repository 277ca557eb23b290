"""The one exception family. Only the CLI catches these: it prints the message and exits 1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zaitaku_cli.i18n import join, t

# sysexits.h EX_TEMPFAIL: the warehouse (or a run's lock) is held by another process; trying
# again later will work. Every "busy" refusal uses it, so that cron wrappers can tell it apart.
EXIT_BUSY = 75


class ZaitakuError(Exception):
    """Base of every error zaitaku raises on purpose; the message is for the analyst.

    The message is the English template and its values (`ZaitakuError("no warehouse at
    {path}", path=p)`): `str()` renders it in the run's language through the catalogue.
    """

    exit_code = 1

    def __init__(self, message: str = "", /, **values: object) -> None:
        self.template = message
        self.values = values
        super().__init__(message)

    @property
    def message(self) -> str:
        """The message alone, in the run's language."""
        return t(self.template, **self.values)

    def __str__(self) -> str:
        return self.message


class InputError(ZaitakuError):
    """A problem in an input file, located as precisely as we can: file, row, column.

    `row` is the 1-based line (CSV) or sheet row (xlsx) as the analyst sees it in Excel. The
    hint (what would fix it) is a template too, filled with the same values.
    """

    def __init__(
        self,
        message: str,
        /,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
        **values: object,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        self.hint = hint
        self.more_hints: list[str] = []  # added on the way up, already rendered
        super().__init__(message, **values)

    def add_hint(self, text: str) -> None:
        """Append a (rendered) hint, e.g. which files a failed batch had loaded before."""
        self.more_hints.append(text)

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(t("row {row}", row=self.row))
        if self.column:
            where.append(t("column {column}", column=self.column))
        text = f"{join(where)}: {self.message}" if where else self.message
        hints = [t(self.hint, **self.values)] if self.hint else []
        hints += self.more_hints
        if hints:
            text += " — " + "; ".join(hints)
        return text


class UnsupportedFormatError(InputError):
    """The file is of a kind we do not read (legacy .xls, unknown extension, wrong sheet)."""


class EncodingDetectionError(InputError):
    """The bytes are neither UTF-8 nor CP932."""


class RejectRateExceeded(InputError):
    """Too many bad rows: the whole file is refused and nothing of it is kept."""


class ReferenceDataError(ZaitakuError):
    """Packaged reference data is missing or inconsistent (a packaging bug, not user input)."""


class WarehouseError(ZaitakuError):
    """The DuckDB warehouse cannot be opened, migrated or written."""


class WarehouseBusy(WarehouseError):
    """Another process holds the warehouse: nothing was done, try again when it has finished."""

    exit_code = EXIT_BUSY


class OutOfMemory(WarehouseError):
    """DuckDB reached its memory limit (and could not spill the rest to disk)."""


class SnapshotNotFound(ZaitakuError):
    """An aggregate asked for an as-of date or data that the warehouse does not hold."""


class ConfigError(ZaitakuError):
    """A setting (flag, ZAITAKU_* variable or zaitaku.toml) has an impossible value."""


class EngineError(ZaitakuError):
    """The chosen engine (Spark) cannot start, or failed on one of the `sql/` files."""


class ClaimsOverlap(InputError):
    """A claims file brings (保険者番号, 診療年月) pairs that another file already loaded.

    `pairs` are the pairs met ({"insurer_no", "service_month", "lines"}), `earlier` the ingests
    holding them ({"ingest_id", "file_name", "ingested_at", "pairs", "lines"}): the JSON summary
    of a refused run shows them.
    """

    def __init__(
        self,
        message: str,
        /,
        *,
        file: str | Path,
        hint: str,
        pairs: list[dict[str, object]],
        earlier: list[dict[str, object]],
        **values: Any,
    ) -> None:
        self.pairs = pairs
        self.earlier = earlier
        super().__init__(message, file=file, hint=hint, **values)


class EmptyExtract(InputError):
    """A claims extract holds no data line (a header alone): refused unless --allow-empty."""


class IngestNotFound(ZaitakuError):
    """`zaitaku remove` was given a file or id that matches no ingested file."""


class AmbiguousIngest(ZaitakuError):
    """`zaitaku remove` was given a name that matches several ingested files."""
