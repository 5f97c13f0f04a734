//! The bucket catalog against real parts: the built-in endpoint, moto and s3s-fs on
//! 127.0.0.1 (a fault-injecting proxy in front where a test needs a failure), a real SQLite
//! file, and the real Secret Service.

use std::collections::BTreeSet;

mod common;

use common::{engine, input, serve_local};
use futures_util::StreamExt;
use strata_core::buckets::{BucketFilter, Visibility};
use strata_core::jobs::{Event, JobSpec, JobState};
use strata_core::profile::ProfilePatch;
use strata_core::{DataDir, Engine, ErrorCode};
use strata_testkit::{ACCESS_KEY, Fault, FaultProxy, Moto, S3sFs, SECRET_KEY, sdk_client};

const ALPHABET: &str = "0123456789abcdefghijklmnopqrstuvwxyz";

/// `count` valid bucket names whose first characters cycle through digits and letters, a
/// seventh of them with "photo" inside.
fn names(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| {
            let first = ALPHABET.as_bytes()[i % ALPHABET.len()] as char;
            let middle = if i % 7 == 0 { "photo" } else { "bkt" };
            format!("{first}{middle}-{i:05}")
        })
        .collect()
}

async fn add_profile(engine: &Engine, name: &str, endpoint: &str, key: &str, secret: &str) {
    engine
        .profile_add(input(name, endpoint, key, secret))
        .await
        .unwrap();
}

/// A fresh engine with one profile for `endpoint` and the test key pair.
async fn engine_with(profile: &str, endpoint: &str) -> (tempfile::TempDir, Engine) {
    let (home, engine) = engine();
    add_profile(&engine, profile, endpoint, ACCESS_KEY, SECRET_KEY).await;
    (home, engine)
}

/// Creates the buckets with a plain SDK client, several at a time.
async fn create_all(endpoint: &str, names: &[String]) {
    let client = sdk_client(endpoint, ACCESS_KEY, SECRET_KEY);
    futures_util::stream::iter(names)
        .for_each_concurrent(16, |name| {
            let client = client.clone();
            async move {
                client
                    .create_bucket()
                    .bucket(name)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("create {name}: {e:?}"));
            }
        })
        .await;
}

async fn listed(engine: &Engine, profile: &str, filter: BucketFilter) -> Vec<String> {
    engine
        .bucket_list(profile, filter, 0, None)
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect()
}

fn search(text: &str) -> BucketFilter {
    BucketFilter {
        search: Some(text.into()),
        ..BucketFilter::default()
    }
}

fn letter(l: &str) -> BucketFilter {
    BucketFilter {
        letter: Some(l.into()),
        ..BucketFilter::default()
    }
}

/// Refreshes `profile` (which sees exactly `expected`) and checks what a user would see:
/// every name, the A–Z counts, letter pages, searches, regions.
async fn refresh_and_check(
    engine: &Engine,
    profile: &str,
    expected: &[String],
    page_size: u32,
) -> strata_core::buckets::RefreshReport {
    let report = engine
        .bucket_refresh(profile, page_size, &engine.new_job())
        .await
        .unwrap();
    assert_eq!(report.buckets as usize, expected.len());

    let all: BTreeSet<String> = expected.iter().cloned().collect();
    let shown = listed(engine, profile, BucketFilter::default()).await;
    assert_eq!(shown.len(), expected.len(), "no duplicates, none missing");
    assert_eq!(shown.iter().cloned().collect::<BTreeSet<_>>(), all);

    let index = engine
        .bucket_index(profile, BucketFilter::default())
        .await
        .unwrap();
    assert_eq!(index.total as usize, expected.len());
    assert!(index.refreshed_at.is_some());
    for count in &index.letters {
        let want = expected
            .iter()
            .filter(|n| {
                let first = n.chars().next().unwrap();
                if count.letter == "#" {
                    !first.is_ascii_alphabetic()
                } else {
                    first.to_string() == count.letter
                }
            })
            .count();
        assert_eq!(count.count as usize, want, "letter {}", count.letter);
    }
    assert_eq!(index.letters.len(), 27, "# and a–z all present");
    assert_eq!(index.letters[0].letter, "#");

    let q: Vec<String> = expected
        .iter()
        .filter(|n| n.starts_with('q'))
        .cloned()
        .collect();
    let mut q_sorted = q.clone();
    q_sorted.sort();
    assert_eq!(listed(engine, profile, letter("Q")).await, q_sorted);
    let digits = listed(engine, profile, letter("#")).await;
    assert!(!digits.is_empty());
    assert!(digits.iter().all(|n| n.as_bytes()[0].is_ascii_digit()));

    let mut photos: Vec<String> = expected
        .iter()
        .filter(|n| n.contains("photo"))
        .cloned()
        .collect();
    // Digits sort before letters, so name order is the list's order here.
    photos.sort();
    assert_eq!(listed(engine, profile, search("PHOTO")).await, photos);
    // A search for a literal '%' finds nothing rather than everything.
    assert!(listed(engine, profile, search("%")).await.is_empty());

    let rows = engine
        .bucket_list(profile, BucketFilter::default(), 0, None)
        .await
        .unwrap();
    assert!(
        rows.iter()
            .all(|b| b.region.as_deref() == Some("us-east-1")),
        "every region learned"
    );
    assert!(rows.iter().all(|b| b.created_at.is_some()));
    report
}

#[tokio::test]
async fn the_built_in_endpoint_is_refreshed_page_by_page() {
    let (_dir, server) = serve_local().await;
    let expected = names(2600);
    create_all(&server.url(), &expected).await;
    let (_home, engine) = engine_with("local-test", &server.url()).await;

    let report = refresh_and_check(&engine, "local-test", &expected, 100).await;
    assert_eq!(report.pages, 26);
    assert!(report.paginated);
    // The built-in endpoint says every bucket is private (nothing is served unsigned).
    assert_eq!(
        (report.public, report.private, report.unknown),
        (0, 2600, 0)
    );
    let private = BucketFilter {
        visibility: Some(Visibility::Private),
        ..BucketFilter::default()
    };
    assert_eq!(listed(&engine, "local-test", private).await.len(), 2600);

    // A page in the middle, as the app's virtual list asks for it.
    let page = engine
        .bucket_list("local-test", BucketFilter::default(), 1000, Some(50))
        .await
        .unwrap();
    let all = listed(&engine, "local-test", BucketFilter::default()).await;
    assert_eq!(
        page.iter().map(|b| b.name.clone()).collect::<Vec<_>>(),
        all[1000..1050]
    );
}

#[tokio::test]
async fn moto_truncates_without_a_token_so_the_list_is_read_in_one_call() {
    let server = Moto::start();
    let expected = names(1200);
    create_all(&server.endpoint, &expected).await;
    // One bucket readable by anyone.
    sdk_client(&server.endpoint, ACCESS_KEY, SECRET_KEY)
        .put_bucket_acl()
        .bucket(&expected[5])
        .acl(aws_sdk_s3::types::BucketCannedAcl::PublicRead)
        .send()
        .await
        .unwrap();
    let (_home, engine) = engine_with("moto", &server.endpoint).await;

    let report = refresh_and_check(&engine, "moto", &expected, 100).await;
    assert_eq!(
        report.pages, 2,
        "a full first page without a token, then one unpaginated call"
    );
    assert!(!report.paginated);
    let public = BucketFilter {
        visibility: Some(Visibility::Public),
        ..BucketFilter::default()
    };
    assert_eq!(
        listed(&engine, "moto", public).await,
        vec![expected[5].clone()]
    );
    assert_eq!(report.public, 1);
    assert_eq!(report.private, 1199);
}

#[tokio::test]
async fn s3s_fs_answers_in_one_page_and_its_regions_are_discovered() {
    let server = S3sFs::start().await;
    let expected = names(1500);
    create_all(&server.endpoint, &expected).await;
    let (_home, engine) = engine_with("fs", &server.endpoint).await;

    let report = refresh_and_check(&engine, "fs", &expected, 100).await;
    assert_eq!(
        report.pages, 1,
        "more than a page without a token is the whole list"
    );
    assert!(!report.paginated);
    // s3s-fs has neither policy status nor ACLs: public status stays unknown.
    assert_eq!(report.unknown, 1500);
}

#[tokio::test]
async fn a_refresh_that_fails_halfway_keeps_the_previous_list() {
    let (_dir, server) = serve_local().await;
    let first = names(300);
    create_all(&server.url(), &first).await;
    let failing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let switch = std::sync::Arc::clone(&failing);
    // Once switched on, every request for a second page fails.
    let proxy = FaultProxy::start(&server.url(), move |head, _| {
        let later_page = head
            .uri
            .query()
            .is_some_and(|q| q.contains("continuation-token"));
        if later_page && switch.load(std::sync::atomic::Ordering::SeqCst) {
            Fault::Fail(500)
        } else {
            Fault::Forward
        }
    })
    .await;
    let (_home, engine) = engine_with("flaky", &proxy.endpoint).await;
    engine
        .bucket_refresh("flaky", 100, &engine.new_job())
        .await
        .unwrap();
    let before = listed(&engine, "flaky", BucketFilter::default()).await;
    let refreshed = engine
        .bucket_index("flaky", BucketFilter::default())
        .await
        .unwrap()
        .refreshed_at;

    create_all(&server.url(), &["zz-added-later".to_string()]).await;
    failing.store(true, std::sync::atomic::Ordering::SeqCst);
    let err = engine
        .bucket_refresh("flaky", 100, &engine.new_job())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::S3);
    assert!(err.message.contains("InternalError"), "{}", err.message);
    assert!(err.retryable());
    assert_eq!(
        listed(&engine, "flaky", BucketFilter::default()).await,
        before
    );
    let index = engine
        .bucket_index("flaky", BucketFilter::default())
        .await
        .unwrap();
    assert_eq!(index.refreshed_at, refreshed);
    assert_eq!(index.total, 300);
}

#[tokio::test]
async fn a_full_page_without_a_token_is_never_taken_as_the_whole_list() {
    let (_dir, server) = serve_local().await;
    let expected = names(250);
    create_all(&server.url(), &expected).await;
    let proxy = FaultProxy::start(&server.url(), |_, _| Fault::StripContinuationToken).await;
    let (_home, engine) = engine_with("tokenless", &proxy.endpoint).await;
    let report = engine
        .bucket_refresh("tokenless", 100, &engine.new_job())
        .await
        .unwrap();
    assert_eq!(report.buckets, 250);
    assert_eq!(report.pages, 2);
    assert!(!report.paginated);
}

#[tokio::test]
async fn a_refresh_runs_as_a_job_reports_progress_and_can_be_cancelled() {
    let (_dir, server) = serve_local().await;
    create_all(&server.url(), &names(150)).await;
    let (_home, engine) = engine_with("jobs", &server.url()).await;

    // A refresh cancelled while it runs changes nothing. Every page after the first is slow,
    // so the job is surely still listing when the cancel arrives.
    let slow = FaultProxy::start(&server.url(), |_, n| {
        if n == 0 {
            Fault::Forward
        } else {
            Fault::DelayMs(1500)
        }
    })
    .await;
    let (_slow_home, slow_engine) = engine_with("jobs", &slow.endpoint).await;
    let mut events = slow_engine.events();
    let job = slow_engine.new_job();
    let running = tokio::spawn({
        let (engine, job) = (slow_engine.clone(), job.clone());
        async move { engine.bucket_refresh("jobs", 10, &job).await }
    });
    let within = std::time::Duration::from_secs(30);
    loop {
        let event = tokio::time::timeout(within, events.recv())
            .await
            .unwrap()
            .unwrap();
        if matches!(event, Event::JobProgress { job: j, ref action, .. } if j == job.id && action == "listing")
        {
            break;
        }
    }
    job.cancel();
    let err = tokio::time::timeout(within, running)
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Cancelled);
    assert_eq!(
        slow_engine
            .bucket_index("jobs", BucketFilter::default())
            .await
            .unwrap()
            .total,
        0
    );

    let mut events = engine.events();
    let refresh = || JobSpec::BucketRefresh {
        profile: "jobs".into(),
    };
    let id = engine.job_start(refresh()).await.unwrap();
    assert_eq!(
        engine.job_start(refresh()).await.unwrap(),
        id,
        "a running refresh is joined"
    );
    let (mut listing_progress, mut changed) = (false, false);
    loop {
        match tokio::time::timeout(within, events.recv())
            .await
            .unwrap()
            .unwrap()
        {
            Event::JobProgress {
                job, action, done, ..
            } if job == id && action == "listing" => {
                listing_progress |= done == 150;
            }
            Event::BucketsChanged { profile } if profile == "jobs" => changed = true,
            Event::JobState {
                job, state, error, ..
            } if job == id && state == JobState::Done => {
                assert_eq!(error, None);
                break;
            }
            _ => {}
        }
    }
    assert!(listing_progress && changed);
    assert_eq!(
        engine
            .bucket_index("jobs", BucketFilter::default())
            .await
            .unwrap()
            .total,
        150
    );
    let finished = engine.job_get(id).await.unwrap();
    assert_eq!((finished.state, finished.done), (JobState::Done, 150));
    assert_eq!(
        engine.job_cancel(id).await.unwrap_err().code,
        ErrorCode::InvalidInput,
        "a finished job cannot be cancelled"
    );
}

#[tokio::test]
async fn regions_are_learned_cached_and_re_resolved_once() {
    use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
    let (_dir, server) = serve_local().await;
    let in_region = |region: &str| {
        let client = sdk_client(&server.url(), ACCESS_KEY, SECRET_KEY);
        let config = client
            .config()
            .to_builder()
            .region(aws_sdk_s3::config::Region::new(region.to_string()))
            .build();
        aws_sdk_s3::Client::from_conf(config)
    };
    let make = |name: &'static str, region: &'static str| {
        let client = in_region(region);
        async move {
            client
                .create_bucket()
                .bucket(name)
                .create_bucket_configuration(
                    CreateBucketConfiguration::builder()
                        .location_constraint(BucketLocationConstraint::from(region))
                        .build(),
                )
                .send()
                .await
                .unwrap();
        }
    };
    make("far-away", "eu-west-2").await;
    let (_home, engine) = engine_with("regions", &server.url()).await;
    engine
        .bucket_refresh("regions", 100, &engine.new_job())
        .await
        .unwrap();
    let rows = engine
        .bucket_list("regions", BucketFilter::default(), 0, None)
        .await
        .unwrap();
    assert_eq!(rows[0].region.as_deref(), Some("eu-west-2"));

    // Moved behind Strata's back: the cached region is now wrong. The request signed for it
    // gets a region error; the engine re-resolves once and the delete goes through.
    in_region("eu-west-2")
        .delete_bucket()
        .bucket("far-away")
        .send()
        .await
        .unwrap();
    make("far-away", "ap-south-1").await;
    engine
        .bucket_delete("regions", "far-away", false, &engine.new_job())
        .await
        .unwrap();

    // Not in the catalog at all: discovered before the first request.
    make("never-listed", "sa-east-1").await;
    let deleted = engine
        .bucket_delete("regions", "never-listed", false, &engine.new_job())
        .await
        .unwrap();
    assert_eq!(deleted.bucket, "never-listed");
    let left = in_region("us-east-1").list_buckets().send().await.unwrap();
    assert!(left.buckets().is_empty());
    assert_eq!(
        engine
            .bucket_index("regions", BucketFilter::default())
            .await
            .unwrap()
            .total,
        0
    );
}

async fn put(client: &aws_sdk_s3::Client, bucket: &str, key: &str) {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(aws_sdk_s3::primitives::ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
}

/// Delete refuses a bucket with objects and says how many; `force` empties it (versions and
/// unfinished uploads too where the server has them) and deletes it.
async fn delete_suite(endpoint: &str, versions: bool, uploads: bool) {
    let client = sdk_client(endpoint, ACCESS_KEY, SECRET_KEY);
    let bucket = "full-bucket";
    client.create_bucket().bucket(bucket).send().await.unwrap();
    if versions {
        client
            .put_bucket_versioning()
            .bucket(bucket)
            .versioning_configuration(
                aws_sdk_s3::types::VersioningConfiguration::builder()
                    .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        put(&client, bucket, "a.jpg").await;
    }
    for key in ["a.jpg", "b.jpg", "deep/c ü.jpg"] {
        put(&client, bucket, key).await;
    }
    if uploads {
        client
            .create_multipart_upload()
            .bucket(bucket)
            .key("unfinished.raw")
            .send()
            .await
            .unwrap();
    }
    let (_home, engine) = engine_with("del", endpoint).await;
    engine
        .bucket_refresh("del", 1000, &engine.new_job())
        .await
        .unwrap();

    let err = engine
        .bucket_delete("del", bucket, false, &engine.new_job())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::BucketNotEmpty);
    assert!(err.message.contains("holds 3 objects"), "{}", err.message);
    assert!(err.hint.contains("--force"), "{}", err.hint);
    assert_eq!(
        listed(&engine, "del", BucketFilter::default()).await,
        vec![bucket]
    );

    let deleted = engine
        .bucket_delete("del", bucket, true, &engine.new_job())
        .await
        .unwrap();
    let expected = 3 + usize::from(versions) + usize::from(uploads);
    assert_eq!(deleted.emptied as usize, expected);
    assert!(
        listed(&engine, "del", BucketFilter::default())
            .await
            .is_empty()
    );
    let left = client.list_buckets().send().await.unwrap();
    assert!(left.buckets().iter().all(|b| b.name() != Some(bucket)));
}

#[tokio::test]
async fn delete_refuses_then_force_empties_on_the_built_in_endpoint() {
    let (_dir, server) = serve_local().await;
    delete_suite(&server.url(), false, true).await;
}

#[tokio::test]
async fn delete_refuses_then_force_empties_versions_and_uploads_on_moto() {
    let server = Moto::start();
    delete_suite(&server.endpoint, true, true).await;
}

#[tokio::test]
async fn delete_refuses_then_force_empties_on_s3s_fs() {
    let server = S3sFs::start().await;
    delete_suite(&server.endpoint, false, false).await;
}

#[tokio::test]
async fn a_bucket_that_vanished_since_the_refresh_is_reported_and_dropped() {
    let (_dir, server) = serve_local().await;
    create_all(&server.url(), &["ghost".to_string(), "stays".to_string()]).await;
    let (_home, engine) = engine_with("p", &server.url()).await;
    engine
        .bucket_refresh("p", 100, &engine.new_job())
        .await
        .unwrap();
    sdk_client(&server.url(), ACCESS_KEY, SECRET_KEY)
        .delete_bucket()
        .bucket("ghost")
        .send()
        .await
        .unwrap();
    let err = engine
        .bucket_delete("p", "ghost", true, &engine.new_job())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NoSuchBucket);
    assert!(err.message.contains("ghost"), "{}", err.message);
    assert!(err.hint.contains("refresh"), "{}", err.hint);
    assert_eq!(
        listed(&engine, "p", BucketFilter::default()).await,
        vec!["stays"]
    );
}

#[tokio::test]
async fn a_key_that_lost_list_buckets_keeps_the_old_list_and_says_why() {
    let server = Moto::start_with_iam(3);
    let (key, secret) = server.create_iam_user("archivist");
    server.allow_everything("archivist");
    create_all_with(&server.endpoint, &key, &secret, "kept-bucket").await;
    let (_home, engine) = engine();
    add_profile(&engine, "iam", &server.endpoint, &key, &secret).await;
    engine
        .bucket_refresh("iam", 100, &engine.new_job())
        .await
        .unwrap();

    server.revoke_everything("archivist", (&key, &secret));
    let err = engine
        .bucket_refresh("iam", 100, &engine.new_job())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::AccessDenied);
    assert_eq!(
        listed(&engine, "iam", BucketFilter::default()).await,
        vec!["kept-bucket"]
    );
}

async fn create_all_with(endpoint: &str, key: &str, secret: &str, name: &str) {
    sdk_client(endpoint, key, secret)
        .create_bucket()
        .bucket(name)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn create_checks_every_name_rule_before_any_request() {
    let (_home, engine) = engine();
    // Nothing listens here: a validation error proves no request was tried.
    add_profile(
        &engine,
        "p",
        &strata_testkit::dead_endpoint(),
        ACCESS_KEY,
        SECRET_KEY,
    )
    .await;
    for (name, rule) in [
        ("", "empty"),
        ("ab", "3 to 63"),
        (&"a".repeat(64), "3 to 63"),
        ("Photos", "lowercase"),
        ("fotos_2026", "lowercase"),
        ("bilder-köln", "lowercase"),
        ("-photos", "begin and end"),
        ("photos.", "begin and end"),
        ("a..b", "two periods"),
        ("a.-b", "period next to a hyphen"),
        ("10.0.0.1", "IP address"),
        ("xn--photos", "\"xn--\""),
        ("sthree-photos", "\"sthree-\""),
        ("photos-s3alias", "\"-s3alias\""),
        ("photos--ol-s3", "\"--ol-s3\""),
        ("../etc", "'/'"),
    ] {
        let err = engine.bucket_create("p", name, None).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput, "{name}");
        assert_eq!(err.field, Some("bucket"));
        assert!(err.message.contains(rule), "{name}: {}", err.message);
    }
    let err = engine
        .bucket_create("p", "good-name", Some("not a region".into()))
        .await
        .unwrap_err();
    assert_eq!(err.field, Some("region"));
    let err = engine
        .bucket_list("p", letter("ab"), 0, None)
        .await
        .unwrap_err();
    assert_eq!(err.field, Some("letter"));
}

#[tokio::test]
async fn create_makes_the_bucket_in_its_region_and_lists_it_at_once() {
    let (_dir, server) = serve_local().await;
    let (_home, engine) = engine_with("p", &server.url()).await;
    let made = engine
        .bucket_create("p", "archive-2026", Some("eu-central-1".into()))
        .await
        .unwrap();
    assert_eq!(made.region.as_deref(), Some("eu-central-1"));
    assert_eq!(
        listed(&engine, "p", BucketFilter::default()).await,
        vec!["archive-2026"]
    );
    let location = sdk_client(&server.url(), ACCESS_KEY, SECRET_KEY)
        .get_bucket_location()
        .bucket("archive-2026")
        .send()
        .await
        .unwrap();
    assert_eq!(
        location.location_constraint().map(|c| c.as_str()),
        Some("eu-central-1")
    );

    let again = engine
        .bucket_create("p", "archive-2026", None)
        .await
        .unwrap_err();
    assert_eq!(again.code, ErrorCode::AlreadyExists);
}

/// The app keeps a profile's list in memory for searching; a change made by another process
/// on the same data folder (the CLI) shows on its next search, and a change of its own too.
#[tokio::test]
async fn searches_see_changes_made_by_another_process_at_once() {
    let (_dir, server) = serve_local().await;
    create_all(&server.url(), &names(40)).await;
    let (home, app) = engine_with("p", &server.url()).await;
    app.bucket_refresh("p", 1000, &app.new_job()).await.unwrap();
    assert_eq!(
        listed(&app, "p", search("archive")).await,
        Vec::<String>::new()
    );

    let cli = Engine::open(DataDir::at(home.path()).unwrap()).unwrap();
    cli.bucket_create("p", "archive-2026", None).await.unwrap();
    assert_eq!(
        listed(&app, "p", search("ARCHIVE")).await,
        vec!["archive-2026"]
    );
    let index = app.bucket_index("p", search("archive")).await.unwrap();
    assert_eq!((index.total, index.letters[0].letter.as_str()), (1, "a"));

    cli.bucket_delete("p", "archive-2026", false, &cli.new_job())
        .await
        .unwrap();
    assert!(listed(&app, "p", search("archive")).await.is_empty());
    app.bucket_create("p", "archive-2027", None).await.unwrap();
    assert_eq!(
        listed(&app, "p", search("archive")).await,
        vec!["archive-2027"]
    );
    assert_eq!(
        listed(&cli, "p", search("archive")).await,
        vec!["archive-2027"]
    );
}

#[tokio::test]
async fn removing_a_profile_removes_its_buckets_from_the_catalog() {
    let (_dir, server) = serve_local().await;
    create_all(&server.url(), &names(40)).await;
    let (home, engine) = engine();
    add_profile(&engine, "gone", &server.url(), ACCESS_KEY, SECRET_KEY).await;
    add_profile(&engine, "kept", &server.url(), ACCESS_KEY, SECRET_KEY).await;
    engine
        .bucket_refresh("gone", 100, &engine.new_job())
        .await
        .unwrap();
    engine
        .bucket_refresh("kept", 100, &engine.new_job())
        .await
        .unwrap();
    // An edit that keeps the account keeps the list.
    engine
        .profile_edit("kept", ProfilePatch::default())
        .await
        .unwrap();
    engine.profile_remove("gone").await.unwrap();

    let catalog =
        rusqlite::Connection::open(DataDir::at(home.path()).unwrap().catalog_path()).unwrap();
    let rows: Vec<(String, u32)> = catalog
        .prepare("SELECT p.name, count(*) FROM buckets b JOIN profiles p ON p.id = b.profile_id GROUP BY p.name")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows, vec![("kept".to_string(), 40)]);
    let orphans: u32 = catalog
        .query_row(
            "SELECT count(*) FROM buckets WHERE profile_id NOT IN (SELECT id FROM profiles)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0);
}

#[tokio::test]
async fn pointing_a_profile_at_another_server_forgets_its_list() {
    let (_dir, server) = serve_local().await;
    create_all(&server.url(), &names(5)).await;
    let (_home, engine) = engine_with("moving", &server.url()).await;
    engine
        .bucket_refresh("moving", 100, &engine.new_job())
        .await
        .unwrap();
    let other = S3sFs::start().await;
    engine
        .profile_edit(
            "moving",
            ProfilePatch {
                endpoint: Some(other.endpoint.clone()),
                ..ProfilePatch::default()
            },
        )
        .await
        .unwrap();
    let index = engine
        .bucket_index("moving", BucketFilter::default())
        .await
        .unwrap();
    assert_eq!((index.total, index.refreshed_at), (0, None));
}
