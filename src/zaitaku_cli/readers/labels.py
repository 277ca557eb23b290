"""受理記号 and other short printed labels, normalised once for every reader.

Bureaus and prefecture documents print labels with full-width digits and stray spaces
(支援診１, 支 援 診 ３); matching is on NFKC without whitespace. NFKC runs again after the
spaces go, because NFKC can itself produce a space (´ → space + combining accent) whose removal
leaves a sequence NFKC composes differently: once normalised, a label stays as it is.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

__all__ = ["normalize_label", "normalize_label_expr"]

# Python's \s also matches the separators U+001C–U+001F, Rust's (polars) does not: name them so
# that the column form and the scalar form remove the same characters.
_SPACE_CLASS = r"[\s\x1c-\x1f]+"
_SPACE = re.compile(_SPACE_CLASS)


def normalize_label(text: str) -> str:
    """受理記号 as matched against ref_juri_kigo: NFKC (支援診１ → 支援診1), no whitespace."""
    once = _SPACE.sub("", unicodedata.normalize("NFKC", text))
    return unicodedata.normalize("NFKC", once)


def normalize_label_expr(expr: pl.Expr) -> pl.Expr:
    """`normalize_label` over a column."""
    return expr.str.normalize("NFKC").str.replace_all(_SPACE_CLASS, "").str.normalize("NFKC")
