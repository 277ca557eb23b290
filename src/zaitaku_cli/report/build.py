"""`zaitaku report`: one self-contained HTML page (and PNGs of its charts) for one prefecture.

The page holds everything inline — styles, charts as SVG — and loads nothing: no script, no
font, no image from anywhere, so it opens on a PC of a closed local-government network and can
be mailed as one file. The template is a file (templates/report.html.j2) rendered by Jinja2
with autoescaping; only the SVG that matplotlib wrote is inserted as markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from zaitaku_cli import __version__
from zaitaku_cli.choices import (
    DEFAULT_PLAN,
    DEFAULT_REPORT_LEVEL,
    LEVELS,
    PLAN_JA,
    PLANS,
    check_choice,
)
from zaitaku_cli.errors import ConfigError
from zaitaku_cli.export import atomic_path
from zaitaku_cli.i18n import t
from zaitaku_cli.output_metadata import (
    COVERAGE,
    COVERAGE_NOTE_JA,
    REPORT_CHARTS_NOTE_JA,
    SUPPRESSION_RULE_JA,
)
from zaitaku_cli.report import charts
from zaitaku_cli.report.data import load_report_data
from zaitaku_cli.report.sections import SECTION_BUILDERS, Section, level_name_ja
from zaitaku_cli.warehouse import Warehouse

TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class ReportResult:
    path: Path
    pref_code: str
    pref_name: str
    level: str
    pngs: list[Path] = field(default_factory=list)
    sections: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    size: int = 0


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def _sources(wh: Warehouse, pref_code: str) -> list[dict[str, Any]]:
    """The ingested files the page is made from: those of this prefecture, and claims files
    (their prefectures are those of the patients, known only after aggregation)."""
    rows = []
    for r in wh.ingests():
        prefs = str(r.get("pref_codes") or "")
        if r["kind"] == "claims" or pref_code in prefs.replace(" ", "").split(","):
            rows.append(
                {
                    "kind": {
                        "facilities": "届出受理医療機関名簿",
                        "facility_counts": "県の集計表",
                        "claims": "KDB レセプト抽出",
                        "survey": "県の医療機関調査",
                        "hubs": "連携拠点の一覧",
                    }.get(str(r["kind"]), str(r["kind"])),
                    "file": Path(str(r["file_name"])).name,
                    "as_of": r["as_of"].isoformat() if r["as_of"] else "",
                    "rows": r["rows_loaded"],
                    "sha256": str(r["sha256"])[:12],
                }
            )
    return rows


def build_sections(
    wh: Warehouse, *, pref_code: str, level: str, plan: str
) -> tuple[Any, list[Section]]:
    data = load_report_data(wh, pref_code=pref_code, level=level, plan=plan)
    return data, [build(data) for build in SECTION_BUILDERS]


def write_report(
    wh: Warehouse,
    *,
    pref_code: str,
    out: Path,
    level: str = DEFAULT_REPORT_LEVEL,
    plan: str = DEFAULT_PLAN,
    png_dir: Path | None = None,
    now: datetime | None = None,
) -> ReportResult:
    """Write the report of `pref_code` to `out` (atomically) and, with `png_dir`, each chart as
    a PNG there. Suppression is always on: the page is for publication."""
    pref_code = pref_code.zfill(2) if pref_code.isdigit() else pref_code
    check_choice("--level", level, LEVELS)
    check_choice("--plan", plan, PLANS)
    if out.suffix.lower() not in {".html", ".htm"}:
        raise ConfigError("--out {out}: the report is an HTML file, name it …/report.html", out=out)
    data, sections = build_sections(wh, pref_code=pref_code, level=level, plan=plan)
    generated = (now or datetime.now()).strftime("%Y年%-m月%-d日 %H:%M")
    as_of = data.facility_source[1]
    as_of_ja = f"{int(as_of[:4])}年{int(as_of[5:7])}月{int(as_of[8:10])}日" if as_of else ""
    html = (
        _environment()
        .get_template("report.html.j2")
        .render(
            title=f"{data.pref_name} 在宅医療の需給の状況",
            pref_name=data.pref_name,
            pref_code=data.pref_code,
            level_ja=level_name_ja(level),
            plan_ja=PLAN_JA[plan],
            sections=sections,
            coverage=COVERAGE,
            coverage_ja=COVERAGE_NOTE_JA,
            suppression_ja=SUPPRESSION_RULE_JA + REPORT_CHARTS_NOTE_JA,
            sources=_sources(wh, data.pref_code),
            generated=generated,
            version=__version__,
            facility_as_of=as_of_ja,
            css=(TEMPLATES / "report.css").read_text(encoding="utf-8"),
        )
    )
    with atomic_path(out) as tmp:
        tmp.write_text(html, encoding="utf-8")
    result = ReportResult(
        path=out,
        pref_code=data.pref_code,
        pref_name=data.pref_name,
        level=level,
        warnings=data.warnings,
        size=len(html.encode("utf-8")),
    )
    every_chart = [c for s in sections for c in s.charts]
    if png_dir is not None:
        result.pngs = charts.save_pngs(every_chart, png_dir)
    result.sections = [
        {
            "id": s.section_id,
            "title": s.title,
            "charts": [c.chart_id for c in s.charts],
            "not_available": s.unavailable,
        }
        for s in sections
    ]
    for s in sections:
        if s.unavailable:
            result.warnings.append(
                t(
                    "section {title!r} not available: {reason}",
                    title=s.title,
                    reason=s.unavailable,
                )
            )
    return result
