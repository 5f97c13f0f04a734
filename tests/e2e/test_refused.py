"""What a script in the page may not make Strata do. Each command is called directly, as code
injected into the page would call it, and is refused or held to what the window itself asks
for: no file of the page's choosing is read, no upload link is signed, a drop is uploaded
once (see test_drop.py)."""
import urllib.error
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait


def invoke(driver, command, args=None):
    """The command's answer as {"ok": value} or {"error": error}."""
    return driver.execute_async_script(
        "const done = arguments[2];"
        "window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1])"
        ".then(ok => done({ok}), error => done({error}))",
        command, args or {})


def test_the_page_names_no_file_to_import_and_signs_no_upload_link(app_factory, tmp_path):
    own_config = tmp_path / "aws-config"
    own_config.write_text("")
    ran = tmp_path / "credential-process-ran"
    planted = tmp_path / "planted-config"
    planted.write_text("[profile planted]\nendpoint_url = http://127.0.0.1:9\n"
                       f"credential_process = touch {ran}\n")
    app = app_factory(AWS_CONFIG_FILE=str(own_config),
                      AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"))
    WebDriverWait(app, 20).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, "main h1"), "local"))

    # The import reads the user's own config, whatever file the page names.
    imported = invoke(app, "profile_import_aws", {"configFile": str(planted)})
    assert "ok" in imported, imported
    names = [p["name"] for p in invoke(app, "profile_list")["ok"]]
    assert names == ["local"]
    assert not ran.exists(), "the planted profile's command ran"

    # A link asked for as an upload is a download link: the server refuses a PUT with it.
    made = invoke(app, "bucket_create", {"profile": "local", "bucket": "shoot", "region": None})
    assert "ok" in made, made
    link = invoke(app, "object_presign",
                  {"profile": "local", "bucket": "shoot", "key": "planted.txt", "seconds": 600, "put": True})
    assert link.get("ok", {}).get("method") == "GET", link
    put = urllib.request.Request(link["ok"]["url"], data=b"planted", method="PUT")
    with pytest.raises(urllib.error.HTTPError) as refused_put:
        urllib.request.urlopen(put, timeout=30)
    assert refused_put.value.code == 403

    # Paths nobody dropped are not uploaded.
    folder = {"profile": "local", "bucket": "shoot", "prefix": "", "metadata": []}
    refused = invoke(app, "upload_dropped", {"paths": [str(planted)], "folder": folder})
    assert refused["error"]["code"] == "invalid_input", refused
    assert "was not dropped on the window" in refused["error"]["message"]
