#!/usr/bin/env bash
# Build the Linux bundle with PyInstaller, from a venv of its own (build/venv)
# that holds only PyInstaller and the app's pinned runtime packages:
#   dist/pos-app/pos-app           the app
#   dist/pos-app/pos-app-console   a link to it, the name Windows' console executable has
#                                  (self-test, debugging); on Linux both have the terminal
#   dist/pos-app-<version>-linux-<arch>.tar.gz
# Runs again incrementally: the venv, pip's cache and PyInstaller's work folder
# (build/pyinstaller) are reused.
# Usage: bash packaging/build.sh [--onefile] [--no-tarball]
#   --onefile     two single-file executables in dist/onefile/ instead (slower to start)
#   --no-tarball  skip the tarball
# Environment: PYTHON (default python3) makes the venv; it needs a shared libpython.
set -euo pipefail
cd "$(dirname "$0")/.."

onefile=0
tarball=1
for arg in "$@"; do
  case "$arg" in
    --onefile) onefile=1 ;;
    --no-tarball) tarball=0 ;;
    *) echo "build.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

started=$(date +%s)
say() { echo "build.sh: $*"; }

# Debian packages: Qt's (PyInstaller's Qt hooks load Qt; the bundle carries the xcb
# libraries the PC may lack) and binutils (PyInstaller reads and strips binaries).
bash scripts/setup.sh --bundle-build

venv=build/venv
python=${PYTHON:-python3}
if [ ! -x "$venv/bin/python" ]; then
  say "creating $venv with $("$python" --version 2>&1)"
  "$python" -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import sys, sysconfig; sys.exit(sys.platform.startswith("linux") and not sysconfig.get_config_var("Py_ENABLE_SHARED"))'; then
  echo "build.sh: $python has no shared libpython, which PyInstaller needs." \
    "Use a Python built with --enable-shared (PYTHON=/path/to/python3), then rm -r $venv." >&2
  exit 3
fi

pip() {
  # Quiet, minus the notes about package locations some machines configure.
  "$venv/bin/python" -m pip --disable-pip-version-check -q "$@" \
    2> >(grep -v "^WARNING: Location" >&2)
}
say "installing the pinned packages (packaging/requirements-build.txt)"
pip install -r packaging/requirements-build.txt
# The project itself from this checkout, without its dependencies (pinned above):
# the spec reads the sources through pathex, and the bundle copies this install's
# metadata for pos_app.__version__.
pip install --no-deps --no-build-isolation -e .
pip check

version=$("$venv/bin/python" -c 'import tomllib
with open("pyproject.toml", "rb") as f: print(tomllib.load(f)["project"]["version"])')
if [ "$onefile" = 1 ]; then
  distpath=dist/onefile
  spec_args=(-- --onefile)
  programs=$distpath
else
  distpath=dist
  spec_args=()
  programs=$distpath/pos-app
fi
say "building pos-app $version into $distpath/"
"$venv/bin/pyinstaller" --noconfirm --log-level WARN \
  --distpath "$distpath" --workpath build/pyinstaller \
  packaging/pos_app.spec "${spec_args[@]}"

# One executable on Linux (pos_app.spec); the console name every platform documents.
ln -sfn pos-app "$programs/pos-app-console"

if [ "$onefile" = 0 ]; then
  # For installing on a desktop (packaging/linux/install.sh uses them).
  cp packaging/linux/pos-app.desktop packaging/linux/install.sh dist/pos-app/
  cp packaging/icons/pos-app.png dist/pos-app/pos-app.png
  if [ "$tarball" = 1 ]; then
    archive="dist/pos-app-$version-linux-$(uname -m).tar.gz"
    rm -f "$archive"
    tar -C dist --owner=0 --group=0 --numeric-owner -czf "$archive" pos-app
    say "made $archive ($(du -h "$archive" | cut -f1))"
  fi
  say "dist/pos-app is $(du -sh dist/pos-app | cut -f1)"
fi
say "done in $(($(date +%s) - started)) s"
