//! Buckets' own regions: discovered once, cached in the bucket catalog, and re-resolved once
//! when a request is answered with a region error, so a profile set to one region works with
//! buckets in all of them.

use crate::buckets::rows;
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::s3::{self, Account};

/// Attempts per request for bucket operations (the SDK retries throttling and 5xx).
pub(crate) const BUCKET_ATTEMPTS: u32 = 3;

/// Asks the server where `bucket` lives: the `x-amz-bucket-region` header of HeadBucket
/// (AWS sends it on 200, 301 and 403 alike), else GetBucketLocation.
pub(crate) async fn discover(account: &Account, bucket: &str) -> Result<String> {
    let client = account.client(BUCKET_ATTEMPTS);
    match client.head_bucket().bucket(bucket).send().await {
        Ok(out) => {
            if let Some(region) = out.bucket_region().filter(|r| !r.is_empty()) {
                return Ok(region.to_string());
            }
        }
        Err(err) => {
            if let Some(region) = s3::bucket_region_header(&err) {
                return Ok(region);
            }
            if err
                .raw_response()
                .is_some_and(|r| r.status().as_u16() == 404)
            {
                return Err(no_such_bucket(account, bucket));
            }
        }
    }
    match client.get_bucket_location().bucket(bucket).send().await {
        Ok(out) => Ok(match out.location_constraint().map(|c| c.as_str()) {
            None | Some("") => crate::profile::DEFAULT_REGION.to_string(),
            // The legacy name of Ireland.
            Some("EU") => "eu-west-1".to_string(),
            Some(region) => region.to_string(),
        }),
        Err(err) => {
            s3::bucket_region_header(&err).ok_or_else(|| s3::error_from_sdk(&err, &account.label()))
        }
    }
}

pub(crate) fn no_such_bucket(account: &Account, bucket: &str) -> Error {
    Error::new(
        ErrorCode::NoSuchBucket,
        format!(
            "There is no bucket \"{bucket}\" at {} (NoSuchBucket).",
            account.label()
        ),
        "It may have been deleted or renamed; refresh the bucket list.",
    )
}

impl Engine {
    /// Runs `op` with a client signed for the bucket's region: the cached one, else the one
    /// discovered now. A region error re-resolves once and runs `op` again; a bucket that is
    /// gone leaves the catalog.
    pub(crate) async fn on_bucket<T, F, Fut>(
        &self,
        account: &Account,
        bucket: &str,
        op: F,
    ) -> Result<T>
    where
        F: Fn(aws_sdk_s3::Client) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let attempt = async {
            let region = match self.cached_region(account, bucket).await? {
                Some(region) => region,
                None => self.resolve_region(account, bucket).await?,
            };
            match op(account.client_in(&region, BUCKET_ATTEMPTS)).await {
                Err(err) if err.code == ErrorCode::WrongRegion => {
                    let region = self.resolve_region(account, bucket).await?;
                    tracing::info!(
                        bucket,
                        region,
                        "re-resolved the bucket's region after a region error"
                    );
                    op(account.client_in(&region, BUCKET_ATTEMPTS)).await
                }
                other => other,
            }
        };
        // Gone, whether discovery or the operation found out: it leaves the catalog.
        match attempt.await {
            Err(err) if err.code == ErrorCode::NoSuchBucket => {
                self.forget_bucket(account, bucket).await?;
                Err(no_such_bucket(account, bucket))
            }
            other => other,
        }
    }

    /// A client for `bucket`, signing for its region, with `attempts` tries per request: for
    /// work that sends many requests to one bucket (the parts of a multipart upload).
    pub(crate) async fn bucket_client(
        &self,
        account: &Account,
        bucket: &str,
        attempts: u32,
    ) -> Result<aws_sdk_s3::Client> {
        let region = self
            .on_bucket(account, bucket, |client| async move {
                Ok(client
                    .config()
                    .region()
                    .map(|r| r.to_string())
                    .unwrap_or_default())
            })
            .await?;
        Ok(account.client_in(&region, attempts))
    }

    /// Discovers the bucket's region and caches it on its catalog row (if it has one).
    async fn resolve_region(&self, account: &Account, bucket: &str) -> Result<String> {
        let region = discover(account, bucket).await?;
        account.remember_region(bucket, Some(&region));
        let (profile_id, name, cached) = (account.profile.id, bucket.to_string(), region.clone());
        self.blocking(move |conn, _| rows::set_region(conn, profile_id, &name, &cached))
            .await?;
        Ok(region)
    }

    async fn cached_region(&self, account: &Account, bucket: &str) -> Result<Option<String>> {
        if let Some(region) = account.known_region(bucket) {
            return Ok(Some(region));
        }
        let (profile_id, name) = (account.profile.id, bucket.to_string());
        let stored = self
            .reading(move |conn| rows::region(conn, profile_id, &name))
            .await?;
        if let Some(region) = &stored {
            account.remember_region(bucket, Some(region));
        }
        Ok(stored)
    }

    /// Removes a bucket the server says is gone from the catalog.
    pub(crate) async fn forget_bucket(&self, account: &Account, bucket: &str) -> Result<()> {
        account.remember_region(bucket, None);
        let (profile_id, name) = (account.profile.id, bucket.to_string());
        let removed = self
            .blocking(move |conn, _| rows::delete(conn, profile_id, &name))
            .await?;
        if removed {
            self.buckets_changed(&account.profile.name);
        }
        Ok(())
    }
}
