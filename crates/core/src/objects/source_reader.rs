//! The bytes of a copy streamed through Strata, read from the source one of its own parts at a
//! time (GET `partNumber`), so that the MD5s of those parts rebuild its multipart ETag whatever
//! part size the copy writes in. Every GET names the listed ETag (`If-Match`): a source
//! replaced in the middle of a copy fails it instead of mixing two versions.

use std::collections::HashMap;

use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::primitives::ByteStream;
use bytes::{Bytes, BytesMut};
use md5::{Digest, Md5};

use super::etag::{etag_is_digest, is_md5, md5_hex, multipart_etag, part_count};
use crate::error::{Error, ErrorCode, Result};
use crate::jobs::JobHandle;
use crate::remote::RemotePath;
use crate::s3::{self, Account};

pub(super) struct SourceReader<'a> {
    client: aws_sdk_s3::Client,
    account: &'a Account,
    source: RemotePath,
    /// The ETag the listing gave, quotes trimmed.
    etag: Option<String>,
    /// Whether the server made that ETag from the bytes (see [`etag_is_digest`]).
    etag_is_digest: bool,
    body: ByteStream,
    pending: BytesMut,
    /// The source's part count; 0 when it came whole.
    parts: u32,
    /// The part `body` carries (1 when whole).
    part: u32,
    /// The MD5 of what `body` gave so far, and of each finished part.
    md5: Md5,
    part_md5s: Vec<[u8; 16]>,
    read: u64,
    ended: bool,
    pub content_type: Option<String>,
    pub metadata: Option<HashMap<String, String>>,
}

impl<'a> SourceReader<'a> {
    /// Opens `source` (an object) whose listing gave `etag`.
    pub(super) async fn open(
        client: aws_sdk_s3::Client,
        account: &'a Account,
        source: RemotePath,
        etag: Option<&str>,
    ) -> Result<Self> {
        let mut reader = Self {
            client,
            account,
            source,
            etag: etag.map(|e| e.trim_matches('"').to_string()),
            etag_is_digest: false,
            body: ByteStream::from_static(b""),
            pending: BytesMut::new(),
            parts: 0,
            part: 1,
            md5: Md5::new(),
            part_md5s: Vec::new(),
            read: 0,
            ended: false,
            content_type: None,
            metadata: None,
        };
        let first = match reader.get(Some(1)).await {
            Err(err) if s3::part_number_refused(&err) => reader.get(None).await,
            other => other,
        }
        .map_err(|err| reader.error(&err))?;
        reader.parts = first.parts_count().unwrap_or(0).max(0) as u32;
        reader.etag_is_digest = etag_is_digest(
            first.server_side_encryption(),
            first.sse_customer_algorithm(),
        );
        reader.content_type = first.content_type().map(str::to_string);
        reader.metadata = first.metadata().cloned();
        reader.body = first.body;
        Ok(reader)
    }

    async fn get(
        &self,
        part: Option<u32>,
    ) -> std::result::Result<
        GetObjectOutput,
        aws_sdk_s3::error::SdkError<
            aws_sdk_s3::operation::get_object::GetObjectError,
            aws_smithy_runtime_api::client::orchestrator::HttpResponse,
        >,
    > {
        self.client
            .get_object()
            .bucket(&self.source.bucket)
            .key(&self.source.key)
            .set_part_number(part.map(|n| n as i32))
            .set_if_match(self.etag.as_ref().map(|e| format!("\"{e}\"")))
            .send()
            .await
    }

    fn error<E>(
        &self,
        err: &aws_sdk_s3::error::SdkError<
            E,
            aws_smithy_runtime_api::client::orchestrator::HttpResponse,
        >,
    ) -> Error
    where
        E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
    {
        source_error(err, self.account, &self.source)
    }

    /// Up to `size` bytes (fewer only at the end of the object).
    pub(super) async fn take(&mut self, size: usize, job: &JobHandle) -> Result<Bytes> {
        while !self.ended && self.pending.len() < size {
            job.check()?;
            match self.body.next().await {
                Some(Ok(chunk)) => {
                    self.md5.update(&chunk);
                    self.read += chunk.len() as u64;
                    self.pending.extend_from_slice(&chunk);
                }
                Some(Err(e)) => {
                    return Err(super::body_interrupted(
                        "Reading the source",
                        e,
                        "Try again; no source was deleted.",
                    ));
                }
                None => {
                    self.part_md5s.push(
                        std::mem::replace(&mut self.md5, Md5::new())
                            .finalize()
                            .into(),
                    );
                    if self.part < self.parts {
                        self.part += 1;
                        let next = self
                            .get(Some(self.part))
                            .await
                            .map_err(|err| self.error(&err))?;
                        self.body = next.body;
                    } else {
                        self.ended = true;
                    }
                }
            }
        }
        let n = size.min(self.pending.len());
        Ok(self.pending.split_to(n).freeze())
    }

    /// After the last [`take`](Self::take): the bytes read must be `size` long and, where the
    /// source's ETag is made from its bytes, make that ETag: its MD5, or the MD5 of its parts'
    /// MD5s. A server that ignores `partNumber` sends a multipart object whole, with no part
    /// MD5s to rebuild its ETag from: then only the length is checked.
    pub(super) fn check(&self, size: u64) -> Result<()> {
        if self.read != size {
            return Err(Error::new(
                ErrorCode::S3,
                format!(
                    "{} sent {} bytes of {size}; no source was deleted.",
                    self.source, self.read
                ),
                "The source may have changed during the copy; try again.",
            )
            .with_retry(crate::error::Retry::Transient));
        }
        let Some(etag) = self
            .etag
            .as_deref()
            .filter(|_| self.etag_is_digest)
            .map(str::to_ascii_lowercase)
        else {
            return Ok(());
        };
        let of_bytes = match self.part_md5s.as_slice() {
            [whole] if self.parts == 0 && is_md5(&etag) => Some(md5_hex(whole)),
            md5s if self.parts > 0 && part_count(&etag) == Some(self.parts) => {
                Some(multipart_etag(md5s))
            }
            _ => None,
        };
        if of_bytes.is_some_and(|of_bytes| of_bytes != etag) {
            return Err(Error::new(
                ErrorCode::S3,
                format!(
                    "The bytes read from {} differ from its ETag: they were altered on the way; \
                     no source was deleted.",
                    self.source
                ),
                "Try again; if it persists, something between Strata and the source alters data.",
            )
            .with_retry(crate::error::Retry::Transient));
        }
        Ok(())
    }
}

/// The error of a request that named the source's listed ETag (a GET's `If-Match`, a copy's
/// `x-amz-copy-source-if-match`): a 412 means the source is no longer what was listed.
pub(super) fn source_error<E>(
    err: &aws_sdk_s3::error::SdkError<
        E,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
    account: &Account,
    source: &RemotePath,
) -> Error
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    if s3::service_code(err) == Some("PreconditionFailed") {
        return Error::new(
            ErrorCode::S3,
            format!("{source} was replaced while it was being copied; no source was deleted."),
            "Run it again: it copies the object as it is now.",
        );
    }
    s3::error_from_sdk(err, &account.label())
}
