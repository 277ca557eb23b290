"""sql/ as Spark SQL, without Spark: parameters bound as typed literals, shared CTEs cut out."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlglot
from sqlglot import exp

from zaitaku_cli.engine.spark_sql import literal, relations_read, spark_query, split_shared_ctes
from zaitaku_cli.sql_files import query_parameters, sql_root

# a value for every parameter a query of sql/ takes (each file binds the ones it uses)
SAMPLE = {
    "level": "ward",
    "plan": "8th",
    "period": "month",
    "as_of": date(2025, 10, 1),
    "suppress": True,
    "coverage": "国保・後期高齢者のみ",
    "suppression": "ndb",
    "level_id": 2,
    "min_facilities": 0,
    "pref": "03",
    "indicator": "houmon_shinryo",
    "base_period": "FY2024",
    "base_year": 2025,
    "with_scenario": False,
    "ingest_id": 1,
    "failed": 3,
    "n": 5,
    "kind": "claims",
    "file_name": "KDB抽出_202304.csv",
    "prefix": "114%",
    "top": 20,
    "hmac_ipad": b"\x36" * 64,
    "hmac_opad": b"\x5c" * 64,
}


def queries() -> list[str]:
    root = sql_root()
    return sorted(
        str(p.relative_to(root).with_suffix(""))
        for p in root.rglob("*.sql")
        if "migrations" not in p.parts
    )


@pytest.mark.parametrize("name", queries())
def test_every_query_of_sql_has_a_spark_form(name: str) -> None:
    params = {k: v for k, v in SAMPLE.items() if k in query_parameters(name)}
    if any(isinstance(v, bytes) for v in params.values()):
        pytest.skip("binary parameters: ingest-only SQL, run on DuckDB alone")
    query = spark_query(name, params)
    # Spark parses it back, and no parameter is left for Spark to bind: each became a literal
    for text in [query.sql, *(step for _, step in query.steps)]:
        tree = sqlglot.parse_one(text, read="spark")
        assert not list(tree.find_all(exp.Placeholder, exp.Parameter)), text


def test_parameters_become_typed_literals() -> None:
    assert literal("8th").sql("spark") == "'8th'"
    assert literal(True).sql("spark") == "TRUE"
    assert literal(3).sql("spark") == "3"
    assert literal(date(2025, 10, 1)).sql("spark") == "CAST('2025-10-01' AS DATE)"
    assert literal(datetime(2025, 10, 1, 9, 30)).sql("spark") == (
        "CAST('2025-10-01 09:30:00' AS TIMESTAMP)"
    )
    assert literal(None).sql("spark") == "NULL"
    with pytest.raises(TypeError):
        literal(object())


def test_a_date_parameter_is_a_date_and_null_keeps_its_cast() -> None:
    dated = spark_query("staging/stg_facility_categories", {"as_of": date(2025, 10, 1)})
    assert "CAST(CAST('2025-10-01' AS DATE) AS DATE)" in dated.sql
    latest = spark_query("staging/stg_facility_categories", {"as_of": None})
    assert "CAST(NULL AS DATE) IS NULL" in latest.sql
    assert latest.reads == {"facility_notifications", "ref_juri_kigo"}


def test_a_value_is_bound_to_the_parameter_nodes_not_to_text() -> None:
    # '$level' in a comment and in a string stays as written; only the parameter is bound
    query = spark_query("marts/facilities_by_area", {"level": "o'brien"})
    assert "'o''brien' AS area_level" in query.sql or "'o\\'brien' AS area_level" in query.sql
    assert "$level" not in query.sql


def test_shared_ctes_over_the_claim_lines_become_steps() -> None:
    # lines: read twice, over claim_lines, joins → a step; per_person: read twice, but a plain
    # projection → inline; codes: read twice, but over a reference table → inline (cheaper
    # to repeat than to keep); once: read once → inline.
    tree = sqlglot.parse_one(
        """
        with
        codes as (select distinct code from ref_claim_codes),
        lines as (select l.person_id, l.times from claim_lines as l
                  inner join codes as c on c.code = l.act_code),
        per_person as (select person_id, times from lines),
        once as (select count(*) as n from codes)
        select a.person_id, b.times, o.n from per_person as a
        inner join per_person as b on a.person_id = b.person_id
        cross join once as o
        inner join lines on lines.person_id = a.person_id
        """,
        read="duckdb",
    )
    steps, final = split_shared_ctes(tree, "demo")
    assert [(name, step.sql("duckdb")) for name, step in steps] == [
        (
            "demo__lines",
            "WITH codes AS (SELECT DISTINCT code FROM ref_claim_codes) "
            "SELECT l.person_id, l.times FROM claim_lines AS l "
            "INNER JOIN codes AS c ON c.code = l.act_code",
        )
    ]
    text = final.sql("duckdb")
    # the kept CTE is read by name, under its old name as alias (qualified columns still work)
    assert "FROM demo__lines AS lines)" in text
    assert "INNER JOIN demo__lines AS lines ON lines.person_id" in text
    assert text.startswith("WITH codes AS (SELECT DISTINCT code FROM ref_claim_codes), per_person")
    assert relations_read(final) == {"demo__lines", "ref_claim_codes"}


def test_the_claims_relations_need_no_steps() -> None:
    # The claims cells are small relations, one per step (sql/intermediate): none reads a CTE
    # over the lines twice, so Spark runs each file as written. The cut above stays the safety
    # net for a file that would (the one-file claims mart of before: 12 CTEs over the lines).
    chain = sorted(p.stem for p in (sql_root() / "intermediate").glob("int_claim_*.sql"))
    large = frozenset({"claim_lines", *chain})
    for name in [*(f"intermediate/{c}" for c in chain), "marts/claims_by_area"]:
        params = {k: v for k, v in SAMPLE.items() if k in query_parameters(name)}
        assert spark_query(name, params, large).steps == (), name


def test_a_null_parameter_outside_a_cast_is_refused() -> None:
    with pytest.raises(ValueError, match=r"\$coverage is null: write cast"):
        spark_query(
            "marts/claims_by_area",
            {"level": "ward", "level_id": 1, "coverage": None, "suppression": "off"},
        )
