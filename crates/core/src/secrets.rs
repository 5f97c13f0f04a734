//! The OS secret store (Secret Service on Linux, Keychain on macOS, Credential Manager on
//! Windows) through the `keyring` crate.
//!
//! Entries use the data folder's service name and the profile id as account. There is no
//! plaintext fallback: without a store every call fails with `secret_store_unavailable`.
//! Calls block (D-Bus round trips); async callers run them on the blocking pool.

use crate::error::{Error, ErrorCode, Result};

#[derive(Debug, Clone)]
pub struct SecretStore {
    service: String,
}

impl SecretStore {
    pub fn new(service: String) -> Self {
        Self { service }
    }

    pub fn set(&self, account: &str, secret: &str) -> Result<()> {
        self.entry(account)?
            .set_password(secret)
            .map_err(store_error)
    }

    /// The secret, or `None` when the store has no entry for `account`.
    pub fn get(&self, account: &str) -> Result<Option<String>> {
        match self.entry(account)?.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(store_error(err)),
        }
    }

    /// Removes the entry; a missing entry is not an error.
    pub fn delete(&self, account: &str) -> Result<()> {
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(store_error(err)),
        }
    }

    fn entry(&self, account: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(&self.service, account).map_err(store_error)
    }
}

/// Maps a keyring failure to an engine error. Only the platform's own error text is shown:
/// variants that carry secret bytes (`BadEncoding`, `BadDataFormat`) are never formatted.
fn store_error(err: keyring::Error) -> Error {
    let cause = match &err {
        keyring::Error::PlatformFailure(e) | keyring::Error::NoStorageAccess(e) => e.to_string(),
        keyring::Error::NoDefaultStore => "no secret store is running".to_string(),
        keyring::Error::BadEncoding(_) | keyring::Error::BadDataFormat(..) => {
            "the stored secret is unreadable".to_string()
        }
        other => format!("{other:?}").chars().take(200).collect(),
    };
    Error::new(
        ErrorCode::SecretStoreUnavailable,
        format!("The OS secret store could not be used ({cause})."),
        "Start and unlock a Secret Service provider such as GNOME Keyring or KWallet (on a \
         headless machine: run Strata under `dbus-run-session` after \
         `gnome-keyring-daemon --unlock`), then try again.",
    )
}
