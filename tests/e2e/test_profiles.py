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


def test_add_a_profile_and_test_the_connection(app, moto, strata_home):
    first_run = wait(app).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=first-run]")))
    assert "Connect your first storage" in first_run.text
    screenshot(app, "01-first-run")

    first_run.find_element(By.XPATH, ".//button[normalize-space()='Add a profile']").click()
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
    assert [(p["name"], p["endpoint"], p["path_style"]) for p in profiles] == [("Studio Köln", moto, True)]
    for path in Path(strata_home).rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), f"secret found in {path}"


def test_a_dead_endpoint_is_explained_and_a_profile_is_deleted_after_confirmation(app):
    wait(app).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=first-run]")))
    button(app, "Add a profile").click()
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
    wait(app).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=first-run]")))
    assert 'Removed profile "Offline NAS" and its secret.' in app.find_element(By.CSS_SELECTOR, ".notice").text
