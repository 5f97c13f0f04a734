"""Drags files from the desktop onto the app window the way a user does: a GTK window offers
them (drag_source.py) and the pointer, moved through the X server (XTEST, as xdotool does),
carries them to the window over X's drag-and-drop protocol (XDND). The app sees a real drop."""
import subprocess
import time
from pathlib import Path

SOURCE = Path(__file__).with_name("drag_source.py")
# The system's Python: GTK's bindings come from Debian's python3-gi, not the test venv.
SYSTEM_PYTHON = "/usr/bin/python3"
# Beside the app's window (1100 x 720 at the screen's corner), on a 1280 x 800 screen.
SOURCE_AT = (1160, 700)


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


def drag_files(paths, to):
    """Drags `paths` from a file manager's window and drops them at screen point `to`."""
    source = subprocess.Popen([SYSTEM_PYTHON, str(SOURCE), *map(str, SOURCE_AT), *map(str, paths)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert source.stdout.readline().strip() == "ready", "the drag source did not come up"
        left, top = window_origin("drag-source")
        start = (left + 30, top + 30)
        xdotool("mousemove", *start)
        xdotool("mousedown", 1)
        # In steps, as a hand moves: GTK starts the drag past a threshold, and the window under
        # the pointer answers each position before the next.
        for step in range(1, 11):
            xdotool("mousemove", start[0] + (to[0] - start[0]) * step // 10, start[1] + (to[1] - start[1]) * step // 10)
            time.sleep(0.15)
        time.sleep(0.5)
        xdotool("mouseup", 1)
        outcome = source.stdout.readline().strip()
        assert outcome == "ended", f"the drop was refused ({outcome})"
    finally:
        source.terminate()
        source.wait(timeout=10)
