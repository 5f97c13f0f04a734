//! PutObject, GetObject, HeadObject, DeleteObject(s), CopyObject.

use super::*;

use super::bodies::*;

pub(super) fn copy_source(source: &CopySource) -> S3Result<(String, String)> {
    match source {
        CopySource::Bucket { bucket, key, .. } => Ok((bucket.to_string(), key.to_string())),
        _ => Err(s3_error!(
            NotImplemented,
            "Only bucket/key copy sources are supported."
        )),
    }
}

pub(super) async fn put_object(
    s3: &LocalS3,
    req: S3Request<PutObjectInput>,
) -> S3Result<S3Response<PutObjectOutput>> {
    let signed = signed_region(&req);
    let input = req.input;
    check_key(&input.key)?;
    let bucket = input.bucket.clone();
    s3.bucket_region(&bucket, signed, false).await?;
    let storage_class = storage_class_of(input.storage_class.as_ref())?;
    let (hasher, claimed) = claimed_checksums!(input, &req.headers, req.trailing_headers);
    let received = receive(&s3.store, s3.idle, input.body, hasher, claimed).await?;
    let row = ObjectRow {
        key: input.key.as_bytes().to_vec(),
        blob: String::new(),
        size: received.size,
        etag: received.etag(),
        modified_ms: now_ms(),
        storage_class,
        headers: content_headers(
            input.content_type.as_ref(),
            input.content_encoding.as_ref(),
            input.content_disposition.as_ref(),
            input.content_language.as_ref(),
            input.cache_control.as_ref(),
        ),
        user_metadata: metadata_json(input.metadata.as_ref()),
        checksums: received.checksums_json(),
        parts_count: None,
        tags: tags_of_header(input.tagging.as_deref())?,
        part_sizes: None,
        extents: None,
    };
    let bucket = input.bucket.clone();
    let (if_match, if_none_match) = (input.if_match.clone(), input.if_none_match.clone());
    let temp = received.temp.clone();
    let etag = row.etag.clone();
    s3.index(move |s| {
        s.commit(Source::Temp(temp), "put:after-install", |tx, blobs| {
            if if_match.is_some() || if_none_match.is_some() {
                let existing = db(index::get_object(tx, &bucket, &row.key))?;
                check_write(existing.as_ref(), if_match.as_ref(), if_none_match.as_ref())?;
            }
            let replaced = put_row(tx, &bucket, row, &blobs[0])?;
            Ok(((), replaced))
        })
    })
    .await?;
    let mut output = PutObjectOutput {
        e_tag: Some(quoted(&etag)),
        size: Some(received.size),
        ..Default::default()
    };
    set_checksums!(output, &received.checksums);
    output.checksum_type = checksum_type(&received.checksums);
    Ok(S3Response::new(output))
}

/// `bytes FIRST-LAST/SIZE` of an answer with `len` bytes from `start`; none for no bytes.
fn content_range(start: u64, len: u64, size: u64) -> Option<String> {
    (len > 0).then(|| format!("bytes {start}-{}/{size}", start + len - 1))
}

/// Where part `number` of an object lies, as S3 answers a GET or HEAD with `partNumber`.
fn part_of(row: &ObjectRow, number: i32) -> S3Result<(u64, u64)> {
    row.part(number).ok_or_else(|| {
        let mut err = S3Error::with_message(
            S3ErrorCode::Custom("InvalidPartNumber".into()),
            format!("The object has no part {number}."),
        );
        err.set_status_code(http::StatusCode::RANGE_NOT_SATISFIABLE);
        err
    })
}

pub(super) async fn get_object(
    s3: &LocalS3,
    req: S3Request<GetObjectInput>,
) -> S3Result<S3Response<GetObjectOutput>> {
    let signed = signed_region(&req);
    let input = req.input;
    let bucket = input.bucket.clone();
    s3.bucket_region(&bucket, signed, false).await?;
    let (row, file) = open_object(&s3.store, &input.bucket, &input.key).await?;
    archive::check_readable(s3, &input.bucket, &row).await?;
    check_preconditions(
        &row,
        input.if_match.as_ref(),
        input.if_unmodified_since.as_ref(),
        input.if_none_match.as_ref(),
        input.if_modified_since.as_ref(),
    )?;
    let size = row.size as u64;
    let (start, len, content_range) = match (&input.range, input.part_number) {
        (None, None) => (0, size, None),
        (Some(_), Some(_)) => {
            return Err(s3_error!(
                InvalidRequest,
                "A GET takes a Range or a partNumber, not both."
            ));
        }
        (Some(range), None) => {
            let r = range.check(size)?;
            (
                r.start,
                r.end - r.start,
                content_range(r.start, r.end - r.start, size),
            )
        }
        (None, Some(number)) => {
            let (start, len) = part_of(&row, number)?;
            (start, len, content_range(start, len, size))
        }
    };
    let mut out = GetObjectOutput::default();
    describe_object!(
        out,
        &row,
        content_range.is_none() && wants_checksums(input.checksum_mode.as_ref())
    );
    apply_overrides!(out, input);
    out.content_length = Some(len as i64);
    out.content_range = content_range;
    out.body = Some(StreamingBlob::wrap(object_range(
        &s3.store, &row, file, start, len,
    )));
    Ok(S3Response::new(out))
}

pub(super) async fn head_object(
    s3: &LocalS3,
    req: S3Request<HeadObjectInput>,
) -> S3Result<S3Response<HeadObjectOutput>> {
    let signed = signed_region(&req);
    let input = req.input;
    let row = find_object(s3, &input.bucket, &input.key, signed).await?;
    check_preconditions(
        &row,
        input.if_match.as_ref(),
        input.if_unmodified_since.as_ref(),
        input.if_none_match.as_ref(),
        input.if_modified_since.as_ref(),
    )?;
    let mut out = HeadObjectOutput::default();
    describe_object!(out, &row, wants_checksums(input.checksum_mode.as_ref()));
    out.restore = archive::restore_header(s3, &input.bucket, &row).await?;
    apply_overrides!(out, input);
    out.content_length = Some(row.size);
    if let Some(number) = input.part_number {
        let (start, len) = part_of(&row, number)?;
        out.content_length = Some(len as i64);
        out.content_range = content_range(start, len, row.size as u64);
    }
    Ok(S3Response::new(out))
}

/// An object's index row, without opening its bytes.
pub(super) async fn find_object(
    s3: &LocalS3,
    bucket: &str,
    key: &str,
    signed: Option<String>,
) -> S3Result<ObjectRow> {
    let (bucket, key) = (bucket.to_string(), key.as_bytes().to_vec());
    s3.index(move |s| {
        bucket_for(s, &bucket, signed.as_deref(), false)?;
        db(index::get_object(&s.conn(), &bucket, &key))
    })
    .await?
    .ok_or_else(|| s3_error!(NoSuchKey, "The key does not exist."))
}

/// Most parts one GetObjectAttributes answer lists.
const MAX_PARTS_LISTED: i32 = 1000;

pub(super) async fn get_object_attributes(
    s3: &LocalS3,
    req: S3Request<GetObjectAttributesInput>,
) -> S3Result<S3Response<GetObjectAttributesOutput>> {
    let signed = signed_region(&req);
    let input = req.input;
    let row = find_object(s3, &input.bucket, &input.key, signed).await?;
    let wants = |name: &str| {
        input
            .object_attributes
            .iter()
            .any(|a| a.as_str().eq_ignore_ascii_case(name))
    };
    let mut out = GetObjectAttributesOutput {
        last_modified: Some(timestamp(row.modified_ms)),
        ..Default::default()
    };
    if wants("ETag") {
        out.e_tag = Some(quoted(&row.etag));
    }
    if wants("ObjectSize") {
        out.object_size = Some(row.size);
    }
    if wants("StorageClass") {
        out.storage_class = Some(StorageClass::from(row.storage_class.clone()));
    }
    let sums = checksums_of(row.checksums.as_deref());
    if wants("Checksum") && !sums.is_empty() {
        let mut checksum = Checksum {
            checksum_type: checksum_type(&sums),
            ..Default::default()
        };
        set_checksums!(checksum, &sums);
        out.checksum = Some(checksum);
    }
    if wants("ObjectParts")
        && let Some(count) = row.parts_count.map(|n| n as i32)
    {
        let after = input.part_number_marker.unwrap_or(0).max(0);
        let max = input
            .max_parts
            .unwrap_or(MAX_PARTS_LISTED)
            .clamp(0, MAX_PARTS_LISTED);
        let last = count.min(after.saturating_add(max));
        out.object_parts = Some(GetObjectAttributesParts {
            total_parts_count: Some(count),
            part_number_marker: Some(after),
            max_parts: Some(max),
            is_truncated: Some(last < count),
            next_part_number_marker: (last < count).then_some(last),
            parts: Some(
                (after + 1..=last)
                    .map(|number| ObjectPart {
                        part_number: Some(number),
                        size: row.part(number).map(|(_, len)| len as i64),
                        ..Default::default()
                    })
                    .collect(),
            ),
        });
    }
    Ok(S3Response::new(out))
}

pub(super) async fn delete_object(
    s3: &LocalS3,
    req: S3Request<DeleteObjectInput>,
) -> S3Result<S3Response<DeleteObjectOutput>> {
    let (bucket, signed) = (req.input.bucket.clone(), signed_region(&req));
    let key = req.input.key.as_bytes().to_vec();
    let if_match = req.input.if_match.clone();
    s3.index(move |s| {
        bucket_for(s, &bucket, signed.as_deref(), false)?;
        s.write(|tx| {
            if let Some(cond) = &if_match {
                let existing = db(index::get_object(tx, &bucket, &key))?
                    .ok_or_else(|| s3_error!(NoSuchKey))?;
                if !etag_matches(cond, &existing.etag) {
                    return Err(s3_error!(
                        PreconditionFailed,
                        "The object is not the one If-Match names."
                    ));
                }
            }
            Ok((
                (),
                db(index::delete_object(tx, &bucket, &key))?
                    .into_iter()
                    .collect(),
            ))
        })
    })
    .await?;
    Ok(S3Response::new(DeleteObjectOutput::default()))
}

pub(super) async fn delete_objects(
    s3: &LocalS3,
    req: S3Request<DeleteObjectsInput>,
) -> S3Result<S3Response<DeleteObjectsOutput>> {
    let (bucket, signed) = (req.input.bucket.clone(), signed_region(&req));
    let quiet = req.input.delete.quiet.unwrap_or(false);
    // Each key with the ETag it must still have to be deleted, where one is given.
    let keys: Vec<(String, Option<String>)> = req
        .input
        .delete
        .objects
        .iter()
        .map(|o| {
            (
                o.key.clone(),
                o.e_tag.as_ref().map(|e| e.value().to_string()),
            )
        })
        .collect();
    if keys.len() > 1000 {
        return Err(s3_error!(
            MalformedXML,
            "DeleteObjects takes at most 1000 keys."
        ));
    }
    let (deleted, errors) = s3
        .index(move |s| {
            bucket_for(s, &bucket, signed.as_deref(), false)?;
            s.write(|tx| {
                let (mut deleted, mut errors, mut released) = (Vec::new(), Vec::new(), Vec::new());
                for (key, etag) in keys {
                    if key.len() > MAX_KEY_BYTES {
                        errors.push(Error {
                            code: Some("KeyTooLongError".into()),
                            key: Some(key),
                            message: Some("Object keys are at most 1024 bytes.".into()),
                            version_id: None,
                        });
                        continue;
                    }
                    if let Some(etag) = &etag {
                        let refused = match db(index::get_object(tx, &bucket, key.as_bytes()))? {
                            None => Some(("NoSuchKey", "The object does not exist.")),
                            Some(row) if row.etag != *etag => Some((
                                "PreconditionFailed",
                                "The object is not the one its ETag names.",
                            )),
                            Some(_) => None,
                        };
                        if let Some((code, message)) = refused {
                            errors.push(Error {
                                code: Some(code.into()),
                                key: Some(key),
                                message: Some(message.into()),
                                version_id: None,
                            });
                            continue;
                        }
                    }
                    released.extend(db(index::delete_object(tx, &bucket, key.as_bytes()))?);
                    deleted.push(DeletedObject {
                        key: Some(key),
                        ..Default::default()
                    });
                }
                Ok(((deleted, errors), released))
            })
        })
        .await?;
    let output = DeleteObjectsOutput {
        deleted: (!quiet).then_some(deleted),
        errors: Some(errors),
        ..Default::default()
    };
    Ok(S3Response::new(output))
}

pub(super) async fn copy_object(
    s3: &LocalS3,
    req: S3Request<CopyObjectInput>,
) -> S3Result<S3Response<CopyObjectOutput>> {
    let signed = signed_region(&req);
    let input = req.input;
    check_key(&input.key)?;
    let (source_bucket, source_key) = copy_source(&input.copy_source)?;
    // A source that another process replaces or deletes between this read and the link of
    // its bytes is read again (and its preconditions checked again).
    let mut tries = 0;
    let result_row = loop {
        tries += 1;
        let bucket = input.bucket.clone();
        let source = {
            let (sb, sk) = (source_bucket.clone(), source_key.as_bytes().to_vec());
            let signed = signed.clone();
            s3.index(move |s| {
                bucket_for(s, &bucket, signed.as_deref(), false)?;
                db(index::bucket_region(&s.conn(), &sb))?.ok_or_else(|| {
                    s3_error!(NoSuchBucket, "The source bucket {sb} does not exist.")
                })?;
                db(index::get_object(&s.conn(), &sb, &sk))
            })
            .await?
            .ok_or_else(|| s3_error!(NoSuchKey, "The source key {source_key} does not exist."))?
        };
        archive::check_readable(s3, &source_bucket, &source).await?;
        check_copy_source(
            &source,
            input.copy_source_if_match.as_ref(),
            input.copy_source_if_none_match.as_ref(),
        )?;
        let replace = input
            .metadata_directive
            .as_ref()
            .is_some_and(|d| d.as_str() == "REPLACE");
        let storage_class = storage_class_of(input.storage_class.as_ref())?;
        let same_object = source_bucket == input.bucket && source_key == input.key;
        if same_object && !replace && input.storage_class.is_none() {
            return Err(s3_error!(
                InvalidRequest,
                "This copy request is illegal because it is trying to copy an object to itself without changing the \
                 object's metadata, storage class, website redirect location or encryption attributes."
            ));
        }
        let (headers, user_metadata) = if replace {
            let headers = content_headers(
                input.content_type.as_ref(),
                input.content_encoding.as_ref(),
                input.content_disposition.as_ref(),
                input.content_language.as_ref(),
                input.cache_control.as_ref(),
            );
            (headers, metadata_json(input.metadata.as_ref()))
        } else {
            (source.headers.clone(), source.user_metadata.clone())
        };
        let replace_tags = input
            .tagging_directive
            .as_ref()
            .is_some_and(|d| d.as_str() == "REPLACE");
        let tags = if replace_tags {
            tags_of_header(input.tagging.as_deref())?
        } else {
            source.tags.clone()
        };
        let row = ObjectRow {
            key: input.key.as_bytes().to_vec(),
            modified_ms: now_ms(),
            storage_class,
            headers,
            user_metadata,
            tags,
            ..source.clone()
        };
        let bucket = input.bucket.clone();
        let source_blobs = source.blob_ids();
        let result_row = row.clone();
        let committed = s3
            .index(move |s| {
                s.commit(
                    Source::Link(source_blobs),
                    "copy:after-install",
                    |tx, blobs| {
                        let row = ObjectRow {
                            extents: row.extents.as_ref().map(|_| blobs[1..].join(",")),
                            ..row
                        };
                        let replaced = put_row(tx, &bucket, row, &blobs[0])?;
                        Ok(((), replaced))
                    },
                )
            })
            .await;
        match committed {
            Err(e) if *e.code() == S3ErrorCode::NoSuchKey && tries < 3 => continue,
            other => {
                other?;
                break result_row;
            }
        }
    };
    let output = CopyObjectOutput {
        copy_object_result: Some(CopyObjectResult {
            e_tag: Some(quoted(&result_row.etag)),
            last_modified: Some(timestamp(result_row.modified_ms)),
            ..Default::default()
        }),
        ..Default::default()
    };
    Ok(S3Response::new(output))
}

pub(super) async fn get_object_tagging(
    s3: &LocalS3,
    req: S3Request<GetObjectTaggingInput>,
) -> S3Result<S3Response<GetObjectTaggingOutput>> {
    let signed = signed_region(&req);
    let (bucket, key) = (req.input.bucket, req.input.key);
    s3.bucket_region(&bucket, signed, false).await?;
    let row = s3
        .index(move |s| db(index::get_object(&s.conn(), &bucket, key.as_bytes())))
        .await?
        .ok_or_else(|| s3_error!(NoSuchKey))?;
    Ok(S3Response::new(GetObjectTaggingOutput {
        tag_set: tag_set(row.tags.as_deref()),
        version_id: None,
    }))
}

pub(super) async fn put_object_tagging(
    s3: &LocalS3,
    req: S3Request<PutObjectTaggingInput>,
) -> S3Result<S3Response<PutObjectTaggingOutput>> {
    let signed = signed_region(&req);
    let input = req.input;
    s3.bucket_region(&input.bucket, signed, false).await?;
    let pairs = input
        .tagging
        .tag_set
        .into_iter()
        .map(|t| (t.key.unwrap_or_default(), t.value.unwrap_or_default()))
        .collect();
    let tags = tags_json(pairs)?;
    set_tags(s3, input.bucket, input.key, tags).await?;
    Ok(S3Response::new(PutObjectTaggingOutput { version_id: None }))
}

pub(super) async fn delete_object_tagging(
    s3: &LocalS3,
    req: S3Request<DeleteObjectTaggingInput>,
) -> S3Result<S3Response<DeleteObjectTaggingOutput>> {
    let signed = signed_region(&req);
    let input = req.input;
    s3.bucket_region(&input.bucket, signed, false).await?;
    set_tags(s3, input.bucket, input.key, None).await?;
    Ok(S3Response::new(DeleteObjectTaggingOutput {
        version_id: None,
    }))
}

async fn set_tags(s3: &LocalS3, bucket: String, key: String, tags: Option<String>) -> S3Result<()> {
    let found = s3
        .index(move |s| {
            db(index::set_tags(
                &s.conn(),
                &bucket,
                key.as_bytes(),
                tags.as_deref(),
            ))
        })
        .await?;
    if found {
        Ok(())
    } else {
        Err(s3_error!(NoSuchKey))
    }
}
