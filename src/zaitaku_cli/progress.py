"""A tiny progress protocol so that core modules report progress without depending on Rich."""

from __future__ import annotations

from typing import Literal, Protocol

# What `total` and `advance` count: steps of a job, or bytes of a file being read (shown as MB
# with a rate, and the lines read so far when the reader counts them).
Unit = Literal["steps", "bytes"]


class Progress(Protocol):
    def start(
        self, description: str, total: int | None = None, *, unit: Unit = "steps"
    ) -> None: ...

    def advance(self, amount: int = 1, *, lines: int = 0) -> None: ...

    def finish(self) -> None: ...


class NoProgress:
    """Used by tests, --quiet and --json: reports nothing."""

    def start(self, description: str, total: int | None = None, *, unit: Unit = "steps") -> None:
        pass

    def advance(self, amount: int = 1, *, lines: int = 0) -> None:
        pass

    def finish(self) -> None:
        pass
