"""Archiving in the real window, on the built-in endpoint (whose restores take a second here):
a folder archived from the browser to a cold bucket in GLACIER leaves the hot bucket, shows
in the projects view with its manifest, verifies, and comes back byte for byte; the cold
bucket then gets a lifecycle rule from the browser, read back from the command line."""
import json

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import local_store, screenshot
from test_objects import OBJECTS, button, click_row, object_names, open_row, wait
from test_transfers import strata


def project_text(driver):
    return driver.execute_script(
        "return [...document.querySelectorAll('.project')].map(e => e.textContent).join('\\n')")


def test_a_folder_archived_from_the_browser_comes_back(strata_home, app_factory, tmp_path):
    with local_store(strata_home) as s3:
        s3.create_bucket(Bucket="shoot")
        s3.create_bucket(Bucket="cold")
        for key, body in OBJECTS.items():
            s3.put_object(Bucket="shoot", Key=key, Body=body)
    app = app_factory(STRATA_LOCAL_RESTORE_SECONDS="1")

    open_row(app, "shoot", ".bucket-row")
    wait(app).until(lambda d: object_names(d) == ["raw/", "notes.txt"])
    click_row(app, "raw/")
    button(app, "Archive…").click()
    dialog = wait(app).until(lambda d: d.find_element(By.CSS_SELECTOR, "[role=dialog][aria-label='Archive raw/']"))
    to = dialog.find_element(By.XPATH, ".//label[contains(., 'To another bucket')]/input")
    to.clear()
    to.send_keys("local:cold")
    classes = Select(dialog.find_element(By.XPATH, ".//label[contains(., 'Storage class')]/select"))
    wait(app).until(lambda d: len(classes.options) > 1)
    classes.select_by_value("GLACIER")
    screenshot(app, "60-archive-dialog")
    dialog.find_element(By.XPATH, ".//button[normalize-space()='Archive']").click()

    # The sources go only once every copy verified; the browser then shows the folder gone.
    wait(app, 60).until(lambda d: object_names(d) == ["notes.txt"])
    archived = json.loads(strata(strata_home, "ls", "local:cold/shoot/raw/", "--recursive").stdout)
    assert sorted(e["key"] for e in archived) == [
        "shoot/raw/.strata-manifest.json", "shoot/raw/2026/wedding-001.cr3",
        "shoot/raw/2026/wedding-002.cr3", "shoot/raw/cover.jpg"], archived
    assert {e["storage_class"] for e in archived if not e["key"].endswith(".json")} == {"GLACIER"}

    button(app, "Projects").click()
    wait(app, 30).until(lambda d: "Archived" in project_text(d))
    text = project_text(app)
    assert "local:cold/shoot/raw/ (GLACIER)" in text, text
    assert "3 objects" in text and "local:cold/shoot/raw/.strata-manifest.json" in text, text
    button(app, "Verify").click()
    wait(app).until(lambda d: "Verified: all 3 objects match the manifest." in project_text(d))
    screenshot(app, "61-projects-view")

    button(app, "Restore…").click()
    dialog = wait(app).until(lambda d: d.find_element(By.CSS_SELECTOR, "[role=dialog][aria-label='Restore raw']"))
    wait(app).until(lambda d: "3 in GLACIER need a restore first" in dialog.text)
    dialog.find_element(By.XPATH, ".//label[contains(., 'Expedited')]/input").click()
    screenshot(app, "62-restore-dialog")
    dialog.find_element(By.XPATH, ".//button[normalize-space()='Restore']").click()
    wait(app, 90).until(lambda d: "Restored" in project_text(d))
    assert "Back in hot storage at local:shoot/raw/." in project_text(app)

    into = tmp_path / "back"
    into.mkdir()
    strata(strata_home, "get", "local:shoot/raw/", str(into))
    for key, body in OBJECTS.items():
        if key.startswith("raw/"):
            assert (into / key).read_bytes() == body, key

    # The cold bucket's lifecycle: Strata's rule is written beside none other, and read back.
    app.find_element(By.XPATH, "//button[contains(@class, 'sidebar-bucket')][normalize-space()='cold']").click()
    button(app, "Lifecycle rules…").click()
    dialog = wait(app).until(lambda d: d.find_element(By.CSS_SELECTOR, "[role=dialog][aria-label='Lifecycle rules of local:cold']"))
    wait(app).until(lambda d: "None yet." in dialog.text)
    dialog.find_element(By.XPATH, ".//button[normalize-space()='Add rule']").click()
    dialog.find_element(By.XPATH, ".//label[contains(., 'Prefix')]/input").send_keys("shoot/")
    Select(dialog.find_element(By.XPATH, ".//label[contains(., 'Move to class')]/select")).select_by_value("DEEP_ARCHIVE")
    dialog.find_element(By.XPATH, ".//button[normalize-space()='Save']").click()
    wait(app).until(lambda d: "strata-1" in dialog.text)
    screenshot(app, "63-lifecycle-rules")
    rules = json.loads(strata(strata_home, "lifecycle", "get", "local:cold").stdout)["rules"]
    assert [(r["id"], r["prefix"], r["transition_class"], r["transition_days"]) for r in rules] == [
        ("strata-1", "shoot/", "DEEP_ARCHIVE", 30)], rules
