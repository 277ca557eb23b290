"""The help of every command and option in the run's language.

Typer builds each click command from the docstring and the `typer.Option(help=…)` of the
annotations when the app runs. `localize(app)` (called by cli/__init__ at import, once the
language is known) makes every command and group of the app a Localized one, which puts the
catalogue's text in place of each English help text as it is built; the commands keep plain
English docstrings, and the catalogue stays the one place of the Japanese. Typer's own words
(the panels' titles, "[default: …]", the --help option, "Usage:") are set here too.
`help_texts(app)` lists every text, for the test that each has an entry.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from typing import Any

import rich._wrap
import rich.text
import typer
import typer.completion
import typer.core
import typer.main
import typer.rich_utils
from rich.cells import cell_len
from typer.models import DefaultPlaceholder, ParameterInfo

from zaitaku_cli.i18n import N_, language, stored, t

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
# Click's usage errors (exit 2) as Typer words them, translated as they are shown (`stored`
# fills a template from the English text); rarer ones stay English.
USAGE_ERRORS = (
    N_("No such option: {option}"),
    N_("No such option: {option} (Possible options: {options})"),
    N_("No such command {name}."),
    N_("No such command {name}. Did you mean {suggestion}?"),
    N_("Value error, {message}"),
    N_("Missing command."),
    N_("Missing argument {name}."),
    N_("Missing option {name}."),
    N_("Invalid value for {hint}: {message}"),
    N_("{value} is not one of {choices}."),
    N_("Path {path} does not exist."),
    N_("File {path} does not exist."),
    N_("file {path} does not exist."),
    N_("path {path} does not exist."),
    N_("Value {value} is not a valid {kind}."),
    N_("Option {option} requires an argument."),
    N_("Got unexpected extra argument(s) ({arguments})"),
)


class _Localized:
    """A command whose help, options' help, --help option and usage line are in the run's
    language."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _translate(self)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None and option.help == HELP_OPTION_TEXT:
            option.help = t(HELP_OPTION_TEXT)
        return option

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), t(USAGE_PREFIX))


def _translate(command: Any) -> None:
    """The help texts of one command as Typer made it: its own and its parameters'."""
    if command.help:
        command.help = t(command.help)
    if command.short_help:
        command.short_help = t(command.short_help)
    if getattr(command, "rich_help_panel", None):
        command.rich_help_panel = t(command.rich_help_panel)
    for param in command.params:
        if getattr(param, "help", None):
            param.help = t(param.help)


class LocalizedCommand(_Localized, typer.core.TyperCommand):
    pass


class LocalizedGroup(_Localized, typer.core.TyperGroup):
    pass


# Where Japanese text may break: Rich breaks lines at spaces only, so an unspaced Japanese
# sentence is one long "word" that a help table crops ("…"). In Japanese, each character is
# a word of its own, opening brackets held to the next and closing ones (、。）」) to the last;
# a run of other characters ends at Japanese punctuation ('$ZAITAKU_WAREHOUSE、zaitaku.toml、'
# is two words), and an opening bracket is never a word alone before one ('（spark.…）').
_CJK = "\u3000-\u303f\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff60"
_OPEN = "（「『【〔［〈《"
_CLOSE = ":;,.)!?、。，．）」』】〕］〉》！？：；ーぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ"
_JAPANESE_WORD = re.compile(
    rf"\s*(?:[{_OPEN}]*(?![{_OPEN}])[{_CJK}][{_CLOSE}]*"
    rf"|[{_OPEN}]*[^\s{_CJK}{_OPEN}]+[{_CLOSE}]*|\S)\s*"
)


def _rstrip_end_in_cells(self: rich.text.Text, size: int) -> None:
    """Rich's Text.rstrip_end measured in cells, not characters. Rich counts characters, so
    a line with Japanese (two cells a character) that a word fills exactly keeps the space
    after that word, one cell too wide, and the line is then cut with '…': the word is lost
    from the help (seen: 'Apache' shown as 'Apach…'). Same result for ASCII text."""
    excess = cell_len(self.plain) - size
    if excess > 0:
        trailing = len(self.plain) - len(self.plain.rstrip())
        if trailing:
            self.right_crop(min(trailing, excess))


def localize(app: typer.Typer) -> None:
    """Make `app`'s commands speak the run's language, and Typer's own words too."""
    _use_localized(app)
    # English help holds Japanese terms too (二次医療圏): both languages need the cell count
    rich.text.Text.rstrip_end = _rstrip_end_in_cells  # type: ignore[method-assign]
    if language() == "ja":
        rich._wrap.re_word = _JAPANESE_WORD
        typer.rich_utils.rich_format_error = _translated(typer.rich_utils.rich_format_error)
    for name in _TYPER_WORDS:
        english = getattr(typer.rich_utils, name, None)
        if isinstance(english, str):
            setattr(typer.rich_utils, name, t(english))
    for info in _completion_options():
        info.help = t(info.help or "")


def _translated(show: Any) -> Any:
    """Typer's printer of click's usage errors, showing the message in the run's language."""

    def rich_format_error(error: Any) -> None:
        english = error.format_message
        error.format_message = lambda: stored(english())
        show(error)

    return rich_format_error


def help_texts(app: typer.Typer) -> list[str]:
    """Every help text `app` shows (and Typer's words), in English: the catalogue's keys.

    Read from the commands Typer builds, so that nothing it shows is missed. Call it while the
    language is English (the test suite's)."""
    texts = list(_command_texts(typer.main.get_command(app)))
    texts += [getattr(typer.rich_utils, name) for name in _TYPER_WORDS]
    texts += [info.help for info in _completion_options() if info.help]
    return [*texts, HELP_OPTION_TEXT, USAGE_PREFIX]


def _use_localized(app: typer.Typer) -> None:
    app.info.cls = _localized(app.info.cls, LocalizedGroup)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            _use_localized(group.typer_instance)
    for command in app.registered_commands:
        command.cls = _localized(command.cls, LocalizedCommand)


def _localized(cls: Any, default: type) -> type:
    """The class to build a command with: Typer's own → `default`; a class of the app's own
    (ingest's IngestGroup) → the same with the localized help."""
    if cls is None or isinstance(cls, DefaultPlaceholder):
        return default
    if cls in (typer.core.TyperCommand, typer.core.TyperGroup):
        return default
    if issubclass(cls, _Localized):
        return cls
    return type(f"Localized{cls.__name__}", (_Localized, cls), {})


def _command_texts(command: Any) -> Iterator[str]:
    if command.help:
        yield command.help
    if getattr(command, "rich_help_panel", None):
        yield command.rich_help_panel
    for param in command.params:
        if getattr(param, "help", None):
            yield param.help
    for sub in getattr(command, "commands", {}).values():
        yield from _command_texts(sub)


def _completion_options() -> list[ParameterInfo]:
    """--install-completion and --show-completion: Typer's defaults, one object each."""
    signature = inspect.signature(typer.completion._install_completion_placeholder_function)
    return [
        p.default for p in signature.parameters.values() if isinstance(p.default, ParameterInfo)
    ]
