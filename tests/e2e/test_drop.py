"""Drag and drop between the desktop and the real window, moved by the X pointer.

In: files dragged from another window (a GTK drag source) are dropped on a folder's row and
on the window; they upload there with their folders' structure, the biggest is paused and
resumed in the transfers panel, and every object ends up byte for byte in the bucket, with
nothing left open. The bucket is moto's, behind a link paced at 4 MiB/s per connection so
that a 40 MiB file is still going up when the test pauses it.

Out: an object and a folder dragged from the list onto a file manager's folder window (one
that takes files by X's Direct Save protocol, as GTK and Qt file managers do) download into
that folder."""
import hashlib
import os
import subprocess
import time

import boto3
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from conftest import STRATA, screenshot
from drag import center_on_screen, drag_files, drag_out
from slow_link import SlowLink
from test_objects import OBJECTS, fill_store, object_names, open_row, wait


def transfer(driver, name):
    return driver.find_element(By.XPATH, "//section[@aria-label='Transfers']//li"
                                         f"[span[@class='transfer-name' and text()='{name}']]")


def test_files_and_a_folder_dropped_on_the_window_upload_where_they_were_dropped(strata_home, app_factory, moto, tmp_path):
    bucket = boto3.client("s3", endpoint_url=moto, region_name="us-east-1",
                          aws_access_key_id="AKE2E", aws_secret_access_key="e2e")
    bucket.put_object(Bucket="shoot-2026", Key="raw/existing.cr3", Body=b"raw")
    link = SlowLink(int(moto.rsplit(":", 1)[1]), 4 << 20)
    subprocess.run([str(STRATA), "--home", str(strata_home), "profile", "add", "studio", "--endpoint",
                    f"http://127.0.0.1:{link.port}", "--path-style", "--access-key-id", "AKE2E", "--secret-stdin"],
                   input="e2e", text=True, check=True, timeout=60)

    export = tmp_path / "export"
    (export / "day1").mkdir(parents=True)
    (export / "day 2 · Köln").mkdir()
    (export / "day1" / "001.jpg").write_bytes(os.urandom(300_000))
    (export / "day 2 · Köln" / "notes.txt").write_text("Ünïcode notes\n")
    film = export / "film.mov"
    film.write_bytes(os.urandom(40 << 20))
    sidecar = tmp_path / "001.xmp"
    sidecar.write_text("<x:xmpmeta/>")

    app = app_factory()
    wait(app).until(lambda d: d.find_element(By.XPATH, "//button[span[@class='profile-name' and text()='studio']]")).click()
    open_row(app, "shoot-2026", ".bucket-row")
    wait(app).until(lambda d: object_names(d) == ["raw/"])

    # Onto the folder's row: into that folder.
    raw_row = app.find_element(By.XPATH, "//div[contains(@class,'object-row')][span[@class='cell-name' and text()='raw/']]")
    drag_files([sidecar], center_on_screen(app, raw_row))
    wait(app).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".notice"), "Uploading 1 file to studio:shoot-2026/raw/…"))
    wait(app).until(lambda d: transfer(d, "001.xmp").get_attribute("data-state") == "done")

    # Onto the window, away from any folder: into the folder on show, the dropped folder kept whole.
    empty_space = app.find_element(By.CSS_SELECTOR, ".object-main")
    x, y = center_on_screen(app, empty_space)
    drag_files([export], (x, y + 150))
    wait(app).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".notice"), "Uploading 3 files to studio:shoot-2026/…"))

    # The big one is going up; paused half-way it stays paused, then resumed it finishes.
    wait(app, 60).until(lambda d: " MB of 42 MB" in transfer(d, "film.mov").text)
    screenshot(app, "64-drop-uploading")
    transfer(app, "film.mov").find_element(By.XPATH, ".//button[normalize-space()='Pause']").click()
    wait(app).until(lambda d: transfer(d, "film.mov").get_attribute("data-state") == "paused")
    paused_at = transfer(app, "film.mov").text
    time.sleep(2)
    assert transfer(app, "film.mov").text == paused_at, "a paused transfer moved on"
    assert "export/film.mov" not in [o["Key"] for o in bucket.list_objects_v2(Bucket="shoot-2026")["Contents"]]
    transfer(app, "film.mov").find_element(By.XPATH, ".//button[normalize-space()='Resume']").click()
    wait(app, 120).until(lambda d: transfer(d, "film.mov").get_attribute("data-state") == "done")

    wait(app).until(lambda d: object_names(d) == ["export/", "raw/"])
    open_row(app, "export/")
    wait(app).until(lambda d: object_names(d) == ["day 2 · Köln/", "day1/", "film.mov"])
    screenshot(app, "65-drop-uploaded")

    sent = {
        "raw/existing.cr3": b"raw",
        "raw/001.xmp": sidecar.read_bytes(),
        "export/day1/001.jpg": (export / "day1" / "001.jpg").read_bytes(),
        "export/day 2 · Köln/notes.txt": (export / "day 2 · Köln" / "notes.txt").read_bytes(),
        "export/film.mov": film.read_bytes(),
    }
    landed = {o["Key"]: hashlib.sha256(bucket.get_object(Bucket="shoot-2026", Key=o["Key"])["Body"].read()).hexdigest()
              for o in bucket.list_objects_v2(Bucket="shoot-2026")["Contents"]}
    assert landed == {key: hashlib.sha256(body).hexdigest() for key, body in sent.items()}
    assert bucket.list_multipart_uploads(Bucket="shoot-2026").get("Uploads", []) == []

    # A drop uploads once: the page cannot send the same files again later.
    again = app.execute_async_script(
        "const done = arguments[2];"
        "window.__TAURI_INTERNALS__.invoke('upload_dropped', {paths: arguments[0], folder: arguments[1]})"
        ".then(ok => done({ok}), error => done({error}))",
        [str(export)], {"profile": "studio", "bucket": "shoot-2026", "prefix": "again/", "metadata": []})
    assert again["error"]["code"] == "invalid_input", again
    link.close()


def test_an_object_and_a_folder_dragged_out_download_where_they_are_dropped(strata_home, app_factory, tmp_path):
    fill_store(strata_home)
    desktop = tmp_path / "Desktop"
    desktop.mkdir()
    app = app_factory()
    open_row(app, "shoot", ".bucket-row")
    wait(app).until(lambda d: object_names(d) == ["raw/", "notes.txt"])

    def row(name):
        return app.find_element(By.XPATH, f"//div[contains(@class,'object-row')][span[@class='cell-name' and text()='{name}']]")

    assert drag_out(app, row("notes.txt"), desktop) == "notes.txt"
    wait(app).until(lambda _: (desktop / "notes.txt").exists())
    assert (desktop / "notes.txt").read_bytes() == OBJECTS["notes.txt"]

    assert drag_out(app, row("raw/"), desktop) == "raw"
    folder = {key.removeprefix("raw/"): body for key, body in OBJECTS.items() if key.startswith("raw/")}
    wait(app).until(lambda _: all((desktop / "raw" / name).exists() for name in folder))
    assert {name: (desktop / "raw" / name).read_bytes() for name in folder} == folder
    # Nothing half-written is left beside them.
    assert sorted(p.name for p in desktop.rglob("*") if p.is_file()) == sorted(
        ["notes.txt", *(name.rsplit("/", 1)[-1] for name in folder)])
    wait(app).until(lambda d: d.find_element(By.XPATH, "//section[@aria-label='Transfers']//li"
                                                        "[span[@class='transfer-name' and text()='cover.jpg']]"
                                                        ).get_attribute("data-state") == "done")
    screenshot(app, "66-dragged-out")
