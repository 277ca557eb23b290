"""`zaitaku report` on the bundled sample data: the numbers on the page are the warehouse's,
suppressed cells show '-', the caveats are stated, nothing leaves the page and no person key is
in it. Expected numbers were counted by hand from the raw sample files (see each test)."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from zaitaku_cli.cli import app
from zaitaku_cli.output_metadata import COVERAGE

RAW = Path(__file__).resolve().parents[2] / "data" / "raw"


class _Tables(HTMLParser):
    """Every <table id=…> as rows of cell texts; the page's cards as (label, value)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.cards: dict[str, str] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._card_class: str | None = None
        self._card_label = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self._table = a.get("id") or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "p" and a.get("class") in ("card-label", "card-value", "card-value suppressed"):
            self._card_class = a["class"]
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._table is not None and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "p" and self._card_class is not None and self._cell is not None:
            text = "".join(self._cell).strip()
            if self._card_class == "card-label":
                self._card_label = text
            else:
                self.cards[self._card_label] = text
            self._card_class = None
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def parse(html: str) -> _Tables:
    parser = _Tables()
    parser.feed(html)
    return parser


def row_of(table: list[list[str]], name: str) -> dict[str, str]:
    """The row whose first cell is `name`, keyed by the header (line breaks dropped)."""
    header = table[0]
    for row in table[1:]:
        if row and row[0] == name:
            return dict(zip(header, row, strict=True))
    raise AssertionError(f"no row {name!r} in {[r[0] for r in table]}")


def test_key_figures_are_the_hand_counted_ones(demo_report) -> None:
    # From data/raw/kdb_claims_sample.csv, FY2024 (202404–202503), residence 市町村コード 03…:
    # distinct 被保険者番号 with a houmon_shinryo code = 341, with a mitori code = 19
    # (tests/report: `hand_count` below recounts them from the file).
    cards = parse(demo_report.html).cards
    assert cards["訪問診療を受けた患者"] == f"{hand_count('houmon_shinryo', '03'):,}" == "341"
    assert cards["在宅で看取られた患者"] == str(hand_count("mitori", "03")) == "19"


def test_municipality_cells_equal_the_warehouse(demo_report) -> None:
    table = parse(demo_report.html).tables["municipality-claims"]
    morioka = row_of(table, "盛岡市")
    # 盛岡市 (03201), FY2024: 76 distinct persons, 242 distinct person × facility × month
    assert morioka["訪問診療実患者数"] == str(hand_count("houmon_shinryo", "03201")) == "76"
    assert morioka["訪問診療レセプト件数"] == str(hand_claims("houmon_shinryo", "03201")) == "242"
    # 滝沢市 (03216): 7 persons, within 1–9, so suppressed: '-' and never its value
    assert hand_count("houmon_shinryo", "03216") == 7
    assert row_of(table, "滝沢市")["訪問診療実患者数"] == "-"


def test_summary_and_facility_tables(demo_report) -> None:
    tables = parse(demo_report.html).tables
    # The bureau workbook lists two 医療機関 of 滝沢市 with 支援診３ (0110149, 0110398), both
    # also with 在医総管１.
    takizawa = row_of(tables["municipality-facilities"], "滝沢市")
    assert (takizawa["支援診3"], takizawa["在医総管"]) == ("2", "2")
    # 二次医療圏 盛岡 in the summary: the facility table lists all nine areas of 岩手県
    areas = [r[0] for r in tables["summary-facilities"][1:]]
    assert areas == ["盛岡", "岩手中部", "胆江", "両磐", "気仙", "釜石", "宮古", "久慈", "二戸"]
    assert row_of(tables["summary-claims"], "盛岡")["訪問診療実患者数"] == "122"


def test_every_shown_claims_cell_matches_the_published_output(demo_report) -> None:
    """Every number of the municipality claims table is the claims output's cell, '-' exactly
    where that cell is suppressed (the page never shows more, or less, than the export)."""
    from zaitaku_cli.claims_aggregate import build_claims_by_area
    from zaitaku_cli.warehouse import Warehouse

    with Warehouse(demo_report.warehouse) as wh:
        published = build_claims_by_area(wh, level="municipality").table.to_pylist()
    cells = {
        (r["area_name"], r["indicator"], r["basis"]): r
        for r in published
        if r["period"] == "FY2024" and r["age_group"] == "total" and r["area_code"][:2] == "03"
    }
    table = parse(demo_report.html).tables["municipality-claims"]
    checked = suppressed = 0
    for row in table[1:]:
        if len(row) == 1:
            continue  # a group heading (二次医療圏)
        shown = dict(zip(table[0], row, strict=True))
        if row[0] == "所在地不明（届出名簿に該当なし）":
            # facility basis only: no residence cell exists, so none is shown
            assert shown["訪問診療実患者数"] == ""
            continue
        for header, indicator, unit in (
            ("訪問診療実患者数", "houmon_shinryo", "patients"),
            ("往診実患者数", "oushin", "patients"),
            ("看取り実患者数", "mitori", "patients"),
        ):
            cell = cells[(row[0], indicator, "residence")]
            expected = "-" if cell[f"{unit}_suppressed"] else f"{cell[unit]:,}"
            assert shown[header] == expected, (row[0], header)
            checked += 1
            suppressed += cell[f"{unit}_suppressed"]
    assert checked == 33 * 3 and suppressed > 30


def test_caveat_and_suppression_rule_are_stated(demo_report) -> None:
    html = demo_report.html
    assert COVERAGE in html
    assert (
        "被用者保険（協会けんぽ・健保組合・共済）と医療扶助（生活保護）の患者は含まれません" in html
    )
    assert "1〜9 のセルは「-」" in html and "二次秘匿" in html
    assert '<html lang="ja">' in html


def test_page_is_self_contained(demo_report) -> None:
    html = demo_report.html
    assert "<script" not in html and "<link" not in html and "<img" not in html
    assert "@import" not in html and "@font-face" not in html
    # the only references are to fragments of the page itself (#id)
    refs = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert refs and all(r.startswith("#") for r in refs), [r for r in refs if r[:1] != "#"]
    assert set(re.findall(r"url\(([^)]*)\)", html)) <= {
        m for m in re.findall(r"url\((#[^)]*)\)", html)
    }
    assert "http://" not in html.replace("http://www.w3.org/", "")
    assert "https://" not in html


def test_no_person_key_on_the_page(demo_report) -> None:
    raw_keys = {row["被保険者番号"] for row in _sample_rows()}
    assert len(raw_keys) == 833  # distinct 被保険者番号 of the sample
    html = demo_report.html
    assert not [k for k in raw_keys if k in html]
    con = duckdb.connect(str(demo_report.warehouse), read_only=True)
    try:
        hashed = [r[0] for r in con.execute("select person_key from persons").fetchall()]
    finally:
        con.close()
    assert hashed and not [k for k in hashed if str(k) in html]


def test_sections_that_need_issue_8_say_so_or_are_shown(demo_report) -> None:
    """Rates, projection and supply plug in when their builders exist; until then the page
    says 'not available' for each, and the JSON summary lists why."""
    summary = json.loads(demo_report.json_summary)
    by_id = {s["id"]: s for s in summary["sections"]}
    for section, module, chart in (
        ("rates", "zaitaku_cli.rates", "houmon-rate-by-municipality"),
        ("projection", "zaitaku_cli.projection", "projection-by-area"),
        ("supply", "zaitaku_cli.supply", None),
    ):
        if importlib.util.find_spec(module) is None:
            reason = by_id[section]["not_available"]
            assert f"{module}." in reason
            assert f"not available: {reason}" in _unescape(demo_report.html)
        else:
            assert by_id[section]["not_available"] is None, by_id[section]
            if chart:
                assert chart in by_id[section]["charts"]
    assert by_id["municipalities"]["charts"] == [
        "facilities-by-municipality",
        "houmon-patients-by-municipality",
    ]


def test_pngs_for_slides(demo_report) -> None:
    summary = json.loads(demo_report.json_summary)
    charts = [c for s in summary["sections"] for c in s["charts"]]
    pngs = sorted(Path(p) for p in summary["pngs"])
    assert sorted(p.stem for p in pngs) == sorted(charts)
    assert len(charts) >= 4
    for png in pngs:
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width = int.from_bytes(data[16:20], "big")
        assert width == 1920  # 9.6 in at 200 dpi: sharp on a 1080p slide


def test_report_cli_errors(demo_warehouse: Path, tmp_path: Path, runner: CliRunner) -> None:
    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["report", *args, "-w", str(demo_warehouse)])
        return result.exit_code, " ".join(result.output.split())

    assert run("--pref", "99", "--out", str(tmp_path / "r.html")) == (
        1,
        "Error: --pref '99' is not a 都道府県コード: use 01–47 (e.g. 03)",
    )
    code, output = run("--pref", "13", "--out", str(tmp_path / "r.html"))
    assert code == 1
    assert output == (
        f"Error: the warehouse {demo_warehouse} holds no facility list, count table or claims "
        "of 東京都 (13): ingest them first (`zaitaku ingest facilities …`, `zaitaku ingest "
        "claims …`)"
    )
    assert run("--pref", "03", "--out", str(tmp_path / "r.pdf")) == (
        1,
        f"Error: --out {tmp_path / 'r.pdf'}: the report is an HTML file, name it …/report.html",
    )
    assert not list(tmp_path.iterdir())


def test_report_refuses_a_missing_warehouse(tmp_path: Path, runner: CliRunner) -> None:
    missing = tmp_path / "nowhere.duckdb"
    result = runner.invoke(app, ["report", "--pref", "03", "-w", str(missing)])
    assert result.exit_code == 1
    assert "no warehouse at" in result.output
    assert not missing.exists()


# -- hand counts from the raw sample file --------------------------------------------------------

_FY2024 = {f"2024{m:02d}" for m in range(4, 13)} | {f"2025{m:02d}" for m in range(1, 4)}


def _sample_rows() -> list[dict[str, str]]:
    text = (RAW / "kdb_claims_sample.csv").read_text(encoding="cp932")
    return list(csv.DictReader(io.StringIO(text)))


def _codes(indicator: str) -> set[str]:
    from zaitaku_cli.reference import DATA_DIR

    with (DATA_DIR / "claim_codes.csv").open(encoding="utf-8") as fh:
        return {r["code"] for r in csv.DictReader(fh) if r["indicator"] == indicator}


def _lines(indicator: str, residence_prefix: str) -> list[dict[str, str]]:
    codes = _codes(indicator)
    return [
        r
        for r in _sample_rows()
        if r["診療年月"] in _FY2024
        and r["診療行為コード"] in codes
        and r["市町村コード"].startswith(residence_prefix)
    ]


def hand_count(indicator: str, residence_prefix: str) -> int:
    """Distinct persons (実患者数) of the indicator in FY2024 living in the given area."""
    return len({r["被保険者番号"] for r in _lines(indicator, residence_prefix)})


def hand_claims(indicator: str, residence_prefix: str) -> int:
    """Distinct person × facility × month (レセプト件数)."""
    return len(
        {
            (r["被保険者番号"], r["医療機関コード"], r["診療年月"])
            for r in _lines(indicator, residence_prefix)
        }
    )


def _unescape(html: str) -> str:
    import html as html_lib

    return html_lib.unescape(html)


@pytest.fixture(autouse=True)
def _no_env_warehouse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZAITAKU_WAREHOUSE", raising=False)


# -- sections fed by issue 8's builders: tested here as soon as those modules exist ---------------


def _reference_rows(file_name: str) -> list[dict[str, str]]:
    from zaitaku_cli.reference import DATA_DIR

    with (DATA_DIR / file_name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_rates_section_when_rates_exist(demo_report) -> None:
    pytest.importorskip("zaitaku_cli.rates", reason="rates_by_<level> (issue 8 §2) not merged yet")
    table = parse(demo_report.html).tables["municipality-rates"]
    morioka = row_of(table, "盛岡市")
    # 76 patients (hand count) over the 住基 2025-01-01 population aged 75+ of 盛岡市
    age75p = next(
        int(r["age75p"]) for r in _reference_rows("population.csv") if r["code5"] == "03201"
    )
    assert morioka["実患者数"] == "76"
    assert morioka["75 歳以上人口"] == f"{age75p:,}"
    assert morioka["1,000 人当たり"] == f"{76 / age75p * 1000:.1f}"
    assert row_of(table, "滝沢市")["1,000 人当たり"] == "-"  # 7 patients: suppressed


def _morioka_75plus() -> tuple[set[str], int, dict[str, int]]:
    """盛岡 (0301): its municipalities, the 75+ patients of FY2024 living there (hand count)
    and its 社人研 population aged 75+ of 2025 and 2030."""
    members = {
        r["code5"]
        for r in _reference_rows("secondary_areas.csv")
        if r["plan"] == "8th" and r["area_code"] == "0301"
    }
    base = len(
        {
            r["被保険者番号"]
            for r in _lines("houmon_shinryo", "03")
            if r["市町村コード"][:5] in members and int(r["年齢"]) >= 75
        }
    )
    pop = {
        year: sum(
            int(r["age75p"])
            for r in _reference_rows("population_projection.csv")
            if r["code5"] in members and r["year"] == year
        )
        for year in ("2025", "2030")
    }
    return members, base, pop


def test_projection_section_when_projection_exists(demo_report) -> None:
    pytest.importorskip(
        "zaitaku_cli.projection", reason="zaitaku project (issue 8 §3) not merged yet"
    )
    table = parse(demo_report.html).tables["projection-table"]
    assert [r[0] for r in table[1:]] == [
        "盛岡", "岩手中部", "胆江", "両磐", "気仙", "釜石", "宮古", "久慈", "二戸",
    ]  # fmt: skip
    # 盛岡 (0301), 75+: base patients FY2024 aged 75+ living in its 8 municipalities, over their
    # 社人研 population 75+ of 2025, times that of 2030.
    _members, base, pop = _morioka_75plus()
    expected = base / pop["2025"] * pop["2030"]
    assert row_of(table, "盛岡")["203075 歳以上"] == f"{round(expected):,}"
    assert row_of(table, "盛岡")["2030総数"] == "-"  # an under-75 base cell is suppressed
    assert "基準" in demo_report.html and "projection-by-area" in demo_report.html


def test_supply_section_when_supply_exists(demo_report) -> None:
    pytest.importorskip("zaitaku_cli.supply", reason="zaitaku supply (issue 8 §4) not merged yet")
    table = parse(demo_report.html).tables["supply-table"]
    assert table[0] == [
        "二次医療圏",
        "在支診",
        "在支病",
        "訪問診療を算定した医療機関FY2024",
        "訪問診療の患者数FY2024",
        "75歳以上の見込み2030",
        "1 施設当たり2030",
        "75歳以上の見込み2040",
        "1 施設当たり2040",
        "実施可能件数（調査）",
        "連携拠点のない市町村",
    ]
    morioka = row_of(table, "盛岡")
    # the projection's hand count (75+ patients of FY2024 living in the area, over the area's
    # 75+ of 2025, times 2030's); 16 facilities of the area billed 訪問診療 in FY2024
    members, base, pop = _morioka_75plus()
    lines = [r for r in _lines("houmon_shinryo", "03") if r["市町村コード"][:5] in members]
    expected = base / pop["2025"] * pop["2030"]
    assert morioka["訪問診療の患者数FY2024"] == str(len({r["被保険者番号"] for r in lines}))
    assert morioka["訪問診療を算定した医療機関FY2024"] == "16"
    assert morioka["75歳以上の見込み2030"] == f"{round(expected):,}"
    assert morioka["1 施設当たり2030"] == f"{expected / 16:.1f}"
    # no survey and no hub list in this warehouse: blank, not 0
    assert (morioka["実施可能件数（調査）"], morioka["連携拠点のない市町村"]) == ("", "")
    assert row_of(table, "二戸")["75歳以上の見込み2030"] == "-"  # its 75+ base cell is suppressed
