"""A window that offers files to drag, as a file manager does: run by the system's Python
(which has GTK's bindings) as `drag_source.py X Y PATH...`. It says `ready` once it is on
screen at X, Y, then how the drag ended: `dropped` or `failed`."""
import sys
from pathlib import Path

import gi

gi.require_version("Gdk", "3.0")
gi.require_version("Gtk", "3.0")
from gi.repository import Gdk, Gtk  # noqa: E402

x, y = int(sys.argv[1]), int(sys.argv[2])
uris = [Path(path).resolve().as_uri() for path in sys.argv[3:]]

window = Gtk.Window(title="drag-source")
window.set_default_size(100, 60)
window.move(x, y)
files = Gtk.Button(label=f"{len(uris)} files")
files.drag_source_set(Gdk.ModifierType.BUTTON1_MASK, [], Gdk.DragAction.COPY)
files.drag_source_add_uri_targets()
files.connect("drag-data-get", lambda _widget, _context, data, _info, _time: data.set_uris(uris))
files.connect("drag-failed", lambda *_: print("failed", flush=True))
files.connect("drag-end", lambda *_: print("ended", flush=True))
window.add(files)
window.connect("map-event", lambda *_: print("ready", flush=True))
window.connect("destroy", Gtk.main_quit)
window.show_all()
Gtk.main()
