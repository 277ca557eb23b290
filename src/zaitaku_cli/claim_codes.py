"""The claim-code table (診療行為コード → indicator): list it; refresh it from a newer master.

The packaged table (reference/data/claim_codes.csv) stops at the 2025-09 master. A newer
医科診療行為マスター from 社会保険診療報酬支払基金 is read here, its codes in the home-care
区分 are compared with the table, and the analyst's chosen additions go to
`claim_code_additions`, which ref_claim_codes unions in: no code change at a fee revision.
Matching rules are data: claim_code_rules.toml.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import tomllib
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

from zaitaku_cli.errors import InputError
from zaitaku_cli.frames import polars_frame
from zaitaku_cli.i18n import join, t
from zaitaku_cli.readers.encoding import decode_bytes
from zaitaku_cli.warehouse import Warehouse

__all__ = [
    "MASTER_FIELDS",
    "RULES_FILE",
    "apply_additions",
    "find_unmapped_home_care_codes",
    "in_home_care_family",
    "kubun_of",
    "list_codes",
    "packaged_codes",
    "read_master",
    "suggest_indicator",
    "unknown_codes_in_claims",
]

RULES_FILE = Path(__file__).with_name("claim_code_rules.toml")

# 0-based positions in a 医科診療行為マスター row (domain.md §4, checked against the R6 files).
MASTER_FIELDS = {
    "code": 2,  # 診療行為コード
    "short_name": 4,  # 省略漢字名称
    "points": 11,  # 点数
    "table_letter": 84,  # 点数表区分 (A, B, C, …)
    "changed_on": 86,  # 変更年月日
    "abolished_on": 87,  # 廃止年月日 (99999999 = current)
    "chapter": 89,  # 章
    "part": 90,  # 部
    "kubun_no": 91,  # 区分番号
    "branch_no": 92,  # 枝番
    "item_no": 93,  # 項番 (not part of the 区分)
    "name": 112,  # 基本漢字名称
}
_MIN_FIELDS = max(MASTER_FIELDS.values()) + 1
_NO_END_DATE = "99999999"

# The 点数表 prints these two 区分 with 枝番 01 as "-1-2" (C005-1-2 同一建物居住者訪問看護・指導料,
# B005-1-2 介護支援等連携指導料), as NDB does; every other 枝番 n is "-n" (C001-2, B007-2).
_BRANCH_ONE_IS_1_2 = frozenset({"C005", "B005"})


# -- the table -----------------------------------------------------------------------------------
def list_codes(wh: Warehouse) -> pl.DataFrame:
    """Every code ref_claim_codes maps: the packaged table plus additions, by indicator."""
    return polars_frame(wh.arrow("marts/claim_code_table"))


def packaged_codes() -> pl.DataFrame:
    """The packaged table alone, as list_codes shows it (for when there is no warehouse)."""
    from zaitaku_cli.reference import claim_codes

    return (
        claim_codes()
        .select("code", "kubun", "name", "indicator", "seen_in", "source")
        .sort("indicator", "kubun", "code", nulls_last=True)
    )


# -- the master file -----------------------------------------------------------------------------
def kubun_of(table_letter: str, kubun_no: str, branch_no: str) -> str | None:
    """点数表の区分 as printed (C001, C001-2, C005-1-2) from the master's letter, 区分番号 and 枝番.

    None when the row carries no 区分 (a partial row of a change file).
    """
    letter = table_letter.strip()
    number = kubun_no.strip()
    if not letter or not number.isdigit():
        return None
    base = f"{letter}{int(number):03d}"
    branch = int(branch_no) if branch_no.strip().isdigit() else 0
    if branch == 0:
        return base
    if branch == 1 and base in _BRANCH_ONE_IS_1_2:
        return f"{base}-1-2"
    return f"{base}-{branch}"


def _date(value: str) -> date | None:
    value = value.strip()
    if len(value) != 8 or not value.isdigit() or value == _NO_END_DATE or value == "00000000":
        return None
    return date(int(value[:4]), int(value[4:6]), int(value[6:]))


def _master_bytes(path: Path) -> bytes:
    """The master's bytes; a .zip as published by 支払基金 is read through its one CSV member."""
    try:
        if path.suffix.lower() != ".zip":
            return path.read_bytes()
        with zipfile.ZipFile(path) as archive:
            members = [n for n in archive.namelist() if n.lower().endswith(".csv")]
            if len(members) != 1:
                raise InputError(
                    "the archive holds {count} CSV files, expected one",
                    file=path,
                    count=len(members),
                    hint="unzip it and give the s_ALL….csv file",
                )
            return archive.read(members[0])
    except OSError as exc:
        raise InputError(
            "cannot read the master file ({reason})", file=path, reason=exc.strerror or exc
        ) from exc
    except zipfile.BadZipFile as exc:
        raise InputError("not a valid zip archive", file=path) from exc


def read_master(path: Path) -> pl.DataFrame:
    """Read a 支払基金 医科診療行為マスター (CP932, comma-separated, no header; .csv or .zip).

    One row per code: code, kubun, name (基本漢字名称, else 省略漢字名称), short_name, points,
    table_letter, kubun_no, branch_no, item_no, changed_on, abolished_on (null = current),
    row (line in the file), master_file, master_sha256.
    Raises InputError naming the line when a row is too short or its code is not 9 digits.
    """
    data = _master_bytes(path)
    text, _ = decode_bytes(data, file=path)
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    records: list[dict[str, Any]] = []
    for line_no, fields in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue
        if len(fields) < _MIN_FIELDS:
            raise InputError(
                "has {fields} fields; a 医科診療行為マスター row has at least {least}",
                file=path,
                fields=len(fields),
                least=_MIN_FIELDS,
                row=line_no,
                hint="give the 医科診療行為マスター (s_ALL….csv) of 社会保険診療報酬支払基金",
            )
        code = fields[MASTER_FIELDS["code"]].strip()
        if not re.fullmatch(r"\d{9}", code):
            raise InputError(
                "診療行為コード {code!r} is not 9 digits",
                file=path,
                row=line_no,
                column=t("field {number}", number=MASTER_FIELDS["code"] + 1),
                code=code,
            )
        field = {key: fields[i].strip() for key, i in MASTER_FIELDS.items()}
        points = field["points"]
        records.append(
            {
                "code": code,
                "kubun": kubun_of(field["table_letter"], field["kubun_no"], field["branch_no"]),
                "name": field["name"] or field["short_name"],
                "short_name": field["short_name"],
                "points": float(points) if re.fullmatch(r"-?\d+(\.\d+)?", points) else None,
                "table_letter": field["table_letter"] or None,
                "kubun_no": field["kubun_no"] or None,
                "branch_no": field["branch_no"] or None,
                "item_no": field["item_no"] or None,
                "changed_on": _date(field["changed_on"]),
                "abolished_on": _date(field["abolished_on"]),
                "row": line_no,
            }
        )
    if not records:
        raise InputError("no code rows", file=path, hint="is this a 医科診療行為マスター?")
    schema = {
        "code": pl.String,
        "kubun": pl.String,
        "name": pl.String,
        "short_name": pl.String,
        "points": pl.Float64,
        "table_letter": pl.String,
        "kubun_no": pl.String,
        "branch_no": pl.String,
        "item_no": pl.String,
        "changed_on": pl.Date,
        "abolished_on": pl.Date,
        "row": pl.Int64,
    }
    # A master lists each code once; if a file repeats one, its last row is the latest state.
    frame = pl.DataFrame(records, schema=schema).unique("code", keep="last", maintain_order=True)
    return frame.with_columns(master_file=pl.lit(path.name), master_sha256=pl.lit(sha256))


# -- matching rules ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Family:
    letter: str
    first: int
    last: int


@dataclass(frozen=True)
class _Rule:
    kubun: frozenset[str]
    starts_with: tuple[str, ...]
    contains: tuple[str, ...]
    indicator: str | None
    why: str


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


@cache
def _rules() -> tuple[tuple[_Family, ...], tuple[_Rule, ...]]:
    with RULES_FILE.open("rb") as fh:
        data = tomllib.load(fh)
    families = tuple(_Family(f["letter"], int(f["from"]), int(f["to"])) for f in data["families"])
    rules = tuple(
        _Rule(
            kubun=frozenset(r.get("kubun", [])),
            starts_with=tuple(_nfkc(s) for s in r.get("starts_with", [])),
            contains=tuple(_nfkc(s) for s in r.get("contains", [])),
            indicator=r["indicator"] or None,
            why=r["why"],
        )
        for r in data["rules"]
    )
    return families, rules


def in_home_care_family(kubun: str | None) -> bool:
    """The 区分 is one zaitaku watches for new codes (C000–C005, C007, A206, A246, B004–B007-2)."""
    if not kubun:
        return False
    match = re.match(r"([A-Z])(\d{3})", kubun)
    if not match:
        return False
    letter, number = match.group(1), int(match.group(2))
    return any(f.letter == letter and f.first <= number <= f.last for f in _rules()[0])


def _family_expr(kubun: pl.Expr) -> pl.Expr:
    """in_home_care_family as a polars expression (false for a null 区分)."""
    letter = kubun.str.slice(0, 1)
    number = kubun.str.slice(1, 3).cast(pl.Int64, strict=False)
    test = pl.lit(False)
    for f in _rules()[0]:
        test = test | ((letter == f.letter) & number.is_between(f.first, f.last))
    return test.fill_null(False)


def suggest_indicator(kubun: str | None, name: str) -> tuple[str | None, str | None]:
    """(indicator, reason) the table's rules give a code, or (None, None) if no rule matches.

    A matching rule whose indicator is empty (DX add-ons) returns (None, its reason).
    """
    text = _nfkc(name)
    for rule in _rules()[1]:
        if rule.kubun and kubun not in rule.kubun:
            continue
        if rule.starts_with and not text.startswith(rule.starts_with):
            continue
        if rule.contains and not any(part in text for part in rule.contains):
            continue
        return rule.indicator, rule.why
    return None, None


def find_unmapped_home_care_codes(wh: Warehouse, master: pl.DataFrame) -> pl.DataFrame:
    """Codes of the master in the home-care 区分 that ref_claim_codes does not map.

    One row per code: code, kubun, name, suggested_indicator (null = no suggestion: not an
    indicator code by the table's rules, or no rule matches), rule, changed_on, abolished_on,
    master_file, master_sha256. Review it, then pass the rows to keep to apply_additions.
    """
    known = set(list_codes(wh)["code"].to_list())
    candidates = master.filter(_family_expr(pl.col("kubun")) & ~pl.col("code").is_in(known))
    suggestions = [suggest_indicator(k, n) for k, n in candidates.select("kubun", "name").rows()]
    return (
        candidates.with_columns(
            suggested_indicator=pl.Series([s[0] for s in suggestions], dtype=pl.String),
            rule=pl.Series([s[1] for s in suggestions], dtype=pl.String),
        )
        .select(
            "code",
            "kubun",
            "name",
            "suggested_indicator",
            "rule",
            "changed_on",
            "abolished_on",
            "master_file",
            "master_sha256",
        )
        .sort("kubun", "code")
    )


# -- additions -----------------------------------------------------------------------------------
def _seen_in(master_file: str) -> str:
    """'master2026-06-05' for s_ALL20260605.csv, as the packaged table labels its sources."""
    match = re.search(r"(20\d{2})(\d{2})(\d{2})", master_file)
    if match:
        return f"master{match.group(1)}-{match.group(2)}-{match.group(3)}"
    return f"master:{master_file}"


def apply_additions(wh: Warehouse, frame: pl.DataFrame) -> int:
    """Add the rows of `frame` (from find_unmapped_home_care_codes) to claim_code_additions.

    The indicator is the `indicator` column when the frame has one (the analyst's choice), else
    `suggested_indicator`; rows with neither are skipped. Codes the packaged table already maps
    are skipped; a code added before is replaced. source = master file name + its sha256.
    Returns the number of codes written. Raises InputError for an unknown indicator key.
    """
    column = "indicator" if "indicator" in frame.columns else "suggested_indicator"
    missing = {column, "code", "kubun", "name", "master_file", "master_sha256"} - set(frame.columns)
    if missing:
        raise InputError(
            "the additions lack the column(s) {columns}",
            hint="pass the frame find_unmapped_home_care_codes returned",
            columns=join(sorted(missing)),
        )
    chosen = frame.filter(pl.col(column).is_not_null() & (pl.col(column) != ""))
    packaged = set(wh.read("ref_claim_codes_packaged", ["code"]).column("code").to_pylist())
    chosen = chosen.filter(~pl.col("code").is_in(packaged))
    if chosen.is_empty():
        return 0
    indicators = {row[0] for row in wh.rows("checks/claim_indicators")}
    unknown = sorted(set(chosen[column].to_list()) - indicators)
    if unknown:
        raise InputError(
            "unknown indicator {unknown}",
            hint="use one of {known}",
            unknown=join(unknown),
            known=join(sorted(indicators)),
        )
    rows = chosen.select(
        pl.col("code"),
        pl.col("kubun"),
        pl.col("name"),
        pl.col(column).alias("indicator"),
        pl.col("master_file").map_elements(_seen_in, return_dtype=pl.String).alias("seen_in"),
        pl.format("{} sha256:{}", pl.col("master_file"), pl.col("master_sha256")).alias("source"),
    )
    with wh.inputs(claim_code_additions_in=rows.to_arrow()), wh.transaction():
        # a code added before is replaced
        wh.delete_matching("claim_code_additions", "claim_code_additions_in", ["code"])
        wh.insert("claim_code_additions", "ingest/claim_code_additions_new")
    return rows.height


# -- codes in the claims -------------------------------------------------------------------------
def unknown_codes_in_claims(wh: Warehouse, master: pl.DataFrame | None = None) -> pl.DataFrame:
    """Codes billed in claim_lines that may be home-care codes the table does not map.

    claim_lines has no 区分: without a master a code qualifies by its prefix (the first three
    digits of the table's 在宅医療 codes, 114). With a master, a code qualifies by its 区分
    (the home-care families), and codes the master does not know fall back to the prefix.
    Columns: code, kubun, name, suggested_indicator, lines, times, facilities, first_month,
    last_month; most-billed first.
    """
    wh.materialize("staging/stg_claim_codes_unmapped")
    columns = ["code", "lines", "times", "facilities", "first_month", "last_month"]
    unmapped = polars_frame(wh.read("stg_claim_codes_unmapped", [*columns, "home_care_prefix"]))
    if master is None:
        found = unmapped.filter(pl.col("home_care_prefix")).with_columns(
            kubun=pl.lit(None, dtype=pl.String), name=pl.lit(None, dtype=pl.String)
        )
    else:
        joined = unmapped.join(master.select("code", "kubun", "name"), on="code", how="left")
        found = joined.filter(
            pl.when(pl.col("kubun").is_null())
            .then(pl.col("home_care_prefix"))
            .otherwise(_family_expr(pl.col("kubun")))
        )
    suggested = [
        suggest_indicator(k, n)[0] if n else None for k, n in found.select("kubun", "name").rows()
    ]
    return (
        found.with_columns(suggested_indicator=pl.Series(suggested, dtype=pl.String))
        .select(
            "code",
            "kubun",
            "name",
            "suggested_indicator",
            "lines",
            "times",
            "facilities",
            "first_month",
            "last_month",
        )
        .sort(["lines", "code"], descending=[True, False])
    )
