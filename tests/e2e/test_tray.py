"""The tray icon for real, read over D-Bus as a desktop panel reads it: it follows the
transfers (an upload the app took over at its start), pauses them all and resumes them all
from its menu, and says each state in words."""
import json
import os
import signal
import subprocess
from pathlib import Path

from conftest import STRATA, screenshot
from test_transfers import sha256, strata


def test_the_tray_follows_the_transfers_and_pauses_and_resumes_them_all(strata_home, tray_watcher, app_factory,
                                                                          tmp_path):
    strata(strata_home, "bucket", "mk", "local:shoot")
    big = tmp_path / "film.mov"
    with open(big, "wb") as file:
        for _ in range(32):
            file.write(os.urandom(8 << 20))
    put = subprocess.Popen([str(STRATA), "--home", str(strata_home), "--json", "put", str(big), "local:shoot/"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in put.stderr:
        event = json.loads(line) if line.startswith("{") else {}
        if event.get("kind") == "job_progress" and event.get("bytes", 0) >= 16 << 20:
            break
    put.send_signal(signal.SIGKILL)
    put.wait()

    app = app_factory()
    tray_watcher.item()
    label = tray_watcher.wait_for_label(lambda text: text.startswith("Transferring 1"))
    menu = tray_watcher.menu()
    assert list(menu) == ["Open Strata", label, "Pause all transfers", "Resume all transfers", "Quit"], menu
    assert menu[label][1] is False, "the state line is words, not an action"
    active_icon = tray_watcher.properties()["IconName"]
    assert Path(active_icon).is_file(), active_icon

    tray_watcher.click("Pause all transfers")
    tray_watcher.wait_for_label(lambda text: text == "1 transfer paused")
    listed = json.loads(strata(strata_home, "transfers", "list").stdout)
    assert [job["state"] for job in listed] == ["paused"], listed
    assert tray_watcher.properties()["IconName"] != active_icon, "the paused icon replaced the active one"
    screenshot(app, "40-tray-paused")

    tray_watcher.click("Resume all transfers")
    tray_watcher.wait_for_label(lambda text: text == "Up to date", timeout=180)
    listed = json.loads(strata(strata_home, "transfers", "list").stdout)
    assert [job["state"] for job in listed] == ["done"], listed
    back = tmp_path / "back.mov"
    strata(strata_home, "get", "local:shoot/film.mov", str(back))
    assert sha256(back) == sha256(big)
