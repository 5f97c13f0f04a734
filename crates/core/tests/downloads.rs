//! Downloads as jobs against real parts: the built-in endpoint, moto and s3s-fs on 127.0.0.1,
//! real files, a real SQLite catalog; a proxy that slows answers down where a test stops a
//! download half-way (an engine dropped with its runtime, as a killed process would be).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

mod common;

use common::{MIB, ends, engine_for, pattern, serve_local, then_die, until_bytes};
use strata_core::jobs::{JobId, JobState};
use strata_core::objects::DownloadStarted;
use strata_core::remote::RemotePath;
use strata_core::{DataDir, Engine, ErrorCode};
use strata_testkit::{
    ACCESS_KEY, Fault, FaultProxy, Moto, S3sFs, SECRET_KEY, create_kms_bucket, put_in_parts,
    sdk_client,
};

const BUCKET: &str = "downloads";

/// Puts `data` at `key`: in one request, or as a multipart upload of `part` bytes a part.
async fn put(endpoint: &str, key: &str, data: &[u8], part: Option<usize>) {
    let client = sdk_client(endpoint, ACCESS_KEY, SECRET_KEY);
    let _ = client.create_bucket().bucket(BUCKET).send().await;
    match part {
        Some(part) => put_in_parts(&client, BUCKET, key, data, part).await,
        None => {
            client
                .put_object()
                .bucket(BUCKET)
                .key(key)
                .body(data.to_vec().into())
                .send()
                .await
                .unwrap();
        }
    }
}

/// Starts downloading `keys` of the test bucket into `into`.
async fn start(engine: &Engine, keys: &[&str], into: &Path) -> DownloadStarted {
    let sources: Vec<RemotePath> = keys
        .iter()
        .map(|key| RemotePath::parse(&format!("p:{BUCKET}/{key}")).unwrap())
        .collect();
    engine.download_start(&sources, into).await.unwrap()
}

/// Downloads the test bucket's `folder` into `into`; every job must end done.
async fn downloaded(engine: &Engine, folder: &str, into: &Path) -> DownloadStarted {
    let mut events = engine.events();
    let source = RemotePath::parse(&format!("p:{BUCKET}/{folder}")).unwrap();
    let started = engine.download_start(&[source], into).await.unwrap();
    for (id, (state, error)) in ends(&mut events, &started.jobs).await {
        assert_eq!(state, JobState::Done, "job {id}: {error:?}");
    }
    started
}

/// Every file under `root` with its bytes, by relative path; temporary files included.
fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .to_string();
                found.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    found
}

/// How a server lets a download check the object at `key` of the tree below: what the
/// activity log says.
type Check = fn(key: &str) -> &'static str;

const BY_ETAG: &str = "verified: ETag (MD5) matches";

/// The checks on moto and s3s-fs: they keep the CRC32 the writer's SDK sent with a PutObject;
/// and they ignore `partNumber`, so a multipart object comes in one stream, with no part MD5s
/// to rebuild its ETag from and no whole-object CRC: only its length can be checked.
fn as_writers_sent(key: &str) -> &'static str {
    match key {
        "shoot/Müller €.tif" => "verified: CRC32 matches",
        "shoot/raw/IMG_0001.CR3" => "length checked; the server gives no checksum to verify",
        _ => BY_ETAG,
    }
}

async fn downloads_land_whole(endpoint: &str, check: Check) {
    let tree: BTreeMap<&str, (Vec<u8>, Option<usize>)> = [
        ("shoot/empty.txt", (Vec::new(), None)),
        ("shoot/cover.jpg", (pattern(3000, 1), None)),
        (
            "shoot/raw/IMG_0001.CR3",
            (pattern(17 * MIB + 5, 2), Some(5 * MIB)),
        ),
        ("shoot/raw/one-part.CR3", (pattern(MIB, 3), Some(5 * MIB))),
        ("shoot/Müller €.tif", (pattern(9 * MIB, 4), None)),
    ]
    .into();
    for (key, (data, part)) in &tree {
        put(endpoint, key, data, *part).await;
    }
    let (_home, engine) = engine_for(endpoint).await;
    let into = tempfile::tempdir().unwrap();
    let started = downloaded(&engine, "shoot/", into.path()).await;
    assert_eq!(started.jobs.len(), tree.len(), "one job per object");
    let expected: BTreeMap<String, Vec<u8>> = tree
        .iter()
        .map(|(k, (data, _))| (k.to_string(), data.clone()))
        .collect();
    let got = files(into.path());
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "every object, no temporary file left"
    );
    for (path, data) in &expected {
        assert!(got[path] == *data, "{path} arrived whole");
    }
    let jobs = engine.job_list(10).await.unwrap();
    assert!(
        jobs.iter().all(|j| j.total == Some(j.bytes)),
        "each job knows its size"
    );
    assert_eq!(
        jobs.iter().map(|j| j.bytes).sum::<u64>(),
        expected.values().map(|b| b.len() as u64).sum::<u64>()
    );
    let logged: BTreeMap<String, (String, Option<String>)> = engine
        .activity_list(None)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.action == "download")
        .map(|a| (a.source, (a.outcome, a.detail)))
        .collect();
    for key in tree.keys() {
        let entry = &logged[&format!("p:{BUCKET}/{key}")];
        assert_eq!(
            (entry.0.as_str(), entry.1.as_deref()),
            ("done", Some(check(key))),
            "{key}: how the download was verified, in the activity log"
        );
    }
}

#[tokio::test]
async fn downloads_land_whole_on_the_built_in_endpoint() {
    let (_dir, server) = serve_local().await;
    // It keeps a CRC64NVME of every object, as S3 does: objects from 8 MiB are checked by it.
    downloads_land_whole(&server.url(), |key| match key {
        "shoot/Müller €.tif" | "shoot/raw/IMG_0001.CR3" => "verified: CRC64NVME matches",
        _ => BY_ETAG,
    })
    .await;
}

#[tokio::test]
async fn downloads_land_whole_on_moto() {
    let moto = Moto::start();
    downloads_land_whole(&moto.endpoint, as_writers_sent).await;
}

/// On S3, the ETag of an object encrypted with KMS is not its MD5: such downloads are checked
/// by a checksum where the server keeps one, else by their length, and never called corrupt.
#[tokio::test]
async fn downloads_of_kms_encrypted_objects_land_whole() {
    let moto = Moto::start_sse_kms();
    create_kms_bucket(&moto.endpoint, BUCKET).await;
    downloads_land_whole(&moto.endpoint, |key| match key {
        "shoot/Müller €.tif" => "verified: CRC32 matches",
        _ => "length checked; the server gives no checksum to verify",
    })
    .await;
}

#[tokio::test]
async fn downloads_land_whole_on_s3s_fs() {
    let s3s = S3sFs::start().await;
    downloads_land_whole(&s3s.endpoint, as_writers_sent).await;
}

/// GETs forwarded by the proxy: by part number, or by the first byte of their range.
#[derive(Default)]
struct Gets {
    parts: BTreeMap<u32, u32>,
    ranges: Vec<u64>,
}

/// A proxy that trickles object bodies (256 KiB every 20 ms) and counts the GETs.
async fn trickling_proxy(upstream: &str) -> (FaultProxy, Arc<Mutex<Gets>>) {
    let gets: Arc<Mutex<Gets>> = Arc::default();
    let seen = Arc::clone(&gets);
    let proxy = FaultProxy::start(upstream, move |head, _| {
        let query = head.uri.query().unwrap_or_default();
        if head.method != "GET" || query.contains("list-type") || query.contains("location") {
            return Fault::Forward;
        }
        let mut gets = seen.lock().unwrap();
        if let Some(number) = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("partNumber="))
            .and_then(|n| n.parse::<u32>().ok())
        {
            *gets.parts.entry(number).or_default() += 1;
        }
        if let Some(from) = head
            .headers
            .get("range")
            .and_then(|r| r.to_str().ok())
            .and_then(|r| r.strip_prefix("bytes="))
            .and_then(|r| r.split('-').next())
            .and_then(|n| n.parse().ok())
        {
            gets.ranges.push(from);
        }
        Fault::Trickle {
            chunk: 256 * 1024,
            every_ms: 20,
        }
    })
    .await;
    (proxy, gets)
}

/// Starts downloading `key` into `into` in an engine that then dies once `bytes` are on disk.
async fn crash_mid_download(home: &Path, key: &str, into: &Path, bytes: u64) -> JobId {
    let (key, into) = (key.to_string(), into.to_path_buf());
    then_die(home, move |dying| async move {
        let mut events = dying.events();
        let started = start(&dying, &[key.as_str()], &into).await;
        until_bytes(&mut events, started.jobs[0], bytes).await;
        started.jobs[0]
    })
    .await
}

async fn resume(home: &Path, job: JobId) -> (JobState, Option<strata_core::Error>) {
    let next = Engine::open(DataDir::at(home).unwrap()).unwrap();
    let mut events = next.events();
    assert_eq!(next.jobs_resume_unfinished().await.unwrap(), vec![job]);
    ends(&mut events, &[job]).await.remove(&job).unwrap()
}

/// The parts the catalog recorded as synced for `job`.
fn synced_parts(home: &Path, job: JobId) -> BTreeSet<u32> {
    let catalog = rusqlite::Connection::open(DataDir::at(home).unwrap().catalog_path()).unwrap();
    let mut stmt = catalog
        .prepare("SELECT part_number FROM download_parts WHERE job_id = ?1")
        .unwrap();
    stmt.query_map([job], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

#[tokio::test]
async fn a_crashed_download_in_parts_resumes_and_never_fetches_a_synced_part_again() {
    let (_dir, server) = serve_local().await;
    // Sixteen parts of 8 MiB, eight fetched at once: the first eight are synced well before
    // the stop at 96 MiB, the last ones are not.
    let data = pattern(120 * MIB + 77, 5);
    put(&server.url(), "wedding.mov", &data, Some(8 * MIB)).await;
    let (proxy, gets) = trickling_proxy(&server.url()).await;
    let (home, first) = engine_for(&proxy.endpoint).await;
    drop(first);
    let into = tempfile::tempdir().unwrap();
    let job = crash_mid_download(home.path(), "wedding.mov", into.path(), 96 * MIB as u64).await;
    let synced = synced_parts(home.path(), job);
    assert!(
        !synced.is_empty() && synced.len() < 16,
        "stopped half-way: {synced:?}"
    );
    assert!(
        !into.path().join("wedding.mov").exists(),
        "nothing under the final name yet"
    );
    let (state, error) = resume(home.path(), job).await;
    assert_eq!(state, JobState::Done, "{error:?}");
    assert!(std::fs::read(into.path().join("wedding.mov")).unwrap() == data);
    let gets = gets.lock().unwrap();
    for number in &synced {
        assert_eq!(
            gets.parts[number], 1,
            "part {number} was fetched once: {:?}",
            gets.parts
        );
    }
    assert_eq!(files(into.path()).len(), 1, "no temporary file left");
}

#[tokio::test]
async fn a_crashed_download_in_one_stream_resumes_from_its_synced_length() {
    let (_dir, server) = serve_local().await;
    let data = pattern(30 * MIB + 3, 6);
    put(&server.url(), "scan.tif", &data, None).await;
    let (proxy, gets) = trickling_proxy(&server.url()).await;
    let (home, first) = engine_for(&proxy.endpoint).await;
    drop(first);
    let into = tempfile::tempdir().unwrap();
    let job = crash_mid_download(home.path(), "scan.tif", into.path(), 20 * MIB as u64).await;
    let (state, error) = resume(home.path(), job).await;
    assert_eq!(state, JobState::Done, "{error:?}");
    assert!(std::fs::read(into.path().join("scan.tif")).unwrap() == data);
    let ranges = gets.lock().unwrap().ranges.clone();
    assert!(
        ranges.len() == 1 && ranges[0] >= 16 * MIB as u64,
        "the resume asked for the rest only: {ranges:?}"
    );
    assert_eq!(files(into.path()).len(), 1, "no temporary file left");
}

/// A resume whose server ignores the range and sends the object from its start never
/// writes those bytes after the ones kept: the download fails as corrupt and leaves no file.
#[tokio::test]
async fn a_resume_answered_from_the_start_is_never_appended() {
    // moto checks no signature, so the proxy may drop the (signed) Range header.
    let moto = Moto::start();
    let data = pattern(30 * MIB + 3, 7);
    put(&moto.endpoint, "scan.tif", &data, None).await;
    let ignore_ranges = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ignoring = Arc::clone(&ignore_ranges);
    let proxy = FaultProxy::start(&moto.endpoint, move |head, _| {
        let query = head.uri.query().unwrap_or_default();
        if head.method != "GET" || query.contains("list-type") || query.contains("location") {
            Fault::Forward
        } else if ignoring.load(std::sync::atomic::Ordering::SeqCst) {
            Fault::DropRange
        } else {
            Fault::Trickle {
                chunk: 256 * 1024,
                every_ms: 20,
            }
        }
    })
    .await;
    let (home, first) = engine_for(&proxy.endpoint).await;
    drop(first);
    let into = tempfile::tempdir().unwrap();
    let job = crash_mid_download(home.path(), "scan.tif", into.path(), 20 * MIB as u64).await;
    ignore_ranges.store(true, std::sync::atomic::Ordering::SeqCst);
    let (state, error) = resume(home.path(), job).await;
    assert_eq!(state, JobState::Failed);
    let error = error.unwrap();
    assert!(error.message.contains("from byte"), "{}", error.message);
    assert!(
        files(into.path()).is_empty(),
        "no file under the final name, and no partial kept: {:?}",
        files(into.path())
    );
}

/// Puts `data` at `key` in one request with no checksum at all, as older clients do.
async fn put_without_checksum(endpoint: &str, key: &str, data: &[u8]) {
    use aws_sdk_s3::config::RequestChecksumCalculation;
    let config = sdk_client(endpoint, ACCESS_KEY, SECRET_KEY)
        .config()
        .to_builder()
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .build();
    let client = aws_sdk_s3::Client::from_conf(config);
    let _ = client.create_bucket().bucket(BUCKET).send().await;
    client
        .put_object()
        .bucket(BUCKET)
        .key(key)
        .body(data.to_vec().into())
        .send()
        .await
        .unwrap();
}

/// A large object in one piece comes in 16 MiB ranges, four at once; after a crash only the
/// ranges not synced are fetched again; the bytes are checked by the CRC where the server
/// keeps one, else by the MD5 of the whole file.
async fn a_large_object_comes_in_ranges(endpoint: &str, checksum: bool, verified: &str) {
    let data = pattern(100 * MIB + 3, 12);
    if checksum {
        put(endpoint, "scan.tif", &data, None).await;
    } else {
        put_without_checksum(endpoint, "scan.tif", &data).await;
    }
    let (proxy, gets) = trickling_proxy(endpoint).await;
    let (home, first) = engine_for(&proxy.endpoint).await;
    drop(first);
    let into = tempfile::tempdir().unwrap();
    let job = crash_mid_download(home.path(), "scan.tif", into.path(), 70 * MIB as u64).await;
    let synced = synced_parts(home.path(), job);
    assert!(
        !synced.is_empty() && synced.len() < 7,
        "stopped half-way: {synced:?}"
    );
    let (state, error) = resume(home.path(), job).await;
    assert_eq!(state, JobState::Done, "{error:?}");
    assert!(std::fs::read(into.path().join("scan.tif")).unwrap() == data);
    let ranges = gets.lock().unwrap().ranges.clone();
    let starts: BTreeSet<u64> = (0..7).map(|n| n * 16 * MIB as u64).collect();
    assert!(
        ranges.iter().all(|r| starts.contains(r)),
        "16 MiB ranges: {ranges:?}"
    );
    for number in &synced {
        let start = u64::from(number - 1) * 16 * MIB as u64;
        let asked = ranges.iter().filter(|&&r| r == start).count();
        assert_eq!(asked, 1, "range {number} was fetched once: {ranges:?}");
    }
    assert_eq!(files(into.path()).len(), 1, "no temporary file left");
    let engine = Engine::open(DataDir::at(home.path()).unwrap()).unwrap();
    let logged = engine.activity_list(None).await.unwrap();
    assert_eq!(logged[0].detail.as_deref(), Some(verified));
}

#[tokio::test]
async fn a_large_object_comes_in_ranges_from_the_built_in_endpoint() {
    let (_dir, server) = serve_local().await;
    a_large_object_comes_in_ranges(&server.url(), true, "verified: CRC64NVME matches").await;
}

#[tokio::test]
async fn a_large_object_comes_in_ranges_from_s3s_fs() {
    let s3s = S3sFs::start().await;
    // With the CRC32 the writer sent, then with nothing but the ETag, its MD5.
    a_large_object_comes_in_ranges(&s3s.endpoint, true, "verified: CRC32 matches").await;
    let s3s = S3sFs::start().await;
    a_large_object_comes_in_ranges(&s3s.endpoint, false, "verified: ETag (MD5) matches").await;
}

#[tokio::test]
async fn an_object_replaced_since_the_crash_is_downloaded_again_never_mixed() {
    let (_dir, server) = serve_local().await;
    put(
        &server.url(),
        "edit.psd",
        &pattern(40 * MIB, 7),
        Some(8 * MIB),
    )
    .await;
    let (proxy, _gets) = trickling_proxy(&server.url()).await;
    let (home, first) = engine_for(&proxy.endpoint).await;
    drop(first);
    let into = tempfile::tempdir().unwrap();
    let job = crash_mid_download(home.path(), "edit.psd", into.path(), 20 * MIB as u64).await;
    let replaced = pattern(30 * MIB, 8);
    put(&server.url(), "edit.psd", &replaced, Some(8 * MIB)).await;
    let (state, error) = resume(home.path(), job).await;
    assert_eq!(state, JobState::Done, "{error:?}");
    assert!(
        std::fs::read(into.path().join("edit.psd")).unwrap() == replaced,
        "the object as it is now, whole"
    );
    assert_eq!(files(into.path()).len(), 1, "no temporary file left");
}

#[tokio::test]
async fn bytes_the_server_corrupted_on_its_disk_fail_the_crc_and_never_land() {
    let (dir, server) = serve_local().await;
    put(
        &server.url(),
        "parts.raw",
        &pattern(20 * MIB, 10),
        Some(8 * MIB),
    )
    .await;
    put(&server.url(), "whole.tif", &pattern(9 * MIB, 11), None).await;
    // A bit flips in every stored file (a failing disk): the server's ETags and CRCs still
    // describe the bytes as they were written.
    let mut folders = vec![dir.path().join("blobs")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            let mut bytes = std::fs::read(&path).unwrap();
            let middle = bytes.len() / 2;
            bytes[middle] ^= 0x10;
            std::fs::write(&path, bytes).unwrap();
        }
    }
    let (_home, engine) = engine_for(&server.url()).await;
    let into = tempfile::tempdir().unwrap();
    let mut events = engine.events();
    let started = start(&engine, &["parts.raw", "whole.tif"], into.path()).await;
    for (id, (state, error)) in ends(&mut events, &started.jobs).await {
        assert_eq!(state, JobState::Failed, "job {id}");
        let message = error.unwrap().message;
        assert!(
            message.contains("its CRC64NVME differs from the server's"),
            "job {id}: {message}"
        );
    }
    assert!(
        files(into.path()).is_empty(),
        "nothing under the final names, no temporary file kept"
    );
    let logged = engine.activity_list(None).await.unwrap();
    assert!(
        logged
            .iter()
            .all(|a| a.action == "download" && a.outcome == "failed"),
        "{logged:?}"
    );
}

#[tokio::test]
async fn a_cancelled_download_leaves_nothing_and_a_missing_key_is_a_clear_failure() {
    let (_dir, server) = serve_local().await;
    put(
        &server.url(),
        "big.bin",
        &pattern(40 * MIB, 9),
        Some(8 * MIB),
    )
    .await;
    let (proxy, _gets) = trickling_proxy(&server.url()).await;
    let (_home, engine) = engine_for(&proxy.endpoint).await;
    let into = tempfile::tempdir().unwrap();
    let (mut events, mut states) = (engine.events(), engine.events());
    let started = start(&engine, &["big.bin", "gone.bin"], into.path()).await;
    until_bytes(&mut events, started.jobs[0], 8 * MIB as u64).await;
    engine.job_cancel(started.jobs[0]).await.unwrap();
    let ended = ends(&mut states, &started.jobs).await;
    assert_eq!(ended[&started.jobs[0]].0, JobState::Cancelled);
    let (state, error) = &ended[&started.jobs[1]];
    assert_eq!(*state, JobState::Failed);
    assert_eq!(error.as_ref().unwrap().code, ErrorCode::NoSuchKey);
    assert!(files(into.path()).is_empty(), "no file, no temporary file");
}

#[tokio::test]
async fn a_download_rides_out_500s_503s_and_cut_connections() {
    let (_dir, server) = serve_local().await;
    let parted = pattern(40 * MIB + 9, 10);
    let whole = pattern(3 * MIB, 11);
    put(&server.url(), "faults/parted.mov", &parted, Some(8 * MIB)).await;
    put(&server.url(), "faults/whole.jpg", &whole, None).await;
    let proxy = FaultProxy::start(&server.url(), |head, n| {
        let object_get = head.method == "GET" && head.uri.path().contains("/faults/");
        match n {
            _ if !object_get => Fault::Forward,
            n if n % 5 == 0 => Fault::Fail(500),
            n if n % 7 == 0 => Fault::Fail(503),
            n if n % 3 == 0 => Fault::Cut(MIB),
            _ => Fault::Forward,
        }
    })
    .await;
    let (_home, engine) = engine_for(&proxy.endpoint).await;
    let into = tempfile::tempdir().unwrap();
    downloaded(&engine, "faults/", into.path()).await;
    let got = files(into.path());
    assert_eq!(got.len(), 2, "no temporary file left: {:?}", got.keys());
    assert!(got["faults/parted.mov"] == parted && got["faults/whole.jpg"] == whole);
}

/// Keys that make one file name on disk (a backslash and an underscore; two names too long
/// for the file system cut to one start; a key that is a file where another key needs a
/// folder) each land in a file of their own, and the download says which were renamed.
#[tokio::test]
async fn keys_that_make_one_name_on_disk_land_in_files_of_their_own() {
    let (_dir, server) = serve_local().await;
    let long = "é".repeat(140);
    let keys = [
        "shoot/a_b.jpg".to_string(),
        "shoot/a\\b.jpg".to_string(),
        "shoot/x".to_string(),
        "shoot/x/y.jpg".to_string(),
        format!("shoot/{long}1.jpg"),
        format!("shoot/{long}2.jpg"),
    ];
    for key in &keys {
        put(&server.url(), key, key.as_bytes(), None).await;
    }
    let (_home, engine) = engine_for(&server.url()).await;
    let into = tempfile::tempdir().unwrap();
    let started = downloaded(&engine, "shoot/", into.path()).await;
    let got = files(into.path());
    assert_eq!(got.len(), keys.len(), "one file per key: {:?}", got.keys());
    let contents: BTreeSet<&[u8]> = got.values().map(Vec::as_slice).collect();
    let expected: BTreeSet<&[u8]> = keys.iter().map(|k| k.as_bytes()).collect();
    assert_eq!(contents, expected, "each file holds its own key's bytes");
    assert!(got.contains_key("shoot/x/y.jpg") && got.contains_key("shoot/x~file"));
    assert!(
        got.keys()
            .all(|p| p.split('/').all(|name| name.len() <= 255))
    );
    let renamed: BTreeSet<&str> = started.renamed.iter().map(|r| r.key.as_str()).collect();
    assert!(
        renamed.contains("shoot/x") && renamed.len() >= 3,
        "{:?}",
        started.renamed
    );
}
