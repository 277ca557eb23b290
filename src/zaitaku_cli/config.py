"""Settings and their precedence: CLI flag > ZAITAKU_* variable > zaitaku.toml > default."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from zaitaku_cli.errors import ConfigError

DEFAULT_WAREHOUSE = Path("data/zaitaku.duckdb")
DEFAULT_OUT_DIR = Path("data/processed")
CONFIG_FILE = Path("zaitaku.toml")


@dataclass(frozen=True)
class Settings:
    warehouse: Path
    out_dir: Path
    memory_limit: str


def _file_settings(config_file: Path) -> dict[str, object]:
    if not config_file.exists():
        return {}
    try:
        with config_file.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_file}: not valid TOML ({exc})") from exc
    section = data.get("zaitaku", data)
    return section if isinstance(section, dict) else {}


def resolve_settings(
    warehouse: Path | None = None,
    out_dir: Path | None = None,
    config_file: Path = CONFIG_FILE,
) -> Settings:
    """Resolve each setting in the documented order; the first one given wins."""
    file_values = _file_settings(config_file)

    def pick(flag: object, env: str, key: str, default: object) -> object:
        if flag is not None:
            return flag
        if os.environ.get(env):
            return os.environ[env]
        if key in file_values:
            return file_values[key]
        return default

    return Settings(
        warehouse=Path(str(pick(warehouse, "ZAITAKU_WAREHOUSE", "warehouse", DEFAULT_WAREHOUSE))),
        out_dir=Path(str(pick(out_dir, "ZAITAKU_OUT", "out_dir", DEFAULT_OUT_DIR))),
        # Bounded memory whatever the input size; DuckDB spills to disk beyond this.
        memory_limit=str(pick(None, "ZAITAKU_MEMORY_LIMIT", "memory_limit", "1GB")),
    )
