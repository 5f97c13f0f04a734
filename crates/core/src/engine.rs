//! The engine: the one object the desktop shell and the CLI call.
//!
//! It owns the data folder, the catalog's connections and the secret store. Every public
//! method is async; blocking work (SQLite, the secret store's D-Bus calls) runs on tokio's
//! blocking pool so no caller's thread (the UI's above all) ever waits on it. Writes go through
//! one connection; reads take connections of their own, which in WAL mode see the last commit
//! and never wait behind a write, this process's or another's.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use serde::Serialize;

use crate::error::{Error, ErrorCode, Result};
use crate::home::DataDir;
use crate::jobs::{Event, JobHandle, Jobs};
use crate::local::{LocalCredentials, LocalEndpoint};
use crate::profile::{self, Profile, ProfileInput, ProfilePatch, Provider, ValidProfile};
use crate::s3::{self, Account, Auth};
use crate::secrets::SecretStore;

/// Read connections kept open between reads (more are opened while reads overlap).
const IDLE_READERS: usize = 4;

#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    home: DataDir,
    catalog: Mutex<Connection>,
    /// Idle read-only connections to the catalog, kept for the next read.
    readers: Mutex<Vec<Connection>>,
    secrets: SecretStore,
    /// The built-in endpoint, started in this process the first time a `local` profile is used.
    local: tokio::sync::OnceCell<LocalEndpoint>,
    jobs: Arc<Jobs>,
    /// S3 clients and credentials per profile id (see [`Engine::account`]).
    accounts: Mutex<HashMap<u32, Arc<Account>>>,
    /// Each searched profile's bucket list, kept while the catalog's version of it holds.
    bucket_snapshots: Arc<Mutex<HashMap<u32, Arc<crate::buckets::Snapshot>>>>,
    /// Why the first-run `local` profile could not be made, to say instead of "no such
    /// profile" when it is asked for.
    local_setup_error: Mutex<Option<Error>>,
}

/// The name of the built-in endpoint's profile, and the setting that remembers its removal.
pub const LOCAL_PROFILE: &str = "local";
const LOCAL_REMOVED_SETTING: &str = "local_profile_removed";

/// The outcome of a connection test, in words and in fields.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ConnectionReport {
    pub profile: String,
    pub endpoint: String,
    /// Buckets seen on the first page; `None` when the key may not list buckets.
    pub bucket_count: Option<u32>,
    /// More buckets exist than the first page held.
    pub more_buckets: bool,
    /// Set when the key works but with a limit the user should know of.
    pub warning: Option<String>,
    /// One sentence for the user.
    pub summary: String,
}

fn missing_secret(profile: &Profile) -> Error {
    Error::new(
        ErrorCode::SecretMissing,
        format!(
            "The secret of profile \"{}\" is missing from the OS secret store.",
            profile.name
        ),
        format!(
            "Enter it again: `strata profile edit \"{}\" --secret-stdin`.",
            profile.name
        ),
    )
}

/// How often a busy catalog is tried again after its busy timeout ran out.
const CATALOG_TRIES: u64 = 5;

/// Buckets asked for on the connection test's single ListBuckets page.
const TEST_PAGE: i32 = 1000;

impl Engine {
    pub fn open(home: DataDir) -> Result<Self> {
        let catalog = crate::catalog::open(&home.catalog_path())?;
        let secrets = SecretStore::new(home.secret_service());
        Ok(Self {
            inner: Arc::new(Inner {
                home,
                catalog: Mutex::new(catalog),
                readers: Mutex::new(Vec::new()),
                secrets,
                local: tokio::sync::OnceCell::new(),
                jobs: Arc::new(Jobs::new()),
                accounts: Mutex::new(HashMap::new()),
                bucket_snapshots: Arc::default(),
                local_setup_error: Mutex::new(None),
            }),
        })
    }

    /// Opens the data folder as the app and the CLI do: the catalog, then the first-run
    /// `local` profile unless the user removed it. Without a secret store the profile is not
    /// made (its secret has nowhere to go); the next start tries again.
    pub async fn start(home: DataDir) -> Result<Self> {
        let engine = tokio::task::spawn_blocking(move || Self::open(home))
            .await
            .map_err(|e| {
                Error::new(
                    ErrorCode::Catalog,
                    format!("Opening the data folder failed: {e}."),
                    "Try again.",
                )
            })??;
        if let Err(err) = engine.ensure_local_profile(false).await {
            tracing::warn!(
                "the built-in local profile could not be created: {} {}",
                err.message,
                err.hint
            );
            *engine
                .inner
                .local_setup_error
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = Some(err);
        }
        if let Err(err) = engine.apply_transfer_settings().await {
            tracing::warn!("the transfer settings could not be read: {}", err.message);
        }
        Ok(engine)
    }

    /// Creates the `local` profile and its key pair if there is none; `restore` also clears
    /// the memory of the user having removed it.
    async fn ensure_local_profile(&self, restore: bool) -> Result<Option<Profile>> {
        self.blocking(move |conn, secrets| {
            let tx = crate::catalog::write(conn)?;
            if restore {
                crate::catalog::set_setting(&tx, LOCAL_REMOVED_SETTING, None)?;
            } else if crate::catalog::setting(&tx, LOCAL_REMOVED_SETTING)?.is_some() {
                return Ok(None);
            }
            if let Some(existing) = profile::list(&tx)?.into_iter().find(|p| p.provider == Provider::Local) {
                return Ok(Some(existing));
            }
            if profile::find(&tx, LOCAL_PROFILE)?.is_some() {
                return Err(Error::new(
                    ErrorCode::AlreadyExists,
                    format!("A profile named \"{LOCAL_PROFILE}\" exists already, so the built-in one cannot take the name."),
                    "Rename that profile, then try again.",
                ));
            }
            let credentials = LocalCredentials::generate();
            let id = profile::insert(&tx, &ValidProfile::local(LOCAL_PROFILE, &credentials.access_key_id), None)?;
            secrets.set(&id.to_string(), &credentials.secret)?;
            tx.commit()?;
            profile::get(conn, LOCAL_PROFILE).map(Some)
        })
        .await
    }

    /// Brings back the `local` profile after the user removed it.
    pub async fn profile_restore_local(&self) -> Result<Profile> {
        self.ensure_local_profile(true).await?.ok_or_else(|| {
            Error::new(
                ErrorCode::Catalog,
                "The local profile could not be restored.",
                "Try again.",
            )
        })
    }

    /// The built-in endpoint's folder in this data folder.
    pub fn local_store_dir(&self) -> PathBuf {
        self.inner.home.path().join("local")
    }

    /// The key pair of the built-in endpoint: the `local` profile's, or `None` without one.
    pub async fn local_credentials(&self) -> Result<Option<LocalCredentials>> {
        self.blocking(|conn, secrets| {
            let Some(local) = profile::list(conn)?
                .into_iter()
                .find(|p| p.provider == Provider::Local)
            else {
                return Ok(None);
            };
            let secret = secrets
                .get(&local.id.to_string())?
                .ok_or_else(|| missing_secret(&local))?;
            Ok(Some(LocalCredentials {
                access_key_id: local.access_key_id.unwrap_or_default(),
                secret,
            }))
        })
        .await
    }

    /// The in-process endpoint on 127.0.0.1 (an ephemeral port), started on first use.
    pub async fn local_endpoint(&self) -> Result<&LocalEndpoint> {
        self.inner
            .local
            .get_or_try_init(|| async {
                let credentials = self.local_credentials().await?.ok_or_else(|| {
                    Error::new(
                        ErrorCode::NotFound,
                        "The built-in local profile was removed.",
                        "Bring it back with `strata profile restore-local`.",
                    )
                })?;
                let listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
                crate::local::serve(&self.local_store_dir(), listen, credentials).await
            })
            .await
    }

    pub fn home(&self) -> &DataDir {
        &self.inner.home
    }

    pub(crate) fn jobs(&self) -> &Arc<Jobs> {
        &self.inner.jobs
    }

    /// Everything the engine reports from now on: job progress, job ends, catalog changes.
    pub fn events(&self) -> tokio::sync::broadcast::Receiver<Event> {
        self.inner.jobs.subscribe()
    }

    /// A handle for work the caller awaits itself (the CLI), reporting on [`Self::events`].
    pub fn new_job(&self) -> JobHandle {
        JobHandle::detached(&self.inner.jobs)
    }

    /// Runs `work` with the catalog and the secret store on the blocking pool. A catalog that
    /// stays busy past the connection's busy timeout (another process holding a long write) is
    /// tried again a few times before the error reaches the user.
    pub(crate) async fn blocking<T, F>(&self, mut work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnMut(&mut Connection, &SecretStore) -> Result<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        let outcome = tokio::task::spawn_blocking(move || {
            let mut tries = 0;
            loop {
                // A panic while holding the lock cannot leave SQLite half-written (transactions
                // roll back), so a poisoned lock is safe to keep using.
                let mut conn = inner.catalog.lock().unwrap_or_else(|p| p.into_inner());
                match work(&mut conn, &inner.secrets) {
                    Err(err)
                        if err.code == ErrorCode::Catalog
                            && err.retryable()
                            && tries < CATALOG_TRIES =>
                    {
                        drop(conn);
                        tries += 1;
                        tracing::info!(tries, "the catalog was busy; trying again");
                        std::thread::sleep(std::time::Duration::from_millis(50 * tries));
                    }
                    other => return other,
                }
            }
        })
        .await;
        self.settled(outcome)
    }

    /// Runs `work`, which only reads, on a connection of its own on the blocking pool: it
    /// sees the catalog as last committed and never waits for a write in progress.
    pub(crate) async fn reading<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        let outcome = tokio::task::spawn_blocking(move || {
            let idle = inner
                .readers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pop();
            let conn = match idle {
                Some(conn) => conn,
                None => crate::catalog::open_reader(&inner.home.catalog_path())?,
            };
            let outcome = work(&conn);
            let mut readers = inner.readers.lock().unwrap_or_else(|p| p.into_inner());
            if readers.len() < IDLE_READERS {
                readers.push(conn);
            }
            outcome
        })
        .await;
        self.settled(outcome)
    }

    /// What work on the blocking pool returned, with a missing `local` profile explained.
    fn settled<T>(
        &self,
        outcome: std::result::Result<Result<T>, tokio::task::JoinError>,
    ) -> Result<T> {
        let outcome = outcome.map_err(|e| {
            Error::new(
                ErrorCode::Catalog,
                format!("A background task failed: {e}."),
                "Try again.",
            )
        })?;
        outcome.map_err(|err| self.explain_missing_local(err))
    }

    /// "No profile named local" when the first run could not make it: the reason instead.
    fn explain_missing_local(&self, err: Error) -> Error {
        if err.code != ErrorCode::NotFound || err != profile::not_found(LOCAL_PROFILE) {
            return err;
        }
        let setup = self
            .inner
            .local_setup_error
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        match &*setup {
            Some(cause) => Error::new(
                cause.code,
                format!(
                    "The built-in \"{LOCAL_PROFILE}\" profile could not be made: {}",
                    cause.message
                ),
                cause.hint.clone(),
            ),
            None => err,
        }
    }

    pub async fn profile_list(&self) -> Result<Vec<Profile>> {
        self.reading(profile::list).await
    }

    pub async fn profile_get(&self, name: &str) -> Result<Profile> {
        let name = name.to_string();
        self.reading(move |conn| profile::get(conn, &name)).await
    }

    /// Validates, writes the row and stores the secret, all or nothing: if the secret store
    /// refuses, the row is rolled back.
    pub async fn profile_add(&self, input: ProfileInput) -> Result<Profile> {
        let (valid, secret) = ValidProfile::from_input(input)?;
        self.blocking(move |conn, secrets| {
            let tx = crate::catalog::write(conn)?;
            let id = profile::insert(&tx, &valid, None)?;
            secrets.set(&id.to_string(), &secret)?;
            tx.commit()?;
            profile::get(conn, &valid.name)
        })
        .await
    }

    pub async fn profile_edit(&self, name: &str, patch: ProfilePatch) -> Result<Profile> {
        let name = name.to_string();
        let edited = self
            .blocking(move |conn, secrets| {
                let current = profile::get(conn, &name)?;
                let (valid, secret) = ValidProfile::from_patch(&current, patch.clone())?;
                let tx = crate::catalog::write(conn)?;
                profile::update(&tx, current.id, &valid)?;
                // Another server or account has other buckets: the list is read afresh.
                if valid.endpoint != current.endpoint
                    || valid.provider != current.provider
                    || valid.account_id != current.account_id
                    || valid.access_key_id != current.access_key_id
                {
                    crate::buckets::rows::forget_all(&tx, current.id)?;
                }
                if let Some(secret) = secret {
                    secrets.set(&current.id.to_string(), &secret)?;
                }
                tx.commit()?;
                profile::get(conn, &valid.name)
            })
            .await?;
        self.forget_account(edited.id);
        Ok(edited)
    }

    /// Removes the profile, its secret and (through foreign keys) every row that belongs to it.
    /// The secret goes first: if the store is unavailable nothing is removed, so no secret is
    /// left behind without a profile that names it.
    /// Removing the `local` profile is remembered, so it is not made again at the next start;
    /// the endpoint's stored objects are kept.
    pub async fn profile_remove(&self, name: &str) -> Result<()> {
        let name = name.to_string();
        let removed = self
            .blocking(move |conn, secrets| {
                let current = profile::get(conn, &name)?;
                if current.aws_profile.is_none() {
                    secrets.delete(&current.id.to_string())?;
                }
                let tx = crate::catalog::write(conn)?;
                profile::delete(&tx, current.id)?;
                if current.provider == Provider::Local {
                    crate::catalog::set_setting(&tx, LOCAL_REMOVED_SETTING, Some("1"))?;
                }
                crate::objects::forget_profile_settings(&tx, current.id)?;
                crate::archive::forget_profile_settings(&tx, current.id)?;
                tx.commit()?;
                Ok(current.id)
            })
            .await?;
        self.forget_account(removed);
        Ok(())
    }

    /// Makes one signed request (ListBuckets, first page) and says in words what happened.
    /// A key that may not list buckets passes with a warning: it can still open buckets it
    /// is allowed to.
    pub async fn profile_test(&self, name: &str) -> Result<ConnectionReport> {
        let account = self.account(name).await?;
        let (profile, client) = (&account.profile, account.client(2));
        let endpoint = account.label();
        let outcome = client.list_buckets().max_buckets(TEST_PAGE).send().await;
        let report = |bucket_count, more_buckets, warning, summary| ConnectionReport {
            profile: profile.name.clone(),
            endpoint: endpoint.clone(),
            bucket_count,
            more_buckets,
            warning,
            summary,
        };
        match outcome {
            Ok(page) => {
                let count = u32::try_from(page.buckets().len()).unwrap_or(u32::MAX);
                let more = page.continuation_token().is_some_and(|t| !t.is_empty());
                let plural = if count == 1 { "" } else { "s" };
                let what = if more {
                    format!("at least {count} bucket{plural}")
                } else {
                    format!("{count} bucket{plural}")
                };
                Ok(report(
                    Some(count),
                    more,
                    None,
                    format!("Connected to {endpoint}: {what}."),
                ))
            }
            Err(err) => {
                let error = s3::error_from_sdk(&err, &endpoint);
                if error.code != ErrorCode::AccessDenied {
                    return Err(error);
                }
                let warning = format!(
                    "{} It can still open the buckets it is allowed to.",
                    error.message
                );
                Ok(report(
                    None,
                    false,
                    Some(warning),
                    format!("Connected to {endpoint}, with limited rights."),
                ))
            }
        }
    }

    /// A saved profile ready for S3 clients. Kept per profile and revision: the secret store is
    /// asked once, and clients and resolved credentials are reused until the profile changes
    /// (in this process or another; the revision is in the catalog).
    pub(crate) async fn account(&self, name: &str) -> Result<Arc<Account>> {
        let name = name.to_string();
        let inner = Arc::clone(&self.inner);
        let found = self
            .blocking(move |conn, secrets| {
                let profile = profile::get(conn, &name)?;
                let revision = profile::revision(conn, profile.id)?;
                let cached = inner
                    .accounts
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get(&profile.id)
                    .cloned();
                if let Some(account) = cached.filter(|a| a.revision == revision) {
                    return Ok(Err(account));
                }
                let auth = match profile::aws_source(conn, profile.id)? {
                    Some(source) => Auth::AwsProfile(source),
                    None => {
                        let secret = secrets
                            .get(&profile.id.to_string())?
                            .ok_or_else(|| missing_secret(&profile))?;
                        Auth::Static {
                            access_key_id: profile.access_key_id.clone().unwrap_or_default(),
                            secret,
                        }
                    }
                };
                Ok(Ok((profile, revision, auth)))
            })
            .await?;
        let (mut profile, revision, auth) = match found {
            Err(cached) => return Ok(cached),
            Ok(fresh) => fresh,
        };
        if profile.provider == Provider::Local {
            let endpoint = self.local_endpoint().await?;
            if let Auth::Static {
                access_key_id,
                secret,
            } = &auth
            {
                // The pair may be new (the profile was removed and restored since start).
                endpoint.set_credentials(LocalCredentials {
                    access_key_id: access_key_id.clone(),
                    secret: secret.clone(),
                });
            }
            profile.endpoint = Some(endpoint.url());
        }
        let account = Arc::new(Account::new(profile, auth, revision));
        let mut accounts = self
            .inner
            .accounts
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        accounts.retain(|_, a| a.profile.name != account.profile.name);
        accounts.insert(account.profile.id, Arc::clone(&account));
        Ok(account)
    }

    /// Forgets the clients, credentials, bucket regions and bucket list kept for a profile
    /// (edited or removed).
    fn forget_account(&self, profile_id: u32) {
        self.inner
            .accounts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&profile_id);
        self.inner
            .bucket_snapshots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&profile_id);
    }

    pub(crate) fn bucket_snapshots(
        &self,
    ) -> Arc<Mutex<HashMap<u32, Arc<crate::buckets::Snapshot>>>> {
        Arc::clone(&self.inner.bucket_snapshots)
    }

    /// Imports the profiles of the AWS shared config; see [`crate::aws_import`].
    pub async fn profile_import_aws(
        &self,
        config_file: Option<PathBuf>,
    ) -> Result<crate::aws_import::ImportReport> {
        let parsed = crate::aws_import::read(config_file).await?;
        self.blocking(move |conn, secrets| crate::aws_import::apply(conn, secrets, parsed.clone()))
            .await
    }
}
