"""Address and name → municipality: the cases that defeat naive parsing (domain.md §2).

Every expected code5 below was looked up in reference/data/municipalities.csv (grep on
`,<name>,` and the pref_code column), not written from memory.
"""

from __future__ import annotations

import polars as pl
import pytest

from zaitaku_cli.geo import candidate_names, normalize_address, resolve_addresses, resolve_names

ADDRESS_CASES = [
    # (pref_code, address, expected code5, expected matched_name)
    ("24", "四日市市諏訪町１番５号", "24202", "四日市市"),  # 市 inside the name
    ("12", "市川市八幡２－１－１", "12203", "市川市"),  # starts with 市
    ("12", "市原市国分寺台中央１丁目", "12219", "市原市"),
    ("20", "大町市大町１１２９", "20212", "大町市"),  # 長野県大町市
    ("41", "杵島郡大町町大字大町５０１７", "41423", "杵島郡大町町"),  # 佐賀県大町町
    ("41", "大町町大字福母", "41423", "大町町"),
    ("15", "十日町市千歳町３丁目", "15210", "十日町市"),
    ("17", "野々市市三納１丁目", "17212", "野々市市"),
    ("01", "余市郡余市町朝日町２６", "01408", "余市郡余市町"),  # 市 inside a 郡 name
    ("01", "余市町黒川町１９", "01408", "余市町"),
    ("13", "府中市宮西町２－２４", "13206", "府中市"),  # 東京都府中市
    ("34", "府中市府川町３１５", "34208", "府中市"),  # 広島県府中市
    ("34", "安芸郡府中町大通３丁目", "34302", "安芸郡府中町"),
    ("34", "府中町大通３丁目", "34302", "府中町"),
    ("04", "仙台市青葉区国分町３－７－１", "04101", "仙台市青葉区"),
    ("22", "浜松市中央区元城町１０３－２", "22138", "浜松市中央区"),  # current ward (2024-)
    ("22", "浜松市中区元城町１０３－２", "22131", "浜松市中区"),  # abolished ward, old address
    ("22", "浜松市天竜区二俣町", "22140", "浜松市天竜区"),  # old and new share the name: current
    ("03", "岩手県盛岡市内丸１０－１", "03201", "盛岡市"),  # prefecture prefix
    ("26", "京都府京都市下京区烏丸通七条下る", "26106", "京都市下京区"),  # 京都府 stripped
    ("26", "京都市下京区烏丸通七条下る", "26106", "京都市下京区"),  # 京都 of 京都市 kept
    ("03", "盛岡市中央通１ー２ー３", "03201", "盛岡市"),  # katakana ー as a hyphen
    ("03", "盛岡市大通３丁目２　ＡＢＣビル４階", "03201", "盛岡市"),  # building after a space
    ("03", "紫波郡矢巾町大字西徳田第８地割１２３番地", "03322", "紫波郡矢巾町"),  # 第８地割
    ("03", "矢巾町大字藤沢第５地割", "03322", "矢巾町"),
    ("15", "村上市田端町", "15212", "村上市"),  # 村 at the start
    ("42", "大村市久原２丁目", "42205", "大村市"),  # 村 inside a 市 name
    ("01", "古宇郡泊村大字茅沼村", "01403", "古宇郡泊村"),  # not the 北方領土 国後郡泊村
    ("01", "泊村大字茅沼村", "01403", "泊村"),
    ("14", "茅ケ崎市茅ケ崎１－１－１", "14207", "茅ヶ崎市"),  # ケ for the official ヶ
    ("02", "西津軽郡鯵ヶ沢町本町", "02321", "西津軽郡鰺ヶ沢町"),  # 鯵 for the official 鰺
    ("04", "青葉区本町", "04101", "仙台市青葉区"),  # ward short name, unique in 宮城県
    ("04", "仙台市役所", "04100", "仙台市"),  # 政令市 without a ward → city code
]


@pytest.mark.parametrize(("pref", "address", "code5", "matched"), ADDRESS_CASES)
def test_resolve_address(pref: str, address: str, code5: str, matched: str) -> None:
    frame = pl.DataFrame({"pref_code": [pref], "address": [address]})
    out = resolve_addresses(frame).row(0, named=True)
    assert (out["code5"], out["matched_name"], out["geo_reason"]) == (code5, matched, None)


@pytest.mark.parametrize(
    ("pref", "address", "reason"),
    [
        # 仙台市 is in 宮城県, not 岩手県: scoped by prefecture, never matched across.
        (
            "03",
            "仙台市青葉区国分町",
            "no municipality of 岩手県 (03) matches the start of the address",
        ),
        ("03", "宮城県仙台市青葉区", "the address starts with 宮城県, not 岩手県 (03)"),
        ("03", "", "empty address"),
        ("03", "　", "empty address"),
        ("03", None, "empty address"),
        (None, "盛岡市内丸", "no prefecture code"),
        ("48", "盛岡市内丸", "unknown prefecture code 48"),
        # 横浜市緑区 (14113) and 相模原市緑区 (14151): a bare short name cannot choose.
        ("14", "緑区中山町", "ambiguous: 緑区 matches 2 municipalities (14113, 14151)"),
    ],
)
def test_unresolved_address_has_reason(pref: str | None, address: str | None, reason: str) -> None:
    frame = pl.DataFrame(
        {"pref_code": [pref], "address": [address]},
        schema={"pref_code": pl.Utf8, "address": pl.Utf8},
    )
    out = resolve_addresses(frame).row(0, named=True)
    assert (out["code5"], out["geo_reason"]) == (None, reason)


def test_resolve_keeps_rows_columns_and_order() -> None:
    frame = pl.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "pref": ["34", "13", "34", "03"],
            "addr": ["府中市府川町", "府中市宮西町", "", "盛岡市内丸"],
        }
    )
    out = resolve_addresses(frame, pref_col="pref", address_col="addr")
    assert out.columns == ["id", "pref", "addr", "code5", "matched_name", "geo_reason"]
    assert out["id"].to_list() == [1, 2, 3, 4]
    assert out["code5"].to_list() == ["34208", "13206", None, "03201"]


def test_integer_prefecture_codes_are_zero_padded() -> None:
    out = resolve_addresses(pl.DataFrame({"pref_code": [3], "address": ["盛岡市内丸"]}))
    assert out["code5"].to_list() == ["03201"]


def test_every_unambiguous_name_resolves_to_itself_as_an_address_start() -> None:
    # 3,000 official keys, each followed by a plausible rest of address: none may be captured
    # by a shorter or a longer name.
    keys = candidate_names().filter(pl.col("n_codes") == 1)
    frame = keys.select("pref_code", address=pl.col("key") + "大字本町１ー２")
    out = resolve_addresses(frame)
    assert out["code5"].to_list() == keys["code5"].to_list()


def test_folding_merges_no_two_official_names() -> None:
    # The only ambiguous keys are ward short names shared by two 政令市 of one prefecture;
    # a ヶ/ケ or kanji fold that merged two real names would show up here.
    ambiguous = candidate_names().filter(pl.col("n_codes") > 1)
    assert sorted(zip(ambiguous["pref_code"], ambiguous["key"], strict=True)) == [
        ("14", "南区"),
        ("14", "緑区"),
        ("27", "北区"),
        ("27", "西区"),
    ]


@pytest.mark.parametrize(
    ("pref", "name", "code5"),
    [
        ("03", "盛岡市", "03201"),
        ("03", "紫波郡矢巾町", "03322"),
        ("03", "矢巾町", "03322"),
        ("03", "盛 岡 市", "03201"),  # PDFs space out short names
        ("04", "仙台市青葉区", "04101"),
        ("04", "仙台市", "04100"),
        ("04", "青葉区", "04101"),
        ("01", "泊村", "01403"),
        ("03", "岩手県八幡平市", "03214"),
    ],
)
def test_resolve_names(pref: str, name: str, code5: str) -> None:
    out = resolve_names(pl.DataFrame({"pref_code": [pref], "name": [name]}), name_col="name")
    assert (out["code5"].item(), out["geo_reason"].item()) == (code5, None)


def test_resolve_names_is_exact_not_prefix() -> None:
    frame = pl.DataFrame({"pref_code": ["03", "03"], "name": ["盛岡", "盛岡市内丸"]})
    out = resolve_names(frame, name_col="name")
    assert out["code5"].to_list() == [None, None]
    assert out["geo_reason"].to_list() == [
        "no municipality of 岩手県 (03) is named 盛岡",
        "no municipality of 岩手県 (03) is named 盛岡市内丸",
    ]


@pytest.mark.parametrize(
    ("text", "pref", "expected"),
    [
        ("岩手県紫波郡矢巾町第８地割１２３ー４　ABCビル", "03", "紫波郡矢巾町第8地割123-4ABCビル"),
        ("京都府京都市下京区", "26", "京都市下京区"),
        ("京都市下京区", "26", "京都市下京区"),
        ("京都府京都市下京区", None, "京都府京都市下京区"),
        ("ｹﾞﾝｷ　茅ヶ崎市", None, "ゲンキ茅ケ崎市"),
        ("１－２‐３−４", None, "1-2-3-4"),
        ("ビルー", None, "ビルー"),  # ー after a letter is a vowel mark, not a hyphen
    ],
)
def test_normalize_address(text: str, pref: str | None, expected: str) -> None:
    assert normalize_address(text, pref) == expected
