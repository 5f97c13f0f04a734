//! The one error shape of the engine.
//!
//! Every failure that reaches a user is an [`Error`]: a closed [`ErrorCode`] that the UI and the
//! CLI branch on, one sentence saying what happened, and a hint saying what to do. An error also
//! knows whether retrying can help ([`Error::retryable`]), so retry loops never repeat a
//! permanent failure. Messages never contain a secret: they are built from names, codes and
//! endpoints only.

use serde::Serialize;

/// What went wrong, as a closed set the UI and scripts can branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The input failed validation before any I/O; `field` names the culprit.
    InvalidInput,
    /// The named thing (profile, file) does not exist.
    NotFound,
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
    /// The bucket holds objects, versions or unfinished uploads; deleting it needs `--force`.
    BucketNotEmpty,
    /// The request went to another region than the bucket's.
    WrongRegion,
    /// The user (or a newer request) cancelled the work.
    Cancelled,
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
    pub retryable: bool,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            hint: hint.into(),
            field: None,
            retryable: matches!(code, ErrorCode::EndpointUnreachable),
        }
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

    pub fn with_retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
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
        Self::catalog(err).with_retryable(busy)
    }
}
