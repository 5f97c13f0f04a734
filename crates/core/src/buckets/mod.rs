//! The bucket catalog: every bucket of a profile in SQLite, so lists, the A–Z index and
//! search answer from the catalog at once and never wait on S3. A refresh ([`refresh`])
//! replaces a profile's rows from ListBuckets; create and delete ([`remove`]) work on any
//! bucket of the account and keep the catalog in step.

mod names;
mod refresh;
mod remove;
pub(crate) mod rows;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub(crate) use names::Snapshot;
pub use refresh::{DEFAULT_PAGE_SIZE, RefreshReport};
pub use remove::BucketDeleted;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::jobs::Event;
use crate::profile::{self, DEFAULT_REGION, Provider};
use crate::s3::{self, region::BUCKET_ATTEMPTS};

/// A bucket as the catalog knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct Bucket {
    pub name: String,
    /// The bucket's own region; `None` until learned.
    pub region: Option<String>,
    /// When the bucket was made (RFC 3339, UTC), as the server reported it.
    pub created_at: Option<String>,
    /// Whether anyone may read it without a key; `None` when the provider does not say.
    pub public: Option<bool>,
}

/// Which buckets to show. Every part is optional; together they narrow the list.
#[derive(Debug, Clone, Default, Deserialize, specta::Type)]
pub struct BucketFilter {
    /// A piece of the name, anywhere in it, ignoring case.
    pub search: Option<String>,
    /// `a`–`z` (either case) for names starting with that letter, `#` for the rest.
    pub letter: Option<String>,
    pub visibility: Option<Visibility>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Public,
    Private,
}

/// The A–Z index of a filtered list: how many names start with each letter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct LetterCount {
    pub letter: String,
    pub count: u32,
}

/// The shape of a profile's filtered list: its size, the A–Z index (letters in list order,
/// `#` first) and when the catalog was last refreshed from S3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct BucketIndex {
    pub profile: String,
    pub total: u32,
    pub letters: Vec<LetterCount>,
    /// RFC 3339, UTC; `None` before the first refresh.
    pub refreshed_at: Option<String>,
}

/// A bucket as a listing reported it.
#[derive(Debug, Clone)]
pub(crate) struct Listed {
    pub name: String,
    pub region: Option<String>,
    pub created_at: Option<i64>,
}

/// Seconds since the epoch as RFC 3339 (`2026-11-22T12:26:57Z`).
pub(crate) fn rfc3339(secs: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

impl BucketFilter {
    /// Checks the letter and brings it to the index's form (lowercase, or `#`).
    fn normalized(mut self) -> Result<Self> {
        if let Some(letter) = self.letter.take().filter(|l| !l.is_empty()) {
            let mut chars = letter.chars();
            let normal = match (chars.next(), chars.next()) {
                (Some('#'), None) => '#',
                (Some(c), None) if c.is_ascii_alphabetic() => c.to_ascii_lowercase(),
                _ => {
                    return Err(Error::invalid(
                        "letter",
                        format!("\"{letter}\" is not an index letter."),
                        "Give one letter A–Z (either case), or # for names starting with a digit or anything else (quote it in a shell: '#').",
                    ));
                }
            };
            self.letter = Some(normal.to_string());
        }
        Ok(self)
    }
}

/// Checks a bucket name given to a command: S3's rules for a new bucket; an existing one need
/// only be a name (old buckets in us-east-1 may break today's rules).
pub(crate) fn check_name(name: &str, new: bool) -> Result<()> {
    let broken = if name.is_empty() {
        Some("may not be empty".to_string())
    } else if name.contains('/') {
        Some("may not contain '/'".to_string())
    } else if new {
        crate::bucket_name::check(name).err()
    } else {
        None
    };
    match broken {
        Some(rule) => Err(Error::invalid(
            "bucket",
            format!("The bucket name \"{name}\" is not valid: it {rule}."),
            "Bucket names are 3–63 characters: lowercase letters, digits, '.' and '-', starting and ending with a letter or digit.",
        )),
        None => Ok(()),
    }
}

impl Engine {
    /// The size and A–Z index of a profile's filtered list, from the catalog.
    pub async fn bucket_index(&self, profile: &str, filter: BucketFilter) -> Result<BucketIndex> {
        let filter = filter.normalized()?;
        let (profile, snapshot) = self.bucket_snapshot(profile).await?;
        let letters = snapshot.letters(&filter);
        Ok(BucketIndex {
            profile,
            total: letters.iter().map(|l| l.count).sum(),
            letters,
            refreshed_at: snapshot.refreshed_at.map(rfc3339),
        })
    }

    /// One page of a profile's filtered list (letter, then name order), from the catalog;
    /// every matching row when `limit` is `None`.
    pub async fn bucket_list(
        &self,
        profile: &str,
        filter: BucketFilter,
        offset: u32,
        limit: Option<u32>,
    ) -> Result<Vec<Bucket>> {
        let filter = filter.normalized()?;
        let (_, snapshot) = self.bucket_snapshot(profile).await?;
        Ok(snapshot.page(&filter, offset, limit))
    }

    /// The profile's name and its bucket list as the catalog holds it now: from memory when
    /// the catalog's version of the list is the one held, else read again.
    async fn bucket_snapshot(&self, profile: &str) -> Result<(String, Arc<Snapshot>)> {
        let name = profile.to_string();
        let snapshots = self.bucket_snapshots();
        self.reading(move |conn| {
            let profile = profile::get(conn, &name)?;
            let (version, refreshed_at) = rows::version(conn, profile.id)?;
            let held = snapshots
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&profile.id)
                .filter(|s| s.version == version)
                .cloned();
            let snapshot = match held {
                Some(snapshot) => snapshot,
                None => {
                    let read = Arc::new(Snapshot::load(conn, profile.id, version, refreshed_at)?);
                    snapshots
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(profile.id, Arc::clone(&read));
                    read
                }
            };
            Ok((profile.name, snapshot))
        })
        .await
    }

    /// Makes a bucket in `region` (default: the profile's) after checking its name against
    /// S3's rules, and adds it to the catalog.
    pub async fn bucket_create(
        &self,
        profile: &str,
        bucket: &str,
        region: Option<String>,
    ) -> Result<Bucket> {
        check_name(bucket, true)?;
        let region = region
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty());
        if let Some(region) = &region {
            profile::validate_region(region)?;
        }
        let account = self.account(profile).await?;
        let region = region.unwrap_or_else(|| account.profile.region.clone());
        let client = account.client_in(&region, BUCKET_ATTEMPTS);
        let mut request = client.create_bucket().bucket(bucket);
        // us-east-1 takes no constraint, and R2 places buckets itself.
        if region != DEFAULT_REGION && account.profile.provider != Provider::R2 {
            use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
            request = request.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region.as_str()))
                    .build(),
            );
        }
        request
            .send()
            .await
            .map_err(|e| s3::error_from_sdk(&e, &account.label()))?;
        let listed = Listed {
            name: bucket.to_string(),
            region: Some(region),
            created_at: Some(crate::catalog::now()),
        };
        let (profile_id, row) = (account.profile.id, listed.clone());
        // A new bucket is private on every provider until someone opens it.
        self.blocking(move |conn, _| rows::upsert(conn, profile_id, &row, false))
            .await?;
        self.buckets_changed(&account.profile.name);
        Ok(Bucket {
            name: listed.name,
            region: listed.region,
            created_at: listed.created_at.map(rfc3339),
            public: Some(false),
        })
    }

    pub(crate) fn buckets_changed(&self, profile: &str) {
        self.jobs().emit(Event::BucketsChanged {
            profile: profile.to_string(),
        });
    }
}
