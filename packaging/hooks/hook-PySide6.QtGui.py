"""PyInstaller's own QtGui hook, minus the Qt plugins a shop's PC never needs.

This file replaces PyInstaller's hook for PySide6.QtGui (a hook in the spec's
hookspath wins over the built-in one), so the dropped plugins never reach the
dependency analysis and the libraries only they need stay out of the bundle:

- `generic`, `egldeviceintegrations` and the eglfs, linuxfb, minimalegl,
  vkkhrdisplay and VNC platforms: embedded screens and raw input devices. The
  VNC and TUIO plugins are also the only users of libQt6Network (and, through
  it, Kerberos).
- the GTK 3 platform theme: it drags in cairo, pango and gdk-pixbuf but needs
  the PC's own GTK anyway; Qt falls back to its own look.

The desktop platforms stay (xcb, wayland, windows, cocoa), and so does
offscreen, which `pos-app --self-test` uses.
"""

from pathlib import Path

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

DROPPED_PLUGIN_TYPES = {"generic", "egldeviceintegrations"}
DROPPED_PLUGINS = {
    "platforms": {"qeglfs", "qlinuxfb", "qminimalegl", "qvkkhrdisplay", "qvnc"},
    "platformthemes": {"qgtk3"},
}


def _dropped(source: str) -> bool:
    path = Path(source)
    plugin_type = path.parent.name
    if path.parent.parent.name != "plugins":
        return False
    stem = path.name.split(".")[0].removeprefix("lib")
    return plugin_type in DROPPED_PLUGIN_TYPES or stem in DROPPED_PLUGINS.get(plugin_type, ())


hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries = [(source, target) for source, target in binaries if not _dropped(source)]
