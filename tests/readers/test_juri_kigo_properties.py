"""受理記号 normalisation, property-based: printed forms of every label of the revision table
(full-width, spaced, as the bureaus print them) normalise to the table's label; nothing crashes
it, and normalising twice changes nothing."""

from __future__ import annotations

import unicodedata

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from zaitaku_cli.readers.labels import normalize_label, normalize_label_expr
from zaitaku_cli.reference import juri_kigo

LABELS = sorted(set(juri_kigo()["label"].to_list()))
TO_FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


def printed(label: str, spaces: list[int], full_width: bool) -> str:
    text = "".join(TO_FULL_WIDTH.get(ch, ch) for ch in label) if full_width else label
    for at in sorted(spaces, reverse=True):
        text = text[: at % (len(text) + 1)] + "　" + text[at % (len(text) + 1) :]
    return text


@given(
    st.sampled_from(LABELS),
    st.lists(st.integers(min_value=0, max_value=10), max_size=3),
    st.booleans(),
)
def test_printed_labels_normalise_to_the_table(
    label: str, spaces: list[int], full_width: bool
) -> None:
    assert normalize_label(printed(label, spaces, full_width)) == label


@given(st.text())
def test_normalising_is_total_and_idempotent(text: str) -> None:
    once = normalize_label(text)
    assert normalize_label(once) == once
    assert not any(ch.isspace() for ch in once)
    assert once == unicodedata.normalize("NFKC", once)


# Characters this Python's Unicode database knows: Polars (Rust) may ship a newer Unicode,
# whose NFKC maps characters Python's does not know yet (U+1E030 → а), a skew no bureau list
# written in Japanese can show. (Lone surrogates, Cs, are no text at all.)
KNOWN_TO_PYTHON = st.characters(exclude_categories=["Cn", "Cs"])


@given(st.lists(st.text(KNOWN_TO_PYTHON), max_size=20))
def test_the_column_form_agrees_with_the_scalar_one(texts: list[str]) -> None:
    # bureau lists normalise a column, count tables a cell: the same label must come out
    column = (
        pl.Series("t", texts, dtype=pl.String).to_frame().select(normalize_label_expr(pl.col("t")))
    )
    assert column["t"].to_list() == [normalize_label(t) for t in texts]
