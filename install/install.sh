#!/bin/sh
# Install zaitaku from this folder, without any network (offline wheelhouse).
#
#   sh install.sh                 installs into ~/zaitaku (a Python virtual environment)
#   sh install.sh /opt/zaitaku    installs into another folder
#   PYTHON=python3.12 sh install.sh
#
# Needs Python 3.11 or newer of a version listed in targets.txt. Afterwards run
# <folder>/bin/zaitaku --help (or add <folder>/bin to PATH).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
target=${1:-"$HOME/zaitaku"}
python=${PYTHON:-python3}

if ! command -v "$python" >/dev/null 2>&1; then
    echo "install.sh: $python not found; install Python 3.11 or newer, or set PYTHON=..." >&2
    exit 1
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "install.sh: zaitaku needs Python 3.11 or newer; $python is $("$python" -V 2>&1)" >&2
    exit 1
fi

echo "Creating $target with $("$python" -V 2>&1)"
"$python" -m venv "$target"
if ! "$target/bin/python" -m pip install --disable-pip-version-check --no-index \
        --find-links "$here" --only-binary=:all: zaitaku; then
    echo "install.sh: pip could not install zaitaku from $here." >&2
    echo "This folder holds wheels for the platforms and Python versions in targets.txt:" >&2
    cat "$here/targets.txt" >&2 || true
    exit 1
fi
echo
echo "Installed. Try:  \"$target/bin/zaitaku\" --help"
