"""Output to a CP932 console (Japanese Windows, output redirected) never crashes a command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import zaitaku_cli.console  # noqa: F401  (registers the error handler)

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"


def test_characters_cp932_lacks_become_lookalikes_or_question_marks() -> None:
    text = "65〜74歳 — 1–9 𠮷野家"
    # 〜 (U+301C) and — (U+2014) have CP932 look-alikes ～ and ―; – becomes '-'; 𠮷 has none.
    encoded = text.encode("cp932", errors="zaitaku-lookalike")
    assert encoded.decode("cp932") == "65～74歳 ― 1-9 ?野家"


def zaitaku(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZAITAKU_")}
    env.update(PYTHONIOENCODING="cp932", COLUMNS="100", LANG="ja_JP.SJIS")
    return subprocess.run(
        [sys.executable, "-m", "zaitaku_cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        timeout=300,
    )


@pytest.mark.slow
def test_commands_on_a_cp932_console_print_instead_of_crashing(tmp_path: Path) -> None:
    # A file name with 𠮷 (not in CP932) and outputs whose titles hold — and 〜 (not in CP932).
    # The console is a Japanese one (LANG=ja_JP.SJIS): the messages are Japanese.
    table = tmp_path / "集計表 𠮷.csv"
    shutil.copyfile(RAW / "iwate_morioka_counts.csv", table)
    wh = ["-w", str(tmp_path / "wh.duckdb")]
    ingest = zaitaku(["ingest", "facility-counts", str(table), "--pref", "03", *wh], tmp_path)
    assert ingest.returncode == 0, ingest.stderr.decode("cp932", "replace")
    assert "集計表 ?.csv" in ingest.stdout.decode("cp932")  # 𠮷 shown as '?'

    claims = zaitaku(["ingest", "claims", str(RAW / "kdb_claims_sample.csv"), *wh], tmp_path)
    assert claims.returncode == 0, claims.stderr.decode("cp932", "replace")
    run = zaitaku(
        ["aggregate", "--by", "prefecture", *wh, "--out", str(tmp_path / "out")], tmp_path
    )
    assert run.returncode == 0, run.stderr.decode("cp932", "replace")
    out = run.stdout.decode("cp932")  # every byte is CP932
    assert "―" in out  # the — of the table titles, as CP932 shows it
    assert "（1～9）" in out  # the 〜 (WAVE DASH) of "（1〜9）", as CP932 shows it
    assert "警告:" in run.stderr.decode("cp932")

    # --json stays exact JSON: non-ASCII escaped where stdout is not UTF-8.
    document = zaitaku(["status", *wh, "--json"], tmp_path)
    assert document.returncode == 0, document.stderr.decode("cp932", "replace")
    files = [entry["file_name"] for entry in json.loads(document.stdout.decode("cp932"))]
    assert "集計表 𠮷.csv" in files


def test_help_on_a_cp932_console(tmp_path: Path) -> None:
    result = zaitaku(["--help"], tmp_path)
    assert result.returncode == 0, result.stderr.decode("cp932", "replace")
    assert "在宅医療" in result.stdout.decode("cp932")


def test_progress_of_a_file_shows_mb_lines_and_rate() -> None:
    from rich.progress import Progress as Bar

    from zaitaku_cli.console import _Amount

    bar = Bar()
    file_task = bar.add_task("kdb.csv: reading cp932", total=720_000_000, unit="bytes", lines=0)
    bar.update(file_task, advance=123_400_000, lines=1_714_000)
    shown = _Amount().render(bar.tasks[0]).plain
    # 123.4 of 720 MB, the lines counted so far, and a rate (MB/s) once time has passed
    assert shown.startswith("123.4/720.0 MB · 1,714,000 lines · ")
    assert shown.endswith(" MB/s")
    steps = bar.add_task("Ingesting list.xlsx", total=4, unit="steps", lines=0)
    bar.update(steps, advance=3)
    assert _Amount().render(bar.tasks[1]).plain == "3/4"
