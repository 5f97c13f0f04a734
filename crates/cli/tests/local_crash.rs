//! Crash safety of the built-in endpoint: `strata serve-local` killed in the middle of a
//! PutObject and of a CompleteMultipartUpload, then restarted on the same folder; and several
//! processes serving one store at once, as the app, a CLI command and `serve-local` do.
//!
//! Two ways to crash: SIGKILL while a body is still arriving (a real kill at a point the test
//! waits for), and `STRATA_FAILPOINT`, which aborts the process between two named steps of a
//! commit (the bytes are in place, the index row not yet written): the window no timing can hit.

use std::path::Path;
use std::time::{Duration, Instant};

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use strata_testkit::{ServeLocal, count_files};

mod common;
use tokio::io::AsyncWriteExt;

const STRATA: &str = env!("CARGO_BIN_EXE_strata");

fn serve(home: &Path, dir: &Path, failpoint: Option<&str>) -> ServeLocal {
    let env: Vec<(&str, &str)> = failpoint
        .map(|f| ("STRATA_FAILPOINT", f))
        .into_iter()
        .collect();
    ServeLocal::spawn(STRATA, home, dir, &env)
}

/// What a fresh process finds: the blob files, and leftovers in tmp/ other than its own
/// writer's lock file and folder.
fn blobs(dir: &Path) -> usize {
    count_files(&dir.join("blobs"))
}

fn foreign_tmp_entries(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("tmp"))
        .unwrap()
        .count()
        .saturating_sub(2)
}

async fn missing(server: &ServeLocal, bucket: &str, key: &str) -> bool {
    match server
        .client()
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
    {
        Ok(_) => false,
        Err(e) => e.raw_response().is_some_and(|r| r.status().as_u16() == 404),
    }
}

#[tokio::test]
async fn a_put_killed_after_its_bytes_landed_leaves_no_object_and_no_bytes() {
    let (home, dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut server = serve(home.path(), dir.path(), Some("put:after-install"));
    server
        .client()
        .create_bucket()
        .bucket("photos")
        .send()
        .await
        .unwrap();
    let put = server
        .client()
        .put_object()
        .bucket("photos")
        .key("a.raw")
        .body(ByteStream::from_static(b"bytes"))
        .send()
        .await;
    assert!(put.is_err(), "the server died mid-request");
    assert!(!server.wait_for_exit().success());
    assert_eq!(blobs(dir.path()), 1, "the bytes were in place when it died");

    let restarted = serve(home.path(), dir.path(), None);
    assert!(
        missing(&restarted, "photos", "a.raw").await,
        "no index row was committed"
    );
    assert_eq!(
        blobs(dir.path()),
        0,
        "the orphaned bytes were removed at open"
    );
    assert_eq!(
        foreign_tmp_entries(dir.path()),
        0,
        "the dead writer's temporary folder is gone"
    );
    restarted
        .client()
        .put_object()
        .bucket("photos")
        .key("a.raw")
        .body(ByteStream::from_static(b"again"))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_complete_killed_midway_leaves_the_upload_whole_and_completable() {
    let (home, dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut server = serve(home.path(), dir.path(), Some("complete:before-commit"));
    let c = server.client();
    c.create_bucket().bucket("photos").send().await.unwrap();
    let id = c
        .create_multipart_upload()
        .bucket("photos")
        .key("shoot.tar")
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_string();
    let part = c
        .upload_part()
        .bucket("photos")
        .key("shoot.tar")
        .upload_id(&id)
        .part_number(1)
        .body(ByteStream::from_static(b"the only part"))
        .send()
        .await
        .unwrap();
    let parts = CompletedMultipartUpload::builder()
        .parts(
            CompletedPart::builder()
                .part_number(1)
                .e_tag(part.e_tag().unwrap())
                .build(),
        )
        .build();
    let complete = c
        .complete_multipart_upload()
        .bucket("photos")
        .key("shoot.tar")
        .upload_id(&id)
        .multipart_upload(parts.clone());
    assert!(complete.send().await.is_err());
    assert!(!server.wait_for_exit().success());

    let restarted = serve(home.path(), dir.path(), None);
    let c = restarted.client();
    assert!(missing(&restarted, "photos", "shoot.tar").await);
    let listed = c
        .list_parts()
        .bucket("photos")
        .key("shoot.tar")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.parts().len(), 1, "the upload and its part survived");
    assert_eq!(
        blobs(dir.path()),
        1,
        "only the part's bytes; the half-made object was removed"
    );
    c.complete_multipart_upload()
        .bucket("photos")
        .key("shoot.tar")
        .upload_id(&id)
        .multipart_upload(parts)
        .send()
        .await
        .unwrap();
    let body = c
        .get_object()
        .bucket("photos")
        .key("shoot.tar")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap();
    assert_eq!(body.to_vec(), b"the only part");
    assert_eq!(blobs(dir.path()), 1);
}

#[tokio::test]
async fn a_server_killed_while_a_body_arrives_recovers_cleanly() {
    let (home, dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut server = serve(home.path(), dir.path(), None);
    server
        .client()
        .create_bucket()
        .bucket("photos")
        .send()
        .await
        .unwrap();
    server
        .client()
        .put_object()
        .bucket("photos")
        .key("old.raw")
        .body(ByteStream::from_static(b"old"))
        .send()
        .await
        .unwrap();

    // A presigned PUT announcing 8 MiB, of which only the first 1 MiB is sent.
    let presigned = server
        .client()
        .put_object()
        .bucket("photos")
        .key("new.raw")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let url = presigned.uri().strip_prefix("http://").unwrap().to_string();
    let (host, path) = url.split_once('/').unwrap();
    let mut socket = tokio::net::TcpStream::connect(host).await.unwrap();
    let head = format!(
        "PUT /{path} HTTP/1.1\r\nhost: {host}\r\ncontent-length: {}\r\n\r\n",
        8 << 20
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&vec![1u8; 1 << 20]).await.unwrap();

    // Kill once the server is visibly writing the body to its temporary folder.
    let deadline = Instant::now() + Duration::from_secs(30);
    while count_files(&dir.path().join("tmp")) < 2 {
        assert!(
            Instant::now() < deadline,
            "the body never reached the server's temporary folder"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill();
    drop(socket);

    let restarted = serve(home.path(), dir.path(), None);
    assert!(missing(&restarted, "photos", "new.raw").await);
    let old = restarted
        .client()
        .get_object()
        .bucket("photos")
        .key("old.raw")
        .send()
        .await
        .unwrap();
    assert_eq!(
        old.body.collect().await.unwrap().to_vec(),
        b"old",
        "committed objects are untouched"
    );
    assert_eq!(
        foreign_tmp_entries(dir.path()),
        0,
        "the partial body was removed"
    );
    assert_eq!(blobs(dir.path()), 1);
    let err = restarted
        .client()
        .get_object()
        .bucket("photos")
        .key("new.raw")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.into_service_error().code(), Some("NoSuchKey"));
}

/// Bytes of one version of a file: `len` bytes that differ between `seed`s.
fn version(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| ((i as u32).wrapping_mul(2_654_435_761) >> 11) as u8 ^ seed)
        .collect()
}

/// What the embedded endpoint of a `strata` process logs when its store trips over another
/// process's: a busy index, a blob gone between its read and its link, any internal error.
fn tripped(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| {
            l.contains("database is locked")
                || l.contains("cannot place a blob")
                || l.contains("local endpoint:")
        })
        .collect()
}

#[tokio::test]
async fn processes_sharing_one_store_never_trip_over_each_other() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let made = common::strata(h, &["bucket", "mk", "local:shared"], None).await;
    assert_eq!(made.code, 0, "{}", made.stderr);
    // Two uploads, each a process with the store's endpoint in it...
    let mut folders = Vec::new();
    for name in ["a", "b"] {
        let folder = h.join(name);
        std::fs::create_dir(&folder).unwrap();
        for i in 0..150 {
            std::fs::write(folder.join(format!("{i}.jpg")), version(4096 + i, i as u8)).unwrap();
        }
        folders.push(folder);
    }
    // ...`serve-local` on the same store, through which another tool writes, lists, deletes
    // and replaces the object a third process copies again and again.
    let served = ServeLocal::on_data_folder(STRATA, &h.join("data"));
    let client = served.client();
    let versions: Vec<Vec<u8>> = (0..8).map(|seed| version(3 << 20, seed)).collect();
    let put_version = |seed: usize| {
        client
            .put_object()
            .bucket("shared")
            .key("src.bin")
            .body(ByteStream::from(versions[seed].clone()))
            .send()
    };
    put_version(0).await.unwrap();

    let upload = |folder: &Path| {
        let args = [
            "put".to_string(),
            folder.display().to_string(),
            "local:shared/".into(),
        ];
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            common::strata(h, &args, None).await
        }
    };
    let other_tool = async {
        for i in 0..120usize {
            let key = format!("c/{i}");
            client
                .put_object()
                .bucket("shared")
                .key(&key)
                .body(ByteStream::from(version(1000, i as u8)))
                .send()
                .await
                .unwrap();
            client
                .list_objects_v2()
                .bucket("shared")
                .prefix("c/")
                .send()
                .await
                .unwrap();
            client
                .delete_object()
                .bucket("shared")
                .key(&key)
                .send()
                .await
                .unwrap();
            if i % 15 == 0 {
                put_version(i / 15 % versions.len()).await.unwrap();
            }
        }
    };
    let copies = async {
        let mut runs = Vec::new();
        for n in 0..10 {
            let target = format!("local:shared/copies/{n}.bin");
            runs.push(
                common::strata(h, &["--json", "cp", "local:shared/src.bin", &target], None).await,
            );
        }
        runs
    };
    let (a, b, (), copies) =
        tokio::join!(upload(&folders[0]), upload(&folders[1]), other_tool, copies);

    for (put, name) in [(&a, "a"), (&b, "b")] {
        assert_eq!(put.code, 0, "upload {name}: {}", put.stderr);
        assert_eq!(tripped(&put.stderr), Vec::<&str>::new(), "upload {name}");
    }
    for (n, cp) in copies.iter().enumerate() {
        assert!(
            cp.code == 0 || cp.stdout.contains("was replaced while it was being copied"),
            "copy {n}: {}",
            cp.stdout
        );
        assert_eq!(tripped(&cp.stderr), Vec::<&str>::new(), "copy {n}");
        if cp.code == 0 {
            let copy = client
                .get_object()
                .bucket("shared")
                .key(format!("copies/{n}.bin"))
                .send()
                .await
                .unwrap();
            let bytes = copy.body.collect().await.unwrap().into_bytes();
            assert!(
                versions.iter().any(|v| *v == bytes),
                "copy {n} is one whole version"
            );
        }
    }
    for (name, folder) in ["a", "b"].iter().zip(&folders) {
        let listed = client
            .list_objects_v2()
            .bucket("shared")
            .prefix(format!("{name}/"))
            .send()
            .await
            .unwrap();
        assert_eq!(listed.key_count(), Some(150), "every file of {name}");
        for object in listed.contents() {
            let file = folder.join(
                object
                    .key()
                    .unwrap()
                    .trim_start_matches(&format!("{name}/")),
            );
            assert_eq!(
                object.size(),
                Some(std::fs::metadata(file).unwrap().len() as i64)
            );
        }
    }
    let left = client
        .list_objects_v2()
        .bucket("shared")
        .prefix("c/")
        .send()
        .await
        .unwrap();
    assert_eq!(left.key_count(), Some(0), "every delete held");
}
