"""`zaitaku reference …` and `zaitaku demo …`: packaged reference data and sample inputs."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from zaitaku_cli.choices import DEFAULT_PLAN_OPTION, Plan
from zaitaku_cli.cli.common import (
    JsonOpt,
    WarehouseOpt,
    handles_errors,
    open_warehouse,
    parse_date_option,
)
from zaitaku_cli.config import resolve_settings
from zaitaku_cli.console import Output, frame_table
from zaitaku_cli.i18n import N_, t
from zaitaku_cli.warehouse import Warehouse

reference_app = typer.Typer(help="Packaged reference data: areas, codes, 受理記号.")
demo_app = typer.Typer(help="Write realistic synthetic sample inputs.")


@reference_app.command("areas")
@handles_errors
def reference_areas_cmd(
    pref: Annotated[str, typer.Option("--pref", help="都道府県コード, e.g. 03.")],
    plan: Annotated[Plan, typer.Option("--plan", help="Medical plan.")] = DEFAULT_PLAN_OPTION,
    as_json: JsonOpt = False,
) -> None:
    """List a prefecture's 二次医療圏 and their member municipalities (and 政令市 wards)."""
    from zaitaku_cli.reference.areas import area_members

    out = Output(as_json=as_json)
    areas = area_members(pref.zfill(2), plan.value)
    if as_json:
        out.json(areas)
        return
    out.print(
        frame_table(
            t(
                "二次医療圏 ({plan} plan), 都道府県コード {pref}",
                plan=plan.value,
                pref=pref.zfill(2),
            ),
            [t("area_code"), t("area_name"), t("members"), t("municipalities")],
            [
                (
                    a["area_code"],
                    a["area_name"],
                    len(a["members"]),
                    "、".join(m["name"] for m in a["members"]),
                )
                for a in areas
            ],
        )
    )


@reference_app.command("codes")
@handles_errors
def reference_codes_cmd(
    indicator: Annotated[
        str | None, typer.Option("--indicator", help="Only this indicator, e.g. houmon_shinryo.")
    ] = None,
    warehouse: WarehouseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List the 診療行為コード → indicator table (packaged codes plus codes you added)."""
    from zaitaku_cli.claim_codes import list_codes, packaged_codes

    out = Output(as_json=as_json)
    if resolve_settings(warehouse=warehouse).warehouse.exists():
        with open_warehouse(warehouse, must_exist=True) as wh:
            codes = list_codes(wh)
    else:
        # Listing creates no warehouse: without one, there are only the packaged codes.
        codes = packaged_codes()
    if indicator:
        codes = codes.filter(codes["indicator"] == indicator)
    if as_json:
        out.json(codes.to_dicts())
        return
    cols = [N_("code"), N_("kubun"), N_("indicator"), N_("name")]
    out.print(
        frame_table(
            t("Claim codes ({count})", count=codes.height),
            [t(c) for c in cols],
            codes.select(cols).rows(),
        )
    )


@reference_app.command("update-codes")
@handles_errors
def reference_update_codes_cmd(
    master: Annotated[
        Path,
        typer.Argument(
            help="支払基金 医科診療行為マスター (e.g. s_ALL20260605.csv, CP932, no header).",
            exists=True,
            dir_okay=False,
        ),
    ],
    apply: Annotated[
        bool, typer.Option("--apply", help="Add the suggested codes to the warehouse's code table.")
    ] = False,
    warehouse: WarehouseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Report home-care codes (C000–C005, C007, A206, A246, B004–B007-2) the table does not map."""
    from zaitaku_cli.claim_codes import apply_additions, find_unmapped_home_care_codes, read_master

    out = Output(as_json=as_json)
    exists = resolve_settings(warehouse=warehouse).warehouse.exists()
    if apply or exists:
        with open_warehouse(warehouse, must_exist=not apply) as wh:
            found = find_unmapped_home_care_codes(wh, read_master(master))
            added = apply_additions(wh, found) if apply and found.height else 0
    else:
        # A report only: compare with the packaged table in a throw-away warehouse, so that a
        # look at a new master never creates one where the analyst did not ask for it.
        with (
            tempfile.TemporaryDirectory() as scratch,
            Warehouse(Path(scratch) / "codes.duckdb") as wh,
        ):
            found = find_unmapped_home_care_codes(wh, read_master(master))
        added = 0
    if as_json:
        out.json({"unmapped": found.to_dicts(), "added": added})
        return
    names = (N_("code"), N_("kubun"), N_("name"), N_("suggested_indicator"))
    cols = [c for c in names if c in found.columns]
    out.print(
        frame_table(
            t("Home-care codes not in the table ({count})", count=found.height),
            [t(c) for c in cols],
            found.select(cols).rows(),
        )
    )
    if apply:
        out.print(t("Added {count} codes to the warehouse code table.", count=added))
    elif found.height:
        out.print(t("Review the suggestions, then run again with --apply to add them."))


@demo_app.command("claims")
@handles_errors
def demo_claims_cmd(
    rows: Annotated[int, typer.Option("--rows", min=1, help="Number of claim lines.")],
    out_file: Annotated[Path, typer.Option("--out", help="CSV file to write (CP932).")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same file).")] = 0,
    facilities_from: Annotated[
        Path | None,
        typer.Option(
            "--facilities-from",
            help="Bureau list whose facilities bill the claims, so the facility basis joins.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Write a realistic, deterministic synthetic KDB-style extract."""
    from zaitaku_cli.demo.claims_extract import write_claims_extract

    codes = None
    if facilities_from is not None:
        from zaitaku_cli.readers.bureau_list import facility_codes_in

        codes = facility_codes_in(facilities_from)
    path = write_claims_extract(out_file, rows=rows, seed=seed, facility_codes=codes)
    Output().print(t("Wrote {rows:,} claim lines to {path}", rows=rows, path=path))


@demo_app.command("facilities")
@handles_errors
def demo_facilities_cmd(
    out_file: Annotated[Path, typer.Option("--out", help=".xlsx file to write.")],
    rows: Annotated[
        int | None, typer.Option("--rows", min=1, help="Approximate number of rows.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    as_of: Annotated[
        str, typer.Option("--as-of", help="List date in the title row.")
    ] = "2025-10-01",
) -> None:
    """Write a realistic synthetic bureau workbook (real layout: title row, 24 columns)."""
    from zaitaku_cli.demo.bureau_workbook import write_bureau_workbook

    day = parse_date_option(as_of)
    assert day is not None
    path = write_bureau_workbook(out_file, as_of=day, rows=rows, seed=seed)
    Output().print(t("Wrote {path}", path=path))
