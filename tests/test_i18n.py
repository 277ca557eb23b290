"""Messages in two languages from one catalogue: the language chosen, every message of the code
in the catalogue with the same placeholders, and Japanese rendering of errors and reasons."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from i18n_scan import scan, sql_reasons
from zaitaku_cli import i18n
from zaitaku_cli.errors import InputError, WarehouseError
from zaitaku_cli.i18n import catalogue, language_from, placeholders, stored, t


@pytest.fixture
def japanese() -> Iterator[None]:
    i18n.set_language("ja")
    yield
    i18n.set_language(None)


# -- the language ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "en"),
        ({"LANG": "ja_JP.UTF-8"}, "ja"),
        ({"LANG": "ja_JP.eucJP"}, "ja"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        # POSIX precedence: LC_ALL, then LC_MESSAGES, then LANG
        ({"LC_ALL": "C", "LANG": "ja_JP.UTF-8"}, "en"),
        ({"LC_ALL": "ja_JP.UTF-8", "LANG": "en_US.UTF-8"}, "ja"),
        ({"LC_MESSAGES": "ja_JP.UTF-8", "LANG": "en_US.UTF-8"}, "ja"),
        ({"LC_MESSAGES": "en_US.UTF-8", "LANG": "ja_JP.UTF-8"}, "en"),
        ({"LC_ALL": "", "LC_MESSAGES": "ja_JP.UTF-8"}, "ja"),  # empty means unset
        # GNU LANGUAGE (a preference list) wins, except over the C locale
        ({"LANGUAGE": "ja:en", "LANG": "en_US.UTF-8"}, "ja"),
        ({"LANGUAGE": "en", "LANG": "ja_JP.UTF-8"}, "en"),
        ({"LANGUAGE": "ja", "LC_ALL": "C"}, "en"),
        ({"LANGUAGE": "ja"}, "en"),  # no locale at all is C
        # ZAITAKU_LANG beats the locale, both ways
        ({"ZAITAKU_LANG": "ja"}, "ja"),
        ({"ZAITAKU_LANG": "ja_JP"}, "ja"),
        ({"ZAITAKU_LANG": "en", "LANG": "ja_JP.UTF-8", "LC_ALL": "ja_JP.UTF-8"}, "en"),
        ({"ZAITAKU_LANG": "EN", "LANG": "ja_JP.UTF-8"}, "en"),
        # a value naming no language we speak: the locale decides (the CLI says so)
        ({"ZAITAKU_LANG": "fr", "LANG": "ja_JP.UTF-8"}, "ja"),
    ],
)
def test_language_from_the_environment(env: dict[str, str], expected: str) -> None:
    assert language_from(env, platform="linux") == expected


def test_windows_without_a_locale_asks_the_display_language(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Japanese Windows sets no LANG: its display language (LANGID 0x0411) says it.
    monkeypatch.setattr(i18n, "_windows_ui_is_japanese", lambda: True)
    assert language_from({}, platform="win32") == "ja"
    assert language_from({"ZAITAKU_LANG": "en"}, platform="win32") == "en"
    assert language_from({"LANG": "en_US.UTF-8"}, platform="win32") == "en"
    monkeypatch.setattr(i18n, "_windows_ui_is_japanese", lambda: False)
    assert language_from({}, platform="win32") == "en"


# -- the catalogue -----------------------------------------------------------------------------


def _entries() -> list[dict[str, str]]:
    text = resources.files("zaitaku_cli").joinpath(i18n.CATALOGUE).read_text("utf-8")
    entries: list[dict[str, str]] = tomllib.loads(text)["message"]
    return entries


def test_catalogue_entries_are_whole_and_unique() -> None:
    entries = _entries()
    assert all(set(e) == {"en", "ja"} for e in entries)
    english = [e["en"] for e in entries]
    assert sorted({x for x in english if english.count(x) > 1}) == []
    assert [e["en"] for e in entries if not e["ja"].strip()] == []


def test_catalogue_placeholders_match() -> None:
    # The Japanese uses exactly the values the English names (in its own order and format).
    wrong = [
        (e["en"], sorted(placeholders(e["en"])), sorted(placeholders(e["ja"])))
        for e in _entries()
        if placeholders(e["en"]) != placeholders(e["ja"])
    ]
    assert wrong == []
    # and formats with them: the same values fill both
    for e in _entries():
        names = placeholders(e["en"])
        if names:
            values = {n: 1 for n in names}
            e["ja"].format(**values)  # raises on a broken spec or brace


def test_every_message_of_the_code_has_japanese() -> None:
    """Every message (t/N_, the exceptions' messages and hints, the SQL reject reasons) and
    every help text of the CLI; a failure lists the missing ones ready to paste."""
    from zaitaku_cli.cli import app
    from zaitaku_cli.cli.localize import help_texts

    found = scan()
    wanted = {k.text: k.where for k in found.keys}
    wanted |= {r.text: r.where for r in sql_reasons()}
    wanted |= dict.fromkeys(help_texts(app), "help")
    missing = {text: where for text, where in wanted.items() if text not in catalogue()}
    stubs = "\n".join(
        f'# {where}\n[[message]]\nen = {json.dumps(text, ensure_ascii=False)}\nja = ""\n'
        for text, where in sorted(missing.items(), key=lambda kv: kv[1])
    )
    assert not missing, f"{len(missing)} messages lack Japanese (messages/ja.toml):\n{stubs}"


def test_no_message_bypasses_the_catalogue() -> None:
    # f-strings given to an exception, text shown without t(), values missing for a template
    problems = [f"{p.where}: {p.text}" for p in scan().problems]
    assert problems == []


def test_the_catalogue_holds_no_leftovers() -> None:
    # An entry no code uses any more is dead weight a translator would still maintain.
    from zaitaku_cli.cli import app
    from zaitaku_cli.cli.localize import help_texts

    used = {k.text for k in scan().keys} | {r.text for r in sql_reasons()}
    used |= set(help_texts(app))
    assert sorted(set(catalogue()) - used) == []


# -- rendering ---------------------------------------------------------------------------------


def test_t_fills_values_in_either_language(japanese: None) -> None:
    assert t("{file}: already ingested (same sha256), nothing changed.", file="a.csv") == (
        "a.csv: すでに取り込み済みです（同じ sha256）。何も変えていません。"
    )
    # a format spec is the Japanese entry's own: {rows:,}
    assert t("{lines:,} lines", lines=1234567) == "1,234,567 行"
    i18n.set_language("en")
    assert t("{lines:,} lines", lines=1234567) == "1,234,567 lines"


def test_a_text_the_catalogue_lacks_stays_english(japanese: None) -> None:
    assert t("not in the catalogue {x}", x=1) == "not in the catalogue 1"
    # without values nothing is formatted: braces in a path are text
    assert t("C:/data/{odd}.csv") == "C:/data/{odd}.csv"
    # a broken value never breaks the message that reports a problem
    assert t("{file}: checking text") == "{file}: 文字を確認中"


def test_input_error_frame_and_hint_in_japanese(japanese: None) -> None:
    error = InputError(
        "negative count {value}",
        file="集計表.csv",
        row=12,
        column="支援診１",
        hint="counts are ≥ 0",
        value="-3",
    )
    assert str(error) == "集計表.csv、12 行目、列「支援診１」: 負の数 -3 — 数は 0 以上です"
    # the same error in English: the template and values are kept, not a rendered text
    i18n.set_language("en")
    assert str(error) == "集計表.csv, row 12, column 支援診１: negative count -3 — counts are ≥ 0"


def test_an_error_without_a_frame(japanese: None) -> None:
    error = WarehouseError("cannot open warehouse {path}: {reason}", path="wh.duckdb", reason="IO")
    assert str(error) == "ウェアハウス wh.duckdb を開けません: IO"


def test_stored_reasons_are_shown_in_japanese(japanese: None) -> None:
    # Rejects keep English reasons in the warehouse (queries group by them); shown translated,
    # also those with values in them.
    assert stored("性別: not 1 (男) or 2 (女)") == "性別: 1（男）でも 2（女）でもありません"
    assert stored("no municipality of 岩手県 (03) matches the start of the address") == (
        "住所の先頭に一致する 岩手県（03）の市区町村がありません"
    )
    assert stored("total must equal male + female = 1,234") == (
        "total は male + female = 1,234 と等しいはずです"
    )
    assert stored("something else") == "something else"
    # put together from two reasons (facility matching), or a name and geo's reason (hub lists)
    assert stored(
        "医療機関コード 0399999999 is in no ingested bureau list; no facility of the bureau lists "
        "of 岩手県 (03) has this name and address"
    ) == (
        "医療機関コード 0399999999 は取り込み済みのどの届出名簿にもありません。"
        "岩手県（03）の届出名簿に、この医療機関名と所在地の医療機関はありません"
    )
    assert stored("矢巾村: no municipality of 岩手県 (03) is named 矢巾村") == (
        "矢巾村: 岩手県（03）に 矢巾村 という市区町村はありません"
    )
    assert stored("a; b") == "a; b" and stored("名称: something else") == "名称: something else"
    i18n.set_language("en")
    assert stored("性別: not 1 (男) or 2 (女)") == "性別: not 1 (男) or 2 (女)"


def test_interrupt_lines_in_japanese(japanese: None) -> None:
    import signal

    from zaitaku_cli.cli import interrupts

    interrupts.reset()
    assert interrupts.message(signal.SIGINT) == "中断しました（SIGINT）。"
    story = "; ".join(
        [t("nothing of {file} was kept", file="kdb.csv"), t("not started: {files}", files="b.csv")]
    )
    interrupts.tell(t("; ").join(story.split("; ")))
    assert interrupts.message(signal.SIGTERM) == (
        "中断しました（SIGTERM）: kdb.csv は何も残していません。未着手: b.csv。"
    )
    interrupts.reset()


# -- the CLI in a fresh process: the language is decided before Typer reads the help ----------


def _zaitaku(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "ZAITAKU_"))}
    return subprocess.run(
        [sys.executable, "-m", "zaitaku_cli", *args],
        env={**base, "COLUMNS": "120", **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def test_help_follows_lang(tmp_path: Path) -> None:
    ja = _zaitaku(["ingest", "claims", "--help"], {"LANG": "ja_JP.UTF-8"}, tmp_path)
    assert ja.returncode == 0, ja.stderr
    assert "レセプトの明細を取り込みます" in ja.stdout
    assert "使い方: " in ja.stdout and "オプション" in ja.stdout
    assert "このメッセージを表示して終了します。" in ja.stdout
    assert "[既定: auto]" in ja.stdout
    en = _zaitaku(["ingest", "claims", "--help"], {"LANG": "en_US.UTF-8"}, tmp_path)
    assert "Load claim lines" in en.stdout and "Show this message and exit." in en.stdout
    forced = _zaitaku(
        ["ingest", "claims", "--help"], {"LANG": "ja_JP.UTF-8", "ZAITAKU_LANG": "en"}, tmp_path
    )
    assert forced.stdout == en.stdout
    by_lc_all = _zaitaku(
        ["ingest", "claims", "--help"], {"LANG": "en_US.UTF-8", "LC_ALL": "ja_JP.UTF-8"}, tmp_path
    )
    assert by_lc_all.stdout == ja.stdout


def test_an_unknown_zaitaku_lang_is_said(tmp_path: Path) -> None:
    run = _zaitaku(["--version"], {"ZAITAKU_LANG": "jp-x", "LANG": "en_US.UTF-8"}, tmp_path)
    assert run.returncode == 0
    # 'jp…' is taken for Japanese: nothing to say
    assert run.stderr == ""
    run = _zaitaku(["--version"], {"ZAITAKU_LANG": "fr", "LANG": "en_US.UTF-8"}, tmp_path)
    assert run.stderr.strip() == (
        "Warning: ZAITAKU_LANG='fr' names no language zaitaku speaks (ja, en): the locale decides"
    )


@pytest.mark.parametrize(
    "text",
    [
        "終了コード: 0 成功（取り込み済みで「unchanged」の場合や、更新も）、1 データ",
        "「KDB」の抽出（CSV）を読み込みます。--replace を付けない限り拒否します",
        "English words stay words, and (brackets) too — 在宅医療",
        "設定（spark.executor.memory=8g）。",
        "（",
    ],
)
def test_japanese_lines_break_between_characters_and_lose_nothing(text: str) -> None:
    # Rich cuts text into words with this pattern: every character must be in some word, or
    # the rest of a help text is silently dropped.
    from zaitaku_cli.cli.localize import _JAPANESE_WORD

    words, at = [], 0
    while (found := _JAPANESE_WORD.match(text, at)) is not None and found.end() > at:
        words.append(found.group(0))
        at = found.end()
    assert "".join(words) == text
    # a Japanese character is a word of its own, closing punctuation held to it
    if "成功（" in text:
        assert "功" in words and "も）、" in words and "「unchanged」" in words
    if "spark" in text:  # the bracket goes with the word it opens
        assert words == ["設", "定", "（spark.executor.memory=8g）。"]


@pytest.mark.parametrize(
    ("text", "width", "lines"),
    [
        # 'Apache' fills the first line to its last cell; Rich kept the space after it, one
        # cell too many, and cut the line to 'Apach…'
        (
            "SQL を DuckDB（ウェアハウス）と Apache Spark のどちらで",
            38,
            ["SQL を DuckDB（ウェアハウス）と Apache", "Spark のどちらで"],
        ),
        # '、' ends an English run: the line may break after it (it was one 36-cell word)
        (
            "既定: $ZAITAKU_WAREHOUSE、zaitaku.toml、次に data/zaitaku.duckdb。",
            26,
            ["既定: $ZAITAKU_WAREHOUSE、", "zaitaku.toml、次に", "data/zaitaku.duckdb。"],
        ),
    ],
)
def test_japanese_help_lines_keep_every_word(
    text: str, width: int, lines: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import rich._wrap
    from rich.console import Console
    from rich.text import Text

    from zaitaku_cli.cli.localize import _JAPANESE_WORD, _rstrip_end_in_cells

    monkeypatch.setattr(rich._wrap, "re_word", _JAPANESE_WORD)
    monkeypatch.setattr(Text, "rstrip_end", _rstrip_end_in_cells)
    wrapped = Text(text).wrap(Console(width=200), width, overflow="ellipsis")
    assert [line.plain.rstrip() for line in wrapped] == lines
