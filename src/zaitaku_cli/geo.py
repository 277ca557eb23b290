"""Address → municipality resolver: longest-prefix match on the official names of one prefecture.

Bureau lists leave 市町村コード empty, so the municipality comes from the address (domain.md §2).
Addresses omit the prefecture 99 % of the time and defeat "up to the first 市/区/町/村" parsing
(四日市市, 市川市, 大町市, 余市郡…), so we match the start of the normalised address against every
official name of *that* prefecture and keep the longest hit. Everything is vectorised: one join per
candidate name length, over the distinct address heads only.
"""

from __future__ import annotations

from functools import cache

import polars as pl

from zaitaku_cli.i18n import N_
from zaitaku_cli.i18n import polars_format as _format
from zaitaku_cli.reference import municipalities

__all__ = [
    "normalize_address",
    "normalize_expr",
    "prefectures_naming",
    "resolve_addresses",
    "resolve_names",
]

# Same-sound spellings folded on both sides. ヶ/ヵ are the domain's rule (茅ヶ崎市 is written
# 茅ケ崎市 as often as not); NFKC already turns half-width ｹ into ケ but leaves small ゖ alone.
# The kanji pairs are variants seen between official lists and everyday addresses: the code list
# writes 梼原町/須恵町 where 住基 writes 檮原町/須惠町 (PROVENANCE.md), and 鰺ヶ沢町, 塩竈市,
# 龍ケ崎市, 飯舘村 are routinely typed 鯵, 釜, 竜, 館. Folding both sides keeps either spelling
# matching; tests/test_geo.py checks that no fold merges two real names of one prefecture.
_FOLD_FROM = ["ヶ", "ヵ", "ゖ", "ゕ", "檮", "惠", "鰺", "竈", "龍", "舘", "﨑", "髙"]
_FOLD_TO = ["ケ", "カ", "ケ", "カ", "梼", "恵", "鯵", "釜", "竜", "館", "崎", "高"]

# After a digit, these dashes are a hyphen in 番地 (１ー２, 1−2, 1‐2). Not elsewhere: ー is a
# real vowel mark in names (e.g. building names), and no municipality name contains a digit.
_DASHES = "ー−‐‑―–—－"

_BASE_KINDS = ("市", "町", "村", "特別区", "区", "政令市")

# Lower wins when several entries share one key in a prefecture. Current names beat the 7
# abolished 浜松 wards (浜松市天竜区 exists in both) and the 6 北方領土 villages (国後郡泊村 would
# make the real 古宇郡泊村 01403 ambiguous); a ward's short name (青葉区) comes last so that any
# full name wins over it.
_PRIO_CURRENT = 0
_PRIO_SECONDARY = 1
_PRIO_SHORT_WARD = 2
_PRIO_SHORT_OLD_WARD = 3

_TMP = "__geo_"


def normalize_expr(expr: pl.Expr, pref_name: pl.Expr | None = None) -> pl.Expr:
    """Polars form of `normalize_address`: NFKC, no whitespace, folds, hyphens, prefecture removed.

    `pref_name` (an expression giving the full name of the row's prefecture, e.g. 京都府) is
    stripped when the text starts with it; only the full name is stripped, so 京都市 keeps 京都.
    """
    out = (
        expr.str.normalize("NFKC")
        # Whitespace goes entirely: building names follow a full-width space, and PDFs space out
        # short names (盛 岡 市) to justify them.
        .str.replace_all(r"\s+", "")
        .str.replace_many(_FOLD_FROM, _FOLD_TO)
        .str.replace_all(rf"(\d)[{_DASHES}]", "${1}-")
    )
    if pref_name is not None:
        out = out.str.strip_prefix(pref_name)
    return out


def normalize_address(text: str, pref_code: str | None = None) -> str:
    """Normalise one address or name as the resolver does; strip the prefecture of `pref_code`.

    >>> normalize_address("岩手県紫波郡矢巾町大字西徳田第８地割１２３ー４　ABCビル", "03")
    '紫波郡矢巾町大字西徳田第8地割123-4ABCビル'
    """
    pref = _pref_names().get(pref_code or "")
    frame = pl.DataFrame({"t": [text]}, schema={"t": pl.Utf8})
    result = frame.select(normalize_expr(pl.col("t"), pl.lit(pref) if pref else None))
    return str(result.item())


# -- candidate names ------------------------------------------------------------------------


@cache
def _pref_names() -> dict[str, str]:
    prefs = municipalities().filter(pl.col("kind") == "都道府県")
    return dict(zip(prefs["pref_code"].to_list(), prefs["name"].to_list(), strict=True))


def _pref_frame() -> pl.DataFrame:
    names = _pref_names()
    return pl.DataFrame(
        {f"{_TMP}pref": list(names), f"{_TMP}pref_name": list(names.values())},
        schema={f"{_TMP}pref": pl.Utf8, f"{_TMP}pref_name": pl.Utf8},
    )


@cache
def candidate_names() -> pl.DataFrame:
    """Every name an address may start with, per prefecture: one row per (pref_code, key).

    Columns: pref_code, key (normalised), key_len, code5 and matched_name (both null when the
    key is ambiguous), n_codes and codes (the competing code5s, for the message).
    """
    muni = municipalities().filter(pl.col("kind").is_in(_BASE_KINDS))
    secondary = (pl.col("status") != "current") | pl.col("note").fill_null("").str.contains(
        "北方領土"
    )
    prio = pl.when(secondary).then(_PRIO_SECONDARY).otherwise(_PRIO_CURRENT)
    cols = ["pref_code", "key", "code5", "matched_name", "prio"]

    full = muni.select(
        "pref_code",
        pl.col("name").alias("key"),
        "code5",
        pl.col("name").alias("matched_name"),
        prio.alias("prio"),
    )
    # 紫波郡矢巾町: about 10 % of addresses keep the 郡 (the 東京都 island towns have none).
    with_gun = muni.filter(pl.col("gun_name").is_not_null()).select(
        "pref_code",
        (pl.col("gun_name") + pl.col("name")).alias("key"),
        "code5",
        (pl.col("gun_name") + pl.col("name")).alias("matched_name"),
        prio.alias("prio"),
    )
    cities = muni.filter(pl.col("kind") == "政令市").select(
        pl.col("code5").alias("parent_code5"), pl.col("name").alias("city_name")
    )
    short_ward = (
        muni.filter(pl.col("kind") == "区")
        .join(cities, on="parent_code5", how="inner")
        .select(
            "pref_code",
            pl.col("name").str.strip_prefix(pl.col("city_name")).alias("key"),
            "code5",
            pl.col("name").alias("matched_name"),
            pl.when(pl.col("status") == "current")
            .then(_PRIO_SHORT_WARD)
            .otherwise(_PRIO_SHORT_OLD_WARD)
            .alias("prio"),
        )
    )
    every = pl.concat([full.select(cols), with_gun.select(cols), short_ward.select(cols)])
    every = every.with_columns(key=normalize_expr(pl.col("key"))).unique()

    # Keep, per key, only the entries of the best priority; more than one code left = ambiguous.
    best = every.filter(pl.col("prio") == pl.col("prio").min().over("pref_code", "key"))
    grouped = best.group_by("pref_code", "key").agg(
        pl.col("code5").unique().sort().alias("codes"),
        pl.col("matched_name").sort().first(),
    )
    return grouped.select(
        "pref_code",
        "key",
        pl.col("key").str.len_chars().alias("key_len"),
        pl.when(pl.col("codes").list.len() == 1).then(pl.col("codes").list.first()).alias("code5"),
        pl.when(pl.col("codes").list.len() == 1).then(pl.col("matched_name")).alias("matched_name"),
        pl.col("codes").list.len().cast(pl.Int64).alias("n_codes"),
        pl.col("codes").list.join(", ").alias("codes"),
    ).sort("pref_code", "key")


# -- resolution -----------------------------------------------------------------------------


def _prepare(frame: pl.DataFrame, pref_col: str, text_col: str) -> pl.DataFrame:
    """Frame with a row id, the zero-padded prefecture, its name and the normalised text."""
    pref = pl.col(pref_col).cast(pl.Utf8).str.strip_chars().str.zfill(2)
    base = frame.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias(f"{_TMP}row"),
        pref.alias(f"{_TMP}pref"),
        pl.col(text_col).cast(pl.Utf8).alias(f"{_TMP}raw"),
    )
    base = base.join(_pref_frame(), on=f"{_TMP}pref", how="left", maintain_order="left")
    return base.with_columns(
        normalize_expr(pl.col(f"{_TMP}raw"), pl.col(f"{_TMP}pref_name"))
        .fill_null("")
        .alias(f"{_TMP}norm")
    )


def _other_pref_expr(text: pl.Expr) -> pl.Expr:
    """The prefecture name the text starts with, if any (only asked of unresolved rows)."""
    names = sorted(_pref_names().values(), key=len, reverse=True)
    return text.str.extract("^(" + "|".join(names) + ")", 1)


def _unresolved_reason(hit_kind: str) -> pl.Expr:
    """Why a row has no hit: no prefecture, empty text, another prefecture, or no match."""
    pref = pl.col(f"{_TMP}pref")
    pref_name = pl.col(f"{_TMP}pref_name")
    norm = pl.col(f"{_TMP}norm")
    other = _other_pref_expr(norm)
    if hit_kind == "prefix":
        no_match = _format(
            N_("no municipality of {pref_name} ({pref}) matches the start of the address"),
            pref_name=pref_name,
            pref=pref,
        )
        elsewhere = N_("the address starts with {other}, not {pref_name} ({pref})")
        empty = N_("empty address")
    else:
        no_match = _format(
            N_("no municipality of {pref_name} ({pref}) is named {name}"),
            pref_name=pref_name,
            pref=pref,
            name=norm,
        )
        elsewhere = N_("the name starts with {other}, not {pref_name} ({pref})")
        empty = N_("empty name")
    return (
        pl.when(pref.is_null())
        .then(pl.lit(N_("no prefecture code")))
        .when(pref_name.is_null())
        .then(_format(N_("unknown prefecture code {pref}"), pref=pref))
        .when(norm == "")
        .then(pl.lit(empty))
        .when(other.is_not_null())
        .then(_format(elsewhere, other=other, pref_name=pref_name, pref=pref))
        .otherwise(no_match)
    )


def _attach(
    frame: pl.DataFrame, prepared: pl.DataFrame, hits: pl.DataFrame, hit_kind: str
) -> pl.DataFrame:
    """Add code5 / matched_name / geo_reason to `frame` from hits keyed by the row id."""
    row = f"{_TMP}row"
    joined = prepared.join(hits, on=row, how="left", maintain_order="left")
    result = joined.select(
        pl.col("code5"),
        pl.col("matched_name"),
        pl.when(pl.col("n_codes").is_null())
        .then(_unresolved_reason(hit_kind))
        .when(pl.col("n_codes") > 1)
        .then(
            _format(
                N_("ambiguous: {key} matches {count} municipalities ({codes})"),
                key=pl.col("key"),
                count=pl.col("n_codes"),
                codes=pl.col("codes"),
            )
        )
        .otherwise(None)
        .alias("geo_reason"),
    )
    kept = frame.drop([c for c in ("code5", "matched_name", "geo_reason") if c in frame.columns])
    return kept.hstack(result)


def resolve_addresses(
    frame: pl.DataFrame, *, pref_col: str = "pref_code", address_col: str = "address"
) -> pl.DataFrame:
    """Add `code5`, `matched_name`, `geo_reason` by longest-prefix match of the address.

    `code5` is the base unit (municipality, 特別区 or 政令市 ward); a 政令市 address without a ward
    gets the city code. `geo_reason` is null when resolved, else why not. Rows keep their order;
    existing code5/matched_name/geo_reason columns are replaced.
    """
    prepared = _prepare(frame, pref_col, address_col)
    cands = candidate_names()
    lengths = sorted(cands["key_len"].unique().to_list(), reverse=True)
    max_len = lengths[0] if lengths else 0

    # Only the first max_len characters can decide the match, and bureau lists repeat the same
    # street many times: work on distinct (prefecture, head) pairs and join back at the end.
    head = f"{_TMP}head"
    heads = (
        prepared.select(f"{_TMP}pref", pl.col(f"{_TMP}norm").str.slice(0, max_len).alias(head))
        .filter(pl.col(f"{_TMP}pref").is_not_null() & (pl.col(head) != ""))
        .unique()
    )
    found: list[pl.DataFrame] = []
    remaining = heads
    for length in lengths:
        if remaining.height == 0:
            break
        table = cands.filter(pl.col("key_len") == length).drop("key_len")
        hit = remaining.join(
            table,
            left_on=[pl.col(f"{_TMP}pref"), pl.col(head).str.slice(0, length)],
            right_on=[pl.col("pref_code"), pl.col("key")],
            how="inner",
        )
        if hit.height:
            hit = hit.with_columns(key=pl.col(head).str.slice(0, length))
            found.append(
                hit.select(f"{_TMP}pref", head, "key", "code5", "matched_name", "n_codes", "codes")
            )
            # The longest hit decides, even when it is ambiguous: a shorter name would be a guess.
            remaining = remaining.join(
                hit.select(f"{_TMP}pref", head), on=[f"{_TMP}pref", head], how="anti"
            )
    schema = {
        f"{_TMP}pref": pl.Utf8,
        head: pl.Utf8,
        "key": pl.Utf8,
        "code5": pl.Utf8,
        "matched_name": pl.Utf8,
        "n_codes": pl.Int64,
        "codes": pl.Utf8,
    }
    by_head = pl.concat(found) if found else pl.DataFrame(schema=schema)
    hits = (
        prepared.select(
            f"{_TMP}row", f"{_TMP}pref", pl.col(f"{_TMP}norm").str.slice(0, max_len).alias(head)
        )
        .join(by_head, on=[f"{_TMP}pref", head], how="inner")
        .drop(f"{_TMP}pref", head)
    )
    return _attach(frame, prepared, hits, "prefix")


def resolve_names(
    frame: pl.DataFrame, *, pref_col: str = "pref_code", name_col: str = "name"
) -> pl.DataFrame:
    """Add `code5`, `matched_name`, `geo_reason` for municipality NAMES (exact, after normalising).

    Accepts 盛岡市, 紫波郡矢巾町, 矢巾町, 仙台市青葉区, 青葉区 (if unique) and 仙台市 (→ city code).
    """
    prepared = _prepare(frame, pref_col, name_col)
    hits = (
        prepared.select(f"{_TMP}row", f"{_TMP}pref", f"{_TMP}norm")
        .join(
            candidate_names().drop("key_len"),
            left_on=[f"{_TMP}pref", f"{_TMP}norm"],
            right_on=["pref_code", "key"],
            how="inner",
        )
        .select(
            f"{_TMP}row",
            pl.col(f"{_TMP}norm").alias("key"),
            "code5",
            "matched_name",
            "n_codes",
            "codes",
        )
    )
    return _attach(frame, prepared, hits, "name")


def prefectures_naming(names: list[str]) -> dict[str, int]:
    """{都道府県コード: how many of `names` are municipalities of it}, for prefectures naming at
    least one, by the same rules as resolve_names (a count table given without --pref)."""
    distinct = sorted(set(names))
    if not distinct:
        return {}
    grid = pl.DataFrame({"name": distinct}).join(
        pl.DataFrame({"pref_code": list(_pref_names())}), how="cross"
    )
    resolved = resolve_names(grid, pref_col="pref_code", name_col="name")
    counts = (
        resolved.filter(pl.col("code5").is_not_null())
        .group_by("pref_code")
        .agg(pl.col("name").n_unique().alias("n"))
        .sort("pref_code")
    )
    return dict(counts.iter_rows())
