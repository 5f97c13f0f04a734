//! Everything at a glance, as the tray shows it: the transfers' totals and each sync pair's
//! state, folded into one state (idle, syncing, paused, error) and its words; pausing or
//! resuming all of it at once; and which of its changes the desktop announces.

use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::error::Result;
use crate::sync::SyncPair;
use crate::transfer::TransferTotals;

/// The one state the tray icon shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Glance {
    Idle,
    Syncing,
    Paused,
    Error,
}

/// The transfers and the sync pairs, and what they come to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct Status {
    pub glance: Glance,
    /// The state in words: `Transferring 3 · 45%`, `Syncing 1 folder`, `1 folder needs
    /// attention`, `Sync paused`, `Up to date`.
    pub words: String,
    pub transfers: TransferTotals,
    pub pairs: Vec<SyncPair>,
}

fn folders(n: usize) -> &'static str {
    if n == 1 { "folder" } else { "folders" }
}

/// Whether a pair needs the user: its last sync failed or could not read everything, or its
/// folder is gone.
fn troubled(pair: &SyncPair) -> bool {
    pair.active && matches!(pair.status.as_str(), "failed" | "attention" | "missing")
}

impl Status {
    fn of(transfers: TransferTotals, pairs: Vec<SyncPair>) -> Self {
        let syncing = pairs.iter().filter(|p| p.status == "syncing").count();
        let troubled = pairs.iter().filter(|p| troubled(p)).count();
        let paused = !pairs.is_empty() && pairs.iter().all(|p| !p.active);
        let (glance, words) = if transfers.active > 0 {
            (Glance::Syncing, transfers.describe())
        } else if syncing > 0 {
            (
                Glance::Syncing,
                format!("Syncing {syncing} {}", folders(syncing)),
            )
        } else if transfers.failed > 0 {
            (Glance::Error, transfers.describe())
        } else if troubled > 0 {
            (
                Glance::Error,
                format!(
                    "{troubled} {} need{} attention",
                    folders(troubled),
                    if troubled == 1 { "s" } else { "" }
                ),
            )
        } else if transfers.paused > 0 {
            (Glance::Paused, transfers.describe())
        } else if paused {
            (Glance::Paused, "Sync paused".into())
        } else {
            (Glance::Idle, "Up to date".into())
        };
        Self {
            glance,
            words,
            transfers,
            pairs,
        }
    }
}

impl SyncPair {
    /// The pair's line in the tray menu: its folder's name, where it goes, and its state.
    pub fn tray_line(&self) -> String {
        let name = std::path::Path::new(&self.local)
            .file_name()
            .map_or(self.local.clone(), |n| n.to_string_lossy().into_owned());
        let state = if !self.active {
            "paused".to_string()
        } else {
            match self.status.as_str() {
                "idle" => "up to date".into(),
                "new" => "not synced yet".into(),
                "waiting" => "waiting for files to settle".into(),
                "missing" => "folder missing".into(),
                "busy" => "synced by another Strata".into(),
                other => other.to_string(),
            }
        };
        format!("{name} → {}: {state}", self.remote)
    }
}

/// Which desktop notifications the user wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Notifications {
    /// A transfer or a sync failed.
    pub errors: bool,
    /// Many uploads (a drop of a folder, a sync) all finished.
    pub bulk_uploads: bool,
}

impl Default for Notifications {
    fn default() -> Self {
        Self {
            errors: true,
            bulk_uploads: true,
        }
    }
}

const NOTIFICATIONS_KEY: &str = "notifications";

impl Engine {
    pub async fn notifications(&self) -> Result<Notifications> {
        self.reading(|conn| crate::catalog::json_setting(conn, NOTIFICATIONS_KEY))
            .await
    }

    pub async fn notifications_set(&self, wanted: Notifications) -> Result<()> {
        self.blocking(move |conn, _| {
            crate::catalog::set_json_setting(conn, NOTIFICATIONS_KEY, &wanted)
        })
        .await
    }

    pub async fn status(&self) -> Result<Status> {
        Ok(Status::of(
            self.transfer_totals().await?,
            self.sync_list().await?,
        ))
    }

    /// Pauses every transfer and every sync pair (the tray's "Pause all").
    pub async fn pause_all(&self) -> Result<()> {
        self.transfers_pause_all().await?;
        for pair in self.sync_list().await?.into_iter().filter(|p| p.active) {
            self.sync_set_active(pair.id, false).await?;
        }
        Ok(())
    }

    /// Resumes every paused transfer and sync pair (the tray's "Resume all").
    pub async fn resume_all(&self) -> Result<()> {
        for pair in self.sync_list().await?.into_iter().filter(|p| !p.active) {
            self.sync_set_active(pair.id, true).await?;
        }
        self.transfers_resume_all().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(status: &str, active: bool) -> SyncPair {
        SyncPair {
            id: 1,
            local: "/home/ana/Exports".into(),
            remote: "local:photos/inbox/".into(),
            profile: "local".into(),
            bucket: "photos".into(),
            prefix: "inbox/".into(),
            mirror_deletes: false,
            ignore: Vec::new(),
            active,
            status: status.into(),
            status_detail: None,
            job: None,
            synced_at: None,
            files: 0,
            conflicts: 0,
            last_run: None,
        }
    }

    #[test]
    fn transfers_then_syncs_then_trouble_then_pauses_decide_the_glance() {
        let idle = TransferTotals::default();
        let moving = TransferTotals { active: 2, ..idle };
        let failed = TransferTotals { failed: 1, ..idle };
        let glance = |t, pairs| Status::of(t, pairs);
        assert_eq!(glance(idle, vec![pair("idle", true)]).words, "Up to date");
        assert_eq!(
            glance(moving, vec![pair("missing", true)]).glance,
            Glance::Syncing
        );
        let syncing = glance(idle, vec![pair("syncing", true), pair("idle", true)]);
        assert_eq!(
            (syncing.glance, syncing.words.as_str()),
            (Glance::Syncing, "Syncing 1 folder")
        );
        let missing = glance(idle, vec![pair("missing", true)]);
        assert_eq!(
            (missing.glance, missing.words.as_str()),
            (Glance::Error, "1 folder needs attention")
        );
        assert_eq!(glance(failed, vec![]).words, "1 transfer failed");
        let paused = glance(idle, vec![pair("idle", false)]);
        assert_eq!(
            (paused.glance, paused.words.as_str()),
            (Glance::Paused, "Sync paused")
        );
        assert_eq!(
            glance(idle, vec![pair("missing", false)]).glance,
            Glance::Paused,
            "a paused pair's trouble waits"
        );
    }

    #[test]
    fn a_pair_says_where_it_goes_and_how_it_is() {
        assert_eq!(
            pair("idle", true).tray_line(),
            "Exports → local:photos/inbox/: up to date"
        );
        assert_eq!(
            pair("idle", false).tray_line(),
            "Exports → local:photos/inbox/: paused"
        );
        assert_eq!(
            pair("missing", true).tray_line(),
            "Exports → local:photos/inbox/: folder missing"
        );
    }
}
