"""The help of every command and option in the run's language.

Typer takes help texts from docstrings and from the `typer.Option(help=…)` of annotations,
and reads them when it builds the command. `localize(app)` replaces each English text by its
catalogue entry first (cli/__init__ calls it at import, once the language is known), so the
commands keep plain English docstrings and the catalogue stays the one place of the Japanese.
Typer's own words (the panels' titles, "[default: …]", the --help option, "Usage:") are set
here too. `help_texts(app)` lists every text, for the test that each has an entry.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin

import typer
import typer.completion
import typer.core
import typer.rich_utils
from typer.models import CommandInfo, DefaultPlaceholder, ParameterInfo, TyperInfo

from zaitaku_cli.i18n import t

# Typer's module-level words, read when help or an error is shown.
_TYPER_WORDS = (
    "ARGUMENTS_PANEL_TITLE",
    "OPTIONS_PANEL_TITLE",
    "COMMANDS_PANEL_TITLE",
    "ERRORS_PANEL_TITLE",
    "ABORTED_TEXT",
    "DEFAULT_STRING",
    "ENVVAR_STRING",
    "REQUIRED_LONG_STRING",
    "DEPRECATED_STRING",
    "RICH_HELP",
)
HELP_OPTION_TEXT = "Show this message and exit."
USAGE_PREFIX = "Usage: "


@dataclass
class _Text:
    """One help text and how to put its translation in place."""

    text: str
    put: Callable[[str], None]


class _Localized:
    """The --help option and the usage line of a command in the run's language."""

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None and option.help == HELP_OPTION_TEXT:
            option.help = t(HELP_OPTION_TEXT)
        return option

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), t(USAGE_PREFIX))


class LocalizedCommand(_Localized, typer.core.TyperCommand):
    pass


class LocalizedGroup(_Localized, typer.core.TyperGroup):
    pass


def localize(app: typer.Typer) -> None:
    """Put the catalogue's texts in place of the English ones in `app` and in Typer itself."""
    for item in _walk(app):
        translated = t(item.text)
        if translated != item.text:
            item.put(translated)
    for name in _TYPER_WORDS:
        english = getattr(typer.rich_utils, name, None)
        if isinstance(english, str):
            setattr(typer.rich_utils, name, t(english))
    for param in inspect.signature(
        typer.completion._install_completion_placeholder_function
    ).parameters.values():
        if isinstance(param.default, ParameterInfo) and param.default.help:
            param.default.help = t(param.default.help)


def help_texts(app: typer.Typer) -> list[str]:
    """Every help text of `app` (and Typer's words it shows), in English: the catalogue's keys."""
    texts = [item.text for item in _walk(app)]
    texts += [getattr(typer.rich_utils, name) for name in _TYPER_WORDS]
    texts += [
        p.default.help
        for p in inspect.signature(
            typer.completion._install_completion_placeholder_function
        ).parameters.values()
        if isinstance(p.default, ParameterInfo) and p.default.help
    ]
    return [*texts, HELP_OPTION_TEXT, USAGE_PREFIX]


def _walk(app: typer.Typer, seen: set[int] | None = None) -> Iterator[_Text]:
    """The help texts of `app`, its groups, commands and parameters, each once."""
    seen = set() if seen is None else seen
    if app.info.cls is None or isinstance(app.info.cls, DefaultPlaceholder):
        app.info.cls = LocalizedGroup
    yield from _info_help(app.info)
    if app.registered_callback is not None:
        yield from _info_help(app.registered_callback)
        yield from _params(app.registered_callback.callback, seen)
    for group in app.registered_groups:
        yield from _info_help(group)
        if group.typer_instance is not None:
            yield from _walk(group.typer_instance, seen)
    for command in app.registered_commands:
        yield from _command_help(command)
        yield from _params(command.callback, seen)


def _info_help(info: TyperInfo) -> Iterator[_Text]:
    help_text = info.help
    if isinstance(help_text, str) and help_text:

        def put(text: str) -> None:
            info.help = text

        yield _Text(inspect.cleandoc(help_text), put)


def _command_help(command: CommandInfo) -> Iterator[_Text]:
    if command.cls is None:
        command.cls = LocalizedCommand
    help_text = command.help or inspect.getdoc(command.callback)
    if help_text:

        def put(text: str) -> None:
            command.help = text

        yield _Text(inspect.cleandoc(help_text), put)


def _params(callback: Any, seen: set[int]) -> Iterator[_Text]:
    if callback is None or isinstance(callback, DefaultPlaceholder):
        return
    for param in inspect.signature(callback, eval_str=True).parameters.values():
        infos = [param.default] if isinstance(param.default, ParameterInfo) else []
        if get_origin(param.annotation) is Annotated:
            infos += [a for a in get_args(param.annotation)[1:] if isinstance(a, ParameterInfo)]
        for info in infos:
            # shared option types (WarehouseOpt, …) are one object used by many commands
            if id(info) in seen or not info.help:
                continue
            seen.add(id(info))
            yield _Text(info.help, _setter(info))


def _setter(info: ParameterInfo) -> Callable[[str], None]:
    def put(text: str) -> None:
        info.help = text

    return put
