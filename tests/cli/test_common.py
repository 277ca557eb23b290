"""What every command shares: where the warehouse may be, a busy warehouse, memory, the log."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factories.claims import CANONICAL, claim, write_extract
from zaitaku_cli.cli import app
from zaitaku_cli.errors import EXIT_BUSY, OutOfMemory
from zaitaku_cli.warehouse import Warehouse

SEED_COUNTS = Path(__file__).parents[2] / "data" / "raw" / "iwate_morioka_counts.csv"


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder of its own (the default data/ is relative to it), no ZAITAKU_*."""
    for name in ("ZAITAKU_WAREHOUSE", "ZAITAKU_LOG", "ZAITAKU_MEMORY_LIMIT", "ZAITAKU_OUT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _counts(*args: str) -> list[str]:
    return ["ingest", "facility-counts", str(SEED_COUNTS), "--pref", "03", *args]


# -- where the warehouse may be ----------------------------------------------------------------
def test_a_warehouse_in_a_folder_that_does_not_exist_is_refused(
    runner: CliRunner, elsewhere: Path
) -> None:
    wh = elsewhere / "srv" / "zaitaku" / "zaitaku.duckdb"  # e.g. a typo in the crontab
    result = runner.invoke(app, _counts("-w", str(wh)))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: the folder {wh.parent} of the warehouse {wh} (from --warehouse) does not "
        "exist: check the path for a typo, or create the folder first if a new warehouse "
        "there is what you want\n"
    )
    assert not (elsewhere / "srv").exists()

    result = runner.invoke(app, _counts(), env={"ZAITAKU_WAREHOUSE": str(wh)})
    assert result.exit_code == 1
    assert "(from ZAITAKU_WAREHOUSE) does not exist" in result.stderr


def test_a_new_warehouse_in_an_existing_folder_is_created(
    runner: CliRunner, elsewhere: Path
) -> None:
    wh = elsewhere / "zaitaku.duckdb"
    assert runner.invoke(app, _counts("-w", str(wh))).exit_code == 0
    assert wh.exists()


def test_only_the_default_warehouse_gets_its_folder_made(
    runner: CliRunner, elsewhere: Path
) -> None:
    assert runner.invoke(app, _counts("-q")).exit_code == 0
    assert (elsewhere / "data" / "zaitaku.duckdb").exists()


# -- reference codes creates nothing -----------------------------------------------------------
def test_reference_codes_without_a_warehouse_creates_none(
    runner: CliRunner, elsewhere: Path
) -> None:
    result = runner.invoke(app, ["reference", "codes", "--json"])
    assert result.exit_code == 0
    codes = json.loads(result.stdout)
    # the packaged table, e.g. 114000110 往診料 (C000) counts towards oushin
    assert {"code": "114000110", "kubun": "C000", "indicator": "oushin"}.items() <= next(
        c for c in codes if c["code"] == "114000110"
    ).items()
    result = runner.invoke(app, ["reference", "codes", "-w", str(elsewhere / "w.duckdb")])
    assert result.exit_code == 0
    assert list(elsewhere.iterdir()) == []


def test_reference_update_codes_reports_without_creating_a_warehouse(
    runner: CliRunner, elsewhere: Path
) -> None:
    # Only --apply changes (or creates) a warehouse; a look at a new master leaves none behind.
    from factories.claim_master import write_master
    from test_claim_codes import MASTER

    master = write_master(elsewhere.parent / "s_ALL20260605.csv", MASTER)
    result = runner.invoke(app, ["reference", "update-codes", str(master), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == 0
    assert json.loads(result.stdout)["unmapped"]
    assert list(elsewhere.iterdir()) == []


def test_reference_codes_lists_the_same_with_or_without_a_warehouse(
    runner: CliRunner, elsewhere: Path
) -> None:
    without = runner.invoke(app, ["reference", "codes", "--json"]).stdout
    Warehouse(elsewhere / "w.duckdb").close()
    with_one = runner.invoke(app, ["reference", "codes", "--json", "-w", "w.duckdb"]).stdout
    assert json.loads(without) == json.loads(with_one)


# -- two runs at once --------------------------------------------------------------------------
@pytest.fixture
def held_warehouse(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """A warehouse another process holds open (as a running zaitaku would)."""
    wh = tmp_path / "zaitaku.duckdb"
    Warehouse(wh).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time\n"
            "con = duckdb.connect(sys.argv[1])\n"
            "print('ready', flush=True)\n"
            "time.sleep(60)\n",
            str(wh),
        ],
        stdout=subprocess.PIPE,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline() == b"ready\n"
    yield wh, holder.pid
    holder.kill()
    holder.wait()


def test_a_busy_warehouse_is_named_with_its_holder_and_exit_75(
    runner: CliRunner, held_warehouse: tuple[Path, int]
) -> None:
    wh, pid = held_warehouse
    result = runner.invoke(app, ["status", "-w", str(wh)])
    assert result.exit_code == EXIT_BUSY == 75
    program = re.escape(str(Path(sys.executable).resolve().parent))
    assert re.fullmatch(
        re.escape(f"Error: the warehouse {wh} is in use by another process (pid {pid}, ")
        + program
        + r"/\S+\)"
        + re.escape(
            ", probably another zaitaku run: nothing was done. Run again when it has "
            "finished (exit code 75: try again later)\n"
        ),
        result.stderr,
    ), result.stderr


# -- memory ------------------------------------------------------------------------------------
def test_a_bad_memory_limit_is_one_line_before_any_work(runner: CliRunner, elsewhere: Path) -> None:
    result = runner.invoke(app, _counts("-w", "w.duckdb"), env={"ZAITAKU_MEMORY_LIMIT": "lots"})
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: ZAITAKU_MEMORY_LIMIT: 'lots' is not a memory size — write a number and a unit, "
        "e.g. 2GB or 512MB (KB, MB, GB, TB; or KiB, MiB, GiB, TiB)\n"
    )
    assert list(elsewhere.iterdir()) == []


def test_out_of_memory_says_what_to_raise_and_where_spill_goes(
    runner: CliRunner, elsewhere: Path
) -> None:
    extract = write_extract(elsewhere / "kdb.csv", [claim()])
    result = runner.invoke(
        app,
        ["ingest", "claims", str(extract), "-w", "w.duckdb"],
        env={"ZAITAKU_MEMORY_LIMIT": "1MB"},
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: DuckDB ran out of memory (Out of Memory Error: ")
    assert result.stderr.endswith(
        "Raise the limit, now 1MB, with ZAITAKU_MEMORY_LIMIT or memory_limit in zaitaku.toml "
        "(e.g. 4GB); beyond it DuckDB spills to w.duckdb.tmp: check the free disk space "
        "there\n"
    )
    assert "Traceback" not in result.output


def test_out_of_memory_inside_an_open_warehouse_is_the_same_error(tmp_path: Path) -> None:
    with pytest.raises(OutOfMemory, match="Raise the limit, now 64MB, with"):  # noqa: SIM117
        with Warehouse(tmp_path / "w.duckdb", memory_limit="64MB") as wh:
            # an aggregate whose hash table cannot spill: 5 M distinct long keys
            wh.con.execute("set memory_limit = '8MB'")
            wh.fetch_all(
                "select s, count(*) from (select repeat(x::varchar, 20) as s from range(5000000) "
                "t(x)) group by s"
            )


# -- the log -----------------------------------------------------------------------------------
_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d (?P<level>[A-Z]+) zaitaku .*?"
                   r"\[pid \d+\]: (?P<message>.*)$")  # fmt: skip


def _log_lines(path: Path) -> list[tuple[str, str]]:
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _LINE.match(line)
        assert match, line
        found.append((match["level"], match["message"]))
    return found


def test_quiet_still_writes_warnings_to_the_log(runner: CliRunner, elsewhere: Path) -> None:
    # an extra column: a warning ("columns not used")
    row = {**claim(), "備考": "x"}
    extract = write_extract(elsewhere / "kdb.csv", [row], header=[*CANONICAL, "備考"])
    log = elsewhere / "zaitaku.log"
    result = runner.invoke(
        app, ["ingest", "claims", str(extract), "-w", "w.duckdb", "-q", "--log", str(log)]
    )
    assert (result.exit_code, result.output) == (0, "")
    assert _log_lines(log) == [("WARNING", f"{extract}: columns not used: 備考")]

    # the next run appends; --json has the warning in its document and in the log
    again = write_extract(elsewhere / "kdb2.csv", [claim(診療年月="202305")], header=CANONICAL)
    shutil.copy(extract, elsewhere / "kdb3.csv")
    result = runner.invoke(
        app,
        ["ingest", "claims", str(elsewhere / "kdb3.csv"), str(again), "--json", "-w", "w.duckdb"],
        env={"ZAITAKU_LOG": str(log)},
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)["ingested"][0]["status"] == "unchanged"
    assert [level for level, _ in _log_lines(log)] == ["WARNING", "WARNING"]
    assert _log_lines(log)[1][1].startswith("kdb3.csv: identical to kdb.csv, already ingested on")


def test_errors_go_to_the_log_too(runner: CliRunner, elsewhere: Path) -> None:
    log = elsewhere / "zaitaku.log"
    result = runner.invoke(app, ["status", "-w", "missing.duckdb", "--log", str(log)])
    assert result.exit_code == 1
    assert _log_lines(log) == [
        (
            "ERROR",
            "no warehouse at missing.duckdb: check --warehouse / $ZAITAKU_WAREHOUSE, or load "
            "data first with `zaitaku ingest …`",
        )
    ]


def test_a_log_in_a_missing_folder_is_refused_before_any_work(
    runner: CliRunner, elsewhere: Path
) -> None:
    log = elsewhere / "logs" / "zaitaku.log"
    result = runner.invoke(app, _counts("-w", "w.duckdb", "--log", str(log)))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: the folder of the log {log} does not exist: create it, or check --log / "
        "$ZAITAKU_LOG\n"
    )
    assert list(elsewhere.iterdir()) == []


# -- exit codes, documented ----------------------------------------------------------------------
def test_help_and_readme_document_the_same_exit_codes(runner: CliRunner) -> None:
    from zaitaku_cli.cli.common import EXIT_CODES_HELP

    help_text = runner.invoke(app, ["--help"]).stdout
    assert "75 the warehouse is in use by another run" in " ".join(help_text.split())
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Exit codes", 1)[1].split("\n\n", 2)[1]
    in_readme = re.findall(r"^\| (\d+) \|", table, flags=re.MULTILINE)
    in_help = re.findall(r"(?:^|[;:] )(\d+) ", EXIT_CODES_HELP)
    assert in_readme == in_help == ["0", "1", "2", "75", "130", "143"]
