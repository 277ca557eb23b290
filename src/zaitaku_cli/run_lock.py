"""One zaitaku run at a time per warehouse: a lock file beside it naming the holder.

`zaitaku.duckdb.lock` holds JSON: pid, host, start time, command and a random token. A second
run finds it and exits at once (WarehouseBusy, exit 75) naming the holder. A lock left by a
process that died (its pid is gone on this host) is taken over:

1. The lock is created with O_CREAT | O_EXCL: of two runs, exactly one creates it.
2. A run that finds a dead holder's lock first claims the take-over of *that* lock, by creating
   `<lock>.takeover-<dead token>` the same exclusive way (the name is unique to the dead holder,
   so two runs that judged the same lock stale collide on it and only one goes on).
3. The claimant re-reads the lock: if it still holds the dead token, it writes its own record
   beside it and renames it over the lock (atomic), then reads it back to check that its token
   is there. Had anything changed, it starts again and meets the new holder.

A claimant that dies between 2 and 3 leaves a take-over file of a dead process: the next run
takes that over by the same rule, one level down. A lock on another host is never taken over
(its pid cannot be checked from here): the message says how to remove it by hand.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType

from zaitaku_cli.errors import WarehouseBusy, WarehouseError
from zaitaku_cli.i18n import t

__all__ = ["LockHolder", "RunLock", "lock_path", "read_holder"]

# A lock file is written right after its exclusive creation; one still empty after this long
# belongs to a process that died in between.
_WRITE_GRACE_S = 5.0
_ATTEMPTS = 20
_TAKEOVER = ".takeover-"
_MAX_DEPTH = 4


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


@dataclass(frozen=True)
class LockHolder:
    pid: int
    host: str
    started: str  # local time, ISO 8601
    command: str
    token: str
    proc_start: str | None = None  # the process's start time on Linux, against pid reuse

    def describe(self) -> str:
        return t(
            "{command} (pid {pid} on {host}, started {started})",
            command=self.command,
            pid=self.pid,
            host=self.host,
            started=self.started,
        )

    def is_alive(self) -> bool:
        """False only when the holder is certainly gone: its pid no longer runs on this host
        (or now belongs to a process started at another time)."""
        if self.host != socket.gethostname():
            return True
        if not _pid_runs(self.pid):
            return False
        return self.proc_start is None or _process_start(self.pid) in (None, self.proc_start)


def _pid_runs(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _process_start(pid: int) -> str | None:
    """Start time of `pid` in clock ticks since boot (Linux /proc), or None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def _record(command: str) -> LockHolder:
    return LockHolder(
        pid=os.getpid(),
        host=socket.gethostname(),
        started=datetime.now().astimezone().isoformat(timespec="seconds"),
        command=command,
        token=secrets.token_hex(8),
        proc_start=_process_start(os.getpid()),
    )


def _encode(holder: LockHolder) -> bytes:
    return (json.dumps(asdict(holder), ensure_ascii=False) + "\n").encode("utf-8")


def _parse(data: bytes) -> LockHolder | None:
    try:
        raw = json.loads(data.decode("utf-8"))
        return LockHolder(
            pid=int(raw["pid"]),
            host=str(raw["host"]),
            started=str(raw["started"]),
            command=str(raw["command"]),
            token=str(raw["token"]),
            proc_start=None if raw.get("proc_start") is None else str(raw["proc_start"]),
        )
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None


@dataclass(frozen=True)
class _Seen:
    """What a lock file held when read: its holder, or an identity for an unreadable file."""

    holder: LockHolder | None
    ident: str
    age_s: float


def _read(path: Path) -> _Seen | None:
    """The lock file as it is now, or None when there is none."""
    try:
        with path.open("rb") as fh:
            stat = os.fstat(fh.fileno())
            data = fh.read(64 * 1024)
    except FileNotFoundError:
        return None
    holder = _parse(data)
    ident = holder.token if holder else f"unreadable-{stat.st_ino}-{stat.st_mtime_ns}"
    return _Seen(holder, ident, time.time() - stat.st_mtime)


def read_holder(warehouse: Path) -> LockHolder | None:
    """The live holder of the warehouse's lock, if any (for commands that only read)."""
    seen = _read(lock_path(warehouse))
    if seen is None or seen.holder is None or not seen.holder.is_alive():
        return None
    return seen.holder


def _create(path: Path, data: bytes) -> bool:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return True


def _replace(path: Path, data: bytes, token: str) -> None:
    tmp = path.with_name(f".{path.name}.{token}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _unlink_if_holding(path: Path, token: str) -> None:
    seen = _read(path)
    if seen is not None and seen.ident == token:
        path.unlink(missing_ok=True)


def _claim(path: Path, me: LockHolder, depth: int = 0) -> LockHolder | None:
    """Make `path` hold `me`: None when done, else the live holder that prevents it."""
    data = _encode(me)
    for _ in range(_ATTEMPTS):
        if _create(path, data):
            return None
        seen = _read(path)
        if seen is None:
            continue  # released between our attempt and our look: try again
        if seen.holder is not None and seen.holder.is_alive():
            return seen.holder
        if seen.holder is None and seen.age_s < _WRITE_GRACE_S:
            time.sleep(0.05)  # being written right now
            continue
        if depth >= _MAX_DEPTH:
            raise WarehouseError(
                "cannot take over the stale lock {path}: remove it and the {pattern} files "
                "beside it if no zaitaku is running",
                path=path,
                pattern=f"{path.name}{_TAKEOVER}*",
            )
        guard = path.with_name(f"{path.name}{_TAKEOVER}{seen.ident}")
        blocker = _claim(guard, me, depth + 1)
        if blocker is not None:
            # Another run is taking the same stale lock over: it is the holder now.
            return blocker
        try:
            now = _read(path)
            if now is not None and now.ident == seen.ident:
                _replace(path, data, me.token)
                check = _read(path)
                if check is not None and check.ident == me.token:
                    return None
        finally:
            _unlink_if_holding(guard, me.token)
    raise WarehouseError(
        "could not take the lock {path} after {attempts} attempts", path=path, attempts=_ATTEMPTS
    )


class RunLock:
    """`with RunLock(warehouse, "zaitaku refresh"):` — raises WarehouseBusy naming the holder
    when another live process holds the lock; releases it on exit (also on errors)."""

    def __init__(self, warehouse: Path, command: str) -> None:
        self.path = lock_path(warehouse)
        self.command = command
        self.holder: LockHolder | None = None
        # the dead process whose lock this run took over, if it did
        self.replaced: LockHolder | None = None

    def acquire(self) -> LockHolder:
        me = _record(self.command)
        before = _read(self.path)
        try:
            blocker = _claim(self.path, me)
        except FileNotFoundError as exc:
            raise WarehouseError(
                "cannot create the lock {path}: the folder {folder} does not exist — check the "
                "warehouse path",
                path=self.path,
                folder=self.path.parent,
            ) from exc
        except PermissionError as exc:
            raise WarehouseError(
                "cannot create the lock {path}: {reason} — the warehouse folder must be writable",
                path=self.path,
                reason=exc.strerror,
            ) from exc
        if blocker is not None:
            warehouse = self.path.with_name(self.path.name.removesuffix(".lock"))
            raise WarehouseBusy(
                "the warehouse {path} is in use by {holder}; this run did nothing"
                if blocker.host == socket.gethostname()
                else "the warehouse {path} is in use by {holder}; this run did nothing — if that "
                "machine no longer runs zaitaku, delete {lock}",
                path=warehouse,
                holder=blocker.describe(),
                lock=self.path,
            )
        self.holder = me
        if before is not None and before.holder is not None and not before.holder.is_alive():
            self.replaced = before.holder
        # Take-over files of other (dead) claimants can matter only while the lock they were
        # after exists; ours is in place now, so they are garbage.
        for leftover in self.path.parent.glob(f"{self.path.name}{_TAKEOVER}*"):
            leftover.unlink(missing_ok=True)
        return me

    def release(self) -> None:
        if self.holder is not None:
            _unlink_if_holding(self.path, self.holder.token)
            self.holder = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
