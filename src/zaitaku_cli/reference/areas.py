"""二次医療圏 (secondary medical areas) and their members, for `zaitaku reference areas`."""

from __future__ import annotations

from typing import Any

import polars as pl

from zaitaku_cli.choices import DEFAULT_PLAN
from zaitaku_cli.errors import ConfigError
from zaitaku_cli.reference import secondary_areas


def area_members(pref_code: str, plan: str = DEFAULT_PLAN) -> list[dict[str, Any]]:
    """Areas of one prefecture in plan order, each with its member municipalities and wards."""
    rows = secondary_areas().filter((pl.col("plan") == plan) & (pl.col("pref_code") == pref_code))
    if rows.is_empty():
        raise ConfigError(
            "no 二次医療圏 for 都道府県コード {pref!r} in the {plan} plan: use 01–47",
            pref=pref_code,
            plan=plan,
        )
    areas: dict[tuple[str, str], list[dict[str, str]]] = {}
    for r in rows.iter_rows(named=True):
        areas.setdefault((r["area_code"] or "", r["area_name"]), []).append(
            {"code5": r["code5"], "name": r["name"], "kind": r["kind"], "basis": r["basis"]}
        )
    return [
        {"area_code": code or None, "area_name": name, "members": members}
        for (code, name), members in areas.items()
    ]
