"""The app's bucket view at scale: time to the first rendered row after the window opens, and
to the re-rendered list after a search or an A–Z jump. Run by bench/catalog.sh (under Xvfb and
a session bus) on a data folder whose `local` profile holds the benchmark's buckets.

Times are taken inside the page (performance.now()) when a MutationObserver sees the list's
DOM show the expected rows, i.e. when React has committed them.
usage: catalog_ui.py APP DATA_DIR"""
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from conftest import free_port, start_group, stop_group, wait_for_port  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.common.options import ArgOptions  # noqa: E402

APP, HOME = sys.argv[1], sys.argv[2]
LAUNCHES, RUNS = 5, 30

# The page's CSP forbids eval, so checks and actions are spliced into the script WebDriver runs.
def wait_for(check_js):
    """A script resolving with performance.now() once `check_js` (a function body) holds."""
    return f"""
const done = arguments[arguments.length - 1];
const check = () => {{ {check_js} }};
if (check()) {{ done(performance.now()); }} else {{
  const observer = new MutationObserver(() => {{ if (check()) {{ observer.disconnect(); done(performance.now()); }} }});
  observer.observe(document.body, {{ subtree: true, childList: true, characterData: true, attributes: true }});
}}
"""


FIRST_ROW = "const c = document.querySelector('.bucket-row .cell-name'); return !!(c && c.textContent);"


def launch():
    port, native_port = free_port(), free_port()
    driver_process = start_group(["tauri-driver", "--port", str(port), "--native-port", str(native_port)],
                                 env=dict(os.environ, STRATA_HOME=HOME))
    wait_for_port(port)
    wait_for_port(native_port)
    options = ArgOptions()
    options.set_capability("browserName", "wry")
    options.set_capability("tauri:options", {"application": APP})
    started = time.monotonic()
    driver = webdriver.Remote(command_executor=f"http://127.0.0.1:{port}", options=options)
    driver.set_script_timeout(60)
    return driver, driver_process, started


def timed(driver, action_js, check_js):
    """Runs `action_js`, then returns the milliseconds until `check_js` holds (function bodies)."""
    return driver.execute_async_script(f"""
const done = arguments[arguments.length - 1];
const check = () => {{ {check_js} }};
let finished = false;
const t0 = performance.now();
const finish = () => {{ if (!finished && check()) {{ finished = true; observer.disconnect(); done(performance.now() - t0); }} }};
const observer = new MutationObserver(finish);
observer.observe(document.body, {{ subtree: true, childList: true, characterData: true, attributes: true }});
(() => {{ {action_js} }})();
queueMicrotask(finish);
""")


def main():
    first_in_page, first_wall = [], []
    for _ in range(LAUNCHES):
        driver, driver_process, started = launch()
        try:
            first_in_page.append(driver.execute_async_script(wait_for(FIRST_ROW)))
            first_wall.append((time.monotonic() - started) * 1000)
        finally:
            driver.quit()
            stop_group(driver_process)

    driver, driver_process, _ = launch()
    try:
        driver.execute_async_script(wait_for(FIRST_ROW))
        set_search = ("const i = document.querySelector('input[aria-label=\"Search buckets\"]');"
                      "Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(i, '{text}');"
                      "i.dispatchEvent(new Event('input', {{ bubbles: true }}));")
        searches, jumps = [], []
        # From one search to the next (each differs from the one before), as a user refines.
        terms = ["photo", "-04200", "7", "bucket-09"]
        for run in range(RUNS):
            term = terms[run % len(terms)]
            searches.append(timed(driver, set_search.format(text=term),
                                  "const s = document.querySelector('[data-testid=bucket-summary]');"
                                  "const c = document.querySelector('.bucket-row .cell-name');"
                                  f"return !!(s && s.textContent.includes('match') && (s.textContent.startsWith('0 buckets') || (c && c.textContent.includes('{term}'))));"))
        # Cleared by keyboard, as a user does (and as the e2e test does).
        search = driver.find_element(By.CSS_SELECTOR, "input[aria-label='Search buckets']")
        search.send_keys(Keys.CONTROL, "a")
        search.send_keys(Keys.BACKSPACE)
        driver.execute_async_script(wait_for(
            "const s = document.querySelector('[data-testid=bucket-summary]'); return !!(s && !s.textContent.includes('match'));"))
        for run in range(RUNS):
            letter = "abcdefghijklmnopqrstuvwxyz"[(run * 7) % 26]
            jumps.append(timed(driver,
                               f"document.querySelector('nav[aria-label=\"Jump to letter\"] button[aria-label^=\"{letter.upper()}:\"]').click();",
                               f"const c = document.querySelector('.bucket-row[aria-selected=true] .cell-name');"
                               f"return !!(c && c.textContent.startsWith('{letter}'));"))
        rows = driver.execute_script("return document.querySelectorAll('.bucket-row').length")
    finally:
        driver.quit()
        stop_group(driver_process)

    def line(name, values):
        values = sorted(values)
        p99 = values[min(len(values) - 1, round(len(values) * 0.99) - 1)]
        print(f"| {name} | {statistics.median(values):.0f} ms | {p99:.0f} ms |")

    print(f"App (release) under Xvfb; {LAUNCHES} launches, {RUNS} searches and jumps; rows in the DOM: {rows}.\n")
    print("| app | median | p99 (max for launches) |\n| --- | --- | --- |")
    line("first rows rendered, from page start", first_in_page)
    line("first rows rendered, from app launch", first_wall)
    line("search typed → matching rows rendered", searches)
    line("A–Z jump → rows of that letter rendered", jumps)


if __name__ == "__main__":
    main()
