"""The tray icon for real, read over D-Bus as a desktop panel reads it: it follows the
transfers (an upload the app took over at its start), pauses them all and resumes them all
from its menu, and says each state in words. test_sync.py follows a sync pair in it."""
import json
from pathlib import Path

from conftest import screenshot
from test_transfers import kill_a_put_mid_way, sha256, strata


def test_the_tray_follows_the_transfers_and_pauses_and_resumes_them_all(strata_home, tray_watcher, app_factory,
                                                                          tmp_path):
    strata(strata_home, "bucket", "mk", "local:shoot")
    big = tmp_path / "film.mov"
    kill_a_put_mid_way(strata_home, big, 256, 16)

    app = app_factory()
    tray_watcher.item()
    tray_watcher.wait_for_label(lambda text: text.startswith("Transferring 1"))
    active_icon = tray_watcher.properties()["IconName"]
    assert Path(active_icon).is_file(), active_icon

    # Paused at once: the upload would otherwise finish while the test reads the menu.
    tray_watcher.click("Pause all")
    label = tray_watcher.wait_for_label(lambda text: text == "1 transfer paused")
    listed = json.loads(strata(strata_home, "transfers", "list").stdout)
    assert [job["state"] for job in listed] == ["paused"], listed
    assert tray_watcher.properties()["IconName"] != active_icon, "the paused icon replaced the active one"
    menu = tray_watcher.menu()
    actions = [item for item in menu if item != "Recent activity"]
    assert actions == ["Open Strata", label, "Pause all", "Resume all", "Quit"], menu
    assert menu[label][1] is False, "the state line is words, not an action"
    screenshot(app, "40-tray-paused")

    tray_watcher.click("Resume all")
    tray_watcher.wait_for_label(lambda text: text == "Up to date", timeout=180)
    listed = json.loads(strata(strata_home, "transfers", "list").stdout)
    assert [job["state"] for job in listed] == ["done"], listed
    back = tmp_path / "back.mov"
    strata(strata_home, "get", "local:shoot/film.mov", str(back))
    assert sha256(back) == sha256(big)
