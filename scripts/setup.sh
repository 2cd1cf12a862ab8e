#!/usr/bin/env bash
# Prepare a fresh machine: the Debian packages Qt needs, a virtual environment
# at .venv with pinned packages, and this package installed into it.
# Usage: bash scripts/setup.sh [--dev] [--gui] [--bundle-build]
# --bundle-build: only the Debian packages a bundle build needs (packaging/build.sh):
# Qt's and the X11 ones (the bundle carries them) and binutils; no .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
gui=0
bundle=0
for arg in "$@"; do
  case "$arg" in
    --dev) dev=1 ;;
    --gui) gui=1 ;;
    --bundle-build) bundle=1; gui=1 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

# Qt offscreen needs these; a real window on X11 (or Xvfb) needs the second set.
qt_packages=(libegl1 libgl1 libopengl0 libxkbcommon0 libfontconfig1 libfreetype6
  libdbus-1-3 libglib2.0-0 fonts-dejavu-core)
x11_packages=(xvfb xauth libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1
  libxcb-image0 libxcb-render-util0 libxcb-randr0 libxcb-shape0 libxcb-xkb1
  libxcb-xfixes0 libxcb-sync1 libxcb-shm0 libx11-xcb1)
wanted=("${qt_packages[@]}")
if [ "$gui" = 1 ]; then wanted+=("${x11_packages[@]}"); fi
if [ "$bundle" = 1 ]; then wanted+=(binutils); fi
# The tests start a throwaway PostgreSQL of their own (the store's database): Debian's
# server, whichever version it ships (its contrib extensions, pg_trgm, come with it).
if [ "$dev" = 1 ] && ! command -v initdb >/dev/null 2>&1 \
  && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  wanted+=(postgresql)
fi

if command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    echo "setup: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
      --no-upgrade "${missing[@]}" >/dev/null
  fi
fi

if [ "$bundle" = 1 ]; then exit 0; fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
extra=""
if [ "$dev" = 1 ]; then extra="[dev]"; fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extra}" 2>&1 \
  | grep -v "^WARNING: Location" || true
# Bytecode now, so no start of the till compiles source (an editable install leaves
# that to the first run, and a run with PYTHONDONTWRITEBYTECODE=1 to every run):
# about a third of the window's start-up. -j 0: one process per core.
.venv/bin/python -m compileall -q -j 0 pos_app >/dev/null
.venv/bin/python -c "import pos_app" # fails loudly if the install did not work
