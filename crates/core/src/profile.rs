//! Profiles: a named S3 account (provider, endpoint, region, addressing, access key id).
//!
//! The secret never enters this module's rows: it goes to the secret store under the profile's
//! id, or, for profiles imported from the AWS shared config with no static keys, it is never
//! held at all (aws-config resolves it at use). Validation happens before any I/O and names the
//! field at fault.

use std::fmt;
use std::str::FromStr;

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, Result};

/// Longest profile name, in characters.
pub const NAME_MAX_CHARS: usize = 64;
/// The region used when none is given.
pub const DEFAULT_REGION: &str = "us-east-1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Aws,
    R2,
    Minio,
    Seaweedfs,
    Local,
    Other,
}

impl Provider {
    pub const ALL: [Provider; 6] = [
        Provider::Aws,
        Provider::R2,
        Provider::Minio,
        Provider::Seaweedfs,
        Provider::Local,
        Provider::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Aws => "aws",
            Provider::R2 => "r2",
            Provider::Minio => "minio",
            Provider::Seaweedfs => "seaweedfs",
            Provider::Local => "local",
            Provider::Other => "other",
        }
    }

    /// Whether requests address buckets as `endpoint/bucket/key` by default. Only AWS and R2
    /// are sure to resolve `bucket.endpoint` host names; a self-hosted or unknown server
    /// mostly has no wildcard DNS, so path-style is the default that works there.
    pub(crate) fn prefers_path_style(self) -> bool {
        !matches!(self, Provider::Aws | Provider::R2)
    }

    /// Whether the provider is known to check a claimed `x-amz-checksum-crc64nvme` of any
    /// request body (S3 since its 2025 integrity defaults; the built-in endpoint), so a single
    /// PUT can carry that in place of an MD5. A multipart upload asks every server instead.
    pub(crate) fn checks_crc64nvme(self) -> bool {
        matches!(self, Provider::Aws | Provider::Local)
    }

    /// What this provider usually needs: the one source of defaults for the app's form, the
    /// CLI and `import-aws`.
    pub fn preset(self) -> ProviderPreset {
        let (label, endpoint_placeholder, endpoint_required, region) = match self {
            Provider::Aws => ("Amazon S3", "leave empty for AWS", false, DEFAULT_REGION),
            Provider::R2 => (
                "Cloudflare R2",
                "derived from the account id",
                false,
                "auto",
            ),
            Provider::Minio => ("MinIO", "http://127.0.0.1:9000", true, DEFAULT_REGION),
            Provider::Seaweedfs => ("SeaweedFS", "http://127.0.0.1:8333", true, DEFAULT_REGION),
            Provider::Local => ("Built-in (this computer)", "", false, DEFAULT_REGION),
            Provider::Other => (
                "Other S3-compatible",
                "https://s3.example.com",
                true,
                DEFAULT_REGION,
            ),
        };
        ProviderPreset {
            provider: self,
            label: label.to_string(),
            endpoint_placeholder: endpoint_placeholder.to_string(),
            endpoint_required,
            region: region.to_string(),
            path_style: self.prefers_path_style(),
            needs_account_id: self == Provider::R2,
        }
    }
}

/// A provider's usual settings; the user can change every field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct ProviderPreset {
    pub provider: Provider,
    pub label: String,
    pub endpoint_placeholder: String,
    pub endpoint_required: bool,
    pub region: String,
    pub path_style: bool,
    pub needs_account_id: bool,
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Provider {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Provider::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| {
                Error::invalid(
                    "provider",
                    format!("Unknown provider \"{s}\"."),
                    "Use one of aws, r2, minio, seaweedfs, other.",
                )
            })
    }
}

/// A saved profile, as the UI and the CLI show it. Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct Profile {
    pub name: String,
    pub id: u32,
    pub provider: Provider,
    /// The S3 endpoint URL; `None` for AWS's own regional endpoints.
    pub endpoint: Option<String>,
    pub account_id: Option<String>,
    pub region: String,
    pub path_style: bool,
    pub access_key_id: Option<String>,
    /// Set for profiles whose credentials aws-config resolves at use from the AWS shared
    /// config (SSO, assume-role, credential_process): the name of that AWS profile.
    pub aws_profile: Option<String>,
}

impl Profile {
    /// Whether a request body reaches the server exactly as sent: over TLS (AWS's own
    /// endpoints, any https endpoint) or on this machine's loopback (the built-in endpoint,
    /// a local server or tunnel). There an upload's signed Content-MD5 is all the check its
    /// body needs, and SigV4's SHA-256 of every byte is work for nothing on both ends; over
    /// plain HTTP across a network it stays, for servers that might not check the MD5.
    pub fn bodies_arrive_intact(&self) -> bool {
        let Some(endpoint) = &self.endpoint else {
            return true;
        };
        let Ok(url) = url::Url::parse(endpoint) else {
            return false;
        };
        url.scheme() == "https"
            || match url.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
                None => false,
            }
    }
}

/// What a user types in the add form or passes to `strata profile add`.
#[derive(Debug, Clone, Default, Deserialize, specta::Type)]
pub struct ProfileInput {
    pub name: String,
    pub provider: Option<Provider>,
    pub endpoint: Option<String>,
    pub account_id: Option<String>,
    pub region: Option<String>,
    pub path_style: Option<bool>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

/// A change to a saved profile: `None` keeps the current value.
#[derive(Debug, Clone, Default, Deserialize, specta::Type)]
pub struct ProfilePatch {
    pub name: Option<String>,
    pub provider: Option<Provider>,
    pub endpoint: Option<String>,
    pub account_id: Option<String>,
    pub region: Option<String>,
    pub path_style: Option<bool>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

/// Checks a profile name: 1–64 unicode letters, digits, spaces, `.`, `_`, `-`.
pub fn validate_name(name: &str) -> Result<()> {
    const HINT: &str = "Use 1 to 64 letters, digits, spaces, '.', '_' or '-'.";
    if name.trim().is_empty() {
        return Err(Error::invalid("name", "The profile name is empty.", HINT));
    }
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(Error::invalid(
            "name",
            format!("The profile name is longer than {NAME_MAX_CHARS} characters."),
            HINT,
        ));
    }
    if name != name.trim() {
        return Err(Error::invalid(
            "name",
            "The profile name starts or ends with a space.",
            "Remove the leading and trailing spaces.",
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, ' ' | '.' | '_' | '-')))
    {
        let why = match bad {
            ':' | '/' => " (':' and '/' separate profile, bucket and key in remote paths)",
            _ => "",
        };
        return Err(Error::invalid(
            "name",
            format!("The profile name may not contain {bad:?}{why}."),
            HINT,
        ));
    }
    Ok(())
}

/// Parses and normalizes an endpoint URL: http or https, a host, no credentials, path,
/// query or fragment. Returned without a trailing slash.
pub fn validate_endpoint(endpoint: &str) -> Result<String> {
    const HINT: &str =
        "Enter the server's base URL, like https://s3.example.com or http://127.0.0.1:9000.";
    let bad = |why: String| Error::invalid("endpoint", why, HINT);
    let trimmed = endpoint.trim();
    let url = url::Url::parse(trimmed)
        .map_err(|e| bad(format!("The endpoint \"{trimmed}\" is not a URL ({e}).")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(format!(
            "The endpoint must start with http:// or https://, not {}://.",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("The endpoint has no host name.".into()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid(
            "endpoint",
            "The endpoint contains a user name or password.",
            "Remove them from the URL: keys go in the access key fields, where the secret is kept in the OS secret store.",
        ));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(bad(
            "The endpoint has a path, query or fragment after the host.".into(),
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

pub(crate) fn validate_region(region: &str) -> Result<()> {
    if region.is_empty() {
        return Err(Error::invalid(
            "region",
            "The region may not be empty.",
            "Leave the option out for the provider's usual region, or give a region code like us-east-1.",
        ));
    }
    let ok = region.len() <= 64
        && region
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "region",
            format!("\"{region}\" is not a region name."),
            "Use the provider's region code, like us-east-1, eu-central-1 or auto (R2).",
        ))
    }
}

fn validate_access_key_id(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(Error::invalid(
            "access_key_id",
            "The access key id is missing.",
            "Copy the access key id from your provider's console.",
        ));
    }
    if key.len() > 128 || key.chars().any(char::is_whitespace) {
        return Err(Error::invalid(
            "access_key_id",
            "The access key id contains spaces or is too long.",
            "Copy the access key id again, without surrounding text.",
        ));
    }
    Ok(())
}

fn validate_secret(secret: &str) -> Result<()> {
    if secret.is_empty() {
        return Err(Error::invalid(
            "secret_access_key",
            "The secret access key is missing.",
            "Paste the secret access key that belongs to the access key id.",
        ));
    }
    if secret.chars().any(char::is_whitespace) {
        return Err(Error::invalid(
            "secret_access_key",
            "The secret access key contains spaces or line breaks.",
            "Paste the secret access key again, without surrounding text.",
        ));
    }
    Ok(())
}

fn validate_account_id(account_id: &str) -> Result<String> {
    let id = account_id.trim().to_ascii_lowercase();
    if id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(id)
    } else {
        Err(Error::invalid(
            "account_id",
            "The Cloudflare account id must be 32 hexadecimal characters.",
            "Copy it from the R2 overview page of the Cloudflare dashboard.",
        ))
    }
}

/// A profile whose fields all passed validation, ready to be written.
#[derive(Debug, Clone)]
pub(crate) struct ValidProfile {
    pub name: String,
    pub provider: Provider,
    pub endpoint: Option<String>,
    pub account_id: Option<String>,
    pub region: String,
    pub path_style: bool,
    pub access_key_id: Option<String>,
}

impl ValidProfile {
    /// Validates everything in `fields` but the secret; `path_style: None` takes the
    /// provider's default. `key_required` is false for profiles whose credentials aws-config
    /// resolves.
    fn check(fields: ProfileInput, key_required: bool) -> Result<Self> {
        validate_name(&fields.name)?;
        let provider = fields.provider.unwrap_or(Provider::Other);
        let non_empty =
            |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let account_id = non_empty(fields.account_id)
            .map(|id| validate_account_id(&id))
            .transpose()?;
        let endpoint = match non_empty(fields.endpoint) {
            Some(e) => Some(validate_endpoint(&e)?),
            None => match (provider, &account_id) {
                (Provider::Aws | Provider::Local, _) => None,
                (Provider::R2, Some(id)) => Some(format!("https://{id}.r2.cloudflarestorage.com")),
                (Provider::R2, None) => {
                    return Err(Error::invalid(
                        "endpoint",
                        "An R2 profile needs an endpoint or a Cloudflare account id.",
                        "Pass --account-id (the endpoint is derived from it) or --endpoint.",
                    ));
                }
                _ => {
                    return Err(Error::invalid(
                        "endpoint",
                        format!("A {provider} profile needs an endpoint URL."),
                        "Enter the server's base URL, like http://127.0.0.1:9000.",
                    ));
                }
            },
        };
        // Left out: the provider's usual region. Given but empty: a mistake worth saying.
        let region = match fields.region {
            Some(region) => region.trim().to_string(),
            None => provider.preset().region,
        };
        validate_region(&region)?;
        let access_key_id = non_empty(fields.access_key_id);
        if key_required || access_key_id.is_some() {
            validate_access_key_id(access_key_id.as_deref().unwrap_or(""))?;
        }
        Ok(Self {
            name: fields.name,
            provider,
            endpoint,
            account_id,
            region,
            path_style: fields.path_style.unwrap_or(provider.prefers_path_style()),
            access_key_id,
        })
    }

    pub fn from_input(mut input: ProfileInput) -> Result<(Self, String)> {
        if input.provider == Some(Provider::Local) {
            return Err(Error::invalid(
                "provider",
                "The local provider is Strata's built-in endpoint, which has one profile Strata makes itself.",
                "Choose another provider; to bring back a removed `local` profile, run `strata profile restore-local`.",
            ));
        }
        let secret = input.secret_access_key.take().unwrap_or_default();
        let valid = Self::check(input, true)?;
        validate_secret(&secret)?;
        Ok((valid, secret))
    }

    /// The built-in endpoint's profile: no endpoint (the port changes every run).
    pub fn local(name: &str, access_key_id: &str) -> Self {
        Self {
            name: name.to_string(),
            provider: Provider::Local,
            endpoint: None,
            account_id: None,
            region: crate::local::DEFAULT_REGION.to_string(),
            path_style: true,
            access_key_id: Some(access_key_id.to_string()),
        }
    }

    /// Validates a profile whose credentials aws-config resolves: no key, no secret.
    pub fn referencing_aws(input: ProfileInput) -> Result<Self> {
        Self::check(
            ProfileInput {
                access_key_id: None,
                secret_access_key: None,
                ..input
            },
            false,
        )
    }

    /// Applies `patch` over `current`; the secret is returned only when it changes.
    pub fn from_patch(current: &Profile, patch: ProfilePatch) -> Result<(Self, Option<String>)> {
        let merged = ProfileInput {
            name: patch.name.unwrap_or_else(|| current.name.clone()),
            provider: Some(patch.provider.unwrap_or(current.provider)),
            endpoint: patch.endpoint.or_else(|| current.endpoint.clone()),
            account_id: patch.account_id.or_else(|| current.account_id.clone()),
            region: patch.region.or_else(|| Some(current.region.clone())),
            path_style: patch.path_style.or(Some(current.path_style)),
            access_key_id: patch
                .access_key_id
                .or_else(|| current.access_key_id.clone()),
            secret_access_key: None,
        };
        let valid = Self::check(merged, current.aws_profile.is_none())?;
        let secret = patch.secret_access_key.filter(|s| !s.is_empty());
        if let Some(secret) = &secret {
            validate_secret(secret)?;
        }
        Ok((valid, secret))
    }
}

/// Where an imported profile's credentials come from at use.
#[derive(Debug, Clone)]
pub(crate) struct AwsSource {
    pub profile: String,
    pub config_file: Option<String>,
    pub credentials_file: Option<String>,
}

const COLUMNS: &str =
    "id, name, provider, endpoint, account_id, region, path_style, access_key_id, aws_profile";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Profile> {
    let provider: String = row.get(2)?;
    Ok(Profile {
        id: row.get(0)?,
        name: row.get(1)?,
        provider: provider.parse().unwrap_or(Provider::Other),
        endpoint: row.get(3)?,
        account_id: row.get(4)?,
        region: row.get(5)?,
        path_style: row.get(6)?,
        access_key_id: row.get(7)?,
        aws_profile: row.get(8)?,
    })
}

pub(crate) fn list(conn: &Connection) -> Result<Vec<Profile>> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM profiles ORDER BY name"))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn find(conn: &Connection, name: &str) -> Result<Option<Profile>> {
    let sql = format!("SELECT {COLUMNS} FROM profiles WHERE name = ?1");
    Ok(conn.query_row(&sql, [name], from_row).optional()?)
}

pub(crate) fn get(conn: &Connection, name: &str) -> Result<Profile> {
    find(conn, name)?.ok_or_else(|| not_found(name))
}

pub(crate) fn not_found(name: &str) -> Error {
    Error::new(
        ErrorCode::NotFound,
        format!("There is no profile named \"{name}\"."),
        "Run `strata profile list` to see the profiles, or add one with `strata profile add`.",
    )
}

/// A number that changes with every edit of the profile (its secret included).
pub(crate) fn revision(conn: &Connection, id: u32) -> Result<i64> {
    Ok(
        conn.query_row("SELECT revision FROM profiles WHERE id = ?1", [id], |r| {
            r.get(0)
        })?,
    )
}

pub(crate) fn aws_source(conn: &Connection, id: u32) -> Result<Option<AwsSource>> {
    let source = conn.query_row(
        "SELECT aws_profile, aws_config_file, aws_credentials_file FROM profiles WHERE id = ?1",
        [id],
        |row| {
            let Some(profile) = row.get::<_, Option<String>>(0)? else {
                return Ok(None);
            };
            Ok(Some(AwsSource {
                profile,
                config_file: row.get(1)?,
                credentials_file: row.get(2)?,
            }))
        },
    )?;
    Ok(source)
}

/// Refuses a name that another profile (other than `except_id`) has, ignoring case, since
/// `Work` and `work` side by side would be a trap in remote paths.
fn ensure_name_free(conn: &Connection, name: &str, except_id: Option<u32>) -> Result<()> {
    let lower = name.to_lowercase();
    let taken = list(conn)?
        .into_iter()
        .any(|p| Some(p.id) != except_id && p.name.to_lowercase() == lower);
    if taken {
        return Err(Error::new(
            ErrorCode::AlreadyExists,
            format!("A profile named \"{name}\" exists already."),
            "Choose another name, or edit the existing profile.",
        )
        .with_field("name"));
    }
    Ok(())
}

pub(crate) fn insert(
    conn: &Connection,
    p: &ValidProfile,
    source: Option<&AwsSource>,
) -> Result<u32> {
    ensure_name_free(conn, &p.name, None)?;
    let now = crate::catalog::now();
    conn.execute(
        "INSERT INTO profiles (name, provider, endpoint, account_id, region, path_style, access_key_id,
                               aws_profile, aws_config_file, aws_credentials_file, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
        params![
            p.name,
            p.provider.as_str(),
            p.endpoint,
            p.account_id,
            p.region,
            p.path_style,
            p.access_key_id,
            source.map(|s| &s.profile),
            source.and_then(|s| s.config_file.as_ref()),
            source.and_then(|s| s.credentials_file.as_ref()),
            now
        ],
    )?;
    u32::try_from(conn.last_insert_rowid()).map_err(Error::catalog)
}

pub(crate) fn update(conn: &Connection, id: u32, p: &ValidProfile) -> Result<()> {
    ensure_name_free(conn, &p.name, Some(id))?;
    conn.execute(
        "UPDATE profiles SET name = ?2, provider = ?3, endpoint = ?4, account_id = ?5, region = ?6,
                path_style = ?7, access_key_id = ?8, updated_at = ?9, revision = revision + 1 WHERE id = ?1",
        params![
            id,
            p.name,
            p.provider.as_str(),
            p.endpoint,
            p.account_id,
            p.region,
            p.path_style,
            p.access_key_id,
            crate::catalog::now()
        ],
    )?;
    Ok(())
}

pub(crate) fn delete(conn: &Connection, id: u32) -> Result<()> {
    conn.execute("DELETE FROM profiles WHERE id = ?1", [id])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_spaces_and_unicode_are_accepted() {
        for name in [
            "work",
            "Work 2",
            "fotos-köln",
            "写真",
            "a.b_c-d",
            &"x".repeat(64),
        ] {
            validate_name(name).unwrap_or_else(|e| panic!("{name:?}: {}", e.message));
        }
    }

    #[test]
    fn bad_names_are_refused_with_the_reason() {
        for (name, says) in [
            ("", "empty"),
            ("   ", "empty"),
            ("a:b", "':'"),
            ("a/b", "'/'"),
            (" lead", "starts or ends"),
            ("tab\there", "'\\t'"),
            (&"x".repeat(65), "longer than 64"),
        ] {
            let err = validate_name(name).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput);
            assert_eq!(err.field, Some("name"));
            assert!(err.message.contains(says), "{name:?}: {}", err.message);
        }
    }

    #[test]
    fn bodies_are_trusted_to_arrive_intact_only_over_tls_or_loopback() {
        let at = |endpoint: Option<&str>| Profile {
            name: "p".into(),
            id: 1,
            provider: Provider::Other,
            endpoint: endpoint.map(str::to_string),
            account_id: None,
            region: "us-east-1".into(),
            path_style: true,
            access_key_id: None,
            aws_profile: None,
        };
        for intact in [
            None,
            Some("https://s3.example.com"),
            Some("https://10.0.0.5:9000"),
            Some("http://127.0.0.1:9000"),
            Some("http://127.0.0.2:9000"),
            Some("http://[::1]:9000"),
            Some("http://LocalHost:9000"),
        ] {
            assert!(at(intact).bodies_arrive_intact(), "{intact:?}");
        }
        for across_a_network in [
            Some("http://10.0.0.5:9000"),
            Some("http://minio.lan:9000"),
            Some("http://localhost.example.com"),
        ] {
            assert!(
                !at(across_a_network).bodies_arrive_intact(),
                "{across_a_network:?}"
            );
        }
    }

    #[test]
    fn endpoints_are_checked_and_normalized() {
        assert_eq!(
            validate_endpoint("http://127.0.0.1:9000/").unwrap(),
            "http://127.0.0.1:9000"
        );
        assert_eq!(
            validate_endpoint(" https://S3.Example.com ").unwrap(),
            "https://s3.example.com"
        );
        for (bad, says) in [
            ("s3.example.com", "not a URL"),
            ("ftp://host", "http:// or https://"),
            ("https://user:pw@host", "user name or password"),
            ("https://host/bucket", "path"),
            ("https://host?x=1", "path, query"),
            ("http://", "not a URL"),
        ] {
            let err = validate_endpoint(bad).unwrap_err();
            assert_eq!(err.field, Some("endpoint"), "{bad}");
            assert!(err.message.contains(says), "{bad}: {}", err.message);
        }
    }

    fn input(provider: Provider) -> ProfileInput {
        ProfileInput {
            name: "p".into(),
            provider: Some(provider),
            access_key_id: Some("AKID".into()),
            secret_access_key: Some("secret".into()),
            ..ProfileInput::default()
        }
    }

    #[test]
    fn provider_rules_for_endpoint_and_defaults() {
        let (aws, _) = ValidProfile::from_input(input(Provider::Aws)).unwrap();
        assert_eq!(
            (aws.endpoint, aws.region.as_str(), aws.path_style),
            (None, "us-east-1", false)
        );

        let err = ValidProfile::from_input(input(Provider::Minio)).unwrap_err();
        assert_eq!(err.field, Some("endpoint"));

        let err = ValidProfile::from_input(input(Provider::R2)).unwrap_err();
        assert!(err.message.contains("account id"), "{}", err.message);
        let r2 = ProfileInput {
            account_id: Some("0123456789ABCDEF0123456789abcdef".into()),
            ..input(Provider::R2)
        };
        let (r2, _) = ValidProfile::from_input(r2).unwrap();
        assert_eq!(
            r2.endpoint.as_deref(),
            Some("https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com")
        );
        let bad_account = ProfileInput {
            account_id: Some("nope".into()),
            ..input(Provider::R2)
        };
        assert_eq!(
            ValidProfile::from_input(bad_account).unwrap_err().field,
            Some("account_id")
        );

        let minio = ProfileInput {
            endpoint: Some("http://localhost:9000".into()),
            ..input(Provider::Minio)
        };
        assert!(ValidProfile::from_input(minio).unwrap().0.path_style);
    }

    #[test]
    fn missing_keys_and_bad_region_name_their_field() {
        let no_key = ProfileInput {
            access_key_id: None,
            ..input(Provider::Aws)
        };
        assert_eq!(
            ValidProfile::from_input(no_key).unwrap_err().field,
            Some("access_key_id")
        );
        let no_secret = ProfileInput {
            secret_access_key: Some(String::new()),
            ..input(Provider::Aws)
        };
        assert_eq!(
            ValidProfile::from_input(no_secret).unwrap_err().field,
            Some("secret_access_key")
        );
        let region = ProfileInput {
            region: Some("us east".into()),
            ..input(Provider::Aws)
        };
        assert_eq!(
            ValidProfile::from_input(region).unwrap_err().field,
            Some("region")
        );
    }
}
