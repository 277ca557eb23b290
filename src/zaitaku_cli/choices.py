"""The choices an output is made of — area level, plan, period, snapshot, suppression — their
checks, and the name each combination gets, so that no two different exports share a path."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from zaitaku_cli.errors import ConfigError
from zaitaku_cli.i18n import join

LEVELS = ("municipality", "ward", "secondary-area", "prefecture")
PLANS = ("8th", "7th")
PERIODS = ("fiscal-year", "month")

DEFAULT_PLAN = "8th"
DEFAULT_PERIOD = "fiscal-year"


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
