//! All transfers at a glance, for the tray: how many run, wait, are paused or failed, and
//! their bytes so far of their total; and pausing or resuming them all at once.

use serde::Serialize;

use crate::engine::Engine;
use crate::error::Result;
use crate::jobs::{JobId, JobState};

/// The uploads and downloads not finished, as the catalog holds them (their progress is saved
/// a few times a second while they run).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, specta::Type)]
pub struct TransferTotals {
    /// Running or queued.
    pub active: u32,
    pub paused: u32,
    /// Failed and not retried or cancelled since.
    pub failed: u32,
    /// Bytes moved so far by the active transfers, of `total` where every one knows its size.
    #[specta(type = u32)] // a TS number: sizes stay far below 2^53
    pub bytes: u64,
    #[specta(type = Option<u32>)]
    pub total: Option<u64>,
}

impl TransferTotals {
    /// The state in words, as the tray says it: `Transferring 3 · 45%`, `1 transfer failed`,
    /// `2 transfers paused`, `Up to date`.
    pub fn describe(&self) -> String {
        let transfers = |n: u32| if n == 1 { "transfer" } else { "transfers" };
        if self.active > 0 {
            let share = self
                .total
                .filter(|&total| total > 0)
                .map(|total| format!(" · {}%", self.bytes.min(total) * 100 / total))
                .unwrap_or_default();
            format!("Transferring {}{share}", self.active)
        } else if self.failed > 0 {
            format!("{} {} failed", self.failed, transfers(self.failed))
        } else if self.paused > 0 {
            format!("{} {} paused", self.paused, transfers(self.paused))
        } else {
            "Up to date".into()
        }
    }
}

const TRANSFER_KINDS: &str = "('upload', 'download')";

impl Engine {
    pub async fn transfer_totals(&self) -> Result<TransferTotals> {
        self.reading(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT state, count(*), sum(bytes), count(total), sum(total) FROM jobs
                 WHERE kind IN {TRANSFER_KINDS}
                   AND state IN ('queued', 'running', 'paused', 'failed')
                 GROUP BY state"
            ))?;
            let mut totals = TransferTotals {
                total: Some(0),
                ..TransferTotals::default()
            };
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let state: String = row.get(0)?;
                let count: u32 = row.get(1)?;
                match state.as_str() {
                    "paused" => totals.paused += count,
                    "failed" => totals.failed += count,
                    _ => {
                        totals.active += count;
                        totals.bytes += row.get::<_, i64>(2)?.max(0) as u64;
                        let (sized, total): (u32, i64) = (row.get(3)?, row.get(4)?);
                        totals.total = totals
                            .total
                            .filter(|_| sized == count)
                            .map(|sum| sum + total.max(0) as u64);
                    }
                }
            }
            Ok(totals)
        })
        .await
    }

    /// Pauses every upload and download running or queued in this process; returns their ids.
    pub(crate) async fn transfers_pause_all(&self) -> Result<Vec<JobId>> {
        let ids = self
            .transfer_ids(&[JobState::Running, JobState::Queued])
            .await?;
        let mut paused = Vec::new();
        for id in ids {
            if self.job_pause(id).await.is_ok() {
                paused.push(id);
            }
        }
        Ok(paused)
    }

    /// Resumes every paused upload and download; returns their ids.
    pub(crate) async fn transfers_resume_all(&self) -> Result<Vec<JobId>> {
        let ids = self.transfer_ids(&[JobState::Paused]).await?;
        let mut resumed = Vec::new();
        for id in ids {
            if self.job_resume(id).await.is_ok() {
                resumed.push(id);
            }
        }
        Ok(resumed)
    }

    async fn transfer_ids(&self, states: &[JobState]) -> Result<Vec<JobId>> {
        let states: Vec<&'static str> = states.iter().map(|s| s.as_str()).collect();
        let states = serde_json::to_string(&states).unwrap_or_default();
        self.reading(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT id FROM jobs WHERE kind IN {TRANSFER_KINDS}
                   AND state IN (SELECT value FROM json_each(?1))
                 ORDER BY coalesce(place, id)"
            ))?;
            let ids = stmt.query_map([states], |r| r.get(0))?;
            Ok(ids.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::TransferTotals;

    #[test]
    fn the_state_is_said_in_words() {
        let totals = |active, paused, failed, bytes, total| TransferTotals {
            active,
            paused,
            failed,
            bytes,
            total,
        };
        assert_eq!(totals(0, 0, 0, 0, Some(0)).describe(), "Up to date");
        assert_eq!(
            totals(3, 1, 1, 45, Some(100)).describe(),
            "Transferring 3 · 45%"
        );
        assert_eq!(totals(1, 0, 0, 45, None).describe(), "Transferring 1");
        assert_eq!(totals(0, 2, 1, 0, None).describe(), "1 transfer failed");
        assert_eq!(totals(0, 2, 0, 0, None).describe(), "2 transfers paused");
    }
}
