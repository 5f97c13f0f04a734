//! The `strata` binary as scripts use it: flags, JSON documents, exit codes, against real S3
//! servers on 127.0.0.1 and the real Secret Service (the test command provides one).

use std::path::Path;

use serde_json::Value;
use strata_testkit::{ACCESS_KEY, Moto, S3sFs, SECRET_KEY, create_buckets};

mod common;

use common::{add, strata, strata_env};

#[tokio::test]
async fn add_list_test_rm_with_json_and_exit_codes() {
    let server = S3sFs::start().await;
    create_buckets(&server.endpoint, ACCESS_KEY, SECRET_KEY, &["photos"]).await;
    let home = tempfile::tempdir().unwrap();

    let added = add(
        home.path(),
        "Fotos 2024",
        &server.endpoint,
        ACCESS_KEY,
        SECRET_KEY,
    )
    .await;
    assert_eq!(added.code, 0, "{}", added.stderr);
    assert_eq!(added.json()["name"], "Fotos 2024");
    assert_eq!(added.json()["provider"], "other");
    assert_eq!(added.json()["region"], "us-east-1");

    // --json and --home are global: accepted after the subcommand too.
    let data = home.path().join("data");
    let listed = strata(
        home.path(),
        &[
            "profile",
            "list",
            "--home",
            data.to_str().unwrap(),
            "--json",
        ],
        None,
    )
    .await;
    assert_eq!(listed.code, 0);
    let list = listed.json();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Fotos 2024", "local"],
        "the built-in local profile is there from the start"
    );
    let first_key = listed
        .stdout
        .trim_start_matches("[{\"")
        .split('"')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(first_key, "name", "objects start with name");

    let tested = strata(
        home.path(),
        &["profile", "test", "Fotos 2024", "--json"],
        None,
    )
    .await;
    assert_eq!(tested.code, 0, "{}", tested.stderr);
    assert_eq!(tested.json()["bucket_count"], 1);

    let human = strata(home.path(), &["profile", "test", "Fotos 2024"], None).await;
    assert_eq!(
        human.stdout.trim(),
        format!("Connected to {}: 1 bucket.", server.endpoint)
    );

    let removed = strata(
        home.path(),
        &["--json", "profile", "rm", "Fotos 2024"],
        None,
    )
    .await;
    assert_eq!(
        (removed.code, removed.json()["removed"].clone()),
        (0, Value::Bool(true))
    );
    let again = strata(
        home.path(),
        &["--json", "profile", "rm", "Fotos 2024"],
        None,
    )
    .await;
    assert_eq!(again.code, 1);
    assert_eq!(again.json()["error"]["code"], "not_found");
}

#[tokio::test]
async fn refused_input_exits_2_with_a_json_error() {
    let home = tempfile::tempdir().unwrap();
    for (name, endpoint) in [
        ("", "http://h"),
        ("a:b", "http://h"),
        ("a/b", "http://h"),
        ("ok", "ftp://h"),
        ("ok", "nohost"),
    ] {
        let run = add(home.path(), name, endpoint, "AK", "s").await;
        assert_eq!(run.code, 2, "{name:?} {endpoint:?}: {}", run.stdout);
        let error = &run.json()["error"];
        assert_eq!(error["code"], "invalid_input");
        assert!(error["message"].as_str().unwrap().ends_with('.'));
        assert!(!error["hint"].as_str().unwrap().is_empty());
        assert_eq!(
            error.as_object().unwrap().len(),
            3,
            "exactly code, message, hint"
        );
    }
    // A secret given without --secret-stdin is impossible; leaving it out is a validation error.
    let no_secret = strata(
        home.path(),
        &[
            "profile",
            "add",
            "x",
            "--endpoint",
            "http://h",
            "--access-key-id",
            "AK",
        ],
        None,
    )
    .await;
    assert_eq!(no_secret.code, 2);
    assert!(
        no_secret
            .stderr
            .starts_with("error: The secret access key is missing."),
        "{}",
        no_secret.stderr
    );
    assert!(no_secret.stderr.contains("hint: "), "{}", no_secret.stderr);

    let bad_flag = strata(
        home.path(),
        &["--json", "profile", "add", "x", "--provider", "ceph"],
        None,
    )
    .await;
    assert_eq!(bad_flag.code, 2);
    assert_eq!(bad_flag.json()["error"]["code"], "invalid_input");

    let listed = strata(home.path(), &["--json", "profile", "list"], None).await;
    assert_eq!(names(&listed.json()), ["local"], "nothing was written");
}

#[tokio::test]
async fn names_with_spaces_and_unicode_work_end_to_end() {
    let server = S3sFs::start().await;
    let home = tempfile::tempdir().unwrap();
    for name in ["Archiv Köln", "写真", "a.b_c-d"] {
        assert_eq!(
            add(home.path(), name, &server.endpoint, ACCESS_KEY, SECRET_KEY)
                .await
                .code,
            0
        );
        let tested = strata(home.path(), &["--json", "profile", "test", name], None).await;
        assert_eq!(tested.code, 0, "{name}: {}", tested.stdout);
    }
}

#[tokio::test]
async fn failures_exit_1_and_say_what_to_do() {
    let server = S3sFs::start().await;
    let home = tempfile::tempdir().unwrap();
    add(
        home.path(),
        "wrong",
        &server.endpoint,
        ACCESS_KEY,
        "NotTheSecret",
    )
    .await;
    let run = strata(home.path(), &["profile", "test", "wrong"], None).await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("error: The secret access key does not match"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("hint: Paste the secret access key again"),
        "{}",
        run.stderr
    );

    add(
        home.path(),
        "dead",
        &strata_testkit::dead_endpoint(),
        ACCESS_KEY,
        SECRET_KEY,
    )
    .await;
    let run = strata(home.path(), &["--json", "profile", "test", "dead"], None).await;
    assert_eq!(
        (run.code, run.json()["error"]["code"].clone()),
        (1, "endpoint_unreachable".into())
    );
}

#[tokio::test]
async fn a_key_that_may_not_list_buckets_passes_with_a_warning() {
    let server = Moto::start_with_iam(2);
    let (key, secret) = server.create_iam_user("reader");
    let home = tempfile::tempdir().unwrap();
    add(home.path(), "limited", &server.endpoint, &key, &secret).await;
    let run = strata(home.path(), &["profile", "test", "limited"], None).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("warning: The key is valid but is not allowed"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn without_a_secret_store_nothing_is_saved_in_plaintext() {
    let home = tempfile::tempdir().unwrap();
    let args = [
        "--json",
        "profile",
        "add",
        "p",
        "--endpoint",
        "http://h",
        "--access-key-id",
        "AK",
        "--secret-stdin",
    ];
    let run = strata_env(
        home.path(),
        &args,
        Some("VerySecret1\n"),
        &[("DBUS_SESSION_BUS_ADDRESS", "disabled:")],
    )
    .await;
    assert_eq!(run.code, 1);
    let error = &run.json()["error"];
    assert_eq!(error["code"], "secret_store_unavailable");
    assert!(
        error["hint"]
            .as_str()
            .unwrap()
            .contains("gnome-keyring-daemon")
    );
    let listed = strata(home.path(), &["--json", "profile", "list"], None).await;
    assert_eq!(names(&listed.json()), ["local"], "the row was rolled back");
    assert_no_secret_in_files(&home.path().join("data"), "VerySecret1");
}

#[tokio::test]
async fn without_a_secret_store_the_first_run_profile_says_why_it_is_missing() {
    let home = tempfile::tempdir().unwrap();
    let no_store = [("DBUS_SESSION_BUS_ADDRESS", "disabled:")];
    let run = strata_env(
        home.path(),
        &["--json", "bucket", "ls", "local"],
        None,
        &no_store,
    )
    .await;
    assert_eq!(run.code, 1);
    let error = &run.json()["error"];
    assert_eq!(error["code"], "secret_store_unavailable", "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("\"local\""),
        "{error}"
    );
    assert!(
        error["hint"]
            .as_str()
            .unwrap()
            .contains("gnome-keyring-daemon")
    );
    // With a store, the next command makes the profile as on any first run.
    let run = strata(home.path(), &["--json", "bucket", "ls", "local"], None).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

fn assert_no_secret_in_files(dir: &Path, secret: &str) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            assert_no_secret_in_files(&path, secret);
        } else {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "secret in {}",
                path.display()
            );
        }
    }
}

#[tokio::test]
async fn the_secret_never_reaches_output_logs_or_files() {
    let server = S3sFs::start().await;
    let home = tempfile::tempdir().unwrap();
    let mut runs = vec![add(home.path(), "p", &server.endpoint, ACCESS_KEY, SECRET_KEY).await];
    for args in [
        &["profile", "test", "p"][..],
        &["--json", "profile", "test", "p"],
        &["--json", "profile", "list"],
        &["profile", "list"],
        &["profile", "edit", "p", "--region", "eu-west-1"],
        &["--json", "profile", "test", "p"],
    ] {
        runs.push(strata(home.path(), args, None).await);
    }
    for run in &runs {
        assert!(!run.stdout.contains(SECRET_KEY), "stdout: {}", run.stdout);
        assert!(
            !run.stderr.contains(SECRET_KEY),
            "stderr (trace log): {}",
            run.stderr
        );
    }
    assert!(
        runs.iter().any(|r| r.stderr.contains("TRACE")),
        "trace logging was on"
    );
    assert_no_secret_in_files(&home.path().join("data"), SECRET_KEY);
}

/// Writes `~/.aws/config` and `~/.aws/credentials` under `home`.
fn aws_files(home: &Path, config: &str, credentials: &str) {
    let dir = home.join(".aws");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config"), config).unwrap();
    std::fs::write(dir.join("credentials"), credentials).unwrap();
}

#[tokio::test]
async fn import_aws_copies_static_keys_and_references_the_rest() {
    let server = S3sFs::start().await;
    let home = tempfile::tempdir().unwrap();
    let helper = home.path().join("creds.sh");
    std::fs::write(
        &helper,
        format!("#!/bin/sh\necho '{{\"Version\": 1, \"AccessKeyId\": \"{ACCESS_KEY}\", \"SecretAccessKey\": \"{SECRET_KEY}\"}}'\n"),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&helper)
        .status()
        .unwrap();
    let endpoint = &server.endpoint;
    aws_files(
        home.path(),
        &format!(
            "[profile static]\nregion = eu-central-1\nendpoint_url = {endpoint}\n\n\
             [profile process]\nendpoint_url = {endpoint}\ncredential_process = {}\n\n\
             [profile sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Reader\nregion = us-east-1\n\n\
             [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n\n\
             [profile bad:name]\nregion = us-east-1\n\n[profile nocreds]\nregion = us-east-1\n",
            helper.display()
        ),
        &format!(
            "[static]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"
        ),
    );

    let run = strata(home.path(), &["--json", "profile", "import-aws"], None).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    let imported: Vec<(String, String)> = report["imported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().into(),
                p["credentials"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        imported,
        [
            ("process".into(), "aws_config".into()),
            ("sso".into(), "aws_config".into()),
            ("static".into(), "keyring".into())
        ]
    );
    let skipped: Vec<&str> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(skipped, ["bad:name", "nocreds"]);

    // Static keys were copied to the keyring; the region and endpoint came along.
    let listed = strata(home.path(), &["--json", "profile", "list"], None)
        .await
        .json();
    let static_profile = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "static")
        .unwrap();
    assert_eq!(static_profile["region"], "eu-central-1");
    assert_eq!(static_profile["endpoint"], endpoint.as_str());
    let tested = strata(home.path(), &["--json", "profile", "test", "static"], None).await;
    assert_eq!(tested.code, 0, "{}", tested.stdout);

    // credential_process is run by aws-config at use: nothing was copied, and it works.
    let tested = strata(home.path(), &["--json", "profile", "test", "process"], None).await;
    assert_eq!(tested.code, 0, "{}", tested.stdout);

    // With no cached SSO token (no `aws sso login` yet) resolution fails at use, clearly.
    let tested = strata(home.path(), &["--json", "profile", "test", "sso"], None).await;
    assert_eq!(tested.code, 1);
    assert_eq!(tested.json()["error"]["code"], "credentials_unavailable");
    assert!(
        tested.json()["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("aws sso login")
    );

    assert_no_secret_in_files(&home.path().join("data"), SECRET_KEY);

    // Importing again changes nothing.
    let again = strata(home.path(), &["--json", "profile", "import-aws"], None)
        .await
        .json();
    assert_eq!(again["imported"], Value::Array(vec![]));
    assert_eq!(again["skipped"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn import_aws_from_a_missing_file_says_so() {
    let home = tempfile::tempdir().unwrap();
    let run = strata(
        home.path(),
        &[
            "--json",
            "profile",
            "import-aws",
            "--file",
            "/nonexistent/config",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 1);
    assert_eq!(run.json()["error"]["code"], "not_found");
}

#[tokio::test]
async fn a_fresh_home_tests_local_with_nothing_else_running() {
    let home = tempfile::tempdir().unwrap();
    let run = strata(home.path(), &["profile", "test", "local"], None).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let said = run.stdout.trim();
    assert!(
        said.starts_with("Connected to the built-in endpoint (http://127.0.0.1:")
            && said.ends_with("): 0 buckets."),
        "{said}"
    );

    assert_eq!(
        strata(home.path(), &["profile", "rm", "local"], None)
            .await
            .code,
        0
    );
    assert_eq!(
        names(
            &strata(home.path(), &["--json", "profile", "list"], None)
                .await
                .json()
        ),
        Vec::<String>::new()
    );
    let gone = strata(home.path(), &["--json", "profile", "test", "local"], None).await;
    assert_eq!(
        (gone.code, gone.json()["error"]["code"].clone()),
        (1, "not_found".into())
    );
    let restored = strata(home.path(), &["--json", "profile", "restore-local"], None).await;
    assert_eq!(
        (restored.code, restored.json()["name"].clone()),
        (0, "local".into())
    );
    assert_eq!(
        strata(home.path(), &["profile", "test", "local"], None)
            .await
            .code,
        0
    );
}

#[tokio::test]
async fn an_imported_assume_role_profile_gets_its_credentials_from_sts_at_use() {
    let home = tempfile::tempdir().unwrap();
    let log = home.path().join("moto.log");
    let server = strata_testkit::Moto::start_logged(&log);
    let endpoint = &server.endpoint;
    aws_files(
        home.path(),
        &format!(
            "[profile base]\nregion = us-east-1\nendpoint_url = {endpoint}\n\n\
             [profile archiver]\nregion = us-east-1\nendpoint_url = {endpoint}\n\
             role_arn = arn:aws:iam::123456789012:role/archiver\nsource_profile = base\n"
        ),
        "[base]\naws_access_key_id = AKBASE\naws_secret_access_key = BaseSecret123\n",
    );
    let report = strata(home.path(), &["--json", "profile", "import-aws"], None)
        .await
        .json();
    let role = report["imported"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "archiver")
        .unwrap()
        .clone();
    assert_eq!(
        role["credentials"], "aws_config",
        "the role is referenced, not copied"
    );

    let tested = strata(
        home.path(),
        &["--json", "profile", "test", "archiver"],
        None,
    )
    .await;
    assert_eq!(tested.code, 0, "{}", tested.stdout);
    // moto's request log: the STS AssumeRole (a POST to /) came before the S3 ListBuckets.
    let requests = std::fs::read_to_string(&log).unwrap();
    let assume = requests
        .find("\"POST / HTTP/1.1\" 200")
        .expect("an STS AssumeRole call");
    let list = requests.find("ListBuckets").expect("the ListBuckets call");
    assert!(assume < list, "{requests}");
}

/// Stand-in: AWS SSO needs Amazon's portal, so a canned server plays it (role credentials for
/// the bearer token that `aws sso login` would have cached). s3s-fs checks signatures, so the
/// connection succeeding proves the portal's keys were the ones used.
#[tokio::test]
async fn an_imported_sso_profile_gets_its_credentials_from_the_portal_at_use() {
    let s3 = S3sFs::start().await;
    let credentials = format!(
        "{{\"roleCredentials\": {{\"accessKeyId\": \"{ACCESS_KEY}\", \"secretAccessKey\": \"{SECRET_KEY}\", \
         \"sessionToken\": \"session\", \"expiration\": 4102444800000}}}}"
    );
    let portal = strata_testkit::CannedServer::start(200, "application/json", credentials).await;
    let home = tempfile::tempdir().unwrap();
    aws_files(
        home.path(),
        &format!(
            "[profile studio]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Reader\n\
             region = us-east-1\nservices = standin\n\n[services standin]\nsso =\n  endpoint_url = {}\n\n\
             [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n",
            portal.endpoint
        ),
        "",
    );
    // What `aws sso login` leaves behind: the session's token, cached under sha1(session name).
    let cache = home.path().join(".aws/sso/cache");
    std::fs::create_dir_all(&cache).unwrap();
    let token = "{\"accessToken\": \"cached-bearer-token\", \"expiresAt\": \"2099-01-01T00:00:00Z\", \
                 \"region\": \"us-east-1\", \"startUrl\": \"https://corp.awsapps.com/start\"}";
    std::fs::write(
        cache.join("ee0bfd2552fbd840c02cc48b6e823320543c450f.json"),
        token,
    )
    .unwrap();

    assert_eq!(
        strata(home.path(), &["--json", "profile", "import-aws"], None)
            .await
            .code,
        0
    );
    let edit = [
        "profile",
        "edit",
        "studio",
        "--provider",
        "other",
        "--endpoint",
        &s3.endpoint,
        "--path-style",
    ];
    assert_eq!(strata(home.path(), &edit, None).await.code, 0);
    let tested = strata(home.path(), &["--json", "profile", "test", "studio"], None).await;
    assert_eq!(tested.code, 0, "{}", tested.stdout);
    let asked = portal.requests();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(
        asked[0]
            .starts_with("GET /federation/credentials?role_name=Reader&account_id=111122223333"),
        "{}",
        asked[0]
    );
    assert!(
        asked[0]
            .to_lowercase()
            .contains("x-amz-sso_bearer_token: cached-bearer-token"),
        "{}",
        asked[0]
    );
    assert_no_secret_in_files(&home.path().join("data"), SECRET_KEY);
}

#[tokio::test]
async fn serve_local_and_other_commands_share_the_store_at_once() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    // serve-local on the data folder's own store, as a user would run it for another tool.
    let server = strata_testkit::ServeLocal::on_data_folder(env!("CARGO_BIN_EXE_strata"), &data);
    server
        .client()
        .create_bucket()
        .bucket("from-another-tool")
        .send()
        .await
        .unwrap();
    // Meanwhile a CLI command serves the same store in-process, with the same key pair.
    let tested = strata(home.path(), &["--json", "profile", "test", "local"], None).await;
    assert_eq!(tested.code, 0, "{}", tested.stderr);
    assert_eq!(tested.json()["bucket_count"], 1);
    let listed = strata(home.path(), &["--json", "profile", "list"], None)
        .await
        .json();
    assert_eq!(
        listed[0]["access_key_id"].as_str(),
        Some(server.access_key_id.as_str())
    );
}

/// Many `strata` processes on one data folder at once: every catalog write waits its turn
/// (immediate transactions, a busy timeout, retries), so none fails with "database is locked".
#[tokio::test]
async fn dozens_of_commands_at_once_on_one_data_folder_all_succeed() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    // The first run makes the `local` profile; the crowd then shares its catalog.
    assert_eq!(strata(h, &["profile", "list"], None).await.code, 0);
    let mut runs = Vec::new();
    for i in 0..12 {
        let name = format!("p{i}");
        runs.push(tokio::spawn({
            let h = h.to_path_buf();
            async move { add(&h, &name, "http://127.0.0.1:9", "AKID", "secret").await }
        }));
        runs.push(tokio::spawn({
            let h = h.to_path_buf();
            async move { strata(&h, &["bucket", "refresh", "local"], None).await }
        }));
        runs.push(tokio::spawn({
            let h = h.to_path_buf();
            async move { strata(&h, &["--json", "profile", "list"], None).await }
        }));
    }
    for run in runs {
        let run = run.await.unwrap();
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    }
    let listed = strata(h, &["--json", "profile", "list"], None).await;
    assert_eq!(names(&listed.json()).len(), 13);
}
