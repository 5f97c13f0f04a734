//! ListObjects v1 and v2: keys as text, URL-encoded when asked for or when XML could not
//! carry them.

use super::*;

/// Listing keys as text, URL-encoded when the client asked for it, or when a key holds a
/// character that XML 1.0 cannot carry at all (NUL and most control characters, even as
/// `&#x..;`). AWS writes such keys raw and sends XML no parser accepts; this endpoint encodes
/// the whole page instead and says so in `EncodingType`, so every response is well-formed and
/// a client that decodes by that element gets every key back exactly.
pub(super) struct KeyText {
    pub(super) url: bool,
}

/// Whether `bytes` hold a character XML 1.0 forbids (or that a parser would normalize away).
pub(super) fn xml_unsafe(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    text.chars().any(|c| {
        (c < ' ' && c != '\t' && c != '\n') || c == '\r' || c == '\u{FFFE}' || c == '\u{FFFF}'
    })
}

impl KeyText {
    /// URL-encoding when asked for, or when one of `values` needs it.
    pub(super) fn for_values<'a>(
        encoding: Option<&EncodingType>,
        mut values: impl Iterator<Item = &'a [u8]>,
    ) -> Self {
        Self {
            url: encoding.is_some_and(|e| e.as_str() == "url") || values.any(xml_unsafe),
        }
    }
    pub(super) fn of_page<'a>(
        encoding: Option<&EncodingType>,
        entries: &'a [Entry],
        asked: &'a [Option<&'a String>],
    ) -> Self {
        let keys = entries.iter().map(|e| match e {
            Entry::Object(row) => row.key.as_slice(),
            Entry::Prefix(cp) => cp.as_slice(),
        });
        let asked = asked.iter().flatten().map(|v| v.as_bytes());
        Self::for_values(encoding, keys.chain(asked))
    }
    /// The `EncodingType` element of the answer.
    pub(super) fn declared(&self) -> Option<EncodingType> {
        self.url
            .then(|| EncodingType::from_static(EncodingType::URL))
    }
    pub(super) fn text(&self, bytes: &[u8]) -> String {
        if self.url {
            crate::objects::url_encode(bytes)
        } else {
            String::from_utf8_lossy(bytes).into_owned()
        }
    }
    pub(super) fn opt(&self, value: Option<&String>) -> Option<String> {
        value.map(|v| self.text(v.as_bytes()))
    }
}

/// An object's listing entry; `owners` adds its owner (ListObjectsV2 with fetch-owner, v1).
pub(super) fn listed_object(row: &ObjectRow, keys: &KeyText, owners: bool) -> Object {
    Object {
        owner: owners.then(owner),
        key: Some(keys.text(&row.key)),
        size: Some(row.size),
        e_tag: Some(quoted(&row.etag)),
        last_modified: Some(timestamp(row.modified_ms)),
        storage_class: Some(ObjectStorageClass::from(row.storage_class.clone())),
        ..Default::default()
    }
}

pub(super) fn split_entries(
    entries: Vec<Entry>,
    keys: &KeyText,
    owners: bool,
) -> (Vec<Object>, Vec<CommonPrefix>) {
    let mut objects = Vec::new();
    let mut prefixes = Vec::new();
    for entry in entries {
        match entry {
            Entry::Object(row) => objects.push(listed_object(&row, keys, owners)),
            Entry::Prefix(cp) => prefixes.push(CommonPrefix {
                prefix: Some(keys.text(&cp)),
            }),
        }
    }
    (objects, prefixes)
}

/// A listing's prefix and delimiter as bytes; an empty delimiter is none.
pub(super) fn listing_scope(
    prefix: Option<&String>,
    delimiter: Option<&String>,
) -> (Vec<u8>, Option<Vec<u8>>) {
    let prefix = prefix.cloned().unwrap_or_default().into_bytes();
    let delimiter = delimiter
        .filter(|d| !d.is_empty())
        .map(|d| d.clone().into_bytes());
    (prefix, delimiter)
}

/// A page limit (`max-keys`, `max-uploads`, `max-parts`): 1,000 at most, never negative.
pub(super) fn page_size(max: Option<i32>) -> S3Result<usize> {
    match max {
        Some(n) if n < 0 => Err(s3_error!(
            InvalidArgument,
            "The page size must be between 0 and 2147483647."
        )),
        Some(n) => Ok(n.min(1000) as usize),
        None => Ok(1000),
    }
}

pub(super) async fn list_objects_v2(
    s3: &LocalS3,
    req: S3Request<ListObjectsV2Input>,
) -> S3Result<S3Response<ListObjectsV2Output>> {
    let signed = signed_region(&req);
    let input = req.input;
    let bucket = input.bucket.clone();
    let (prefix, delimiter) = listing_scope(input.prefix.as_ref(), input.delimiter.as_ref());
    let start = match (&input.continuation_token, &input.start_after) {
        (Some(token), _) => listing::parse_token(token)
            .ok_or_else(|| s3_error!(InvalidArgument, "The continuation token is not valid."))?,
        (None, Some(after)) => {
            listing::resume_after(after.as_bytes(), &prefix, delimiter.as_deref())
        }
        (None, None) => Bound::Unbounded,
    };
    let max = page_size(input.max_keys)?;
    let page = s3
        .list_page(bucket, signed, prefix, delimiter, start, max)
        .await?;
    let next = page
        .truncated
        .then(|| page.entries.last().map(listing::token_for))
        .flatten();
    let keys = KeyText::of_page(
        input.encoding_type.as_ref(),
        &page.entries,
        &[
            input.prefix.as_ref(),
            input.delimiter.as_ref(),
            input.start_after.as_ref(),
        ],
    );
    let count = page.entries.len() as i32;
    let (contents, prefixes) = split_entries(page.entries, &keys, input.fetch_owner == Some(true));
    let output = ListObjectsV2Output {
        name: Some(input.bucket),
        prefix: Some(keys.opt(input.prefix.as_ref()).unwrap_or_default()),
        delimiter: keys.opt(input.delimiter.as_ref().filter(|d| !d.is_empty())),
        start_after: keys.opt(input.start_after.as_ref()),
        max_keys: Some(max as i32),
        key_count: Some(count),
        is_truncated: Some(page.truncated),
        continuation_token: input.continuation_token,
        next_continuation_token: next,
        contents: Some(contents),
        common_prefixes: Some(prefixes),
        encoding_type: keys.declared(),
        ..Default::default()
    };
    Ok(S3Response::new(output))
}

pub(super) async fn list_objects(
    s3: &LocalS3,
    req: S3Request<ListObjectsInput>,
) -> S3Result<S3Response<ListObjectsOutput>> {
    let signed = signed_region(&req);
    let input = req.input;
    let bucket = input.bucket.clone();
    let (prefix, delimiter) = listing_scope(input.prefix.as_ref(), input.delimiter.as_ref());
    let start = input.marker.as_ref().map_or(Bound::Unbounded, |m| {
        listing::resume_after(m.as_bytes(), &prefix, delimiter.as_deref())
    });
    let max = page_size(input.max_keys)?;
    let has_delimiter = delimiter.is_some();
    let page = s3
        .list_page(bucket, signed, prefix, delimiter, start, max)
        .await?;
    let keys = KeyText::of_page(
        input.encoding_type.as_ref(),
        &page.entries,
        &[
            input.prefix.as_ref(),
            input.delimiter.as_ref(),
            input.marker.as_ref(),
        ],
    );
    // NextMarker is returned only with a delimiter; without one, clients use the last key.
    let next_marker = (page.truncated && has_delimiter)
        .then(|| {
            page.entries.last().map(|e| match e {
                Entry::Object(row) => keys.text(&row.key),
                Entry::Prefix(cp) => keys.text(cp),
            })
        })
        .flatten();
    let (contents, prefixes) = split_entries(page.entries, &keys, true);
    let output = ListObjectsOutput {
        name: Some(input.bucket),
        prefix: Some(keys.opt(input.prefix.as_ref()).unwrap_or_default()),
        delimiter: keys.opt(input.delimiter.as_ref().filter(|d| !d.is_empty())),
        marker: Some(keys.opt(input.marker.as_ref()).unwrap_or_default()),
        max_keys: Some(max as i32),
        is_truncated: Some(page.truncated),
        next_marker,
        contents: Some(contents),
        common_prefixes: Some(prefixes),
        encoding_type: keys.declared(),
        ..Default::default()
    };
    Ok(S3Response::new(output))
}

impl LocalS3 {
    /// One page of a listing, after checking the bucket and the signing region.
    pub(super) async fn list_page(
        &self,
        bucket: String,
        signed: Option<String>,
        prefix: Vec<u8>,
        delimiter: Option<Vec<u8>>,
        start: Bound<Vec<u8>>,
        max: usize,
    ) -> S3Result<listing::Page> {
        self.index(move |s| {
            bucket_for(s, &bucket, signed.as_deref(), false)?;
            db(listing::list(
                &s.conn(),
                &bucket,
                &prefix,
                delimiter.as_deref(),
                start,
                max,
            ))
        })
        .await
    }
}
