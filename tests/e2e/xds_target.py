"""A folder window that takes drops the way a file manager takes files not yet on disk:
X's Direct Save protocol (XDS). Run by the system's Python (GTK's bindings) as
`xds_target.py X Y FOLDER`; it says `ready` once on screen at X, Y, then, for a drop, the
name the drag offered and the source's answer (`S`: it saves the file there)."""
import subprocess
import sys
from pathlib import Path

import gi

gi.require_version("Gdk", "3.0")
gi.require_version("GdkX11", "3.0")
gi.require_version("Gtk", "3.0")
from gi.repository import Gdk, GdkX11, Gtk  # noqa: E402,F401

x, y, folder = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
XDS = "XdndDirectSave0"

window = Gtk.Window(title="file-manager")
window.set_default_size(160, 200)
window.move(x, y)
window.add(Gtk.Label(label=folder.name))
window.drag_dest_set(0, [Gtk.TargetEntry.new(XDS, Gtk.TargetFlags.OTHER_APP, 0)], Gdk.DragAction.COPY)


def on_motion(_widget, context, _x, _y, time):
    Gdk.drag_status(context, Gdk.DragAction.COPY, time)
    return True


def on_drop(widget, context, _x, _y, time):
    # The source window's property holds the offered name; GDK cannot write a property from
    # Python, so xprop, as any X client may, puts the file's place there.
    source = str(context.get_source_window().get_xid())
    offered = subprocess.run(["xprop", "-id", source, "-notype", "-f", XDS, "8s", XDS], capture_output=True, text=True).stdout
    name = offered.split("=", 1)[1].strip().strip('"')
    print(f"offered {name}", flush=True)
    subprocess.run(["xprop", "-id", source, "-f", XDS, "8u", "-set", XDS, (folder / name).as_uri()], check=True)
    widget.drag_get_data(context, Gdk.Atom.intern(XDS, False), time)
    return True


def on_received(_widget, context, _x, _y, data, _info, time):
    answer = bytes(data.get_data() or b"").decode(errors="replace")
    print(f"answer {answer}", flush=True)
    Gtk.drag_finish(context, answer == "S", False, time)


window.connect("drag-motion", on_motion)
window.connect("drag-drop", on_drop)
window.connect("drag-data-received", on_received)
window.connect("map-event", lambda *_: print("ready", flush=True))
window.connect("destroy", Gtk.main_quit)
window.show_all()
Gtk.main()
