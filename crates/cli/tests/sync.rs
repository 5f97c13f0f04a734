//! `strata sync` as people and scripts use it, with real file events: `strata sync watch`
//! runs as a process of its own while the test creates, edits, moves in and removes files,
//! and the bucket (on a `strata serve-local` process) is checked for what each should do.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{add, interrupt, spawn, strata, strata_unprivileged};
use strata_testkit::ServeLocal;
use tokio::io::{AsyncBufReadExt, BufReader};

/// The objects under `prefix` in bucket `watched`, with their bytes as text.
async fn objects(client: &aws_sdk_s3::Client, prefix: &str) -> BTreeMap<String, String> {
    let listed = client
        .list_objects_v2()
        .bucket("watched")
        .prefix(prefix)
        .send()
        .await
        .unwrap();
    let mut found = BTreeMap::new();
    for object in listed.contents() {
        let key = object.key().unwrap();
        let got = client.get_object().bucket("watched").key(key).send().await;
        // Deleted between the listing and the read: it is not there.
        let Ok(got) = got else { continue };
        let bytes = got.body.collect().await.unwrap().to_vec();
        found.insert(key.to_string(), String::from_utf8(bytes).unwrap());
    }
    found
}

/// Polls the bucket until `wanted` holds, checking `never` at every look; fails after a minute.
async fn until(
    client: &aws_sdk_s3::Client,
    what: &str,
    wanted: impl Fn(&BTreeMap<String, String>) -> bool,
    never: impl Fn(&BTreeMap<String, String>) -> Option<String>,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let now = objects(client, "inbox/").await;
        if let Some(wrong) = never(&now) {
            panic!("{wrong}: {now:#?}");
        }
        if wanted(&now) {
            return;
        }
        assert!(Instant::now() < deadline, "never saw {what}: {now:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `strata serve-local` on folders of its own, with a bucket `watched`, and profile `m` for it
/// in the test's data folder under `h`; keep all three for the test's length.
async fn served_with_profile(
    h: &Path,
) -> (
    ServeLocal,
    aws_sdk_s3::Client,
    (tempfile::TempDir, tempfile::TempDir),
) {
    let store = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let served = ServeLocal::spawn(
        env!("CARGO_BIN_EXE_strata"),
        store.0.path(),
        store.1.path(),
        &[],
    );
    let client = served.client();
    client
        .create_bucket()
        .bucket("watched")
        .send()
        .await
        .unwrap();
    let added = add(
        h,
        "m",
        &served.endpoint,
        &served.access_key_id,
        &served.secret,
    )
    .await;
    assert_eq!(added.code, 0, "{}", added.stderr);
    (served, client, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_uploads_what_lands_in_the_folder_once_it_settles() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let (_served, client, _store) = served_with_profile(h).await;
    let folder = h.join("Exports Ü");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("before.txt"), "there before the watch").unwrap();
    let local = folder.to_str().unwrap();
    let pair = strata(
        h,
        &[
            "--json",
            "sync",
            "add",
            local,
            "m:watched/inbox",
            "--mirror-deletes",
            "--ignore",
            "*.xmp",
        ],
        None,
    )
    .await;
    assert_eq!(pair.code, 0, "{}", pair.stderr);
    assert_eq!(pair.json()["mirror_deletes"], true);

    let mut watch = spawn(h, &["--json", "sync", "watch"]);
    let mut lines = BufReader::new(watch.stderr.take().unwrap()).lines();
    let status_lines = tokio::spawn(async move {
        let mut seen = Vec::new();
        while let Ok(Some(line)) = lines.next_line().await {
            seen.push(line);
        }
        seen
    });

    // The start-up scan sends what was there before.
    until(
        &client,
        "the file from before",
        |o| o.contains_key("inbox/before.txt"),
        |_| None,
    )
    .await;

    // A file written in three pieces, a second apart (less than the settle time): the object
    // only ever holds the whole file.
    let whole = "first piece, second piece, third piece";
    let slow = folder.join("export.tif");
    std::fs::write(&slow, "first piece,").unwrap();
    for piece in [" second piece,", " third piece"] {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let mut text = std::fs::read_to_string(&slow).unwrap();
        text.push_str(piece);
        std::fs::write(&slow, text).unwrap();
        let now = objects(&client, "inbox/").await;
        assert!(
            !now.contains_key("inbox/export.tif"),
            "sent before it settled: {now:?}"
        );
    }
    // A folder made elsewhere, with content, then moved in whole; an ignored sidecar.
    let outside = h.join("made elsewhere");
    std::fs::create_dir_all(outside.join("deep")).unwrap();
    std::fs::write(outside.join("deep/IMG_1.jpg"), "jpeg").unwrap();
    std::fs::write(outside.join("IMG_1.xmp"), "sidecar").unwrap();
    std::fs::rename(&outside, folder.join("shoot")).unwrap();
    let half = |o: &BTreeMap<String, String>| {
        o.get("inbox/export.tif")
            .filter(|t| t.as_str() != whole)
            .map(|t| format!("a half file went up: {t:?}"))
    };
    until(
        &client,
        "the settled file and the moved-in folder",
        |o| {
            o.get("inbox/export.tif").is_some_and(|t| t == whole)
                && o.contains_key("inbox/shoot/deep/IMG_1.jpg")
        },
        half,
    )
    .await;
    assert!(
        !objects(&client, "inbox/")
            .await
            .contains_key("inbox/shoot/IMG_1.xmp")
    );

    // An edit, and a delete (the pair mirrors deletes).
    std::fs::write(folder.join("before.txt"), "edited while watched").unwrap();
    std::fs::remove_file(folder.join("shoot/deep/IMG_1.jpg")).unwrap();
    until(
        &client,
        "the edit and the delete",
        |o| {
            o.get("inbox/before.txt")
                .is_some_and(|t| t == "edited while watched")
                && !o.contains_key("inbox/shoot/deep/IMG_1.jpg")
        },
        |_| None,
    )
    .await;

    // Ctrl-C stops the watch; stdout holds the pairs as one document.
    interrupt(&watch);
    let out = tokio::time::timeout(Duration::from_secs(30), watch.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let pairs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(pairs[0]["status"], "idle", "{pairs}");
    assert_eq!(pairs[0]["files"], 2, "before.txt and export.tif: {pairs}");
    let said = status_lines.await.unwrap();
    assert!(
        said.iter().any(|l| l.contains("\"status\":\"syncing\"")),
        "the watch printed the pair's states: {said:?}"
    );

    // A run now has nothing to do, and asks the server nothing.
    let run = strata(h, &["--json", "sync", "run", "1"], None).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["last_run"]["requests"], 0, "{}", run.stdout);
}

#[tokio::test]
async fn sync_commands_refuse_bad_input_with_the_contract_exit_codes() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let folder = h.join("photos");
    std::fs::create_dir_all(&folder).unwrap();
    let local = folder.to_str().unwrap();
    let missing = strata(
        h,
        &["--json", "sync", "add", "/no/such/folder", "local:b/p"],
        None,
    )
    .await;
    assert_eq!(missing.code, 1);
    assert_eq!(missing.json()["error"]["code"], "not_found");
    let bad_bucket = strata(h, &["--json", "sync", "add", local, "local:"], None).await;
    assert_eq!(bad_bucket.code, 2, "{}", bad_bucket.stdout);
    let empty_ignore = strata(
        h,
        &["--json", "sync", "add", local, "local:b", "--ignore", ""],
        None,
    )
    .await;
    assert_eq!(empty_ignore.code, 2, "{}", empty_ignore.stdout);
    let no_pair = strata(h, &["--json", "sync", "rm", "7"], None).await;
    assert_eq!(no_pair.code, 1);
    assert_eq!(no_pair.json()["error"]["code"], "not_found");
    let listed = strata(h, &["--json", "sync"], None).await;
    assert_eq!(listed.code, 0);
    assert_eq!(listed.json(), serde_json::json!([]));
    let twice = [
        strata(h, &["--json", "sync", "add", local, "local:b/x"], None).await,
        strata(h, &["--json", "sync", "add", local, "local:b/x/"], None).await,
    ];
    assert_eq!(twice[0].code, 0, "{}", twice[0].stderr);
    assert_eq!(twice[1].json()["error"]["code"], "already_exists");

    // The data folder inside the pair, or the pair inside the data folder: refused.
    for local in [h.to_path_buf(), h.join("data").join("local")] {
        std::fs::create_dir_all(&local).unwrap();
        let local = local.to_str().unwrap();
        let holding = strata(h, &["--json", "sync", "add", local, "local:b/y"], None).await;
        assert_eq!(holding.code, 2, "{local}: {}", holding.stdout);
        let message = holding.json()["error"]["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(message.contains("data folder"), "{message}");
    }
}

/// A subfolder and a file that cannot be read are listed with why; the rest syncs, and the
/// pair needs attention rather than failing.
#[tokio::test]
async fn what_cannot_be_read_is_listed_and_the_rest_syncs() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let (_served, client, _store) = served_with_profile(h).await;
    let folder = h.join("card");
    for (path, text) in [
        ("ok.txt", "readable"),
        ("locked/inside.raw", "behind a locked door"),
        ("secret.raw", "mode 000"),
    ] {
        std::fs::create_dir_all(folder.join(path).parent().unwrap()).unwrap();
        std::fs::write(folder.join(path), text).unwrap();
        // Settled long ago, so the run sends them at once.
        let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
        std::fs::File::options()
            .write(true)
            .open(folder.join(path))
            .unwrap()
            .set_modified(hour_ago)
            .unwrap();
    }
    let locked = |path: &str, mode: u32| {
        std::fs::set_permissions(folder.join(path), std::fs::Permissions::from_mode(mode)).unwrap()
    };
    locked("locked", 0o000);
    locked("secret.raw", 0o000);
    let local = folder.to_str().unwrap();
    let pair = strata(
        h,
        &[
            "--json",
            "sync",
            "add",
            local,
            "m:watched/inbox",
            "--mirror-deletes",
        ],
        None,
    )
    .await;
    assert_eq!(pair.code, 0, "{}", pair.stderr);
    let id = pair.json()["id"].as_u64().unwrap().to_string();

    let plan = strata_unprivileged(h, &["--json", "sync", "run", &id, "--dry-run"]).await;
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    let items = plan.json()["items"].as_array().unwrap().clone();
    let unreadable: Vec<&str> = items
        .iter()
        .filter(|i| i["action"] == "unreadable")
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert_eq!(unreadable, ["locked", "secret.raw"], "{items:?}");
    assert!(
        items.iter().all(|i| i["action"] != "unreadable"
            || i["reason"].as_str().unwrap().contains("ermission denied")),
        "each says why: {items:?}"
    );

    let run = strata_unprivileged(h, &["--json", "sync", "run", &id]).await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let got = objects(&client, "inbox/").await;
    assert_eq!(
        got,
        BTreeMap::from([("inbox/ok.txt".to_string(), "readable".to_string())])
    );
    let listed = strata(h, &["--json", "sync", "list"], None).await;
    assert_eq!(listed.json()[0]["status"], "attention", "{}", listed.stdout);

    // Readable again: it goes up, and nothing was ever taken for deleted.
    locked("locked", 0o755);
    locked("secret.raw", 0o644);
    let run = strata_unprivileged(h, &["--json", "sync", "run", &id]).await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(objects(&client, "inbox/").await.len(), 3);
    let listed = strata(h, &["--json", "sync", "list"], None).await;
    assert_eq!(listed.json()[0]["status"], "idle");
}
