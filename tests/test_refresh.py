"""`zaitaku refresh`, the nightly job, as cron runs it: a drop folder of every kind of input, a
second run with nothing new, a new month, a failing file, a concurrent run, a dry run.

The inputs (built by the factories, and the seed count table of data/raw):
- bureau list 2025-10: one clinic, 医療機関番号 1234567 (claims code 0311234567), 支援診３,
  in 盛岡市 (03201);
- count table: the seed's 8 municipalities of 盛岡 二次医療圏 (盛岡市 支援診３ = 25);
- claims 2023-04: P1 visited once, P2 twice (114001110 在宅患者訪問診療料, 算定回数 1 and 2);
- claims 2023-05: P1 visited once more;
- (later) claims 2023-06: P3 visited three times in one line.
Every patient is 82 and lives in 盛岡市 (032018). Suppression is off in the config, so that the
exported numbers can be checked as computed (suppression has its own tests).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from factories import bureau_list
from factories.claims import claim, write_extract
from zaitaku_cli.cli import app
from zaitaku_cli.config import resolve_refresh_settings
from zaitaku_cli.errors import EXIT_BUSY, ConfigError
from zaitaku_cli.warehouse import Warehouse

RAW = Path(__file__).parents[1] / "data" / "raw"
SET = "municipality_internal"  # municipality, suppression off
CLAIMS_FILE = f"{SET}/claims_by_{SET}.parquet"
FACILITIES_FILE = f"{SET}/facilities_by_{SET}.parquet"
VISIT = "114001110"

CONFIG = """\
warehouse = "data/zaitaku.duckdb"
out_dir = "out"

[refresh.inputs]
drop = "inbox"

[refresh.export]
levels = ["municipality"]
suppress = false
"""


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ZAITAKU_CONFIG", "ZAITAKU_LOG", "ZAITAKU_WAREHOUSE", "ZAITAKU_OUT"):
        monkeypatch.delenv(name, raising=False)


def _visits(path: Path, month: str, visits: list[tuple[str, str]]) -> Path:
    """An extract of 訪問診療 lines: (person, 算定回数) in month `month`, clinic 0311234567."""
    return write_extract(
        path,
        [
            claim(被保険者番号=person, 診療年月=month, 診療行為コード=VISIT, 算定回数=times)
            for person, times in visits
        ],
    )


@pytest.fixture
def job(tmp_path: Path) -> Path:
    """A job folder: zaitaku.toml, inbox/ with the four inputs, data/ for the warehouse."""
    root = tmp_path / "job"
    (root / "inbox").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "zaitaku.toml").write_text(CONFIG, encoding="utf-8")
    inbox = root / "inbox"
    bureau_list.write_xlsx(
        inbox / "名簿_東北_2025-10.xlsx",
        [bureau_list.bureau_row(facility_no="1234567", address="盛岡市内丸１１－１")],
    )
    (inbox / "盛岡圏域_集計表.csv").write_bytes((RAW / "iwate_morioka_counts.csv").read_bytes())
    _visits(inbox / "kdb_202304.csv", "202304", [("P1", "1"), ("P2", "2")])
    _visits(inbox / "kdb_202305.csv", "202305", [("P1", "1")])
    return root


def _refresh(runner: CliRunner, job: Path, *args: str) -> Any:
    return runner.invoke(app, ["refresh", "--config", str(job / "zaitaku.toml"), *args])


def _json(runner: CliRunner, job: Path, *args: str) -> Any:
    result = _refresh(runner, job, "--json", *args)
    return json.loads(result.stdout)


def _visits_fy2023(job: Path) -> tuple[int, int, int, int]:
    """(patients, claims, count, facilities) of 訪問診療, 盛岡市, FY2023, residence, all ages."""
    frame = pl.read_parquet(job / "out" / CLAIMS_FILE).filter(
        (pl.col("period") == "FY2023")
        & (pl.col("area_code") == "03201")
        & (pl.col("indicator") == "houmon_shinryo")
        & (pl.col("basis") == "residence")
        & (pl.col("age_group") == "total")
    )
    row = frame.row(0, named=True)
    return row["patients"], row["claims"], row["count"], row["facilities"]


def _tree(folder: Path) -> dict[str, str]:
    """Every entry under `folder` with its content hash (a link: where it points)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        if path.is_symlink():
            found[key] = "-> " + os.readlink(path)
        elif path.is_file():
            found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            found[key] = "dir"
    return found


# -- the nightly story --------------------------------------------------------------------------
def test_first_run_ingests_every_kind_by_kind_then_name(runner: CliRunner, job: Path) -> None:
    doc = _json(runner, job)
    assert doc["status"] == "ok" and doc["exit_code"] == 0
    files = [(Path(f["path"]).name, f["kind"], f["status"]) for f in doc["files"]]
    assert files == [
        ("名簿_東北_2025-10.xlsx", "facilities", "ingested"),
        ("盛岡圏域_集計表.csv", "facility-counts", "ingested"),
        ("kdb_202304.csv", "claims", "ingested"),
        ("kdb_202305.csv", "claims", "ingested"),
    ]
    # 1 notification row, 8 × 8 count cells, 2 + 1 claim lines
    assert doc["rows"] == {"read": 1 + 8 + 3, "loaded": 1 + 64 + 3, "rejected": 0}
    (output,) = doc["outputs"]
    assert (output["set"], output["status"]) == (SET, "written")
    # P1 and P2 → 2 patients; claims (person × facility × month): P1-Apr, P2-Apr, P1-May = 3;
    # 算定回数 1 + 2 + 1 = 4; one clinic billing.
    assert _visits_fy2023(job) == (2, 3, 4, 1)
    facilities = pl.read_parquet(job / "out" / FACILITIES_FILE).filter(
        (pl.col("area_code") == "03201") & (pl.col("category") == "shienshin_jurai")
    )
    by_source = dict(facilities.select("source", "facilities").iter_rows())
    assert by_source == {"bureau_list": 1, "count_table": 25}


def test_second_run_finds_nothing_new(runner: CliRunner, job: Path) -> None:
    assert _refresh(runner, job).exit_code == 0
    before = _tree(job / "out")
    result = _refresh(runner, job)
    assert result.exit_code == 0
    assert "4 file(s) already ingested (same sha256): skipped." in result.stdout
    assert "Nothing new: every input file was ingested before and every export is current" in (
        result.stdout
    )
    assert _tree(job / "out") == before
    doc = _json(runner, job)
    assert doc["status"] == "nothing_new"
    assert doc["counts"]["unchanged"] == 4
    assert [o["status"] for o in doc["outputs"]] == ["current"]


def test_a_new_month_is_the_only_file_ingested_and_the_exports_are_rewritten(
    runner: CliRunner, job: Path
) -> None:
    assert _refresh(runner, job).exit_code == 0
    _visits(job / "inbox" / "kdb_202306.csv", "202306", [("P3", "3")])
    doc = _json(runner, job)
    statuses = {Path(f["path"]).name: f["status"] for f in doc["files"]}
    assert statuses == {
        "kdb_202306.csv": "ingested",
        "名簿_東北_2025-10.xlsx": "unchanged",
        "盛岡圏域_集計表.csv": "unchanged",
        "kdb_202304.csv": "unchanged",
        "kdb_202305.csv": "unchanged",
    }
    assert [o["status"] for o in doc["outputs"]] == ["written"]
    # P3 adds a patient, a claim (P3-Jun) and 3 to the count: (2, 3, 4) → (3, 4, 7).
    assert _visits_fy2023(job) == (3, 4, 7, 1)


def test_a_renamed_copy_of_an_ingested_file_is_not_loaded_again(
    runner: CliRunner, job: Path
) -> None:
    assert _refresh(runner, job).exit_code == 0
    inbox = job / "inbox"
    (inbox / "kdb_202304_copy.csv").write_bytes((inbox / "kdb_202304.csv").read_bytes())
    doc = _json(runner, job)
    assert doc["status"] == "nothing_new"
    copy = next(f for f in doc["files"] if f["path"].endswith("_copy.csv"))
    assert (copy["status"], copy["reason"]) == ("unchanged", "ingested as kdb_202304.csv (#3)")


def test_a_failed_ingest_stops_the_run_before_any_export(runner: CliRunner, job: Path) -> None:
    assert _refresh(runner, job).exit_code == 0
    before = _tree(job / "out")
    inbox = job / "inbox"
    bureau_list.write_xlsx(
        inbox / "名簿_東北_2026-04.xlsx",
        [bureau_list.bureau_row(facility_no="1234567", label="支援診２")],
        title=bureau_list.TITLE_2025_04.replace("７年４月", "８年４月"),
    )
    # Every line of this month has a 9-digit 医療機関コード: 100 % rejected, above the 1 % limit.
    write_extract(inbox / "kdb_202306.csv", [claim(医療機関コード="031123456", 診療年月="202306")])
    _visits(inbox / "kdb_202307.csv", "202307", [("P4", "1")])
    result = _refresh(runner, job)
    assert result.exit_code == 1
    assert f"Error: {inbox / 'kdb_202306.csv'}" in result.output
    assert "loaded before it and kept: 名簿_東北_2026-04.xlsx" in result.output
    # nothing exported: the published set is byte for byte the one of the first run
    assert _tree(job / "out") == before
    with Warehouse(job / "data" / "zaitaku.duckdb") as wh:
        names = [r[0] for r in wh.fetch_all("select file_name from ingest_log order by 1")]
        (last,) = wh.fetch_all(
            "select status, exit_code, error from run_history order by run_id desc limit 1"
        )
    # the list before the failing file stays loaded; the failing file and the one after it not
    assert "名簿_東北_2026-04.xlsx" in names
    assert "kdb_202306.csv" not in names and "kdb_202307.csv" not in names
    assert last[:2] == ("failed", 1)
    assert "kdb_202306.csv" in last[2]


def test_an_unrecognised_file_stops_the_run_with_nothing_loaded(
    runner: CliRunner, job: Path
) -> None:
    (job / "inbox" / "議事メモ.txt").write_text("来月の会議\n", encoding="utf-8")
    result = _refresh(runner, job)
    assert result.exit_code == 1
    message = result.output
    assert "1 file(s) not recognised, so nothing was ingested or exported" in message
    for tried in ("as facilities (", "as facility-counts (", "as claims ("):
        assert tried in message
    with Warehouse(job / "data" / "zaitaku.duckdb") as wh:
        assert wh.fetch_all("select count(*) from ingest_log") == [(0,)]
    assert not (job / "out").exists()
    # an ignore pattern lets the run go on
    toml = job / "zaitaku.toml"
    toml.write_text(
        CONFIG.replace('drop = "inbox"', 'drop = "inbox"\nignore = ["*.txt"]'), encoding="utf-8"
    )
    assert _refresh(runner, job).exit_code == 0


# -- concurrency ----------------------------------------------------------------------------------
def test_a_second_run_exits_at_once_naming_the_first(job: Path) -> None:
    warehouse = job / "data" / "zaitaku.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from zaitaku_cli.run_lock import RunLock\n"
            "with RunLock(Path(sys.argv[1]), 'zaitaku refresh'):\n"
            "    print('held', flush=True); sys.stdin.read()",
            str(warehouse),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        second = subprocess.run(
            [sys.executable, "-m", "zaitaku_cli", "refresh", "--config", str(job / "zaitaku.toml")],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "COLUMNS": "400"},
        )
    finally:
        holder.communicate(timeout=60)
    assert second.returncode == EXIT_BUSY == 75
    assert second.stdout == ""
    assert second.stderr.startswith(
        f"Error: the warehouse {warehouse} is in use by zaitaku refresh (pid {holder.pid} on "
    )
    assert second.stderr.rstrip().endswith("; this run did nothing")
    # it did nothing indeed: no warehouse was even created
    assert not warehouse.exists()


def test_a_stale_lock_is_taken_over_and_said(runner: CliRunner, job: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = job / "data" / "zaitaku.duckdb.lock"
    lock.write_text(
        json.dumps(
            {
                "pid": dead.pid,
                "host": os.uname().nodename,
                "started": "2026-12-01T02:00:00+09:00",
                "command": "zaitaku refresh",
                "token": "f00d",
            }
        )
    )
    doc = _json(runner, job)
    assert doc["status"] == "ok"
    assert (
        f"took over the lock left by zaitaku refresh (pid {dead.pid} on {os.uname().nodename}, "
        "started 2026-12-01T02:00:00+09:00), which is no longer running"
    ) in doc["warnings"]
    assert not lock.exists()


# -- dry run --------------------------------------------------------------------------------------
def test_dry_run_touches_nothing(runner: CliRunner, job: Path) -> None:
    assert _refresh(runner, job).exit_code == 0
    _visits(job / "inbox" / "kdb_202306.csv", "202306", [("P3", "3")])
    warehouse = job / "data" / "zaitaku.duckdb"
    data_before = _tree(job / "data")
    out_before = _tree(job / "out")
    doc = _json(runner, job, "--dry-run")
    assert doc["dry_run"] is True and doc["exit_code"] == 0
    new = [f for f in doc["files"] if f["status"] == "would_ingest"]
    assert [(Path(f["path"]).name, f["kind"]) for f in new] == [("kdb_202306.csv", "claims")]
    (output,) = doc["outputs"]
    assert output["status"] == "would_write"
    assert output["files"] == [
        f"facilities_by_{SET}.parquet",
        f"facilities_by_{SET}.csv",
        f"claims_by_{SET}.parquet",
        f"claims_by_{SET}.csv",
        f"manifest_{SET}.json",
    ]
    # the warehouse's bytes, its folder (no lock, no WAL) and the outputs are as they were
    assert _tree(job / "data") == data_before
    assert _tree(job / "out") == out_before
    assert warehouse.exists()
    # and without any change pending, the dry run says every set is current
    (job / "inbox" / "kdb_202306.csv").unlink()
    doc = _json(runner, job, "--dry-run")
    assert [o["status"] for o in doc["outputs"]] == ["current"]


def test_dry_run_of_a_first_run_creates_no_warehouse(runner: CliRunner, job: Path) -> None:
    result = _refresh(runner, job, "--dry-run")
    assert result.exit_code == 0
    assert "Dry run: nothing was changed." in result.output
    assert list((job / "data").iterdir()) == []
    assert not (job / "out").exists()


# -- the record of runs ---------------------------------------------------------------------------
def test_runs_lists_the_refreshes(runner: CliRunner, job: Path) -> None:
    assert _refresh(runner, job).exit_code == 0
    assert _refresh(runner, job).exit_code == 0
    warehouse = job / "data" / "zaitaku.duckdb"
    result = runner.invoke(app, ["runs", "-w", str(warehouse), "--json", "--limit", "1"])
    (last,) = json.loads(result.output)
    assert (last["command"], last["status"], last["exit_code"]) == (
        "zaitaku refresh",
        "nothing_new",
        0,
    )
    assert [f["status"] for f in last["files"]] == ["unchanged"] * 4
    table = runner.invoke(app, ["runs", "-w", str(warehouse)])
    assert "4 ingested" in table.output and "4 unchanged" in table.output


def test_runs_records_ingest_and_aggregate(runner: CliRunner, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    counts = str(RAW / "iwate_morioka_counts.csv")
    assert runner.invoke(app, ["ingest", counts, "-w", str(warehouse)]).exit_code == 0
    bad = runner.invoke(
        app, ["ingest", "facility-counts", counts, "--pref", "04", "-w", str(warehouse)]
    )
    assert bad.exit_code == 0  # the same file: unchanged, with a warning
    out = tmp_path / "out"
    aggregate = ["aggregate", "--by", "prefecture", "-w", str(warehouse), "--out", str(out)]
    assert runner.invoke(app, aggregate).exit_code == 0
    runs = json.loads(runner.invoke(app, ["runs", "-w", str(warehouse), "--json"]).output)
    assert [(r["command"], r["status"]) for r in runs] == [
        ("zaitaku aggregate --by prefecture", "ok"),
        ("zaitaku ingest facility-counts", "ok"),
        ("zaitaku ingest", "ok"),
    ]
    assert runs[2]["files"][0]["rows_loaded"] == 64
    assert runs[0]["outputs"][0]["folder"] == str(out / "prefecture")


def test_a_run_killed_midway_is_marked_killed_by_the_next(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with Warehouse(warehouse) as wh:
        wh.con.execute(
            "insert into run_history (command, started_at, status, host, pid, files, outputs, "
            "warnings) values ('zaitaku refresh', now(), 'running', $host, $pid, '[]', '[]', '[]')",
            {"host": os.uname().nodename, "pid": dead.pid},
        )
    from zaitaku_cli.run_history import recorded_run

    with Warehouse(warehouse) as wh:
        with recorded_run(wh, "zaitaku ingest"):
            pass
        rows = wh.fetch_all("select command, status from run_history order by run_id")
    assert rows == [("zaitaku refresh", "killed"), ("zaitaku ingest", "ok")]


# -- configuration --------------------------------------------------------------------------------
def test_a_misspelt_key_is_refused_with_the_near_one(job: Path) -> None:
    toml = job / "zaitaku.toml"
    toml.write_text(CONFIG.replace("levels =", "level ="), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        resolve_refresh_settings(config=toml)
    assert str(err.value) == (
        f"{toml}: unknown setting 'refresh.export.level' — did you mean "
        "'refresh.export.levels'? Known in [refresh.export]: csv_encoding, levels, periods, "
        "plans, suppress"
    )


def test_a_missing_input_folder_is_refused(job: Path) -> None:
    toml = job / "zaitaku.toml"
    toml.write_text(CONFIG.replace('drop = "inbox"', 'drop = "inbx"'), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        resolve_refresh_settings(config=toml)
    assert str(err.value) == (
        f"{toml}: [refresh.inputs] drop = 'inbx': no such folder ({job / 'inbx'}; relative "
        "paths are read from the folder of the config file)"
    )


def test_bad_values_are_named(job: Path) -> None:
    toml = job / "zaitaku.toml"
    toml.write_text(CONFIG + '\n[refresh.claims]\noverlap = "merge"\n', encoding="utf-8")
    with pytest.raises(
        ConfigError, match=r"\[refresh.claims\] overlap must be one of refuse, replace, not 'merge'"
    ):
        resolve_refresh_settings(config=toml)
    toml.write_text(CONFIG.replace('["municipality"]', '["city"]'), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"levels: 'city' is not one of municipality, ward"):
        resolve_refresh_settings(config=toml)
    toml.write_text(CONFIG.replace("suppress = false", 'suppress = "no"'), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        resolve_refresh_settings(config=toml)
    assert str(err.value) == f"{toml}: 'refresh.export.suppress' must be true or false, not 'no'"


def test_precedence_flag_then_env_then_file(job: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml = job / "zaitaku.toml"
    settings = resolve_refresh_settings(config=toml)
    # from the file, relative to its folder; defaults for what it does not say
    assert settings.warehouse == job / "data" / "zaitaku.duckdb"
    assert settings.out_dir == job / "out"
    assert settings.overlap == "refuse"
    assert (settings.plans, settings.periods) == (("8th",), ("fiscal-year",))
    assert settings.log is None
    monkeypatch.setenv("ZAITAKU_WAREHOUSE", "/env/w.duckdb")
    monkeypatch.setenv("ZAITAKU_LOG", "/env/refresh.log")
    settings = resolve_refresh_settings(config=toml)
    assert (settings.warehouse, settings.log) == (Path("/env/w.duckdb"), Path("/env/refresh.log"))
    settings = resolve_refresh_settings(
        config=toml, warehouse=Path("flag.duckdb"), log=Path("flag.log")
    )
    assert (settings.warehouse, settings.log) == (Path("flag.duckdb"), Path("flag.log"))
    # the config file itself: --config > $ZAITAKU_CONFIG > ./zaitaku.toml
    monkeypatch.setenv("ZAITAKU_CONFIG", str(toml))
    monkeypatch.chdir(job.parent)
    assert resolve_refresh_settings().config_file == toml


def test_the_warehouse_folder_must_exist(runner: CliRunner, job: Path) -> None:
    toml = job / "zaitaku.toml"
    toml.write_text(CONFIG.replace("data/zaitaku", "dta/zaitaku"), encoding="utf-8")
    result = _refresh(runner, job)
    assert result.exit_code == 1
    assert "the folder of the warehouse" in result.output
    assert not (job / "dta").exists()


def test_the_log_file_explains_the_run(runner: CliRunner, job: Path) -> None:
    log = job / "refresh.log"
    assert _refresh(runner, job, "-q", "--log", str(log)).exit_code == 0
    lines = log.read_text(encoding="utf-8").splitlines()
    # 2026-12-04T02:00:01+09:00 INFO zaitaku refresh --config … [pid 42]: start: config …
    messages = [line.split("]: ", 1)[1] for line in lines]
    assert messages[0].startswith("start: config ")
    assert (
        messages[1].startswith("ingesting ")
        and "名簿_東北_2025-10.xlsx as facilities" in (messages[1])
    )
    # warnings are in the log even under -q: suppression is off in this config
    assert (
        "claims written without small-cell suppression: internal use only, not for publication"
        in messages
    )
    assert any(line.split(" ", 2)[1] == "WARNING" for line in lines)
    assert messages[-1].startswith("end: ok (exit 0) in ")


def test_the_log_of_the_config_file(runner: CliRunner, job: Path) -> None:
    # `log` in the file --config names, relative to it (not ./zaitaku.toml's)
    (job / "logs").mkdir()
    toml = job / "zaitaku.toml"
    toml.write_text('log = "logs/zaitaku.log"\n' + CONFIG, encoding="utf-8")
    assert _refresh(runner, job, "-q").exit_code == 0
    text = (job / "logs" / "zaitaku.log").read_text(encoding="utf-8")
    assert "end: ok (exit 0)" in text


def test_the_shipped_example_config_is_valid(tmp_path: Path) -> None:
    example = Path(__file__).parents[1] / "examples" / "zaitaku.example.toml"
    config = tmp_path / "zaitaku.toml"
    config.write_bytes(example.read_bytes())
    (tmp_path / "inbox").mkdir()
    settings = resolve_refresh_settings(config=config)
    assert settings.drop == tmp_path / "inbox"
    assert settings.warehouse == tmp_path / "data" / "zaitaku.duckdb"
    assert settings.log == tmp_path / "logs" / "zaitaku.log"
    assert settings.levels == ("municipality", "ward", "secondary-area", "prefecture")
    assert (settings.overlap, settings.suppress, settings.pref) == ("refuse", True, None)
    assert settings.ignore[-2:] == ("*.pdf", "README*")


def test_ingest_and_aggregate_respect_the_lock_too(runner: CliRunner, tmp_path: Path) -> None:
    from zaitaku_cli.run_lock import RunLock

    warehouse = tmp_path / "w.duckdb"
    counts = str(RAW / "iwate_morioka_counts.csv")
    assert runner.invoke(app, ["ingest", counts, "-w", str(warehouse)]).exit_code == 0
    with RunLock(warehouse, "zaitaku refresh"):
        ingest = runner.invoke(
            app, ["ingest", "claims", str(RAW / "kdb_claims_sample.csv"), "-w", str(warehouse)]
        )
        aggregate = runner.invoke(app, ["aggregate", "--by", "prefecture", "-w", str(warehouse)])
    for result in (ingest, aggregate):
        assert result.exit_code == EXIT_BUSY
        assert result.output.startswith(
            f"Error: the warehouse {warehouse} is in use by zaitaku refresh (pid {os.getpid()} "
        )
    with Warehouse(warehouse) as wh:
        assert wh.fetch_all("select count(*) from claim_lines") == [(0,)]


def test_population_and_enrolment_tables_in_the_drop_folder(runner: CliRunner, job: Path) -> None:
    examples = Path(__file__).parents[1] / "examples"
    (job / "inbox" / "被保険者数.csv").write_bytes(
        (examples / "enrolment.example.csv").read_bytes()
    )
    doc = _json(runner, job)
    assert doc["status"] == "ok", doc["error"]
    kinds = [(Path(f["path"]).name, f["kind"], f["status"]) for f in doc["files"]]
    # ingested by kind, in the order of readers.detect.DETECTORS: enrolment comes last
    assert kinds[-1] == ("被保険者数.csv", "enrolment", "ingested")
