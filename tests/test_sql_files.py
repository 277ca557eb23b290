"""Parameters of a query are the ones its parsed SQL uses, not any `$name` in its text."""

from __future__ import annotations

from pathlib import Path

import pytest

from zaitaku_cli import sql_files
from zaitaku_cli.sql_files import bind_parameters, query_parameters


@pytest.fixture
def sql_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "marts").mkdir()
    monkeypatch.setattr(sql_files, "sql_root", lambda: tmp_path)
    sql_files.load_sql.cache_clear()
    query_parameters.cache_clear()
    yield tmp_path
    sql_files.load_sql.cache_clear()
    query_parameters.cache_clear()


def test_parameters_in_comments_and_strings_are_not_parameters(sql_dir: Path) -> None:
    (sql_dir / "marts" / "q.sql").write_text(
        "-- per $level; $plan is not used here\n"
        "select '$period' as label, x from t where level = $level and y = $Y\n",
        encoding="utf-8",
    )
    assert query_parameters("marts/q") == {"level", "Y"}
    given = {"level": "ward", "plan": "8th", "period": "month", "Y": 1}
    assert bind_parameters("marts/q", given) == {"level": "ward", "Y": 1}


def test_a_parameter_used_but_not_given_names_the_file(sql_dir: Path) -> None:
    (sql_dir / "marts" / "q.sql").write_text("select $a, $b", encoding="utf-8")
    with pytest.raises(ValueError, match=r"^sql/marts/q.sql uses \$a, \$b: no value given$"):
        bind_parameters("marts/q", {})


def test_the_packaged_queries_declare_what_they_use() -> None:
    # claims_by_area's header also names them; $level is also in a comment there
    assert query_parameters("marts/claims_by_area") == {
        "level",
        "level_id",
        "coverage",
        "suppression",
    }
    assert query_parameters("staging/stg_area_units") == {"plan"}
