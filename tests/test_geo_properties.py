"""Address → municipality, property-based: every municipality is found from the ways its
addresses are written, and no text crashes the resolver.

Addresses are built as bureau lists write them (domain.md §2): with or without the prefecture,
with or without 郡, full-width digits, '－' '‐' 'ー' as hyphens, 番地の３, 第８地割, a building
name after a full-width space. The street part uses only digits and words no municipality
name continues with, so the longest match is the municipality itself.
"""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from zaitaku_cli.geo import resolve_addresses
from zaitaku_cli.reference import municipalities

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

_CURRENT = municipalities().filter(
    (pl.col("status") == "current")
    & (pl.col("kind") != "都道府県")
    & (pl.col("kind") != "政令市")  # a 政令市 address carries its ward (domain.md §2)
    & pl.col("note").fill_null("").str.starts_with("北方領土").not_()
)
PLACES = [
    {
        "code5": r["code5"],
        "pref_code": r["pref_code"],
        "pref_name": r["pref_name"],
        "gun": r["gun_name"] or "",
        "name": r["name"],
        "city": "",
    }
    for r in _CURRENT.iter_rows(named=True)
]
_CITY_NAMES = dict(
    municipalities().filter(pl.col("kind") == "政令市").select("code5", "name").iter_rows()
)
_PARENTS = dict(_CURRENT.select("code5", "parent_code5").iter_rows())
for place in PLACES:
    parent = _PARENTS.get(place["code5"])
    if parent:
        place["city"] = _CITY_NAMES[parent]

STREETS = st.tuples(
    st.sampled_from(["大字", "字", "", "本町", "中央"]),
    st.integers(min_value=1, max_value=40),
    st.sampled_from(["番地", "-", "－", "‐", "ー", "丁目", "地割", "番地の"]),
    st.integers(min_value=1, max_value=999),
    st.sampled_from(["", "　ABCビル3F", "　メディカルプラザ", "ビル"]),
)


def address(place: dict[str, str], street: tuple[object, ...], style: int) -> str:
    prefix, a, sep, b, building = street
    name = place["name"]
    if place["city"] and not name.startswith(place["city"]):
        name = place["city"] + name  # a ward is written with its city
    if style & 1 and place["gun"]:
        name = place["gun"] + name
    text = f"{name}{prefix}{a}{sep}{b}{building}"
    if style & 2:
        text = place["pref_name"] + text
    if style & 4:
        text = text.translate(FULL_WIDTH)
    return text


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PLACES), STREETS, st.integers(min_value=0, max_value=7))
def test_every_municipality_is_found_from_its_addresses(
    place: dict[str, str], street: tuple[object, ...], style: int
) -> None:
    text = address(place, street, style)
    frame = pl.DataFrame({"pref_code": [place["pref_code"]], "address": [text]})
    got = resolve_addresses(frame).row(0, named=True)
    assert got["code5"] == place["code5"], (text, got)
    assert got["geo_reason"] is None


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(max_size=40), min_size=1, max_size=8),
    st.sampled_from(["01", "03", "13", "47", "99", ""]),
)
def test_no_text_crashes_the_resolver(texts: list[str], pref: str) -> None:
    frame = pl.DataFrame({"pref_code": [pref] * len(texts), "address": texts})
    out = resolve_addresses(frame)
    assert out.height == len(texts)
    # every row is either resolved or says why not: nothing disappears silently
    for row in out.iter_rows(named=True):
        assert row["code5"] is not None or row["geo_reason"], row
