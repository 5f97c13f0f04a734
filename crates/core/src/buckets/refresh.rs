//! Refreshing a profile's bucket list from S3.
//!
//! Two phases. *Listing* pages through ListBuckets with continuation tokens and replaces the
//! profile's rows in one transaction, so a failure or a cancel leaves the previous list as it
//! was. *Details* then reads, bucket by bucket and best effort, what the listing did not say:
//! the region (when the server did not send it) and whether the bucket is public. It writes
//! as it goes and never fails the refresh.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use aws_sdk_s3::types::Type as GranteeType;
use futures_util::StreamExt;
use serde::Serialize;

use super::{Listed, rows};
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::jobs::{Event, JobHandle};
use crate::s3::{self, Account, region};

/// Buckets asked for per ListBuckets page.
pub const DEFAULT_PAGE_SIZE: u32 = 1000;
/// Buckets whose details are read at once.
const DETAILS_CONCURRENCY: usize = 8;
/// Details written to the catalog per transaction (and per progress event).
const DETAILS_BATCH: usize = 200;

/// What a refresh did.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RefreshReport {
    pub profile: String,
    pub buckets: u32,
    /// ListBuckets requests made.
    pub pages: u32,
    /// Whether the server paginated; `false` when the list came in one unpaginated call.
    pub paginated: bool,
    pub public: u32,
    pub private: u32,
    /// Buckets whose public status the provider did not reveal.
    pub unknown: u32,
}

impl Engine {
    /// Refreshes `profile`'s bucket list, asking for `page_size` buckets per page, then reads
    /// each bucket's region and public status.
    pub async fn bucket_refresh(
        &self,
        profile: &str,
        page_size: u32,
        job: &JobHandle,
    ) -> Result<RefreshReport> {
        self.refresh(profile, page_size, true, job).await
    }

    /// Reads the list alone, for a first `bucket ls` that should not wait for a request per
    /// bucket; regions the listing gave are kept, the rest waits for a full refresh.
    pub async fn bucket_refresh_names(
        &self,
        profile: &str,
        job: &JobHandle,
    ) -> Result<RefreshReport> {
        self.refresh(profile, DEFAULT_PAGE_SIZE, false, job).await
    }

    async fn refresh(
        &self,
        profile: &str,
        page_size: u32,
        details: bool,
        job: &JobHandle,
    ) -> Result<RefreshReport> {
        let account = self.account(profile).await?;
        let name = account.profile.name.clone();
        let progress = |action: &str, done, items| {
            job.report(Event::JobProgress {
                job: job.id,
                profile: name.clone(),
                action: action.into(),
                done,
                items,
                bytes: 0,
                total: None,
            })
        };
        let (listed, pages, paginated) = list_all(&account, page_size, job, |buckets| {
            progress("listing", buckets, None)
        })
        .await?;
        job.check()?;
        let profile_id = account.profile.id;
        let count = listed.len() as u32;
        self.blocking(move |conn, _| rows::replace(conn, profile_id, &listed))
            .await?;
        self.buckets_changed(&name);
        let mut report = RefreshReport {
            profile: name.clone(),
            buckets: count,
            pages,
            paginated,
            public: 0,
            private: 0,
            unknown: 0,
        };
        // The list is saved; what follows only adds to it.
        if details {
            let visited = self
                .read_details(&account, job, |checked| {
                    progress("details", checked, Some(count))
                })
                .await;
            if let Err(err) = visited {
                tracing::info!(profile = %name, "bucket details not read: {} {}", err.message, err.hint);
            }
            self.buckets_changed(&name);
        }
        (report.public, report.private, report.unknown) = self
            .blocking(move |conn, _| rows::visibility_counts(conn, profile_id))
            .await?;
        Ok(report)
    }

    /// The details phase: region where unknown, public status everywhere, written in batches.
    async fn read_details(
        &self,
        account: &Account,
        job: &JobHandle,
        progress: impl Fn(u32),
    ) -> Result<()> {
        let profile_id = account.profile.id;
        let buckets = self
            .blocking(move |conn, _| rows::all(conn, profile_id))
            .await?;
        let support = Support::default();
        let mut results = futures_util::stream::iter(buckets)
            .map(|(name, region)| {
                let support = &support;
                async move {
                    // A known region comes back as it was; the update keeps it either way.
                    let (region, public) = details(account, &name, region, support).await;
                    (name, region, public)
                }
            })
            .buffer_unordered(DETAILS_CONCURRENCY)
            .chunks(DETAILS_BATCH);
        let mut checked = 0u32;
        while let Some(batch) = results.next().await {
            job.check()?;
            checked += batch.len() as u32;
            self.blocking(move |conn, _| rows::set_details(conn, profile_id, &batch))
                .await?;
            progress(checked);
        }
        Ok(())
    }
}

/// Pages through ListBuckets. Returns the buckets in name order, the number of requests, and
/// whether the server paginated.
async fn list_all(
    account: &Account,
    page_size: u32,
    job: &JobHandle,
    progress: impl Fn(u32),
) -> Result<(Vec<Listed>, u32, bool)> {
    let client = account.client(region::BUCKET_ATTEMPTS);
    let mut found = BTreeMap::new();
    let mut token: Option<String> = None;
    let mut pages = 0u32;
    loop {
        job.check()?;
        let outcome = client
            .list_buckets()
            .max_buckets(page_size as i32)
            .set_continuation_token(token.clone())
            .send()
            .await;
        let page = match outcome {
            Ok(page) => page,
            Err(err) if pages == 0 && rejects_pagination(&err) => {
                tracing::info!(
                    endpoint = %account.label(),
                    "the server refuses paginated ListBuckets ({}); listing in one call",
                    s3::service_code(&err).unwrap_or("?")
                );
                return list_unpaginated(account, pages).await;
            }
            Err(err) => return Err(s3::error_from_sdk(&err, &account.label())),
        };
        pages += 1;
        let on_page = page.buckets().len();
        found.extend(by_name(page.buckets()));
        progress(found.len() as u32);
        match page.continuation_token().filter(|t| !t.is_empty()) {
            Some(next) if token.as_deref() == Some(next) => {
                return Err(Error::new(
                    ErrorCode::S3,
                    format!(
                        "{} sent the same continuation token twice while listing buckets.",
                        account.label()
                    ),
                    "The server's ListBuckets pagination is broken; report it to its maintainers.",
                ));
            }
            Some(next) => token = Some(next.to_string()),
            // A full first page without a token may be a server that honours the page size but
            // cannot continue: only one unpaginated call can tell the whole list.
            None if pages == 1 && on_page == page_size as usize => {
                tracing::info!(
                    endpoint = %account.label(),
                    "a full page of {on_page} buckets came without a continuation token; listing again in one call"
                );
                return list_unpaginated(account, pages).await;
            }
            None => return Ok((found.into_values().collect(), pages, pages > 1)),
        }
    }
}

async fn list_unpaginated(
    account: &Account,
    pages_before: u32,
) -> Result<(Vec<Listed>, u32, bool)> {
    let page = account
        .client(region::BUCKET_ATTEMPTS)
        .list_buckets()
        .send()
        .await
        .map_err(|e| s3::error_from_sdk(&e, &account.label()))?;
    let found: BTreeMap<String, Listed> = by_name(page.buckets()).collect();
    Ok((found.into_values().collect(), pages_before + 1, false))
}

/// A page's buckets keyed by name (a bucket without a name is skipped).
fn by_name(buckets: &[aws_sdk_s3::types::Bucket]) -> impl Iterator<Item = (String, Listed)> + '_ {
    buckets.iter().filter_map(|bucket| {
        let name = bucket.name()?.to_string();
        let listed = Listed {
            name: name.clone(),
            region: bucket
                .bucket_region()
                .filter(|r| !r.is_empty())
                .map(str::to_string),
            created_at: bucket.creation_date().map(|d| d.secs()),
        };
        Some((name, listed))
    })
}

/// A server that does not know `max-buckets` / `continuation-token` says so with one of these.
fn rejects_pagination<E: aws_sdk_s3::error::ProvideErrorMetadata>(
    err: &aws_sdk_s3::error::SdkError<
        E,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
) -> bool {
    s3::is_not_implemented(err)
        || matches!(
            s3::service_code(err),
            Some("InvalidArgument" | "InvalidRequest")
        )
}

/// Which ways of telling public status the provider has; switched off at its first
/// NotImplemented so the remaining buckets do not ask again.
struct Support {
    policy_status: AtomicBool,
    acl: AtomicBool,
}

impl Default for Support {
    fn default() -> Self {
        Self {
            policy_status: AtomicBool::new(true),
            acl: AtomicBool::new(true),
        }
    }
}

/// A bucket's region (discovered when `known` is `None`) and public status, each `None` when
/// it could not be told. Failures are logged, never raised.
async fn details(
    account: &Account,
    bucket: &str,
    known: Option<String>,
    support: &Support,
) -> (Option<String>, Option<bool>) {
    let region = match known {
        Some(region) => Some(region),
        None => region::discover(account, bucket)
            .await
            .inspect_err(|e| tracing::debug!(bucket, "region not found: {}", e.message))
            .ok(),
    };
    let client = account.client_in(
        region.as_deref().unwrap_or(&account.profile.region),
        region::BUCKET_ATTEMPTS,
    );
    let mut public = None;
    if support.policy_status.load(Ordering::Relaxed) {
        match client
            .get_bucket_policy_status()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(out) => {
                public = Some(out.policy_status().and_then(|s| s.is_public()) == Some(true));
            }
            Err(err) if s3::service_code(&err) == Some("NoSuchBucketPolicy") => {
                public = Some(false);
            }
            Err(err) if s3::is_not_implemented(&err) => {
                support.policy_status.store(false, Ordering::Relaxed);
            }
            Err(err) => tracing::debug!(
                bucket,
                "policy status not read: {:?}",
                s3::service_code(&err)
            ),
        }
    }
    if public != Some(true) && support.acl.load(Ordering::Relaxed) {
        match client.get_bucket_acl().bucket(bucket).send().await {
            Ok(out) => {
                let open = out.grants().iter().any(|g| {
                    g.grantee().is_some_and(|who| {
                        who.r#type() == &GranteeType::Group
                            && who.uri().is_some_and(|uri| {
                                uri.ends_with("/global/AllUsers")
                                    || uri.ends_with("/global/AuthenticatedUsers")
                            })
                    })
                });
                public = Some(open && !ignores_public_acls(&client, bucket).await);
            }
            Err(err) if s3::is_not_implemented(&err) => {
                support.acl.store(false, Ordering::Relaxed);
            }
            Err(err) => tracing::debug!(bucket, "ACL not read: {:?}", s3::service_code(&err)),
        }
    }
    (region, public)
}

/// Whether the bucket's public-access block makes S3 ignore its public ACL grants.
async fn ignores_public_acls(client: &aws_sdk_s3::Client, bucket: &str) -> bool {
    client
        .get_public_access_block()
        .bucket(bucket)
        .send()
        .await
        .ok()
        .and_then(|out| {
            out.public_access_block_configuration()?
                .ignore_public_acls()
        })
        .unwrap_or(false)
}
