"""Sync in the real window: files saved in a folder added in the sync view go up by
themselves, and the view, the tray (read over D-Bus, as a panel reads it) and the desktop's
notifications say so; the tray's "Pause all" pauses the pair and "Resume all" resumes it; a
folder that disappears is reported, never read as everything deleted; starting at login
writes and removes the desktop's autostart entry."""
import json
import shutil
import time

from selenium.webdriver.common.by import By

from conftest import screenshot
from test_objects import answer_picker, button, wait
from test_transfers import strata


def remote_keys(strata_home):
    listed = json.loads(strata(strata_home, "ls", "local:photos/exports/", "--recursive").stdout)
    return sorted(entry["key"] for entry in listed)


def until(what, check, timeout=90):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.3)


def card_text(driver):
    return driver.execute_script(
        "return [...document.querySelectorAll('.pair')].map(e => e.textContent).join('\\n')")


def checkbox(driver, label):
    return driver.find_element(By.XPATH, f"//label[contains(., '{label}')]/input")


def test_a_folder_added_in_the_app_syncs_and_keeps_syncing(strata_home, tray_watcher, notification_server,
                                                           app_factory, tmp_path):
    strata(strata_home, "bucket", "mk", "local:photos")
    folder = tmp_path / "Exports"
    folder.mkdir()
    home = tmp_path / "home"
    home.mkdir()

    app = app_factory(HOME=str(home))
    tray_watcher.item()
    # The sidebar lists the profile's buckets above the Sync link as they load: a click made
    # before they are there can land on a bucket that moved under the pointer.
    wait(app).until(lambda d: d.find_element(By.XPATH, "//button[contains(@class, 'sidebar-bucket')][normalize-space()='photos']"))
    button(app, "Sync").click()
    field = wait(app).until(lambda d: d.find_element(By.XPATH, "//label[contains(., 'Upload to')]/input"))
    field.clear()
    field.send_keys("local:photos/exports/")
    button(app, "Choose a folder to sync…").click()
    answer_picker("Folder to sync", f"{folder}/")

    # A shoot's export lands in the folder after it was paired: the watcher sends it whole.
    (folder / "2026").mkdir()
    exported = [f"2026/Hochzeit Müller {n:02}.tif" for n in range(11)]
    for name in exported:
        (folder / name).write_bytes(b"tif" * 1000)
    (folder / "cover.jpg").write_bytes(b"jpeg" * 100)
    (folder / ".DS_Store").write_bytes(b"litter")
    expected = sorted([f"exports/{name}" for name in exported] + ["exports/cover.jpg"])
    until("the export", lambda: remote_keys(strata_home) == expected)
    wait(app, 60).until(lambda d: "Up to date" in card_text(d) and "12 files" in card_text(d))
    notification_server.wait_for(lambda summary, body: body == "12 files uploaded and verified.")
    line = f"{folder.name} → local:photos/exports/: up to date"
    until("the pair in the tray menu", lambda: line in tray_watcher.menu())

    # Saved later, while the app runs: it goes up too.
    (folder / "2026" / "retouched.tif").write_bytes(b"retouched" * 100)
    until("the new file", lambda: "exports/2026/retouched.tif" in remote_keys(strata_home))
    wait(app, 60).until(lambda d: "13 files" in card_text(d))
    screenshot(app, "50-sync-view")

    tray_watcher.click("Pause all")
    tray_watcher.wait_for_label(lambda text: text == "Sync paused")
    pairs = json.loads(strata(strata_home, "sync", "list").stdout)
    assert [p["active"] for p in pairs] == [False], pairs
    wait(app, 30).until(lambda d: "Paused" in card_text(d))
    tray_watcher.click("Resume all")
    tray_watcher.wait_for_label(lambda text: text == "Up to date")
    pairs = json.loads(strata(strata_home, "sync", "list").stdout)
    assert [p["active"] for p in pairs] == [True], pairs

    # Starting at login is the desktop's own autostart entry.
    checkbox(app, "Start Strata at login").click()
    autostart = home / ".config" / "autostart"
    until("the autostart entry", lambda: any(autostart.glob("*.desktop")))
    entry = next(autostart.glob("*.desktop")).read_text()
    assert "strata-app" in entry, entry
    checkbox(app, "Start Strata at login").click()
    until("the autostart entry removed", lambda: not any(autostart.glob("*.desktop")))

    # The folder goes away (an unplugged drive): the pair says so, nothing is deleted.
    shutil.rmtree(folder)
    notification_server.wait_for(lambda summary, body: "cannot be opened" in body)
    tray_watcher.wait_for_label(lambda text: text == "1 folder needs attention")
    wait(app, 30).until(lambda d: "Folder missing" in card_text(d))
    assert len(remote_keys(strata_home)) == 13
    screenshot(app, "51-sync-folder-missing")
