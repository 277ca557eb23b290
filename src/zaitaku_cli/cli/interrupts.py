"""SIGINT (Ctrl-C) and SIGTERM (a cron timeout, `kill`): one line that says what was kept, and
exit 130 or 143 (128 + the signal number, as shells report them), for every command.

main() installs the handler once. The handler raises Interrupted wherever the program is, so
that every `finally` and `with` runs: transactions roll back, scratch folders are removed,
worker processes are stopped. Libraries may turn that exception into their own (DuckDB raises
RuntimeError('Query interrupted')), so the handler also remembers the signal: whatever
exception then ends the command is reported as the interrupt. Commands that know what an
interrupt leaves behind (ingest: which files were committed) say so with `tell`; the core
knows nothing of signals.
"""

from __future__ import annotations

import signal
from types import FrameType

from zaitaku_cli.i18n import t

EXIT_SIGINT = 128 + signal.SIGINT  # 130
EXIT_SIGTERM = 128 + signal.SIGTERM  # 143


class Interrupted(BaseException):
    """A SIGINT or SIGTERM arrived. A BaseException like KeyboardInterrupt, so that no
    `except Exception` swallows it; not a KeyboardInterrupt, which click would turn into
    'Aborted!' and exit 1."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class _State:
    received: int | None = None  # the first signal of this command
    story: str | None = None  # what the command says an interrupt leaves behind


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _State.received is not None:
        # A second Ctrl-C while the first one is being cleaned up (a rollback, removing the
        # scratch folder: a second or so) must not cut that short. SIGKILL still works, and
        # the next run removes what it leaves.
        return
    _State.received = signum
    raise Interrupted(signum)


def install() -> None:
    """Route SIGINT and SIGTERM through Interrupted. A SIGINT the shell told us to ignore (a
    background job, nohup) stays ignored."""
    signal.signal(signal.SIGTERM, _on_signal)
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, _on_signal)


def hold_back() -> None:
    """Block SIGINT and SIGTERM from now on (where the platform can): for the very end."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


def reset() -> None:
    """Forget the previous command's interrupt (commands can run in one process, as in tests)."""
    _State.received = None
    _State.story = None


def signal_of(exc: BaseException) -> int | None:
    """The signal behind `exc`, if it is an interrupt's consequence; None if it is not."""
    if isinstance(exc, Interrupted):
        return exc.signum
    if _State.received is not None:
        return _State.received
    if isinstance(exc, KeyboardInterrupt):  # Python's own SIGINT handler (no install())
        return int(signal.SIGINT)
    if isinstance(exc, RuntimeError) and str(exc) == "Query interrupted":  # DuckDB's, likewise
        return int(signal.SIGINT)
    return None


def pending() -> int | None:
    """A signal that arrived but ended nothing (a library caught what the handler raised)."""
    return _State.received


def tell(story: str | None) -> None:
    """What an interrupt from now on leaves behind, e.g. 'nothing of kdb.csv was kept'."""
    _State.story = story


def message(signum: int) -> str:
    """The one line an interrupt prints, e.g. 'Interrupted (SIGTERM): nothing of kdb.csv was
    kept.'"""
    name = signal.Signals(signum).name
    if _State.story:
        return t("Interrupted ({signal}): {story}.", signal=name, story=_State.story)
    return t("Interrupted ({signal}).", signal=name)
