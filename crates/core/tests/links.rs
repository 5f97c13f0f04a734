//! Transfers on a real link's terms: the built-in endpoint behind a shaped TCP link on
//! 127.0.0.1 (a shared bandwidth per direction, a one-way delay, a connection that stops
//! moving mid-body). Each transfer below needs more than 30 s per request body, which is
//! longer than any metadata call may take; each must still land byte for byte.

use std::time::Duration;

mod common;

use common::{MIB, ends, pattern, serve_local};
use strata_core::jobs::{JobState, UploadOptions};
use strata_core::remote::RemotePath;
use strata_core::{Engine, ErrorCode};
use strata_testkit::{ACCESS_KEY, LinkShape, SECRET_KEY, ShapedLink, create_buckets, sdk_client};

const KIB: u64 = 1024;

/// An uplink of `up` bytes a second with a 20 ms one-way delay, fast the other way.
fn uplink(up: u64) -> LinkShape {
    LinkShape {
        up,
        down: 0,
        one_way: Duration::from_millis(20),
    }
}

async fn object(endpoint: &str, bucket: &str, key: &str) -> Vec<u8> {
    let got = sdk_client(endpoint, ACCESS_KEY, SECRET_KEY)
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get {key}: {e:?}"));
    got.body.collect().await.unwrap().to_vec()
}

async fn open_uploads(endpoint: &str, bucket: &str) -> usize {
    sdk_client(endpoint, ACCESS_KEY, SECRET_KEY)
        .list_multipart_uploads()
        .bucket(bucket)
        .send()
        .await
        .unwrap()
        .uploads()
        .len()
}

/// Uploads `bytes` as `key` into bucket `inbox` through `engine` and returns how the job ended.
async fn upload(
    engine: &Engine,
    key: &str,
    bytes: &[u8],
    options: UploadOptions,
) -> (JobState, Option<strata_core::Error>) {
    let local = tempfile::tempdir().unwrap();
    let file = local.path().join(key);
    std::fs::write(&file, bytes).unwrap();
    let mut events = engine.events();
    let ids = engine
        .upload_start(&[file], &RemotePath::parse("p:inbox").unwrap(), options)
        .await
        .unwrap();
    ends(&mut events, &ids).await.remove(&ids[0]).unwrap()
}

#[tokio::test]
async fn uploads_in_parts_and_whole_finish_where_each_body_takes_over_30_s() {
    let (_dir, server) = serve_local().await;
    create_buckets(&server.url(), ACCESS_KEY, SECRET_KEY, &["inbox"]).await;
    // Four 5 MiB parts share 480 KiB/s (43 s each); the 16 MiB single PUT has a link of its
    // own at the same pace (34 s).
    let (parts_link, whole_link) = (
        ShapedLink::start(&server.url(), uplink(480 * KIB)).await,
        ShapedLink::start(&server.url(), uplink(480 * KIB)).await,
    );
    let (_a, in_parts) = common::engine_for(&parts_link.endpoint).await;
    let (_b, whole) = common::engine_for(&whole_link.endpoint).await;
    let (raw, video) = (pattern(20 * MIB, 1), pattern(16 * MIB, 2));
    let options = UploadOptions {
        part_size_mib: Some(5),
        ..UploadOptions::default()
    };
    let (parted, single) = tokio::join!(
        upload(&in_parts, "shoot.raw", &raw, options),
        upload(&whole, "clip.mov", &video, UploadOptions::default()),
    );
    assert_eq!(parted.0, JobState::Done, "{:?}", parted.1);
    assert_eq!(single.0, JobState::Done, "{:?}", single.1);
    assert!(object(&server.url(), "inbox", "shoot.raw").await == raw);
    assert!(object(&server.url(), "inbox", "clip.mov").await == video);
    assert_eq!(open_uploads(&server.url(), "inbox").await, 0);
}

#[tokio::test]
async fn a_download_finishes_where_each_range_takes_over_30_s() {
    let (_dir, server) = serve_local().await;
    create_buckets(&server.url(), ACCESS_KEY, SECRET_KEY, &["inbox"]).await;
    let bytes = pattern(24 * MIB, 3);
    sdk_client(&server.url(), ACCESS_KEY, SECRET_KEY)
        .put_object()
        .bucket("inbox")
        .key("delivery.zip")
        .body(bytes.clone().into())
        .send()
        .await
        .unwrap();
    let link = ShapedLink::start(
        &server.url(),
        LinkShape {
            up: 0,
            down: 640 * KIB,
            one_way: Duration::from_millis(20),
        },
    )
    .await;
    let (_home, engine) = common::engine_for(&link.endpoint).await;
    let into = tempfile::tempdir().unwrap();
    let mut events = engine.events();
    let started = engine
        .download_start(
            &[RemotePath::parse("p:inbox/delivery.zip").unwrap()],
            into.path(),
        )
        .await
        .unwrap();
    let (state, error) = ends(&mut events, &started.jobs)
        .await
        .remove(&started.jobs[0])
        .unwrap();
    assert_eq!(state, JobState::Done, "{error:?}");
    assert!(std::fs::read(into.path().join("delivery.zip")).unwrap() == bytes);
}

#[tokio::test]
async fn a_streamed_copy_between_profiles_finishes_on_a_slow_uplink() {
    let (_source_dir, source) = serve_local().await;
    let (_target_dir, target) = serve_local().await;
    create_buckets(&source.url(), ACCESS_KEY, SECRET_KEY, &["hot"]).await;
    create_buckets(&target.url(), ACCESS_KEY, SECRET_KEY, &["cold"]).await;
    // Over the 16 MiB a streamed copy sends whole: two parts sharing the link.
    let bytes = pattern(20 * MIB, 4);
    sdk_client(&source.url(), ACCESS_KEY, SECRET_KEY)
        .put_object()
        .bucket("hot")
        .key("proj/a.raw")
        .body(bytes.clone().into())
        .send()
        .await
        .unwrap();
    let link = ShapedLink::start(&target.url(), uplink(400 * KIB)).await;
    let (_home, engine) = common::engine_for(&source.url()).await;
    engine
        .profile_add(common::input("far", &link.endpoint, ACCESS_KEY, SECRET_KEY))
        .await
        .unwrap();
    let report = engine
        .objects_copy(
            &RemotePath::parse("p:hot/proj/a.raw").unwrap(),
            &RemotePath::parse("far:cold/").unwrap(),
            false,
            &engine.new_job(),
        )
        .await
        .unwrap();
    assert_eq!(report.objects, 1);
    assert!(object(&target.url(), "cold", "a.raw").await == bytes);
    assert_eq!(open_uploads(&target.url(), "cold").await, 0);
}

#[tokio::test]
async fn a_connection_that_stops_moving_mid_body_is_dropped_and_the_upload_sent_again() {
    let (_dir, server) = serve_local().await;
    create_buckets(&server.url(), ACCESS_KEY, SECRET_KEY, &["inbox"]).await;
    let link = ShapedLink::start(&server.url(), uplink(8 * MIB as u64)).await;
    link.stall_once_after(2 * MIB as u64);
    let (_home, engine) = common::engine_for(&link.endpoint).await;
    let bytes = pattern(12 * MIB, 5);
    let (state, error) = upload(&engine, "burst.raw", &bytes, UploadOptions::default()).await;
    assert_eq!(state, JobState::Done, "{error:?}");
    assert_eq!(link.stalls(), 1, "one connection stopped moving");
    assert!(
        link.connections() >= 2,
        "the body went again on a new connection"
    );
    assert!(object(&server.url(), "inbox", "burst.raw").await == bytes);
}

#[tokio::test]
async fn a_link_that_never_moves_fails_the_upload_in_words_and_it_resumes_later() {
    let (_dir, server) = serve_local().await;
    create_buckets(&server.url(), ACCESS_KEY, SECRET_KEY, &["inbox"]).await;
    let link = ShapedLink::start(&server.url(), uplink(0)).await;
    let (_home, engine) = common::engine_for(&link.endpoint).await;
    let bytes = pattern(3 * MIB, 6);
    let local = tempfile::tempdir().unwrap();
    let file = local.path().join("card.raw");
    std::fs::write(&file, &bytes).unwrap();
    let mut events = engine.events();
    let ids = engine
        .upload_start(
            std::slice::from_ref(&file),
            &RemotePath::parse("p:inbox").unwrap(),
            UploadOptions::default(),
        )
        .await
        .unwrap();
    // Every connection stops after its first megabyte, the sends again included.
    link.stall_each_after(MIB as u64);
    let ended = ends(&mut events, &ids).await;
    let (state, error) = ended[&ids[0]].clone();
    assert_eq!(state, JobState::Failed);
    let error = error.unwrap();
    assert_eq!(error.code, ErrorCode::EndpointUnreachable);
    assert!(
        error.message.contains("stopped moving"),
        "{}",
        error.message
    );
    assert!(error.retryable(), "a resume can help once the link is back");

    link.stop_stalling();
    let mut events = engine.events();
    engine.job_resume(ids[0]).await.unwrap();
    let (state, error) = ends(&mut events, &ids).await.remove(&ids[0]).unwrap();
    assert_eq!(state, JobState::Done, "{error:?}");
    assert!(object(&server.url(), "inbox", "card.raw").await == bytes);
}

#[tokio::test]
async fn a_sync_run_finishes_on_a_slow_uplink() {
    let (_dir, server) = serve_local().await;
    create_buckets(&server.url(), ACCESS_KEY, SECRET_KEY, &["inbox"]).await;
    // The 8 MiB first part of the big file alone takes 34 s at 240 KiB/s.
    let link = ShapedLink::start(&server.url(), uplink(240 * KIB)).await;
    let (_home, engine) = common::engine_for(&link.endpoint).await;
    common::settle_at_once(&engine).await;
    let folder = tempfile::tempdir().unwrap();
    std::fs::create_dir(folder.path().join("shoot")).unwrap();
    let files = [
        ("shoot/big.raw", pattern(9 * MIB, 7)),
        ("shoot/a.jpg", pattern(3000, 8)),
        ("notes.txt", b"notes".to_vec()),
    ];
    for (name, bytes) in &files {
        std::fs::write(folder.path().join(name), bytes).unwrap();
    }
    let pair = engine
        .sync_add(strata_core::sync::SyncPairInput {
            local: folder.path().display().to_string(),
            remote: "p:inbox/pair/".into(),
            mirror_deletes: false,
            ignore: None,
        })
        .await
        .unwrap()
        .id;
    let mut events = engine.events();
    let job = engine.sync_start(pair, false).await.unwrap();
    let (state, error) = ends(&mut events, &[job]).await.remove(&job).unwrap();
    assert_eq!(state, JobState::Done, "{error:?}");
    for (name, bytes) in &files {
        let key = format!("pair/{name}");
        assert!(
            object(&server.url(), "inbox", &key).await == *bytes,
            "{key}"
        );
    }
    assert_eq!(engine.sync_get(pair).await.unwrap().status, "idle");
    assert_eq!(open_uploads(&server.url(), "inbox").await, 0);
}

#[tokio::test]
async fn an_archive_to_a_far_bucket_finishes_on_a_slow_uplink() {
    let (_hot_dir, hot) = serve_local().await;
    let (_cold_dir, cold) = serve_local().await;
    create_buckets(&hot.url(), ACCESS_KEY, SECRET_KEY, &["hot"]).await;
    create_buckets(&cold.url(), ACCESS_KEY, SECRET_KEY, &["cold"]).await;
    // Streamed to the far bucket in parts of 16 MiB: 41 s each at 400 KiB/s.
    let files = [
        ("proj/take.mov", pattern(17 * MIB, 9)),
        ("proj/still.jpg", pattern(5000, 10)),
    ];
    let client = sdk_client(&hot.url(), ACCESS_KEY, SECRET_KEY);
    for (key, bytes) in &files {
        client
            .put_object()
            .bucket("hot")
            .key(*key)
            .body(bytes.clone().into())
            .send()
            .await
            .unwrap();
    }
    let link = ShapedLink::start(&cold.url(), uplink(400 * KIB)).await;
    let (_home, engine) = common::engine_for(&hot.url()).await;
    engine
        .profile_add(common::input("far", &link.endpoint, ACCESS_KEY, SECRET_KEY))
        .await
        .unwrap();
    let mut events = engine.events();
    let started = engine
        .archive_start(
            &RemotePath::parse("p:hot/proj/").unwrap(),
            &strata_core::archive::ArchiveTarget {
                to: Some("far:cold/".into()),
                class: None,
            },
        )
        .await
        .unwrap();
    let (state, error) = ends(&mut events, &[started.job])
        .await
        .remove(&started.job)
        .unwrap();
    assert_eq!(state, JobState::Done, "{error:?}");
    for (key, bytes) in &files {
        assert!(
            object(&cold.url(), "cold", &format!("hot/{key}")).await == *bytes,
            "{key}"
        );
    }
    let left = client.list_objects_v2().bucket("hot").send().await.unwrap();
    assert_eq!(left.key_count(), Some(0), "the sources went once verified");
    assert_eq!(open_uploads(&cold.url(), "cold").await, 0);
}
