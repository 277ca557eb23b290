"""The main commands under a Japanese and an English locale, each in a fresh process as an
analyst runs them: no English sentence in the Japanese run's messages, and the English run's
messages English (the rest of the suite pins them word for word).

An "English sentence" is three or more ASCII words in a row, once what is not prose is taken
out: code spans, command lines, paths and file names, options, identifiers (with _ . or digits),
codes in capitals and the hyphenated codes of options (secondary-area). Library errors quoted
inside a message are not zaitaku's words: the runs below avoid them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from factories.claims import CANONICAL, claim, write_extract
from zaitaku_cli.i18n import catalogue, placeholders

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"

_NOT_PROSE = [
    r"`[^`]*`",  # code spans
    r"'[^']*'|\"[^\"]*\"",  # quoted values and Typer's 'zaitaku --help' hint
    r"\bzaitaku(?: [a-z][\w-]*)+",  # command lines
    r"\S*[/\\]\S*",  # paths (and MB/s)
    r"(?<!\w)--?[A-Za-z][\w-]*",  # options
    r"\b[a-z]+(?:-[a-z0-9]+)+\b",  # hyphenated codes: secondary-area, fiscal-year, utf-8
    r"\$?\b[A-Z][A-Z0-9_]+\b",  # KDB, CSV, OPTIONS, ZAITAKU_LANG
    r"\b\w*[_.\d]\w*\b",  # identifiers and file names: houmon_shinryo, kdb.csv, FY2024
    r"<[^>]*>",  # Typer's metavars: <float range>, <list[Path]>
]
# words apart by spaces (code6,code5,name is a list of codes, not a sentence)
_SENTENCE = re.compile(r"[A-Za-z]{2,}(?:[,;:]? +[A-Za-z]{2,}){2,}")


def english_sentences(text: str) -> list[str]:
    found = []
    for line in text.splitlines():
        prose = line
        for pattern in _NOT_PROSE:
            prose = re.sub(pattern, " ", prose)
        found += [m.group(0) for m in _SENTENCE.finditer(prose)]
    return found


def test_the_detector_tells_sentences_from_codes() -> None:
    assert english_sentences("警告: kdb.csv: columns not used: 備考") == ["columns not used"]
    assert english_sentences("エラー: no warehouse at /tmp/x.duckdb: check --warehouse") == [
        "no warehouse at   check"
    ]
    assert english_sentences("値 'a b c d' の行") == []  # a quoted value is the file's
    assert english_sentences("列を使ってください: code6,code5,name,kind") == []
    codes = (
        "│ 3 │ claims │ kdb_2024.csv │ - │ loaded │  `zaitaku ingest claims kdb.csv` "
        "--by secondary-area FY2024 KDB CSV (UTF-8) <float range> 12.3 MB/s"
    )
    assert english_sentences(codes) == []


def _env(lang: dict[str, str]) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "ZAITAKU_"))}
    # wide enough that no message is folded inside a word
    return {**base, "COLUMNS": "200", "PYTHONIOENCODING": "utf-8", **lang}


def _run(args: list[str], lang: dict[str, str], cwd: Path) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "zaitaku_cli", *args],
        env=_env(lang),
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )
    return done.returncode, done.stdout + done.stderr


def _inputs(folder: Path) -> dict[str, Path]:
    """The inputs of one run: the sample bureau list and count table (rejects and warnings
    of their own), a small claims extract with a bad line and a column zaitaku does not use,
    one without a required column, a population table with a wrong header."""
    folder.mkdir()
    header = [*CANONICAL, "備考"]
    # 40 lines of April–September 2023 (a 備考 column zaitaku does not use)
    rows: list[dict[str, str] | str] = [
        claim(被保険者番号=f"P{i:09d}", 診療年月=f"20230{4 + i % 6}") | {"備考": "-"}
        for i in range(40)
    ]
    rows[7] = claim(被保険者番号="P000000007", 性別="3")  # line 9: 性別 not 1 or 2
    no_sex = [h for h in CANONICAL if h != "性別"]
    population = folder / "住基人口.csv"
    population.write_text("code5,name,total\n03201,盛岡市,1\n", encoding="utf-8")
    notes = folder / "メモ.txt"
    notes.write_text("会議の議事録\n在宅医療について\n", encoding="utf-8")
    # a survey with a bad capacity, a code in no list, a 9-digit code and a row with no answer;
    # a hub list with a name of no municipality and a hub without a name
    survey = folder / "調査.csv"
    survey.write_text(
        "調査時点,医療機関コード,医療機関名,所在地,訪問診療の実施可能件数,参入意向\n"
        "2025-10-01,0310110092,照井内科クリニック,盛岡市川原町5丁目13-28,たくさん,拡大\n"
        "2025-10-01,0399999999,架空医院,盛岡市中央通1丁目1-1,5,維持\n"
        "2025-10-01,0310110025,後藤内科クリニック,盛岡市青山5丁目28-27,15,維持\n"
        "2025-10-01,310110229,盛岡中央病院,盛岡市中央通6丁目15-40,40,維持\n"
        "2025-10-01,0310110218,中村消化器内科クリニック,盛岡市駅前4丁目4-24,,\n",
        encoding="utf-8",
    )
    hubs = folder / "拠点.csv"
    hubs.write_text(
        "名称,事業区域,運営主体,備考\n紫波郡地域包括支援センター,紫波町、矢巾村,医師会,\n,滝沢市,x,\n",
        encoding="utf-8",
    )
    return {
        "notes": notes,
        "survey": survey,
        "bad_hubs": hubs,
        "claims": write_extract(folder / "kdb_202304.csv", rows, header=header),
        "bad_claims": write_extract(folder / "kdb_no_sex.csv", [claim()], header=no_sex),
        "population": population,
    }


def _scenario(inputs: dict[str, Path]) -> list[tuple[str, list[str], int]]:
    """(name, arguments, expected exit code) of the main commands, in order."""
    wh = ["-w", "wh.duckdb"]
    bureau = str(RAW / "bureau_tohoku_2025-10.xlsx")
    counts = str(RAW / "iwate_morioka_counts.csv")
    claims, bad_claims = str(inputs["claims"]), str(inputs["bad_claims"])
    enrolment = str(ROOT / "examples" / "enrolment.example.csv")
    population = str(inputs["population"])
    survey, bad_hubs = str(inputs["survey"]), str(inputs["bad_hubs"])
    hubs = str(ROOT / "examples" / "hubs.example.csv")
    aggregate = ["aggregate", "--by", "secondary-area", "--no-suppress", "--out", "out"]
    return [
        ("ingest facilities", ["ingest", "facilities", bureau, *wh], 0),
        ("ingest facility-counts", ["ingest", "facility-counts", counts, "--pref", "03", *wh], 0),
        ("ingest claims", ["ingest", "claims", claims, "--max-reject-rate", "0.1", *wh], 0),
        ("ingest claims again", ["ingest", "claims", claims, *wh], 0),
        ("ingest claims, an error", ["ingest", "claims", bad_claims, *wh], 1),
        ("ingest, recognised", ["ingest", enrolment, *wh], 0),
        ("ingest, not recognised", ["ingest", str(inputs["notes"]), *wh], 1),
        ("ingest population, an error", ["ingest", "population", population, *wh], 1),
        ("aggregate", [*aggregate, *wh], 0),
        ("ingest survey", ["ingest", "survey", survey, *wh], 0),
        ("ingest hubs, an error", ["ingest", "hubs", bad_hubs, "--pref", "03", *wh], 1),
        ("ingest hubs, no prefecture", ["ingest", "hubs", bad_hubs, *wh], 1),
        ("ingest hubs", ["ingest", "hubs", hubs, *wh], 0),
        ("supply", ["supply", "--by", "secondary-area", "--out", "out", *wh], 0),
        ("candidates", ["candidates", "--pref", "03", "--out", "out", *wh], 0),
        # refused before Spark is asked for (no pyspark or Java needed)
        ("aggregate on a cluster, an error",
         [*aggregate, "--engine", "spark", "--spark-master", "yarn", *wh], 1),
        ("aggregate, a bad --spark-conf",
         [*aggregate, "--engine", "spark", "--spark-conf", "memory", *wh], 2),
        ("status", ["status", *wh], 0),
        ("runs", ["runs", *wh], 0),
        ("remove --dry-run", ["remove", "kdb_202304.csv", "--dry-run", *wh], 0),
        ("remove", ["remove", "kdb_202304.csv", *wh], 0),
        ("remove, an error", ["remove", "nothing.csv", *wh], 1),
        ("reference areas", ["reference", "areas", "--pref", "03"], 0),
        ("reference codes", ["reference", "codes", "--indicator", "mitori"], 0),
        ("project, an error", ["project", "--by", "prefecture", "--years", "2031", *wh], 1),
        ("a usage error", ["aggregate", "--by", "county", *wh], 2),
        ("an unknown option", ["status", "--bogus", *wh], 2),
    ]  # fmt: skip


# Every command's --help.
_HELP_SWEEP = """
import json, sys
from typer.testing import CliRunner
from typer.main import get_command
from zaitaku_cli.cli import app

def paths(command, prefix):
    yield prefix
    for name, sub in getattr(command, "commands", {}).items():
        yield from paths(sub, [*prefix, name])

runner = CliRunner()
out = {}
for path in paths(get_command(app), []):
    result = runner.invoke(app, [*path, "--help"], prog_name="zaitaku", terminal_width=200)
    out[" ".join(path) or "zaitaku"] = [result.exit_code, result.output]
print(json.dumps(out, ensure_ascii=False))
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, tuple[int, str]]]:
    """Both languages' outputs of the scenario and of every --help, by command."""
    found: dict[str, dict[str, tuple[int, str]]] = {}
    for lang, env in (("ja", {"LANG": "ja_JP.UTF-8"}), ("en", {"LANG": "en_US.UTF-8"})):
        folder = tmp_path_factory.mktemp(lang)
        inputs = _inputs(folder / "inputs")
        outputs: dict[str, tuple[int, str]] = {}
        for name, args, expected in _scenario(inputs):
            code, text = _run(args, env, folder)
            assert code == expected, f"{lang} {name}: exit {code}\n{text}"
            outputs[name] = (code, text)
        sweep = subprocess.run(
            [sys.executable, "-c", _HELP_SWEEP],
            env=_env({**env, "COLUMNS": "200"}),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=300,
        )
        assert sweep.returncode == 0, sweep.stderr
        for command, (code, text) in json.loads(sweep.stdout).items():
            assert code == 0, f"{lang} {command} --help: exit {code}\n{text}"
            outputs[f"{command} --help"] = (code, text)
        found[lang] = outputs
    return found


@pytest.mark.slow
def test_no_english_sentence_in_the_japanese_run(
    runs: dict[str, dict[str, tuple[int, str]]],
) -> None:
    leaks = {
        name: english_sentences(text)
        for name, (_, text) in runs["ja"].items()
        if english_sentences(text)
    }
    assert leaks == {}
    # and it did speak: every command said something in Japanese (kana: not only the names
    # and terms that are Japanese in English too)
    silent = [name for name, (_, text) in runs["ja"].items() if not re.search("[ぁ-んァ-ヶ]", text)]
    assert silent == []


@pytest.mark.slow
def test_the_japanese_run_covers_messages_of_every_kind(
    runs: dict[str, dict[str, tuple[int, str]]],
) -> None:
    ja = {name: text for name, (_, text) in runs["ja"].items()}
    assert "警告: " in ja["ingest facilities"]  # a warning
    assert "行を除外しました" in ja["ingest facilities"]  # rejects and their reasons
    assert "住所の先頭に一致する 岩手県（03）の市区町村がありません" in ja["ingest facilities"]
    assert "性別: 1（男）でも 2（女）でもありません" in ja["ingest claims"]  # a SQL reason
    assert "使わない列: 備考" in ja["ingest claims"]
    assert "すでに取り込み済みです（同じ sha256）" in ja["ingest claims again"]
    assert "エラー: " in ja["ingest claims, an error"]  # an error, its frame and hint
    assert "1 行目: 必要な列がありません: 性別" in ja["ingest claims, an error"]
    assert "秘匿処理をしていません" in ja["aggregate"]
    assert "では executor が別のマシンで動きます" in ja["aggregate on a cluster, an error"]
    assert "'memory' は KEY=VALUE の形ではありません" in ja["aggregate, a bad --spark-conf"]
    survey = ja["ingest survey"]  # reasons made in Polars, shown through the catalogue
    assert "1 × 「訪問診療の実施可能件数」の値が不正" in survey
    assert "回答なし: 「訪問診療の実施可能件数」も「参入意向」も空です" in survey
    assert "医療機関コード 1 件が 9 桁でした" in survey
    # a reason put together from a name and geo's reason
    assert "矢巾村: 岩手県（03）に 矢巾村 という市区町村はありません" in ja["ingest hubs, an error"]
    assert "候補のない圏域が" in ja["candidates"]
    assert "供給と需要・二次医療圏別" in ja["supply"]
    assert "取り込んだファイル" in ja["status"]  # a table's title
    assert "何も変えていません（--dry-run）" in ja["remove --dry-run"]
    assert "--by" in ja["aggregate --help"] and "使い方: " in ja["aggregate --help"]


@pytest.mark.slow
def test_the_english_run_stays_english(runs: dict[str, dict[str, tuple[int, str]]]) -> None:
    # None of the catalogue's Japanese (the longer, fixed texts) appears in the English run.
    japanese = [
        ja
        for en, ja in catalogue().items()
        if not placeholders(en) and len(ja) >= 8 and re.search("[ぁ-ん]", ja)
    ]
    for name, (_, text) in runs["en"].items():
        assert [ja for ja in japanese if ja in text] == [], name
    en = {name: text for name, (_, text) in runs["en"].items()}
    assert "Warning: " in en["ingest facilities"]
    assert (
        "2 × no municipality of 岩手県 (03) matches the start of the address"
        in en["ingest facilities"]
    )
    assert "1 × 性別: not 1 (男) or 2 (女)" in en["ingest claims"]
    assert "columns not used: 備考" in en["ingest claims"]
    assert "Show this message and exit." in en["aggregate --help"]
    # the same words, message for message, in both runs: only the language differs
    for name in runs["ja"]:
        assert runs["ja"][name][0] == runs["en"][name][0], name
