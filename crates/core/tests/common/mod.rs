//! Set-up shared by the engine's test files. Each test binary uses its own subset of it.
#![allow(dead_code)]

use strata_core::local::{self, LocalCredentials, LocalEndpoint};
use strata_core::profile::{ProfileInput, Provider};
use strata_core::{DataDir, Engine};
use strata_testkit::{ACCESS_KEY, SECRET_KEY};

/// An engine on a fresh temporary data folder.
pub fn engine() -> (tempfile::TempDir, Engine) {
    let home = tempfile::tempdir().unwrap();
    let engine = Engine::open(DataDir::at(home.path()).unwrap()).unwrap();
    (home, engine)
}

/// An engine on a fresh data folder with profile `p` for `endpoint` (the test key pair).
pub async fn engine_for(endpoint: &str) -> (tempfile::TempDir, Engine) {
    let (home, engine) = engine();
    engine
        .profile_add(input("p", endpoint, ACCESS_KEY, SECRET_KEY))
        .await
        .unwrap();
    (home, engine)
}

/// A path-style profile of the `other` provider for `endpoint`.
pub fn input(name: &str, endpoint: &str, key: &str, secret: &str) -> ProfileInput {
    ProfileInput {
        name: name.into(),
        provider: Some(Provider::Other),
        endpoint: Some(endpoint.into()),
        path_style: Some(true),
        access_key_id: Some(key.into()),
        secret_access_key: Some(secret.into()),
        ..ProfileInput::default()
    }
}

/// The built-in endpoint on a temporary folder, on 127.0.0.1, with the test key pair.
pub async fn serve_local() -> (tempfile::TempDir, LocalEndpoint) {
    let dir = tempfile::tempdir().unwrap();
    let credentials = LocalCredentials {
        access_key_id: ACCESS_KEY.into(),
        secret: SECRET_KEY.into(),
    };
    let endpoint = local::serve(dir.path(), "127.0.0.1:0".parse().unwrap(), credentials)
        .await
        .unwrap();
    (dir, endpoint)
}

/// How long a test waits for a job to end before it fails.
pub const WITHIN: std::time::Duration = std::time::Duration::from_secs(120);

pub const MIB: usize = 1024 * 1024;

/// Bytes that differ at every offset, so a part sent or written at the wrong place shows.
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[i % 4] ^ seed)
        .collect()
}

/// Waits until every job in `ids` ended, and returns how.
pub async fn ends(
    events: &mut tokio::sync::broadcast::Receiver<strata_core::jobs::Event>,
    ids: &[strata_core::jobs::JobId],
) -> std::collections::BTreeMap<
    strata_core::jobs::JobId,
    (strata_core::jobs::JobState, Option<strata_core::Error>),
> {
    use strata_core::jobs::{Event, JobState};
    let mut ended = std::collections::BTreeMap::new();
    while ended.len() < ids.len() {
        let event = tokio::time::timeout(WITHIN, events.recv())
            .await
            .unwrap()
            .unwrap();
        if let Event::JobState {
            job, state, error, ..
        } = event
            && ids.contains(&job)
            && !matches!(state, JobState::Queued | JobState::Running)
        {
            ended.insert(job, (state, error));
        }
    }
    ended
}

/// Every state jobs `ids` passed through, in order, until all of them ended.
pub async fn states_until_ended(
    events: &mut tokio::sync::broadcast::Receiver<strata_core::jobs::Event>,
    ids: &[strata_core::jobs::JobId],
) -> Vec<(strata_core::jobs::JobId, strata_core::jobs::JobState)> {
    use strata_core::jobs::{Event, JobState};
    let mut seen = Vec::new();
    let ended = |seen: &[(_, JobState)]| {
        seen.iter()
            .filter(|(_, s)| !matches!(s, JobState::Queued | JobState::Running))
            .count()
    };
    while ended(&seen) < ids.len() {
        let event = tokio::time::timeout(WITHIN, events.recv())
            .await
            .unwrap()
            .unwrap();
        if let Event::JobState { job, state, .. } = event
            && ids.contains(&job)
        {
            seen.push((job, state));
        }
    }
    seen
}

/// The most jobs running at one time in `seen` (from [`states_until_ended`]).
pub fn most_running(seen: &[(strata_core::jobs::JobId, strata_core::jobs::JobState)]) -> usize {
    use strata_core::jobs::JobState;
    let (mut running, mut most) = (0usize, 0);
    for (_, state) in seen {
        match state {
            JobState::Running => {
                running += 1;
                most = most.max(running);
            }
            JobState::Queued => {}
            _ => running = running.saturating_sub(1),
        }
    }
    most
}

/// Runs `work` with an engine on the data folder `home` and a runtime of their own, then
/// drops both where they stand, as a killed process ends: its tasks stop mid-way and its
/// job-owner lock is released.
pub async fn then_die<T, F, Fut>(home: &std::path::Path, work: F) -> T
where
    T: Send + 'static,
    F: FnOnce(Engine) -> Fut + Send + 'static,
    Fut: Future<Output = T>,
{
    let home = home.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let value = runtime.block_on(async {
            let dying = Engine::open(DataDir::at(&home).unwrap()).unwrap();
            work(dying).await
        });
        // Waits for the blocking pool too, so nothing of the engine outlives the runtime.
        runtime.shutdown_timeout(std::time::Duration::from_secs(30));
        value
    })
    .await
    .unwrap()
}

/// Waits until job `job` reports at least `bytes` moved.
pub async fn until_bytes(
    events: &mut tokio::sync::broadcast::Receiver<strata_core::jobs::Event>,
    job: strata_core::jobs::JobId,
    bytes: u64,
) {
    use strata_core::jobs::Event;
    loop {
        let event = tokio::time::timeout(WITHIN, events.recv())
            .await
            .unwrap()
            .unwrap();
        if matches!(event, Event::JobProgress { job: j, bytes: b, .. } if j == job && b >= bytes) {
            return;
        }
    }
}

/// Makes a sync send files however recently they changed (no settle time).
pub async fn settle_at_once(engine: &Engine) {
    engine
        .sync_settings_set(strata_core::sync::SyncSettings {
            settle_ms: 0,
            ..strata_core::sync::SyncSettings::default()
        })
        .await
        .unwrap();
}
