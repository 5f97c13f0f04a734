"""Drags between the app window and the desktop the way a user does, with the pointer moved
through the X server (XTEST, as xdotool does) over X's drag-and-drop protocol (XDND): files
from a GTK window that offers them (drag_source.py) onto the app, and objects out of the app
onto a folder window that takes files by X's Direct Save protocol (xds_target.py), as a file
manager does. The app sees, and answers, real drags."""
import queue
import subprocess
import threading
import time
from pathlib import Path

SOURCE = Path(__file__).with_name("drag_source.py")
TARGET = Path(__file__).with_name("xds_target.py")
# The system's Python: GTK's bindings come from Debian's python3-gi, not the test venv.
SYSTEM_PYTHON = "/usr/bin/python3"
# Beside the app's window (1100 x 720 at the screen's corner), on a 1280 x 800 screen.
SOURCE_AT = (1160, 700)
TARGET_AT = (1110, 80)


def xdotool(*args):
    return subprocess.run(["xdotool", *map(str, args)], capture_output=True, text=True, timeout=30, check=True).stdout


def window_origin(title):
    """The screen position of the visible window titled `title`."""
    window = xdotool("search", "--sync", "--onlyvisible", "--name", f"^{title}$").split()[-1]
    shell = dict(line.split("=", 1) for line in xdotool("getwindowgeometry", "--shell", window).split())
    return int(shell["X"]), int(shell["Y"])


def page_origin(driver):
    """Where the app's page starts on the screen, as the page itself sees the pointer: moved
    into the window, the pointer's screen and page coordinates differ by just that."""
    driver.execute_script("window.pointerOffset = null; addEventListener('mousemove', (e) =>"
                          " { window.pointerOffset = [e.screenX - e.clientX, e.screenY - e.clientY]; }, { once: true });")
    left, top = window_origin("Strata")
    for nudge in range(5):
        xdotool("mousemove", left + 200 + nudge, top + 200)
        offset = driver.execute_script("return window.pointerOffset")
        if offset:
            return offset
        time.sleep(0.2)
    raise AssertionError("the page never saw the pointer")


def center_on_screen(driver, element):
    """Where the middle of `element` of the app's page is on the screen."""
    rect = driver.execute_script("const r = arguments[0].getBoundingClientRect();"
                                 "return [r.left + r.width / 2, r.top + r.height / 2];", element)
    left, top = page_origin(driver)
    return round(left + rect[0]), round(top + rect[1])


def helper(script, *args):
    """Starts a GTK helper window, whose lines are read as they come: see `said`."""
    process = subprocess.Popen([SYSTEM_PYTHON, str(script), *map(str, args)], stdout=subprocess.PIPE, text=True)
    process.lines = queue.Queue()
    threading.Thread(target=lambda: [process.lines.put(line.strip()) for line in process.stdout], daemon=True).start()
    return process


def said(process, seconds=20):
    """The next line the helper prints, or "" if it says nothing for `seconds`."""
    try:
        return process.lines.get(timeout=seconds)
    except queue.Empty:
        return ""


def carry(start, end):
    """Presses the button at `start`, moves to `end` in steps, as a hand moves (GTK and WebKit
    start a drag past a threshold, and the window under the pointer answers each position
    before the next), and lets go."""
    xdotool("mousemove", *start)
    xdotool("mousedown", 1)
    for step in range(1, 11):
        xdotool("mousemove", start[0] + (end[0] - start[0]) * step // 10, start[1] + (end[1] - start[1]) * step // 10)
        time.sleep(0.15)
    time.sleep(0.5)
    xdotool("mouseup", 1)


def drag_files(paths, to):
    """Drags `paths` from a file manager's window and drops them at screen point `to`."""
    source = helper(SOURCE, *SOURCE_AT, *paths)
    try:
        assert said(source) == "ready", "the drag source did not come up"
        left, top = window_origin("drag-source")
        carry((left + 30, top + 30), to)
        outcome = said(source)
        assert outcome == "ended", f"the drop was refused ({outcome})"
    finally:
        source.terminate()
        source.wait(timeout=10)


def drag_out(driver, element, folder):
    """Drags `element` of the app's page onto a file manager's window showing `folder`, which
    asks by XDS to have it saved there; returns the name the app offered."""
    target = helper(TARGET, *TARGET_AT, folder)
    try:
        assert said(target) == "ready", "the file manager did not come up"
        left, top = window_origin("file-manager")
        carry(center_on_screen(driver, element), (left + 80, top + 100))
        offered = said(target)
        assert offered.startswith("offered "), f"nothing was dropped ({offered!r})"
        answer = said(target)
        assert answer == "answer S", f"the app did not take the drop ({answer!r})"
        return offered.removeprefix("offered ")
    finally:
        target.terminate()
        target.wait(timeout=10)
