#!/usr/bin/env bash
# Install this unpacked pos-app folder for every user of the PC: the program in
# /opt/pos-app, `pos-app` on the PATH and an entry in the applications menu.
# Run as root from the folder the tarball unpacked:
#   sudo ./install.sh               install, or update in place
#   sudo ./install.sh --uninstall   remove the program, keep the shop's data
# The shop's data is never touched: each user's journal, history and settings
# live in ~/.local/share/pos-app, ~/.config/pos-app and ~/.local/state/pos-app
# (platformdirs), and the client secret in the desktop keyring.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prefix=/opt/pos-app
link=/usr/local/bin/pos-app
desktop=/usr/share/applications/pos-app.desktop
icon=/usr/share/icons/hicolor/256x256/apps/pos-app.png

refresh_menus() {
  if command -v update-desktop-database >/dev/null; then update-desktop-database -q || true; fi
  if command -v gtk-update-icon-cache >/dev/null; then
    gtk-update-icon-cache -q /usr/share/icons/hicolor 2>/dev/null || true
  fi
}

case "${1:-}" in
  "") ;;
  --uninstall)
    rm -rf "$prefix"
    rm -f "$link" "$desktop" "$icon"
    refresh_menus
    echo "pos-app removed; the shop's data and settings were left in place."
    exit 0
    ;;
  *) echo "usage: sudo ./install.sh [--uninstall]" >&2; exit 2 ;;
esac

if [ ! -x "$here/pos-app" ] || [ ! -d "$here/_internal" ]; then
  echo "install.sh: run it from the unpacked pos-app folder" >&2
  exit 2
fi
if [ "$here" != "$prefix" ]; then
  mkdir -p "$(dirname "$prefix")"
  rm -rf "$prefix.new"
  cp -a "$here" "$prefix.new"
  rm -rf "$prefix"
  mv "$prefix.new" "$prefix"
fi
ln -sfn "$prefix/pos-app" "$link"
install -D -m 644 "$prefix/pos-app.desktop" "$desktop"
install -D -m 644 "$prefix/pos-app.png" "$icon"
refresh_menus
echo "pos-app installed in $prefix; check it with: $prefix/pos-app-console --self-test"
