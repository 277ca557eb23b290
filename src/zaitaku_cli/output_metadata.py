"""What the outputs say about themselves — the coverage of claims figures, the units that are
suppressed and their flags, the suppression rule in Japanese — written once, for the Parquet
metadata and coverage columns, the workbook's 説明 sheet and the report."""

from __future__ import annotations

__all__ = [
    "CLAIM_UNITS",
    "COVERAGE",
    "COVERAGE_NOTE_JA",
    "REPORT_CHARTS_NOTE_JA",
    "SUPPRESSION_OFF_JA",
    "SUPPRESSION_RULE_JA",
    "SUPPRESS_FLAGS",
]

# KDB holds 国保 and 後期高齢者 claims only (domain.md §4): every claims figure carries this, in a
# `coverage` column and in the Parquet metadata.
COVERAGE = "国保・後期高齢者のみ（KDB）: 被用者保険・医療扶助を含まない"
COVERAGE_NOTE_JA = (
    "レセプト（KDB）由来の数値（実患者数・レセプト件数・算定回数・算定医療機関数）は"
    "国民健康保険と後期高齢者医療の被保険者のみを含みます。"
    "被用者保険（協会けんぽ・健保組合・共済）と医療扶助（生活保護）の患者は含まれません。"
    "75 歳未満は国保加入者のみのため、実際の患者数より少なく表れます。"
)

# The units of claims figures that count persons, and so are suppressed (facilities, which
# counts institutions, is not); value column → its flag column, as export.csv_bytes and the
# workbook take them.
CLAIM_UNITS = ("patients", "claims", "count")
SUPPRESS_FLAGS = {unit: f"{unit}_suppressed" for unit in CLAIM_UNITS}

SUPPRESSION_RULE_JA = (
    "個人が特定されないよう、NDB オープンデータと同じ秘匿ルールを集計後に適用しています。"
    "患者数・レセプト件数・算定回数が 1〜9 のセルは「-」とし（0 は 0 のまま）、"
    "ほかの値から逆算できないよう、必要に応じて 10 以上のセルも「-」にします（二次秘匿）。"
    "医療機関数（届出施設数・実施医療機関数）は個人の情報ではないため秘匿しません。"
)
REPORT_CHARTS_NOTE_JA = (
    "グラフでも秘匿の値は描かず（0 としても描きません）、「秘匿」または灰色の部分で示します。"
)
SUPPRESSION_OFF_JA = "秘匿なし：庁内用です。このまま公表しないでください。"
