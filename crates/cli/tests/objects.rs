//! `strata ls | get | rm | cp | mv | presign | du | log` as scripts use them: one JSON
//! document on stdout, exit codes, against moto and the built-in endpoint.

mod common;

use aws_sdk_s3::primitives::ByteStream;
use common::{add, strata};
use serde_json::Value;
use strata_testkit::{ACCESS_KEY, Moto, SECRET_KEY, http_request, sdk_client};

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
