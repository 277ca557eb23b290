"""Write a realistic, deterministic synthetic KDB-style claims extract (canonical headers, CP932).

Patients have stable person keys and live in real municipalities of 岩手 (03) and 宮城 (04),
weighted by their 75+ population; most are 75 or older. Claim lines draw real codes from the
packaged code table, weighted toward 訪問診療 and 在医総管, plus 初診料/再診料 lines that no
home-care indicator counts. Service months run over FY2023–FY2024 (2023-04 to 2025-03), written
in one form (202304). Codes new at the R6 revision (2024-06) appear only from 2024-06 and codes
abolished by it only before.

Everything is vectorised (pyarrow's seeded random numbers, polars columns) and written in chunks,
so ten million lines take well under a minute and memory stays bounded. There is no numpy here:
weighted choices take from a lookup table in which each item is repeated by its weight.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow.compute as pc

from zaitaku_cli.pref_codes import pref_of
from zaitaku_cli.reference import claim_codes, load_table, municipalities

__all__ = ["CANONICAL_HEADER", "SERVICE_MONTHS", "write_claims_extract"]

CANONICAL_HEADER = [
    "保険者番号",
    "被保険者番号",
    "性別",
    "年齢",
    "市町村コード",
    "市町村名",
    "診療年月",
    "入外区分",
    "医療機関コード",
    "診療行為コード",
    "算定回数",
]

# FY2023 and FY2024: 2023-04 … 2025-03.
SERVICE_MONTHS = [f"{2023 + (3 + i) // 12}{(3 + i) % 12 + 1:02d}" for i in range(24)]
# Index of 2024-06 in SERVICE_MONTHS: the R6 fee revision took effect that month.
_R6_MONTH_INDEX = SERVICE_MONTHS.index("202406")

_PREFS = ("03", "04")
_CHUNK_ROWS = 500_000
# Resolution of weighted lookup tables: an item with weight w appears round(w * _SLOTS) times.
_SLOTS = 20_000

# Share of claim lines per indicator of the code table (the rest are 初診料/再診料 lines).
# Rough orders of magnitude of home-care billing: visits and management fees dominate.
_INDICATOR_WEIGHTS = {
    "houmon_shinryo": 0.34,
    "zaiisoukan": 0.18,
    "oushin": 0.05,
    "houmon_kango_shiji": 0.03,
    "houmon_kango_iryokikan": 0.02,
    "oushin_jikangai": 0.015,
    "nyutaiin_shien": 0.01,
    "mitori": 0.004,
    "terminal_care": 0.004,
    "zaitaku_gan": 0.003,
    "taiinji_kyodo_shido": 0.003,
    "kaigo_renkei_shido": 0.003,
    "kinkyu_nyuin": 0.002,
    "taiingo_houmon_shido": 0.001,
}
# 初診料 and 再診料: common codes outside every home-care indicator.
_OTHER_CODES = {"111000110": 0.03, "112007410": 0.32}
# Billed on an inpatient claim (入外区分 1); everything else is 入院外 (2).
_INPATIENT_INDICATORS = {"nyutaiin_shien", "kinkyu_nyuin", "taiinji_kyodo_shido"}


@dataclass(frozen=True)
class _Lookups:
    residence_code6: pl.Series  # weighted: repeated by 75+ population
    residence_name: pl.Series
    residence_pref: pl.Series
    facilities: pl.Series  # all facility codes, grouped by prefecture
    facility_ranges: pl.DataFrame  # pref, offset, size: where each prefecture's codes sit
    codes_before_r6: pl.Series  # weighted code tables, one per fee-revision period
    inout_before_r6: pl.Series
    codes_from_r6: pl.Series
    inout_from_r6: pl.Series


def write_claims_extract(
    out: Path,
    *,
    rows: int,
    seed: int = 0,
    facility_codes: list[str] | None = None,
    residence_codes: list[str] | None = None,
    encoding: str = "cp932",
    months: list[str] | None = None,
) -> Path:
    """Write `rows` claim lines to `out` (same arguments, same bytes) and return `out`.

    facility_codes: 10-digit 医療機関コード that bill the claims (e.g. those of a bureau list);
    default a deterministic synthetic list for 岩手 and 宮城. residence_codes: 5- or 6-digit
    市町村コード the patients live in; default every municipality of 岩手 and 宮城 (仙台市 by
    its city code, as 国保 claims name it). encoding: cp932 (default), utf-8 or utf-8-sig.
    months: the service months to draw from, among SERVICE_MONTHS (e.g. ["202304"] for one
    monthly extract; the same seed gives the same patients in every month); default all.
    """
    if rows < 1:
        raise ValueError("rows must be at least 1")
    chosen = months or SERVICE_MONTHS
    unknown = sorted(set(chosen) - set(SERVICE_MONTHS))
    if unknown:
        raise ValueError(f"months outside {SERVICE_MONTHS[0]}–{SERVICE_MONTHS[-1]}: {unknown}")
    offsets = pl.Series([SERVICE_MONTHS.index(m) for m in chosen], dtype=pl.Int32)
    lookups = _lookups(seed, facility_codes, residence_codes)
    patients = _patients(max(50, rows // 24), seed, lookups)

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with tmp.open("wb") as fh:
        fh.write((",".join(CANONICAL_HEADER) + "\r\n").encode(encoding))
        for chunk, start in enumerate(range(0, rows, _CHUNK_ROWS)):
            n = min(_CHUNK_ROWS, rows - start)
            frame = _lines(n, seed, chunk, patients, lookups, offsets)
            buffer = io.BytesIO()
            frame.write_csv(
                buffer, include_header=False, line_terminator="\r\n", quote_style="never"
            )
            data = buffer.getvalue()
            # polars writes UTF-8; only the CP932 file needs a transcode (of a bounded chunk).
            fh.write(data if encoding.startswith("utf-8") else data.decode().encode(encoding))
    tmp.replace(out)
    return out


# -- lookup tables -----------------------------------------------------------------------------
def _lookups(
    seed: int, facility_codes: list[str] | None, residence_codes: list[str] | None
) -> _Lookups:
    munis = municipalities()
    population = load_table("population.csv").select("code5", "age75p")
    if residence_codes:
        wanted = {c.strip()[:5] for c in residence_codes}
        places = munis.filter(pl.col("code5").is_in(wanted))
    else:
        places = munis.filter(
            pl.col("pref_code").is_in(_PREFS) & pl.col("kind").is_in(["市", "町", "村", "政令市"])
        )
    if places.is_empty():
        raise ValueError("no known municipality among residence_codes")
    places = (
        places.join(population, on="code5", how="left")
        .with_columns(weight=pl.col("age75p").cast(pl.Float64).fill_null(1.0).clip(1.0))
        .sort("code5")
    )
    picked = _weighted(places.select("code6", "name", "pref_code").rows(), places["weight"])
    residence_code6, residence_name, residence_pref = (
        pl.Series(col) for col in zip(*picked, strict=True)
    )

    prefs = sorted(set(places["pref_code"]))
    listed = sorted(set(facility_codes)) if facility_codes else _synthetic_facilities(seed, prefs)
    grouped: list[str] = []
    ranges = []
    for pref in prefs:
        # Residents of a prefecture without listed facilities visit any listed facility.
        own = [code for code in listed if pref_of(code) == pref] or listed
        ranges.append((pref, len(grouped), len(own)))
        grouped.extend(own)

    before, before_inout = _code_table(r6=False)
    after, after_inout = _code_table(r6=True)
    return _Lookups(
        residence_code6=residence_code6,
        residence_name=residence_name,
        residence_pref=residence_pref,
        facilities=pl.Series(grouped),
        facility_ranges=pl.DataFrame(ranges, schema=["pref", "offset", "size"], orient="row").cast(
            {"offset": pl.Int64, "size": pl.Int64}
        ),
        codes_before_r6=before,
        inout_before_r6=before_inout,
        codes_from_r6=after,
        inout_from_r6=after_inout,
    )


def _weighted(items: list[tuple[str, ...]], weights: pl.Series) -> list[tuple[str, ...]]:
    """Repeat each item by its weight so that a uniform index into the result is a weighted draw."""
    total = float(weights.sum())
    table: list[tuple[str, ...]] = []
    for item, weight in zip(items, weights.to_list(), strict=True):
        table.extend([item] * max(1, round(weight / total * _SLOTS)))
    return table


def _synthetic_facilities(seed: int, prefs: list[str]) -> list[str]:
    """120 clinics/hospitals per prefecture: 都道府県コード + 点数表 1 (医科) + a 7-digit number."""
    rng = random.Random(f"facilities-{seed}")
    codes: set[str] = set()
    for pref in prefs:
        while len([c for c in codes if pref_of(c) == pref]) < 120:
            codes.add(f"{pref}1{rng.randrange(10**7):07d}")
    return sorted(codes)


def _code_table(*, r6: bool) -> tuple[pl.Series, pl.Series]:
    """Weighted 診療行為コード and their 入外区分 for one fee-revision period."""
    codes = claim_codes()
    # The R6 master (2024-05-31) lists the codes of 2024-06 on; the 2022 master and NDB FY2022
    # those of the earlier period.
    in_period = (
        pl.col("seen_in").str.contains("master2024")
        if r6
        else pl.col("seen_in").str.contains("master2022|NDB-FY2022")
    )
    usable = codes.filter(in_period & pl.col("indicator").is_in(list(_INDICATOR_WEIGHTS)))
    items: list[tuple[str, ...]] = []
    weights: list[float] = []
    for indicator, share in _INDICATOR_WEIGHTS.items():
        members = sorted(usable.filter(pl.col("indicator") == indicator)["code"].to_list())
        inout = "1" if indicator in _INPATIENT_INDICATORS else "2"
        for code in members:
            items.append((code, inout))
            weights.append(share / len(members))
    for code, share in _OTHER_CODES.items():
        items.append((code, "2"))
        weights.append(share)
    table = _weighted(items, pl.Series(weights))
    code_col, inout_col = zip(*table, strict=True)
    return pl.Series(code_col), pl.Series(inout_col)


# -- patients and lines ------------------------------------------------------------------------
def _uniform(n: int, seed: int, stream: str) -> pl.Series:
    """n seeded uniforms in [0, 1); each (seed, stream) pair is its own reproducible sequence."""
    initializer = random.Random(f"{seed}-{stream}").getrandbits(63)
    return pl.from_arrow(pc.random(n, initializer=initializer))  # type: ignore[return-value]


def _pick(series: pl.Series, u: pl.Series) -> pl.Series:
    index = (u * series.len()).floor().cast(pl.Int64).clip(0, series.len() - 1)
    return series.gather(index)


def _patients(count: int, seed: int, lookups: _Lookups) -> pl.DataFrame:
    """One row per patient: a stable person key, sex, age at 2023-04, residence, home facility."""
    residence = (_uniform(count, seed, "residence") * lookups.residence_code6.len()).floor()
    residence = residence.cast(pl.Int64)
    old = _uniform(count, seed, "old") < 0.85
    u_age = _uniform(count, seed, "age")
    frame = pl.DataFrame(
        {
            "patient": pl.int_range(count, eager=True),
            "code6": lookups.residence_code6.gather(residence),
            "name": lookups.residence_name.gather(residence),
            "pref": lookups.residence_pref.gather(residence),
            "old": old,
            "u_age": u_age,
            "u_sex": _uniform(count, seed, "sex"),
            "u_facility": _uniform(count, seed, "facility"),
            "birth_offset": (_uniform(count, seed, "birthday") * 12).floor().cast(pl.Int32),
        }
    )
    frame = frame.with_columns(
        # 75+ skewed toward the younger old; the rest are 国保 members of 40–74.
        age0=pl.when(pl.col("old"))
        .then(75 + (pl.col("u_age").pow(1.6) * 26).floor())
        .otherwise(40 + (pl.col("u_age") * 35).floor())
        .cast(pl.Int32),
        sex=pl.when(pl.col("u_sex") < 0.6).then(pl.lit("2")).otherwise(pl.lit("1")),
        # A bijection of the patient number onto 10 digits: distinct patients, distinct keys.
        person_id=((pl.col("patient") * 2_654_435_761 + 7_919 * (seed + 1)) % 10**10)
        .cast(pl.String)
        .str.zfill(10),
    )
    # 後期高齢者 (75+) are insured by the prefecture's 広域連合 (8 digits, 39…), the others by
    # their municipality's 国保 (6 digits); both numbers are synthetic.
    frame = frame.with_columns(
        insurer=pl.when(pl.col("old"))
        .then(pl.format("39{}0000", pl.col("pref")))
        .otherwise(pl.col("code6").str.slice(0, 5) + "0")
    )
    frame = frame.with_columns(home_facility=_facility(frame, "u_facility", lookups))
    return frame.select(
        "person_id",
        "insurer",
        "sex",
        "age0",
        "birth_offset",
        "code6",
        "name",
        "pref",
        "home_facility",
    )


def _facility(frame: pl.DataFrame, uniform: str, lookups: _Lookups) -> pl.Series:
    """A facility of the row's prefecture, drawn by the uniform column `uniform`."""
    placed = frame.select("pref", uniform).join(
        lookups.facility_ranges, on="pref", how="left", maintain_order="left"
    )
    index = placed["offset"] + (placed[uniform] * placed["size"]).floor().cast(pl.Int64)
    return lookups.facilities.gather(index)


def _lines(
    n: int, seed: int, chunk: int, patients: pl.DataFrame, lookups: _Lookups, offsets: pl.Series
) -> pl.DataFrame:
    """n claim lines; `offsets` are the months to draw from, as indexes into SERVICE_MONTHS."""
    stream = f"chunk{chunk}"
    # Squaring the uniform makes a minority of patients heavy users, as in real claims.
    who = (_uniform(n, seed, stream + "who").pow(2) * patients.height).floor().cast(pl.Int64)
    drawn = (_uniform(n, seed, stream + "month") * len(offsets)).floor().cast(pl.Int64)
    month = offsets.gather(drawn)
    u_code = _uniform(n, seed, stream + "code")
    u_times = _uniform(n, seed, stream + "times")
    u_away = _uniform(n, seed, stream + "away")
    u_other = _uniform(n, seed, stream + "other")

    lines = patients[who].with_columns(month=month, u_code=u_code, u_away=u_away, u_other=u_other)
    r6 = lines["month"] >= _R6_MONTH_INDEX
    before_index = (u_code * lookups.codes_before_r6.len()).floor().cast(pl.Int64)
    after_index = (u_code * lookups.codes_from_r6.len()).floor().cast(pl.Int64)
    code = pl.select(
        pl.when(r6)
        .then(lookups.codes_from_r6.gather(after_index))
        .otherwise(lookups.codes_before_r6.gather(before_index))
    ).to_series()
    inout = pl.select(
        pl.when(r6)
        .then(lookups.inout_from_r6.gather(after_index))
        .otherwise(lookups.inout_before_r6.gather(before_index))
    ).to_series()
    # One line in ten is billed by another facility of the patient's prefecture.
    other_facility = _facility(lines, "u_other", lookups)
    times = pl.select(
        pl.when(u_times < 0.88)
        .then(1)
        .when(u_times < 0.97)
        .then(2)
        .when(u_times < 0.99)
        .then(3)
        .otherwise(4)
    ).to_series()
    return lines.select(
        pl.col("insurer").alias("保険者番号"),
        pl.col("person_id").alias("被保険者番号"),
        pl.col("sex").alias("性別"),
        # Age at the service month: the patient's birthday falls in month `birth_offset`.
        ((pl.col("age0") * 12 + pl.col("month") + pl.col("birth_offset")) // 12)
        .cast(pl.String)
        .alias("年齢"),
        pl.col("code6").alias("市町村コード"),
        pl.col("name").alias("市町村名"),
        pl.lit(pl.Series(SERVICE_MONTHS)).gather(pl.col("month")).alias("診療年月"),
        pl.lit(inout).alias("入外区分"),
        pl.when(pl.col("u_away") < 0.1)
        .then(pl.lit(other_facility))
        .otherwise(pl.col("home_facility"))
        .alias("医療機関コード"),
        pl.lit(code).alias("診療行為コード"),
        pl.lit(times).cast(pl.String).alias("算定回数"),
    )
