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
