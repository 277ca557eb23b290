"""都道府県コード (pref_code): what one is, and where it comes from — the one place that says so.

A 都道府県コード is two digits, 01 (北海道) to 47 (沖縄県) (JIS X 0401). The first two digits of
a 市町村コード (JIS X 0402, 5 digits, 6 with its check digit) and of a 10-digit 医療機関コード are
the 都道府県コード of the place. (The SQL takes them with substr(code, 1, 2).)
"""

from __future__ import annotations

import re

import polars as pl

__all__ = ["PREF_CODES", "is_pref_code", "pref_code", "pref_of", "pref_of_expr"]

PREF_CODES: tuple[str, ...] = tuple(f"{i:02d}" for i in range(1, 48))

_ONE_OR_TWO_DIGITS = re.compile(r"[0-9]{1,2}")


def is_pref_code(value: object) -> bool:
    """'03' is one; 3, '3', '003' and '48' are not (see pref_code for what users may type)."""
    return isinstance(value, str) and value in PREF_CODES


def pref_code(value: str | int) -> str | None:
    """The 都道府県コード a user means by '03', '3', ' 3 ' or 3 (Excel and TOML drop the zero);
    None for anything else."""
    if isinstance(value, bool):
        return None
    text = f"{value:02d}" if isinstance(value, int) else value.strip()
    if not _ONE_OR_TWO_DIGITS.fullmatch(text):
        return None
    text = text.zfill(2)
    return text if text in PREF_CODES else None


def pref_of(code: str) -> str:
    """The 都道府県コード of a 市町村コード or 医療機関コード: its first two digits."""
    return code[:2]


def pref_of_expr(column: str) -> pl.Expr:
    """pref_of over a text column of codes."""
    return pl.col(column).str.slice(0, 2)
