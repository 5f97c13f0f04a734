//! Project archiving against real parts: the built-in endpoint, moto and s3s-fs on
//! 127.0.0.1, a real catalog. A project of a few hundred objects goes to another bucket and
//! to a colder class, comes back byte for byte, survives a kill, and stops before any delete
//! when a copy is lost or altered on the way.

use std::collections::BTreeMap;

mod common;

use common::{WITHIN, ends, engine_for, input, serve_local};
use strata_core::archive::{ArchiveTarget, LifecycleRule, ProjectState, RestoreRequest, Tier};
use strata_core::jobs::{Event, JobState};
use strata_core::remote::RemotePath;
use strata_core::{DataDir, Engine, ErrorCode};
use strata_testkit::{
    ACCESS_KEY, Fault, FaultProxy, Moto, S3sFs, SECRET_KEY, create_buckets, sdk_client,
};

const PROJECT: &str = "clients/2026/wedding-smith/";

/// A project's files: key below the project → bytes, with an empty file, a unicode name and
/// nested folders among them.
fn project_files(count: usize) -> BTreeMap<String, Vec<u8>> {
    let mut files: BTreeMap<String, Vec<u8>> = (0..count)
        .map(|i| {
            (
                format!("raw/IMG_{i:04}.CR3"),
                common::pattern(1 + (i * 37) % 3000, i as u8),
            )
        })
        .collect();
    files.insert("empty.txt".into(), Vec::new());
    files.insert("notes/ü ñ brief.txt".into(), "the brief".into());
    files
}

async fn put_all(endpoint: &str, bucket: &str, prefix: &str, files: &BTreeMap<String, Vec<u8>>) {
    let client = sdk_client(endpoint, ACCESS_KEY, SECRET_KEY);
    for (key, bytes) in files {
        client
            .put_object()
            .bucket(bucket)
            .key(format!("{prefix}{key}"))
            .body(bytes.clone().into())
            .send()
            .await
            .unwrap();
    }
}

/// Every object under `prefix` (key below it → storage class), the manifest left out.
async fn classes(endpoint: &str, bucket: &str, prefix: &str) -> BTreeMap<String, String> {
    let client = sdk_client(endpoint, ACCESS_KEY, SECRET_KEY);
    let mut found = BTreeMap::new();
    let mut token = None;
    loop {
        let page = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_continuation_token(token)
            .send()
            .await
            .unwrap();
        for object in page.contents() {
            let key = object.key().unwrap().strip_prefix(prefix).unwrap();
            if key != ".strata-manifest.json" {
                let class = object.storage_class().map_or("STANDARD", |c| c.as_str());
                found.insert(key.to_string(), class.to_string());
            }
        }
        match page.next_continuation_token() {
            Some(next) if page.is_truncated() == Some(true) => token = Some(next.to_string()),
            _ => return found,
        }
    }
}

/// Every object's bytes under `prefix`, the manifest left out.
async fn contents(endpoint: &str, bucket: &str, prefix: &str) -> BTreeMap<String, Vec<u8>> {
    let client = sdk_client(endpoint, ACCESS_KEY, SECRET_KEY);
    let mut found = BTreeMap::new();
    for key in classes(endpoint, bucket, prefix).await.into_keys() {
        let object = client
            .get_object()
            .bucket(bucket)
            .key(format!("{prefix}{key}"))
            .send()
            .await
            .unwrap();
        found.insert(key, object.body.collect().await.unwrap().to_vec());
    }
    found
}

async fn manifest(endpoint: &str, bucket: &str, prefix: &str) -> serde_json::Value {
    let object = sdk_client(endpoint, ACCESS_KEY, SECRET_KEY)
        .get_object()
        .bucket(bucket)
        .key(format!("{prefix}.strata-manifest.json"))
        .send()
        .await
        .unwrap();
    serde_json::from_slice(&object.body.collect().await.unwrap().to_vec()).unwrap()
}

/// An engine with profile `p` on `endpoint`, the `buckets`, and a project of `count` files
/// under [`PROJECT`] in the first of them.
async fn with_project(
    endpoint: &str,
    buckets: &[&str],
    count: usize,
) -> (tempfile::TempDir, Engine, BTreeMap<String, Vec<u8>>) {
    let (home, engine) = engine_for(endpoint).await;
    create_buckets(endpoint, ACCESS_KEY, SECRET_KEY, buckets).await;
    let files = project_files(count);
    put_all(endpoint, buckets[0], PROJECT, &files).await;
    (home, engine, files)
}

/// Archives `source` to `target` and waits for the job, which must end well; the project.
async fn archived(
    engine: &Engine,
    source: &RemotePath,
    target: &ArchiveTarget,
) -> strata_core::archive::Project {
    let started = engine.archive_start(source, target).await.unwrap();
    assert_eq!(
        run_to_end(engine, started.job).await,
        (JobState::Done, None)
    );
    engine.archive_get(started.project.id).await.unwrap()
}

/// Asserts the manifest lists exactly `files`, with their sizes and the archived copies'
/// ETags.
async fn assert_manifest(
    endpoint: &str,
    bucket: &str,
    prefix: &str,
    source: &str,
    files: &BTreeMap<String, Vec<u8>>,
) {
    let manifest = manifest(endpoint, bucket, prefix).await;
    assert_eq!(manifest["source"], source);
    assert_eq!(manifest["objects"], files.len());
    let entries = manifest["entries"].as_array().unwrap();
    let listed: BTreeMap<String, u64> = entries
        .iter()
        .map(|e| {
            (
                e["key"].as_str().unwrap().to_string(),
                e["size"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected: BTreeMap<String, u64> = files
        .iter()
        .map(|(k, v)| (k.clone(), v.len() as u64))
        .collect();
    assert_eq!(listed, expected);
    assert!(
        entries.iter().all(|e| e["etag"].is_string()),
        "every entry has a checksum"
    );
}

async fn run_to_end(engine: &Engine, job: u32) -> (JobState, Option<strata_core::Error>) {
    let mut events = engine.events();
    let now = engine.job_get(job).await.unwrap();
    if !matches!(now.state, JobState::Queued | JobState::Running) {
        return (now.state, now.error);
    }
    ends(&mut events, &[job]).await.remove(&job).unwrap()
}

fn path(text: &str) -> RemotePath {
    RemotePath::parse(text).unwrap()
}

fn to(target: &str) -> ArchiveTarget {
    ArchiveTarget {
        to: Some(target.into()),
        class: None,
    }
}

fn class(class: &str) -> ArchiveTarget {
    ArchiveTarget {
        to: None,
        class: Some(class.into()),
    }
}

const COPY_BACK: RestoreRequest = RestoreRequest {
    tier: Tier::Expedited,
    days: 1,
    copy_back: true,
};

/// Archives a project to another bucket, verifies it, restores it.
async fn to_another_bucket(endpoint: &str) {
    let (_home, engine, files) = with_project(endpoint, &["hot", "cold"], 300).await;

    let source = format!("p:hot/{PROJECT}");
    let project = archived(&engine, &path(&source), &to("p:cold/archive")).await;
    assert_eq!(
        engine.archive_target("p").await.unwrap(),
        Some(to("p:cold/archive")),
        "offered for the profile's next project"
    );

    let archived_at = format!("archive/hot/{PROJECT}");
    assert_eq!(project.state, ProjectState::Archived);
    assert_eq!(project.location, format!("p:cold/{archived_at}"));
    assert_eq!(project.objects as usize, files.len());
    assert_eq!(
        project.bytes,
        files.values().map(|v| v.len() as u64).sum::<u64>()
    );
    assert!(
        classes(endpoint, "hot", PROJECT).await.is_empty(),
        "sources deleted"
    );
    assert_eq!(contents(endpoint, "cold", &archived_at).await, files);
    assert_manifest(endpoint, "cold", &archived_at, &source, &files).await;

    let report = engine
        .archive_verify(project.id, &engine.new_job())
        .await
        .unwrap();
    assert!(report.intact(), "{report:?}");
    assert_eq!(report.matched as usize, files.len());

    let restore = engine
        .restore_start(Some(project.id), None, COPY_BACK)
        .await
        .unwrap();
    assert_eq!(run_to_end(&engine, restore).await, (JobState::Done, None));
    assert_eq!(
        contents(endpoint, "hot", PROJECT).await,
        files,
        "every byte is back"
    );
    let restored = engine.archive_get(project.id).await.unwrap();
    assert_eq!(restored.state, ProjectState::Restored);
    assert!(restored.restored_at.is_some());
    assert_eq!(
        restored.archived_at, project.archived_at,
        "the archive keeps its date"
    );

    newer_work_survives_a_restore(endpoint, &engine, &files).await;

    let logged: Vec<String> = engine
        .activity_list(None)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    for step in ["archive", "manifest", "delete", "verify", "copy_back"] {
        assert!(
            logged.iter().any(|a| a == step),
            "{step} logged: {logged:?}"
        );
    }
}

/// The restored project is archived again; a new file is then written at one of its keys. The
/// next restore keeps the new file, says so first, and puts the archived one beside it.
async fn newer_work_survives_a_restore(
    endpoint: &str,
    engine: &Engine,
    files: &BTreeMap<String, Vec<u8>>,
) {
    let source = format!("p:hot/{PROJECT}");
    let again = archived(engine, &path(&source), &to("p:cold/second")).await;
    let newer = "notes/ü ñ brief.txt";
    let mut now = BTreeMap::from([(newer.to_string(), b"new work 1".to_vec())]);
    put_all(endpoint, "hot", PROJECT, &now).await;

    let preview = engine
        .restore_preview(Some(again.id), None, &engine.new_job())
        .await
        .unwrap();
    assert_eq!(preview.kept_beside, vec![newer.to_string()]);
    let restore = engine
        .restore_start(Some(again.id), None, COPY_BACK)
        .await
        .unwrap();
    assert_eq!(run_to_end(engine, restore).await, (JobState::Done, None));

    let mut back = contents(endpoint, "hot", PROJECT).await;
    assert_eq!(
        back.remove(newer),
        now.remove(newer),
        "the new work is kept"
    );
    let beside: Vec<String> = back
        .keys()
        .filter(|k| k.starts_with("notes/ü ñ brief (conflict "))
        .cloned()
        .collect();
    assert_eq!(beside.len(), 1, "the archived copy beside it: {back:?}");
    assert_eq!(back.remove(&beside[0]), files.get(newer).cloned());
    let mut others = files.clone();
    others.remove(newer);
    assert_eq!(back, others, "every other byte is back");
    let restored = engine.archive_get(again.id).await.unwrap();
    assert!(
        restored
            .detail
            .as_deref()
            .is_some_and(|n| n.contains("1 object(s)")),
        "{:?}",
        restored.detail
    );
}

/// Archives a project in place to GLACIER: unreadable until restored, then back to STANDARD.
async fn to_glacier_in_place(endpoint: &str) {
    let (_home, engine, files) = with_project(endpoint, &["shelf"], 60).await;

    let project = archived(
        &engine,
        &path(&format!("p:shelf/{PROJECT}")),
        &class("glacier"),
    )
    .await;
    let stored = classes(endpoint, "shelf", PROJECT).await;
    assert_eq!(stored.len(), files.len());
    assert!(stored.values().all(|c| c == "GLACIER"), "{stored:?}");
    assert_manifest(
        endpoint,
        "shelf",
        PROJECT,
        &format!("p:shelf/{PROJECT}"),
        &files,
    )
    .await;
    let refused = sdk_client(endpoint, ACCESS_KEY, SECRET_KEY)
        .get_object()
        .bucket("shelf")
        .key(format!("{PROJECT}raw/IMG_0001.CR3"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&refused),
        Some("InvalidObjectState")
    );

    let preview = engine
        .restore_preview(Some(project.id), None, &engine.new_job())
        .await
        .unwrap();
    assert_eq!(preview.archived_objects as usize, files.len());
    assert_eq!(preview.coldest.as_deref(), Some("GLACIER"));
    assert!(preview.waits.iter().all(|w| w.wait.is_some()));

    let restore = engine
        .restore_start(Some(project.id), None, COPY_BACK)
        .await
        .unwrap();
    assert_eq!(run_to_end(&engine, restore).await, (JobState::Done, None));
    let stored = classes(endpoint, "shelf", PROJECT).await;
    assert!(stored.values().all(|c| c == "STANDARD"), "{stored:?}");
    assert_eq!(contents(endpoint, "shelf", PROJECT).await, files);

    // Archived again, colder: the project takes the class asked for now.
    let colder = archived(
        &engine,
        &path(&format!("p:shelf/{PROJECT}")),
        &class("DEEP_ARCHIVE"),
    )
    .await;
    assert_eq!(colder.id, project.id);
    assert_eq!(colder.class.as_deref(), Some("DEEP_ARCHIVE"));
    let stored = classes(endpoint, "shelf", PROJECT).await;
    assert!(stored.values().all(|c| c == "DEEP_ARCHIVE"), "{stored:?}");
}

/// Strata's lifecycle rules are written beside a rule it did not write, which stays as it was.
async fn lifecycle_keeps_foreign_rules(endpoint: &str) {
    use aws_sdk_s3::types::{
        BucketLifecycleConfiguration, ExpirationStatus, LifecycleExpiration,
        LifecycleRule as SdkRule, LifecycleRuleFilter,
    };
    let (_home, engine) = engine_for(endpoint).await;
    create_buckets(endpoint, ACCESS_KEY, SECRET_KEY, &["ruled"]).await;
    let client = sdk_client(endpoint, ACCESS_KEY, SECRET_KEY);
    let foreign = SdkRule::builder()
        .id("logs-expire")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("logs/").build())
        .expiration(LifecycleExpiration::builder().days(365).build())
        .build()
        .unwrap();
    client
        .put_bucket_lifecycle_configuration()
        .bucket("ruled")
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(foreign.clone())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let bucket = path("p:ruled");
    let before = engine.lifecycle_get(&bucket).await.unwrap();
    assert_eq!(before.rules.len(), 1);
    assert!(!before.rules[0].managed);

    let mine = LifecycleRule {
        managed: true,
        enabled: true,
        prefix: "clients/".into(),
        transition_days: Some(30),
        transition_class: Some("GLACIER".into()),
        expire_incomplete_uploads_days: Some(7),
        ..LifecycleRule::default()
    };
    // The foreign rule, sent back changed, is kept as the server had it.
    let mut edited_foreign = before.rules[0].clone();
    edited_foreign.prefix = "everything/".into();
    let after = engine
        .lifecycle_set(&bucket, &[edited_foreign, mine.clone()])
        .await
        .unwrap();
    assert_eq!(after.rules.len(), 2, "{after:?}");
    let written = after.rules.iter().find(|r| r.managed).unwrap();
    assert_eq!(written.id, "strata-1");
    assert_eq!(written.prefix, "clients/");
    assert_eq!(written.transition_days, Some(30));
    assert_eq!(written.transition_class.as_deref(), Some("GLACIER"));
    assert_eq!(written.expire_incomplete_uploads_days, Some(7));
    let on_server = client
        .get_bucket_lifecycle_configuration()
        .bucket("ruled")
        .send()
        .await
        .unwrap();
    let kept = on_server
        .rules()
        .iter()
        .find(|r| r.id() == Some("logs-expire"))
        .unwrap();
    assert_eq!(kept.filter().and_then(|f| f.prefix()), Some("logs/"));
    assert_eq!(kept.expiration().and_then(|e| e.days()), Some(365));

    // Removing Strata's rules leaves the foreign one alone.
    let cleared = engine.lifecycle_set(&bucket, &[]).await.unwrap();
    assert_eq!(cleared.rules.len(), 1);
    assert_eq!(cleared.rules[0].id, "logs-expire");

    let invalid = LifecycleRule {
        transition_class: None,
        ..mine
    };
    let refused = engine.lifecycle_set(&bucket, &[invalid]).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::InvalidInput);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archives_on_the_built_in_endpoint() {
    let (_dir, server) = serve_local().await;
    to_another_bucket(&server.url()).await;
    to_glacier_in_place(&server.url()).await;
    lifecycle_keeps_foreign_rules(&server.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archives_on_moto() {
    let moto = Moto::start();
    to_another_bucket(&moto.endpoint).await;
    to_glacier_in_place(&moto.endpoint).await;
    lifecycle_keeps_foreign_rules(&moto.endpoint).await;
}

/// s3s-fs has buckets but no storage classes and no lifecycle rules: a bucket archive works,
/// a class archive stops with a clear error and loses nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archives_on_s3s_fs_and_says_what_it_lacks() {
    let s3s = S3sFs::start().await;
    to_another_bucket(&s3s.endpoint).await;

    let (_home, engine, files) = with_project(&s3s.endpoint, &["flat"], 20).await;
    let started = engine
        .archive_start(&path(&format!("p:flat/{PROJECT}")), &class("GLACIER"))
        .await
        .unwrap();
    let (state, error) = run_to_end(&engine, started.job).await;
    assert_eq!(state, JobState::Failed);
    let error = error.unwrap();
    assert_eq!(error.code, ErrorCode::Unsupported, "{error:?}");
    assert!(error.message.contains("GLACIER"), "{}", error.message);
    assert_eq!(contents(&s3s.endpoint, "flat", PROJECT).await, files);
    let project = engine.archive_get(started.project.id).await.unwrap();
    assert_eq!(project.state, ProjectState::Hot);

    let refused = engine.lifecycle_get(&path("p:flat")).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::Unsupported, "{refused:?}");
}

/// Killed half-way through the copies, the archive goes on at the next start and ends as
/// if nothing happened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_archive_resumes() {
    let (_dir, server) = serve_local().await;
    let endpoint = server.url();
    let (home, engine, files) = with_project(&endpoint, &["hot", "cold"], 200).await;

    let project = common::then_die(home.path(), |dying| async move {
        let mut events = dying.events();
        let started = dying
            .archive_start(&path(&format!("p:hot/{PROJECT}")), &to("p:cold"))
            .await
            .unwrap();
        loop {
            let event = tokio::time::timeout(WITHIN, events.recv()).await.unwrap().unwrap();
            if matches!(event, Event::JobProgress { job, done, .. } if job == started.job && done >= 40)
            {
                return started.project.id;
            }
        }
    })
    .await;
    let archived_at = format!("hot/{PROJECT}");
    let copied = classes(&endpoint, "cold", &archived_at).await.len();
    assert!(
        copied >= 40 && copied < files.len(),
        "{copied} copied before the kill"
    );
    assert_eq!(
        contents(&endpoint, "hot", PROJECT).await,
        files,
        "no source deleted yet"
    );

    let mut events = engine.events();
    let resumed = engine.jobs_resume_unfinished().await.unwrap();
    assert_eq!(resumed.len(), 1);
    let ended = ends(&mut events, &resumed).await;
    assert_eq!(ended[&resumed[0]], (JobState::Done, None));
    assert!(classes(&endpoint, "hot", PROJECT).await.is_empty());
    assert_eq!(contents(&endpoint, "cold", &archived_at).await, files);
    assert_manifest(
        &endpoint,
        "cold",
        &archived_at,
        &format!("p:hot/{PROJECT}"),
        &files,
    )
    .await;
    let project = engine.archive_get(project).await.unwrap();
    assert_eq!(project.state, ProjectState::Archived);
    drop(Engine::open(DataDir::at(home.path()).unwrap()).unwrap());
}

/// A copy the server acknowledged and lost, or one whose bytes were altered on the way,
/// stops the archive before any source is deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_or_corrupted_copy_deletes_nothing() {
    let (_dir, server) = serve_local().await;
    let endpoint = server.url();
    create_buckets(&endpoint, ACCESS_KEY, SECRET_KEY, &["hot", "cold"]).await;
    let files = project_files(120);
    put_all(&endpoint, "hot", PROJECT, &files).await;

    let losing = FaultProxy::start(&endpoint, |req, _| {
        if req.method == hyper::Method::PUT && req.uri.path().contains("IMG_0100") {
            Fault::Lose
        } else {
            Fault::Forward
        }
    })
    .await;
    let corrupting = FaultProxy::start(&endpoint, |req, _| {
        if req.method == hyper::Method::GET && req.uri.path().contains("IMG_0050") {
            Fault::Corrupt
        } else {
            Fault::Forward
        }
    })
    .await;
    let (_home, engine) = engine_for(&losing.endpoint).await;
    engine
        .profile_add(input("direct", &endpoint, ACCESS_KEY, SECRET_KEY))
        .await
        .unwrap();
    engine
        .profile_add(input(
            "altering",
            &corrupting.endpoint,
            ACCESS_KEY,
            SECRET_KEY,
        ))
        .await
        .unwrap();

    // Lost: the server said yes to the copy of IMG_0100 and kept nothing.
    let lost = (format!("p:hot/{PROJECT}"), "p:cold/lost");
    fails_before_any_delete(&engine, (&lost.0, lost.1), "missing", &endpoint, &files).await;
    // Altered: across profiles the bytes pass through Strata, and IMG_0050's arrive changed.
    let altered = (format!("altering:hot/{PROJECT}"), "direct:cold/altered");
    fails_before_any_delete(
        &engine,
        (&altered.0, altered.1),
        "differ",
        &endpoint,
        &files,
    )
    .await;
}

/// Archives `source` to `target`, which must fail saying `why`, with every source intact.
async fn fails_before_any_delete(
    engine: &Engine,
    (source, target): (&str, &str),
    why: &str,
    endpoint: &str,
    files: &BTreeMap<String, Vec<u8>>,
) {
    let started = engine
        .archive_start(&path(source), &to(target))
        .await
        .unwrap();
    let (state, error) = run_to_end(engine, started.job).await;
    assert_eq!(state, JobState::Failed);
    let message = error.unwrap().message;
    assert!(
        message.contains(why) && message.contains("no source was deleted"),
        "{message}"
    );
    assert_eq!(&contents(endpoint, "hot", PROJECT).await, files);
    assert_eq!(
        engine.archive_get(started.project.id).await.unwrap().state,
        ProjectState::Hot
    );
}

/// Verification names every archived object that went missing or changed since.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_finds_missing_and_changed_objects() {
    let (_dir, server) = serve_local().await;
    let endpoint = server.url();
    let (_home, engine, files) = with_project(&endpoint, &["hot", "cold"], 30).await;
    let project = archived(&engine, &path(&format!("p:hot/{PROJECT}")), &to("p:cold")).await;

    let archived_at = format!("hot/{PROJECT}");
    let client = sdk_client(&endpoint, ACCESS_KEY, SECRET_KEY);
    client
        .delete_object()
        .bucket("cold")
        .key(format!("{archived_at}raw/IMG_0003.CR3"))
        .send()
        .await
        .unwrap();
    client
        .put_object()
        .bucket("cold")
        .key(format!("{archived_at}raw/IMG_0004.CR3"))
        .body(b"not the photo".to_vec().into())
        .send()
        .await
        .unwrap();
    let report = engine
        .archive_verify(project.id, &engine.new_job())
        .await
        .unwrap();
    assert!(!report.intact());
    assert_eq!(report.missing, ["raw/IMG_0003.CR3"]);
    assert_eq!(report.changed.len(), 1);
    assert_eq!(report.changed[0].key, "raw/IMG_0004.CR3");
    assert_eq!(report.changed[0].size, 13);
    assert_eq!(report.matched as usize, files.len() - 2);
    let detail = engine
        .archive_get(project.id)
        .await
        .unwrap()
        .detail
        .unwrap();
    assert!(
        detail.contains("1 of 32 objects missing, 1 changed"),
        "{detail}"
    );

    // Archiving onto a prefix that holds someone else's objects is refused.
    put_all(&endpoint, "hot", "other/", &project_files(1)).await;
    put_all(&endpoint, "cold", "elsewhere/hot/other/", &project_files(1)).await;
    let taken = engine
        .archive_start(&path("p:hot/other/"), &to("p:cold/elsewhere"))
        .await
        .unwrap_err();
    assert_eq!(taken.code, ErrorCode::AlreadyExists);
}

/// A synced folder's archived project is not uploaded again by the next sync: a pair around
/// it ignores it from then on, a pair inside it is paused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_pairs_leave_an_archived_project_alone() {
    use strata_core::sync::SyncPairInput;
    let (_dir, server) = serve_local().await;
    let endpoint = server.url();
    let (_home, engine) = engine_for(&endpoint).await;
    create_buckets(&endpoint, ACCESS_KEY, SECRET_KEY, &["hot", "cold"]).await;
    common::settle_at_once(&engine).await;
    let folders = tempfile::tempdir().unwrap();
    let clients = folders.path().join("Clients");
    let shoot = clients.join("2026/wedding-smith/raw");
    std::fs::create_dir_all(&shoot).unwrap();
    std::fs::write(shoot.join("IMG_0001.CR3"), "raw").unwrap();
    std::fs::write(clients.join("invoice.pdf"), "pdf").unwrap();
    let pair = |folder: &std::path::Path, remote: &str| {
        engine.sync_add(SyncPairInput {
            local: folder.display().to_string(),
            remote: remote.into(),
            mirror_deletes: false,
            ignore: None,
        })
    };
    let around = pair(&clients, "p:hot/clients/").await.unwrap();
    let inside = pair(&shoot, "p:hot/clients/2026/wedding-smith/raw/")
        .await
        .unwrap();
    for pair in [around.id, inside.id] {
        let job = engine.sync_start(pair, false).await.unwrap();
        assert_eq!(run_to_end(&engine, job).await.0, JobState::Done);
    }

    let project = archived(&engine, &path(&format!("p:hot/{PROJECT}")), &to("p:cold")).await;
    let detail = project.detail.unwrap();
    assert!(
        detail.contains("now ignores /2026/wedding-smith/") && detail.contains("paused"),
        "{detail}"
    );
    assert!(!engine.sync_get(inside.id).await.unwrap().active);

    let job = engine.sync_start(around.id, true).await.unwrap();
    assert_eq!(run_to_end(&engine, job).await.0, JobState::Done);
    assert!(
        classes(&endpoint, "hot", PROJECT).await.is_empty(),
        "not uploaded again"
    );
    assert_eq!(
        classes(&endpoint, "hot", "clients/")
            .await
            .into_keys()
            .collect::<Vec<_>>(),
        ["invoice.pdf"]
    );
}

/// Another tool writes a new version of a source after the archive listed it for deletion:
/// the delete names the archived version's ETag, so the new one is kept, and said so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_rewritten_just_before_its_delete_is_kept() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let (_dir, server) = serve_local().await;
    let endpoint = server.url();
    create_buckets(&endpoint, ACCESS_KEY, SECRET_KEY, &["hot", "cold"]).await;
    let files = project_files(20);
    put_all(&endpoint, "hot", PROJECT, &files).await;
    // The batch delete of the sources waits 2 s on its way; meanwhile another tool rewrites
    // one of them.
    let delete_waits = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&delete_waits);
    let proxy = FaultProxy::start(&endpoint, move |req, _| {
        if req.method == hyper::Method::POST && req.uri.query() == Some("delete") {
            seen.store(true, Ordering::SeqCst);
            return Fault::DelayMs(2000);
        }
        Fault::Forward
    })
    .await;
    let (_home, engine) = engine_for(&proxy.endpoint).await;
    let rewritten = format!("{PROJECT}raw/IMG_0003.CR3");
    let rewrite = async {
        while !delete_waits.load(Ordering::SeqCst) {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        sdk_client(&endpoint, ACCESS_KEY, SECRET_KEY)
            .put_object()
            .bucket("hot")
            .key(&rewritten)
            .body(b"new work".to_vec().into())
            .send()
            .await
            .unwrap();
    };
    let started = engine
        .archive_start(&path(&format!("p:hot/{PROJECT}")), &to("p:cold/smith"))
        .await
        .unwrap();
    let (ended, ()) = tokio::join!(run_to_end(&engine, started.job), rewrite);
    assert_eq!(ended, (JobState::Done, None));

    let left = contents(&endpoint, "hot", PROJECT).await;
    assert_eq!(
        left,
        BTreeMap::from([("raw/IMG_0003.CR3".to_string(), b"new work".to_vec())]),
        "the new version stays; every archived source went"
    );
    let archived_at = format!("smith/hot/{PROJECT}");
    assert_eq!(&contents(&endpoint, "cold", &archived_at).await, &files);
    let project = engine.archive_get(started.project.id).await.unwrap();
    let detail = project.detail.unwrap_or_default();
    assert!(
        detail.contains("1 source(s) changed after they were archived"),
        "{detail}"
    );
}
