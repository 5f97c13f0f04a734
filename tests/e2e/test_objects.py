"""The object browser in the real window, on the built-in endpoint: open a bucket, enter a
folder, see the grid, download a file, copy a presigned link, delete with confirmation."""
import subprocess
import time
import urllib.request

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from conftest import ROOT, local_store, screenshot
OBJECTS = {
    "notes.txt": b"hello from the bucket",
    "raw/2026/wedding-001.cr3": b"raw bytes 1" * 100,
    "raw/2026/wedding-002.cr3": b"raw bytes 2" * 100,
    "raw/cover.jpg": (ROOT / "tests" / "e2e" / "fixtures" / "cover.jpg").read_bytes(),
}


def wait(driver, seconds=30):
    return WebDriverWait(driver, seconds)


def object_names(driver):
    # Read in one script: the list re-renders while pages arrive, which would leave element
    # handles stale between two WebDriver calls.
    return driver.execute_script(
        "return [...document.querySelectorAll('.object-row .cell-name')].map(e => e.textContent)")


def click_row(driver, name, selector=".object-row"):
    """Clicks the row showing `name`, looking it up again if it was re-rendered meanwhile."""
    def attempt(d):
        try:
            for element in d.find_elements(By.CSS_SELECTOR, selector):
                if element.find_element(By.CSS_SELECTOR, ".cell-name").get_attribute("textContent") == name:
                    element.click()
                    return True
        except StaleElementReferenceException:
            pass
        return False
    wait(driver).until(attempt)


def open_row(driver, name, selector=".object-row"):
    """Selects a row and opens it with Enter, as a keyboard user does."""
    click_row(driver, name, selector)
    driver.switch_to.active_element.send_keys(Keys.ENTER)


def button(driver, label):
    return driver.find_element(By.XPATH, f"//button[normalize-space()='{label}']")


def fill_store(strata_home):
    """Puts a photographer's bucket into the built-in store through `strata serve-local`."""
    with local_store(strata_home) as s3:
        s3.create_bucket(Bucket="shoot")
        for key, body in OBJECTS.items():
            s3.put_object(Bucket="shoot", Key=key, Body=body)


def answer_picker(title, path):
    """Answers the system's file or folder picker (GTK's, titled `title`) as a keyboard user
    does: Ctrl+L, the path, Enter. Keys go through the X server (XTEST), like a user's."""
    # The picker's window can be found before it is mapped, when X refuses it the focus
    # (BadMatch): looked for again until it is visible and takes the focus.
    for _ in range(20):
        found = subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--name", f"^{title}$"],
                               capture_output=True, text=True, timeout=30, check=True)
        window = found.stdout.split()[-1]
        if subprocess.run(["xdotool", "windowfocus", "--sync", window], timeout=10).returncode == 0:
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"the {title!r} picker never took the focus")
    subprocess.run(["xdotool", "key", "--delay", "100", "ctrl+l"], check=True, timeout=10)
    subprocess.run(["xdotool", "type", "--delay", "20", str(path)], check=True, timeout=30)
    # Enter may first take the location's completion; pressed again while the picker shows.
    for _ in range(3):
        subprocess.run(["xdotool", "key", "--delay", "300", "Return"], check=True, timeout=10)
        time.sleep(0.5)
        showing = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", f"^{title}$"],
                                 capture_output=True, text=True, timeout=10)
        if not showing.stdout.split():
            return
    raise AssertionError(f"the {title} picker did not take {path}")


def test_browse_download_share_and_delete(strata_home, app_factory, tmp_path, monkeypatch):
    fill_store(strata_home)
    # Downloads go to the user's downloads folder: a private home keeps the test's own.
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    app = app_factory()

    open_row(app, "shoot", ".bucket-row")
    wait(app).until(lambda d: object_names(d) == ["raw/", "notes.txt"])
    assert app.find_element(By.CSS_SELECTOR, "[data-testid=object-path]").text == "local:shoot"
    screenshot(app, "20-objects-bucket-root")

    # Into a folder; the grid shows the photo's thumbnail, made by the engine.
    open_row(app, "raw/")
    wait(app).until(lambda d: object_names(d) == ["2026/", "cover.jpg"])
    assert app.find_element(By.CSS_SELECTOR, "[data-testid=object-path]").text == "local:shoot/raw"
    button(app, "Grid").click()
    thumb = wait(app).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=object-grid] img.tile-thumb")))
    assert thumb.get_attribute("src").startswith("data:image/jpeg;base64,")
    assert app.execute_script("return arguments[0].naturalWidth", thumb) == 320
    screenshot(app, "21-objects-grid-thumbnails")
    button(app, "List").click()
    click_row(app, "cover.jpg")
    preview = wait(app).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=object-details] img.preview")))
    assert preview.get_attribute("src").startswith("data:image/jpeg;base64,")
    screenshot(app, "22-objects-preview")
    open_row(app, "2026/")
    wait(app).until(lambda d: object_names(d) == ["wedding-001.cr3", "wedding-002.cr3"])
    button(app, "Grid").click()
    grid = wait(app).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=object-grid]")))
    tiles = [t.text for t in grid.find_elements(By.CSS_SELECTOR, ".tile-name")]
    assert tiles == ["wedding-001.cr3", "wedding-002.cr3"], tiles
    button(app, "List").click()

    # Download one file: it lands whole in the downloads folder.
    click_row(app, "wedding-002.cr3")
    details = wait(app).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=object-details]")))
    assert "1.1 KB" in details.text, details.text
    screenshot(app, "22-objects-details")
    button(app, "Download").click()
    wait(app).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".objects .notice"), "Downloaded wedding-002.cr3"))
    assert (home / "Downloads" / "wedding-002.cr3").read_bytes() == OBJECTS["raw/2026/wedding-002.cr3"]

    # Download to… a folder chosen in the system's picker; later downloads go there too.
    chosen = tmp_path / "archive drive"
    chosen.mkdir()
    button(app, "Download to…").click()
    answer_picker("Download to", f"{chosen}/")
    wait(app).until(ec.text_to_be_present_in_element(
        (By.CSS_SELECTOR, ".objects .notice"), f"Downloaded wedding-002.cr3 to {chosen}"))
    assert (chosen / "wedding-002.cr3").read_bytes() == OBJECTS["raw/2026/wedding-002.cr3"]
    click_row(app, "wedding-001.cr3")
    button(app, "Download").click()
    wait(app).until(ec.text_to_be_present_in_element(
        (By.CSS_SELECTOR, ".objects .notice"), f"Downloaded wedding-001.cr3 to {chosen}"))
    assert (chosen / "wedding-001.cr3").read_bytes() == OBJECTS["raw/2026/wedding-001.cr3"]

    # Upload… a file picked in the system's picker: it lands in this folder, and the transfers
    # panel says so.
    shot = tmp_path / "new-shot.cr3"
    shot.write_bytes(b"new raw bytes" * 1000)
    button(app, "Upload…").click()
    answer_picker("Upload", shot)
    wait(app).until(lambda d: object_names(d) == ["new-shot.cr3", "wedding-001.cr3", "wedding-002.cr3"])
    wait(app).until(ec.presence_of_element_located((By.XPATH,
        "//section[@aria-label='Transfers']//li[@data-state='done']"
        "[span[@class='transfer-name' and text()='new-shot.cr3']]")))
    screenshot(app, "25-objects-uploaded-transfers")

    # Back to the bucket's root through the breadcrumbs; share a link that works without a key.
    button(app, "shoot").click()
    wait(app).until(lambda d: object_names(d) == ["raw/", "notes.txt"])
    click_row(app, "notes.txt")
    button(app, "Copy link").click()
    link = wait(app).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=link-url]")))
    url = link.get_attribute("value")
    screenshot(app, "23-objects-link")
    with urllib.request.urlopen(url) as answer:
        assert answer.read() == OBJECTS["notes.txt"]
    button(app, "Done").click()

    # Delete a folder: the confirmation says how much goes.
    click_row(app, "raw/")
    button(app, "Delete…").click()
    dialog = wait(app).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "[role=alertdialog]")))
    assert "4 objects" in dialog.text, dialog.text
    screenshot(app, "24-objects-delete-confirm")
    dialog.find_element(By.XPATH, ".//button[normalize-space()='Delete']").click()
    wait(app).until(lambda d: object_names(d) == ["notes.txt"])
    wait(app).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".objects .notice"), "Deleted raw/"))

    # The activity view lists what happened, newest first.
    button(app, "Activity").click()
    table = wait(app).until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".activity-table")))
    rows = [r.text for r in table.find_elements(By.CSS_SELECTOR, "tbody tr")]
    assert "Deleted" in rows[0], rows
    assert "local:shoot/raw/" in rows[0], rows
    assert any("Download link" in r and "local:shoot/notes.txt" in r for r in rows), rows
    # Each download is there with how its bytes were checked.
    assert any("Downloaded" in r and "verified: ETag (MD5) matches" in r for r in rows), rows
    screenshot(app, "25-activity")
