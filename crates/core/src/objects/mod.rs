//! Objects inside a bucket: listing folders (common prefixes) and objects page by page, an
//! object's details, downloads to a local folder, delete, copy / move / rename, links, and
//! usage. Every operation goes through [`Engine::on_bucket`], so it is signed for the
//! bucket's region, and a missing key is `no_such_key` (never a reason to forget the bucket).
//!
//! Listings ask for `encoding-type=url` and decode, so keys holding characters XML cannot
//! carry (control characters, NUL) list, download and delete like any other key.

pub(crate) mod checksum;
mod conflict_copy;
mod copy;
mod download;
pub(crate) mod edit;
pub(crate) mod etag;
mod links;
mod preview;
mod recent;
pub(crate) mod remove;
mod source_reader;
mod usage;

use aws_sdk_s3::types::EncodingType;
use serde::{Deserialize, Serialize};

pub(crate) use conflict_copy::conflict_copy_key;
pub(crate) use copy::CopyItem;
pub use copy::CopyReport;
use copy::copy_source;
pub(crate) use download::landing as download_landing;
pub use download::{DownloadStarted, Renamed};
pub use edit::ObjectEdit;
pub(crate) use links::forget_profile_settings;
pub use links::{Link, MAX_LINK_SECONDS, parse_lifetime};
pub use preview::{THUMBNAIL_PX, Thumbnail};
pub use remove::{DeleteFailure, DeleteReport};
pub use usage::Usage;

use crate::buckets::check_name;
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::s3::{self, Account};

/// Keys asked for per ListObjectsV2 page (S3's maximum).
pub const PAGE_SIZE: i32 = 1000;

/// A folder or an object in a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Entry {
    /// What to show: the key below the listed prefix (a folder's ends with `/`).
    pub name: String,
    /// The whole key (a folder's common prefix, ending with the delimiter).
    pub key: String,
    pub folder: bool,
    /// Bytes; 0 for folders.
    #[specta(type = u32)] // a TS number: counts and sizes stay far below 2^53
    pub size: u64,
    /// RFC 3339, UTC; `None` for folders.
    pub last_modified: Option<String>,
    pub storage_class: Option<String>,
    pub etag: Option<String>,
}

impl Entry {
    /// The storage class, `STANDARD` where the listing names none (S3 omits it for that).
    pub fn class(&self) -> &str {
        self.storage_class.as_deref().unwrap_or("STANDARD")
    }
}

/// One page of a listing: folders and objects in key order, and the token of the next page.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct ObjectPage {
    pub entries: Vec<Entry>,
    /// Pass it back for the next page; `None` on the last page.
    pub next: Option<String>,
}

/// What HeadObject says of one object.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ObjectDetails {
    pub key: String,
    #[specta(type = u32)] // a TS number: counts and sizes stay far below 2^53
    pub size: u64,
    pub last_modified: Option<String>,
    pub etag: Option<String>,
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub storage_class: Option<String>,
    /// User metadata (`x-amz-meta-*`), names without the prefix, sorted.
    pub metadata: Vec<(String, String)>,
    /// Checksums the server returned, as `(algorithm, base64 value)`.
    pub checksums: Vec<(String, String)>,
    /// The `x-amz-restore` status of an archived object.
    pub restore: Option<String>,
}

/// Percent-encodes like S3's `encoding-type=url`: all but unreserved characters and `/`
/// (also right for a key in a URL path and in `x-amz-copy-source`).
pub(crate) fn url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes a listing value sent with `encoding-type=url` (`+` is a space, as S3 writes it).
pub(crate) fn url_decode(text: &str) -> Result<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                    .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| {
        Error::new(
            ErrorCode::S3,
            "The server listed a key that is not valid UTF-8.",
            "S3 keys are UTF-8; the server may be misconfigured.",
        )
    })
}

/// Seconds since the epoch (an SDK date) as RFC 3339.
pub(crate) fn rfc3339(date: &aws_smithy_types::DateTime) -> String {
    crate::buckets::rfc3339(date.secs())
}

/// The bucket's name must be one, and a key may not be empty where an object is meant.
pub(crate) fn check_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(Error::invalid(
            "key",
            "The path names a bucket, not an object.",
            "Give PROFILE:BUCKET/KEY.",
        ));
    }
    if key.len() > 1024 {
        return Err(Error::invalid(
            "key",
            "The key is longer than S3's 1,024 bytes.",
            "Choose a shorter name.",
        ));
    }
    Ok(())
}

/// A listing request's scope.
pub(crate) struct Scope<'a> {
    pub bucket: &'a str,
    pub prefix: &'a str,
    /// `None`: every key under the prefix (recursive).
    pub delimiter: Option<&'a str>,
}

/// Reads one ListObjectsV2 page of `scope`, keys decoded.
pub(crate) async fn list_page(
    client: &aws_sdk_s3::Client,
    account: &Account,
    scope: &Scope<'_>,
    token: Option<String>,
    page_size: i32,
) -> Result<ObjectPage> {
    let mut request = client
        .list_objects_v2()
        .bucket(scope.bucket)
        .encoding_type(EncodingType::Url)
        .max_keys(page_size)
        .set_continuation_token(token);
    if !scope.prefix.is_empty() {
        request = request.prefix(scope.prefix);
    }
    if let Some(delimiter) = scope.delimiter {
        request = request.delimiter(delimiter);
    }
    let page = request
        .send()
        .await
        .map_err(|e| s3::error_from_sdk(&e, &account.label()))?;
    let text = listing_text(client, account, scope.bucket, page.encoding_type()).await;
    let below = |key: &str| key.strip_prefix(scope.prefix).unwrap_or(key).to_string();
    let mut entries = Vec::with_capacity(page.contents().len() + page.common_prefixes().len());
    for folder in page.common_prefixes() {
        let key = text(folder.prefix().unwrap_or_default())?;
        entries.push(Entry {
            name: below(&key),
            key,
            folder: true,
            size: 0,
            last_modified: None,
            storage_class: None,
            etag: None,
        });
    }
    for object in page.contents() {
        let key = text(object.key().unwrap_or_default())?;
        // The folder's own marker (`prefix/`) is the folder, not a row inside it.
        if key == scope.prefix && scope.delimiter.is_some() {
            continue;
        }
        entries.push(Entry {
            name: below(&key),
            key,
            folder: false,
            size: object.size().unwrap_or(0).max(0) as u64,
            last_modified: object.last_modified().map(rfc3339),
            storage_class: object.storage_class().map(|c| c.as_str().to_string()),
            etag: object.e_tag().map(|e| e.trim_matches('"').to_string()),
        });
    }
    entries.sort_by(|a, b| a.key.cmp(&b.key));
    let next = page
        .next_continuation_token()
        .filter(|t| !t.is_empty() && page.is_truncated() == Some(true))
        .map(str::to_string);
    Ok(ObjectPage { entries, next })
}

/// How to read the keys of a listing that `declared` its encoding: decoded where the server
/// really encodes them.
pub(crate) async fn listing_text(
    client: &aws_sdk_s3::Client,
    account: &Account,
    bucket: &str,
    declared: Option<&EncodingType>,
) -> impl Fn(&str) -> Result<String> + use<> {
    let encoded = declared == Some(&EncodingType::Url)
        && *account
            .encodes_listings
            .get_or_init(|| encodes_listings(client, bucket))
            .await;
    move |value: &str| {
        if encoded {
            url_decode(value)
        } else {
            Ok(value.to_string())
        }
    }
}

/// Asks for an empty page under a prefix that needs encoding and looks at how it comes back:
/// a server that says `EncodingType=url` but sends keys raw (s3s-fs) echoes the prefix as it
/// was sent, and its keys must not be decoded (a `+` in them is a plus, not a space).
async fn encodes_listings(client: &aws_sdk_s3::Client, bucket: &str) -> bool {
    const PROBE: &str = "strata probe +%\u{e9}/";
    let answer = client
        .list_objects_v2()
        .bucket(bucket)
        .encoding_type(EncodingType::Url)
        .prefix(PROBE)
        .max_keys(1)
        .send()
        .await;
    match answer {
        Ok(page) => page
            .prefix()
            .is_some_and(|p| p != PROBE && url_decode(p).is_ok_and(|p| p == PROBE)),
        Err(err) => {
            tracing::info!("listing-encoding probe failed, keys taken as sent: {err}");
            false
        }
    }
}

impl Engine {
    /// One page of the folders and objects directly under `prefix` (or, `recursive`, every
    /// key under it). Pass the returned `next` to read the following page.
    pub async fn object_list(
        &self,
        profile: &str,
        bucket: &str,
        prefix: &str,
        recursive: bool,
        token: Option<String>,
        page_size: Option<u32>,
    ) -> Result<ObjectPage> {
        check_name(bucket, false)?;
        let page_size = page_size.map_or(PAGE_SIZE, |n| n.clamp(1, PAGE_SIZE as u32) as i32);
        let account = self.account(profile).await?;
        let scope = Scope {
            bucket,
            prefix,
            delimiter: (!recursive).then_some("/"),
        };
        let first = token.is_none() && !recursive;
        let page = self
            .on_bucket(&account, bucket, |client| {
                let (account, scope, token) = (&account, &scope, token.clone());
                async move { list_page(&client, account, scope, token, page_size).await }
            })
            .await?;
        if first {
            self.remember_listing(account.profile.id, bucket, prefix, &page)
                .await;
        }
        Ok(page)
    }

    /// Every object under `prefix` (folder markers included), in key order; cancellable
    /// between pages.
    pub(crate) async fn objects_under(
        &self,
        account: &Account,
        bucket: &str,
        prefix: &str,
        job: &crate::jobs::JobHandle,
    ) -> Result<Vec<Entry>> {
        let mut entries = Vec::new();
        self.each_object_page(account, bucket, prefix, job, |page| {
            entries.extend(page);
            Ok(())
        })
        .await?;
        Ok(entries)
    }

    /// Hands every object under `prefix` to `each`, a page at a time, in key order;
    /// cancellable between pages.
    pub(crate) async fn each_object_page(
        &self,
        account: &Account,
        bucket: &str,
        prefix: &str,
        job: &crate::jobs::JobHandle,
        mut each: impl FnMut(Vec<Entry>) -> Result<()>,
    ) -> Result<()> {
        let scope = Scope {
            bucket,
            prefix,
            delimiter: None,
        };
        let mut token = None;
        loop {
            job.check()?;
            let page = self
                .on_bucket(account, bucket, |client| {
                    let (scope, token) = (&scope, token.clone());
                    async move { list_page(&client, account, scope, token, PAGE_SIZE).await }
                })
                .await?;
            each(page.entries)?;
            match page.next {
                Some(next) => token = Some(next),
                None => return Ok(()),
            }
        }
    }

    /// The details of one object (HeadObject).
    pub async fn object_head(
        &self,
        profile: &str,
        bucket: &str,
        key: &str,
    ) -> Result<ObjectDetails> {
        check_name(bucket, false)?;
        check_key(key)?;
        let account = self.account(profile).await?;
        self.on_bucket(&account, bucket, |client| {
            let account = &account;
            async move {
                let head = client
                    .head_object()
                    .bucket(bucket)
                    .key(key)
                    .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
                    .send()
                    .await
                    .map_err(|e| head_error(&e, account, bucket, key))?;
                let mut metadata: Vec<(String, String)> = head
                    .metadata()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.clone(), edit::shown_value(v)))
                            .collect()
                    })
                    .unwrap_or_default();
                metadata.sort();
                let checksums = [
                    ("CRC32", head.checksum_crc32()),
                    ("CRC32C", head.checksum_crc32_c()),
                    ("CRC64NVME", head.checksum_crc64_nvme()),
                    ("SHA1", head.checksum_sha1()),
                    ("SHA256", head.checksum_sha256()),
                ]
                .into_iter()
                .filter_map(|(name, value)| value.map(|v| (name.to_string(), v.to_string())))
                .collect();
                Ok(ObjectDetails {
                    key: key.to_string(),
                    size: head.content_length().unwrap_or(0).max(0) as u64,
                    last_modified: head.last_modified().map(rfc3339),
                    etag: head.e_tag().map(|e| e.trim_matches('"').to_string()),
                    content_type: head.content_type().map(str::to_string),
                    cache_control: head.cache_control().map(str::to_string),
                    storage_class: head.storage_class().map(|c| c.as_str().to_string()),
                    metadata,
                    checksums,
                    restore: head.restore().map(str::to_string),
                })
            }
        })
        .await
    }

    /// Makes the zero-byte `prefix/` marker that shows an empty folder.
    pub async fn folder_create(&self, profile: &str, bucket: &str, key: &str) -> Result<String> {
        check_name(bucket, false)?;
        let name = key.trim_end_matches('/');
        if name.is_empty() || name.rsplit('/').next().is_some_and(str::is_empty) {
            return Err(Error::invalid(
                "key",
                "The folder needs a name.",
                "Type a name for the new folder.",
            ));
        }
        let marker = format!("{name}/");
        check_key(&marker)?;
        let account = self.account(profile).await?;
        let outcome = self
            .on_bucket(&account, bucket, |client| {
                let (account, marker) = (&account, &marker);
                async move {
                    client
                        .put_object()
                        .bucket(bucket)
                        .key(marker)
                        .body(aws_sdk_s3::primitives::ByteStream::from_static(b""))
                        .send()
                        .await
                        .map_err(|e| s3::error_from_sdk(&e, &account.label()))
                }
            })
            .await
            .map(drop);
        let path = crate::remote::display(profile, bucket, &marker);
        self.log_activity(crate::activity::Record::new("new_folder", &path).outcome_of(&outcome))
            .await;
        outcome.map(|()| marker)
    }
}

/// A response body that broke off while being read (`what` says whose, e.g. "The download").
/// Retryable, as every unreachable endpoint is.
pub(crate) fn body_interrupted(what: &str, err: impl std::fmt::Display, hint: &str) -> Error {
    Error::new(
        ErrorCode::EndpointUnreachable,
        format!("{what} was interrupted ({err})."),
        hint,
    )
}

/// HeadObject answers a missing key with a bodiless 404, which the SDK calls `NotFound`.
pub(crate) fn head_error<E>(
    err: &aws_sdk_s3::error::SdkError<
        E,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
    account: &Account,
    bucket: &str,
    key: &str,
) -> Error
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    let missing = err
        .raw_response()
        .is_some_and(|r| r.status().as_u16() == 404);
    if missing {
        return no_such_key(&account.profile.name, bucket, key);
    }
    s3::error_from_sdk(err, &account.label())
}

pub(crate) fn no_such_key(profile: &str, bucket: &str, key: &str) -> Error {
    Error::new(
        ErrorCode::NoSuchKey,
        format!(
            "There is no object {} (NoSuchKey).",
            crate::remote::display(profile, bucket, key)
        ),
        "It may have been deleted or renamed; reload the folder.",
    )
}

#[cfg(test)]
mod tests {
    use super::url_decode;

    #[test]
    fn decodes_what_encoding_type_url_sends() {
        assert_eq!(url_decode("a%2Fb+c%2B%25").unwrap(), "a/b c+%");
        assert_eq!(url_decode("nul%00x").unwrap(), "nul\0x");
        assert_eq!(url_decode("caf%C3%A9").unwrap(), "café");
        assert_eq!(url_decode("50%").unwrap(), "50%");
        assert!(url_decode("%FF").is_err());
    }
}
