"""Facilities per area from hand-made notifications: tiers, withdrawals, roll-ups, snapshots."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from factories.facility_rows import add_ingest, add_notification
from zaitaku_cli.aggregate import aggregate, build_facilities_by_area
from zaitaku_cli.errors import SnapshotNotFound
from zaitaku_cli.warehouse import Warehouse

OCT = date(2025, 10, 1)


def facilities(wh: Warehouse, level: str, **kw: object) -> dict[tuple[str, str], int]:
    frame = pl.from_arrow(build_facilities_by_area(wh, level=level, **kw))  # type: ignore[arg-type]
    assert isinstance(frame, pl.DataFrame)
    return {(r["area_code"], r["category"]): r["facilities"] for r in frame.iter_rows(named=True)}


@pytest.fixture
def sendai_morioka(warehouse: Warehouse) -> Warehouse:
    """Four facilities: two in 仙台市 (two wards), one in 盛岡市, one in 矢巾町.

    - 0000001 仙台市青葉区 (04101): 支援診１ and 支援診３ at once (two tiers) + 在医総管
    - 0000002 仙台市泉区 (04105): 支援診３ + 在医総管, and a withdrawn 在医総管２-like row
    - 0000003 盛岡市 (03201): 支援診３, withdrawn (取り下げ) → not counted
    - 0000004 矢巾町 (03322): 支援病３ + 初診 (not home care)
    """
    i = add_ingest(warehouse, "facilities", "list.xlsx", OCT)
    add_notification(
        warehouse,
        i,
        facility_no="0000001",
        code5="04101",
        label="支援診1",
        category="shienshin_tandoku",
    )
    add_notification(
        warehouse,
        i,
        facility_no="0000001",
        code5="04101",
        label="支援診3",
        category="shienshin_jurai",
    )
    add_notification(
        warehouse, i, facility_no="0000001", code5="04101", label="在医総管1", category="zaiisoukan"
    )
    add_notification(
        warehouse,
        i,
        facility_no="0000002",
        code5="04105",
        label="支援診3",
        category="shienshin_jurai",
    )
    add_notification(
        warehouse, i, facility_no="0000002", code5="04105", label="在医総管1", category="zaiisoukan"
    )
    add_notification(
        warehouse,
        i,
        facility_no="0000003",
        code5="03201",
        label="支援診3",
        category="shienshin_jurai",
        withdrawn=True,
    )
    add_notification(
        warehouse,
        i,
        facility_no="0000004",
        code5="03322",
        label="支援病3",
        category="shienbyo_jurai",
    )
    add_notification(
        warehouse, i, facility_no="0000004", code5="03322", label="初診", category=None
    )
    return warehouse


def test_two_tiers_count_once_at_the_highest(sendai_morioka: Warehouse) -> None:
    got = facilities(sendai_morioka, "ward")
    # 0000001 holds 支援診１ and 支援診３: counted as 単独型 only.
    assert got[("04101", "shienshin_tandoku")] == 1
    assert got[("04101", "shienshin_jurai")] == 0
    assert got[("04105", "shienshin_jurai")] == 1


def test_municipality_level_merges_wards_of_a_designated_city(sendai_morioka: Warehouse) -> None:
    got = facilities(sendai_morioka, "municipality")
    assert got[("04100", "zaiisoukan")] == 2  # both 仙台 facilities, wards merged
    assert got[("04100", "shienshin_jurai")] == 1
    assert ("04101", "zaiisoukan") not in got  # no ward rows at municipality level


def test_withdrawn_and_non_home_care_rows_do_not_count(sendai_morioka: Warehouse) -> None:
    got = facilities(sendai_morioka, "municipality")
    assert got[("03201", "shienshin_jurai")] == 0  # 取り下げ
    assert got[("03322", "shienbyo_jurai")] == 1
    assert not any(cat is None for _, cat in got)


def test_secondary_area_and_prefecture_roll_up(sendai_morioka: Warehouse) -> None:
    areas = facilities(sendai_morioka, "secondary-area")
    assert areas[("0403", "zaiisoukan")] == 2  # 仙台 area
    assert areas[("0301", "shienbyo_jurai")] == 1  # 盛岡 area holds 矢巾町
    assert areas[("0302", "shienbyo_jurai")] == 0  # 岩手中部: listed with zero
    prefs = facilities(sendai_morioka, "prefecture")
    assert prefs[("04", "shienshin_tandoku")] == 1
    assert prefs[("03", "shienshin_jurai")] == 0


def test_every_area_of_a_covered_prefecture_is_listed(sendai_morioka: Warehouse) -> None:
    areas = {code for code, _ in facilities(sendai_morioka, "secondary-area")}
    # 岩手 has 9 areas, 宮城 4 (domain.md §5 / PROVENANCE): all listed, zeros included.
    assert len(areas) == 13


def test_latest_snapshot_by_default_and_as_of_selects(sendai_morioka: Warehouse) -> None:
    nov = date(2025, 11, 1)
    j = add_ingest(sendai_morioka, "facilities", "list-11.xlsx", nov)
    add_notification(
        sendai_morioka,
        j,
        facility_no="0000009",
        code5="04101",
        label="支援診1",
        category="shienshin_tandoku",
        as_of=nov,
    )
    latest = facilities(sendai_morioka, "municipality")
    assert latest[("04100", "shienshin_tandoku")] == 1  # only 0000009 in November
    assert latest[("04100", "zaiisoukan")] == 0
    october = facilities(sendai_morioka, "municipality", as_of=OCT)
    assert october[("04100", "zaiisoukan")] == 2


def test_aggregate_writes_parquet_csv_and_manifest(
    sendai_morioka: Warehouse, tmp_path: Path
) -> None:
    result = aggregate(sendai_morioka, level="secondary-area", out_dir=tmp_path)
    folder = tmp_path / "secondary_area"
    assert result.folder == folder
    names = sorted(p.name for p in result.outputs)
    # population and rates come with every set (the population of the prefectures covered)
    assert names == [
        f"{kind}_by_secondary_area.{ext}"
        for kind in ("facilities", "population", "rates")
        for ext in ("csv", "parquet")
    ]
    assert result.manifest == folder / "manifest_secondary_area.json"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [*names, "manifest_secondary_area.json"]
    )
    table = pq.read_table(folder / "facilities_by_secondary_area.parquet")
    assert {"as_of", "area_code", "area_name", "category", "facilities", "source"} <= set(
        table.column_names
    )
    raw = (folder / "facilities_by_secondary_area.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Japanese Excel detects UTF-8
    assert "仙台" in raw.decode("utf-8-sig")


def test_unknown_as_of_names_the_available_dates(sendai_morioka: Warehouse, tmp_path: Path) -> None:
    with pytest.raises(SnapshotNotFound) as err:
        aggregate(sendai_morioka, level="municipality", out_dir=tmp_path, as_of=date(2024, 1, 1))
    assert "available: 2025-10-01" in str(err.value)


def test_empty_warehouse_says_what_to_do(warehouse: Warehouse, tmp_path: Path) -> None:
    with pytest.raises(SnapshotNotFound, match="run `zaitaku ingest"):
        aggregate(warehouse, level="municipality", out_dir=tmp_path)


def test_7th_plan_akita_areas_without_official_code_still_count(warehouse: Warehouse) -> None:
    # 能代市 (05202) lies in 能代・山本 (7th plan, 8 Akita areas, codes unknown: keyed
    # '05-<name>') and in 県北 0501 (8th plan).
    i = add_ingest(warehouse, "facilities", "akita.xlsx", OCT)
    add_notification(
        warehouse,
        i,
        facility_no="0000001",
        code5="05202",
        label="支援診3",
        category="shienshin_jurai",
    )
    seventh = facilities(warehouse, "secondary-area", plan="7th")
    assert seventh[("05-能代・山本", "shienshin_jurai")] == 1
    assert len({code for code, _ in seventh}) == 8
    assert facilities(warehouse, "secondary-area", plan="8th")[("0501", "shienshin_jurai")] == 1


def test_ward_level_keeps_facilities_of_a_city_address_without_ward(
    warehouse: Warehouse,
) -> None:
    # An address "仙台市…" with no ward resolves to the city code 04100: at ward level it is its
    # own row (ward unknown), not dropped; at municipality level it joins 仙台市.
    i = add_ingest(warehouse, "facilities", "list.xlsx", OCT)
    add_notification(
        warehouse, i, facility_no="0000001", code5="04100", label="在後病", category="zaigobyo"
    )
    add_notification(
        warehouse, i, facility_no="0000002", code5="04101", label="在後病", category="zaigobyo"
    )
    wards = facilities(warehouse, "ward")
    assert wards[("04100", "zaigobyo")] == 1
    assert wards[("04101", "zaigobyo")] == 1
    assert facilities(warehouse, "municipality")[("04100", "zaigobyo")] == 2


def test_internal_and_other_cuts_never_overwrite_the_public_set(
    sendai_morioka: Warehouse, tmp_path: Path
) -> None:
    # Issue 7 §1.6: --no-suppress, --plan 7th and --as-of wrote the same names as the default.
    public = aggregate(sendai_morioka, level="municipality", out_dir=tmp_path)
    public_bytes = (public.folder / "facilities_by_municipality.csv").read_bytes()
    internal = aggregate(sendai_morioka, level="municipality", out_dir=tmp_path, suppress=False)
    seventh = aggregate(sendai_morioka, level="municipality", out_dir=tmp_path, plan="7th")
    dated = aggregate(sendai_morioka, level="municipality", out_dir=tmp_path, as_of=OCT)
    assert internal.folder == tmp_path / "municipality_internal"
    assert seventh.folder == tmp_path / "municipality_7th"
    assert dated.folder == tmp_path / "municipality_asof20251001"
    assert {p.name for p in internal.outputs} == {
        f"{kind}_by_municipality_internal.{ext}"
        for kind in ("facilities", "population", "rates")
        for ext in ("csv", "parquet")
    }
    assert (public.folder / "facilities_by_municipality.csv").read_bytes() == public_bytes


def test_a_new_set_replaces_the_old_one_as_a_whole(
    sendai_morioka: Warehouse, tmp_path: Path
) -> None:
    first = aggregate(sendai_morioka, level="prefecture", out_dir=tmp_path)
    first_target = first.folder.resolve()
    manifest = json.loads(first.manifest.read_text(encoding="utf-8"))
    # the manifest's hashes are those of the files beside it
    for entry in manifest["outputs"]:
        data = (first.folder / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    second = aggregate(sendai_morioka, level="prefecture", out_dir=tmp_path)
    assert second.folder == first.folder
    assert second.folder.resolve() != first_target  # a new set, switched in one rename
    assert first_target.exists()  # the previous set stays for readers still reading it
    third = aggregate(sendai_morioka, level="prefecture", out_dir=tmp_path)
    assert not first_target.exists()  # only the current and the previous set are kept
    assert third.folder.resolve().exists()


def test_a_failed_run_leaves_the_previous_set_untouched(
    sendai_morioka: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 7 §1.4: interrupted after the facility files, the folder held new facilities, old
    # claims and an old manifest. Now the set is switched only once every file is written.
    first = aggregate(sendai_morioka, level="ward", out_dir=tmp_path)
    before = {p.name: p.read_bytes() for p in first.folder.iterdir()}

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    import zaitaku_cli.output_sets as output_sets

    monkeypatch.setattr(output_sets.OutputSet, "write_json", interrupted)
    with pytest.raises(KeyboardInterrupt):
        aggregate(sendai_morioka, level="ward", out_dir=tmp_path)
    assert {p.name: p.read_bytes() for p in first.folder.iterdir()} == before
    # no staging folder is left behind
    assert [p.name for p in (tmp_path / ".sets" / "ward").iterdir()] == [
        first.folder.resolve().name
    ]


def test_files_of_the_older_flat_layout_are_pointed_out(
    sendai_morioka: Warehouse, tmp_path: Path
) -> None:
    (tmp_path / "facilities_by_prefecture.csv").write_text("old")
    result = aggregate(sendai_morioka, level="prefecture", out_dir=tmp_path)
    assert any("facilities_by_prefecture.csv" in w and "older" in w for w in result.warnings)


def test_export_log_keeps_the_manifest_as_json(sendai_morioka: Warehouse, tmp_path: Path) -> None:
    result = aggregate(sendai_morioka, level="prefecture", out_dir=tmp_path)
    assert result.manifest is not None
    rows = sendai_morioka.fetch_all("select level, manifest from export_log")
    assert len(rows) == 1 and rows[0][0] == "prefecture"
    # read back as it was written: the same document as the manifest file, Japanese unescaped
    assert json.loads(rows[0][1]) == json.loads(result.manifest.read_text(encoding="utf-8"))
    assert "国保・後期高齢者のみ" in rows[0][1]


def test_a_min_facilities_run_has_its_own_set(sendai_morioka: Warehouse, tmp_path: Path) -> None:
    # --min-facilities changes what is hidden: it must not overwrite the default public set.
    result = aggregate(sendai_morioka, level="prefecture", out_dir=tmp_path, min_facilities=3)
    assert result.folder == tmp_path / "prefecture_minfac3"
