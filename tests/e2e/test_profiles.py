"""A person's first minutes with Strata, in the real window: add a profile, test it, read the
answer in words, and find the secret only in the keyring."""
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import free_port, screenshot

SECRET = "E2eSecretValue0123456789"


def wait(driver, seconds=20):
    return WebDriverWait(driver, seconds)


def fill(driver, element_id, text):
    field = driver.find_element(By.ID, element_id)
    field.clear()
    field.send_keys(text)


def button(driver, label):
    return driver.find_element(By.XPATH, f"//button[normalize-space()='{label}']")


def add_profile(driver, name, endpoint):
    Select(driver.find_element(By.ID, "profile-provider")).select_by_value("minio")
    fill(driver, "profile-name", name)
    fill(driver, "profile-endpoint", endpoint)
    fill(driver, "profile-access-key-id", "AKE2E")
    fill(driver, "profile-secret", SECRET)
    button(driver, "Add profile").click()
    wait(driver).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, "main h1"), name))


def test_first_run_opens_on_the_built_in_storage_ready_to_use(app):
    heading = wait(app).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "main h1")))
    assert heading.text == "local"
    assert "no account needed" in app.find_element(By.CSS_SELECTOR, "main .lead").text
    button(app, "Test connection").click()
    outcome = wait(app).until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=test-outcome] .note-ok"))
    )
    assert outcome.text.startswith("Connected to the built-in endpoint (http://127.0.0.1:")
    assert outcome.text.endswith("): 0 buckets.")
    screenshot(app, "01-first-run-local")


def test_add_a_profile_and_test_the_connection(app, moto, strata_home):
    wait(app).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, "main h1"), "local"))
    button(app, "+ Add").click()
    add_profile(app, "Studio Köln", moto)
    button(app, "Test connection").click()
    outcome = wait(app).until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=test-outcome] .note-ok"))
    )
    assert outcome.text == f"Connected to {moto}: 1 bucket."
    screenshot(app, "02-connected")

    # The engine saw what the user typed, and the secret is in the keyring only.
    profiles = app.execute_async_script(
        "window.__TAURI_INTERNALS__.invoke('profile_list').then(arguments[0], arguments[0])"
    )
    studio = [p for p in profiles if p["name"] == "Studio Köln"]
    assert [(p["endpoint"], p["path_style"]) for p in studio] == [(moto, True)]
    for path in Path(strata_home).rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), f"secret found in {path}"


def test_a_dead_endpoint_is_explained_and_a_profile_is_deleted_after_confirmation(app):
    wait(app).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, "main h1"), "local"))
    button(app, "+ Add").click()
    dead = f"http://127.0.0.1:{free_port()}"
    add_profile(app, "Offline NAS", dead)
    button(app, "Test connection").click()
    alert = wait(app).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=test-outcome] [role=alert]")))
    assert f"Nothing answered at {dead}" in alert.text
    assert "endpoint_unreachable" in alert.text
    screenshot(app, "03-unreachable")

    button(app, "Delete").click()
    dialog = wait(app).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "[role=alertdialog]")))
    assert "Offline NAS" in dialog.text
    button(app, "Delete profile").click()
    wait(app).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".notice"), 'Removed profile "Offline NAS"'))
    names = [e.text for e in app.find_elements(By.CSS_SELECTOR, ".profile-name")]
    assert names == ["local"]


def test_the_built_in_profile_can_be_removed_and_restored(app):
    wait(app).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, "main h1"), "local"))
    button(app, "Delete").click()
    dialog = wait(app).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "[role=alertdialog]")))
    assert "files stored on this computer are kept" in dialog.text
    button(app, "Delete profile").click()
    wait(app).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=first-run]")))
    button(app, "Restore built-in local storage").click()
    wait(app).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, "main h1"), "local"))
