"""The bucket view in the real window: the built-in endpoint's buckets, listed from the
catalog, narrowed by search, jumped through with the A–Z rail, and one made from the app."""
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from conftest import local_store, screenshot
ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
NAMES = [f"{ALPHABET[i % 36]}{'photo' if i % 10 == 0 else 'set'}-{i:04d}" for i in range(360)]


def wait(driver, seconds=30):
    return WebDriverWait(driver, seconds)


def summary(driver):
    return driver.find_element(By.CSS_SELECTOR, "[data-testid=bucket-summary]").text


def row_names(driver):
    # textContent: rows below the window's fold have no rendered text for WebDriver.
    return [e.get_attribute("textContent") for e in driver.find_elements(By.CSS_SELECTOR, ".bucket-row .cell-name")]


def selected_name(driver):
    row = driver.find_element(By.CSS_SELECTOR, ".bucket-row[aria-selected=true] .cell-name")
    return row.get_attribute("textContent")


def local_buckets(strata_home):
    """Fills the data folder's built-in store through `strata serve-local`, as another S3 tool
    would, before the app starts (the app has never listed them)."""
    with local_store(strata_home) as s3:
        for name in NAMES:
            s3.create_bucket(Bucket=name)


def test_the_bucket_view_lists_searches_and_jumps(strata_home, app_factory):
    local_buckets(strata_home)
    app = app_factory()
    # Never listed before: the view reads the list from the endpoint on its own.
    wait(app).until(lambda d: summary(d).startswith("360 buckets · refreshed just now"))
    wait(app).until(lambda d: row_names(d)[:1] == ["0photo-0000"])
    rendered = row_names(app)
    assert len(rendered) < 60, f"the list is virtual: {len(rendered)} rows in the DOM"
    screenshot(app, "10-buckets")

    search = app.find_element(By.CSS_SELECTOR, "input[aria-label='Search buckets']")
    search.send_keys("photo")
    wait(app).until(lambda d: summary(d).startswith("36 buckets match"))
    shown = row_names(app)
    assert shown and all("photo" in name for name in shown), shown
    screenshot(app, "11-buckets-search")

    search.send_keys(Keys.CONTROL, "a")
    search.send_keys(Keys.BACKSPACE)
    wait(app).until(lambda d: summary(d).startswith("360 buckets ·"))
    app.find_element(By.CSS_SELECTOR, "nav[aria-label='Jump to letter'] button[aria-label='Q: 10']").click()
    wait(app).until(lambda d: selected_name(d).startswith("q"))
    assert selected_name(app) == "qphoto-0170"
    # Arrows move on from there; Enter opens the bucket in the browser, under its remote path.
    app.switch_to.active_element.send_keys(Keys.ARROW_DOWN, Keys.ENTER)
    opened = wait(app).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=object-path]")))
    assert opened.text.startswith("local:q"), opened.text
    screenshot(app, "12-buckets-letter-q-opened")
    app.find_element(By.CSS_SELECTOR, "button[aria-label=Back]").click()
    wait(app).until(lambda d: summary(d).startswith("360 buckets"))

    app.find_element(By.XPATH, "//button[normalize-space()='New bucket']").click()
    app.find_element(By.ID, "bucket-name").send_keys("made-in-the-app")
    app.find_element(By.XPATH, "//button[normalize-space()='Create bucket']").click()
    wait(app).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".buckets .notice"),
                                                     'Created bucket "made-in-the-app"'))
    wait(app).until(lambda d: summary(d).startswith("361 buckets"))
