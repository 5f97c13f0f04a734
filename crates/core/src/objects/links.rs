//! Links to objects: presigned GET and PUT URLs that work without a key until they expire
//! (SigV4 allows at most 7 days), and the plain URL of an object anyone may read.

use std::time::{Duration, SystemTime};

use aws_sdk_s3::presigning::PresigningConfig;
use serde::Serialize;

use super::check_key;
use crate::activity::Record;
use crate::buckets::check_name;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::remote::RemotePath;

/// SigV4's longest validity for a presigned URL: 7 days.
pub const MAX_LINK_SECONDS: u64 = 7 * 24 * 3600;

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Link {
    pub url: String,
    /// `GET` or `PUT`.
    pub method: String,
    /// RFC 3339, UTC.
    pub expires_at: String,
}

/// Parses a lifetime like `90s`, `15m`, `1h`, `7d` (a bare number is seconds).
pub fn parse_lifetime(text: &str) -> Result<Duration> {
    let text = text.trim();
    let (digits, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => 0,
    };
    match digits.parse::<u64>() {
        Ok(n) if scale > 0 && n > 0 => Ok(Duration::from_secs(n.saturating_mul(scale))),
        _ => Err(Error::invalid(
            "expires",
            format!("\"{text}\" is not a link lifetime."),
            "Write a number with s, m, h or d, like 30m, 12h or 7d.",
        )),
    }
}

impl Engine {
    /// A presigned URL for `path`, valid for `lifetime` from now.
    pub async fn object_presign(
        &self,
        path: &RemotePath,
        lifetime: Duration,
        put: bool,
    ) -> Result<Link> {
        self.object_presign_from(path, SystemTime::now(), lifetime, put)
            .await
    }

    /// A presigned URL valid from `start` for `lifetime` (a start in the past gives a link that
    /// expires sooner; tests use it to get an expired link without waiting).
    pub async fn object_presign_from(
        &self,
        path: &RemotePath,
        start: SystemTime,
        lifetime: Duration,
        put: bool,
    ) -> Result<Link> {
        check_name(&path.bucket, false)?;
        check_key(&path.key)?;
        if lifetime.as_secs() > MAX_LINK_SECONDS || lifetime.is_zero() {
            return Err(Error::invalid(
                "expires",
                format!(
                    "A link cannot last {} seconds: S3 signatures are valid for 1 second to 7 days.",
                    lifetime.as_secs()
                ),
                "Choose 7d or less; for longer sharing make the object public or use a CDN.",
            ));
        }
        let account = self.account(&path.profile).await?;
        let config = PresigningConfig::builder()
            .start_time(start)
            .expires_in(lifetime)
            .build()
            .map_err(|e| Error::invalid("expires", e.to_string(), "Choose 7d or less."))?;
        let url = self
            .on_bucket(&account, &path.bucket, |client| {
                let (config, label) = (config.clone(), account.label());
                async move {
                    if put {
                        client
                            .put_object()
                            .bucket(&path.bucket)
                            .key(&path.key)
                            .presigned(config)
                            .await
                            .map(|request| request.uri().to_string())
                            .map_err(|e| crate::s3::error_from_sdk(&e, &label))
                    } else {
                        client
                            .get_object()
                            .bucket(&path.bucket)
                            .key(&path.key)
                            .presigned(config)
                            .await
                            .map(|request| request.uri().to_string())
                            .map_err(|e| crate::s3::error_from_sdk(&e, &label))
                    }
                }
            })
            .await?;
        let expires = start + lifetime;
        let secs = expires
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let expires_at = crate::buckets::rfc3339(secs);
        let action = if put { "presign_put" } else { "presign_get" };
        self.log_activity(
            Record::new(action, &path.to_string())
                .counts(1, 0)
                .detail(format!("expires {expires_at}")),
        )
        .await;
        Ok(Link {
            url,
            method: if put { "PUT" } else { "GET" }.into(),
            expires_at,
        })
    }
}

/// The setting that holds a profile's public base URL (a CDN or custom domain).
fn base_setting(profile_id: u32) -> String {
    format!("public_base_url:{profile_id}")
}

/// Removes what this module keeps for a profile (its public base URL), as it is removed.
pub(crate) fn forget_profile_settings(conn: &rusqlite::Connection, profile_id: u32) -> Result<()> {
    crate::catalog::set_setting(conn, &base_setting(profile_id), None)
}

impl Engine {
    /// The plain URL of an object, which works for anyone when the object (or its bucket) is
    /// public: under the profile's public base URL when one is set (a CDN, a custom domain),
    /// else the bucket's address in the profile's addressing style.
    pub async fn object_public_url(&self, path: &RemotePath) -> Result<String> {
        check_name(&path.bucket, false)?;
        check_key(&path.key)?;
        let account = self.account(&path.profile).await?;
        let id = account.profile.id;
        let base = self
            .reading(move |conn| crate::catalog::setting(conn, &base_setting(id)))
            .await?;
        let key = super::url_encode(path.key.as_bytes());
        if let Some(base) = base {
            return Ok(format!("{}/{key}", base.trim_end_matches('/')));
        }
        let profile = &account.profile;
        let Some(endpoint) = &profile.endpoint else {
            let region = account
                .known_region(&path.bucket)
                .unwrap_or_else(|| profile.region.clone());
            return Ok(format!(
                "https://{}.s3.{region}.amazonaws.com/{key}",
                path.bucket
            ));
        };
        if profile.path_style {
            return Ok(format!("{endpoint}/{}/{key}", path.bucket));
        }
        let url = url::Url::parse(endpoint).map_err(|e| {
            Error::invalid("endpoint", e.to_string(), "Check the profile's endpoint.")
        })?;
        let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
        Ok(format!(
            "{}://{}.{}{port}/{key}",
            url.scheme(),
            path.bucket,
            url.host_str().unwrap_or_default()
        ))
    }

    /// The profile's public base URL (a CDN or custom domain), if set.
    pub async fn profile_public_base(&self, profile: &str) -> Result<Option<String>> {
        let name = profile.to_string();
        self.blocking(move |conn, _| {
            let id = crate::profile::get(conn, &name)?.id;
            crate::catalog::setting(conn, &base_setting(id))
        })
        .await
    }

    /// Sets (or, with `None` or an empty text, clears) the profile's public base URL.
    pub async fn profile_public_base_set(&self, profile: &str, base: Option<String>) -> Result<()> {
        let base = base
            .map(|b| b.trim().trim_end_matches('/').to_string())
            .filter(|b| !b.is_empty());
        if let Some(base) = &base {
            let url = url::Url::parse(base).map_err(|e| {
                Error::invalid(
                    "public_base_url",
                    format!("\"{base}\" is not a URL ({e})."),
                    "Enter the address objects are served from, like https://cdn.example.com/photos.",
                )
            })?;
            if !matches!(url.scheme(), "http" | "https") || url.query().is_some() {
                return Err(Error::invalid(
                    "public_base_url",
                    "The public base URL must be an http:// or https:// address without a query.",
                    "Enter the address objects are served from, like https://cdn.example.com/photos.",
                ));
            }
        }
        let name = profile.to_string();
        self.blocking(move |conn, _| {
            let id = crate::profile::get(conn, &name)?.id;
            crate::catalog::set_setting(conn, &base_setting(id), base.as_deref())
        })
        .await
    }
}
