//! The one error shape of the engine.
//!
//! Every failure that reaches a user is an [`Error`]: a closed [`ErrorCode`] that the UI and the
//! CLI branch on, one sentence saying what happened, and a hint saying what to do. An error also
//! knows whether and how retrying can help ([`Retry`]): retry loops never repeat a permanent
//! failure and back off longer when the server asks them to slow down. Messages never contain
//! a secret: they are built from names, codes and endpoints only.

use serde::{Deserialize, Serialize};

/// What went wrong, as a closed set the UI and scripts can branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The input failed validation before any I/O; `field` names the culprit.
    InvalidInput,
    /// The named thing (profile, local file) does not exist.
    NotFound,
    /// The bucket does not exist (any more); it leaves the bucket list.
    NoSuchBucket,
    /// No object has that key (its bucket exists).
    NoSuchKey,
    /// The multipart upload is gone: completed, aborted, or expired by the server.
    NoSuchUpload,
    /// A thing with that name exists already.
    AlreadyExists,
    /// No OS secret store is reachable, or it is locked.
    SecretStoreUnavailable,
    /// The secret for a profile is missing from the secret store.
    SecretMissing,
    /// The access key id is unknown to the server.
    InvalidAccessKey,
    /// The secret does not match the access key id.
    SignatureMismatch,
    /// The machine's clock differs too much from the server's.
    ClockSkew,
    /// Nothing answered at the endpoint (refused, DNS, timeout).
    EndpointUnreachable,
    /// The TLS handshake failed (certificate, or https to a plain-http port).
    Tls,
    /// The key is valid but may not do this.
    AccessDenied,
    /// Credentials could not be resolved (AWS SSO, assume-role, credential_process).
    CredentialsUnavailable,
    /// The server answered with an error not covered above.
    S3,
    /// The catalog was written by a newer Strata.
    CatalogTooNew,
    /// The catalog could not be read or written.
    Catalog,
    /// A local file could not be read or written.
    Io,
    /// The local disk is full: free space on it, then resume.
    DiskFull,
    /// The bucket holds objects, versions or unfinished uploads; deleting it needs `--force`.
    BucketNotEmpty,
    /// The request went to another region than the bucket's.
    WrongRegion,
    /// The user (or a newer request) cancelled the work.
    Cancelled,
    /// A sync pair's folder is gone or on another drive than before (an unmounted drive).
    FolderMissing,
    /// Another Strata process is doing this right now (syncing the same pair).
    InUse,
    /// The server does not offer this (a storage class, lifecycle rules, restores).
    Unsupported,
    /// The object is in an archival storage class and must be restored before it is read.
    NotRestored,
    /// Strata itself failed (a bug): the work stopped, and says where.
    Internal,
}

/// Whether trying the same thing again can help, and how soon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Retry {
    /// The same request will fail the same way: fix the cause first.
    Never,
    /// A passing fault (a reset connection, a 500): retry with a short backoff.
    Transient,
    /// The server asked to slow down (503 SlowDown, throttling): retry with a long backoff.
    Throttled,
}

/// An engine error: code, one sentence, what to do, and whether a retry can help.
/// It crosses to the UI as is (no secret is ever in it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, specta::Type)]
#[serde(rename = "ApiError")]
#[error("{message}")]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    pub hint: String,
    /// The input field at fault, for validation errors (`name`, `endpoint`, ...).
    pub field: Option<&'static str>,
    pub retry: Retry,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            hint: hint.into(),
            field: None,
            retry: if code == ErrorCode::EndpointUnreachable {
                Retry::Transient
            } else {
                Retry::Never
            },
        }
    }

    /// Whether a retry can help at all.
    pub fn retryable(&self) -> bool {
        self.retry != Retry::Never
    }

    /// A validation error on one input field.
    pub fn invalid(
        field: &'static str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Self::new(ErrorCode::InvalidInput, message, hint).with_field(field)
    }

    pub fn with_field(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }

    pub fn with_retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    pub fn catalog(err: impl std::fmt::Display) -> Self {
        Self::new(
            ErrorCode::Catalog,
            format!("The catalog could not be used: {err}."),
            "Check that the data folder is writable and the disk is not full.",
        )
    }

    pub fn io(what: impl std::fmt::Display, err: &std::io::Error) -> Self {
        if err.kind() == std::io::ErrorKind::StorageFull {
            return Self::new(
                ErrorCode::DiskFull,
                format!("{what}: the disk is full."),
                "Free space on that disk, then try again.",
            );
        }
        Self::new(
            ErrorCode::Io,
            format!("{what}: {err}."),
            "Check that the path exists and that you may read and write it.",
        )
    }
}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Self {
        let busy = matches!(
            err.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        );
        Self::catalog(err).with_retry(if busy { Retry::Transient } else { Retry::Never })
    }
}
