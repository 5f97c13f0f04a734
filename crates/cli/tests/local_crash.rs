//! Crash safety of the built-in endpoint: `strata serve-local` killed in the middle of a
//! PutObject and of a CompleteMultipartUpload, then restarted on the same folder.
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
