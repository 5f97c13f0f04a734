//! The persisted job runner against real parts: jobs in a real SQLite catalog, deleting real
//! objects on the built-in endpoint through a proxy that slows every request, so a job is
//! surely mid-way when it is paused, cancelled or its engine dies.

use std::time::Duration;

mod common;

use common::{engine, engine_for, serve_local};
use futures_util::StreamExt;
use strata_core::jobs::{Event, JobId, JobSpec, JobState};
use strata_core::{DataDir, Engine, ErrorCode};
use strata_testkit::{ACCESS_KEY, Fault, FaultProxy, SECRET_KEY, sdk_client};

const WITHIN: Duration = Duration::from_secs(60);

/// Puts `count` small objects under `prefix` in bucket `jobs`.
async fn fill(endpoint: &str, prefix: &str, count: usize) {
    let client = sdk_client(endpoint, ACCESS_KEY, SECRET_KEY);
    let _ = client.create_bucket().bucket("jobs").send().await;
    futures_util::stream::iter(0..count)
        .for_each_concurrent(16, |i| {
            let client = client.clone();
            async move {
                client
                    .put_object()
                    .bucket("jobs")
                    .key(format!("{prefix}{i:05}.jpg"))
                    .body(b"x".to_vec().into())
                    .send()
                    .await
                    .unwrap();
            }
        })
        .await;
}

async fn remaining(endpoint: &str, prefix: &str) -> usize {
    let client = sdk_client(endpoint, ACCESS_KEY, SECRET_KEY);
    let mut pages = client
        .list_objects_v2()
        .bucket("jobs")
        .prefix(prefix)
        .into_paginator()
        .send();
    let mut count = 0;
    while let Some(page) = pages.next().await {
        count += page.unwrap().contents().len();
    }
    count
}

fn delete(prefix: &str) -> JobSpec {
    JobSpec::Delete {
        paths: vec![format!("p:jobs/{prefix}")],
    }
}

/// A proxy that holds every request for `ms` before passing it on.
async fn slow(endpoint: &str, ms: u64) -> FaultProxy {
    FaultProxy::start(endpoint, move |_, _| Fault::DelayMs(ms)).await
}

/// Waits for `job` to reach `state`, failing on any other end.
async fn until_state(
    events: &mut tokio::sync::broadcast::Receiver<Event>,
    id: JobId,
    want: JobState,
) {
    loop {
        let event = tokio::time::timeout(WITHIN, events.recv())
            .await
            .unwrap()
            .unwrap();
        if let Event::JobState {
            job, state, error, ..
        } = event
            && job == id
        {
            if state == want {
                return;
            }
            assert!(
                matches!(state, JobState::Queued | JobState::Running),
                "job {id} ended {state:?} ({error:?}), expected {want:?}"
            );
        }
    }
}

/// Waits until `job` has deleted at least `objects` objects.
async fn until_deleted(
    events: &mut tokio::sync::broadcast::Receiver<Event>,
    id: JobId,
    objects: u32,
) {
    loop {
        let event = tokio::time::timeout(WITHIN, events.recv())
            .await
            .unwrap()
            .unwrap();
        if let Event::JobProgress { job, done: n, .. } = event
            && job == id
            && n >= objects
        {
            return;
        }
    }
}

#[tokio::test]
async fn a_job_left_running_by_an_engine_that_died_runs_again_at_the_next_start() {
    let (_dir, server) = serve_local().await;
    fill(&server.url(), "old/", 2500).await;
    let proxy = slow(&server.url(), 300).await;
    let (home, first) = engine_for(&proxy.endpoint).await;
    drop(first);

    // The first engine runs on a runtime of its own, which is then dropped mid-job with the
    // engine: its tasks end where they stand and its job-owner lock file is closed, as when a
    // process is killed (the lock is the operating system's, released either way).
    let path = home.path().to_path_buf();
    let id = tokio::task::spawn_blocking(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let id = runtime.block_on(async {
            let dying = Engine::open(DataDir::at(&path).unwrap()).unwrap();
            let mut events = dying.events();
            let id = dying.job_start(delete("old/")).await.unwrap();
            until_deleted(&mut events, id, 1000).await;
            id
        });
        // Waits for the blocking pool too, so nothing of the engine outlives the runtime.
        runtime.shutdown_timeout(std::time::Duration::from_secs(30));
        id
    })
    .await
    .unwrap();
    let left = remaining(&server.url(), "old/").await;
    assert!(left > 0 && left < 2500, "stopped mid-way: {left} left");

    let next = Engine::open(DataDir::at(home.path()).unwrap()).unwrap();
    let job = next.job_get(id).await.unwrap();
    assert_eq!(
        job.state,
        JobState::Running,
        "the catalog still says running"
    );
    let mut events = next.events();
    assert_eq!(next.jobs_resume_unfinished().await.unwrap(), vec![id]);
    until_state(&mut events, id, JobState::Done).await;
    assert_eq!(remaining(&server.url(), "old/").await, 0);
    let job = next.job_get(id).await.unwrap();
    assert_eq!(job.state, JobState::Done);
    assert!(job.finished_at.is_some() && job.error.is_none());

    // A second start finds nothing left to take over.
    let again = Engine::open(DataDir::at(home.path()).unwrap()).unwrap();
    assert!(again.jobs_resume_unfinished().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_job_running_in_a_live_engine_is_never_taken_over() {
    let (_dir, server) = serve_local().await;
    fill(&server.url(), "live/", 300).await;
    let proxy = slow(&server.url(), 500).await;
    let (home, running) = engine_for(&proxy.endpoint).await;
    let mut events = running.events();
    let id = running.job_start(delete("live/")).await.unwrap();
    until_state(&mut events, id, JobState::Running).await;

    let other = Engine::open(DataDir::at(home.path()).unwrap()).unwrap();
    assert!(other.jobs_resume_unfinished().await.unwrap().is_empty());
    let refused = other.job_resume(id).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::InvalidInput);
    assert!(
        refused.hint.contains("another Strata process"),
        "{}",
        refused.hint
    );
    until_state(&mut events, id, JobState::Done).await;
}

#[tokio::test]
async fn pause_resume_and_cancel_keep_the_work_and_the_record_straight() {
    let (_dir, server) = serve_local().await;
    fill(&server.url(), "a/", 2500).await;
    let proxy = slow(&server.url(), 300).await;
    let (_home, engine) = engine_for(&proxy.endpoint).await;
    let mut events = engine.events();

    let id = engine.job_start(delete("a/")).await.unwrap();
    until_deleted(&mut events, id, 1000).await;
    engine.job_pause(id).await.unwrap();
    until_state(&mut events, id, JobState::Paused).await;
    let paused = engine.job_get(id).await.unwrap();
    assert_eq!(paused.state, JobState::Paused);
    assert!(paused.done >= 1000, "progress saved: {}", paused.done);
    let left = remaining(&server.url(), "a/").await;
    assert!(left > 0 && left < 2500, "paused mid-way: {left} left");
    assert_eq!(
        engine.job_pause(id).await.unwrap_err().code,
        ErrorCode::InvalidInput,
        "a paused job is not running"
    );

    engine.job_resume(id).await.unwrap();
    until_state(&mut events, id, JobState::Done).await;
    assert_eq!(remaining(&server.url(), "a/").await, 0);
    assert_eq!(engine.job_get(id).await.unwrap().state, JobState::Done);

    // Cancelled while paused: recorded, and nothing more is deleted.
    fill(&server.url(), "b/", 1500).await;
    let id = engine.job_start(delete("b/")).await.unwrap();
    until_deleted(&mut events, id, 1000).await;
    engine.job_pause(id).await.unwrap();
    until_state(&mut events, id, JobState::Paused).await;
    let left = remaining(&server.url(), "b/").await;
    engine.job_cancel(id).await.unwrap();
    until_state(&mut events, id, JobState::Cancelled).await;
    assert_eq!(engine.job_get(id).await.unwrap().state, JobState::Cancelled);
    assert_eq!(remaining(&server.url(), "b/").await, left);

    let listed = engine.job_list(10).await.unwrap();
    assert_eq!(
        listed.iter().map(|j| j.state).collect::<Vec<_>>(),
        [JobState::Cancelled, JobState::Done],
        "newest first"
    );
}

#[tokio::test]
async fn jobs_of_a_kind_beyond_its_limit_wait_queued() {
    let (_dir, server) = serve_local().await;
    for prefix in ["x/", "y/", "z/"] {
        fill(&server.url(), prefix, 20).await;
    }
    let proxy = slow(&server.url(), 400).await;
    let (_home, engine) = engine_for(&proxy.endpoint).await;
    let mut events = engine.events();
    let mut ids = Vec::new();
    for prefix in ["x/", "y/", "z/"] {
        ids.push(engine.job_start(delete(prefix)).await.unwrap());
    }
    let seen = common::states_until_ended(&mut events, &ids).await;
    // Two deletes at once at most, and the third waited for one of them.
    let most = common::most_running(&seen);
    assert_eq!(most, 2, "{seen:?}");
    assert!(ids.iter().all(|id| seen.contains(&(*id, JobState::Queued))));
    for prefix in ["x/", "y/", "z/"] {
        assert_eq!(remaining(&server.url(), prefix).await, 0);
    }
}

#[tokio::test]
async fn a_job_paused_while_it_is_being_taken_over_ends_paused() {
    let (_dir, server) = serve_local().await;
    fill(&server.url(), "left/", 40).await;
    let proxy = slow(&server.url(), 300).await;
    let (home, first) = engine_for(&proxy.endpoint).await;
    drop(first);
    let id = common::then_die(home.path(), |dying| async move {
        let mut events = dying.events();
        let id = dying.job_start(delete("left/")).await.unwrap();
        until_state(&mut events, id, JobState::Running).await;
        id
    })
    .await;
    // The next start takes the job over while a pause for it arrives (the tray's "Pause
    // all" at the app's start): whichever comes first, the job ends paused, not running.
    let next = Engine::open(DataDir::at(home.path()).unwrap()).unwrap();
    let mut events = next.events();
    let (resumed, paused) = tokio::join!(next.jobs_resume_unfinished(), next.job_pause(id));
    paused.unwrap();
    if resumed.unwrap() == [id] {
        until_state(&mut events, id, JobState::Paused).await;
    }
    assert_eq!(next.job_get(id).await.unwrap().state, JobState::Paused);
    assert!(remaining(&server.url(), "left/").await > 0, "it stopped");
}

#[tokio::test]
async fn a_queued_job_moved_to_the_front_starts_next() {
    let (_dir, server) = serve_local().await;
    for prefix in ["x/", "y/", "z/"] {
        fill(&server.url(), prefix, 5).await;
    }
    let proxy = slow(&server.url(), 300).await;
    let (_home, engine) = engine_for(&proxy.endpoint).await;
    engine.set_job_limit("delete", 1);
    let mut events = engine.events();
    let first = engine.job_start(delete("x/")).await.unwrap();
    until_state(&mut events, first, JobState::Running).await;
    let (second, third) = (
        engine.job_start(delete("y/")).await.unwrap(),
        engine.job_start(delete("z/")).await.unwrap(),
    );
    engine.job_to_front(third).await.unwrap();
    let refused = engine.job_to_front(first).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::InvalidInput, "it runs already");
    assert_eq!(
        engine.job_to_front(9_999).await.unwrap_err().code,
        ErrorCode::NotFound
    );
    let (mut started, mut done) = (Vec::new(), 0);
    while done < 3 {
        let event = tokio::time::timeout(WITHIN, events.recv())
            .await
            .unwrap()
            .unwrap();
        match event {
            Event::JobState {
                job,
                state: JobState::Running,
                ..
            } => started.push(job),
            Event::JobState {
                state: JobState::Done,
                ..
            } => done += 1,
            _ => {}
        }
    }
    assert_eq!(
        started,
        [third, second],
        "the one moved to the front went next"
    );
    let (second, third) = (
        engine.job_get(second).await.unwrap(),
        engine.job_get(third).await.unwrap(),
    );
    assert!(third.place < second.place, "the catalog keeps the order");
}

#[tokio::test]
async fn reads_never_wait_behind_a_write_another_process_holds_up() {
    let (_dir, server) = serve_local().await;
    fill(&server.url(), "r/", 1).await;
    let (home, engine) = engine_for(&server.url()).await;
    let mut events = engine.events();
    let first = engine.job_start(delete("r/")).await.unwrap();
    until_state(&mut events, first, JobState::Done).await;
    // Another process (a `strata` command) holds the catalog's write lock.
    let other =
        rusqlite::Connection::open(DataDir::at(home.path()).unwrap().catalog_path()).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let writing = tokio::spawn({
        let engine = engine.clone();
        async move { engine.job_start(delete("s/")).await }
    });
    // Time for the write to reach the lock and wait there.
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A read queued behind that write would wait out the write's 10 s busy timeout: the
    // reads must be done well before it (the bound tells waiting from not waiting, not speed).
    let reads = async {
        let listed = engine.job_list(10).await.unwrap();
        assert_eq!(listed.iter().map(|j| j.id).collect::<Vec<_>>(), [first]);
        assert_eq!(engine.job_get(first).await.unwrap().state, JobState::Done);
    };
    tokio::time::timeout(Duration::from_secs(5), reads)
        .await
        .expect("the reads waited behind the write");
    assert!(
        !writing.is_finished(),
        "the write still waits for the other process, and the reads did not"
    );
    other.execute_batch("COMMIT").unwrap();
    writing.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_job_for_a_missing_profile_or_a_bad_path_is_refused_before_it_is_written() {
    let (_home, engine) = engine();
    let missing = engine.job_start(delete("x/")).await.unwrap_err();
    assert_eq!(missing.code, ErrorCode::NotFound);
    let bad = engine
        .job_start(JobSpec::Delete {
            paths: vec!["p:/x".into()],
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code, ErrorCode::InvalidInput);
    assert!(engine.job_list(10).await.unwrap().is_empty());
}

/// Every process that runs a job holds a lock file under `jobs/`; those of processes that
/// ended are swept by the next one, so the folder does not grow with every `strata put`.
#[tokio::test]
async fn lock_files_of_ended_engines_are_swept() {
    let (_dir, server) = serve_local().await;
    fill(&server.url(), "few/", 3).await;
    let (home, first) = engine_for(&server.url()).await;
    drop(first);
    let locks = || {
        std::fs::read_dir(home.path().join("jobs"))
            .map(|entries| entries.count())
            .unwrap_or(0)
    };
    for prefix in ["none-1/", "none-2/", "few/"] {
        let engine = Engine::open(DataDir::at(home.path()).unwrap()).unwrap();
        let mut events = engine.events();
        let id = engine.job_start(delete(prefix)).await.unwrap();
        until_state(&mut events, id, JobState::Done).await;
        assert_eq!(locks(), 1, "only the running engine's own");
    }
    assert_eq!(remaining(&server.url(), "few/").await, 0);
}

/// Another process holds the catalog's write lock past the 10 s busy timeout while a job ends:
/// the end is saved once the lock is free, instead of being lost with the job left "running".
#[tokio::test]
async fn a_job_end_the_catalog_was_too_busy_to_take_is_saved_once_it_is_free() {
    let (_dir, server) = serve_local().await;
    fill(&server.url(), "b/", 3).await;
    let proxy = slow(&server.url(), 1000).await;
    let (home, engine) = engine_for(&proxy.endpoint).await;
    let mut events = engine.events();
    let id = engine.job_start(delete("b/")).await.unwrap();
    until_state(&mut events, id, JobState::Running).await;
    let other =
        rusqlite::Connection::open(DataDir::at(home.path()).unwrap().catalog_path()).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    // Held until well after the job's first try to save its end gave up (after a progress
    // save in flight waited out its own busy timeout).
    tokio::time::sleep(Duration::from_secs(25)).await;
    other.execute_batch("COMMIT").unwrap();
    until_state(&mut events, id, JobState::Done).await;
    assert_eq!(engine.job_get(id).await.unwrap().state, JobState::Done);
    assert_eq!(remaining(&server.url(), "b/").await, 0);
}

/// A delete job whose keys the server refuses (an object lock, a bucket policy) ends failed,
/// saying how many and why, and the objects stay: it never passes as done.
#[tokio::test]
async fn a_delete_job_whose_keys_the_server_refuses_ends_failed_with_the_reason() {
    let (_dir, server) = serve_local().await;
    fill(&server.url(), "locked/", 3).await;
    let proxy = FaultProxy::start(&server.url(), |head, _| {
        if head.method == "POST" && head.uri.query() == Some("delete") {
            Fault::RefuseEachKey
        } else {
            Fault::Forward
        }
    })
    .await;
    let (_home, engine) = engine_for(&proxy.endpoint).await;
    let mut events = engine.events();
    let id = engine.job_start(delete("locked/")).await.unwrap();
    until_state(&mut events, id, JobState::Failed).await;
    let job = engine.job_get(id).await.unwrap();
    assert_eq!(job.state, JobState::Failed);
    let message = job.error.unwrap().message;
    assert!(
        message.starts_with("3 of 3 objects could not be deleted")
            && message.contains("AccessDenied"),
        "{message}"
    );
    assert_eq!(remaining(&server.url(), "locked/").await, 3);
}
