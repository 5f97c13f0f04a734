//! Uploads as jobs against real parts: the built-in endpoint, moto and s3s-fs on 127.0.0.1,
//! real files, a real SQLite catalog; a proxy that slows parts down where a test stops an
//! upload half-way (an engine dropped with its runtime, as a killed process would be).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

mod common;

use common::{MIB, WITHIN, ends, pattern, serve_local, then_die, until_bytes};
use strata_core::jobs::{JobId, JobState, UploadOptions};
use strata_core::remote::RemotePath;
use strata_core::{DataDir, Engine, ErrorCode};
use strata_testkit::{
    ACCESS_KEY, Fault, FaultProxy, Moto, S3sFs, SECRET_KEY, create_kms_bucket, sdk_client,
};

/// An engine with profile `p` for `endpoint`, which has a bucket `uploads`.
async fn engine_for(endpoint: &str) -> (tempfile::TempDir, Engine) {
    let (home, engine) = common::engine_for(endpoint).await;
    sdk_client(endpoint, ACCESS_KEY, SECRET_KEY)
        .create_bucket()
        .bucket("uploads")
        .send()
        .await
        .unwrap();
    (home, engine)
}

async fn object(endpoint: &str, key: &str) -> (Vec<u8>, Option<String>, Option<String>) {
    let got = sdk_client(endpoint, ACCESS_KEY, SECRET_KEY)
        .get_object()
        .bucket("uploads")
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get {key}: {e:?}"));
    let (etag, kind) = (
        got.e_tag().map(str::to_string),
        got.content_type().map(str::to_string),
    );
    (got.body.collect().await.unwrap().to_vec(), etag, kind)
}

/// Multipart uploads left open in the bucket; `None` where the server cannot list them
/// (s3s-fs 0.14 answers NotImplemented).
async fn open_uploads(endpoint: &str) -> Option<usize> {
    use aws_sdk_s3::error::ProvideErrorMetadata;
    match sdk_client(endpoint, ACCESS_KEY, SECRET_KEY)
        .list_multipart_uploads()
        .bucket("uploads")
        .send()
        .await
    {
        Ok(listed) => Some(listed.uploads().len()),
        Err(err) if err.code() == Some("NotImplemented") => None,
        Err(err) => panic!("list uploads: {err:?}"),
    }
}

/// `verified`: what the activity log says of how each upload was checked on this server.
async fn uploads_land_whole(endpoint: &str, verified: &str) {
    let (_home, engine) = engine_for(endpoint).await;
    let local = tempfile::tempdir().unwrap();
    let shoot = local.path().join("Hochzeit Müller");
    std::fs::create_dir_all(shoot.join("raw")).unwrap();
    let files: BTreeMap<&str, Vec<u8>> = [
        ("empty.txt", Vec::new()),
        ("cover.jpg", pattern(3000, 1)),
        ("raw/IMG_0001.CR3", pattern(20 * MIB + 5, 2)),
        // At the edges: the largest single request, and exactly three parts.
        ("raw/at-threshold.tif", pattern(16 * MIB, 6)),
        ("raw/three-parts.CR3", pattern(24 * MIB, 7)),
    ]
    .into();
    for (name, bytes) in &files {
        std::fs::write(shoot.join(name), bytes).unwrap();
    }
    let mut events = engine.events();
    let metadata = vec![
        ("photographer".to_string(), "Ana Ruiz".to_string()),
        ("location".to_string(), "Zürich".to_string()),
    ];
    let options = UploadOptions {
        metadata: metadata.clone(),
        ..UploadOptions::default()
    };
    let ids = engine
        .upload_start(
            std::slice::from_ref(&shoot),
            &RemotePath::parse("p:uploads/clients/").unwrap(),
            options,
        )
        .await
        .unwrap();
    assert_eq!(ids.len(), files.len(), "one job per file");
    for (id, (state, error)) in ends(&mut events, &ids).await {
        assert_eq!(state, JobState::Done, "job {id}: {error:?}");
    }
    for (name, bytes) in &files {
        let key = format!("clients/Hochzeit Müller/{name}");
        let (got, etag, kind) = object(endpoint, &key).await;
        assert!(got == *bytes, "{key} arrived whole");
        if name.ends_with(".CR3") {
            assert!(
                etag.as_deref().unwrap().trim_matches('"').ends_with("-3"),
                "three parts of 8 MiB"
            );
            assert_eq!(kind.as_deref(), Some("image/x-canon-cr3"));
        }
        if name.ends_with(".tif") {
            assert!(
                !etag.as_deref().unwrap().contains('-'),
                "16 MiB goes up in one request"
            );
        }
        if name.ends_with(".jpg") {
            assert_eq!(kind.as_deref(), Some("image/jpeg"));
        }
        // In one request or in parts, every object carries the metadata, unicode too.
        let mut kept = engine
            .object_head("p", "uploads", &key)
            .await
            .unwrap()
            .metadata;
        kept.sort();
        let mut wanted = metadata.clone();
        wanted.sort();
        assert_eq!(kept, wanted, "{key}");
    }
    let open = open_uploads(endpoint).await;
    assert!(open.is_none_or(|n| n == 0), "no upload left open: {open:?}");
    let jobs = engine.job_list(10).await.unwrap();
    assert!(jobs.iter().all(|j| j.state == JobState::Done));
    assert!(
        jobs.iter().all(|j| j.total == Some(j.bytes)),
        "each job knows its size"
    );
    assert_eq!(
        jobs.iter().map(|j| j.bytes).sum::<u64>(),
        files.values().map(|b| b.len() as u64).sum::<u64>()
    );
    let logged = engine.activity_list(None).await.unwrap();
    assert_eq!(logged.len(), files.len(), "{logged:?}");
    for entry in logged {
        assert_eq!(
            (entry.action.as_str(), entry.outcome.as_str()),
            ("upload", "done")
        );
        assert_eq!(entry.detail.as_deref(), Some(verified), "{}", entry.source);
    }
}

#[tokio::test]
async fn uploads_land_whole_on_the_built_in_endpoint() {
    let (_dir, server) = serve_local().await;
    // Its whole-object CRC64NVME, also of multipart objects, matches the one combined here.
    uploads_land_whole(&server.url(), "verified: CRC64NVME matches").await;
}

#[tokio::test]
async fn uploads_land_whole_on_moto() {
    let moto = Moto::start();
    uploads_land_whole(&moto.endpoint, "verified: ETag (MD5) matches").await;
}

/// On S3, the ETag of an object encrypted with KMS is not its MD5: such uploads are checked by
/// a checksum where the server gives one, else by their length, and never called altered.
#[tokio::test]
async fn uploads_to_a_kms_encrypted_bucket_land_whole() {
    let moto = Moto::start_sse_kms();
    create_kms_bucket(&moto.endpoint, "uploads").await;
    let length_only = "length checked; the server gives no checksum to verify";
    uploads_land_whole(&moto.endpoint, length_only).await;
}

#[tokio::test]
async fn uploads_land_whole_on_s3s_fs() {
    let s3s = S3sFs::start().await;
    uploads_land_whole(&s3s.endpoint, "verified: ETag (MD5) matches").await;
}

/// 5,000 small files as one folder: one job and one request each, several at once.
async fn many_small_files_land(endpoint: &str) {
    const COUNT: usize = 5_000;
    let (_home, engine) = engine_for(endpoint).await;
    let local = tempfile::tempdir().unwrap();
    let folder = local.path().join("card");
    std::fs::create_dir(&folder).unwrap();
    for i in 0..COUNT {
        std::fs::write(
            folder.join(format!("IMG_{i:04}.JPG")),
            pattern(1024 + i, i as u8),
        )
        .unwrap();
    }
    let ids = engine
        .upload_start(
            &[folder],
            &RemotePath::parse("p:uploads/").unwrap(),
            UploadOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(ids.len(), COUNT);
    // The event stream drops the oldest events for a slow receiver: the catalog is the truth.
    let jobs = tokio::time::timeout(WITHIN * 2, async {
        loop {
            let jobs = engine.job_list(COUNT as u32).await.unwrap();
            if jobs
                .iter()
                .all(|j| !matches!(j.state, JobState::Queued | JobState::Running))
            {
                return jobs;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    })
    .await
    .unwrap();
    assert!(jobs.iter().all(|j| j.state == JobState::Done));
    let listed = engine
        .object_list("p", "uploads", "card/", true, None, None)
        .await
        .unwrap();
    let mut keys = listed.entries.len();
    let mut next = listed.next;
    while let Some(token) = next {
        let page = engine
            .object_list("p", "uploads", "card/", true, Some(token), None)
            .await
            .unwrap();
        keys += page.entries.len();
        next = page.next;
    }
    assert_eq!(keys, COUNT, "every file is an object");
    let (got, _, _) = object(endpoint, "card/IMG_4321.JPG").await;
    assert!(got == pattern(1024 + 4321, (4321 % 256) as u8));
}

#[tokio::test]
async fn many_small_files_land_on_the_built_in_endpoint() {
    let (_dir, server) = serve_local().await;
    many_small_files_land(&server.url()).await;
}

/// Uploads `source` into `p:uploads/` and waits until every job ended, none failed; returns
/// the most jobs that ran at once.
async fn most_at_once(engine: &Engine, source: &Path, options: UploadOptions) -> usize {
    let mut events = engine.events();
    let ids = engine
        .upload_start(
            &[source.to_path_buf()],
            &RemotePath::parse("p:uploads/").unwrap(),
            options,
        )
        .await
        .unwrap();
    let seen = common::states_until_ended(&mut events, &ids).await;
    assert!(seen.iter().all(|(_, state)| *state != JobState::Failed));
    common::most_running(&seen)
}

/// Small files go up sixteen at once by default, and exactly as many as `strata put --jobs N`
/// asks for. A proxy holds every request 300 ms, so each upload overlaps the others.
#[tokio::test]
async fn small_files_go_up_sixteen_at_once_or_as_many_as_asked() {
    let (_dir, server) = serve_local().await;
    let proxy = FaultProxy::start(&server.url(), |_, _| Fault::DelayMs(300)).await;
    let (_home, engine) = engine_for(&proxy.endpoint).await;
    let local = tempfile::tempdir().unwrap();
    for (folder, count) in [("many", 40), ("asked", 10)] {
        let dir = local.path().join(folder);
        std::fs::create_dir(&dir).unwrap();
        for i in 0..count {
            std::fs::write(dir.join(format!("{i}.txt")), pattern(1000 + i, 7)).unwrap();
        }
    }
    let mut most = Vec::new();
    for (folder, asked) in [("many", None), ("asked", Some(3))] {
        if let Some(jobs) = asked {
            engine.set_job_limit("upload", jobs);
        }
        let source = local.path().join(folder);
        most.push(most_at_once(&engine, &source, UploadOptions::default()).await);
    }
    assert_eq!(most, [16, 3]);
    let (got, _, _) = object(&server.url(), "many/39.txt").await;
    assert!(got == pattern(1039, 7));
}

/// The app's transfer settings: how many files at once, the part size and the parts in
/// flight, kept in the catalog; what an upload asks for itself still wins.
#[tokio::test]
async fn transfer_settings_set_files_at_once_and_part_sizes_unless_an_upload_asks_otherwise() {
    use strata_core::transfer::TransferSettings;
    let (_dir, server) = serve_local().await;
    let (proxy, forwarded) = counting_proxy(&server.url()).await;
    let (_home, engine) = engine_for(&proxy.endpoint).await;
    let local = tempfile::tempdir().unwrap();
    let big = local.path().join("big.mov");
    std::fs::write(&big, pattern(20 * MIB + 5, 9)).unwrap();
    let small = local.path().join("small");
    std::fs::create_dir(&small).unwrap();
    for i in 0..12 {
        std::fs::write(small.join(format!("{i}.txt")), pattern(1000 + i, 3)).unwrap();
    }
    let settings = TransferSettings {
        at_once: Some(3),
        part_size_mib: Some(6),
        parts_in_flight: Some(2),
    };
    engine.transfer_settings_set(settings).await.unwrap();
    assert_eq!(engine.transfer_settings().await.unwrap(), settings);
    let parts = || {
        forwarded
            .lock()
            .unwrap()
            .keys()
            .copied()
            .collect::<Vec<_>>()
    };
    // 20 MiB in parts of 6 MiB: four parts, two of them held by the proxy at a time.
    most_at_once(&engine, &big, UploadOptions::default()).await;
    assert_eq!(parts(), [1, 2, 3, 4]);
    forwarded.lock().unwrap().clear();
    let asked = UploadOptions {
        part_size_mib: Some(5),
        ..UploadOptions::default()
    };
    most_at_once(&engine, &big, asked).await;
    assert_eq!(parts(), [1, 2, 3, 4, 5], "parts of 5 MiB, as asked");
    // Small files: three at once, as set; then Strata's choice (16) again.
    let proxy_holds_all = FaultProxy::start(&server.url(), |_, _| Fault::DelayMs(300)).await;
    let (_home, engine) = common::engine_for(&proxy_holds_all.endpoint).await;
    engine.transfer_settings_set(settings).await.unwrap();
    assert_eq!(
        most_at_once(&engine, &small, UploadOptions::default()).await,
        3
    );
    engine
        .transfer_settings_set(TransferSettings::default())
        .await
        .unwrap();
    assert_eq!(
        most_at_once(&engine, &small, UploadOptions::default()).await,
        12
    );
    // Out of range: refused with the field at fault, the saved settings kept.
    for (wrong, field) in [
        (
            TransferSettings {
                at_once: Some(0),
                ..settings
            },
            "at_once",
        ),
        (
            TransferSettings {
                part_size_mib: Some(4),
                ..settings
            },
            "part_size",
        ),
    ] {
        let refused = engine.transfer_settings_set(wrong).await.unwrap_err();
        assert_eq!(
            (refused.code, refused.field),
            (ErrorCode::InvalidInput, Some(field))
        );
    }
    assert_eq!(
        engine.transfer_settings().await.unwrap(),
        TransferSettings::default()
    );
}

#[tokio::test]
async fn many_small_files_land_on_moto() {
    let moto = Moto::start();
    many_small_files_land(&moto.endpoint).await;
}

#[tokio::test]
async fn many_small_files_land_on_s3s_fs() {
    let s3s = S3sFs::start().await;
    many_small_files_land(&s3s.endpoint).await;
}

/// Part PUTs forwarded by the proxy, by part number.
type Forwarded = Arc<Mutex<BTreeMap<u32, u32>>>;

/// A proxy that holds each part for 300 ms and counts the parts it forwards.
async fn counting_proxy(upstream: &str) -> (FaultProxy, Forwarded) {
    let forwarded: Forwarded = Arc::default();
    let seen = Arc::clone(&forwarded);
    let proxy = FaultProxy::start(upstream, move |head, _| {
        let part = head.uri.query().and_then(|q| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix("partNumber="))
                .and_then(|n| n.parse::<u32>().ok())
        });
        match part {
            Some(number) if head.method == "PUT" => {
                *seen.lock().unwrap().entry(number).or_default() += 1;
                Fault::DelayMs(300)
            }
            _ => Fault::Forward,
        }
    })
    .await;
    (proxy, forwarded)
}

/// Starts uploading `file` in an engine on a runtime of its own and drops both once at
/// least two parts were acknowledged: the job's row says running, parts are recorded.
async fn crash_mid_upload(home: &Path, file: &Path) -> JobId {
    let file = file.to_path_buf();
    then_die(home, |dying| async move {
        let mut events = dying.events();
        let ids = dying
            .upload_start(
                &[file],
                &RemotePath::parse("p:uploads/").unwrap(),
                UploadOptions::default(),
            )
            .await
            .unwrap();
        until_bytes(&mut events, ids[0], 16 * MIB as u64).await;
        ids[0]
    })
    .await
}

/// The part numbers the catalog recorded for `job`.
fn recorded_parts(home: &Path, job: JobId) -> BTreeSet<u32> {
    let catalog = rusqlite::Connection::open(DataDir::at(home).unwrap().catalog_path()).unwrap();
    let mut stmt = catalog
        .prepare("SELECT part_number FROM transfer_parts WHERE job_id = ?1")
        .unwrap();
    stmt.query_map([job], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

struct Stopped {
    _proxy: FaultProxy,
    forwarded: Forwarded,
    home: tempfile::TempDir,
    _local: tempfile::TempDir,
    file: PathBuf,
    job: JobId,
}

/// A 40 MiB file (six parts of 8 MiB) whose upload to `upstream` was stopped half-way by a
/// crash.
async fn stopped_upload(upstream: &str) -> Stopped {
    let (proxy, forwarded) = counting_proxy(upstream).await;
    let (home, first) = engine_for(&proxy.endpoint).await;
    drop(first);
    let local = tempfile::tempdir().unwrap();
    let file = local.path().join("wedding.mov");
    std::fs::write(&file, pattern(40 * MIB + 123, 3)).unwrap();
    let job = crash_mid_upload(home.path(), &file).await;
    Stopped {
        _proxy: proxy,
        forwarded,
        home,
        _local: local,
        file,
        job,
    }
}

async fn resume(home: &Path, job: JobId) -> (JobState, Option<strata_core::Error>) {
    let next = Engine::open(DataDir::at(home).unwrap()).unwrap();
    let mut events = next.events();
    assert_eq!(next.jobs_resume_unfinished().await.unwrap(), vec![job]);
    ends(&mut events, &[job]).await.remove(&job).unwrap()
}

#[tokio::test]
async fn a_crashed_upload_resumes_and_never_sends_an_acknowledged_part_again() {
    let (_dir, server) = serve_local().await;
    let stopped = stopped_upload(&server.url()).await;
    let recorded = recorded_parts(stopped.home.path(), stopped.job);
    assert!(
        recorded.len() >= 2 && recorded.len() < 6,
        "stopped half-way: {recorded:?}"
    );
    let (state, error) = resume(stopped.home.path(), stopped.job).await;
    assert_eq!(state, JobState::Done, "{error:?}");
    let (got, etag, _) = object(&server.url(), "wedding.mov").await;
    assert!(
        got == std::fs::read(&stopped.file).unwrap(),
        "arrived whole"
    );
    assert!(etag.unwrap().trim_matches('"').ends_with("-6"));
    let forwarded = stopped.forwarded.lock().unwrap().clone();
    for number in &recorded {
        assert_eq!(
            forwarded[number], 1,
            "part {number} was sent once: {forwarded:?}"
        );
    }
    assert_eq!(open_uploads(&server.url()).await, Some(0));
    // The parts sent before the crash kept their CRCs: the whole object is still checked.
    let engine = Engine::open(DataDir::at(stopped.home.path()).unwrap()).unwrap();
    let logged = engine.activity_list(None).await.unwrap();
    assert_eq!(
        logged
            .iter()
            .map(|a| a.detail.as_deref())
            .collect::<Vec<_>>(),
        vec![Some("verified: CRC64NVME matches")]
    );
}

#[tokio::test]
async fn a_source_changed_since_the_crash_is_uploaded_again_and_the_stale_upload_aborted() {
    let (_dir, server) = serve_local().await;
    let stopped = stopped_upload(&server.url()).await;
    let edited = pattern(30 * MIB, 9);
    std::fs::write(&stopped.file, &edited).unwrap();
    let (state, error) = resume(stopped.home.path(), stopped.job).await;
    assert_eq!(state, JobState::Done, "{error:?}");
    let (got, etag, _) = object(&server.url(), "wedding.mov").await;
    assert!(got == edited, "the file as it is now");
    assert!(etag.unwrap().trim_matches('"').ends_with("-4"));
    assert_eq!(
        open_uploads(&server.url()).await,
        Some(0),
        "the stale upload is gone"
    );
}

#[tokio::test]
async fn an_upload_the_server_forgot_starts_over() {
    let (_dir, server) = serve_local().await;
    let stopped = stopped_upload(&server.url()).await;
    let client = sdk_client(&server.url(), ACCESS_KEY, SECRET_KEY);
    let listed = client
        .list_multipart_uploads()
        .bucket("uploads")
        .send()
        .await
        .unwrap();
    for upload in listed.uploads() {
        client
            .abort_multipart_upload()
            .bucket("uploads")
            .key(upload.key().unwrap())
            .upload_id(upload.upload_id().unwrap())
            .send()
            .await
            .unwrap();
    }
    let (state, error) = resume(stopped.home.path(), stopped.job).await;
    assert_eq!(state, JobState::Done, "{error:?}");
    let (got, _, _) = object(&server.url(), "wedding.mov").await;
    assert!(got == std::fs::read(&stopped.file).unwrap());
}

/// Starts uploading `file` into bucket `uploads`; returns the events, subscribed before the
/// start, and the upload's job.
async fn start_upload(
    engine: &Engine,
    file: &Path,
    options: UploadOptions,
) -> (
    tokio::sync::broadcast::Receiver<strata_core::jobs::Event>,
    Vec<JobId>,
) {
    let events = engine.events();
    let ids = engine
        .upload_start(
            &[file.to_path_buf()],
            &RemotePath::parse("p:uploads").unwrap(),
            options,
        )
        .await
        .unwrap();
    (events, ids)
}

#[tokio::test]
async fn a_cancelled_upload_leaves_no_parts_behind_and_a_missing_file_is_a_clear_failure() {
    let (_dir, server) = serve_local().await;
    let (proxy, _) = counting_proxy(&server.url()).await;
    let (_home, engine) = engine_for(&proxy.endpoint).await;
    let local = tempfile::tempdir().unwrap();
    let file = local.path().join("big.bin");
    std::fs::write(&file, pattern(40 * MIB, 5)).unwrap();
    let (mut events, ids) = start_upload(&engine, &file, UploadOptions::default()).await;
    until_bytes(&mut events, ids[0], 1).await;
    engine.job_cancel(ids[0]).await.unwrap();
    let (state, _) = ends(&mut events, &ids).await.remove(&ids[0]).unwrap();
    assert_eq!(state, JobState::Cancelled);
    assert_eq!(open_uploads(&server.url()).await, Some(0));

    std::fs::remove_file(&file).unwrap();
    engine.job_resume(ids[0]).await.unwrap();
    let (state, error) = ends(&mut events, &ids).await.remove(&ids[0]).unwrap();
    assert_eq!(state, JobState::Failed);
    let error = error.unwrap();
    assert_eq!(error.code, ErrorCode::Io);
    assert!(error.message.contains("big.bin"), "{}", error.message);

    let missing = engine
        .upload_start(
            &[local.path().join("nope")],
            &RemotePath::parse("p:uploads").unwrap(),
            UploadOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(missing.code, ErrorCode::Io);
}

/// A paused upload cancelled later (no process runs it then) still leaves no parts behind.
#[tokio::test]
async fn a_paused_upload_cancelled_later_aborts_its_parts() {
    let (_dir, server) = serve_local().await;
    let (proxy, _) = counting_proxy(&server.url()).await;
    let (_home, engine) = engine_for(&proxy.endpoint).await;
    let local = tempfile::tempdir().unwrap();
    let file = local.path().join("paused.mov");
    std::fs::write(&file, pattern(40 * MIB, 8)).unwrap();
    let (mut events, ids) = start_upload(&engine, &file, UploadOptions::default()).await;
    until_bytes(&mut events, ids[0], 8 * MIB as u64).await;
    engine.job_pause(ids[0]).await.unwrap();
    let (state, _) = ends(&mut events, &ids).await.remove(&ids[0]).unwrap();
    assert_eq!(state, JobState::Paused);
    assert_eq!(
        open_uploads(&server.url()).await,
        Some(1),
        "kept for a resume"
    );
    engine.job_cancel(ids[0]).await.unwrap();
    assert_eq!(
        engine.job_get(ids[0]).await.unwrap().state,
        JobState::Cancelled
    );
    assert_eq!(open_uploads(&server.url()).await, Some(0));
}

/// A file deleted or cut short while its parts go up fails its job, and the parts already
/// sent are aborted: a retry would start over, so they would only be billed.
#[tokio::test]
async fn an_upload_whose_source_goes_or_shrinks_mid_way_fails_and_leaves_no_parts() {
    let (_dir, server) = serve_local().await;
    let (proxy, _) = counting_proxy(&server.url()).await;
    let (_home, engine) = engine_for(&proxy.endpoint).await;
    let local = tempfile::tempdir().unwrap();
    for (name, spoil) in [("deleted.mov", true), ("truncated.mov", false)] {
        let file = local.path().join(name);
        std::fs::write(&file, pattern(72 * MIB, 3)).unwrap();
        let options = UploadOptions {
            parts_in_flight: Some(1),
            ..UploadOptions::default()
        };
        let (mut events, ids) = start_upload(&engine, &file, options).await;
        until_bytes(&mut events, ids[0], 8 * MIB as u64).await;
        if spoil {
            std::fs::remove_file(&file).unwrap();
        } else {
            std::fs::File::options()
                .write(true)
                .open(&file)
                .unwrap()
                .set_len(20 * MIB as u64)
                .unwrap();
        }
        let (state, error) = ends(&mut events, &ids).await.remove(&ids[0]).unwrap();
        assert_eq!(state, JobState::Failed, "{name}");
        let error = error.unwrap();
        assert_eq!(error.code, ErrorCode::Io, "{name}: {error:?}");
        assert!(error.message.contains(name), "{}", error.message);
        assert_eq!(
            open_uploads(&server.url()).await,
            Some(0),
            "{name}: no parts left to be billed"
        );
    }
}

#[tokio::test]
async fn a_server_whose_parts_cannot_be_listed_gets_the_whole_file_again() {
    let moto = Moto::start();
    let stopped = stopped_upload(&moto.endpoint).await;
    let (state, error) = resume(stopped.home.path(), stopped.job).await;
    assert_eq!(state, JobState::Done, "{error:?}");
    let (got, _, _) = object(&moto.endpoint, "wedding.mov").await;
    assert!(
        got == std::fs::read(&stopped.file).unwrap(),
        "arrived whole"
    );
    assert_eq!(
        open_uploads(&moto.endpoint).await,
        Some(0),
        "the stale upload aborted"
    );
}

/// Whether a request sends object bytes: a PutObject or an UploadPart.
fn sends_bytes(head: &hyper::http::request::Parts) -> bool {
    head.method == "PUT"
        && head
            .uri
            .path()
            .strip_prefix("/uploads/")
            .is_some_and(|key| !key.is_empty())
}

/// Writes `files` into a fresh folder and uploads them to `p:uploads/`, one job each;
/// returns how each job ended.
async fn upload_and_wait(
    engine: &Engine,
    files: &BTreeMap<&str, Vec<u8>>,
) -> BTreeMap<JobId, (JobState, Option<strata_core::Error>)> {
    let local = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (name, bytes) in files {
        std::fs::write(local.path().join(name), bytes).unwrap();
        paths.push(local.path().join(name));
    }
    let mut events = engine.events();
    let ids = engine
        .upload_start(
            &paths,
            &RemotePath::parse("p:uploads/").unwrap(),
            UploadOptions::default(),
        )
        .await
        .unwrap();
    ends(&mut events, &ids).await
}

#[tokio::test]
async fn an_upload_rides_out_500s_503s_and_dropped_connections() {
    let (_dir, server) = serve_local().await;
    // Every fourth request fails, in turn with a 500, a 503 and a dropped connection: each
    // fault comes again and again, yet no request meets six in a row (the retries it gets).
    let proxy = FaultProxy::start(&server.url(), |head, n| match n {
        _ if !sends_bytes(head) || n % 4 != 0 => Fault::Forward,
        n => match n / 4 % 3 {
            0 => Fault::Fail(500),
            1 => Fault::Fail(503),
            _ => Fault::Cut(0),
        },
    })
    .await;
    let (_home, engine) = engine_for(&proxy.endpoint).await;
    let files: BTreeMap<&str, Vec<u8>> = [
        ("big.mov", pattern(40 * MIB + 11, 12)),
        ("a.jpg", pattern(70_000, 13)),
        ("b.jpg", pattern(90_000, 14)),
    ]
    .into();
    for (id, (state, error)) in upload_and_wait(&engine, &files).await {
        assert_eq!(state, JobState::Done, "job {id}: {error:?}");
    }
    for (name, bytes) in &files {
        assert!(
            object(&server.url(), name).await.0 == *bytes,
            "{name} arrived whole"
        );
    }
    assert_eq!(open_uploads(&server.url()).await, Some(0));
}

#[tokio::test]
async fn a_refusal_stops_the_upload_with_its_reason_and_no_retry_storm() {
    let (_dir, server) = serve_local().await;
    let refused = Arc::new(Mutex::new(0));
    let counted = Arc::clone(&refused);
    let proxy = FaultProxy::start(&server.url(), move |head, _| {
        if sends_bytes(head) {
            *counted.lock().unwrap() += 1;
            Fault::Refuse
        } else {
            Fault::Forward
        }
    })
    .await;
    let (_home, engine) = engine_for(&proxy.endpoint).await;
    let local = tempfile::tempdir().unwrap();
    let file = local.path().join("big.mov");
    std::fs::write(&file, pattern(40 * MIB, 15)).unwrap();
    let mut events = engine.events();
    let ids = engine
        .upload_start(
            &[file],
            &RemotePath::parse("p:uploads/").unwrap(),
            UploadOptions::default(),
        )
        .await
        .unwrap();
    let (state, error) = ends(&mut events, &ids).await.remove(&ids[0]).unwrap();
    assert_eq!(state, JobState::Failed);
    let error = error.unwrap();
    assert_eq!(error.code, ErrorCode::AccessDenied, "{error:?}");
    assert!(!error.retryable());
    let refused = *refused.lock().unwrap();
    assert!(
        refused <= 4,
        "each part in flight tried once, never retried: {refused} requests"
    );
    // The tray says so until the failed transfer is retried or cancelled.
    let totals = engine.transfer_totals().await.unwrap();
    assert_eq!((totals.active, totals.failed), (0, 1));
    assert_eq!(totals.describe(), "1 transfer failed");
    engine.job_cancel(ids[0]).await.unwrap();
    let totals = engine.transfer_totals().await.unwrap();
    assert_eq!(totals.describe(), "Up to date");
}

/// Every body altered on its way to the server (one bit of its last byte), behind a proxy on
/// loopback, where Strata sends Content-MD5 but does not hash bodies into signatures: no
/// upload may end as done. A server that checks Content-MD5 as S3 does (`checks_md5`) keeps
/// none of the bytes, and what was under the key stays; where a server does not (moto; s3s-fs
/// for parts), the check of what it then holds catches it, and the job says so.
async fn altered_bytes_never_pass(upstream: &str, checks_md5: bool) {
    let proxy = FaultProxy::start(upstream, |head, _| {
        if sends_bytes(head) {
            Fault::CorruptRequest
        } else {
            Fault::Forward
        }
    })
    .await;
    let (_home, engine) = engine_for(&proxy.endpoint).await;
    let before = b"the version that was there".to_vec();
    sdk_client(upstream, ACCESS_KEY, SECRET_KEY)
        .put_object()
        .bucket("uploads")
        .key("a.jpg")
        .body(before.clone().into())
        .send()
        .await
        .unwrap();
    let files = [
        ("a.jpg", pattern(70_000, 16)),
        ("big.mov", pattern(20 * MIB + 5, 16)),
    ]
    .into();
    for (id, (state, error)) in upload_and_wait(&engine, &files).await {
        assert_eq!(state, JobState::Failed, "job {id}");
        let error = error.unwrap();
        let refused = error
            .message
            .contains("differ from the ones sent, so it kept none");
        let caught = error.message.contains("does not match the bytes sent");
        assert!(refused || (caught && !checks_md5), "job {id}: {error:?}");
    }
    if checks_md5 {
        assert!(
            object(upstream, "a.jpg").await.0 == before,
            "a.jpg as it was"
        );
        let missing = sdk_client(upstream, ACCESS_KEY, SECRET_KEY)
            .head_object()
            .bucket("uploads")
            .key("big.mov")
            .send()
            .await;
        assert!(missing.is_err(), "no big.mov: {missing:?}");
    }
}

#[tokio::test]
async fn altered_bytes_never_land_on_the_built_in_endpoint() {
    let (_dir, server) = serve_local().await;
    altered_bytes_never_pass(&server.url(), true).await;
}

#[tokio::test]
async fn altered_bytes_never_pass_as_done_on_moto() {
    let moto = Moto::start();
    altered_bytes_never_pass(&moto.endpoint, false).await;
}

#[tokio::test]
async fn altered_bytes_never_pass_as_done_on_s3s_fs() {
    let s3s = S3sFs::start().await;
    altered_bytes_never_pass(&s3s.endpoint, false).await;
}

/// By key, whether each request that sent its bytes carried (`Content-MD5`,
/// `x-amz-checksum-crc64nvme`).
type Carried = BTreeMap<String, Vec<(bool, bool)>>;

const MD5: (bool, bool) = (true, false);
const CRC: (bool, bool) = (false, true);

/// A proxy that records what each request sending bytes carried, by key in the order sent,
/// and takes the checksums out of PutObject answers while `strip` is set.
async fn recording_proxy(
    upstream: &str,
    strip: Arc<AtomicBool>,
) -> (FaultProxy, Arc<Mutex<Carried>>) {
    let sent: Arc<Mutex<Carried>> = Arc::default();
    let seen = Arc::clone(&sent);
    let proxy = FaultProxy::start(upstream, move |head, _| {
        if !sends_bytes(head) {
            return Fault::Forward;
        }
        let has = |name: &str| head.headers.contains_key(name);
        let key = head.uri.path().trim_start_matches("/uploads/").to_string();
        let carried = (has("content-md5"), has("x-amz-checksum-crc64nvme"));
        seen.lock().unwrap().entry(key).or_default().push(carried);
        let single_put = head.uri.query().is_none_or(|q| !q.contains("partNumber="));
        if single_put && strip.load(Ordering::SeqCst) {
            Fault::StripChecksums
        } else {
            Fault::Forward
        }
    })
    .await;
    (proxy, sent)
}

/// Uploads each file in turn (a job each, the next once the last is done): each is done
/// and lands byte for byte.
async fn upload_in_turn(engine: &Engine, upstream: &str, files: &[(&str, Vec<u8>)]) {
    for (name, bytes) in files {
        let one = BTreeMap::from([(*name, bytes.clone())]);
        for (id, (state, error)) in upload_and_wait(engine, &one).await {
            assert_eq!((state, error), (JobState::Done, None), "job {id}: {name}");
        }
        assert!(object(upstream, name).await.0 == *bytes, "{name} whole");
    }
}

/// What a file in three parts and then one in a single PUT carried on their way to
/// `upstream`.
async fn digests_sent(upstream: &str) -> Carried {
    let (proxy, sent) = recording_proxy(upstream, Arc::default()).await;
    let (_home, engine) = engine_for(&proxy.endpoint).await;
    let files = [
        ("three-parts.mov", pattern(20 * MIB + 5, 18)),
        ("small.jpg", pattern(70_000, 17)),
    ];
    upload_in_turn(&engine, upstream, &files).await;
    sent.lock().unwrap().clone()
}

#[tokio::test]
async fn parts_carry_their_crc_where_the_server_checks_it_and_their_md5_elsewhere() {
    let expect = |parts: &[(bool, bool)], single: (bool, bool)| {
        BTreeMap::from([
            ("small.jpg".to_string(), vec![single]),
            ("three-parts.mov".to_string(), parts.to_vec()),
        ])
    };
    // The built-in endpoint takes CRC64NVME at Create and names the first part's CRC in its
    // answer: every part carries its CRC alone, and so does the single PUT after them,
    // though the profile is not of a provider known to check CRCs (an "other" one).
    let (_dir, server) = serve_local().await;
    assert_eq!(digests_sent(&server.url()).await, expect(&[CRC; 3], CRC));
    // moto takes the algorithm but does not check the CRC (nor name it): after the first
    // part, the file goes up again as an upload of MD5-checked parts.
    let moto = Moto::start();
    assert_eq!(
        digests_sent(&moto.endpoint).await,
        expect(&[CRC, MD5, MD5, MD5], MD5)
    );
    // s3s-fs does not answer with the algorithm: every body carries its MD5.
    let s3s = S3sFs::start().await;
    assert_eq!(digests_sent(&s3s.endpoint).await, expect(&[MD5; 3], MD5));
}

#[tokio::test]
async fn a_server_whose_answer_stops_naming_the_crc_gets_md5s_again() {
    let (_dir, server) = serve_local().await;
    let strip = Arc::new(AtomicBool::new(false));
    let (proxy, sent) = recording_proxy(&server.url(), Arc::clone(&strip)).await;
    let (_home, engine) = engine_for(&proxy.endpoint).await;
    upload_in_turn(
        &engine,
        &server.url(),
        &[("big.mov", pattern(20 * MIB + 5, 4))],
    )
    .await;
    // The PUT went with its CRC; its answer names none, so its ETag is checked against the
    // MD5 of the bytes (the upload still ends done), and the next PUT carries an MD5.
    strip.store(true, Ordering::SeqCst);
    upload_in_turn(&engine, &server.url(), &[("a.jpg", pattern(5000, 1))]).await;
    strip.store(false, Ordering::SeqCst);
    upload_in_turn(&engine, &server.url(), &[("b.jpg", pattern(6000, 2))]).await;
    let sent = sent.lock().unwrap().clone();
    assert_eq!((&sent["a.jpg"], &sent["b.jpg"]), (&vec![CRC], &vec![MD5]));
    let checked = engine.activity_list(Some(10)).await.unwrap();
    let a = checked
        .iter()
        .find(|a| a.source.ends_with("a.jpg"))
        .unwrap();
    assert_eq!(a.detail.as_deref(), Some("verified: ETag (MD5) matches"));
}

#[tokio::test]
async fn metadata_s3_would_refuse_is_refused_before_any_job_is_written() {
    let (_dir, server) = serve_local().await;
    let (_home, engine) = engine_for(&server.url()).await;
    let local = tempfile::tempdir().unwrap();
    let file = local.path().join("a.jpg");
    std::fs::write(&file, b"jpeg").unwrap();
    let refused = |metadata: Vec<(String, String)>| {
        let engine = engine.clone();
        let file = file.clone();
        async move {
            let options = UploadOptions {
                metadata,
                ..UploadOptions::default()
            };
            engine
                .upload_start(&[file], &RemotePath::parse("p:uploads/").unwrap(), options)
                .await
                .unwrap_err()
        }
    };
    let spaced = refused(vec![("shot by".into(), "Ana".into())]).await;
    assert_eq!(
        (spaced.code, spaced.field),
        (ErrorCode::InvalidInput, Some("metadata"))
    );
    let long = refused(vec![("note".into(), "x".repeat(3000))]).await;
    assert!(long.message.contains("S3 allows 2,048"), "{}", long.message);
    assert!(engine.job_list(10).await.unwrap().is_empty());
}
