//! Sync against real parts: the built-in endpoint, moto and s3s-fs on 127.0.0.1, real folders,
//! a real catalog. The scenarios in `sync_scenarios/` (an initial folder, an initial bucket,
//! then changes, syncs and the bucket each should leave) run on all three servers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod common;

use common::{WITHIN, ends, serve_local};
use serde_json::Value;
use strata_core::jobs::JobState;
use strata_core::sync::{Resolution, SyncPairInput, SyncPairPatch, SyncSettings};
use strata_core::{DataDir, Engine};
use strata_testkit::{
    ACCESS_KEY, Fault, FaultProxy, Moto, S3sFs, SECRET_KEY, create_buckets, put_in_parts,
    sdk_client,
};

const BUCKET: &str = "synced";
const PREFIX: &str = "pair/";

/// The objects under the pair's prefix, by key below it, with their bytes as text.
async fn remote_state(endpoint: &str) -> BTreeMap<String, String> {
    let client = sdk_client(endpoint, ACCESS_KEY, SECRET_KEY);
    let mut state = BTreeMap::new();
    let listed = client
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix(PREFIX)
        .send()
        .await
        .unwrap();
    for object in listed.contents() {
        let key = object.key().unwrap();
        let body = client
            .get_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .unwrap();
        let bytes = body.body.collect().await.unwrap().to_vec();
        state.insert(
            key.strip_prefix(PREFIX).unwrap().to_string(),
            String::from_utf8(bytes).unwrap(),
        );
    }
    state
}

async fn remote_put(endpoint: &str, key: &str, text: &str) {
    sdk_client(endpoint, ACCESS_KEY, SECRET_KEY)
        .put_object()
        .bucket(BUCKET)
        .key(format!("{PREFIX}{key}"))
        .body(text.as_bytes().to_vec().into())
        .send()
        .await
        .unwrap();
}

fn write_files(root: &Path, files: &serde_json::Map<String, Value>) {
    for (path, text) in files {
        let file = root.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, text.as_str().unwrap()).unwrap();
    }
}

/// Whether `pattern` (a key where `*` stands for any run of characters) matches `key`.
fn key_matches(pattern: &str, key: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == key,
        Some((head, tail)) => {
            key.len() >= head.len() + tail.len() && key.starts_with(head) && key.ends_with(tail)
        }
    }
}

fn assert_remote(
    scenario: &str,
    step: usize,
    expected: &serde_json::Map<String, Value>,
    actual: &BTreeMap<String, String>,
) {
    let mut left: Vec<(&String, &String)> = actual.iter().collect();
    for (pattern, text) in expected {
        let at = left
            .iter()
            .position(|(key, body)| key_matches(pattern, key) && *body == text.as_str().unwrap());
        let Some(at) = at else {
            panic!("{scenario}, step {step}: no object {pattern:?} = {text} in {actual:#?}");
        };
        left.remove(at);
    }
    assert!(
        left.is_empty(),
        "{scenario}, step {step}: unexpected objects {left:?}"
    );
}

/// Runs one scenario file against the server at `endpoint`.
async fn run_scenario(file: &Path, endpoint: &str) {
    let name = file.file_stem().unwrap().to_string_lossy().to_string();
    let scenario: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let client = sdk_client(endpoint, ACCESS_KEY, SECRET_KEY);
    // A bucket per scenario, emptied of what an earlier scenario left.
    let _ = client.create_bucket().bucket(BUCKET).send().await;
    for (key, _) in remote_state(endpoint).await {
        client
            .delete_object()
            .bucket(BUCKET)
            .key(format!("{PREFIX}{key}"))
            .send()
            .await
            .unwrap();
    }
    let (home, mut engine) = common::engine_for(endpoint).await;
    let base = tempfile::tempdir().unwrap();
    let folder = base.path().join("Export Ünï");
    std::fs::create_dir_all(&folder).unwrap();
    write_files(&folder, scenario["local"].as_object().unwrap());
    for (key, text) in scenario["remote"].as_object().into_iter().flatten() {
        remote_put(endpoint, key, text.as_str().unwrap()).await;
    }
    engine
        .sync_settings_set(SyncSettings {
            settle_ms: scenario["settle_ms"].as_u64().unwrap_or(0) as u32,
            ..SyncSettings::default()
        })
        .await
        .unwrap();
    let extra: Vec<String> = scenario["ignore"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    let mut ignore = strata_core::sync::default_ignores();
    ignore.extend(extra);
    let pair = engine
        .sync_add(SyncPairInput {
            local: folder.display().to_string(),
            remote: format!("p:{BUCKET}/{PREFIX}"),
            mirror_deletes: scenario["mirror_deletes"].as_bool().unwrap_or(false),
            ignore: Some(ignore),
        })
        .await
        .unwrap();
    let hidden = base.path().join("unmounted");
    for (step, action) in scenario["steps"].as_array().unwrap().iter().enumerate() {
        let (verb, arg) = action.as_object().unwrap().iter().next().unwrap();
        match verb.as_str() {
            "sync" => {
                let mut events = engine.events();
                let full = arg["full"].as_bool().unwrap_or(false);
                let job = engine.sync_start(pair.id, full).await.unwrap();
                let ended = ends(&mut events, &[job]).await;
                let now = engine.sync_get(pair.id).await.unwrap();
                let status = arg["status"].as_str().unwrap_or("");
                if !status.is_empty() {
                    assert_eq!(now.status, status, "{name}, step {step}: {now:?}");
                    continue;
                }
                assert_eq!(
                    ended[&job].0,
                    JobState::Done,
                    "{name}, step {step}: {:?}",
                    ended[&job].1
                );
                let report = now.last_run.clone().unwrap();
                assert_eq!(report.failed, 0, "{name}, step {step}: {report:?}");
                let counts = [
                    ("upload", report.uploaded),
                    ("move", report.moved),
                    ("delete", report.deleted),
                    ("conflict", report.conflicts),
                    ("already_there", report.already_there),
                    ("waiting", report.waiting),
                    ("kept", report.kept),
                    ("unreadable", report.unreadable),
                ];
                for (what, count) in counts {
                    let expected = arg[what].as_u64().unwrap_or(0) as u32;
                    assert_eq!(count, expected, "{name}, step {step}: {what} in {report:?}");
                }
                if let Some(requests) = arg["requests"].as_u64() {
                    assert_eq!(u64::from(report.requests), requests, "{name}, step {step}");
                }
            }
            "write" => {
                // A write in the same clock tick as the last one still changes the mtime.
                std::thread::sleep(std::time::Duration::from_millis(5));
                write_files(&folder, arg.as_object().unwrap());
            }
            "stamp" => {
                // Whole-second times, as a camera card's files have.
                for (path, secs) in arg.as_object().unwrap() {
                    let at = std::time::UNIX_EPOCH
                        + std::time::Duration::from_secs(secs.as_u64().unwrap());
                    std::fs::File::options()
                        .write(true)
                        .open(folder.join(path))
                        .unwrap()
                        .set_modified(at)
                        .unwrap();
                }
            }
            "symlink" => {
                for (link, to) in arg.as_object().unwrap() {
                    std::os::unix::fs::symlink(to.as_str().unwrap(), folder.join(link)).unwrap();
                }
            }
            "fifo" => {
                for path in arg.as_array().unwrap() {
                    let made = std::process::Command::new("mkfifo")
                        .arg(folder.join(path.as_str().unwrap()))
                        .status()
                        .unwrap();
                    assert!(made.success());
                }
            }
            "write_unnamed" => {
                // `café.txt` in Latin-1: a name that is not UTF-8.
                use std::os::unix::ffi::OsStrExt;
                let name = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
                std::fs::write(folder.join(name), arg.as_str().unwrap()).unwrap();
            }
            "swap_for_folder" => {
                // A file replaced by a folder of the same name, with a file in it.
                for (path, text) in arg.as_object().unwrap() {
                    let at = folder.join(path);
                    std::fs::remove_file(&at).unwrap();
                    std::fs::create_dir(&at).unwrap();
                    std::fs::write(at.join("inner.txt"), text.as_str().unwrap()).unwrap();
                }
            }
            "remove" => {
                for path in arg.as_array().unwrap() {
                    std::fs::remove_file(folder.join(path.as_str().unwrap())).unwrap();
                }
            }
            "rename" => {
                for (from, to) in arg.as_object().unwrap() {
                    let to = folder.join(to.as_str().unwrap());
                    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
                    std::fs::rename(folder.join(from), to).unwrap();
                }
            }
            "remote_put" => {
                for (key, text) in arg.as_object().unwrap() {
                    remote_put(endpoint, key, text.as_str().unwrap()).await;
                }
            }
            "remote_remove" => {
                for key in arg.as_array().unwrap() {
                    client
                        .delete_object()
                        .bucket(BUCKET)
                        .key(format!("{PREFIX}{}", key.as_str().unwrap()))
                        .send()
                        .await
                        .unwrap();
                }
            }
            "expect_remote" => {
                assert_remote(
                    &name,
                    step,
                    arg.as_object().unwrap(),
                    &remote_state(endpoint).await,
                );
            }
            "expect_conflicts" => {
                let now = engine.sync_get(pair.id).await.unwrap();
                assert_eq!(
                    u64::from(now.conflicts),
                    arg.as_u64().unwrap(),
                    "{name}, step {step}"
                );
            }
            "mirror_deletes" => {
                let patch = SyncPairPatch {
                    mirror_deletes: arg.as_bool(),
                    ..SyncPairPatch::default()
                };
                engine.sync_edit(pair.id, patch).await.unwrap();
            }
            "resolve" => {
                let resolution = match arg.as_str().unwrap() {
                    "use_mine" => Resolution::UseMine,
                    _ => Resolution::KeepBoth,
                };
                for conflict in engine.sync_conflicts(pair.id).await.unwrap() {
                    engine
                        .sync_conflict_resolve(conflict.id, resolution)
                        .await
                        .unwrap();
                }
            }
            "hide_folder" => std::fs::rename(&folder, &hidden).unwrap(),
            "restore_folder" => std::fs::rename(&hidden, &folder).unwrap(),
            "sleep_ms" => {
                tokio::time::sleep(std::time::Duration::from_millis(arg.as_u64().unwrap())).await
            }
            "restart" => {
                drop(engine);
                engine = Engine::open(DataDir::at(home.path()).unwrap()).unwrap();
            }
            other => panic!("{name}: unknown step {other}"),
        }
    }
}

fn scenarios() -> Vec<PathBuf> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sync_scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "the scenarios are there");
    files
}

async fn all_scenarios(endpoint: &str) {
    for file in scenarios() {
        run_scenario(&file, endpoint).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenarios_on_the_built_in_endpoint() {
    let (_dir, server) = serve_local().await;
    all_scenarios(&server.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenarios_on_moto() {
    let moto = Moto::start();
    all_scenarios(&moto.endpoint).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenarios_on_s3s_fs() {
    let s3s = S3sFs::start().await;
    all_scenarios(&s3s.endpoint).await;
}

/// The built-in endpoint with the pair's bucket.
async fn served_with_bucket() -> (tempfile::TempDir, strata_core::local::LocalEndpoint) {
    let (dir, server) = serve_local().await;
    create_buckets(&server.url(), ACCESS_KEY, SECRET_KEY, &[BUCKET]).await;
    (dir, server)
}

/// A pair of `folder` (settling at once) with `p:synced/pair/` on an engine at `endpoint`.
async fn pair_on(engine: &Engine, folder: &Path) -> u32 {
    common::settle_at_once(engine).await;
    engine
        .sync_add(SyncPairInput {
            local: folder.display().to_string(),
            remote: format!("p:{BUCKET}/{PREFIX}"),
            mirror_deletes: false,
            ignore: None,
        })
        .await
        .unwrap()
        .id
}

/// Runs a sync of `pair` to its end and returns its numbers.
async fn sync_once(engine: &Engine, pair: u32) -> strata_core::sync::SyncReport {
    let mut events = engine.events();
    let job = engine.sync_start(pair, false).await.unwrap();
    let ended = ends(&mut events, &[job]).await;
    assert_eq!(ended[&job].0, JobState::Done, "{:?}", ended[&job].1);
    engine.sync_get(pair).await.unwrap().last_run.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_of_10000_unchanged_files_makes_no_request() {
    let (_dir, server) = served_with_bucket().await;
    let proxy = FaultProxy::start(&server.url(), |_, _| Fault::Forward).await;
    let (home, engine) = common::engine_for(&proxy.endpoint).await;
    let folder = tempfile::tempdir().unwrap();
    for n in 0..10_000 {
        let file = folder.path().join(format!("{:03}/{n}.txt", n % 100));
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, n.to_string()).unwrap();
    }
    let pair = pair_on(&engine, folder.path()).await;
    let first = sync_once(&engine, pair).await;
    assert_eq!((first.uploaded, first.failed), (10_000, 0));
    // The index is in the catalog: a restarted engine knows the folder is unchanged.
    drop(engine);
    let engine = Engine::open(DataDir::at(home.path()).unwrap()).unwrap();
    let before = proxy.requests();
    let again = sync_once(&engine, pair).await;
    assert_eq!(
        (again.unchanged, again.uploaded, again.requests),
        (10_000, 0, 0)
    );
    assert_eq!(
        proxy.requests(),
        before,
        "not one request reached the server"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_half_way_finishes_after_the_restart() {
    let (_dir, server) = served_with_bucket().await;
    // Each upload takes a while, so the process dies with some done and some not.
    let proxy = FaultProxy::start(&server.url(), |head, _| {
        if head.method == "PUT" {
            Fault::DelayMs(150)
        } else {
            Fault::Forward
        }
    })
    .await;
    let (home, engine) = common::engine_for(&proxy.endpoint).await;
    let folder = tempfile::tempdir().unwrap();
    let files: BTreeMap<String, String> = (0..40)
        .map(|n| {
            (
                format!("shoot/IMG_{n:04}.jpg"),
                format!("photo {n}").repeat(n + 1),
            )
        })
        .collect();
    for (path, text) in &files {
        let file = folder.path().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    let pair = pair_on(&engine, folder.path()).await;
    drop(engine);
    common::then_die(home.path(), move |dying| async move {
        let mut events = dying.events();
        dying.sync_start(pair, false).await.unwrap();
        let mut done = 0;
        while done < 5 {
            let event = tokio::time::timeout(WITHIN, events.recv())
                .await
                .unwrap()
                .unwrap();
            if let strata_core::jobs::Event::JobState {
                job_kind,
                state: JobState::Done,
                ..
            } = event
                && job_kind == "upload"
            {
                done += 1;
            }
        }
    })
    .await;
    let partial = remote_state(&server.url()).await;
    assert!(
        partial.len() < files.len(),
        "it died half-way: {}",
        partial.len()
    );
    // The next start resumes what was left running, as the app does, then syncs again.
    let engine = Engine::open(DataDir::at(home.path()).unwrap()).unwrap();
    let resumed = engine.jobs_resume_unfinished().await.unwrap();
    assert!(
        !resumed.is_empty(),
        "the sync and its uploads were left running"
    );
    let report = sync_once(&engine, pair).await;
    assert_eq!(report.failed, 0, "{report:?}");
    let expected: BTreeMap<String, String> = files.into_iter().collect();
    assert_eq!(
        remote_state(&server.url()).await,
        expected,
        "every file whole, none extra"
    );
    let now = engine.sync_get(pair).await.unwrap();
    assert_eq!((now.files, now.status.as_str()), (40, "idle"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pair_another_process_is_syncing_is_left_to_it() {
    let (_dir, server) = served_with_bucket().await;
    let (home, engine) = common::engine_for(&server.url()).await;
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("a.txt"), "a").unwrap();
    let pair = pair_on(&engine, folder.path()).await;
    // Another process's run holds the pair's lock file (an open file description of its own).
    let locks = home.path().join("sync");
    std::fs::create_dir_all(&locks).unwrap();
    let held = std::fs::File::create(locks.join(format!("pair-{pair}.run.lock"))).unwrap();
    held.lock().unwrap();
    let mut events = engine.events();
    let job = engine.sync_start(pair, false).await.unwrap();
    let ended = ends(&mut events, &[job]).await;
    let (state, error) = &ended[&job];
    assert_eq!(*state, JobState::Failed);
    assert_eq!(error.as_ref().unwrap().code, strata_core::ErrorCode::InUse);
    assert_eq!(engine.sync_get(pair).await.unwrap().status, "busy");
    assert!(
        remote_state(&server.url()).await.is_empty(),
        "nothing was sent"
    );
    drop(held);
    assert_eq!(sync_once(&engine, pair).await.uploaded, 1);
}

/// A run whose upload the server refused is no success: the rest goes up, and the job ends
/// failed with the refusal, as the pair's status does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_with_a_refused_upload_ends_failed_with_the_reason() {
    let (_dir, server) = served_with_bucket().await;
    let proxy = FaultProxy::start(&server.url(), |head, _| {
        if head.method == "PUT" && head.uri.path().ends_with("/refused.txt") {
            Fault::Refuse
        } else {
            Fault::Forward
        }
    })
    .await;
    let (_home, engine) = common::engine_for(&proxy.endpoint).await;
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("fine.txt"), "fine").unwrap();
    std::fs::write(folder.path().join("refused.txt"), "refused").unwrap();
    let pair = pair_on(&engine, folder.path()).await;
    let mut events = engine.events();
    let job = engine.sync_start(pair, false).await.unwrap();
    let (state, error) = ends(&mut events, &[job]).await.remove(&job).unwrap();
    assert_eq!(state, JobState::Failed);
    let error = error.unwrap();
    assert_eq!(
        error.code,
        strata_core::ErrorCode::AccessDenied,
        "{error:?}"
    );
    assert!(
        error.message.starts_with("1 of the sync's files failed"),
        "{}",
        error.message
    );
    let now = engine.sync_get(pair).await.unwrap();
    assert_eq!(now.status, "failed");
    assert_eq!(now.last_run.unwrap().uploaded, 1);
    assert_eq!(
        remote_state(&server.url()).await,
        BTreeMap::from([("fine.txt".to_string(), "fine".to_string())])
    );
}

/// A file deleted here, whose object another tool rewrites between the plan and the delete:
/// the delete names the ETag the index recorded, so the new version stays on the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mirrored_delete_keeps_an_object_rewritten_since_the_plan() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let (_dir, server) = served_with_bucket().await;
    let delete_waits = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&delete_waits);
    let proxy = FaultProxy::start(&server.url(), move |head, _| {
        if head.method == "POST" && head.uri.query() == Some("delete") {
            seen.store(true, Ordering::SeqCst);
            return Fault::DelayMs(2000);
        }
        Fault::Forward
    })
    .await;
    let (_home, engine) = common::engine_for(&proxy.endpoint).await;
    common::settle_at_once(&engine).await;
    let folder = tempfile::tempdir().unwrap();
    for name in ["gone.txt", "edited-elsewhere.txt"] {
        std::fs::write(folder.path().join(name), "first").unwrap();
    }
    let pair = engine
        .sync_add(SyncPairInput {
            local: folder.path().display().to_string(),
            remote: format!("p:{BUCKET}/{PREFIX}"),
            mirror_deletes: true,
            ignore: None,
        })
        .await
        .unwrap()
        .id;
    assert_eq!(sync_once(&engine, pair).await.uploaded, 2);

    for name in ["gone.txt", "edited-elsewhere.txt"] {
        std::fs::remove_file(folder.path().join(name)).unwrap();
    }
    let rewrite = async {
        while !delete_waits.load(Ordering::SeqCst) {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        remote_put(
            &server.url(),
            "edited-elsewhere.txt",
            "second laptop's edit",
        )
        .await;
    };
    let (report, ()) = tokio::join!(sync_once(&engine, pair), rewrite);
    assert_eq!(report.deleted, 1, "{report:?}");
    assert_eq!(
        remote_state(&server.url()).await,
        BTreeMap::from([(
            "edited-elsewhere.txt".to_string(),
            "second laptop's edit".to_string()
        )])
    );
    // The next run sees the new version and keeps it too.
    let plan = engine.sync_plan(pair, None).await.unwrap();
    let kept: Vec<_> = plan
        .items
        .iter()
        .map(|i| (i.path.as_str(), i.action))
        .collect();
    assert_eq!(
        kept,
        [("edited-elsewhere.txt", strata_core::sync::PlanAction::Kept)]
    );
}

/// Files changed here whose objects another tool rewrites while their uploads are on the way
/// (a single PUT, and a multipart upload's Complete): the uploads name what the plan saw, so
/// the other tool's versions stay; the next run keeps both sides.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_never_overwrites_an_object_rewritten_since_the_plan() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let (_dir, server) = served_with_bucket().await;
    let waiting = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&waiting);
    let proxy = FaultProxy::start(&server.url(), move |head, _| {
        let path = head.uri.path();
        let query = head.uri.query().unwrap_or_default();
        let small_put = head.method == "PUT" && path.ends_with("/small.txt");
        let big_complete =
            head.method == "POST" && path.ends_with("/big.raw") && query.starts_with("uploadId=");
        if small_put || big_complete {
            seen.fetch_add(1, Ordering::SeqCst);
            return Fault::DelayMs(2000);
        }
        Fault::Forward
    })
    .await;
    let (_home, engine) = common::engine_for(&server.url()).await;
    let folder = tempfile::tempdir().unwrap();
    let pair = pair_on(&engine, folder.path()).await;
    std::fs::write(folder.path().join("small.txt"), "first").unwrap();
    // Text, so the bucket's state reads as text; 17 MiB goes up in parts.
    let big = |line: &str| line.repeat(17 * common::MIB / line.len() + 1);
    std::fs::write(folder.path().join("big.raw"), big("first big\n")).unwrap();
    assert_eq!(sync_once(&engine, pair).await.uploaded, 2);

    // The next runs go through the proxy.
    engine
        .profile_edit(
            "p",
            strata_core::profile::ProfilePatch {
                endpoint: Some(proxy.endpoint.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    std::fs::write(folder.path().join("small.txt"), "edited here").unwrap();
    std::fs::write(folder.path().join("big.raw"), big("edited big\n")).unwrap();
    let rewrite = async {
        while waiting.load(Ordering::SeqCst) < 2 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        remote_put(&server.url(), "small.txt", "other tool").await;
        remote_put(&server.url(), "big.raw", "other tool, big").await;
    };
    let mut events = engine.events();
    let job = engine.sync_start(pair, false).await.unwrap();
    let jobs = [job];
    let (ended, ()) = tokio::join!(ends(&mut events, &jobs), rewrite);
    let (state, error) = &ended[&job];
    assert_eq!(*state, JobState::Failed);
    let message = &error.as_ref().unwrap().message;
    assert!(
        message.contains("changed on the server after the sync looked"),
        "{message}"
    );
    let there = remote_state(&server.url()).await;
    assert_eq!(there["small.txt"], "other tool");
    assert_eq!(there["big.raw"], "other tool, big");
    let open = sdk_client(&server.url(), ACCESS_KEY, SECRET_KEY)
        .list_multipart_uploads()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    assert!(
        open.uploads().is_empty(),
        "the refused upload's parts were aborted"
    );

    // Both changed since the last sync: the next run keeps both, as a conflict.
    let report = sync_once(&engine, pair).await;
    assert_eq!(report.conflicts, 2, "{report:?}");
    let there = remote_state(&server.url()).await;
    assert_eq!(there["small.txt"], "other tool");
    assert!(there.values().any(|v| v == "edited here"), "{there:?}");
}

/// A first sync onto an object another tool uploaded in parts of another size: its ETag proves
/// nothing (no part size Strata would pick makes it), its whole-object CRC64NVME, which the
/// built-in endpoint keeps as S3 does, proves the bytes the same: linked, not sent again, no
/// conflict. The same holds for an object whose ETag is opaque (encrypted with KMS).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sync_links_an_object_whose_checksum_matches_whatever_its_part_size() {
    let (_dir, server) = served_with_bucket().await;
    let take = common::pattern(12 * common::MIB, 3);
    let client = sdk_client(&server.url(), ACCESS_KEY, SECRET_KEY);
    put_in_parts(
        &client,
        BUCKET,
        &format!("{PREFIX}take.mov"),
        &take,
        5 * common::MIB,
    )
    .await;
    let (_home, engine) = common::engine_for(&server.url()).await;
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("take.mov"), &take).unwrap();
    let pair = pair_on(&engine, folder.path()).await;
    let report = sync_once(&engine, pair).await;
    assert_eq!(
        (report.uploaded, report.conflicts),
        (0, 0),
        "linked, not sent again: {report:?}"
    );
    let listed = client
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix(PREFIX)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.key_count(), Some(1), "no conflict copy");
    // The index knows it now: the next run asks the server nothing.
    assert_eq!(sync_once(&engine, pair).await.requests, 0);
}
