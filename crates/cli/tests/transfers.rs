//! `strata put | transfers | uploads` as people and scripts use them, against the built-in
//! endpoint (`strata serve-local`, a process of its own) behind a proxy that slows parts
//! down: a real SIGKILL and a real Ctrl-C (SIGINT) mid-upload, then `strata transfers resume`
//! in a new process.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{add, interrupt, spawn, strata, strata_env};
use strata_testkit::{Fault, FaultProxy, ServeLocal};
use tokio::io::{AsyncBufReadExt, BufReader};

const MIB: usize = 1024 * 1024;

fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i % 251) as u8 ^ (i / 4096) as u8)
        .collect()
}

/// The built-in endpoint on a folder of its own, behind a proxy that holds every part for
/// 300 ms; a profile `m` for the proxy, and a bucket `shoot`.
struct Server {
    served: ServeLocal,
    /// Part uploads the proxy forwarded.
    parts_sent: Arc<AtomicUsize>,
    _proxy: FaultProxy,
    _folders: (tempfile::TempDir, tempfile::TempDir),
}

async fn setup(home: &Path) -> Server {
    let folders = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let served = ServeLocal::spawn(
        env!("CARGO_BIN_EXE_strata"),
        folders.0.path(),
        folders.1.path(),
        &[],
    );
    served
        .client()
        .create_bucket()
        .bucket("shoot")
        .send()
        .await
        .unwrap();
    let parts_sent = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&parts_sent);
    let proxy = FaultProxy::start(&served.endpoint, move |head, _| {
        let part = head.uri.query().is_some_and(|q| q.contains("partNumber="));
        if part && head.method == "PUT" {
            counted.fetch_add(1, Ordering::SeqCst);
        }
        if part {
            Fault::DelayMs(300)
        } else {
            Fault::Forward
        }
    })
    .await;
    assert_eq!(
        add(
            home,
            "m",
            &proxy.endpoint,
            &served.access_key_id,
            &served.secret
        )
        .await
        .code,
        0
    );
    Server {
        served,
        parts_sent,
        _proxy: proxy,
        _folders: folders,
    }
}

/// Starts `strata --json put FILE m:shoot/` and returns it once at least `bytes` were sent.
async fn put_until(home: &Path, file: &Path, bytes: u64) -> tokio::process::Child {
    let file = file.to_str().unwrap();
    run_until(home, &["put", file, "m:shoot/"], bytes).await
}

/// Starts `strata --json ARGS...` and returns it once a transfer moved at least `bytes`.
async fn run_until(home: &Path, args: &[&str], bytes: u64) -> tokio::process::Child {
    let args: Vec<&str> = std::iter::once("--json")
        .chain(args.iter().copied())
        .collect();
    let mut child = spawn(home, &args);
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let within = std::time::Duration::from_secs(60);
    loop {
        let line = tokio::time::timeout(within, lines.next_line())
            .await
            .unwrap()
            .unwrap()
            .expect("the transfer ended before moving enough");
        let Ok(event) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if event["kind"] == "job_progress" && event["bytes"].as_u64() >= Some(bytes) {
            // Keep draining stderr so the child never blocks on a full pipe.
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return child;
        }
    }
}

async fn object(server: &Server, key: &str) -> Vec<u8> {
    server
        .served
        .client()
        .get_object()
        .bucket("shoot")
        .key(key)
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .to_vec()
}

fn states(listed: &serde_json::Value) -> Vec<&str> {
    listed
        .as_array()
        .unwrap()
        .iter()
        .map(|job| job["state"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn an_upload_killed_with_sigkill_is_resumed_by_the_next_process() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let server = setup(h).await;
    let file = h.join("wedding.mov");
    std::fs::write(&file, pattern(40 * MIB + 7)).unwrap();

    let mut put = put_until(h, &file, 16 * MIB as u64).await;
    put.kill().await.unwrap();
    let listed = strata(h, &["--json", "transfers", "list"], None).await;
    assert_eq!(
        states(&listed.json()),
        ["running"],
        "left behind as running"
    );

    let resumed = strata(h, &["--json", "transfers", "resume"], None).await;
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    assert_eq!(resumed.json()["files"], 1);
    assert!(object(&server, "wedding.mov").await == std::fs::read(&file).unwrap());
    let listed = strata(h, &["--json", "transfers", "list"], None).await;
    assert_eq!(states(&listed.json()), ["done"]);
    let open = strata(h, &["--json", "uploads", "ls", "m:shoot"], None).await;
    assert_eq!(open.json(), serde_json::json!([]));
}

#[tokio::test]
async fn an_upload_stopped_right_after_complete_finishes_without_sending_a_part_again() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let server = setup(h).await;
    let file = h.join("final.mov");
    let data = pattern(24 * MIB + 5);
    std::fs::write(&file, &data).unwrap();
    let args = ["--json", "put", file.to_str().unwrap(), "m:shoot/"];
    let crashed = strata_env(
        h,
        &args,
        None,
        &[("STRATA_FAILPOINT", "upload:after-complete")],
    )
    .await;
    assert_ne!(crashed.code, 0, "stopped at the failpoint");
    assert!(
        object(&server, "final.mov").await == data,
        "the Complete landed"
    );
    let listed = strata(h, &["--json", "transfers", "list"], None).await;
    assert_eq!(states(&listed.json()), ["running"], "not recorded as done");

    let sent = server.parts_sent.load(Ordering::SeqCst);
    let resumed = strata(h, &["--json", "transfers", "resume"], None).await;
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    assert_eq!(resumed.json()["files"], 1);
    assert_eq!(
        server.parts_sent.load(Ordering::SeqCst),
        sent,
        "no part sent again"
    );
    assert!(object(&server, "final.mov").await == data);
    let listed = strata(h, &["--json", "transfers", "list"], None).await;
    assert_eq!(states(&listed.json()), ["done"]);
}

#[tokio::test]
async fn a_download_killed_with_sigkill_is_resumed_by_the_next_process() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let server = setup(h).await;
    let file = h.join("wedding.mov");
    let data = pattern(40 * MIB + 7);
    std::fs::write(&file, &data).unwrap();
    let put = strata(h, &["put", file.to_str().unwrap(), "m:shoot/"], None).await;
    assert_eq!(put.code, 0, "{}", put.stderr);
    let out = h.join("out");
    std::fs::create_dir(&out).unwrap();

    let mut get = run_until(
        h,
        &["get", "m:shoot/wedding.mov", out.to_str().unwrap()],
        8 * MIB as u64,
    )
    .await;
    get.kill().await.unwrap();
    let listed = strata(h, &["--json", "transfers", "list"], None).await;
    assert_eq!(
        states(&listed.json()),
        ["running", "done"],
        "the download left behind as running"
    );
    assert!(
        !out.join("wedding.mov").exists(),
        "no half file under the final name"
    );

    let resumed = strata(h, &["--json", "transfers", "resume"], None).await;
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    assert!(std::fs::read(out.join("wedding.mov")).unwrap() == data);
    let left: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
    assert_eq!(left.len(), 1, "no temporary file left");
    drop(server);
}

#[tokio::test]
async fn ctrl_c_pauses_the_upload_and_says_how_to_go_on() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let server = setup(h).await;
    let file = h.join("export.tif");
    std::fs::write(&file, pattern(40 * MIB)).unwrap();

    let put = put_until(h, &file, 8 * MIB as u64).await;
    interrupt(&put);
    let out = put.wait_with_output().await.unwrap();
    assert_eq!(out.status.code(), Some(1));
    let said: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(said["error"]["code"], "cancelled");
    assert!(
        said["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Paused 1 transfer")
    );
    assert_eq!(said["error"]["hint"], "Go on with: strata transfers resume");

    let listed = strata(h, &["--json", "transfers", "list"], None).await;
    assert_eq!(states(&listed.json()), ["paused"]);
    let open = strata(h, &["--json", "uploads", "ls", "m:shoot"], None).await;
    let job = listed.json()[0]["id"].clone();
    assert_eq!(
        open.json()[0]["job"],
        job,
        "the paused upload's parts are kept, owned"
    );

    let resumed = strata(h, &["--json", "transfers", "resume"], None).await;
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    assert!(object(&server, "export.tif").await == std::fs::read(&file).unwrap());
}

#[tokio::test]
async fn open_uploads_are_listed_with_their_size_and_aborted_on_request() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let server = setup(h).await;
    let client = server.served.client();
    let upload = client
        .create_multipart_upload()
        .bucket("shoot")
        .key("orphan.bin")
        .send()
        .await
        .unwrap();
    client
        .upload_part()
        .bucket("shoot")
        .key("orphan.bin")
        .upload_id(upload.upload_id().unwrap())
        .part_number(1)
        .body(pattern(5 * MIB).into())
        .send()
        .await
        .unwrap();

    let open = strata(h, &["--json", "uploads", "ls", "m:shoot"], None).await;
    assert_eq!(open.code, 0, "{}", open.stderr);
    let row = &open.json()[0];
    assert_eq!(
        (&row["key"], &row["parts"], &row["bytes"], &row["job"]),
        (
            &serde_json::json!("orphan.bin"),
            &serde_json::json!(1),
            &serde_json::json!(5 * MIB),
            &serde_json::Value::Null
        )
    );
    let human = strata(h, &["uploads", "ls", "m:shoot"], None).await;
    assert!(human.stdout.contains("orphan.bin"), "{}", human.stdout);

    let aborted = strata(
        h,
        &["--json", "uploads", "abort", "m:shoot/orphan.bin"],
        None,
    )
    .await;
    assert_eq!(aborted.json()["aborted"], 1);
    let open = strata(h, &["--json", "uploads", "ls", "m:shoot"], None).await;
    assert_eq!(open.json(), serde_json::json!([]));
    let again = strata(
        h,
        &["--json", "uploads", "abort", "m:shoot/orphan.bin"],
        None,
    )
    .await;
    assert_eq!(again.code, 1);
    assert_eq!(again.json()["error"]["code"], "no_such_upload");

    let refused = strata(
        h,
        &["--json", "put", "--part-size", "3MiB", "x", "m:shoot/"],
        None,
    )
    .await;
    assert_eq!(refused.code, 2);
    assert_eq!(refused.json()["error"]["code"], "invalid_input");
}

/// What has no end or no size is refused by name, never uploaded as an empty object.
#[tokio::test]
async fn put_refuses_devices_pipes_and_files_that_report_no_size() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let server = setup(h).await;
    let pipe = h.join("camera.pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&pipe)
        .status()
        .unwrap();
    assert!(made.success());
    let pipe = pipe.display().to_string();
    for (source, said) in [
        ("/proc/self/status", "makes up as it is read"),
        ("/dev/zero", "is a device"),
        (pipe.as_str(), "is a named pipe"),
    ] {
        let put = strata(h, &["--json", "put", source, "m:shoot/"], None).await;
        assert_eq!(put.code, 1, "{source}: {}", put.stdout);
        let message = put.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(message.contains(said), "{source}: {message}");
    }
    let listed = server
        .served
        .client()
        .list_objects_v2()
        .bucket("shoot")
        .send()
        .await
        .unwrap();
    assert!(listed.contents().is_empty(), "nothing was uploaded");
}

/// A 5 MiB file system mounted for one test (root mounts it, as `.ci/run` runs), unmounted
/// when dropped.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(at: &Path) -> Self {
        std::fs::create_dir_all(at).unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=5m", "tmpfs"])
            .arg(at)
            .status()
            .unwrap();
        assert!(
            mounted.success(),
            "this test mounts a 5 MiB tmpfs to fill it: run the tests as root, as .ci/run does"
        );
        Self(at.to_path_buf())
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

/// A download onto a disk too small for it fails saying the disk is full and how much it
/// needs; the bytes fetched wait for a resume, and a cancel removes them.
#[tokio::test]
async fn a_download_onto_a_full_disk_says_what_it_needs_and_a_cancel_frees_the_space() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let server = setup(h).await;
    server
        .served
        .client()
        .put_object()
        .bucket("shoot")
        .key("big.bin")
        .body(pattern(20 * MIB).into())
        .send()
        .await
        .unwrap();
    let disk = SmallDisk::mount(&h.join("disk"));
    let into = disk.0.to_str().unwrap();

    let get = strata(h, &["--json", "get", "m:shoot/big.bin", into], None).await;
    assert_eq!(get.code, 1, "{}", get.stdout);
    let error = &get.json()["error"];
    assert_eq!(error["code"], "disk_full", "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("is full"), "{message}");
    assert!(message.contains("more"), "says what it needs: {message}");
    let hint = error["hint"].as_str().unwrap();
    assert!(hint.contains("Cancel"), "{hint}");
    let left: Vec<String> = std::fs::read_dir(&disk.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        left.len() == 1 && left[0].starts_with(".big.bin.strata-"),
        "the partial file waits for a resume: {left:?}"
    );

    let listed = strata(h, &["--json", "transfers", "list"], None).await;
    let job = listed.json()[0]["id"].as_u64().unwrap().to_string();
    let cancelled = strata(h, &["--json", "transfers", "cancel", &job], None).await;
    assert_eq!(cancelled.code, 0, "{}", cancelled.stdout);
    assert_eq!(
        std::fs::read_dir(&disk.0).unwrap().count(),
        0,
        "the cancel freed the disk"
    );
}

#[tokio::test]
async fn a_job_stopped_by_a_bug_ends_failed_and_its_retry_lands() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let server = setup(h).await;
    let file = h.join("bug.mov");
    let data = pattern(MIB + 3);
    std::fs::write(&file, &data).unwrap();
    // A panic in the job's task stands in for a bug.
    let args = ["--json", "put", file.to_str().unwrap(), "m:shoot/"];
    let bug = [("STRATA_FAILPOINT", "panic@job:running")];
    let put = strata_env(h, &args, None, &bug).await;
    assert_eq!(put.code, 1, "{}", put.stdout);
    assert_eq!(put.json()["error"]["code"], "internal", "{}", put.stdout);
    let listed = strata(h, &["--json", "transfers", "list"], None).await;
    assert_eq!(states(&listed.json()), ["failed"], "not left running");
    let id = listed.json()[0]["id"].to_string();

    let retried = strata(h, &["--json", "transfers", "retry", &id], None).await;
    assert_eq!(retried.code, 0, "{}", retried.stdout);
    assert!(object(&server, "bug.mov").await == data);
    let listed = strata(h, &["--json", "transfers", "list"], None).await;
    assert_eq!(states(&listed.json()), ["done"]);
}
