//! Import of the AWS shared config (`~/.aws/config` and `~/.aws/credentials`).
//!
//! Parsing uses aws-config's own parser, so what is imported is exactly what aws-config would
//! resolve later. A profile with static keys is copied: its secret goes to the OS secret
//! store. A profile that gets credentials another way (SSO, assume-role, credential_process,
//! web identity) is *referenced*: the row names the AWS profile and the files, and aws-config
//! resolves it at each use, so short-lived credentials are never copied. Existing Strata
//! profiles are never overwritten, so importing twice changes nothing.

use std::path::{Path, PathBuf};

use aws_config::profile::ProfileSet;
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_types::os_shim_internal::{Env, Fs};
use rusqlite::Connection;
use serde::Serialize;

use crate::error::{Error, ErrorCode, Result};
use crate::profile::{self, AwsSource, ProfileInput, Provider, ValidProfile};
use crate::secrets::SecretStore;

/// Keys that mean "credentials come from somewhere other than this file's static keys".
const INDIRECT_KEYS: [&str; 6] = [
    "role_arn",
    "sso_session",
    "sso_start_url",
    "credential_process",
    "web_identity_token_file",
    "source_profile",
];

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ImportReport {
    pub imported: Vec<ImportedProfile>,
    pub skipped: Vec<SkippedProfile>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ImportedProfile {
    pub name: String,
    /// `keyring` when static keys were copied to the secret store, `aws_config` when
    /// aws-config resolves the credentials at use.
    pub credentials: String,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SkippedProfile {
    pub name: String,
    pub reason: String,
}

/// What was read from the files, before anything is written.
#[derive(Clone)]
pub(crate) struct Parsed {
    set: ProfileSet,
    config_file: Option<String>,
    credentials_file: Option<String>,
}

/// Reads the shared config: `config_file` and a `credentials` file beside it, or the default
/// files (which honour `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE`).
pub(crate) async fn read(config_file: Option<PathBuf>) -> Result<Parsed> {
    let (files, config_file, credentials_file) = match config_file {
        Some(path) => {
            if !path.is_file() {
                return Err(Error::new(
                    ErrorCode::NotFound,
                    format!("There is no AWS config file at {}.", path.display()),
                    "Pass the path of an existing file, or leave out --file to read ~/.aws/config.",
                ));
            }
            let credentials = path
                .parent()
                .map(|dir| dir.join("credentials"))
                .filter(|p| p.is_file());
            let mut files = EnvConfigFiles::builder().with_file(EnvConfigFileKind::Config, &path);
            if let Some(credentials) = &credentials {
                files = files.with_file(EnvConfigFileKind::Credentials, credentials);
            }
            (
                files.build(),
                Some(display(&path)),
                credentials.as_deref().map(display),
            )
        }
        None => (
            EnvConfigFiles::builder()
                .include_default_config_file(true)
                .include_default_credentials_file(true)
                .build(),
            None,
            None,
        ),
    };
    let set = aws_config::profile::load(&Fs::real(), &Env::real(), &files, None)
        .await
        .map_err(|e| {
            Error::new(
                ErrorCode::InvalidInput,
                format!("The AWS config could not be read: {e}."),
                "Fix the file (it is an INI file with [profile NAME] sections), then import again.",
            )
        })?;
    Ok(Parsed {
        set,
        config_file,
        credentials_file,
    })
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

pub(crate) fn apply(
    conn: &mut Connection,
    secrets: &SecretStore,
    parsed: Parsed,
) -> Result<ImportReport> {
    let mut report = ImportReport {
        imported: Vec::new(),
        skipped: Vec::new(),
    };
    let mut names: Vec<&str> = parsed.set.profiles().collect();
    names.sort_unstable();
    for name in names {
        let Some(aws) = parsed.set.get_profile(name) else {
            continue;
        };
        let skip = |reason: String| SkippedProfile {
            name: name.to_string(),
            reason,
        };
        if let Err(e) = profile::validate_name(name) {
            report.skipped.push(skip(e.message));
            continue;
        }
        if profile::find(conn, name)?.is_some() {
            report.skipped.push(skip(
                "a Strata profile with this name exists already".into(),
            ));
            continue;
        }
        let endpoint = aws.get("endpoint_url").map(str::to_string);
        let provider = match &endpoint {
            None => Provider::Aws,
            Some(e) if e.contains(".r2.cloudflarestorage.com") => Provider::R2,
            Some(_) => Provider::Other,
        };
        let indirect = INDIRECT_KEYS.iter().any(|k| aws.get(k).is_some());
        let static_keys = aws
            .get("aws_access_key_id")
            .zip(aws.get("aws_secret_access_key"));
        let input = ProfileInput {
            name: name.to_string(),
            provider: Some(provider),
            endpoint,
            region: aws.get("region").map(str::to_string),
            ..ProfileInput::default()
        };
        let outcome = match (indirect, static_keys) {
            (false, Some((key_id, secret))) => import_static(conn, secrets, input, key_id, secret),
            (true, _) => import_reference(conn, input, &parsed, name),
            (false, None) => Err(Error::invalid(
                "credentials",
                "it has no credentials (no keys, SSO, role or credential_process)",
                "",
            )),
        };
        match outcome {
            Ok(credentials) => report.imported.push(ImportedProfile {
                name: name.to_string(),
                credentials: credentials.into(),
            }),
            Err(e) if e.code == ErrorCode::InvalidInput => report.skipped.push(skip(e.message)),
            Err(e) => return Err(e),
        }
    }
    Ok(report)
}

fn import_static(
    conn: &mut Connection,
    secrets: &SecretStore,
    mut input: ProfileInput,
    key_id: &str,
    secret: &str,
) -> Result<&'static str> {
    input.access_key_id = Some(key_id.to_string());
    input.secret_access_key = Some(secret.to_string());
    let (valid, secret) = ValidProfile::from_input(input)?;
    let tx = crate::catalog::write(conn)?;
    let id = profile::insert(&tx, &valid, None)?;
    secrets.set(&id.to_string(), &secret)?;
    tx.commit()?;
    Ok("keyring")
}

fn import_reference(
    conn: &mut Connection,
    input: ProfileInput,
    parsed: &Parsed,
    name: &str,
) -> Result<&'static str> {
    let valid = ValidProfile::referencing_aws(input)?;
    let source = AwsSource {
        profile: name.to_string(),
        config_file: parsed.config_file.clone(),
        credentials_file: parsed.credentials_file.clone(),
    };
    profile::insert(conn, &valid, Some(&source))?;
    Ok("aws_config")
}
