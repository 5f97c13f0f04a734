//! The object browser's engine against real servers on 127.0.0.1: the built-in endpoint, moto
//! and s3s-fs (a fault-injecting proxy where a test needs a failure), a real SQLite catalog and
//! the real Secret Service. Every check compares what a user would see or get back.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime};

mod common;

use aws_sdk_s3::primitives::ByteStream;
use common::{ends, engine, input, serve_local};
use futures_util::StreamExt;
use strata_core::buckets::BucketFilter;
use strata_core::jobs::JobState;
use strata_core::objects::{DownloadStarted, Entry};
use strata_core::remote::RemotePath;
use strata_core::{Engine, Error, ErrorCode};
use strata_testkit::{
    ACCESS_KEY, Fault, FaultProxy, Moto, S3sFs, SECRET_KEY, http_request, sdk_client,
};

/// Downloads `sources` into `into` as jobs and waits for them; the first failure is the error.
async fn download(
    engine: &Engine,
    sources: &[RemotePath],
    into: &Path,
) -> Result<DownloadStarted, Error> {
    let mut events = engine.events();
    let started = engine.download_start(sources, into).await?;
    for (state, error) in ends(&mut events, &started.jobs).await.into_values() {
        if state != JobState::Done {
            return Err(error.expect("a failed job says why"));
        }
    }
    Ok(started)
}

/// Keys every server takes, with spaces, `+`, `%` and unicode.
fn tree() -> BTreeMap<String, Vec<u8>> {
    [
        ("top.txt", b"top".to_vec()),
        ("photos/2026/a.jpg", vec![0xFF, 0xD8, 1, 2, 3]),
        ("photos/2026/b b.jpg", b"with a space".to_vec()),
        ("photos/c+d%.txt", b"plus and percent".to_vec()),
        ("photos/\u{fc}n\u{ef}.txt", "unicode".as_bytes().to_vec()),
        ("photos/empty.bin", Vec::new()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

async fn put_all(client: &aws_sdk_s3::Client, bucket: &str, objects: &BTreeMap<String, Vec<u8>>) {
    futures_util::stream::iter(objects)
        .for_each_concurrent(16, |(key, body)| {
            let client = client.clone();
            async move {
                client
                    .put_object()
                    .bucket(bucket)
                    .key(key)
                    .body(ByteStream::from(body.clone()))
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("put {key}: {e:?}"));
            }
        })
        .await;
}

fn many(prefix: &str, count: usize) -> BTreeMap<String, Vec<u8>> {
    (0..count)
        .map(|i| {
            (
                format!("{prefix}{i:05}.txt"),
                format!("object {i}").into_bytes(),
            )
        })
        .collect()
}

async fn engine_for(endpoint: &str) -> (tempfile::TempDir, Engine) {
    let (home, engine) = engine();
    engine
        .profile_add(input("s", endpoint, ACCESS_KEY, SECRET_KEY))
        .await
        .unwrap();
    (home, engine)
}

fn at(text: &str) -> RemotePath {
    RemotePath::parse(text).unwrap()
}

async fn names(engine: &Engine, bucket: &str, prefix: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut token = None;
    loop {
        let page = engine
            .object_list("s", bucket, prefix, false, token, None)
            .await
            .unwrap();
        names.extend(page.entries.iter().map(|e: &Entry| e.name.clone()));
        match page.next {
            Some(next) => token = Some(next),
            None => return names,
        }
    }
}

/// Every file under `dir`, by path relative to it.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// What every server must do: list with folders past one page, download a tree byte for byte,
/// delete in batches, copy and move, presign, count usage, never forget a bucket for a key.
async fn suite(endpoint: &str, checks_signatures: bool) {
    let client = sdk_client(endpoint, ACCESS_KEY, SECRET_KEY);
    for bucket in ["objects", "other"] {
        client.create_bucket().bucket(bucket).send().await.unwrap();
    }
    let tree = tree();
    put_all(&client, "objects", &tree).await;
    put_all(&client, "objects", &many("many/", 2_500)).await;
    let (_home, engine) = engine_for(endpoint).await;
    engine
        .bucket_refresh("s", 100, &engine.new_job())
        .await
        .unwrap();

    // Folders first come in key order with the objects; a listing past one page is whole.
    assert_eq!(
        names(&engine, "objects", "").await,
        ["many/", "photos/", "top.txt"]
    );
    assert_eq!(
        names(&engine, "objects", "photos/").await,
        ["2026/", "c+d%.txt", "empty.bin", "\u{fc}n\u{ef}.txt"]
    );
    let first = engine
        .object_list("s", "objects", "many/", false, None, None)
        .await
        .unwrap();
    assert_eq!(first.entries.len(), 1_000);
    assert!(first.next.is_some(), "a second page");
    assert_eq!(names(&engine, "objects", "many/").await.len(), 2_500);
    let details = engine
        .object_head("s", "objects", "photos/2026/b b.jpg")
        .await
        .unwrap();
    assert_eq!(details.size, 12);

    // Download a folder: its structure under the chosen folder, every byte equal.
    let downloads = tempfile::tempdir().unwrap();
    let started = download(&engine, &[at("s:objects/photos/")], downloads.path())
        .await
        .unwrap();
    assert_eq!(started.jobs.len(), 5);
    assert!(started.renamed.is_empty());
    let expected: BTreeMap<String, Vec<u8>> = tree
        .iter()
        .filter(|(k, _)| k.starts_with("photos/"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(files(downloads.path()), expected);

    // A missing key is no_such_key, and the bucket stays in the list.
    let missing = engine
        .object_head("s", "objects", "nope.txt")
        .await
        .unwrap_err();
    assert_eq!(missing.code, ErrorCode::NoSuchKey);
    let missing = download(&engine, &[at("s:objects/nope.txt")], downloads.path())
        .await
        .unwrap_err();
    assert_eq!(missing.code, ErrorCode::NoSuchKey);
    let buckets = engine
        .bucket_list("s", BucketFilter::default(), 0, None)
        .await
        .unwrap();
    assert!(
        buckets.iter().any(|b| b.name == "objects"),
        "the bucket was kept"
    );

    // Copy across buckets, then move back; the move's source is gone, the bytes are equal.
    let copied = engine
        .objects_copy(
            &at("s:objects/photos/"),
            &at("s:other/"),
            false,
            &engine.new_job(),
        )
        .await
        .unwrap();
    assert_eq!(
        (copied.objects, copied.target.as_str()),
        (5, "s:other/photos/")
    );
    let moved = engine
        .objects_copy(
            &at("s:other/photos/2026/a.jpg"),
            &at("s:other/renamed.jpg"),
            true,
            &engine.new_job(),
        )
        .await
        .unwrap();
    assert!(moved.moved);
    assert_eq!(
        names(&engine, "other", "").await,
        ["photos/", "renamed.jpg"]
    );
    assert_eq!(names(&engine, "other", "photos/2026/").await, ["b b.jpg"]);
    download(&engine, &[at("s:other/renamed.jpg")], downloads.path())
        .await
        .unwrap();
    assert_eq!(
        std::fs::read(downloads.path().join("renamed.jpg")).unwrap(),
        tree["photos/2026/a.jpg"]
    );
    // Rename a folder: every key under it moves.
    engine
        .objects_copy(
            &at("s:other/photos/"),
            &at("s:other/pictures"),
            true,
            &engine.new_job(),
        )
        .await
        .unwrap();
    assert_eq!(
        names(&engine, "other", "").await,
        ["pictures/", "renamed.jpg"]
    );
    assert_eq!(
        names(&engine, "other", "pictures/").await,
        ["2026/", "c+d%.txt", "empty.bin", "\u{fc}n\u{ef}.txt"]
    );

    // Usage, then delete 2,500 + 1 keys in batches of 1,000; a folder needs `recursive`.
    let usage = engine
        .usage(&at("s:objects/"), &engine.new_job())
        .await
        .unwrap();
    assert_eq!(usage.objects, 2_506);
    let refused = engine
        .objects_delete(&[at("s:objects/many/")], false, &engine.new_job())
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::InvalidInput);
    let deleted = engine
        .objects_delete(
            &[at("s:objects/many/"), at("s:objects/top.txt")],
            true,
            &engine.new_job(),
        )
        .await
        .unwrap();
    assert_eq!(deleted.deleted, 2_501);
    assert!(deleted.failed.is_empty());
    assert_eq!(names(&engine, "objects", "").await, ["photos/"]);

    // A presigned GET works for anyone until it expires; one that started two hours ago
    // with a one-hour life is refused.
    let link = engine
        .object_presign(
            &at("s:objects/photos/c+d%.txt"),
            Duration::from_secs(600),
            false,
        )
        .await
        .unwrap();
    let (status, body) = http_request("GET", &link.url).await;
    assert_eq!(
        (status, body.as_slice()),
        (200, b"plus and percent".as_slice())
    );
    let old = SystemTime::now() - Duration::from_secs(7200);
    let expired = engine
        .object_presign_from(
            &at("s:objects/photos/c+d%.txt"),
            old,
            Duration::from_secs(3600),
            false,
        )
        .await
        .unwrap();
    // moto checks no signature at all (its default), so only the others can refuse it.
    let expected = if checks_signatures { 403 } else { 200 };
    assert_eq!(http_request("GET", &expired.url).await.0, expected);
    let too_long = engine
        .object_presign(
            &at("s:objects/top.txt"),
            Duration::from_secs(8 * 86_400),
            false,
        )
        .await
        .unwrap_err();
    assert_eq!(too_long.field, Some("expires"));

    // The log holds each change and link, newest first, and never a signature; and each
    // download, verified.
    let (downloads, log): (Vec<_>, Vec<_>) = engine
        .activity_list(None)
        .await
        .unwrap()
        .into_iter()
        .partition(|a| a.action == "download");
    assert_eq!(downloads.len(), 7);
    for entry in &downloads {
        let verified = entry
            .detail
            .as_deref()
            .is_some_and(|d| d.starts_with("verified"));
        match entry.source.as_str() {
            "s:objects/nope.txt" => assert_eq!(entry.outcome, "failed"),
            _ => assert!(entry.outcome == "done" && verified, "{entry:?}"),
        }
    }
    let actions: Vec<&str> = log.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "presign_get",
            "presign_get",
            "delete",
            "delete",
            "rename",
            "move",
            "copy"
        ]
    );
    assert_eq!(log[3].objects, 2_500);
    assert!(log.iter().all(|a| !format!("{a:?}").contains("Signature")));
}

#[tokio::test]
async fn the_built_in_endpoint_browses_downloads_copies_and_deletes() {
    let (_dir, server) = serve_local().await;
    suite(&server.url(), true).await;
}

#[tokio::test]
async fn moto_browses_downloads_copies_and_deletes() {
    let moto = Moto::start();
    suite(&moto.endpoint, false).await;
}

#[tokio::test]
async fn s3s_fs_browses_downloads_copies_and_deletes() {
    let s3s = S3sFs::start().await;
    suite(&s3s.endpoint, true).await;
}

/// Keys that would escape a download folder, or that XML cannot carry, on the servers that
/// store them (s3s-fs maps keys onto its own file system and refuses them).
async fn hostile_keys(endpoint: &str) {
    let client = sdk_client(endpoint, ACCESS_KEY, SECRET_KEY);
    client
        .create_bucket()
        .bucket("hostile")
        .send()
        .await
        .unwrap();
    let keys = [
        "../../escape.txt",
        "/absolute.txt",
        "dir/../../up.txt",
        "back\\slash.txt",
        "ctl\u{1}key.txt",
    ];
    let objects = keys
        .iter()
        .map(|k| (k.to_string(), k.as_bytes().to_vec()))
        .collect();
    put_all(&client, "hostile", &objects).await;
    let (_home, engine) = engine_for(endpoint).await;
    let page = engine
        .object_list("s", "hostile", "", true, None, None)
        .await
        .unwrap();
    let mut listed: Vec<String> = page.entries.iter().map(|e| e.key.clone()).collect();
    listed.sort();
    let mut want: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    want.sort();
    assert_eq!(listed, want, "every key lists exactly");

    let outer = tempfile::tempdir().unwrap();
    let into = outer.path().join("downloads");
    let started = download(&engine, &[at("s:hostile/")], &into).await.unwrap();
    assert_eq!(started.jobs.len(), keys.len());
    assert_eq!(started.renamed.len(), keys.len(), "{:?}", started.renamed);
    // Nothing outside the chosen folder; every file's bytes are its key.
    let outside: Vec<_> = std::fs::read_dir(outer.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(outside, ["downloads"]);
    for file in &started.renamed {
        assert!(Path::new(&file.path).starts_with(into.canonicalize().unwrap()));
        assert_eq!(std::fs::read(&file.path).unwrap(), file.key.as_bytes());
    }
    let deleted = engine
        .objects_delete(&[at("s:hostile/")], true, &engine.new_job())
        .await
        .unwrap();
    assert_eq!(deleted.deleted as usize, keys.len());
    engine
        .bucket_delete("s", "hostile", false, &engine.new_job())
        .await
        .unwrap();
}

#[tokio::test]
async fn hostile_keys_on_the_built_in_endpoint_never_escape_and_always_list() {
    let (_dir, server) = serve_local().await;
    hostile_keys(&server.url()).await;
}

#[tokio::test]
async fn hostile_keys_on_moto_never_escape_and_always_list() {
    let moto = Moto::start();
    hostile_keys(&moto.endpoint).await;
}

/// Across two servers the bytes stream through Strata: a small object in one request, a
/// 20 MiB one in 16 MiB parts; both verified, and the move deletes its source.
#[tokio::test]
async fn copy_and_move_stream_between_moto_and_s3s_fs() {
    let (moto, s3s) = (Moto::start(), S3sFs::start().await);
    let (_home, engine) = engine();
    engine
        .profile_add(input("m", &moto.endpoint, ACCESS_KEY, SECRET_KEY))
        .await
        .unwrap();
    engine
        .profile_add(input("f", &s3s.endpoint, ACCESS_KEY, SECRET_KEY))
        .await
        .unwrap();
    let (from, to) = (
        sdk_client(&moto.endpoint, ACCESS_KEY, SECRET_KEY),
        sdk_client(&s3s.endpoint, ACCESS_KEY, SECRET_KEY),
    );
    from.create_bucket().bucket("src").send().await.unwrap();
    to.create_bucket().bucket("dst").send().await.unwrap();
    let big: Vec<u8> = (0..20 << 20).map(|i: u32| (i % 251) as u8).collect();
    let objects: BTreeMap<String, Vec<u8>> = [
        ("shoot/small.txt".to_string(), b"small".to_vec()),
        ("shoot/big.raw".to_string(), big.clone()),
    ]
    .into();
    put_all(&from, "src", &objects).await;

    let moved = engine
        .objects_copy(&at("m:src/shoot/"), &at("f:dst/"), true, &engine.new_job())
        .await
        .unwrap();
    assert_eq!(
        (moved.objects, moved.bytes, moved.moved),
        (2, 5 + (20 << 20), true)
    );
    let got = to
        .get_object()
        .bucket("dst")
        .key("shoot/big.raw")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        big.as_slice()
    );
    let left = from.list_objects_v2().bucket("src").send().await.unwrap();
    assert_eq!(
        left.key_count(),
        Some(0),
        "the sources left only after both copies verified"
    );
}

/// A move whose copy fails keeps its source: the copy request is refused by the proxy.
#[tokio::test]
async fn a_move_whose_copy_fails_keeps_its_source() {
    let (_dir, server) = serve_local().await;
    let client = sdk_client(&server.url(), ACCESS_KEY, SECRET_KEY);
    client.create_bucket().bucket("keep").send().await.unwrap();
    put_all(&client, "keep", &tree()).await;
    let proxy = FaultProxy::start(&server.url(), |head, _| {
        if head.headers.contains_key("x-amz-copy-source") {
            Fault::Fail(500)
        } else {
            Fault::Forward
        }
    })
    .await;
    let (_home, engine) = engine_for(&proxy.endpoint).await;
    let err = engine
        .objects_copy(
            &at("s:keep/photos/"),
            &at("s:keep/moved/"),
            true,
            &engine.new_job(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::S3);
    assert!(err.retryable());
    let still: Vec<String> = names(&engine, "keep", "photos/").await;
    assert_eq!(
        still,
        ["2026/", "c+d%.txt", "empty.bin", "\u{fc}n\u{ef}.txt"]
    );
    assert_eq!(
        names(&engine, "keep", "photos/2026/").await,
        ["a.jpg", "b b.jpg"]
    );
    let log = engine.activity_list(Some(1)).await.unwrap();
    assert_eq!(
        (log[0].action.as_str(), log[0].outcome.as_str()),
        ("move", "failed")
    );
}

/// A bucket's region is discovered once, then kept: later requests ask nothing more.
#[tokio::test]
async fn a_bucket_region_is_discovered_once_per_profile() {
    let (_dir, server) = serve_local().await;
    let client = sdk_client(&server.url(), ACCESS_KEY, SECRET_KEY);
    client
        .create_bucket()
        .bucket("unlisted")
        .send()
        .await
        .unwrap();
    let discovery = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = discovery.clone();
    let proxy = FaultProxy::start(&server.url(), move |head, _| {
        let query = head.uri.query().unwrap_or_default();
        let bucket_itself = head.uri.path().trim_end_matches('/') == "/unlisted";
        if head.method == "HEAD" && bucket_itself || query.contains("location") {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        Fault::Forward
    })
    .await;
    let (_home, engine) = engine_for(&proxy.endpoint).await;
    for _ in 0..3 {
        engine
            .object_list("s", "unlisted", "", false, None, None)
            .await
            .unwrap();
    }
    assert_eq!(discovery.load(std::sync::atomic::Ordering::SeqCst), 1);
}

/// Content type, cache-control, unicode metadata and tags change without touching the bytes.
async fn edit_in_place(endpoint: &str) {
    let client = sdk_client(endpoint, ACCESS_KEY, SECRET_KEY);
    client.create_bucket().bucket("edit").send().await.unwrap();
    client
        .put_object()
        .bucket("edit")
        .key("photo.jpg")
        .content_disposition("inline")
        .body(ByteStream::from_static(b"jpeg bytes"))
        .send()
        .await
        .unwrap();
    let (_home, engine) = engine_for(endpoint).await;
    let path = at("s:edit/photo.jpg");
    let edit = strata_core::objects::ObjectEdit {
        content_type: Some("image/jpeg".into()),
        cache_control: Some("max-age=3600".into()),
        metadata: vec![
            ("photographer".into(), "Jürgen Ögren".into()),
            ("shoot".into(), "wedding".into()),
        ],
    };
    let details = engine.object_edit(&path, edit).await.unwrap();
    assert_eq!(details.content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(details.cache_control.as_deref(), Some("max-age=3600"));
    assert_eq!(
        details.metadata,
        [
            ("photographer".to_string(), "Jürgen Ögren".to_string()),
            ("shoot".into(), "wedding".into())
        ]
    );
    let raw = client
        .head_object()
        .bucket("edit")
        .key("photo.jpg")
        .send()
        .await
        .unwrap();
    assert_eq!(
        raw.content_disposition(),
        Some("inline"),
        "other headers are kept"
    );
    assert!(
        raw.metadata().unwrap()["photographer"].starts_with("=?UTF-8?B?"),
        "sent as S3 clients send it"
    );
    let body = client
        .get_object()
        .bucket("edit")
        .key("photo.jpg")
        .send()
        .await
        .unwrap();
    assert_eq!(
        body.body.collect().await.unwrap().into_bytes().as_ref(),
        b"jpeg bytes"
    );

    let tags = vec![
        ("client".to_string(), "Smith".to_string()),
        ("year".into(), "2026".into()),
    ];
    engine.object_tags_set(&path, tags.clone()).await.unwrap();
    assert_eq!(engine.object_tags(&path).await.unwrap(), tags);
    let too_many: Vec<(String, String)> =
        (0..11).map(|i| (format!("k{i}"), String::new())).collect();
    assert_eq!(
        engine
            .object_tags_set(&path, too_many)
            .await
            .unwrap_err()
            .field,
        Some("tags")
    );
    engine.object_tags_set(&path, Vec::new()).await.unwrap();
    assert!(engine.object_tags(&path).await.unwrap().is_empty());
    let log = engine.activity_list(Some(3)).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, ["edit_tags", "edit_tags", "edit_metadata"]);
}

#[tokio::test]
async fn the_built_in_endpoint_edits_metadata_and_tags_in_place() {
    let (_dir, server) = serve_local().await;
    edit_in_place(&server.url()).await;
}

#[tokio::test]
async fn moto_edits_metadata_and_tags_in_place() {
    let moto = Moto::start();
    edit_in_place(&moto.endpoint).await;
}

fn photo(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut out)
        .encode_image(&image)
        .unwrap();
    out
}

/// Thumbnails of a real JPEG and of a RAW file made here (a TIFF-like header, an embedded
/// 1600×1067 JPEG preview, then 10 MiB of sensor data): the RAW is read by a ranged GET of its
/// first 4 MiB only, and a second request is served from the cache without a GET.
#[tokio::test]
async fn thumbnails_come_from_a_bounded_read_and_are_cached() {
    let (_dir, server) = serve_local().await;
    let client = sdk_client(&server.url(), ACCESS_KEY, SECRET_KEY);
    client.create_bucket().bucket("shoot").send().await.unwrap();
    let mut raw = b"II*\0\x08\0\0\0strata test raw".to_vec();
    raw.extend_from_slice(&photo(160, 120));
    raw.extend_from_slice(&photo(1600, 1067));
    raw.extend((0..10 << 20).map(|i: u32| (i % 253) as u8));
    let objects: BTreeMap<String, Vec<u8>> = [
        ("photo.jpg".to_string(), photo(2000, 1500)),
        ("IMG_0001.CR3".to_string(), raw),
        ("notes.txt".to_string(), b"text".to_vec()),
    ]
    .into();
    put_all(&client, "shoot", &objects).await;
    let gets = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = gets.clone();
    let proxy = FaultProxy::start(&server.url(), move |head, _| {
        if head.method == "GET" && head.uri.path().starts_with("/shoot/") {
            let range = head
                .headers
                .get("range")
                .map(|r| r.to_str().unwrap().to_string());
            seen.lock()
                .unwrap()
                .push(format!("{} {}", head.uri.path(), range.unwrap_or_default()));
        }
        Fault::Forward
    })
    .await;
    let (_home, engine) = engine_for(&proxy.endpoint).await;

    let jpeg = engine
        .object_thumbnail(&at("s:shoot/photo.jpg"))
        .await
        .unwrap();
    assert_eq!(
        (jpeg.width, jpeg.height, jpeg.mime.as_str()),
        (320, 240, "image/jpeg")
    );
    let raw = engine
        .object_thumbnail(&at("s:shoot/IMG_0001.CR3"))
        .await
        .unwrap();
    assert_eq!(
        (raw.width, raw.height),
        (320, 213),
        "the large preview, not the small one"
    );
    assert_eq!(
        *gets.lock().unwrap(),
        ["/shoot/photo.jpg ", "/shoot/IMG_0001.CR3 bytes=0-4194303"]
    );
    let again = engine
        .object_thumbnail(&at("s:shoot/IMG_0001.CR3"))
        .await
        .unwrap();
    assert_eq!(again.data, raw.data);
    assert_eq!(gets.lock().unwrap().len(), 2, "served from the cache");
    let none = engine
        .object_thumbnail(&at("s:shoot/notes.txt"))
        .await
        .unwrap_err();
    assert_eq!(none.field, Some("key"));
}

/// An object's public URL: in the profile's addressing style (moto serves it to anyone), or
/// under the public base URL the user set (a CDN); the setting leaves with the profile.
#[tokio::test]
async fn public_urls_follow_the_addressing_style_or_the_cdn_base() {
    let moto = Moto::start();
    let client = sdk_client(&moto.endpoint, ACCESS_KEY, SECRET_KEY);
    client.create_bucket().bucket("site").send().await.unwrap();
    client
        .put_object()
        .bucket("site")
        .key("img/a b+ü.jpg")
        .acl(aws_sdk_s3::types::ObjectCannedAcl::PublicRead)
        .body(ByteStream::from_static(b"public bytes"))
        .send()
        .await
        .unwrap();
    let (_home, engine) = engine_for(&moto.endpoint).await;
    let path = at("s:site/img/a b+ü.jpg");
    let url = engine.object_public_url(&path).await.unwrap();
    assert_eq!(
        url,
        format!("{}/site/img/a%20b%2B%C3%BC.jpg", moto.endpoint)
    );
    assert_eq!(
        http_request("GET", &url).await,
        (200, b"public bytes".to_vec())
    );

    engine
        .profile_public_base_set("s", Some("https://cdn.example.com/photos/".into()))
        .await
        .unwrap();
    assert_eq!(
        engine.object_public_url(&path).await.unwrap(),
        "https://cdn.example.com/photos/img/a%20b%2B%C3%BC.jpg"
    );
    let refused = engine
        .profile_public_base_set("s", Some("ftp://x".into()))
        .await
        .unwrap_err();
    assert_eq!(refused.field, Some("public_base_url"));
    engine.profile_remove("s").await.unwrap();
    engine
        .profile_add(input("s", &moto.endpoint, ACCESS_KEY, SECRET_KEY))
        .await
        .unwrap();
    assert_eq!(
        engine.profile_public_base("s").await.unwrap(),
        None,
        "a new profile starts without it"
    );
}

/// A folder's first page is kept after it is listed, and shown again without a request; only
/// the most recent few hundred folders are kept.
#[tokio::test]
async fn recently_listed_folders_are_kept_in_the_catalog() {
    let (_dir, server) = serve_local().await;
    let client = sdk_client(&server.url(), ACCESS_KEY, SECRET_KEY);
    client
        .create_bucket()
        .bucket("recent")
        .send()
        .await
        .unwrap();
    put_all(&client, "recent", &tree()).await;
    let (_home, engine) = engine_for(&server.url()).await;
    assert!(
        engine
            .object_list_recent("s", "recent", "photos/")
            .await
            .unwrap()
            .is_none()
    );
    let fresh = engine
        .object_list("s", "recent", "photos/", false, None, None)
        .await
        .unwrap();
    let kept = engine
        .object_list_recent("s", "recent", "photos/")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.entries, fresh.entries);
    for i in 0..310 {
        engine
            .object_list("s", "recent", &format!("none-{i:03}/"), false, None, None)
            .await
            .unwrap();
    }
    assert!(
        engine
            .object_list_recent("s", "recent", "photos/")
            .await
            .unwrap()
            .is_none(),
        "the oldest went"
    );
    assert!(
        engine
            .object_list_recent("s", "recent", "none-309/")
            .await
            .unwrap()
            .is_some()
    );
}

/// The app's download folder: the platform's until the user picks one; a picked folder is
/// remembered across engines (restarts), and one that is gone (an unplugged drive) is an error
/// with a way out rather than a folder made again on the disk it was mounted on.
#[tokio::test]
async fn the_chosen_download_folder_is_remembered_and_never_remade() {
    let (home, engine) = engine();
    assert_eq!(
        engine.download_folder().await.unwrap(),
        strata_core::home::downloads_folder()
    );
    let drive = tempfile::tempdir().unwrap();
    let chosen = drive.path().join("exports");
    std::fs::create_dir(&chosen).unwrap();
    let remembered = engine.set_download_folder(&chosen).await.unwrap();
    assert_eq!(remembered, chosen.canonicalize().unwrap());

    let restarted = Engine::open(strata_core::DataDir::at(home.path()).unwrap()).unwrap();
    assert_eq!(restarted.download_folder().await.unwrap(), remembered);

    std::fs::remove_dir(&chosen).unwrap();
    let gone = restarted.download_folder().await.unwrap_err();
    assert_eq!(gone.code, ErrorCode::NotFound);
    assert!(gone.message.contains("exports"), "{}", gone.message);
    assert!(!chosen.exists());

    let file = drive.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let refused = engine.set_download_folder(&file).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::InvalidInput);
    let missing = engine
        .set_download_folder(&drive.path().join("nowhere"))
        .await
        .unwrap_err();
    assert_eq!(missing.code, ErrorCode::Io);
}
