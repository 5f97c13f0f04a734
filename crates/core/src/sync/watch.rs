//! The watcher: every active pair's folder is watched (inotify through `notify`), and a sync
//! runs once the events have stopped for a moment; files still being written wait for the
//! settle time in the plan. A scan at start catches what happened while nothing watched, a
//! periodic scan what events miss, and a folder that disappears is checked again until it
//! returns. One process watches a pair at a time: it holds the pair's watch lock.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

use super::SyncPair;
use super::apply::pair_lock;
use crate::engine::Engine;
use crate::error::Result;
use crate::jobs::{Event, JobId};

/// How often the watcher looks at its pairs.
const TICK: Duration = Duration::from_millis(250);

/// How long file events must have stopped before a sync runs (at most the settle time).
const QUIET: Duration = Duration::from_millis(1000);

/// How often a missing folder, or a pair another process watches, is looked at again.
const RETRY: Duration = Duration::from_secs(5);

/// The fix for running out of inotify watches, in words.
pub const INOTIFY_FIX: &str = "Raise the limit: `echo fs.inotify.max_user_watches=524288 | \
     sudo tee /etc/sysctl.d/90-strata.conf && sudo sysctl --system`. Until then the folder is \
     scanned on a timer.";

/// One pair this process watches.
struct Watched {
    pair: SyncPair,
    /// Held while watching; `None` while another process watches the pair.
    lock: Option<std::fs::File>,
    /// `None` when the folder cannot be watched (missing, or no inotify watches left).
    watcher: Option<notify::RecommendedWatcher>,
    /// When the last file event came, if one came since the last sync began.
    changed_at: Option<Instant>,
    /// When to sync again without an event.
    due: Instant,
    /// The sync job running for it.
    running: Option<JobId>,
}

impl Engine {
    /// Watches every active pair and syncs it as its files change, until `until` completes.
    /// The app runs it in the background; `strata sync watch` in the foreground.
    pub async fn sync_watch(&self, until: impl Future<Output = ()>) -> Result<()> {
        tokio::pin!(until);
        let (tell, mut told) = mpsc::unbounded_channel::<u32>();
        let mut events = self.events();
        let mut watched: HashMap<u32, Watched> = HashMap::new();
        let mut reload = true;
        let mut tick = tokio::time::interval(TICK);
        loop {
            tokio::select! {
                () = &mut until => return Ok(()),
                Some(pair) = told.recv() => {
                    if let Some(w) = watched.get_mut(&pair) {
                        w.changed_at = Some(Instant::now());
                    }
                }
                event = events.recv() => match event {
                    Ok(Event::SyncChanged { .. }) => reload = true,
                    Ok(_) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => reload = true,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return Ok(()),
                },
                _ = tick.tick() => {
                    // Asked of the jobs themselves, not learnt from their events: a watcher
                    // that fell behind the event stream would miss a sync's end, and never
                    // sync that pair again.
                    for w in watched.values_mut() {
                        if w.running.is_some_and(|job| !self.jobs().runs(job)) {
                            w.running = None;
                            reload = true;
                        }
                    }
                    if reload {
                        reload = false;
                        self.watch_reload(&mut watched, &tell).await;
                    }
                    self.watch_step(&mut watched, &tell).await;
                }
            }
        }
    }

    /// Follows the catalog: new and resumed pairs are watched, removed and paused ones let go,
    /// and the status of a finished sync sets when the next one is due.
    async fn watch_reload(
        &self,
        watched: &mut HashMap<u32, Watched>,
        tell: &mpsc::UnboundedSender<u32>,
    ) {
        let Ok(pairs) = self.sync_list().await else {
            return;
        };
        let settle = self.sync_settings().await.unwrap_or_default();
        watched.retain(|id, _| pairs.iter().any(|p| p.id == *id && p.active));
        for pair in pairs.into_iter().filter(|p| p.active) {
            let now = Instant::now();
            let w = watched.entry(pair.id).or_insert_with(|| Watched {
                pair: pair.clone(),
                lock: None,
                watcher: None,
                changed_at: None,
                due: now,
                running: None,
            });
            w.pair = pair;
            if w.running.is_none() {
                match w.pair.status.as_str() {
                    "waiting" => {
                        // Again as soon as the newest waiting file has rested long enough.
                        let wait = w
                            .pair
                            .last_run
                            .as_ref()
                            .map_or(settle.settle_ms, |r| r.settles_in_ms);
                        w.due = w
                            .due
                            .min(now + Duration::from_millis(u64::from(wait)) + TICK);
                    }
                    "missing" => {
                        w.watcher = None;
                        w.due = w.due.min(now + RETRY);
                    }
                    _ => {}
                }
            }
            if w.lock.is_some() && w.watcher.is_none() && w.pair.status != "missing" {
                w.watcher = self.watch_folder(&w.pair, tell).await;
            }
        }
    }

    /// Starts the syncs that are due: events settled, a rescan's time, a retry.
    async fn watch_step(
        &self,
        watched: &mut HashMap<u32, Watched>,
        tell: &mpsc::UnboundedSender<u32>,
    ) {
        let now = Instant::now();
        // Most ticks nothing changed and nothing is due: they read nothing.
        let waiting = |w: &Watched| w.running.is_none() && (w.changed_at.is_some() || now >= w.due);
        if !watched.values().any(waiting) {
            return;
        }
        let settings = self.sync_settings().await.unwrap_or_default();
        let quiet = QUIET.min(Duration::from_millis(u64::from(settings.settle_ms)).max(TICK));
        for w in watched.values_mut() {
            if w.running.is_some() {
                continue;
            }
            let settled = w
                .changed_at
                .is_some_and(|at| now.duration_since(at) >= quiet);
            if !settled && now < w.due {
                continue;
            }
            if w.pair.status == "missing" {
                // Looked at here, not by a sync job every few seconds, until it returns.
                let (local, id) = (w.pair.local.clone(), w.pair.id);
                let device = self
                    .reading(move |conn| Ok(super::store::get(conn, id)?.device))
                    .await
                    .ok()
                    .flatten();
                let back = tokio::task::spawn_blocking(move || {
                    super::scan::check_folder(&local, device).is_ok()
                })
                .await
                .unwrap_or(false);
                if !back {
                    w.due = now + RETRY;
                    continue;
                }
            }
            if w.lock.is_none() {
                match pair_lock(self, w.pair.id, "watch") {
                    Ok(lock) => {
                        w.lock = Some(lock);
                        w.watcher = self.watch_folder(&w.pair, tell).await;
                    }
                    Err(_) => {
                        // Another process watches it; look again later.
                        w.due = now + RETRY;
                        continue;
                    }
                }
            }
            w.changed_at = None;
            w.due = now + Duration::from_secs(u64::from(settings.rescan_secs));
            match self.sync_start(w.pair.id, false).await {
                Ok(job) => w.running = Some(job),
                Err(err) => {
                    tracing::warn!(pair = w.pair.id, "a sync could not start: {}", err.message);
                    w.due = now + RETRY;
                }
            }
        }
    }

    /// Watches a pair's folder; `None` (with the reason in the pair's status) when it cannot.
    async fn watch_folder(
        &self,
        pair: &SyncPair,
        tell: &mpsc::UnboundedSender<u32>,
    ) -> Option<notify::RecommendedWatcher> {
        let (id, tell) = (pair.id, tell.clone());
        let made = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if event.is_ok_and(|e| !e.kind.is_access()) {
                let _ = tell.send(id);
            }
        });
        let watching = made.and_then(|mut watcher| {
            watcher
                .watch(std::path::Path::new(&pair.local), RecursiveMode::Recursive)
                .map(|()| watcher)
        });
        match watching {
            Ok(watcher) => Some(watcher),
            Err(err) => {
                let detail = match err.kind {
                    notify::ErrorKind::MaxFilesWatch => Some(format!(
                        "The system's limit of watched folders is reached, so changes in {} are \
                         found only by scans. {INOTIFY_FIX}",
                        pair.local
                    )),
                    // A folder that is missing is reported by the sync that finds it so.
                    _ => None,
                };
                if let Some(detail) = detail {
                    tracing::warn!(pair = id, "{detail}");
                    let written = self
                        .blocking(move |conn, _| {
                            super::store::set_status(conn, id, "failed", &detail)
                        })
                        .await;
                    if written.is_ok() {
                        self.sync_changed(id);
                    }
                }
                None
            }
        }
    }
}
