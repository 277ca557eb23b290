"""Parameters of a query are the ones its parsed SQL uses, not any `$name` in its text."""

from __future__ import annotations

import ast
import re
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


def parsed_parameters(text: str) -> frozenset[str]:
    """The parameters sqlglot's parse finds (the reference query_parameters is held to)."""
    import sqlglot
    from sqlglot import exp

    names: set[str] = set()
    for tree in sqlglot.parse(text, read="duckdb"):
        if tree is not None:
            names.update(node.name for node in tree.find_all(exp.Placeholder, exp.Parameter))
    return frozenset(names)


def test_the_lexer_finds_what_the_parser_finds_in_every_packaged_file() -> None:
    names = [
        str(p.relative_to(sql_files.sql_root()).with_suffix(""))
        for p in sorted(sql_files.sql_root().rglob("*.sql"))
        if "migrations" not in p.parts
    ]
    assert len(names) > 50
    for name in names:
        assert query_parameters(name) == parsed_parameters(sql_files.load_sql(name)), name


def test_the_lexer_skips_comments_strings_and_quoted_names(sql_dir: Path) -> None:
    (sql_dir / "marts" / "q.sql").write_text(
        "/* $a\n $b */ select 'it''s $c' as \"$d\", $e -- $f\nfrom t where x = $g_2",
        encoding="utf-8",
    )
    assert query_parameters("marts/q") == {"e", "g_2"}
    assert parsed_parameters(sql_files.load_sql("marts/q")) == {"e", "g_2"}


def test_the_packaged_queries_declare_what_they_use() -> None:
    # claims_by_area's header also names them; $level is also in a comment there
    assert query_parameters("marts/claims_by_area") == {
        "level",
        "level_id",
        "coverage",
        "suppression",
    }
    assert query_parameters("staging/stg_area_units") == {"plan"}


# -- SQL lives in sql/ ---------------------------------------------------------------------------
# A statement in a Python string: a lower-case SQL verb first, then a word that only SQL puts there
# (docstrings and messages start with a capital or are not shaped like this).
_STATEMENT = re.compile(
    r"^\s*\(?\s*(select|insert|update|delete|create|drop|with|alter|set|copy|attach|pragma)\s"
    r"(.*\b(from|into|table|view|as|where|values)\b|\s*\w+\s*=)",
    re.S,
)
# The warehouse writes its own plumbing (settings, migrations, transactions, temp relations,
# generic writes, its logs). claims_raw_view.py builds the view over a claims file's Parquet
# parts from that file's layout (its columns, their order, the delimiter): no fixed text could
# hold it. claims_aggregate.py is being reworked under issue 10 (the claims cells).
_MAY_WRITE_SQL = {"warehouse.py", "claims_aggregate.py", "claims_raw_view.py"}


def _statements(path: Path) -> list[str]:
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parts = {
        id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        elif (
            isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in parts
        ):
            text = node.value
        else:
            continue
        if _STATEMENT.match(str(text)):
            found.append(f"{path.name}:{node.lineno}: {' '.join(str(text).split())[:60]}")
    return found


def test_no_module_but_the_warehouse_writes_sql() -> None:
    package = Path(sql_files.__file__).parent
    offenders = [
        statement
        for path in sorted(package.rglob("*.py"))
        if str(path.relative_to(package)) not in _MAY_WRITE_SQL
        for statement in _statements(path)
    ]
    assert offenders == [], "SQL belongs in sql/ (questions) or in Warehouse (plumbing)"


def test_the_sql_finder_finds_statements(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        'A = "select count(*) from claim_lines"\n'
        'B = f"delete from {t} where ingest_id = $id"\n'
        'C = "create or replace temp view v as select 1"\n'
        'D = "set threads = 2"\n'
        '"""Select the rows: a docstring."""\n'
        'E = "select one of {known}"\n',
        encoding="utf-8",
    )
    assert [s.split(":")[1] for s in _statements(module)] == ["1", "2", "3", "4"]
