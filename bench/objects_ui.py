"""The app's object browser at scale: time from opening a folder of many keys to its first
rendered rows, and to the end of the folder after End (the list reads page after page as the
view nears the end of what it has). Run by bench/objects.sh under Xvfb and a session bus, on a
data folder whose `local` profile holds bucket `bench` with KEYS keys under `photos/`.
usage: objects_ui.py APP DATA_DIR KEYS"""
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from catalog_ui import launch, timed, wait_for  # noqa: E402
from conftest import stop_group  # noqa: E402

KEYS = int(sys.argv[3])
RUNS = 10
FIRST_BUCKET = "const c = document.querySelector('.bucket-row .cell-name'); return !!(c && c.textContent === 'bench');"
OPEN_SELECTED = ("const list = document.querySelector('[role=listbox]'); list.focus();"
                 "list.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));")


def main():
    opens = []
    driver, driver_process, _ = launch()
    try:
        driver.execute_async_script(wait_for(FIRST_BUCKET))
        timed(driver, OPEN_SELECTED, "const c = document.querySelector('.object-row .cell-name'); return !!(c && c.textContent === 'photos/');")
        for _ in range(RUNS):
            opens.append(timed(driver, OPEN_SELECTED,
                               "const c = document.querySelector('.object-row .cell-name');"
                               "return !!(c && c.textContent.startsWith('IMG_'));"))
            timed(driver, "history.length; document.querySelector('button[aria-label=Back]').click();",
                  "const c = document.querySelector('.object-row .cell-name'); return !!(c && c.textContent === 'photos/');")
        timed(driver, OPEN_SELECTED, "const c = document.querySelector('.object-row .cell-name'); return !!(c && c.textContent.startsWith('IMG_'));")
        last = f"IMG_{KEYS - 1:07d}.CR3"
        # End goes to the last loaded row; pressed again as pages arrive, as a user holding it.
        press_end = ("const list = document.querySelector('[role=listbox]'); list.focus();"
                     "list.dispatchEvent(new KeyboardEvent('keydown', { key: 'End', bubbles: true }));")
        to_end = [timed(driver, press_end,
                        "const s = document.querySelector('[data-testid=object-summary]');"
                        "const sel = document.querySelector('.object-row[aria-selected=true] .cell-name');"
                        f"if (sel && sel.textContent === '{last}') return true;"
                        f"{press_end} return false;")]
        rows = driver.execute_script("return document.querySelectorAll('.object-row').length")
    finally:
        driver.quit()
        stop_group(driver_process)
    print(f"App (release) under Xvfb; a folder of {KEYS:,} keys; rows in the DOM: {rows}.\n")
    print("| app | median | max |\n| --- | --- | --- |")
    print(f"| folder opened → first rows rendered | {statistics.median(opens):.0f} ms | {max(opens):.0f} ms |")
    print(f"| End held → the folder's last key selected (every page read) | {to_end[0]:.0f} ms | |")


if __name__ == "__main__":
    main()
