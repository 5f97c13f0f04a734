"""Transfers across a restart in the real window: an upload whose `strata put` was killed with
SIGKILL half-way is taken over by the app when it starts, finishes on its own, and shows as
done in the transfers panel; the object then downloads byte for byte. A multipart upload
another tool left open is listed as not Strata's and aborted from the bucket's view."""
import hashlib
import json
import os
import signal
import subprocess

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from conftest import STRATA, local_store, screenshot
from test_objects import button, open_row, wait


def strata(strata_home, *args):
    return subprocess.run([str(STRATA), "--home", str(strata_home), "--json", *args],
                          capture_output=True, text=True, timeout=120, check=True)


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def kill_a_put_mid_way(strata_home, path, mib, after_mib):
    """Writes `mib` MiB of random bytes to `path`, starts `strata put` of it into local:shoot/
    and kills it with SIGKILL once `after_mib` MiB went up: its job is left running."""
    with open(path, "wb") as file:
        for _ in range(mib // 8):
            file.write(os.urandom(8 << 20))
    put = subprocess.Popen([str(STRATA), "--home", str(strata_home), "--json", "put", str(path), "local:shoot/"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in put.stderr:
        event = json.loads(line) if line.startswith("{") else {}
        if event.get("kind") == "job_progress" and event.get("bytes", 0) >= after_mib << 20:
            break
    put.send_signal(signal.SIGKILL)
    put.wait()


def leave_an_upload_open(strata_home, key):
    """Starts a multipart upload with one part through `strata serve-local`, as another tool
    that crashed would leave it."""
    with local_store(strata_home) as s3:
        upload = s3.create_multipart_upload(Bucket="shoot", Key=key)
        s3.upload_part(Bucket="shoot", Key=key, UploadId=upload["UploadId"], PartNumber=1, Body=b"x" * (5 << 20))


def test_an_upload_killed_mid_way_is_finished_by_the_app_at_its_start(strata_home, app_factory, tmp_path):
    strata(strata_home, "bucket", "mk", "local:shoot")
    leave_an_upload_open(strata_home, "old/export.zip")
    big = tmp_path / "wedding.mov"
    kill_a_put_mid_way(strata_home, big, 192, 32)
    listed = json.loads(strata(strata_home, "transfers", "list").stdout)
    assert [job["state"] for job in listed] == ["running"], listed
    assert listed[0]["bytes"] < big.stat().st_size, "stopped half-way"

    app = app_factory()
    done = wait(app, 120).until(ec.presence_of_element_located((By.XPATH,
        "//section[@aria-label='Transfers']//li[@data-state='done']"
        "[span[@class='transfer-name' and text()='wedding.mov']]")))
    assert "201 MB" in done.text, done.text
    screenshot(app, "30-transfers-resumed-after-restart")

    back = tmp_path / "back.mov"
    strata(strata_home, "get", "local:shoot/wedding.mov", str(back))
    assert sha256(back) == sha256(big)

    # The upload another tool left open: listed as not Strata's, aborted on request.
    open_row(app, "shoot", ".bucket-row")
    button(app, "Unfinished uploads").click()
    stale = wait(app).until(ec.visibility_of_element_located((By.XPATH,
        "//section[@aria-label='Unfinished uploads']//li[span[text()='old/export.zip']]")))
    assert "not Strata's" in stale.text and "1 part" in stale.text, stale.text
    screenshot(app, "31-unfinished-uploads")
    stale.find_element(By.XPATH, ".//button[normalize-space()='Abort']").click()
    wait(app).until(ec.text_to_be_present_in_element(
        (By.CSS_SELECTOR, "section[aria-label='Unfinished uploads']"), "None: no parts are left behind"))
    assert json.loads(strata(strata_home, "uploads", "ls", "local:shoot").stdout) == []


def test_transfer_settings_saved_in_the_app_hold_for_the_next_upload(strata_home, app_factory, tmp_path):
    strata(strata_home, "bucket", "mk", "local:shoot")
    app = app_factory()
    wait(app).until(lambda d: d.find_element(By.XPATH, "//button[contains(@class, 'sidebar-bucket')][normalize-space()='shoot']"))
    button(app, "Sync").click()
    settings = wait(app).until(lambda d: d.find_element(By.XPATH, "//details[summary[text()='Transfer settings']]"))
    settings.find_element(By.TAG_NAME, "summary").click()
    part_size = settings.find_element(By.XPATH, ".//label[contains(., 'Part size of large files')]/input")
    assert part_size.get_attribute("placeholder") == "8", "empty: Strata's choice"
    part_size.send_keys("16")
    settings.find_element(By.XPATH, ".//button[normalize-space()='Save']").click()
    wait(app).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, "details.transfer-settings"), "Saved."))
    screenshot(app, "32-transfer-settings")

    # The next upload, here by the CLI on the same data folder, goes in parts of 16 MiB: a
    # 40 MiB file in three, where Strata's choice of 8 MiB makes five.
    video = tmp_path / "interview.mov"
    video.write_bytes(os.urandom(40 << 20))
    strata(strata_home, "put", str(video), "local:shoot/")
    with local_store(strata_home) as s3:
        etag = s3.head_object(Bucket="shoot", Key="interview.mov")["ETag"]
    assert etag.strip('"').endswith("-3"), etag
