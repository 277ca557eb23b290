"""Settings and their precedence: CLI flag > ZAITAKU_* variable > zaitaku.toml > default.

zaitaku.toml holds its settings at the top level or under [zaitaku], and the nightly job's in
[refresh] tables. Every key is checked against CONFIG_KEYS: a misspelt key is refused (with the
known key it is nearest to), never ignored, since an ignored `warehose = …` would quietly send
a cron job's data elsewhere. Relative paths written in a zaitaku.toml are read from the folder
that holds it (the working directory for ./zaitaku.toml), so that `zaitaku refresh --config
/srv/zaitaku/zaitaku.toml` means the same from cron as from an analyst's shell.
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

from zaitaku_cli.choices import DEFAULT_PERIOD, DEFAULT_PLAN, LEVELS, PERIODS, PLANS
from zaitaku_cli.errors import ConfigError
from zaitaku_cli.i18n import N_, join, t
from zaitaku_cli.pref_codes import is_pref_code

DEFAULT_WAREHOUSE = Path("data/zaitaku.duckdb")
DEFAULT_OUT_DIR = Path("data/processed")
DEFAULT_MEMORY_LIMIT = "1GB"
CONFIG_FILE = Path("zaitaku.toml")

# -- zaitaku refresh ----------------------------------------------------------------------------
# The [refresh] tables of zaitaku.toml have their own schema here, every known key with what it
# takes; unknown keys are refused with the nearest known one. (To be folded into a table of all
# of zaitaku.toml's keys when there is one.)
#
# Precedence for refresh: --config > $ZAITAKU_CONFIG > ./zaitaku.toml; --warehouse, --out, --log
# and memory_limit as for every command (resolve_settings, over that file); everything else
# comes from the file or the defaults below.

INPUT_KINDS = (
    "facilities",
    "facility-counts",
    "claims",
    "population",
    "enrolment",
    "survey",
    "hubs",
)
OVERLAP_RULES = ("refuse", "replace")
CSV_ENCODINGS = ("utf-8-sig", "utf-8", "cp932")
CLAIMS_ENCODINGS = ("auto", "cp932", "utf-8")
# Files a refresh never takes for inputs: hidden files, Excel's lock files (~$名簿.xlsx) and
# files still being copied in under a temporary name.
DEFAULT_IGNORE = (".*", "~$*", "*.tmp", "*.part", "*.partial", "*.crdownload")

# Shaped like a table of zaitaku.toml's keys: a key maps to the type(s) of its value, a table
# ([refresh.inputs]) to a dict of its own keys.
REFRESH_KEYS: dict[str, Any] = {
    "inputs": {
        "drop": str,  # a folder of files of every kind, recognised by their content
        **dict.fromkeys(INPUT_KINDS, str),  # a folder per kind
        "ignore": list,  # file name patterns to leave alone, e.g. ["*.pdf"]
    },
    "claims": {
        "overlap": str,  # refuse | replace: months already loaded from another file
        "mapping": str,  # a --mapping TOML file for the extracts' headers
        "encoding": str,  # auto | cp932 | utf-8
        "max_reject_rate": (float, int),  # a share from 0 to 1
    },
    "facility-counts": {"pref": (str, int)},  # the 都道府県コード of the count tables
    "export": {
        "levels": list,
        "plans": list,
        "periods": list,
        "suppress": bool,
        "csv_encoding": str,
    },
}

# What zaitaku.toml may hold, in one place. A key maps to the type(s) its value must have; a
# section (a TOML table, [name]) maps to a dict of its own keys, nested as deep as needed.
# A new setting is a new line here (and its place in resolve_settings).
CONFIG_KEYS: dict[str, Any] = {
    "warehouse": str,
    "out_dir": str,
    "memory_limit": str,
    "log": str,
    "refresh": REFRESH_KEYS,
}

_TYPE_NAMES = {
    str: N_("text in quotes"),
    int: N_("a whole number"),
    float: N_("a number"),
    bool: N_("true or false"),
    list: N_("a list"),
}
# Keys whose values are paths, read relative to the config file's folder.
_PATH_KEYS = frozenset({"warehouse", "out_dir", "log"})

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


def _load_toml(config_file: Path) -> dict[str, Any]:
    if not config_file.exists():
        return {}
    try:
        with config_file.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            "{file}: not valid TOML ({reason})", file=config_file, reason=exc
        ) from exc


def _file_settings(config_file: Path) -> dict[str, Any]:
    data = _load_toml(config_file)
    section = data
    if isinstance(data.get("zaitaku"), dict):
        # [refresh] tables sit beside [zaitaku]: they are the job's, not general settings
        outside = sorted(k for k in data if k not in ("zaitaku", "refresh"))
        if outside:
            raise ConfigError(
                "{file}: settings both under [zaitaku] and outside it ({keys}): put them all in "
                "one place",
                file=config_file,
                keys=join(outside),
            )
        section = {**data["zaitaku"], **{k: v for k, v in data.items() if k == "refresh"}}
    check_config_keys(section, CONFIG_KEYS, file=config_file)
    return section


def _from_file(config_file: Path, value: object) -> Path:
    return config_file.parent / str(value)


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
            value = file_values[name]
            return _from_file(config_file, value) if name in _PATH_KEYS else value
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


@dataclass(frozen=True)
class RefreshSettings:
    """Everything `zaitaku refresh` does, resolved; paths are ready to use."""

    config_file: Path
    warehouse: Path
    out_dir: Path
    memory_limit: str
    log: Path | None
    drop: Path | None
    folders: dict[str, Path]  # kind → folder
    ignore: tuple[str, ...]
    overlap: str
    claims_mapping: Path | None
    claims_encoding: str
    max_reject_rate: float
    pref: str | None
    levels: tuple[str, ...]
    plans: tuple[str, ...]
    periods: tuple[str, ...]
    suppress: bool
    csv_encoding: str


def _choices(
    config_file: Path, table: str, key: str, values: object, allowed: tuple[str, ...]
) -> tuple[str, ...]:
    listed = [values] if isinstance(values, str) else values
    if not isinstance(listed, list) or not listed:
        raise ConfigError(
            "{file}: [{table}] {key} must be a list of {allowed}",
            file=config_file,
            table=table,
            key=key,
            allowed=join(allowed),
        )
    for value in listed:
        if value not in allowed:
            raise ConfigError(
                "{file}: [{table}] {key}: {value!r} is not one of {allowed}",
                file=config_file,
                table=table,
                key=key,
                value=value,
                allowed=join(allowed),
            )
    return tuple(dict.fromkeys(listed))


def _one_of(
    config_file: Path, table: str, key: str, value: object, allowed: tuple[str, ...]
) -> str:
    if value not in allowed:
        raise ConfigError(
            "{file}: [{table}] {key} must be one of {allowed}, not {value!r}",
            file=config_file,
            table=table,
            key=key,
            allowed=join(allowed),
            value=value,
        )
    return str(value)


def _folder(config_file: Path, table: str, key: str, value: object) -> Path:
    if not isinstance(value, str) or not value:
        raise ConfigError(
            "{file}: [{table}] {key} must be a folder path", file=config_file, table=table, key=key
        )
    folder = _from_file(config_file, value)
    if not folder.is_dir():
        raise ConfigError(
            "{file}: [{table}] {key} = {value!r}: no such folder ({folder}; relative "
            "paths are read from the folder of the config file)",
            file=config_file,
            table=table,
            key=key,
            value=value,
            folder=folder,
        )
    return folder


def resolve_refresh_settings(
    *,
    config: Path | None = None,
    warehouse: Path | None = None,
    out_dir: Path | None = None,
    log: Path | None = None,
) -> RefreshSettings:
    """Read and check the refresh configuration; ConfigError names the file, table and key."""
    config_file = config or Path(os.environ.get("ZAITAKU_CONFIG") or CONFIG_FILE)
    if not config_file.is_file():
        raise ConfigError(
            "no configuration file {file}: pass --config FILE or set $ZAITAKU_CONFIG "
            "(see examples/zaitaku.example.toml)",
            file=config_file,
        )
    # every key of the file is checked there, [refresh] tables included
    refresh = _file_settings(config_file).get("refresh")
    if refresh is None:
        raise ConfigError(
            "{file}: no [refresh] table: refresh needs [refresh.inputs] folders", file=config_file
        )
    inputs = refresh.get("inputs", {})
    claims = refresh.get("claims", {})
    counts = refresh.get("facility-counts", {})
    export = refresh.get("export", {})

    folders = {
        kind: _folder(config_file, "refresh.inputs", kind, inputs[kind])
        for kind in INPUT_KINDS
        if kind in inputs
    }
    drop = (
        _folder(config_file, "refresh.inputs", "drop", inputs["drop"]) if "drop" in inputs else None
    )
    if drop is None and not folders:
        raise ConfigError(
            '{file}: [refresh.inputs] names no folder: give drop = "…" (files of every '
            "kind) or one of {kinds}",
            file=config_file,
            kinds=join(INPUT_KINDS),
        )
    every = [drop, *folders.values()] if drop else list(folders.values())
    if len({p.resolve() for p in every}) < len(every):
        raise ConfigError("{file}: [refresh.inputs] names the same folder twice", file=config_file)
    ignore = inputs.get("ignore", [])
    if not all(isinstance(p, str) for p in ignore):
        raise ConfigError(
            "{file}: [refresh.inputs] ignore must be a list of patterns", file=config_file
        )

    mapping = claims.get("mapping")
    claims_mapping = None
    if mapping is not None:
        claims_mapping = _from_file(config_file, mapping)
        if not claims_mapping.is_file():
            raise ConfigError(
                "{file}: [refresh.claims] mapping: no file {mapping}",
                file=config_file,
                mapping=claims_mapping,
            )
    rate = claims.get("max_reject_rate", 0.01)
    if not 0 <= rate <= 1:
        raise ConfigError(
            "{file}: [refresh.claims] max_reject_rate must be from 0 to 1", file=config_file
        )

    pref = counts.get("pref")
    if pref is not None:
        pref = f"{pref:02d}" if isinstance(pref, int) and not isinstance(pref, bool) else pref
        if not is_pref_code(pref):
            raise ConfigError(
                "{file}: [refresh.facility-counts] pref must be a 都道府県コード 01–47",
                file=config_file,
            )

    suppress = export.get("suppress", True)

    base = resolve_settings(warehouse=warehouse, out_dir=out_dir, config_file=config_file, log=log)
    return RefreshSettings(
        config_file=config_file,
        warehouse=base.warehouse,
        out_dir=base.out_dir,
        memory_limit=base.memory_limit,
        log=base.log,
        drop=drop,
        folders=folders,
        ignore=(*DEFAULT_IGNORE, *ignore),
        overlap=_one_of(
            config_file, "refresh.claims", "overlap", claims.get("overlap", "refuse"), OVERLAP_RULES
        ),
        claims_mapping=claims_mapping,
        claims_encoding=_one_of(
            config_file,
            "refresh.claims",
            "encoding",
            claims.get("encoding", "auto"),
            CLAIMS_ENCODINGS,
        ),
        max_reject_rate=float(rate),
        pref=pref,
        levels=_choices(
            config_file, "refresh.export", "levels", export.get("levels", list(LEVELS)), LEVELS
        ),
        plans=_choices(
            config_file, "refresh.export", "plans", export.get("plans", [DEFAULT_PLAN]), PLANS
        ),
        periods=_choices(
            config_file,
            "refresh.export",
            "periods",
            export.get("periods", [DEFAULT_PERIOD]),
            PERIODS,
        ),
        suppress=suppress,
        csv_encoding=_one_of(
            config_file,
            "refresh.export",
            "csv_encoding",
            export.get("csv_encoding", "utf-8-sig"),
            CSV_ENCODINGS,
        ),
    )
