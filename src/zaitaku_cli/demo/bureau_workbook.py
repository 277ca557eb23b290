"""A realistic synthetic bureau list (届出受理医療機関名簿, 医科) in the real workbook layout.

For the demo, the tests and the benchmark: facilities placed in real municipalities (weighted by
population), addresses written the way the bureaus print them (no prefecture, full-width digits,
'－' and 'ー' as hyphens, 番地の３, 第８地割, building names after a full-width space, 政令市 with
ward), notifications in realistic proportions (支援診３ ≫ 支援診１, ~97 % of 在支診 also hold
在医総管) labelled as on the list date, plus the quirks an ingest must survive: 備考 duplicate
rows, a 取り下げ, a facility with two 支援診 tiers, 歯科 rows and one mistyped address.
Deterministic for a seed; 200,000 rows take seconds (xlsxwriter constant_memory).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import xlsxwriter

from zaitaku_cli.readers.bureau_list import bureau_columns
from zaitaku_cli.readers.wareki import era_of
from zaitaku_cli.reference import load_table, municipalities

__all__ = ["DEFAULT_ROWS", "HEADERS", "title_for", "write_bureau_workbook"]

DEFAULT_ROWS = 450
# The 24 published columns, in order: the reader's column table is the one source of them.
HEADERS = tuple(c.header for c in bureau_columns())
_COL = {h: i for i, h in enumerate(HEADERS)}

_R6 = date(2024, 6, 1)
_R8 = date(2026, 6, 1)
# 在支診/在支病 tier drawn per facility: none, 単独型 1, 連携型 2, 従来型 3.
_TIERS: list[int | None] = [None, 1, 2, 3]
_ZEN = str.maketrans("0123456789", "０１２３４５６７８９")

# Non-home-care notifications (受理記号, 受理届出名称, share of facilities holding it).
_CLINIC_OTHER = (
    ("明細", "明細書発行体制等加算", 0.80),
    ("外来感染", "外来感染対策向上加算", 0.55),
    ("医療ＤＸ", "医療ＤＸ推進体制整備加算", 0.50),
    ("初診", "機能強化加算", 0.30),
    ("外後発使", "外来後発医薬品使用体制加算", 0.25),
    ("情報通信", "情報通信機器を用いた診療に係る基準", 0.12),
    ("ニコ", "ニコチン依存症管理料", 0.12),
    ("時間外１", "時間外対応加算１", 0.08),
    ("地包加", "地域包括診療加算", 0.06),
    ("がん疼", "がん性疼痛緩和指導管理料", 0.03),
)
_HOSPITAL_OTHER = (
    ("一般入院", "一般病棟入院基本料", 0.85),
    ("療養入院", "療養病棟入院基本料", 0.35),
    ("診療録２", "診療録管理体制加算２", 0.60),
    ("医療安全２", "医療安全対策加算２", 0.55),
    ("感染対策３", "感染対策向上加算３", 0.50),
    ("入退支援", "入退院支援加算", 0.50),
    ("検Ｉ", "検体検査管理加算（Ⅰ）", 0.80),
    ("画像２", "画像診断管理加算２", 0.25),
    ("ＣＴ撮影", "ＣＴ撮影及びＭＲＩ撮影", 0.70),
    ("夜看", "夜間看護体制加算", 0.20),
    ("明細", "明細書発行体制等加算", 0.90),
    ("医療ＤＸ", "医療ＤＸ推進体制整備加算", 0.60),
    ("外来感染", "外来感染対策向上加算", 0.20),
)
_DENTAL = (
    ("歯援診２", "在宅療養支援歯科診療所２"),
    ("か強診", "かかりつけ歯科医機能強化型歯科診療所"),
    ("外安全歯", "歯科外来診療医療安全対策加算１"),
    ("明細", "明細書発行体制等加算"),
)
_NAMES = {
    "支援診": "在宅療養支援診療所",
    "支援病": "在宅療養支援病院",
    "在医総管": "在宅時医学総合管理料及び施設入居時等医学総合管理料",
    "在総": "在宅がん医療総合診療料",
    "在後病": "在宅療養後方支援病院",
    "在緩診実": "在宅緩和ケア充実診療所・病院加算",
    "在充診": "在宅医療充実体制加算",
    "在診実": "在宅療養実績加算",
}


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_SURNAMES = _words(
    "佐藤 高橋 鈴木 伊藤 千葉 菅原 佐々木 阿部 及川 小野寺 菊地 熊谷 遠藤 斎藤 村上 "
    "吉田 渡辺 工藤 藤原 山本 中村 小原 齋藤 後藤 大和田 八重樫 照井 昆 畠山 桜井"
)
_SPECIALTIES = _words(
    "内科 外科 整形外科 小児科 眼科 耳鼻咽喉科 皮膚科 泌尿器科 循環器内科 消化器内科"
)
_TOWNS = _words(
    "中央通 本町 駅前 大通 上野 新町 栄町 旭町 緑町 松園 西町 東町 南町 北町 長町 若葉町 "
    "桜木町 川原町 山王町 向中野 本宮 青山 高松 みたけ 上田 館坂 開運橋通"
)
_KOAZA = _words("向田 下川原 沢口 館 堰根 中島 上野原 柳沢")
_BUILDINGS = _words("メディカルプラザ 駅前ビル クリニックモール セントラルビル 中央ビル")
_HOSPITAL_WORDS = _words("中央 総合 記念 共立 厚生 東 西 南 北 みなみ")
_CORP = _words("仁 恵 清和 慈 愛 翠 博 光 桜 松")


def _zen(n: int | str) -> str:
    return str(n).translate(_ZEN)


def title_for(as_of: date, made: date | None = None) -> str:
    """The title row as printed: '[令和７年１０月１日 現在 ]令和７年１０月２１日作成'."""
    made = made or as_of + timedelta(days=20)

    def wareki(day: date) -> str:
        era, year = era_of(day)
        y = "元" if year == 1 else _zen(year)
        return f"{era.name}{y}年{_zen(day.month)}月{_zen(day.day)}日"

    return f"[{wareki(as_of)} 現在 ]{wareki(made)}作成"


def _start_text(day: date) -> str:
    """算定開始年月日 as printed: half-width digits padded with spaces ('令和 7年 9月 1日')."""
    era, year = era_of(day)
    y = " 元" if year == 1 else f"{year:>2}"
    return f"{era.name}{y}年{day.month:>2}月{day.day:>2}日"


@dataclass(frozen=True)
class _Place:
    pref_code: str
    pref_name: str
    code5: str
    name: str  # official name (仙台市青葉区 for a ward)
    gun_name: str | None
    postal: str  # first three digits of the postal code


def _places(prefectures: Sequence[str]) -> tuple[list[_Place], list[float]]:
    muni = municipalities().filter(
        pl.col("pref_code").is_in(list(prefectures))
        & pl.col("kind").is_in(["市", "町", "村", "区"])
        & (pl.col("status") == "current")
        & ~pl.col("note").fill_null("").str.contains("北方領土")
    )
    if muni.height == 0:
        raise ValueError(f"no municipalities for prefectures {prefectures}")
    pop = load_table("population.csv").select("code5", pl.col("total").cast(pl.Int64))
    muni = muni.join(pop, on="code5", how="left", maintain_order="left").sort("code5")
    places, weights = [], []
    for row in muni.iter_rows(named=True):
        # 〒 prefixes of Tohoku prefectures start 02 (岩手) and 98 (宮城); others get a placeholder.
        head = {"03": "02", "04": "98"}.get(row["pref_code"], "10")
        postal = f"{head}{int(row['code5'][-2:]) % 10}"
        places.append(
            _Place(
                row["pref_code"],
                row["pref_name"],
                row["code5"],
                row["name"],
                row["gun_name"],
                postal,
            )
        )
        weights.append(float(row["total"] or 5000))
    return places, weights


class _Generator:
    def __init__(self, as_of: date, seed: int, prefectures: Sequence[str]) -> None:
        self.as_of = as_of
        self.rng = random.Random(seed)
        self.places, weights = _places(prefectures)
        total = sum(weights)
        self.cum: list[float] = []
        acc = 0.0
        for w in weights:
            acc += w / total
            self.cum.append(acc)
        self.serial: dict[str, int] = {}
        self.juri_no: dict[str, int] = {}
        self.item = 0
        r8, r6 = as_of >= _R8, as_of >= _R6
        self.shienshin2 = ("支援診２ア", "支援診２イ") if r8 else ("支援診２",)
        self.zaiisoukan = "在医総管１" if r6 else "在医総管"
        self.juujitsu = "在充診" if r8 else "在緩診実"
        self.juujitsu_hosp = "在充病" if r8 else "在緩診病"

    # -- pieces ----------------------------------------------------------------------------
    def place(self) -> _Place:
        x = self.rng.random()
        lo, hi = 0, len(self.cum) - 1
        while lo < hi:  # bisect on the cumulative weights
            mid = (lo + hi) // 2
            if self.cum[mid] < x:
                lo = mid + 1
            else:
                hi = mid
        return self.places[lo]

    def facility_no(self, pref: str) -> str:
        n = self.serial.get(pref, 0) + 1
        self.serial[pref] = n
        district, number = divmod(n, 9000)
        body = f"{district + 1:02d}{number + 1000:04d}"
        check = sum(int(d) * (2 - i % 2) for i, d in enumerate(body)) % 10
        return f"{body}{check}"

    def hyphen(self) -> str:
        x = self.rng.random()
        return "－" if x < 0.6 else "ー" if x < 0.85 else "‐"

    def address(self, place: _Place) -> str:
        rng = self.rng
        muni = place.name
        if place.gun_name and rng.random() < 0.10:
            muni = place.gun_name + muni
        if rng.random() < 0.01:
            muni = place.pref_name + muni
        h = self.hyphen()
        rural = place.name.endswith(("町", "村"))
        x = rng.random()
        if place.pref_code == "03" and rural and x < 0.35:
            street = (
                f"大字{rng.choice(_KOAZA)}第{_zen(rng.randint(1, 30))}地割"
                f"{_zen(rng.randint(1, 250))}{h}{_zen(rng.randint(1, 20))}"
            )
        elif rural and x < 0.6:
            street = (
                f"字{rng.choice(_KOAZA)}{_zen(rng.randint(1, 400))}番地の{_zen(rng.randint(1, 9))}"
            )
        else:
            street = (
                f"{rng.choice(_TOWNS)}{_zen(rng.randint(1, 6))}丁目{_zen(rng.randint(1, 30))}"
                f"{h}{_zen(rng.randint(1, 40))}"
            )
        y = rng.random()
        if y < 0.20:
            street += f"　{rng.choice(_BUILDINGS)}{_zen(rng.randint(1, 5))}Ｆ"
        elif y < 0.25:
            street += f"{rng.choice(_BUILDINGS)}"  # glued on, as some lists do
        return muni + street

    def start_date(self) -> date:
        first = date(2006, 4, 1)
        # Recent starts are more frequent (new notifications after each revision).
        span = (self.as_of - first).days
        offset = int(span * (1 - self.rng.random() ** 2))
        return first + timedelta(days=min(offset, span))

    def notification(self, label: str, name: str) -> tuple[str, str, str, str]:
        n = self.juri_no.get(label, 0) + 1
        self.juri_no[label] = n
        return (name, label, f"（{label}）第{_zen(n)}号", _start_text(self.start_date()))

    # -- facilities ------------------------------------------------------------------------
    def home_care_clinic(self, tier: int | None) -> list[tuple[str, str, str, str]]:
        rng = self.rng
        out = []
        if tier is not None:
            label = {1: "支援診１", 2: rng.choice(self.shienshin2), 3: "支援診３"}[tier]
            out.append(self.notification(label, _NAMES["支援診"]))
            if rng.random() < 0.97:
                out.append(self.notification(self.zaiisoukan, _NAMES["在医総管"]))
                if self.as_of >= _R6 and rng.random() < 0.10:
                    out.append(self.notification("在医総管２", _NAMES["在医総管"] + "（注）"))
            if rng.random() < 0.30:
                out.append(self.notification("在総", _NAMES["在総"]))
            if tier <= 2 and rng.random() < 0.25:
                out.append(self.notification(self.juujitsu, _NAMES["在充診"]))
            if tier == 3 and rng.random() < 0.10:
                out.append(self.notification("在診実１", _NAMES["在診実"] + "１"))
        elif rng.random() < 0.10:
            out.append(self.notification(self.zaiisoukan, _NAMES["在医総管"]))
        return out

    def home_care_hospital(self, tier: int | None) -> list[tuple[str, str, str, str]]:
        rng = self.rng
        out = []
        if tier is not None:
            label = {1: "支援病１", 2: "支援病２", 3: "支援病３"}[tier]
            out.append(self.notification(label, _NAMES["支援病"]))
            if rng.random() < 0.97:
                out.append(self.notification(self.zaiisoukan, _NAMES["在医総管"]))
            if tier <= 2 and rng.random() < 0.20:
                out.append(self.notification(self.juujitsu_hosp, _NAMES["在充診"]))
        elif rng.random() < 0.06:
            out.append(self.notification("在後病", _NAMES["在後病"]))
        return out

    def others(self, table: Sequence[tuple[str, str, float]]) -> list[tuple[str, str, str, str]]:
        return [self.notification(k, n) for k, n, p in table if self.rng.random() < p]

    def facility(
        self,
        *,
        hospital: bool,
        dental: bool = False,
        tiers: Sequence[int] = (),
        address: str | None = None,
    ) -> tuple[list[str], list[tuple[str, str, str, str]]]:
        """(facility cells, notifications) of one facility."""
        rng = self.rng
        place = self.place()
        no = self.facility_no(place.pref_code)
        surname = rng.choice(_SURNAMES)
        if dental:
            name = f"{surname}歯科医院"
            notes = [self.notification(k, n) for k, n in _DENTAL if rng.random() < 0.7]
            notes = notes or [self.notification(*_DENTAL[-1])]
        elif hospital:
            word = rng.choice(_HOSPITAL_WORDS)
            base = place.name.removesuffix("市").split("市")[-1].rstrip("区町村")
            name = f"医療法人{rng.choice(_CORP)}会　{base}{word}病院"
            tier = rng.choices(_TIERS, [0.78, 0.03, 0.07, 0.12])[0]
            notes = self.others(_HOSPITAL_OTHER)
            chosen: list[int | None] = list(tiers) if tiers else [tier]
            for t in chosen:
                notes += self.home_care_hospital(t)
        else:
            spec = rng.choice(_SPECIALTIES)
            name = (
                f"{surname}{spec}クリニック"
                if rng.random() < 0.6
                else f"医療法人社団{rng.choice(_CORP)}会　{surname}{spec}医院"
            )
            # ~16 % of clinics are 在支診: 支援診１ 2.6 %, 支援診２ 13 %, 支援診３ 84 % of them.
            tier = rng.choices(_TIERS, [0.84, 0.0042, 0.0208, 0.135])[0]
            notes = self.others(_CLINIC_OTHER)
            notes += self.home_care_clinic(tiers[0] if tiers else tier)
            for t in tiers[1:]:
                # A second 支援診 tier held at once (seen in real lists): only the 支援診 row.
                label = {1: "支援診１", 2: rng.choice(self.shienshin2), 3: "支援診３"}[t]
                notes.append(self.notification(label, _NAMES["支援診"]))
        notes = notes or [self.notification("明細", "明細書発行体制等加算")]
        beds = ""
        if hospital:
            beds = f"一般　　{_zen(rng.randint(40, 400))}"
            if rng.random() < 0.4:
                beds += f"／療養　　{_zen(rng.randint(20, 120))}"
        elif not dental and rng.random() < 0.08:
            beds = f"一般　　{_zen(rng.randint(1, 19))}"
        phone_area = "019" if place.pref_code == "03" else "022"
        cells = [""] * len(HEADERS)
        cells[_COL["都道府県コード"]] = place.pref_code
        cells[_COL["都道府県名"]] = place.pref_name
        cells[_COL["区分"]] = "歯科" if dental else "医科"
        cells[_COL["医療機関番号"]] = no
        cells[_COL["医療機関記号番号"]] = f"{no[:2]},{no[2:6]},{no[6]}"
        cells[_COL["医療機関名称"]] = name
        cells[_COL["医療機関所在地（郵便番号）"]] = f"〒{place.postal}-{rng.randint(0, 9999):04d}"
        cells[_COL["医療機関所在地（住所）"]] = address or self.address(place)
        cells[_COL["電話番号"]] = f"{phone_area}-{rng.randint(600, 699)}-{rng.randint(0, 9999):04d}"
        if rng.random() < 0.5:
            cells[_COL["FAX番号"]] = (
                f"{phone_area}-{rng.randint(600, 699)}-{rng.randint(0, 9999):04d}"
            )
        cells[_COL["病床数"]] = beds
        return cells, notes

    def rows_of(
        self,
        cells: list[str],
        notes: list[tuple[str, str, str, str]],
        *,
        withdraw: str | None = None,
        remark_rows: float = 0.03,
    ) -> Iterator[list[str]]:
        """The sheet rows of one facility; some notifications repeated once per 備考 item."""
        for name, label, juri_no, start in notes:
            row = list(cells)
            row[_COL["受理届出名称"]] = name
            row[_COL["受理記号"]] = label
            row[_COL["受理番号"]] = juri_no
            row[_COL["算定開始年月日"]] = start
            if label == withdraw:
                withdrawn = self.as_of - timedelta(days=1)
                remarks = [("届出区分", f"取り下げ（{_start_text(withdrawn).replace(' ', '')}）")]
            elif self.rng.random() < remark_rows:
                # 東海北陸/九州/四国 style: the notification printed once per 備考 item.
                remarks = [("届出区分", "新規"), ("併算定", "あり")][: self.rng.randint(1, 2)]
            else:
                remarks = [("", "")]
            for heading, data in remarks:
                out = list(row)
                self.item += 1
                out[_COL["項番"]] = str(self.item)
                out[_COL["備考（見出し）"]] = heading
                out[_COL["備考（データ）"]] = data
                yield out

    def rows(self, target: int) -> Iterator[list[str]]:
        # The quirks first, so that even a small sample carries every one of them.
        cells, notes = self.facility(hospital=False, tiers=(2, 3))  # two 支援診 tiers
        yield from self.rows_of(cells, notes)
        cells, notes = self.facility(hospital=False, tiers=(3,))
        yield from self.rows_of(cells, notes, withdraw="支援診３")  # one 取り下げ
        cells, notes = self.facility(hospital=False, tiers=(1,))  # a 単独型 with 備考 rows
        yield from self.rows_of(cells, notes, remark_rows=1.0)
        pref_place = self.places[0]
        typo = f"{pref_place.name[0]}丘{pref_place.name[1:]}中央通１－１"  # mistyped municipality
        cells, notes = self.facility(hospital=False, address=typo)
        yield from self.rows_of(cells, notes)
        n = 0
        while True:
            n += 1
            dental = n % 90 == 0  # a few 歯科 rows, as in 中国四国 lists
            hospital = not dental and self.rng.random() < 0.12
            cells, notes = self.facility(hospital=hospital, dental=dental)
            yield from self.rows_of(cells, notes)
            if self.item >= target:
                return


def write_bureau_workbook(
    out: Path,
    *,
    as_of: date,
    rows: int | None = None,
    seed: int = 0,
    prefectures: Sequence[str] = ("03", "04"),
) -> Path:
    """Write a synthetic 届出受理医療機関名簿 (.xlsx) with about `rows` data rows (exactly, when
    the last facility's rows are cut) and return its path.

    Layout as published: row 1 empty, row 2 title with the list date, row 3 empty, row 4 the 24
    headers, data from row 5, every cell text. Same arguments, same file content.
    """
    target = rows or DEFAULT_ROWS
    out.parent.mkdir(parents=True, exist_ok=True)
    gen = _Generator(as_of, seed, prefectures)
    # constant_memory streams rows to disk: a 200,000-row list stays at a few MB of RAM.
    options = {"constant_memory": target > 20_000}
    book = xlsxwriter.Workbook(str(out), options)
    # A fixed creation time keeps the file byte-identical for a seed (its sha256 is the ingest key).
    book.set_properties({"created": datetime(as_of.year, as_of.month, as_of.day)})
    sheet = book.add_worksheet("医科")
    sheet.write_string(1, 0, title_for(as_of))
    for c, header in enumerate(HEADERS):
        sheet.write_string(3, c, header)
    r = 4
    for row in gen.rows(target):
        if r - 4 >= target:
            break
        for c, value in enumerate(row):
            if value:
                sheet.write_string(r, c, value)
        r += 1
    book.close()
    return out
