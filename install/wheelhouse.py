"""Build an offline wheelhouse: every wheel zaitaku needs, for the PCs analysts work on.

    python install/wheelhouse.py --out wheelhouse                  # Windows x64 + Linux x64
    python install/wheelhouse.py --out wheelhouse --python 3.12    # one Python version only
    python install/wheelhouse.py --out wheelhouse --native         # this machine only (tests)

Run it from the repository's .venv (it needs pip, hatchling and packaging, all in
requirements.lock) on a machine that reaches the package registry. The folder it writes —
wheels, install.bat, install.sh, targets.txt, SHA256SUMS — is copied as it is to a PC
without internet, where install.bat / install.sh install zaitaku with `pip --no-index`.

Versions are those of requirements.lock. pip evaluates environment markers for the machine
it runs on, not for `--platform` (so a Linux build would miss typer's Windows-only
`colorama`): the requirements of every wheel are therefore re-read here with the markers of
each target, and what is missing is fetched, until each target is complete.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.tags import Tag, compatible_tags, cpython_tags, sys_tags
from packaging.utils import canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
PYTHONS = ("3.11", "3.12", "3.13", "3.14")
WINDOWS = "win_amd64"
# glibc 2.28 (RHEL 8, Debian 10, Ubuntu 20.04) and every older manylinux tag: pip does not
# widen `--platform manylinux_2_28_x86_64` to the older tags by itself.
LINUX = (
    *(f"manylinux_2_{minor}_x86_64" for minor in range(28, 16, -1)),
    "manylinux2014_x86_64",
)
PLATFORMS = {"windows": (WINDOWS,), "linux": LINUX}
INSTALLERS = ("install.bat", "install.sh")


@dataclass(frozen=True)
class Target:
    """One kind of PC: a platform and a Python version (None = this machine)."""

    name: str
    platforms: tuple[str, ...] = ()
    python: str | None = None

    @property
    def native(self) -> bool:
        return self.python is None

    def pip_options(self) -> list[str]:
        if self.native:
            return []
        options = ["--implementation", "cp", "--python-version", str(self.python)]
        for platform in self.platforms:
            options += ["--platform", platform]
        return options

    def tags(self) -> set[Tag]:
        if self.native:
            return set(sys_tags())
        version = tuple(int(p) for p in str(self.python).split("."))
        return set(cpython_tags(version, platforms=self.platforms)) | set(
            compatible_tags(version, f"cp{version[0]}{version[1]}", self.platforms)
        )

    def environment(self) -> dict[str, str]:
        """The values of environment markers on this target (PEP 508)."""
        env = {key: str(value) for key, value in default_environment().items()}
        if self.native:
            return env
        if WINDOWS in self.platforms:
            env.update(sys_platform="win32", platform_system="Windows", os_name="nt")
            env.update(platform_machine="AMD64")
        else:
            env.update(sys_platform="linux", platform_system="Linux", os_name="posix")
            env.update(platform_machine="x86_64")
        env.update(
            python_version=str(self.python),
            python_full_version=f"{self.python}.0",
            implementation_name="cpython",
            platform_python_implementation="CPython",
        )
        return env


def targets(platforms: list[str], pythons: list[str], native: bool) -> list[Target]:
    if native:
        return [Target("native")]
    return [
        Target(f"{platform} {python}", PLATFORMS[platform], python)
        for platform in platforms
        for python in pythons
    ]


def pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True)


def build_own_wheel(out: Path) -> Path:
    for old in out.glob("zaitaku-*.whl"):
        old.unlink()
    pip("wheel", "--quiet", "--no-deps", "--no-build-isolation", "--wheel-dir", str(out), str(ROOT))
    (wheel,) = out.glob("zaitaku-*.whl")
    return wheel


def requirements(wheel: Path) -> list[Requirement]:
    with zipfile.ZipFile(wheel) as z:
        name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = HeaderParser().parsestr(z.read(name).decode("utf-8"))
    return [Requirement(text) for text in metadata.get_all("Requires-Dist") or []]


def missing_for(target: Target, out: Path) -> list[str]:
    """Names of distributions zaitaku needs on `target` that have no usable wheel in `out`."""
    tags = target.tags()
    usable = {}
    for wheel in out.glob("*.whl"):
        name, _version, _build, wheel_tags = parse_wheel_filename(wheel.name)
        if wheel_tags & tags:
            usable[name] = wheel
    env = target.environment()
    todo, seen, missing = [canonicalize_name("zaitaku")], set(), []
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name not in usable:
            missing.append(name)
            continue
        for req in requirements(usable[name]):
            if req.marker is None or req.marker.evaluate({**env, "extra": ""}):
                todo.append(canonicalize_name(req.name))
    return sorted(missing)


def download(target: Target, out: Path, wanted: list[str], *, no_deps: bool) -> None:
    pip(
        "download",
        "--quiet",
        "--only-binary=:all:",
        *(["--no-deps"] if no_deps else []),
        *target.pip_options(),
        "--constraint",
        str(LOCK),
        "--dest",
        str(out),
        *wanted,
    )


def check_offline(target: Target, out: Path) -> None:
    """Resolve zaitaku from the folder alone, as install.bat / install.sh will."""
    with tempfile.TemporaryDirectory() as scratch:
        pip(
            "install",
            "--quiet",
            "--dry-run",
            "--ignore-installed",
            "--no-index",
            "--find-links",
            str(out),
            "--only-binary=:all:",
            *target.pip_options(),
            "--target",
            scratch,
            "zaitaku",
        )


def write_index(out: Path, chosen: list[Target]) -> None:
    here = f"{sysconfig.get_platform()} python {sys.version_info[0]}.{sys.version_info[1]}"
    lines = [
        f"{t.platforms[0]} python {t.python}\n" if not t.native else f"{here}\n" for t in chosen
    ]
    (out / "targets.txt").write_text("".join(lines), encoding="utf-8")
    sums = []
    for path in sorted(out.iterdir()):
        if path.is_file() and path.name != "SHA256SUMS":
            sums.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n")
    (out / "SHA256SUMS").write_text("".join(sums), encoding="utf-8")


def build(out: Path, chosen: list[Target]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    wheel = build_own_wheel(out)
    for target in chosen:
        print(f"wheelhouse: {target.name}", file=sys.stderr)
        download(target, out, [str(wheel)], no_deps=False)
        # Markers pip judged for this machine: fetch what the target itself needs.
        for _round in range(5):
            missing = missing_for(target, out)
            if not missing:
                break
            print(f"  + {', '.join(missing)} (needed on {target.name})", file=sys.stderr)
            download(target, out, missing, no_deps=True)
        else:
            sys.exit(f"wheelhouse: {target.name} still lacks {', '.join(missing)}")
        check_offline(target, out)
    here = Path(__file__).resolve().parent
    for installer in INSTALLERS:
        shutil.copyfile(here / installer, out / installer)
    os.chmod(out / "install.sh", 0o755)
    write_index(out, chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "wheelhouse", help="folder to write")
    parser.add_argument(
        "--platform",
        action="append",
        choices=sorted(PLATFORMS),
        help="windows (win_amd64) and/or linux (manylinux x86_64); default both",
    )
    parser.add_argument(
        "--python",
        action="append",
        help=f"Python version of the target PCs, repeatable; default {' '.join(PYTHONS)}",
    )
    parser.add_argument(
        "--native", action="store_true", help="only this machine's platform and Python"
    )
    args = parser.parse_args()
    chosen = targets(args.platform or sorted(PLATFORMS), args.python or list(PYTHONS), args.native)
    build(args.out, chosen)
    wheels = sorted(args.out.glob("*.whl"))
    size = sum(p.stat().st_size for p in wheels) / 1e6
    print(f"wheelhouse: {len(wheels)} wheels, {size:.0f} MB in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
