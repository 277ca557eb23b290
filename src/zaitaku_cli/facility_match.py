"""Find the facilities a prefecture's own table names (its facility survey) in the bureau lists:
by 医療機関コード, else by name and address.

Surveys are typed by people: codes lose their leading zero in Excel, names drop the 法人 part
(医療法人社団桜会 渡辺整形外科医院 → 渡辺整形外科医院), addresses write 5丁目12番11号 where the
list prints ５丁目１２－１１ and leave out the building. So names and addresses are compared as
keys: NFKC, no spaces, the geo module's folds, 丁目/番地/番/号 as hyphens; an address matches
when the keys are equal or one continues the other past a number (a building name, never a
longer number); a name when one key contains the other. A row matches only when exactly one
facility of the municipality has both; anything else is a reject with the reason — never a
guess.
"""

from __future__ import annotations

import polars as pl

from zaitaku_cli.geo import normalize_expr, resolve_addresses
from zaitaku_cli.i18n import N_, polars_format
from zaitaku_cli.reference import municipalities

__all__ = ["address_key_expr", "match_facilities", "name_key_expr", "normalize_code_expr"]

# The 法人 part of a listed name ends at the first space: 医療法人社団桜会　渡辺整形外科医院.
_CORPORATE = r"^\S*法人\S*\s+"
# After a number, 丁目 / 番地 / 番 / 号 / の separate the parts of an address like a hyphen does.
_ADDRESS_PARTS = r"(\d)(?:丁目|番地の|番地|番の|番|号の|号|の)"
# the shortest name key that may match inside a longer one (医院 alone would match any 医院)
_MIN_NAME = 3

_SCHEMA = {
    "row_id": pl.UInt32,
    "facility_code10": pl.String,
    "pref_code": pl.String,
    "code5": pl.String,
    "matched_by": pl.String,
    "reason": pl.String,
    "note": pl.String,
}


def normalize_code_expr(expr: pl.Expr, pref: pl.Expr) -> pl.Expr:
    """A 医療機関コード as written → 10 digits, or null when it cannot be one.

    Full-width digits, spaces and hyphens are dropped; 9 digits are a code whose leading zero
    Excel removed; 7 digits are a 医療機関番号, completed with the row's prefecture and the 医科
    点数表 '1' (domain.md §2) when the prefecture is known.
    """
    digits = expr.str.normalize("NFKC").str.replace_all(r"[\s\-ー‐−]", "")
    return (
        pl.when(digits.str.contains(r"^\d{10}$"))
        .then(digits)
        .when(digits.str.contains(r"^\d{9}$"))
        .then(pl.lit("0") + digits)
        .when(digits.str.contains(r"^\d{7}$") & pref.is_not_null())
        .then(pref + pl.lit("1") + digits)
        .otherwise(None)
    )


def name_key_expr(expr: pl.Expr) -> pl.Expr:
    """A facility name as compared: without its 法人 part, NFKC, no spaces, folded."""
    return normalize_expr(expr.str.normalize("NFKC").str.strip_chars().str.replace(_CORPORATE, ""))


def address_key_expr(expr: pl.Expr, pref_name: pl.Expr) -> pl.Expr:
    """An address as compared: the resolver's normal form, 丁目/番地/番/号 as hyphens."""
    return (
        normalize_expr(expr, pref_name)
        .str.replace_all(_ADDRESS_PARTS, "${1}-")
        .str.replace_all(r"-+", "-")
        .str.strip_chars_end("-")
    )


def _after_municipality(address: pl.Expr, pref_name: pl.Expr) -> pl.Expr:
    """The address key after its municipality (the resolver's matched_name, normalised)."""
    return address_key_expr(address.fill_null(""), pref_name).str.strip_prefix(
        normalize_expr(pl.col("matched_name").fill_null(""))
    )


def _continues(longer: pl.Expr, shorter: pl.Expr) -> pl.Expr:
    """`longer` is `shorter` followed by something other than more of a number."""
    rest = longer.str.slice(shorter.str.len_chars())
    return longer.str.starts_with(shorter) & ~rest.str.contains(r"^[\d\-]")


def _pref_names() -> pl.DataFrame:
    prefs = municipalities().filter(pl.col("kind") == "都道府県")
    return prefs.select("pref_code", pl.col("name").alias("pref_name"))


def match_facilities(rows: pl.DataFrame, registry: pl.DataFrame) -> pl.DataFrame:
    """Match each row to one facility of `registry`.

    rows: row_id (u32), pref_code (the prefecture to search by name and address; may be null),
    code (as written; may be null), name, address. registry: stg_facility_registry
    (facility_code10, pref_code, facility_name, address, code5).
    Returns one row per row_id: facility_code10, pref_code, code5 and matched_by ('code' or
    'name_address') when matched, else reason; note says what the analyst should know about a
    match (a code that no list holds, matched by name and address instead).
    """
    registry = registry.select("facility_code10", "pref_code", "facility_name", "address", "code5")
    given = rows.with_columns(
        normalize_code_expr(pl.col("code").fill_null(""), pl.col("pref_code")).alias("code10"),
        pl.col("code").fill_null("").str.strip_chars().alias("code_text"),
    )
    by_code = given.join(
        registry.select(
            pl.col("facility_code10").alias("code10"),
            pl.col("pref_code").alias("list_pref"),
            "code5",
        ),
        on="code10",
        how="left",
        maintain_order="left",
    )
    found = by_code.filter(pl.col("list_pref").is_not_null()).select(
        "row_id",
        pl.col("code10").alias("facility_code10"),
        pl.col("list_pref").alias("pref_code"),
        "code5",
        pl.lit("code").alias("matched_by"),
        pl.lit(None, dtype=pl.String).alias("reason"),
        pl.lit(None, dtype=pl.String).alias("note"),
    )
    rest = by_code.filter(pl.col("list_pref").is_null()).drop("list_pref", "code5")
    code_problem = (
        pl.when(pl.col("code_text") == "")
        .then(None)
        .when(pl.col("code10").is_null())
        .then(
            polars_format(
                N_("医療機関コード {code} is not a 10-digit code"), code=pl.col("code_text")
            )
        )
        .otherwise(
            polars_format(
                N_("医療機関コード {code} is in no ingested bureau list"), code=pl.col("code10")
            )
        )
    )
    rest = rest.with_columns(code_problem.alias("code_problem"))
    by_name = _by_name_and_address(rest, registry)
    rest = rest.join(by_name, on="row_id", how="left", maintain_order="left")
    matched = rest.filter(pl.col("facility_code10").is_not_null()).select(
        "row_id",
        "facility_code10",
        "pref_code",
        "code5",
        pl.lit("name_address").alias("matched_by"),
        pl.lit(None, dtype=pl.String).alias("reason"),
        pl.when(pl.col("code_problem").is_not_null())
        .then(
            polars_format(
                N_("{problem}: matched by name and address instead"),
                problem=pl.col("code_problem"),
            )
        )
        .alias("note"),
    )
    unmatched = rest.filter(pl.col("facility_code10").is_null()).select(
        "row_id",
        pl.lit(None, dtype=pl.String).alias("facility_code10"),
        "pref_code",
        pl.lit(None, dtype=pl.String).alias("code5"),
        pl.lit(None, dtype=pl.String).alias("matched_by"),
        pl.when(pl.col("code_problem").is_not_null() & (pl.col("name_problem") != ""))
        .then(pl.format("{}; {}", pl.col("code_problem"), pl.col("name_problem")))
        .when(pl.col("code_problem").is_not_null())
        .then(pl.col("code_problem"))
        .otherwise(pl.col("name_problem"))
        .alias("reason"),
        pl.lit(None, dtype=pl.String).alias("note"),
    )
    return pl.concat(
        [f.cast(_SCHEMA) for f in (found, matched, unmatched)]  # type: ignore[arg-type]
    ).sort("row_id")


def _by_name_and_address(rest: pl.DataFrame, registry: pl.DataFrame) -> pl.DataFrame:
    """For rows not matched by code: facility_code10, pref_code, code5 when exactly one facility
    of the row's municipality has its name and address; else name_problem (why not)."""
    schema = {
        "row_id": pl.UInt32,
        "facility_code10": pl.String,
        "pref_code": pl.String,
        "code5": pl.String,
        "name_problem": pl.String,
    }
    if rest.is_empty():
        return pl.DataFrame(schema=schema)
    prefs = _pref_names()
    wanted = (
        rest.select("row_id", "pref_code", "name", "address")
        .join(prefs, on="pref_code", how="left")
        .with_columns(
            (
                (pl.col("name").fill_null("").str.strip_chars() == "")
                | (pl.col("address").fill_null("").str.strip_chars() == "")
            ).alias("blank"),
            name_key_expr(pl.col("name").fill_null("")).alias("name_key"),
        )
    )
    # the municipality first: facilities are compared within it, never across a prefecture,
    # and by what follows its name (紫波郡紫波町青山… and 紫波町青山… are one address)
    wanted = resolve_addresses(wanted, pref_col="pref_code", address_col="address")
    wanted = wanted.with_columns(
        _after_municipality(pl.col("address"), pl.col("pref_name")).alias("address_key")
    )
    # the list's own places: the same resolver found them at ingest, so code5 is the same
    listed = resolve_addresses(
        registry.filter(
            pl.col("pref_code").is_in(wanted["pref_code"].drop_nulls().unique().to_list())
        )
        .rename({"code5": "list_code5"})
        .join(prefs, on="pref_code", how="left"),
        pref_col="pref_code",
        address_col="address",
    ).with_columns(
        name_key_expr(pl.col("facility_name").fill_null("")).alias("list_name_key"),
        _after_municipality(pl.col("address"), pl.col("pref_name")).alias("list_address_key"),
    )
    pairs = wanted.filter(pl.col("code5").is_not_null()).join(
        listed.filter(pl.col("code5").is_not_null()).select(
            "facility_code10",
            pl.col("pref_code").alias("list_pref"),
            pl.col("facility_name").alias("list_name"),
            "code5",
            "list_code5",
            "list_name_key",
            "list_address_key",
        ),
        on="code5",
        how="inner",
    )
    a, b = pl.col("address_key"), pl.col("list_address_key")
    n, m = pl.col("name_key"), pl.col("list_name_key")
    pairs = pairs.with_columns(
        ((a != "") & (b != "") & ((a == b) | _continues(a, b) | _continues(b, a))).alias(
            "address_ok"
        ),
        (
            (n == m)
            | ((n.str.len_chars() >= _MIN_NAME) & m.str.contains(n, literal=True))
            | ((m.str.len_chars() >= _MIN_NAME) & n.str.contains(m, literal=True))
        ).alias("name_ok"),
    )
    both = pairs.filter(pl.col("address_ok") & pl.col("name_ok"))
    counted = both.group_by("row_id").agg(
        pl.len().alias("n_both"),
        pl.col("facility_code10").sort().alias("codes"),
        pl.col("list_pref").first().alias("list_pref"),
        pl.col("list_code5").first().alias("list_code5"),
    )
    at_address = (
        pairs.filter(pl.col("address_ok"))
        .group_by("row_id")
        .agg(
            pl.format("{} ({})", pl.col("list_name"), pl.col("facility_code10"))
            .sort()
            .head(3)
            .str.join("、")
            .alias("there")
        )
    )
    elsewhere = (
        wanted.join(
            listed.select(
                "pref_code",
                pl.col("list_name_key").alias("name_key"),
                pl.format("{} ({})", pl.col("address"), pl.col("facility_code10")).alias("where"),
            ),
            on=["pref_code", "name_key"],
            how="inner",
        )
        .group_by("row_id")
        .agg(pl.col("where").sort().head(3).str.join("、").alias("elsewhere"))
    )
    out = (
        wanted.select("row_id", "pref_code", "pref_name", "name", "blank", "geo_reason")
        .join(counted, on="row_id", how="left")
        .join(at_address, on="row_id", how="left")
        .join(elsewhere, on="row_id", how="left")
    )
    problem = (
        pl.when(pl.col("n_both") == 1)
        .then(pl.lit(""))
        .when(pl.col("blank"))
        .then(pl.lit(N_("give the 医療機関コード, or both 医療機関名 and 所在地")))
        .when(pl.col("pref_code").is_null())
        .then(pl.lit(N_("no prefecture to look the name and address up in: pass --pref")))
        .when(pl.col("geo_reason").is_not_null())
        .then(pl.format("所在地: {}", pl.col("geo_reason")))
        .when(pl.col("n_both") > 1)
        .then(
            polars_format(
                N_(
                    "{count} facilities of the bureau lists have this name and address "
                    "({codes}): give the 医療機関コード"
                ),
                count=pl.col("n_both"),
                codes=pl.col("codes").list.join(", "),
            )
        )
        .when(pl.col("elsewhere").is_not_null())
        .then(
            polars_format(
                N_("{name} is in the bureau lists at another address: {where}"),
                name=pl.col("name"),
                where=pl.col("elsewhere"),
            )
        )
        .when(pl.col("there").is_not_null())
        .then(
            polars_format(
                N_("no facility named {name} at this address in the bureau lists (there: {there})"),
                name=pl.col("name"),
                there=pl.col("there"),
            )
        )
        .otherwise(
            polars_format(
                N_(
                    "no facility of the bureau lists of {pref_name} ({pref}) has this name and "
                    "address"
                ),
                pref_name=pl.col("pref_name"),
                pref=pl.col("pref_code"),
            )
        )
    )
    return out.select(
        "row_id",
        pl.when(pl.col("n_both") == 1).then(pl.col("codes").list.first()).alias("facility_code10"),
        pl.when(pl.col("n_both") == 1)
        .then(pl.col("list_pref"))
        .otherwise(pl.col("pref_code"))
        .alias("pref_code"),
        pl.when(pl.col("n_both") == 1).then(pl.col("list_code5")).alias("code5"),
        problem.alias("name_problem"),
    ).cast(schema)  # type: ignore[arg-type]
