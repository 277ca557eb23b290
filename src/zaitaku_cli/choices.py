"""The choices an output is made of — area level, plan, period, snapshot, suppression — their
checks, their Japanese names, and the name each combination gets, so that no two different
exports share a path. The one place that lists the levels, plans and periods: the CLI's choices
(the enums) and every check derive from here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from zaitaku_cli.errors import ConfigError
from zaitaku_cli.i18n import N_, join


class Level(StrEnum):
    """Area level (--by): the Japanese names are labels.csv's area_level; N_ puts the codes in
    the message catalogue, as titles name them (t(level))."""

    municipality = N_("municipality")
    ward = N_("ward")
    secondary_area = N_("secondary-area")
    prefecture = N_("prefecture")


class ReportLevel(StrEnum):
    """The levels a report is made at (--level of zaitaku report)."""

    secondary_area = Level.secondary_area.value
    municipality = Level.municipality.value
    prefecture = Level.prefecture.value


class Plan(StrEnum):
    """Medical plan (医療計画) whose 二次医療圏 an output uses (--plan)."""

    eighth = "8th"
    seventh = "7th"


class Period(StrEnum):
    """Period of the claims figures (--period)."""

    fiscal_year = "fiscal-year"
    month = "month"


LEVELS: tuple[str, ...] = tuple(level.value for level in Level)
PLANS: tuple[str, ...] = tuple(plan.value for plan in Plan)
PERIODS: tuple[str, ...] = tuple(period.value for period in Period)

# The defaults, as the CLI's options take them and as text for the core functions.
DEFAULT_PLAN_OPTION = Plan.eighth
DEFAULT_PERIOD_OPTION = Period.fiscal_year
DEFAULT_REPORT_LEVEL_OPTION = ReportLevel.secondary_area
DEFAULT_PLAN: str = DEFAULT_PLAN_OPTION.value
DEFAULT_PERIOD: str = DEFAULT_PERIOD_OPTION.value
DEFAULT_REPORT_LEVEL: str = DEFAULT_REPORT_LEVEL_OPTION.value

PLAN_JA = {Plan.eighth.value: "第8次医療計画", Plan.seventh.value: "第7次医療計画"}
PERIOD_JA = {Period.fiscal_year.value: "年度（4月〜翌3月）", Period.month.value: "月"}


def check_choice(option: str, value: str, choices: tuple[str, ...]) -> None:
    """Raise ConfigError naming the option and its choices when `value` is not one of them."""
    if value not in choices:
        raise ConfigError(
            "{option} must be one of {choices}, not {value!r}",
            option=option,
            choices=join(choices),
            value=value,
        )


def level_key(level: str) -> str:
    """secondary_area: file and folder names use underscores where the CLI uses hyphens."""
    return level.replace("-", "_")


@dataclass(frozen=True)
class ExportChoice:
    """Everything that makes one export differ from another.

    The defaults (8th plan, fiscal years, latest lists, suppression on) give the plain name
    (`municipality`); every other choice adds a part to it (`municipality_7th_monthly_internal`),
    so an internal or differently cut export can never overwrite the public one.
    """

    level: str
    plan: str = DEFAULT_PLAN
    period: str = DEFAULT_PERIOD
    as_of: date | None = None
    suppress: bool = True
    min_facilities: int | None = None

    def __post_init__(self) -> None:
        check_choice("--by", self.level, LEVELS)
        check_choice("--plan", self.plan, PLANS)
        check_choice("--period", self.period, PERIODS)
        if self.min_facilities is not None and self.min_facilities < 1:
            raise ConfigError(
                "--min-facilities must be 1 or more, not {value}", value=self.min_facilities
            )

    @property
    def suffix(self) -> str:
        parts = []
        if self.plan != DEFAULT_PLAN:
            parts.append(self.plan)
        if self.period == "month":
            parts.append("monthly")
        if self.as_of is not None:
            parts.append(f"asof{self.as_of:%Y%m%d}")
        if self.min_facilities is not None and self.min_facilities > 1:
            parts.append(f"minfac{self.min_facilities}")
        if not self.suppress:
            # an unsuppressed file must say so in its own name, even when copied out alone
            parts.append("internal")
        return "".join(f"_{p}" for p in parts)

    @property
    def set_name(self) -> str:
        """The output folder of this export, e.g. `secondary_area_7th`."""
        return level_key(self.level) + self.suffix

    def stem(self, kind: str) -> str:
        """The file stem of one output, e.g. `claims_by_municipality_monthly`."""
        return f"{kind}_by_{level_key(self.level)}{self.suffix}"

    @property
    def workbook_name(self) -> str:
        """The Excel workbook of this export (`--xlsx`), e.g. `municipality_monthly.xlsx`."""
        return f"{self.set_name}.xlsx"

    @property
    def manifest_name(self) -> str:
        return f"manifest_{self.set_name}.json"
