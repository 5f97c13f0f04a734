//! The manifest written beside an archived project: what it holds, as proof and as the list
//! a later verification and restore work from. Plain JSON, in the bucket's default class,
//! so any tool can read it without a restore.

use aws_sdk_s3::primitives::ByteStream;
use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::remote::RemotePath;
use crate::s3;

/// The manifest's name, under the archived project's prefix.
pub const MANIFEST_NAME: &str = ".strata-manifest.json";

/// The format this Strata writes; a newer one is refused rather than misread.
const FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Manifest {
    pub format: u32,
    /// Where the project was: `PROFILE:BUCKET/PREFIX/`.
    pub source: String,
    /// Where the archived copy is.
    pub location: String,
    /// The archived copies' storage class, if one was asked for.
    pub class: Option<String>,
    /// When every copy had verified (RFC 3339, UTC).
    pub archived_at: String,
    pub objects: u32,
    #[specta(type = u32)] // a TS number: sizes stay far below 2^53
    pub bytes: u64,
    pub entries: Vec<ManifestEntry>,
}

/// One archived object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct ManifestEntry {
    /// The key below the project's prefix (the same below source and location).
    pub key: String,
    #[specta(type = u32)] // a TS number: sizes stay far below 2^53
    pub size: u64,
    /// The archived copy's ETag, as its server reported it after the copy verified: the
    /// bytes' MD5 for a single-part object, `MD5-N` for one of N parts.
    pub etag: Option<String>,
    /// The source object's ETag when it was copied.
    pub source_etag: Option<String>,
    /// The source object's last change (RFC 3339), its date.
    pub modified: Option<String>,
}

impl Manifest {
    pub(crate) fn new(source: &RemotePath, location: &RemotePath, class: Option<String>) -> Self {
        Self {
            format: FORMAT,
            source: source.to_string(),
            location: location.to_string(),
            class,
            archived_at: String::new(),
            objects: 0,
            bytes: 0,
            entries: Vec::new(),
        }
    }
}

impl Engine {
    /// The manifest under `location`, if one is there.
    pub(crate) async fn manifest_read(&self, location: &RemotePath) -> Result<Option<Manifest>> {
        let account = self.account(&location.profile).await?;
        let key = format!("{}{MANIFEST_NAME}", location.key);
        let read = self
            .on_bucket(&account, &location.bucket, |client| {
                let (key, account) = (&key, &account);
                async move {
                    let object = client
                        .get_object()
                        .bucket(&location.bucket)
                        .key(key)
                        .send()
                        .await
                        .map_err(|e| s3::error_from_sdk(&e, &account.label()))?;
                    let bytes = object.body.collect().await.map_err(|e| {
                        crate::objects::body_interrupted("Reading the manifest", e, "Try again.")
                    })?;
                    Ok(bytes.to_vec())
                }
            })
            .await;
        let bytes = match read {
            Ok(bytes) => bytes,
            Err(err) if err.code == ErrorCode::NoSuchKey => return Ok(None),
            Err(err) => return Err(err),
        };
        let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
            Error::new(
                ErrorCode::S3,
                format!("{location}{MANIFEST_NAME} is not a manifest Strata can read ({e})."),
                "It may have been edited by hand; restore it from a backup, or archive again.",
            )
        })?;
        if manifest.format > FORMAT {
            return Err(Error::new(
                ErrorCode::CatalogTooNew,
                format!("{location}{MANIFEST_NAME} was written by a newer Strata."),
                "Update Strata to read it.",
            ));
        }
        Ok(Some(manifest))
    }

    /// Writes the manifest under `location` and checks it landed whole.
    pub(crate) async fn manifest_write(
        &self,
        location: &RemotePath,
        manifest: &Manifest,
    ) -> Result<()> {
        let account = self.account(&location.profile).await?;
        let key = format!("{}{MANIFEST_NAME}", location.key);
        let body = serde_json::to_vec_pretty(manifest).map_err(|e| {
            Error::new(
                ErrorCode::Io,
                format!("The manifest could not be written: {e}."),
                "Report this.",
            )
        })?;
        self.on_bucket(&account, &location.bucket, |client| {
            let (key, body, account) = (&key, body.clone(), &account);
            async move {
                client
                    .put_object()
                    .bucket(&location.bucket)
                    .key(key)
                    .content_type("application/json")
                    .body(ByteStream::from(body))
                    .send()
                    .await
                    .map_err(|e| s3::error_from_sdk(&e, &account.label()))
            }
        })
        .await?;
        if self.manifest_read(location).await?.as_ref() != Some(manifest) {
            return Err(Error::new(
                ErrorCode::S3,
                format!(
                    "The manifest at {location}{MANIFEST_NAME} did not read back as written; no source was deleted."
                ),
                "Try again; if it persists, the target server may be altering objects.",
            ));
        }
        Ok(())
    }
}
