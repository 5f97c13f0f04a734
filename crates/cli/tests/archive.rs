//! `strata archive`, `strata restore` and `strata lifecycle` as scripts use them, against a
//! `strata serve-local` process (restores there take a second), with crashes at the two
//! points an archive must survive: before its manifest, and between the manifest and the
//! deletes.

mod common;

use common::{Run, add, strata, strata_env};
use strata_testkit::ServeLocal;

const PROJECT: &str = "clients/2026/wedding-smith/";

async fn put(client: &aws_sdk_s3::Client, bucket: &str, key: &str, body: &str) {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(body.as_bytes().to_vec().into())
        .send()
        .await
        .unwrap();
}

/// The keys under `prefix` with their bytes as text, the manifest left out.
async fn objects(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
) -> std::collections::BTreeMap<String, String> {
    let listed = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .send()
        .await
        .unwrap();
    let mut found = std::collections::BTreeMap::new();
    for object in listed.contents() {
        let key = object.key().unwrap();
        if key.ends_with(".strata-manifest.json") {
            continue;
        }
        let body = client.get_object().bucket(bucket).key(key).send().await;
        let text = match body {
            Ok(body) => String::from_utf8(body.body.collect().await.unwrap().to_vec()).unwrap(),
            Err(_) => "(unreadable)".into(),
        };
        found.insert(key.strip_prefix(prefix).unwrap().to_string(), text);
    }
    found
}

/// A served endpoint with buckets `hot` and `cold`, profile `m` for it, and a project of
/// `count` photos in `hot`.
async fn set_up(
    home: &std::path::Path,
    count: usize,
) -> (ServeLocal, tempfile::TempDir, tempfile::TempDir) {
    let store = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let served = ServeLocal::spawn(
        env!("CARGO_BIN_EXE_strata"),
        store.0.path(),
        store.1.path(),
        &[("STRATA_LOCAL_RESTORE_SECONDS", "1")],
    );
    let client = served.client();
    for bucket in ["hot", "cold"] {
        client.create_bucket().bucket(bucket).send().await.unwrap();
    }
    for i in 0..count {
        put(
            &client,
            "hot",
            &format!("{PROJECT}IMG_{i:03}.CR3"),
            &format!("photo {i}"),
        )
        .await;
    }
    let added = add(
        home,
        "m",
        &served.endpoint,
        &served.access_key_id,
        &served.secret,
    )
    .await;
    assert_eq!(added.code, 0, "{}", added.stderr);
    (served, store.0, store.1)
}

fn ok(run: &Run) -> serde_json::Value {
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archive_verify_restore_and_lifecycle_from_the_command_line() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let (served, _a, _b) = set_up(h, 40).await;
    let client = served.client();
    let photos = objects(&client, "hot", PROJECT).await;
    let source = format!("m:hot/{PROJECT}");

    let archived = ok(&strata(h, &["--json", "archive", &source, "--to", "m:cold"], None).await);
    assert_eq!(archived["state"], "archived");
    assert_eq!(archived["objects"], 40);
    assert_eq!(archived["location"], format!("m:cold/hot/{PROJECT}"));
    assert!(objects(&client, "hot", PROJECT).await.is_empty());
    assert_eq!(
        objects(&client, "cold", &format!("hot/{PROJECT}")).await,
        photos
    );

    let listed = strata(h, &["--json", "archive", "list"], None).await;
    assert!(
        listed.stdout.starts_with("[{\"name\":"),
        "name comes first: {}",
        listed.stdout
    );
    let listed = ok(&listed);
    let first = &listed[0];
    assert_eq!(first["name"], "wedding-smith");
    let id = first["id"].as_u64().unwrap().to_string();

    let verified = ok(&strata(h, &["--json", "archive", "verify", &id], None).await);
    assert_eq!(verified["matched"], 40);

    let restored = strata(h, &["--json", "restore", &id], None).await;
    let restored = ok(&restored);
    assert_eq!(restored["project"]["state"], "restored");
    assert_eq!(
        objects(&client, "hot", PROJECT).await,
        photos,
        "every photo is back"
    );

    // A class archive in place: readable again for some days, not copied back.
    put(&client, "hot", "shoots/beach/a.jpg", "sand").await;
    let cold = ok(&strata(
        h,
        &[
            "--json",
            "archive",
            "m:hot/shoots/beach/",
            "--class",
            "deep_archive",
        ],
        None,
    )
    .await);
    assert_eq!(cold["class"], "DEEP_ARCHIVE");
    assert_eq!(
        objects(&client, "hot", "shoots/beach/").await["a.jpg"],
        "(unreadable)"
    );
    let no_expedited = strata(
        h,
        &[
            "--json",
            "restore",
            "m:hot/shoots/beach/",
            "--tier",
            "expedited",
        ],
        None,
    )
    .await;
    assert_eq!(no_expedited.code, 2, "{}", no_expedited.stdout);
    assert_eq!(no_expedited.json()["error"]["code"], "invalid_input");
    let readable = strata(
        h,
        &[
            "restore",
            "m:hot/shoots/beach/",
            "--tier",
            "bulk",
            "--days",
            "2",
        ],
        None,
    )
    .await;
    assert_eq!(readable.code, 0, "{}", readable.stderr);
    assert!(
        readable.stderr.contains("DEEP_ARCHIVE"),
        "the wait is announced: {}",
        readable.stderr
    );
    assert!(
        readable.stdout.contains("for 2 days"),
        "{}",
        readable.stdout
    );
    assert_eq!(
        objects(&client, "hot", "shoots/beach/").await["a.jpg"],
        "sand"
    );

    // A damaged archive: verify names what is wrong and exits 1.
    put(&client, "hot", "old/x.txt", "x").await;
    put(&client, "hot", "old/y.txt", "y").await;
    let old = ok(&strata(
        h,
        &["--json", "archive", "m:hot/old/", "--to", "m:cold/vault"],
        None,
    )
    .await);
    let old_id = old["id"].as_u64().unwrap().to_string();
    client
        .delete_object()
        .bucket("cold")
        .key("vault/hot/old/y.txt")
        .send()
        .await
        .unwrap();
    let damaged = strata(h, &["archive", "verify", &old_id], None).await;
    assert_eq!(damaged.code, 1);
    assert!(
        damaged.stdout.contains("missing") && damaged.stdout.contains("y.txt"),
        "{}",
        damaged.stdout
    );
    assert!(
        damaged.stderr.contains("1 of 2 objects missing"),
        "{}",
        damaged.stderr
    );

    // Lifecycle rules: written, read back, and refused when malformed.
    let rules = r#"[{"prefix": "hot/", "transition_days": 30, "transition_class": "GLACIER"}]"#;
    let set = ok(&strata(h, &["--json", "lifecycle", "set", "m:cold"], Some(rules)).await);
    assert_eq!(set["rules"][0]["id"], "strata-1");
    let got = ok(&strata(h, &["--json", "lifecycle", "get", "m:cold"], None).await);
    assert_eq!(got, set);
    let text = strata(h, &["lifecycle", "get", "m:cold"], None).await;
    assert!(
        text.stdout.contains("Under hot/: to GLACIER after 30 days"),
        "{}",
        text.stdout
    );
    let malformed = strata(
        h,
        &["--json", "lifecycle", "set", "m:cold"],
        Some("{\"rules\": 3"),
    )
    .await;
    assert_eq!(malformed.code, 2);

    // Bad input: nothing there, no target, an unknown class.
    let empty = strata(
        h,
        &["--json", "archive", "m:hot/nothing/", "--to", "m:cold"],
        None,
    )
    .await;
    assert_eq!(empty.code, 1);
    assert_eq!(empty.json()["error"]["code"], "not_found");
    let no_target = strata(h, &["--json", "archive", &source], None).await;
    assert_eq!(no_target.code, 2);
    let platinum = strata(
        h,
        &["--json", "archive", &source, "--class", "PLATINUM"],
        None,
    )
    .await;
    assert_eq!(platinum.code, 2);
    assert!(
        platinum.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("PLATINUM")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_archive_deletes_nothing_until_its_manifest_is_written() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let (served, _a, _b) = set_up(h, 25).await;
    let client = served.client();
    let photos = objects(&client, "hot", PROJECT).await;
    let source = format!("m:hot/{PROJECT}");
    let args = ["--json", "archive", source.as_str(), "--to", "m:cold"];
    let manifest = format!("hot/{PROJECT}.strata-manifest.json");
    let has_manifest = || async {
        client
            .head_object()
            .bucket("cold")
            .key(&manifest)
            .send()
            .await
            .is_ok()
    };

    for (failpoint, manifest_written) in [
        ("archive:before-manifest", false),
        ("archive:before-deletes", true),
    ] {
        let crashed = strata_env(h, &args, None, &[("STRATA_FAILPOINT", failpoint)]).await;
        assert_ne!(crashed.code, 0, "stopped at {failpoint}");
        assert_eq!(
            objects(&client, "hot", PROJECT).await,
            photos,
            "no source deleted at {failpoint}"
        );
        assert_eq!(has_manifest().await, manifest_written, "{failpoint}");
    }

    // The recorded manifest gone: the archive refuses to go on from a fresh listing, which
    // would shrink it to what is left, and deletes nothing.
    let kept = client
        .get_object()
        .bucket("cold")
        .key(&manifest)
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .to_vec();
    client
        .delete_object()
        .bucket("cold")
        .key(&manifest)
        .send()
        .await
        .unwrap();
    let refused = strata(h, &args, None).await;
    assert_eq!(refused.code, 1, "{}", refused.stdout);
    let message = refused.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("manifest") && message.contains("gone"),
        "{message}"
    );
    assert_eq!(objects(&client, "hot", PROJECT).await, photos);
    assert!(!has_manifest().await, "no shrunken manifest written");
    client
        .put_object()
        .bucket("cold")
        .key(&manifest)
        .body(kept.into())
        .send()
        .await
        .unwrap();

    let finished = ok(&strata(h, &args, None).await);
    assert_eq!(finished["state"], "archived");
    assert!(objects(&client, "hot", PROJECT).await.is_empty());
    assert_eq!(
        objects(&client, "cold", &format!("hot/{PROJECT}")).await,
        photos
    );
    let listed = ok(&strata(h, &["--json", "archive", "list"], None).await);
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "one project, resumed twice"
    );
}
