"""Find the messages of the code: what the catalogue must hold, and text that bypasses it.

Read from the source (ast), not from a run, so that a message of a rare error path is checked
as well as a common one:
- `t("…", **values)` and `N_("…")`: catalogue keys; t's values must cover the placeholders;
- the exceptions of errors.py's family (ZaitakuError and its subclasses, wherever defined):
  the message (first argument) and `hint=` are keys; their values likewise;
- the places a message is shown or kept for showing (`.warn`, `.print`, `.error`,
  `warnings.append`, `progress.start`, `frame_table`, `typer.BadParameter`, `interrupts.tell`,
  a detector's `Verdict`)
  must not get English text of their own: an f-string or a literal with words there is a
  message that never meets the catalogue.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from zaitaku_cli.i18n import placeholders

SRC = Path(__file__).resolve().parents[1] / "src" / "zaitaku_cli"
SQL = Path(__file__).resolve().parents[1] / "sql"

# The frame of InputError: these names are its arguments, never a message's values.
FRAME = {"file", "row", "column", "hint"}
SINK_METHODS = {"warn", "print", "error", "interrupted", "tell", "start"}
_MARKUP = re.compile(r"\[/?[a-z ]*\]")
_WORD = re.compile(r"[A-Za-z]{2,}")


@dataclass(frozen=True)
class Found:
    where: str  # path:line
    text: str


@dataclass
class Scan:
    keys: list[Found]
    problems: list[Found]


def scan(root: Path = SRC) -> Scan:
    files = sorted(root.rglob("*.py"))
    trees = {f: ast.parse(f.read_text("utf-8"), str(f)) for f in files}
    family = _exception_family(trees.values(), "ZaitakuError")
    framed = _exception_family(trees.values(), "InputError")
    result = Scan([], [])
    for path, tree in trees.items():
        rel = path.relative_to(root.parent).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                _call(node, f"{rel}:{node.lineno}", family, framed, result)
    return result


def _exception_family(trees: object, root: str) -> set[str]:
    bases: dict[str, set[str]] = {}
    for tree in trees:  # type: ignore[attr-defined]
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {_name(b) for b in node.bases}
    family = {root}
    grown = True
    while grown:
        grown = False
        for name, parents in bases.items():
            if name not in family and parents & family:
                family.add(name)
                grown = True
    return family


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _literals(node: ast.expr) -> list[str] | None:
    """The texts a message expression can be, or None when it is not literal text."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _literals(node.body), _literals(node.orelse)
        if body is not None and orelse is not None:
            return body + orelse
    return None


def _built(node: ast.expr) -> bool:
    """Text built in place: an f-string, '+' or '%' of strings, '….format()'."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return _stringy(node.left) or _stringy(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "format" and _stringy(node.func.value)
    if isinstance(node, ast.IfExp):
        return _built(node.body) or _built(node.orelse)
    return False


def _stringy(node: ast.expr) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)) or _built(node)


def english(node: ast.expr) -> bool:
    """Literal text with words in it: in an f-string, its fixed parts."""
    parts: list[str] = []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        parts = [node.value]
    elif isinstance(node, ast.JoinedStr):
        parts = [v.value for v in node.values if isinstance(v, ast.Constant)]
    elif isinstance(node, ast.BinOp):
        return english(node.left) or english(node.right)
    elif isinstance(node, ast.IfExp):
        return english(node.body) or english(node.orelse)
    return any(_WORD.search(_MARKUP.sub("", p)) for p in parts)


def _call(node: ast.Call, where: str, family: set[str], framed: set[str], result: Scan) -> None:
    func = _name(node.func)
    args = node.args
    values = {k.arg for k in node.keywords if k.arg is not None}
    spread = any(k.arg is None for k in node.keywords)
    if func in ("t", "N_") and args:
        texts = _literals(args[0])
        if texts is None:
            if _built(args[0]):
                result.problems.append(Found(where, f"{func}() of built text: use a template"))
            return
        for text in texts:
            result.keys.append(Found(where, text))
            if func == "t" and not spread:
                _check_values(text, values, where, result)
        return
    if func in family:
        messages = [args[0]] if args else []
        messages += [k.value for k in node.keywords if k.arg == "hint"]
        for message in messages:
            texts = _literals(message)
            if texts is None:
                if _built(message):
                    result.problems.append(
                        Found(where, f"{func}(…) with built text: pass a template and values")
                    )
                continue
            frame = FRAME if func in framed else set()
            for text in texts:
                result.keys.append(Found(where, text))
                if not spread:
                    _check_values(text, values - frame, where, result)
                    clash = placeholders(text) & frame
                    if clash:
                        result.problems.append(
                            Found(where, f"placeholder {sorted(clash)} is a frame argument")
                        )
        return
    method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
    sink = (
        method in SINK_METHODS
        or func in ("frame_table", "BadParameter", "log_note")
        or (method == "append" and _name(node.func.value) == "warnings")  # type: ignore[attr-defined]
    )
    if sink and args and english(args[0]):
        text = ast.unparse(args[0])[:80]
        result.problems.append(Found(where, f"text shown without t(): {text}"))
    # a detector's verdict: its reason is shown when a file is (not) recognised
    if func == "Verdict" and len(args) > 1 and english(args[1]):
        text = ast.unparse(args[1])[:80]
        result.problems.append(Found(where, f"reason shown without t(): {text}"))


def _check_values(text: str, values: set[str], where: str, result: Scan) -> None:
    if not placeholders(text):
        return
    missing = placeholders(text) - values
    if missing:
        result.problems.append(Found(where, f"no value for {sorted(missing)} in {text[:60]!r}"))


# Reject reasons made in SQL ('列: what is wrong'): kept in English in the warehouse, shown
# through the catalogue.
_REASON = re.compile(r"then\s+'((?:[^']|'')+)'(?!\s*\|\|)")


def sql_reasons(root: Path = SQL) -> Iterator[Found]:
    for path in sorted((root / "staging").glob("stg_claim_*.sql")):
        text = path.read_text("utf-8")
        for m in _REASON.finditer(text):
            reason = m.group(1).replace("''", "'")
            if ": " in reason:
                line = text.count("\n", 0, m.start()) + 1
                yield Found(f"{path.relative_to(root.parent).as_posix()}:{line}", reason)
