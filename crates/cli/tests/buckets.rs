//! `strata bucket ...` as scripts use it: JSON documents, progress lines, exit codes, against
//! the built-in endpoint (the first-run `local` profile) and moto.

mod common;

use common::{add, strata, strata_env};
use serde_json::Value;
use strata_testkit::{ACCESS_KEY, Moto, SECRET_KEY, ServeLocal, create_buckets};

fn names(doc: &Value) -> Vec<&str> {
    doc.as_array()
        .expect("a JSON array")
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn mk_ls_rm_on_the_built_in_endpoint() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    for bucket in ["photos-2026", "archive", "2025-shoot", "alpha-photos"] {
        let made = strata(
            h,
            &["--json", "bucket", "mk", &format!("local:{bucket}")],
            None,
        )
        .await;
        assert_eq!(made.code, 0, "{}", made.stderr);
        assert_eq!(made.json()["name"], bucket);
        assert_eq!(made.json()["region"], "us-east-1");
    }
    let made = strata(
        h,
        &["bucket", "mk", "local:far-away/", "--region", "eu-west-3"],
        None,
    )
    .await;
    assert_eq!(made.code, 0, "{}", made.stderr);
    assert_eq!(made.stdout.trim(), "Created local:far-away in eu-west-3.");

    // Every row, `name` first, in list order (digits first).
    let all = strata(h, &["bucket", "ls", "local", "--json"], None).await;
    assert_eq!(all.code, 0, "{}", all.stderr);
    assert!(all.stdout.starts_with("[{\"name\":"), "{}", all.stdout);
    assert_eq!(
        names(&all.json()),
        [
            "2025-shoot",
            "alpha-photos",
            "archive",
            "far-away",
            "photos-2026"
        ]
    );
    let far = &all.json()[3];
    assert_eq!(far["region"], "eu-west-3");
    assert_eq!(far["public"], false);

    let run = |args: &'static [&'static str]| strata(h, args, None);
    assert_eq!(
        names(
            &run(&["--json", "bucket", "ls", "local", "--search", "PHOTOS"])
                .await
                .json()
        ),
        ["alpha-photos", "photos-2026"]
    );
    assert_eq!(
        names(
            &run(&["--json", "bucket", "ls", "local", "--letter", "A"])
                .await
                .json()
        ),
        ["alpha-photos", "archive"]
    );
    assert_eq!(
        names(
            &run(&["--json", "bucket", "ls", "local", "--letter", "#"])
                .await
                .json()
        ),
        ["2025-shoot"]
    );
    assert_eq!(
        names(
            &run(&[
                "--json",
                "bucket",
                "ls",
                "local",
                "--private",
                "--limit",
                "2"
            ])
            .await
            .json()
        ),
        ["2025-shoot", "alpha-photos"]
    );
    assert!(
        names(
            &run(&["--json", "bucket", "ls", "local", "--public"])
                .await
                .json()
        )
        .is_empty()
    );
    let table = run(&["bucket", "ls", "local", "--letter", "f"]).await;
    assert!(table.stdout.starts_with("NAME"), "{}", table.stdout);
    assert!(
        table.stdout.contains("far-away  eu-west-3"),
        "{}",
        table.stdout
    );

    // A file in a bucket, put there by another tool through serve-local on the same store.
    let data = h.join("data");
    let server = ServeLocal::on_data_folder(env!("CARGO_BIN_EXE_strata"), &data);
    server
        .client()
        .put_object()
        .bucket("archive")
        .key("2026/raw/IMG_0001.CR3")
        .body(aws_sdk_s3::primitives::ByteStream::from_static(b"raw"))
        .send()
        .await
        .unwrap();
    let refused = strata(h, &["--json", "bucket", "rm", "local:archive"], None).await;
    assert_eq!(refused.code, 1);
    let error = &refused.json()["error"];
    assert_eq!(error["code"], "bucket_not_empty");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("holds 1 object"),
        "{error}"
    );
    assert!(
        error["hint"].as_str().unwrap().contains("--force"),
        "{error}"
    );

    let forced = strata(
        h,
        &["--json", "bucket", "rm", "local:archive", "--force"],
        None,
    )
    .await;
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_eq!(forced.json()["bucket"], "archive");
    assert_eq!(forced.json()["emptied"], 1);
    let left = strata(h, &["--json", "bucket", "ls", "local"], None).await;
    assert_eq!(
        names(&left.json()),
        ["2025-shoot", "alpha-photos", "far-away", "photos-2026"]
    );

    let gone = strata(h, &["--json", "bucket", "rm", "local:archive"], None).await;
    assert_eq!(gone.code, 1);
    assert_eq!(gone.json()["error"]["code"], "no_such_bucket");
}

#[tokio::test]
async fn bad_input_exits_2_before_any_request() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    for (args, field_text) in [
        (&["bucket", "mk", "local:Bad_Name"][..], "lowercase"),
        (&["bucket", "mk", "local:ab"], "3 to 63"),
        (&["bucket", "mk", "local:"], "empty"),
        (&["bucket", "mk", "photos"], "not a remote path"),
        (&["bucket", "mk", "local:photos/key.jpg"], "not a bucket"),
        (
            &["bucket", "mk", "local:photos", "--region", "Not A Region"],
            "region",
        ),
        (&["bucket", "rm", ":photos"], "profile name is empty"),
        (&["bucket", "ls", "local", "--letter", "ab"], "index letter"),
        (
            &["bucket", "ls", "local", "--public", "--private"],
            "cannot be used with",
        ),
    ] {
        let mut with_json = vec!["--json"];
        with_json.extend_from_slice(args);
        let run = strata(h, &with_json, None).await;
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        let message = run.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(message.contains(field_text), "{args:?}: {message}");
    }
    let unknown = strata(h, &["--json", "bucket", "ls", "nobody"], None).await;
    assert_eq!(unknown.code, 1);
    assert_eq!(unknown.json()["error"]["code"], "not_found");
}

#[tokio::test]
async fn refresh_reports_progress_as_json_lines_and_ls_refreshes_a_never_read_list() {
    let server = Moto::start();
    let names_made: Vec<String> = (0..30).map(|i| format!("shoot-{i:02}")).collect();
    let refs: Vec<&str> = names_made.iter().map(String::as_str).collect();
    create_buckets(&server.endpoint, ACCESS_KEY, SECRET_KEY, &refs).await;
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    assert_eq!(
        add(h, "moto", &server.endpoint, ACCESS_KEY, SECRET_KEY)
            .await
            .code,
        0
    );

    // Never refreshed: ls reads the names first, without a request per bucket.
    let listed = strata(h, &["--json", "bucket", "ls", "moto", "--limit", "3"], None).await;
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert_eq!(names(&listed.json()), ["shoot-00", "shoot-01", "shoot-02"]);
    assert_eq!(listed.json()[0]["public"], Value::Null, "not read yet");

    let refreshed = strata_env(
        h,
        &["--json", "bucket", "refresh", "moto"],
        None,
        &[("STRATA_LOG", "off")],
    )
    .await;
    assert_eq!(refreshed.code, 0, "{}", refreshed.stderr);
    let report = refreshed.json();
    assert_eq!(report["profile"], "moto");
    assert_eq!(report["buckets"], 30);
    assert_eq!(report["private"], 30);
    let progress: Vec<Value> = refreshed
        .stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(
        progress
            .iter()
            .any(|p| p["kind"] == "job_progress" && p["action"] == "listing" && p["done"] == 30)
    );
    assert!(progress.iter().any(|p| p["kind"] == "job_progress"
        && p["action"] == "details"
        && p["done"] == 30
        && p["items"] == 30));

    let after = strata(h, &["--json", "bucket", "ls", "moto", "--limit", "1"], None).await;
    assert_eq!(after.json()[0]["public"], false);

    let human = strata(h, &["bucket", "refresh", "moto"], None).await;
    assert_eq!(
        human.stdout.trim(),
        "Refreshed \"moto\": 30 buckets (0 public, 30 private, 0 not known)."
    );
}
