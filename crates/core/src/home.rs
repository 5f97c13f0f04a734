//! The data folder: where the catalog (and later the local endpoint) live.
//!
//! The app and the CLI resolve it through [`DataDir::resolve`], so they always share one
//! catalog. Its canonical path also names the secret-store namespace, so two data folders
//! (a user's and a test's) never see each other's secrets.

use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorCode, Result};

/// Environment variable that replaces the default data folder.
pub const HOME_ENV: &str = "STRATA_HOME";

#[derive(Debug, Clone)]
pub struct DataDir {
    path: PathBuf,
}

impl DataDir {
    /// `explicit` (the `--home` flag), else `STRATA_HOME`, else the platform's data folder +
    /// `strata`. The folder is created if missing and canonicalized.
    pub fn resolve(explicit: Option<PathBuf>) -> Result<Self> {
        let chosen = explicit
            .or_else(|| {
                std::env::var_os(HOME_ENV)
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            })
            .or_else(|| dirs::data_dir().map(|d| d.join("strata")))
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::Io,
                    "No data folder could be determined for this user.",
                    format!("Set {HOME_ENV} (or pass --home) to a writable folder."),
                )
            })?;
        Self::at(&chosen)
    }

    pub fn at(path: &Path) -> Result<Self> {
        std::fs::create_dir_all(path).map_err(|e| {
            Error::io(
                format!("Cannot create the data folder {}", path.display()),
                &e,
            )
        })?;
        let path = path.canonicalize().map_err(|e| {
            Error::io(
                format!("Cannot open the data folder {}", path.display()),
                &e,
            )
        })?;
        Ok(Self { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn catalog_path(&self) -> PathBuf {
        self.path.join("catalog.sqlite")
    }

    /// The secret-store service name for this data folder.
    pub fn secret_service(&self) -> String {
        format!("strata {}", self.path.display())
    }
}

/// Where the app puts downloads: the platform's downloads folder, else `~/Downloads`.
pub fn downloads_folder() -> PathBuf {
    dirs::download_dir()
        .or_else(|| dirs::home_dir().map(|home| home.join("Downloads")))
        .unwrap_or_else(|| PathBuf::from("Downloads"))
}
