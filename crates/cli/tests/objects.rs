//! `strata ls | get | rm | cp | mv | presign | du | log` as scripts use them: one JSON
//! document on stdout, exit codes, against moto and the built-in endpoint.

mod common;

use aws_sdk_s3::primitives::ByteStream;
use common::{add, strata};
use serde_json::Value;
use strata_testkit::{
    ACCESS_KEY, Fault, FaultProxy, Moto, SECRET_KEY, ServeLocal, create_kms_bucket, http_request,
    sdk_client,
};

async fn put(client: &aws_sdk_s3::Client, bucket: &str, key: &str, body: &[u8]) {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
        .unwrap();
}

fn field<'a>(doc: &'a Value, name: &str) -> Vec<&'a str> {
    doc.as_array()
        .expect("a JSON array")
        .iter()
        .map(|row| row[name].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn browse_fetch_share_and_tidy_a_bucket_from_a_terminal() {
    let moto = Moto::start();
    let client = sdk_client(&moto.endpoint, ACCESS_KEY, SECRET_KEY);
    client.create_bucket().bucket("shoot").send().await.unwrap();
    for (key, body) in [
        ("raw/a.cr3", b"raw a".as_slice()),
        ("raw/b.cr3", b"raw b"),
        ("raw/sub/c.cr3", b"raw c"),
        ("notes.txt", b"notes"),
        ("../escape.txt", b"escape"),
    ] {
        put(&client, "shoot", key, body).await;
    }
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    assert_eq!(
        add(h, "m", &moto.endpoint, ACCESS_KEY, SECRET_KEY)
            .await
            .code,
        0
    );

    // ls: one array, name first, folders and objects of one level; --recursive, --limit.
    let ls = strata(h, &["--json", "ls", "m:shoot"], None).await;
    assert_eq!(ls.code, 0, "{}", ls.stderr);
    assert!(ls.stdout.starts_with("[{\"name\":"), "{}", ls.stdout);
    assert_eq!(field(&ls.json(), "name"), ["../", "notes.txt", "raw/"]);
    let ls = strata(h, &["--json", "ls", "m:shoot/raw/", "--recursive"], None).await;
    assert_eq!(field(&ls.json(), "name"), ["a.cr3", "b.cr3", "sub/c.cr3"]);
    assert_eq!(ls.json()[0]["size"], 5);
    let ls = strata(
        h,
        &["--json", "ls", "m:shoot", "--recursive", "--limit", "2"],
        None,
    )
    .await;
    assert_eq!(ls.json().as_array().unwrap().len(), 2);
    let human = strata(h, &["ls", "m:shoot/raw/"], None).await;
    assert!(
        human.stdout.lines().any(|l| l.ends_with("DIR  sub/")),
        "{}",
        human.stdout
    );

    // get: a folder keeps its structure; a hostile key is renamed and said so; one object
    // to a file name.
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("dl");
    let dest_text = dest.to_str().unwrap();
    let got = strata(
        h,
        &[
            "--json",
            "get",
            "m:shoot/raw/",
            "m:shoot/../escape.txt",
            dest_text,
        ],
        None,
    )
    .await;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert_eq!(got.json()["files"].as_array().unwrap().len(), 4);
    assert_eq!(std::fs::read(dest.join("raw/sub/c.cr3")).unwrap(), b"raw c");
    assert_eq!(std::fs::read(dest.join("escape.txt")).unwrap(), b"escape");
    assert!(!out.path().join("escape.txt").exists());
    let one = out.path().join("renamed-notes.txt");
    let got = strata(
        h,
        &["get", "m:shoot/notes.txt", one.to_str().unwrap()],
        None,
    )
    .await;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert_eq!(std::fs::read(&one).unwrap(), b"notes");

    // cp, mv, du.
    let cp = strata(
        h,
        &["--json", "cp", "m:shoot/raw/", "m:shoot/backup/"],
        None,
    )
    .await;
    assert_eq!(cp.code, 0, "{}", cp.stderr);
    assert_eq!(cp.json()["target"], "m:shoot/backup/raw/");
    let mv = strata(h, &["mv", "m:shoot/notes.txt", "m:shoot/NOTES.txt"], None).await;
    assert_eq!(mv.code, 0, "{}", mv.stderr);
    assert!(mv.stdout.starts_with("Moved 1 object"), "{}", mv.stdout);
    let du = strata(h, &["--json", "du", "m:shoot/"], None).await;
    assert_eq!(du.json()["name"], "m:shoot");
    assert_eq!(du.json()["objects"], 8);

    // presign: the URL works without a key; a lifetime over 7 days is refused before I/O.
    let link = strata(
        h,
        &["--json", "presign", "m:shoot/NOTES.txt", "--expires", "15m"],
        None,
    )
    .await;
    assert_eq!(link.code, 0, "{}", link.stderr);
    let url = link.json()["url"].as_str().unwrap().to_string();
    assert_eq!(http_request("GET", &url).await, (200, b"notes".to_vec()));
    let long = strata(
        h,
        &["--json", "presign", "m:shoot/NOTES.txt", "--expires", "8d"],
        None,
    )
    .await;
    assert_eq!(
        (long.code, long.json()["error"]["code"].as_str()),
        (2, Some("invalid_input"))
    );

    // rm: a folder needs --recursive (exit 2, nothing deleted); then it goes.
    let refused = strata(h, &["--json", "rm", "m:shoot/backup/"], None).await;
    assert_eq!(refused.code, 2);
    let rm = strata(h, &["--json", "rm", "m:shoot/backup/", "--recursive"], None).await;
    assert_eq!(rm.json()["deleted"], 3);
    let left = strata(h, &["--json", "ls", "m:shoot"], None).await;
    assert_eq!(field(&left.json(), "name"), ["../", "NOTES.txt", "raw/"]);

    // The log, newest first, names what changed and the link, never its signature; and the
    // five files fetched.
    let log = strata(h, &["--json", "log"], None).await;
    assert_eq!(
        field(&log.json(), "action"),
        [
            "delete",
            "presign_get",
            "rename",
            "copy",
            "download",
            "download",
            "download",
            "download",
            "download"
        ]
    );
    assert!(!log.stdout.contains("Signature"), "{}", log.stdout);
    let limited = strata(h, &["--json", "log", "--limit", "1"], None).await;
    assert_eq!(limited.json().as_array().unwrap().len(), 1);

    // Not remote, or no such key: clear errors, the right exit codes.
    let not_remote = strata(h, &["--json", "ls", "nobody:shoot"], None).await;
    assert_eq!(not_remote.code, 2);
    assert!(
        not_remote.json()["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("./a:b")
    );
    let missing = strata(
        h,
        &[
            "--json",
            "get",
            "m:shoot/none.txt",
            out.path().to_str().unwrap(),
        ],
        None,
    )
    .await;
    assert_eq!(
        (missing.code, missing.json()["error"]["code"].as_str()),
        (1, Some("no_such_key"))
    );
}

#[tokio::test]
async fn the_first_run_profile_browses_the_built_in_endpoint() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    assert_eq!(
        strata(h, &["bucket", "mk", "local:photos"], None)
            .await
            .code,
        0
    );
    let folder = strata(h, &["ls", "local:photos/"], None).await;
    assert_eq!((folder.code, folder.stdout.as_str()), (0, ""));
    let du = strata(h, &["--json", "du", "local:photos"], None).await;
    assert_eq!(
        (du.json()["objects"].as_u64(), du.json()["bytes"].as_u64()),
        (Some(0), Some(0))
    );
}

/// Copy limits that take objects of a few MiB down the paths of objects of many GiB: a
/// server-side copy above 8 MiB goes in parts of 6 MiB; a streamed one in parts of 5 MiB.
const SMALL_COPY_LIMITS: [(&str, &str); 1] = [("STRATA_COPY_LIMITS", "8,6,5")];

/// Bytes that differ at every offset, so a part copied to the wrong place shows.
fn take_bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| ((i as u32).wrapping_mul(2_654_435_761) >> 13) as u8 ^ seed)
        .collect()
}

/// A fresh HOME with profile `m` for `endpoint` and the built-in bucket `local:hot`.
async fn with_profile_and_hot(endpoint: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let added = add(home.path(), "m", endpoint, ACCESS_KEY, SECRET_KEY).await;
    assert_eq!(added.code, 0, "{}", added.stderr);
    let made = strata(home.path(), &["bucket", "mk", "local:hot"], None).await;
    assert_eq!(made.code, 0, "{}", made.stderr);
    home
}

/// `strata get` of one object: its bytes.
async fn fetched(h: &std::path::Path, remote: &str) -> Vec<u8> {
    let into = tempfile::tempdir().unwrap();
    let file = into.path().join("fetched");
    let got = strata(h, &["get", remote, file.to_str().unwrap()], None).await;
    assert_eq!(got.code, 0, "get {remote}: {}", got.stderr);
    std::fs::read(file).unwrap()
}

/// Runs `strata --json ARGS` with the small copy limits; its JSON document.
async fn copying(h: &std::path::Path, args: &[&str]) -> common::Run {
    let args = [&["--json"], args].concat();
    common::strata_env(h, &args, None, &SMALL_COPY_LIMITS).await
}

#[tokio::test]
async fn copies_in_parts_verify_whatever_the_part_layout() {
    let moto = Moto::start();
    let client = sdk_client(&moto.endpoint, ACCESS_KEY, SECRET_KEY);
    client.create_bucket().bucket("far").send().await.unwrap();
    let home = with_profile_and_hot(&moto.endpoint).await;
    let h = home.path();
    assert_eq!(
        strata(h, &["bucket", "mk", "local:cold"], None).await.code,
        0
    );
    let take = take_bytes(12 << 20, 7);
    let file = home.path().join("take.mov");
    std::fs::write(&file, &take).unwrap();
    let args = [
        "put",
        "--part-size",
        "5MiB",
        file.to_str().unwrap(),
        "local:hot/",
    ];
    let put = strata(h, &args, None).await;
    assert_eq!(put.code, 0, "{}", put.stderr);

    // On the server, in parts of 6 MiB from a source of parts of 5 MiB: the copy's ETag is
    // not the source's, and still the copy verifies (it used to fail as "ETag differs").
    let cp = copying(h, &["cp", "local:hot/take.mov", "local:cold/"]).await;
    assert_eq!(cp.code, 0, "{}", cp.stdout);
    // Streamed to another profile in parts of 5 MiB, the source read part by part against
    // its ETag, then the source deleted.
    let mv = copying(h, &["mv", "local:cold/take.mov", "m:far/"]).await;
    assert_eq!(mv.code, 0, "{}", mv.stdout);
    assert_eq!(mv.json()["moved"], true);
    let cold = strata(h, &["--json", "ls", "local:cold"], None).await;
    assert_eq!(cold.json(), serde_json::json!([]), "the source went");
    // And back: moto sends the object whole whatever part is asked.
    let back = copying(h, &["cp", "m:far/take.mov", "local:hot/back.mov"]).await;
    assert_eq!(back.code, 0, "{}", back.stdout);

    for remote in ["local:hot/take.mov", "m:far/take.mov", "local:hot/back.mov"] {
        assert!(fetched(h, remote).await == take, "{remote} holds the take");
    }
}

#[tokio::test]
async fn a_streamed_copy_that_reads_altered_bytes_deletes_nothing() {
    let moto = Moto::start();
    let client = sdk_client(&moto.endpoint, ACCESS_KEY, SECRET_KEY);
    client.create_bucket().bucket("far").send().await.unwrap();
    let take = take_bytes(7 << 20, 3);
    put(&client, "far", "take.mov", &take).await;
    // Every GET of the object arrives with one bit flipped on the way.
    let proxy = FaultProxy::start(&moto.endpoint, |head, _| {
        if head.method == "GET" && head.uri.path() == "/far/take.mov" {
            Fault::Corrupt
        } else {
            Fault::Forward
        }
    })
    .await;
    let home = with_profile_and_hot(&proxy.endpoint).await;
    let h = home.path();

    // 7 MiB goes in two streamed parts: the bytes read are checked against the source's MD5
    // before the copy completes, not only counted.
    let mv = copying(h, &["mv", "m:far/take.mov", "local:hot/"]).await;
    assert_eq!(mv.code, 1, "{}", mv.stdout);
    let message = mv.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(message.contains("differ from its ETag"), "{message}");
    assert!(message.contains("no source was deleted"), "{message}");
    let source = client
        .get_object()
        .bucket("far")
        .key("take.mov")
        .send()
        .await;
    let kept = source.unwrap().body.collect().await.unwrap().into_bytes();
    assert!(kept == take, "the source is untouched");
    let hot = strata(h, &["--json", "ls", "local:hot"], None).await;
    assert_eq!(hot.json(), serde_json::json!([]), "no altered copy landed");
    let open = strata(h, &["--json", "uploads", "ls", "local:hot"], None).await;
    assert_eq!(open.json(), serde_json::json!([]), "no upload left open");
}

#[tokio::test]
async fn a_source_replaced_during_a_copy_in_parts_is_never_mixed() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let data = tempfile::tempdir().unwrap();
    let served = ServeLocal::on_data_folder(env!("CARGO_BIN_EXE_strata"), data.path());
    let client = served.client();
    client.create_bucket().bucket("clips").send().await.unwrap();
    let (old, new) = (take_bytes(12 << 20, 1), take_bytes(12 << 20, 2));
    put(&client, "clips", "take.mov", &old).await;
    // The copy's second part waits 3 s in the proxy; meanwhile another tool replaces the
    // source.
    let second_part_waits = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&second_part_waits);
    let proxy = FaultProxy::start(&served.endpoint, move |head, _| {
        let range = head.headers.get("x-amz-copy-source-range");
        if range.is_some_and(|r| r.as_bytes().starts_with(b"bytes=6291456-")) {
            seen.store(true, Ordering::SeqCst);
            return Fault::DelayMs(3000);
        }
        Fault::Forward
    })
    .await;
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let (key, secret) = (&served.access_key_id, &served.secret);
    assert_eq!(add(h, "s", &proxy.endpoint, key, secret).await.code, 0);

    let replace = async {
        while !second_part_waits.load(Ordering::SeqCst) {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        put(&client, "clips", "take.mov", &new).await;
    };
    let (cp, ()) = tokio::join!(
        copying(h, &["cp", "s:clips/take.mov", "s:clips/copy.mov"]),
        replace
    );
    assert_eq!(cp.code, 1, "{}", cp.stdout);
    let message = cp.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("was replaced while it was being copied"),
        "{message}"
    );
    let copy = client
        .head_object()
        .bucket("clips")
        .key("copy.mov")
        .send()
        .await;
    assert!(
        copy.is_err(),
        "no copy made of half the old take and half the new"
    );
    let open = client
        .list_multipart_uploads()
        .bucket("clips")
        .send()
        .await
        .unwrap();
    assert!(open.uploads().is_empty(), "the copy's upload was aborted");
}

#[tokio::test]
async fn copies_into_within_and_out_of_a_kms_encrypted_bucket_verify() {
    let moto = Moto::start_sse_kms();
    create_kms_bucket(&moto.endpoint, "vault").await;
    let home = with_profile_and_hot(&moto.endpoint).await;
    let h = home.path();
    let shoot = home.path().join("shoot");
    std::fs::create_dir(&shoot).unwrap();
    let files = [
        ("note.txt", take_bytes(3000, 1)),
        ("take.mov", take_bytes(9 << 20, 2)),
    ];
    for (name, bytes) in &files {
        std::fs::write(shoot.join(name), bytes).unwrap();
    }
    let put = strata(h, &["put", shoot.to_str().unwrap(), "local:hot/"], None).await;
    assert_eq!(put.code, 0, "{}", put.stderr);

    // Into the vault (streamed: one PUT, and parts), within it (on the server: one copy, and
    // parts), and out of it with a move: every ETag in the vault is opaque, none is taken for
    // the MD5 it is not.
    for args in [
        ["cp", "local:hot/shoot/", "m:vault/"],
        ["cp", "m:vault/shoot/", "m:vault/again/"],
        ["mv", "m:vault/again/", "local:hot/back/"],
    ] {
        let run = copying(h, &args).await;
        assert_eq!(run.code, 0, "{args:?}: {}", run.stdout);
    }
    for (name, bytes) in &files {
        for at in [
            "local:hot/shoot",
            "m:vault/shoot",
            "local:hot/back/again/shoot",
        ] {
            let remote = format!("{at}/{name}");
            assert!(fetched(h, &remote).await == *bytes, "{remote} holds {name}");
        }
    }
    let vault = strata(h, &["--json", "ls", "m:vault"], None).await;
    assert_eq!(
        field(&vault.json(), "name"),
        ["shoot/"],
        "the moved copies left the vault"
    );
}
