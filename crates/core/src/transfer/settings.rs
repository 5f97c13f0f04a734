//! How transfers run when a command does not say: how many at once, and how a multipart
//! upload sends its parts. The app's settings; the CLI's `--jobs`, `--part-size` and
//! `--concurrency` override them for one command.

use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::error::Result;
use crate::jobs::UploadOptions;

/// Each unset field is the engine's choice: up to 16 transfers at once within 128 MiB of
/// buffers; 8 MiB parts (larger where 10,000 would not hold the file); four parts in flight.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct TransferSettings {
    /// Uploads, and downloads, running at once (1 to 64), whatever memory they hold.
    pub at_once: Option<u32>,
    /// Part size in MiB (5 to 5,120).
    pub part_size_mib: Option<u32>,
    /// Parts of one file in flight at once (1 to 32).
    pub parts_in_flight: Option<u32>,
}

const SETTINGS_KEY: &str = "transfers";

/// The kinds of job the count applies to.
const KINDS: [&str; 2] = ["upload", "download"];

impl TransferSettings {
    /// `options` with what they leave unset taken from these settings.
    pub(crate) fn fill(self, options: UploadOptions) -> UploadOptions {
        UploadOptions {
            part_size_mib: options.part_size_mib.or(self.part_size_mib),
            parts_in_flight: options.parts_in_flight.or(self.parts_in_flight),
            ..options
        }
    }

    fn check(self) -> Result<()> {
        super::within(
            self.at_once,
            1..=64,
            "at_once",
            |n| format!("{n} transfers at once is outside 1 to 64."),
            "Give from 1 to 64, or leave it empty for Strata's choice (16 within 128 MiB).",
        )?;
        self.fill(UploadOptions::default()).check()
    }
}

impl Engine {
    pub async fn transfer_settings(&self) -> Result<TransferSettings> {
        self.reading(|conn| crate::catalog::json_setting(conn, SETTINGS_KEY))
            .await
    }

    /// Saves the settings and applies them to this process's queues at once; other
    /// processes take them when they start.
    pub async fn transfer_settings_set(&self, settings: TransferSettings) -> Result<()> {
        settings.check()?;
        self.blocking(move |conn, _| {
            crate::catalog::set_json_setting(conn, SETTINGS_KEY, &settings)
        })
        .await?;
        self.apply_transfer_settings().await
    }

    /// Sets how many transfers run at once in this process from the saved settings.
    pub(crate) async fn apply_transfer_settings(&self) -> Result<()> {
        let at_once = self.transfer_settings().await?.at_once;
        for kind in KINDS {
            match at_once {
                Some(count) => self.jobs().set_limit(kind, count as usize),
                None => self.jobs().reset_limit(kind),
            }
        }
        Ok(())
    }
}
