"""Messages in the analyst's language: the English text in the code is the key, and one
catalogue (messages/ja.toml) holds its Japanese. `t()` renders a message in this run's language.

The language is decided once per process, from the environment: ZAITAKU_LANG (ja / en) first,
then the POSIX locale (LANGUAGE, LC_ALL, LC_MESSAGES, LANG, as gettext reads them), then, on
Windows, the user's display language. Typer reads help texts when the app is built, so the CLI
asks for the language when it is imported; tests switch with `set_language`.

A message with values names them (`t("{file}: no data rows", file=name)`); the Japanese entry
uses the same names in its own order. A message without values is never formatted: braces in it
are literal.
"""

from __future__ import annotations

import os
import re
import string
import sys
import tomllib
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any, Literal

Language = Literal["en", "ja"]
LANGUAGES: tuple[Language, ...] = ("en", "ja")
CATALOGUE = "messages/ja.toml"  # inside the package


class _State:
    language: Language | None = None
    # ZAITAKU_LANG held something other than ja / en: said once by the CLI, then ignored
    unknown_setting: str | None = None


def language_from(env: Mapping[str, str], *, platform: str = sys.platform) -> Language:
    """The language the environment asks for (see the module docstring)."""
    _State.unknown_setting = None
    forced = env.get("ZAITAKU_LANG", "").strip()
    if forced:
        code = forced.lower().replace("-", "_")
        if code.startswith(("ja", "jp")):
            return "ja"
        if code.startswith("en") or code in ("c", "posix"):
            return "en"
        _State.unknown_setting = forced
    # POSIX: the first of LC_ALL, LC_MESSAGES, LANG that is set names the locale; GNU gettext
    # then prefers LANGUAGE (a list, e.g. "ja:en") unless the locale is C.
    locale_name = next((env[v] for v in ("LC_ALL", "LC_MESSAGES", "LANG") if env.get(v)), "")
    if locale_name and locale_name.split(".")[0] not in ("C", "POSIX"):
        preferred = env.get("LANGUAGE", "").split(":")[0]
        return "ja" if (preferred or locale_name).lower().startswith("ja") else "en"
    if not locale_name and platform == "win32":
        return "ja" if _windows_ui_is_japanese() else "en"
    return "en"


def _windows_ui_is_japanese() -> bool:
    """Windows sets no LANG: a Japanese Windows says so by its display language (LANGID)."""
    try:
        import ctypes

        langid = ctypes.windll.kernel32.GetUserDefaultUILanguage()  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return False
    return bool(langid & 0x3FF == 0x11)  # LANG_JAPANESE, whatever the sublanguage


def language() -> Language:
    """This run's language, decided from the environment at the first call."""
    if _State.language is None:
        _State.language = language_from(os.environ)
    return _State.language


def set_language(lang: Language | None) -> None:
    """Use `lang` from now on (None: decide from the environment again)."""
    _State.language = lang


def unknown_setting() -> str | None:
    """The value of ZAITAKU_LANG when it named no language we speak (then the locale decided)."""
    language()
    return _State.unknown_setting


@cache
def catalogue() -> dict[str, str]:
    """English text → Japanese, from the packaged catalogue."""
    data = tomllib.loads(resources.files("zaitaku_cli").joinpath(CATALOGUE).read_text("utf-8"))
    return {entry["en"]: entry["ja"] for entry in data.get("message", [])}


def t(template: str, /, **values: object) -> str:
    """`template` in this run's language, with `values` filled in.

    A text the catalogue lacks is shown in English rather than not at all (the test suite makes
    sure every message of the code has its entry). Rendering never raises: a message is often
    on its way to say what went wrong.
    """
    return render(template, values, language())


def N_(text: str) -> str:  # gettext's name for "mark, do not translate yet"
    """Mark `text` as a message without translating it yet: for texts kept in tables and
    translated where they are shown, `t(text)`."""
    return text


def render(template: str, values: Mapping[str, object], lang: Language) -> str:
    text = catalogue().get(template, template) if lang == "ja" else template
    if not values:
        return text
    for candidate in (text, template):
        try:
            return candidate.format(**values)
        except (KeyError, IndexError, ValueError, AttributeError):
            continue
    return f"{template} {dict(values)!r}"


def stored(text: str) -> str:
    """A message kept in English where it is stored (a reject's reason in the warehouse, which
    queries group by, or a library's usage error) in the run's language: the catalogue entry it
    is, or whose template it fills ('no municipality of 岩手県 (03) matches …' fills 'no
    municipality of {pref_name} ({pref}) matches …'); the values it fills in are looked up too
    (an error quoted inside another). Reasons put together from others ('A; B', or 'name: A'
    where A says what is wrong with name) are shown part by part."""
    if language() == "en" or not text:
        return text
    exact = catalogue().get(text)
    if exact is not None:
        return exact
    for pattern, japanese in _patterns():
        found = pattern.fullmatch(text)
        if found is not None:
            return japanese.format(**{k: stored(v) for k, v in found.groupdict().items()})
    if "; " in text:
        parts = text.split("; ")
        shown = [stored(p) for p in parts]
        if shown != parts:
            return t("; ").join(shown)
    head, sep, rest = text.partition(": ")
    if sep and rest and (shown_rest := stored(rest)) != rest:
        return f"{head}: {shown_rest}"
    return text


_PLACEHOLDER = re.compile(r"\{(\w+)(?:![rsa])?(?::[^{}]*)?\}")


@cache
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    """Templates with enough fixed text to be told apart (not '{file}: {message}'), as
    patterns matching their English renderings, and their Japanese with plain placeholders."""
    found: list[tuple[int, re.Pattern[str], str]] = []
    for english, japanese in catalogue().items():
        parts = _PLACEHOLDER.split(english)
        fixed = "".join(parts[::2])
        if len(parts) < 2 or len(fixed.strip()) < 10 or "{" in fixed or "}" in fixed:
            continue
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
        )
        try:
            pattern = re.compile(regex, re.DOTALL)
        except re.error:  # a placeholder used twice
            continue
        found.append((len(fixed), pattern, _PLACEHOLDER.sub(r"{\1}", japanese)))
    # the most specific first: 'No such option: {o} (Possible options: {p})' before
    # 'No such option: {o}', which would take the rest as its value
    return [(pattern, japanese) for _, pattern, japanese in sorted(found, key=lambda f: -f[0])]


def polars_format(template: str, **values: Any) -> Any:
    """A Polars expression filling `template` (a catalogue message with named placeholders) per
    row from the expressions `values`: for messages stored with the rows (rejects' reasons),
    which stay English there and are shown through `stored`."""
    import polars as pl

    names = re.findall(r"\{(\w+)\}", template)
    return pl.format(re.sub(r"\{\w+\}", "{}", template), *(values[n] for n in names))


def join(items: Iterable[object]) -> str:
    """Items as a list in running text: 'a, b, c' in English, 'a、b、c' in Japanese."""
    return t(", ").join(str(i) for i in items)


def and_more(shown: str, more: int) -> str:
    """'a, b, c and 4 more': the first few of a list and how many were left out."""
    return t("{shown} and {more} more", shown=shown, more=more) if more > 0 else shown


def placeholders(template: str) -> set[str]:
    """The names a template's placeholders use ('{file}', '{n:,}', '{value!r}' → file, n, value)."""
    names = set()
    for _, name, _, _ in string.Formatter().parse(template):
        if name is not None and name != "":
            names.add(name.split(".")[0].split("[")[0])
    return names
