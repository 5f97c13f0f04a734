//! Changing what describes an object without touching its bytes: content type, cache-control
//! and user metadata (by an in-place CopyObject with the metadata replaced), and tags
//! (Get/PutObjectTagging). Non-ASCII metadata values travel RFC 2047-encoded, as S3 clients
//! send them, and are shown decoded.

use std::collections::HashMap;

use aws_sdk_s3::types::{MetadataDirective, Tag, Tagging};
use serde::Deserialize;

use super::{check_key, copy_source, head_error};
use crate::activity::Record;
use crate::buckets::check_name;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::remote::RemotePath;
use crate::s3;

/// The largest object CopyObject can rewrite in place.
const IN_PLACE_MAX: u64 = 5 << 30;
/// S3's limit on user metadata, names and values together, in bytes.
const METADATA_MAX: usize = 2048;

/// The describing fields a user may change; the bytes, storage class and tags are kept.
#[derive(Debug, Clone, Default, Deserialize, specta::Type)]
pub struct ObjectEdit {
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    /// User metadata, names without `x-amz-meta-`; replaces all of it.
    pub metadata: Vec<(String, String)>,
}

/// `value` as it can travel in an HTTP header: as is when printable ASCII, else RFC 2047.
pub(crate) fn header_value(value: &str) -> String {
    if value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        value.to_string()
    } else {
        format!(
            "=?UTF-8?B?{}?=",
            base64_simd::STANDARD.encode_to_string(value)
        )
    }
}

/// Decodes an RFC 2047 encoded word (`=?UTF-8?B?...?=` or `?Q?`); other text as it is.
pub(crate) fn shown_value(value: &str) -> String {
    let decoded = (|| {
        let inner = value.strip_prefix("=?")?.strip_suffix("?=")?;
        let mut parts = inner.splitn(3, '?');
        let (charset, encoding, text) = (parts.next()?, parts.next()?, parts.next()?);
        if !charset.eq_ignore_ascii_case("utf-8") {
            return None;
        }
        let bytes = if encoding.eq_ignore_ascii_case("b") {
            base64_simd::STANDARD.decode_to_vec(text).ok()?
        } else if encoding.eq_ignore_ascii_case("q") {
            super::url_decode(&text.replace('=', "%").replace('_', " "))
                .ok()?
                .into_bytes()
        } else {
            return None;
        };
        String::from_utf8(bytes).ok()
    })();
    decoded.unwrap_or_else(|| value.to_string())
}

/// User metadata as S3 headers carry it: names in lower case, values RFC 2047-encoded where
/// they are not ASCII.
pub(crate) fn metadata_headers(metadata: &[(String, String)]) -> HashMap<String, String> {
    metadata
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), header_value(value)))
        .collect()
}

/// Refuses metadata S3 would refuse: names that are not header tokens, more than 2 KiB.
pub(crate) fn check_metadata(metadata: &[(String, String)]) -> Result<()> {
    let mut size = 0;
    for (name, value) in metadata {
        let token = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !token {
            return Err(Error::invalid(
                "metadata",
                format!("\"{name}\" cannot be a metadata name."),
                "Use letters, digits, '-', '_' and '.' only.",
            ));
        }
        size += name.len() + header_value(value).len();
    }
    if size > METADATA_MAX {
        return Err(Error::invalid(
            "metadata",
            format!("The metadata takes {size} bytes; S3 allows 2,048."),
            "Shorten or remove some values.",
        ));
    }
    Ok(())
}

fn check_tags(tags: &[(String, String)]) -> Result<()> {
    if tags.len() > 10 {
        return Err(Error::invalid(
            "tags",
            "An object can have at most 10 tags.",
            "Remove some tags.",
        ));
    }
    for (key, value) in tags {
        if key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256 {
            return Err(Error::invalid(
                "tags",
                format!("The tag \"{key}\" is not valid."),
                "Tag keys are 1–128 characters, values up to 256.",
            ));
        }
    }
    Ok(())
}

impl Engine {
    /// Replaces an object's content type, cache-control and user metadata, keeping its bytes,
    /// storage class, other content headers and tags (an in-place copy).
    pub async fn object_edit(
        &self,
        path: &RemotePath,
        edit: ObjectEdit,
    ) -> Result<super::ObjectDetails> {
        check_name(&path.bucket, false)?;
        check_key(&path.key)?;
        check_metadata(&edit.metadata)?;
        let account = self.account(&path.profile).await?;
        let outcome = self
            .on_bucket(&account, &path.bucket, |client| {
                let (edit, account) = (edit.clone(), &account);
                async move {
                    let head = client
                        .head_object()
                        .bucket(&path.bucket)
                        .key(&path.key)
                        .send()
                        .await
                        .map_err(|e| head_error(&e, account, &path.bucket, &path.key))?;
                    if head.content_length().unwrap_or(0).max(0) as u64 > IN_PLACE_MAX {
                        return Err(Error::invalid(
                            "key",
                            "Objects over 5 GiB cannot have their metadata changed in place.",
                            "Copy the object with the new metadata instead.",
                        ));
                    }
                    let metadata = metadata_headers(&edit.metadata);
                    let copy = client
                        .copy_object()
                        .bucket(&path.bucket)
                        .key(&path.key)
                        .copy_source(copy_source(&path.bucket, &path.key))
                        .metadata_directive(MetadataDirective::Replace)
                        .set_metadata(Some(metadata))
                        .set_content_type(edit.content_type.filter(|t| !t.is_empty()))
                        .set_cache_control(edit.cache_control.filter(|c| !c.is_empty()))
                        .set_content_encoding(head.content_encoding().map(str::to_string))
                        .set_content_disposition(head.content_disposition().map(str::to_string))
                        .set_content_language(head.content_language().map(str::to_string))
                        .set_storage_class(head.storage_class().cloned())
                        .customize();
                    crate::s3::moving::server_work(copy)
                        .send()
                        .await
                        .map_err(|e| s3::error_from_sdk(&e, &account.label()))
                }
            })
            .await
            .map(drop);
        self.log_activity(Record::new("edit_metadata", &path.to_string()).outcome_of(&outcome))
            .await;
        outcome?;
        self.object_head(&path.profile, &path.bucket, &path.key)
            .await
    }

    /// An object's tags, sorted by key.
    pub async fn object_tags(&self, path: &RemotePath) -> Result<Vec<(String, String)>> {
        check_name(&path.bucket, false)?;
        check_key(&path.key)?;
        let account = self.account(&path.profile).await?;
        self.on_bucket(&account, &path.bucket, |client| {
            let account = &account;
            async move {
                let answer = client
                    .get_object_tagging()
                    .bucket(&path.bucket)
                    .key(&path.key)
                    .send()
                    .await
                    .map_err(|e| s3::error_from_sdk(&e, &account.label()))?;
                let mut tags: Vec<(String, String)> = answer
                    .tag_set()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
                    .collect();
                tags.sort();
                Ok(tags)
            }
        })
        .await
    }

    /// Replaces an object's tags (none: removes them).
    pub async fn object_tags_set(
        &self,
        path: &RemotePath,
        tags: Vec<(String, String)>,
    ) -> Result<()> {
        check_name(&path.bucket, false)?;
        check_key(&path.key)?;
        check_tags(&tags)?;
        let account = self.account(&path.profile).await?;
        let tag_set = tags
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::invalid("tags", e.to_string(), "Check the tags."))?;
        let tagging = Tagging::builder()
            .set_tag_set(Some(tag_set))
            .build()
            .map_err(|e| Error::invalid("tags", e.to_string(), "Check the tags."))?;
        let outcome = self
            .on_bucket(&account, &path.bucket, |client| {
                let (tagging, account) = (tagging.clone(), &account);
                async move {
                    // No tags: DeleteObjectTagging (some servers refuse an empty tag set).
                    if tagging.tag_set().is_empty() {
                        return client
                            .delete_object_tagging()
                            .bucket(&path.bucket)
                            .key(&path.key)
                            .send()
                            .await
                            .map(drop)
                            .map_err(|e| s3::error_from_sdk(&e, &account.label()));
                    }
                    client
                        .put_object_tagging()
                        .bucket(&path.bucket)
                        .key(&path.key)
                        .tagging(tagging)
                        .send()
                        .await
                        .map(drop)
                        .map_err(|e| s3::error_from_sdk(&e, &account.label()))
                }
            })
            .await;
        let record =
            Record::new("edit_tags", &path.to_string()).detail(format!("{} tags", tags.len()));
        self.log_activity(record.outcome_of(&outcome)).await;
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::{header_value, shown_value};

    #[test]
    fn non_ascii_values_travel_as_rfc_2047() {
        assert_eq!(header_value("plain"), "plain");
        let encoded = header_value("Jürgen Ögren");
        assert!(encoded.starts_with("=?UTF-8?B?"));
        assert_eq!(shown_value(&encoded), "Jürgen Ögren");
        assert_eq!(shown_value("=?utf-8?Q?J=C3=BCrgen_=C3=96?="), "Jürgen Ö");
        assert_eq!(shown_value("=?latin1?B?eA==?="), "=?latin1?B?eA==?=");
    }
}
