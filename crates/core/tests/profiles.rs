//! Profiles against real parts: S3 servers on 127.0.0.1 (moto, s3s-fs), the real Secret
//! Service (the test command runs this under dbus-run-session with gnome-keyring), and a real
//! SQLite file in a temporary data folder.

use std::path::Path;

mod common;

use common::{engine, input};
use strata_core::profile::{ProfilePatch, Provider};
use strata_core::{DataDir, Engine, ErrorCode};
use strata_testkit::{
    ACCESS_KEY, CannedServer, Moto, S3sFs, SECRET_KEY, create_buckets, dead_endpoint,
};

/// The secret-store entry of a profile, read with the keyring crate directly.
fn stored_secret(home: &Path, profile_id: u32) -> Option<String> {
    let service = DataDir::at(home).unwrap().secret_service();
    match keyring::Entry::new(&service, &profile_id.to_string())
        .unwrap()
        .get_password()
    {
        Ok(secret) => Some(secret),
        Err(keyring::Error::NoEntry) => None,
        Err(e) => panic!("secret store: {e}"),
    }
}

async fn connects_and_counts_buckets(endpoint: &str) {
    create_buckets(endpoint, ACCESS_KEY, SECRET_KEY, &["alpha", "beta"]).await;
    let (_home, engine) = engine();
    engine
        .profile_add(input("Fotos Köln", endpoint, ACCESS_KEY, SECRET_KEY))
        .await
        .unwrap();
    let report = engine.profile_test("Fotos Köln").await.unwrap();
    assert_eq!(report.bucket_count, Some(2));
    assert_eq!(report.warning, None);
    assert_eq!(
        report.summary,
        format!("Connected to {endpoint}: 2 buckets.")
    );
}

#[tokio::test]
async fn test_connects_to_s3s_fs_and_counts_its_buckets() {
    let server = S3sFs::start().await;
    connects_and_counts_buckets(&server.endpoint).await;
}

#[tokio::test]
async fn test_connects_to_moto_and_counts_its_buckets() {
    let server = Moto::start();
    connects_and_counts_buckets(&server.endpoint).await;
}

async fn test_fails_with(
    endpoint: &str,
    key: &str,
    secret: &str,
    code: ErrorCode,
) -> strata_core::Error {
    let (_home, engine) = engine();
    engine
        .profile_add(input("p", endpoint, key, secret))
        .await
        .unwrap();
    let err = engine.profile_test("p").await.unwrap_err();
    assert_eq!(err.code, code, "{err:?}");
    assert!(!err.hint.is_empty());
    assert!(
        !err.message.contains(secret),
        "the secret leaked into: {}",
        err.message
    );
    err
}

#[tokio::test]
async fn wrong_secret_is_a_signature_mismatch_on_s3s_fs() {
    let server = S3sFs::start().await;
    let err = test_fails_with(
        &server.endpoint,
        ACCESS_KEY,
        "WrongSecret123",
        ErrorCode::SignatureMismatch,
    )
    .await;
    assert!(
        err.message.contains("SignatureDoesNotMatch"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn iam_checked_moto_tells_bad_keys_from_missing_rights() {
    let server = Moto::start_with_iam(2);
    let (key, secret) = server.create_iam_user("photographer");

    test_fails_with(
        &server.endpoint,
        &key,
        "WrongSecret123",
        ErrorCode::SignatureMismatch,
    )
    .await;
    test_fails_with(
        &server.endpoint,
        "AKIAUNKNOWN000000000",
        &secret,
        ErrorCode::InvalidAccessKey,
    )
    .await;

    // A valid key that may not ListBuckets still passes, with a warning that says so.
    let (_home, engine) = engine();
    engine
        .profile_add(input("limited", &server.endpoint, &key, &secret))
        .await
        .unwrap();
    let report = engine.profile_test("limited").await.unwrap();
    assert_eq!(report.bucket_count, None);
    let warning = report
        .warning
        .expect("a warning for a key that may not list buckets");
    assert!(warning.contains("AccessDenied"), "{warning}");
    assert!(
        report.summary.contains("limited rights"),
        "{}",
        report.summary
    );
}

#[tokio::test]
async fn unknown_key_is_invalid_access_key_on_s3s_fs() {
    let server = S3sFs::start().await;
    test_fails_with(
        &server.endpoint,
        "AKNOBODY",
        SECRET_KEY,
        ErrorCode::InvalidAccessKey,
    )
    .await;
}

#[tokio::test]
async fn a_dead_endpoint_is_unreachable_and_retryable() {
    let err = test_fails_with(
        &dead_endpoint(),
        ACCESS_KEY,
        SECRET_KEY,
        ErrorCode::EndpointUnreachable,
    )
    .await;
    assert!(err.retryable());
    assert!(err.message.contains("refused"), "{}", err.message);
}

#[tokio::test]
async fn https_to_a_plain_http_server_is_a_tls_error() {
    let server = S3sFs::start().await;
    let https = server.endpoint.replace("http://", "https://");
    let err = test_fails_with(&https, ACCESS_KEY, SECRET_KEY, ErrorCode::Tls).await;
    assert!(err.hint.contains("http://"), "{}", err.hint);
}

/// Stand-in: no local server can be made to see a skewed clock on demand, so a canned server
/// answers with the error AWS sends (403 RequestTimeTooSkewed).
#[tokio::test]
async fn clock_skew_is_explained() {
    let fault = CannedServer::s3_error(403, "RequestTimeTooSkewed").await;
    let err = test_fails_with(
        &fault.endpoint,
        ACCESS_KEY,
        SECRET_KEY,
        ErrorCode::ClockSkew,
    )
    .await;
    assert!(err.hint.contains("clock"), "{}", err.hint);
}

/// Every file under the data folder, read as bytes (the catalog, its WAL, anything else).
fn files_under(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

#[tokio::test]
async fn the_secret_lives_only_in_the_secret_store_and_leaves_with_the_profile() {
    let server = S3sFs::start().await;
    let (home, engine) = engine();
    let secret = SECRET_KEY;
    let profile = engine
        .profile_add(input("archive", &server.endpoint, ACCESS_KEY, secret))
        .await
        .unwrap();
    engine.profile_test("archive").await.unwrap();
    let renamed = ProfilePatch {
        name: Some("archive 2".into()),
        ..ProfilePatch::default()
    };
    engine.profile_edit("archive", renamed).await.unwrap();
    engine
        .profile_test("archive 2")
        .await
        .expect("the secret follows a rename");
    let listed = serde_json::to_string(&engine.profile_list().await.unwrap()).unwrap();

    assert_eq!(
        stored_secret(home.path(), profile.id).as_deref(),
        Some(secret)
    );
    assert!(!listed.contains(secret));
    let files = files_under(home.path());
    assert!(files.iter().any(|(p, _)| p.ends_with("catalog.sqlite")));
    for (path, bytes) in files {
        let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!found, "the secret is in {}", path.display());
    }

    engine.profile_remove("archive 2").await.unwrap();
    assert_eq!(stored_secret(home.path(), profile.id), None);
    assert!(engine.profile_list().await.unwrap().is_empty());
    let err = engine.profile_remove("archive 2").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
}

#[tokio::test]
async fn a_new_secret_replaces_the_old_one() {
    let server = S3sFs::start().await;
    let (_home, engine) = engine();
    engine
        .profile_add(input("p", &server.endpoint, ACCESS_KEY, "WrongSecret123"))
        .await
        .unwrap();
    assert_eq!(
        engine.profile_test("p").await.unwrap_err().code,
        ErrorCode::SignatureMismatch
    );
    let fix = ProfilePatch {
        secret_access_key: Some(SECRET_KEY.into()),
        ..ProfilePatch::default()
    };
    engine.profile_edit("p", fix).await.unwrap();
    engine.profile_test("p").await.unwrap();
}

#[tokio::test]
async fn duplicate_names_are_refused_ignoring_case() {
    let (_home, engine) = engine();
    engine
        .profile_add(input("Work", "http://127.0.0.1:9", "k", "s"))
        .await
        .unwrap();
    let err = engine
        .profile_add(input("work", "http://127.0.0.1:9", "k", "s"))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.field),
        (ErrorCode::AlreadyExists, Some("name"))
    );
    engine
        .profile_add(input("other", "http://127.0.0.1:9", "k", "s"))
        .await
        .unwrap();
    let rename = ProfilePatch {
        name: Some("WORK".into()),
        ..ProfilePatch::default()
    };
    let err = engine.profile_edit("other", rename).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::AlreadyExists);
    // Refused input changed nothing.
    let names: Vec<String> = engine
        .profile_list()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["Work", "other"]);
}

#[tokio::test]
async fn invalid_input_writes_nothing() {
    let (_home, engine) = engine();
    for (bad, field) in [
        (input("", "http://h", "k", "s"), "name"),
        (input("a/b", "http://h", "k", "s"), "name"),
        (input("p", "not a url", "k", "s"), "endpoint"),
        (input("p", "http://h", "", "s"), "access_key_id"),
        (input("p", "http://h", "k", ""), "secret_access_key"),
    ] {
        let err = engine.profile_add(bad).await.unwrap_err();
        assert_eq!(
            (err.code, err.field),
            (ErrorCode::InvalidInput, Some(field))
        );
    }
    assert!(engine.profile_list().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_first_start_makes_a_ready_local_profile() {
    let home = tempfile::tempdir().unwrap();
    let engine = Engine::start(DataDir::at(home.path()).unwrap())
        .await
        .unwrap();
    let profiles = engine.profile_list().await.unwrap();
    assert_eq!(profiles.len(), 1);
    let local = &profiles[0];
    assert_eq!(
        (
            local.name.as_str(),
            local.provider,
            local.endpoint.as_deref()
        ),
        ("local", Provider::Local, None)
    );
    let secret =
        stored_secret(home.path(), local.id).expect("the key pair's secret is in the keyring");
    assert!(secret.len() >= 40 && secret.chars().all(|c| c.is_ascii_alphanumeric()));

    let report = engine.profile_test("local").await.unwrap();
    assert_eq!(report.bucket_count, Some(0));
    assert!(
        report
            .summary
            .starts_with("Connected to the built-in endpoint (http://127.0.0.1:"),
        "{}",
        report.summary
    );

    // A second start (another process, say) finds it and makes no other.
    let again = Engine::start(DataDir::at(home.path()).unwrap())
        .await
        .unwrap();
    assert_eq!(again.profile_list().await.unwrap(), profiles);
}

#[tokio::test]
async fn a_removed_local_profile_stays_removed_until_restored() {
    let home = tempfile::tempdir().unwrap();
    let engine = Engine::start(DataDir::at(home.path()).unwrap())
        .await
        .unwrap();
    let (_, client) = local_client(&engine).await;
    create_bucket(&client, "kept-photos").await;
    engine.profile_remove("local").await.unwrap();

    let restarted = Engine::start(DataDir::at(home.path()).unwrap())
        .await
        .unwrap();
    assert!(
        restarted.profile_list().await.unwrap().is_empty(),
        "removal is remembered"
    );
    let restored = restarted.profile_restore_local().await.unwrap();
    assert_eq!(restored.name, "local");
    // The stored buckets were kept; the new key pair opens them.
    let report = restarted.profile_test("local").await.unwrap();
    assert_eq!(report.bucket_count, Some(1));
}

/// An SDK client for the engine's `local` profile, through its in-process endpoint.
async fn local_client(engine: &Engine) -> (String, aws_sdk_s3::Client) {
    let url = engine.local_endpoint().await.unwrap().url();
    let credentials = engine.local_credentials().await.unwrap().unwrap();
    (
        url.clone(),
        strata_testkit::sdk_client(&url, &credentials.access_key_id, &credentials.secret),
    )
}

async fn create_bucket(client: &aws_sdk_s3::Client, name: &str) {
    client.create_bucket().bucket(name).send().await.unwrap();
}

#[tokio::test]
async fn the_built_in_endpoint_passes_the_connection_suite() {
    let dir = tempfile::tempdir().unwrap();
    let credentials = strata_core::local::LocalCredentials {
        access_key_id: ACCESS_KEY.into(),
        secret: SECRET_KEY.into(),
    };
    let server = strata_core::local::serve(dir.path(), "127.0.0.1:0".parse().unwrap(), credentials)
        .await
        .unwrap();
    let endpoint = server.url();
    connects_and_counts_buckets(&endpoint).await;
    test_fails_with(
        &endpoint,
        ACCESS_KEY,
        "WrongSecret123",
        ErrorCode::SignatureMismatch,
    )
    .await;
    test_fails_with(
        &endpoint,
        "AKNOBODY",
        SECRET_KEY,
        ErrorCode::InvalidAccessKey,
    )
    .await;
}
