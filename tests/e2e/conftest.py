"""Fixtures for end-to-end tests of the real app window.

The app runs under Xvfb and the session bus / gnome-keyring that scripts/test.sh provides;
tauri-driver (with WebKitWebDriver behind it) drives it over WebDriver. Each test gets its own
STRATA_HOME, so it starts from a first run and never touches a user's data or secrets.
"""
import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import boto3
import pytest
from selenium import webdriver
from selenium.webdriver.common.options import ArgOptions

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "target" / "debug" / "strata-app"
STRATA = ROOT / "target" / "debug" / "strata"
SCREENSHOTS = ROOT / "target" / "e2e"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listened on port {port} within {timeout} s")


def start_group(args, **kwargs):
    """Starts a process group whose output goes to target/e2e/processes.log (for failures)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with open(SCREENSHOTS / "processes.log", "a") as log:
        return subprocess.Popen(args, start_new_session=True, stdout=log, stderr=subprocess.STDOUT, **kwargs)


def stop_group(process):
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def moto():
    """moto's S3 server on a free port, with one bucket in it."""
    port = free_port()
    server = start_group([str(ROOT / ".venv" / "bin" / "moto_server"), "-H", "127.0.0.1", "-p", str(port)])
    try:
        wait_for_port(port)
        endpoint = f"http://127.0.0.1:{port}"
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="AKE2E", aws_secret_access_key="e2e")
        s3.create_bucket(Bucket="shoot-2026")
        yield endpoint
    finally:
        stop_group(server)


@pytest.fixture
def strata_home(tmp_path):
    return tmp_path / "strata-home"


@pytest.fixture
def app_factory(strata_home):
    """Starts the real app window, driven through tauri-driver, when the test is ready for it
    (after preparing the data folder), with more environment variables if given; stopped at
    the end of the test."""
    assert APP.exists(), f"build the app first: cargo build -p strata-app ({APP} is missing)"
    started = []

    def start(**env_extra):
        port, native_port = free_port(), free_port()
        env = dict(os.environ, STRATA_HOME=str(strata_home), **env_extra)
        driver_process = start_group(["tauri-driver", "--port", str(port), "--native-port", str(native_port)], env=env)
        started.append((driver_process, None))
        # The first port opens before WebKitWebDriver is ready: wait for both.
        wait_for_port(port)
        wait_for_port(native_port)
        options = ArgOptions()
        options.set_capability("browserName", "wry")
        options.set_capability("tauri:options", {"application": str(APP)})
        driver = webdriver.Remote(command_executor=f"http://127.0.0.1:{port}", options=options)
        started[-1] = (driver_process, driver)
        return driver

    yield start
    for driver_process, driver in started:
        if driver is not None:
            driver.quit()
        stop_group(driver_process)


@pytest.fixture
def app(app_factory):
    """The real app window on a fresh data folder."""
    return app_factory()


def screenshot(driver, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    time.sleep(0.5)  # the frame after a DOM change can lag behind it
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


@contextlib.contextmanager
def local_store(strata_home):
    """A boto3 client for the data folder's built-in store, served by `strata serve-local` while
    the block runs, as another S3 tool would reach it."""
    assert STRATA.exists(), f"build the CLI first: cargo build -p strata-cli ({STRATA} is missing)"
    server = subprocess.Popen([str(STRATA), "--home", str(strata_home), "--json", "serve-local"],
                              stdout=subprocess.PIPE, start_new_session=True, text=True)
    try:
        connection = json.loads(server.stdout.readline())
        yield boto3.client("s3", endpoint_url=connection["endpoint"], region_name=connection["region"],
                           aws_access_key_id=connection["access_key_id"],
                           aws_secret_access_key=connection["secret_access_key"])
    finally:
        stop_group(server)


@pytest.fixture
def tray_watcher():
    """A StatusNotifierWatcher on the session bus, up before the app starts (the app looks for
    one only then)."""
    from tray import TrayWatcher
    watcher = TrayWatcher()
    try:
        yield watcher
    finally:
        watcher.close()


@pytest.fixture
def notification_server():
    """A notification server on the session bus, recording what the app shows."""
    from notifications import NotificationServer
    server = NotificationServer()
    try:
        yield server
    finally:
        server.close()
