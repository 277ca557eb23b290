"""Settings and their precedence: CLI flag > ZAITAKU_* variable > zaitaku.toml > default.

zaitaku.toml holds its settings at the top level or under [zaitaku]. Every key is checked
against CONFIG_KEYS: a misspelt key is refused (with the known key it is nearest to), never
ignored, since an ignored `warehose = …` would quietly send a cron job's data elsewhere.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zaitaku_cli.errors import ConfigError
from zaitaku_cli.i18n import N_, join, t

DEFAULT_WAREHOUSE = Path("data/zaitaku.duckdb")
DEFAULT_OUT_DIR = Path("data/processed")
DEFAULT_MEMORY_LIMIT = "1GB"
CONFIG_FILE = Path("zaitaku.toml")

# What zaitaku.toml may hold, in one place. A key maps to the type(s) its value must have; a
# section (a TOML table, [name]) maps to a dict of its own keys, nested as deep as needed.
# A new setting is a new line here (and its place in resolve_settings).
CONFIG_KEYS: dict[str, Any] = {
    "warehouse": str,
    "out_dir": str,
    "memory_limit": str,
    "log": str,
}

_TYPE_NAMES = {
    str: N_("text in quotes"),
    int: N_("a whole number"),
    bool: N_("true or false"),
    list: N_("a list"),
}

# DuckDB's memory_limit: a number and a unit (it also takes KiB…TiB).
_MEMORY_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Settings:
    warehouse: Path
    out_dir: Path
    memory_limit: str
    log: Path | None = None
    # where each setting came from: "--warehouse", "ZAITAKU_WAREHOUSE", "zaitaku.toml: warehouse"
    # or "default", for messages that name it
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)


def check_config_keys(
    values: Mapping[str, Any], schema: Mapping[str, Any], *, file: Path, section: str = ""
) -> None:
    """Refuse a key `schema` does not know (naming the nearest known one) or a value of the
    wrong type; sections are checked against their own part of the schema."""
    for key, value in values.items():
        where = f"{section}.{key}" if section else key
        if key not in schema:
            near = difflib.get_close_matches(key, list(schema), n=1, cutoff=0.6)
            suggestion = (
                t("did you mean '{key}'? ", key=f"{section + '.' if section else ''}{near[0]}")
                if near
                else ""
            )
            listed = (
                t("Known in [{section}]: {keys}", section=section, keys=join(sorted(schema)))
                if section
                else t("Known at the top level: {keys}", keys=join(sorted(schema)))
            )
            raise ConfigError(
                "{file}: unknown setting '{key}' — {suggestion}{known}",
                file=file,
                key=where,
                suggestion=suggestion,
                known=listed,
            )
        expected = schema[key]
        if isinstance(expected, Mapping):
            if not isinstance(value, dict):
                raise ConfigError(
                    "{file}: '{key}' must be a section, written [{key}]", file=file, key=where
                )
            check_config_keys(value, expected, file=file, section=where)
            continue
        types = expected if isinstance(expected, tuple) else (expected,)
        # TOML's true is a Python bool, which is an int too: only accept it where bool is meant
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            wanted = t(" or ").join(t(_TYPE_NAMES.get(kind, kind.__name__)) for kind in types)
            raise ConfigError(
                "{file}: '{key}' must be {wanted}, not {value!r}",
                file=file,
                key=where,
                wanted=wanted,
                value=value,
            )


def _file_settings(config_file: Path) -> dict[str, Any]:
    if not config_file.exists():
        return {}
    try:
        with config_file.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            "{file}: not valid TOML ({reason})", file=config_file, reason=exc
        ) from exc
    section = data
    if isinstance(data.get("zaitaku"), dict):
        outside = sorted(k for k in data if k != "zaitaku")
        if outside:
            raise ConfigError(
                "{file}: settings both under [zaitaku] and outside it ({keys}): put them all in "
                "one place",
                file=config_file,
                keys=join(outside),
            )
        section = data["zaitaku"]
    check_config_keys(section, CONFIG_KEYS, file=config_file)
    return section


def memory_limit(value: str, source: str) -> str:
    """A DuckDB memory limit such as 2GB or 512MB, checked here so that a typo is named with
    the setting it came from, not met later as a DuckDB parser error."""
    found = _MEMORY_SIZE.match(value)
    if not found:
        raise ConfigError(
            "{source}: {value!r} is not a memory size — write a number and a unit, "
            "e.g. 2GB or 512MB (KB, MB, GB, TB; or KiB, MiB, GiB, TiB)",
            source=source,
            value=value,
        )
    number, unit = found.groups()
    unit = unit[0].upper() + unit[1:-1].lower() + "B"  # gib → GiB, mb → MB
    return f"{number}{unit}"


def resolve_settings(
    warehouse: Path | None = None,
    out_dir: Path | None = None,
    config_file: Path = CONFIG_FILE,
    log: Path | None = None,
) -> Settings:
    """Resolve each setting in the documented order; the first one given wins."""
    file_values = _file_settings(config_file)
    sources: dict[str, str] = {}

    def pick(name: str, flag: object, option: str, env: str, default: object) -> object:
        if flag is not None:
            sources[name] = option
            return flag
        if os.environ.get(env):
            sources[name] = env
            return os.environ[env]
        if name in file_values:
            sources[name] = f"{config_file}: {name}"
            return file_values[name]
        sources[name] = "default"
        return default

    chosen_log = pick("log", log, "--log", "ZAITAKU_LOG", None)
    limit = pick("memory_limit", None, "", "ZAITAKU_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)
    return Settings(
        warehouse=Path(
            str(pick("warehouse", warehouse, "--warehouse", "ZAITAKU_WAREHOUSE", DEFAULT_WAREHOUSE))
        ),
        out_dir=Path(str(pick("out_dir", out_dir, "--out", "ZAITAKU_OUT", DEFAULT_OUT_DIR))),
        # Bounded memory whatever the input size; DuckDB spills to disk beyond this.
        memory_limit=memory_limit(str(limit), sources["memory_limit"]),
        log=Path(str(chosen_log)) if chosen_log is not None else None,
        sources=sources,
    )
