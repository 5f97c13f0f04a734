//! Multipart uploads: create, parts (uploaded and copied), list, complete, abort.

use super::*;

use super::bodies::*;

use super::listings::*;
use super::objects::copy_source;
use crate::objects::checksum::Crc;

/// The final ETag of a multipart object: MD5 of the parts' MD5s, then `-N`.
pub(super) fn multipart_etag(part_etags: &[String]) -> S3Result<String> {
    let mut md5 = Md5::new();
    for etag in part_etags {
        md5.update(hex_simd::decode_to_vec(etag).map_err(internal)?);
    }
    let digest: [u8; 16] = md5.finalize().into();
    Ok(format!(
        "{}-{}",
        hex_simd::encode_to_string(digest, hex_simd::AsciiCase::Lower),
        part_etags.len()
    ))
}

pub(super) fn upload_not_found(upload_id: &str) -> S3Error {
    s3_error!(
        NoSuchUpload,
        "The upload {upload_id} does not exist; it may have been completed or aborted."
    )
}

pub(super) fn check_part_number(n: i32) -> S3Result<()> {
    if (1..=MAX_PART_NUMBER).contains(&n) {
        Ok(())
    } else {
        Err(s3_error!(
            InvalidArgument,
            "Part numbers go from 1 to 10000; {n} is outside."
        ))
    }
}

/// `bytes=first-last` of an UploadPartCopy, checked against the source's size.
pub(super) fn copy_range(range: Option<&str>, size: i64) -> S3Result<(u64, u64)> {
    let Some(range) = range else {
        return Ok((0, size as u64));
    };
    let bad = || {
        s3_error!(
            InvalidArgument,
            "The x-amz-copy-source-range {range} is not bytes=first-last within the source."
        )
    };
    let (first, last) = range
        .strip_prefix("bytes=")
        .and_then(|r| r.split_once('-'))
        .ok_or_else(bad)?;
    let (first, last): (u64, u64) = (
        first.parse().map_err(|_| bad())?,
        last.parse().map_err(|_| bad())?,
    );
    if first > last || last >= size as u64 {
        return Err(bad());
    }
    Ok((first, last - first + 1))
}

pub(super) async fn create_multipart_upload(
    s3: &LocalS3,
    req: S3Request<CreateMultipartUploadInput>,
) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
    let signed = signed_region(&req);
    let input = req.input;
    check_key(&input.key)?;
    let upload = UploadRow {
        upload_id: crate::local::blobs::random_id(),
        bucket: input.bucket.clone(),
        key: input.key.as_bytes().to_vec(),
        initiated_ms: now_ms(),
        storage_class: storage_class_of(input.storage_class.as_ref())?,
        headers: content_headers(
            input.content_type.as_ref(),
            input.content_encoding.as_ref(),
            input.content_disposition.as_ref(),
            input.content_language.as_ref(),
            input.cache_control.as_ref(),
        ),
        user_metadata: metadata_json(input.metadata.as_ref()),
        checksum_algorithm: input
            .checksum_algorithm
            .as_ref()
            .map(|a| a.as_str().to_string()),
    };
    let upload_id = upload.upload_id.clone();
    s3.index(move |s| {
        bucket_for(s, &upload.bucket, signed.as_deref(), false)?;
        db(index::insert_upload(&s.conn(), &upload))
    })
    .await?;
    let output = CreateMultipartUploadOutput {
        bucket: Some(input.bucket),
        key: Some(input.key),
        upload_id: Some(upload_id),
        checksum_algorithm: input.checksum_algorithm,
        ..Default::default()
    };
    Ok(S3Response::new(output))
}

pub(super) async fn upload_part(
    s3: &LocalS3,
    req: S3Request<UploadPartInput>,
) -> S3Result<S3Response<UploadPartOutput>> {
    let signed = signed_region(&req);
    let input = req.input;
    check_part_number(input.part_number)?;
    let (bucket, key, upload_id) = (
        input.bucket.clone(),
        input.key.as_bytes().to_vec(),
        input.upload_id.clone(),
    );
    s3.index(move |s| {
        bucket_for(s, &bucket, signed.as_deref(), false)?;
        db(index::get_upload(&s.conn(), &bucket, &key, &upload_id))?
            .ok_or_else(|| upload_not_found(&upload_id))
    })
    .await?;
    let (hasher, claimed) = claimed_checksums!(input, &req.headers, req.trailing_headers);
    let received = receive(&s3.store, s3.idle, input.body, hasher, claimed).await?;
    let mut output = UploadPartOutput {
        e_tag: Some(quoted(&received.etag())),
        ..Default::default()
    };
    set_checksums!(output, &received.checksums);
    let part = PartRow {
        part_number: input.part_number,
        blob: String::new(),
        size: received.size,
        etag: received.etag(),
        modified_ms: now_ms(),
        checksums: received.checksums_json(),
    };
    s3.commit_part(
        input.bucket,
        input.key,
        input.upload_id,
        Source::Temp(received.temp),
        part,
    )
    .await?;
    Ok(S3Response::new(output))
}

pub(super) async fn upload_part_copy(
    s3: &LocalS3,
    req: S3Request<UploadPartCopyInput>,
) -> S3Result<S3Response<UploadPartCopyOutput>> {
    let signed = signed_region(&req);
    let input = req.input;
    check_part_number(input.part_number)?;
    let (source_bucket, source_key) = copy_source(&input.copy_source)?;
    let (bucket, key, upload_id) = (
        input.bucket.clone(),
        input.key.as_bytes().to_vec(),
        input.upload_id.clone(),
    );
    s3.index(move |s| {
        bucket_for(s, &bucket, signed.as_deref(), false)?;
        db(index::get_upload(&s.conn(), &bucket, &key, &upload_id))?
            .ok_or_else(|| upload_not_found(&upload_id))
    })
    .await?;
    let (source, file) = open_object(&s3.store, &source_bucket, &source_key).await?;
    check_copy_source(
        &source,
        input.copy_source_if_match.as_ref(),
        input.copy_source_if_none_match.as_ref(),
    )?;
    let (start, len) = copy_range(input.copy_source_range.as_deref(), source.size)?;
    let temp = s3.store.blobs.temp_path();
    let copied = async {
        let mut out = tokio::fs::File::create(&temp).await.map_err(internal)?;
        let range = object_range(&s3.store, &source, file, start, len);
        let mut range = std::pin::pin!(range);
        let mut md5 = Md5::new();
        while let Some(chunk) = range.next().await {
            let chunk = chunk.map_err(internal)?;
            md5.update(&chunk);
            out.write_all(&chunk).await.map_err(internal)?;
        }
        out.sync_all().await.map_err(internal)?;
        let digest: [u8; 16] = md5.finalize().into();
        Ok::<_, S3Error>(hex_simd::encode_to_string(
            digest,
            hex_simd::AsciiCase::Lower,
        ))
    }
    .await;
    let etag = match copied {
        Ok(etag) => etag,
        Err(e) => {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(e);
        }
    };
    let part = PartRow {
        part_number: input.part_number,
        blob: String::new(),
        size: len as i64,
        etag: etag.clone(),
        modified_ms: now_ms(),
        checksums: None,
    };
    let modified = part.modified_ms;
    s3.commit_part(
        input.bucket,
        input.key,
        input.upload_id,
        Source::Temp(temp),
        part,
    )
    .await?;
    let output = UploadPartCopyOutput {
        copy_part_result: Some(CopyPartResult {
            e_tag: Some(quoted(&etag)),
            last_modified: Some(timestamp(modified)),
            ..Default::default()
        }),
        ..Default::default()
    };
    Ok(S3Response::new(output))
}

pub(super) async fn list_parts(
    s3: &LocalS3,
    req: S3Request<ListPartsInput>,
) -> S3Result<S3Response<ListPartsOutput>> {
    let signed = signed_region(&req);
    let input = req.input;
    let limit = page_size(input.max_parts)?;
    let after = input.part_number_marker.unwrap_or(0);
    let (bucket, key, upload_id) = (
        input.bucket.clone(),
        input.key.as_bytes().to_vec(),
        input.upload_id.clone(),
    );
    let (upload, mut parts) = s3
        .index(move |s| {
            bucket_for(s, &bucket, signed.as_deref(), false)?;
            let conn = s.conn();
            let upload = db(index::get_upload(&conn, &bucket, &key, &upload_id))?
                .ok_or_else(|| upload_not_found(&upload_id))?;
            Ok((
                upload,
                db(index::parts(&conn, &upload_id, after, limit + 1))?,
            ))
        })
        .await?;
    let truncated = parts.len() > limit;
    parts.truncate(limit);
    let output = ListPartsOutput {
        bucket: Some(input.bucket),
        key: Some(input.key),
        upload_id: Some(input.upload_id),
        max_parts: Some(limit as i32),
        part_number_marker: input.part_number_marker,
        next_part_number_marker: parts.last().map(|p| p.part_number),
        is_truncated: Some(truncated),
        storage_class: Some(StorageClass::from(upload.storage_class)),
        owner: Some(owner()),
        initiator: Some(Initiator {
            display_name: Some("strata".into()),
            id: Some("strata-local".into()),
        }),
        parts: Some(
            parts
                .into_iter()
                .map(|p| Part {
                    part_number: Some(p.part_number),
                    size: Some(p.size),
                    e_tag: Some(quoted(&p.etag)),
                    last_modified: Some(timestamp(p.modified_ms)),
                    ..Default::default()
                })
                .collect(),
        ),
        ..Default::default()
    };
    Ok(S3Response::new(output))
}

pub(super) async fn list_multipart_uploads(
    s3: &LocalS3,
    req: S3Request<ListMultipartUploadsInput>,
) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
    let signed = signed_region(&req);
    let input = req.input;
    let limit = page_size(input.max_uploads)?;
    let (prefix, delimiter) = listing_scope(input.prefix.as_ref(), input.delimiter.as_ref());
    let key_marker = input.key_marker.clone().unwrap_or_default().into_bytes();
    // Without a key marker the upload-id marker is ignored, as S3 does.
    let id_marker = if key_marker.is_empty() {
        String::new()
    } else {
        input.upload_id_marker.clone().unwrap_or_default()
    };
    let bucket = input.bucket.clone();
    let (uploads, prefixes, truncated) = s3
        .index(move |s| {
            bucket_for(s, &bucket, signed.as_deref(), false)?;
            let conn = s.conn();
            let (mut uploads, mut prefixes): (Vec<UploadRow>, Vec<Vec<u8>>) =
                (Vec::new(), Vec::new());
            let (mut after_key, mut after_id) = (key_marker, id_marker);
            loop {
                let batch = db(index::list_uploads(
                    &conn, &bucket, &after_key, &after_id, 256,
                ))?;
                let Some(last) = batch.last() else {
                    return Ok((uploads, prefixes, false));
                };
                (after_key, after_id) = (last.key.clone(), last.upload_id.clone());
                for upload in batch {
                    if !upload.key.starts_with(&prefix) {
                        continue;
                    }
                    let rolled = listing::common_prefix(&upload.key, &prefix, delimiter.as_deref());
                    if uploads.len() + prefixes.len() == limit {
                        return Ok((uploads, prefixes, true));
                    }
                    match rolled {
                        Some(cp) if prefixes.last() == Some(&cp) => {}
                        Some(cp) => prefixes.push(cp),
                        None => uploads.push(upload),
                    }
                }
            }
        })
        .await?;
    let keys = KeyText::for_values(
        input.encoding_type.as_ref(),
        uploads
            .iter()
            .map(|u| u.key.as_slice())
            .chain(prefixes.iter().map(Vec::as_slice))
            .chain(
                [&input.prefix, &input.delimiter, &input.key_marker]
                    .into_iter()
                    .flatten()
                    .map(|v| v.as_bytes()),
            ),
    );
    let output = ListMultipartUploadsOutput {
        bucket: Some(input.bucket),
        prefix: keys.opt(input.prefix.as_ref()),
        delimiter: keys.opt(input.delimiter.as_ref().filter(|d| !d.is_empty())),
        key_marker: keys.opt(input.key_marker.as_ref()),
        upload_id_marker: input.upload_id_marker,
        max_uploads: Some(limit as i32),
        is_truncated: Some(truncated),
        next_key_marker: truncated
            .then(|| uploads.last().map(|u| keys.text(&u.key)))
            .flatten(),
        next_upload_id_marker: truncated
            .then(|| uploads.last().map(|u| u.upload_id.clone()))
            .flatten(),
        common_prefixes: Some(
            prefixes
                .iter()
                .map(|p| CommonPrefix {
                    prefix: Some(keys.text(p)),
                })
                .collect(),
        ),
        uploads: Some(
            uploads
                .iter()
                .map(|u| MultipartUpload {
                    key: Some(keys.text(&u.key)),
                    upload_id: Some(u.upload_id.clone()),
                    initiated: Some(timestamp(u.initiated_ms)),
                    storage_class: Some(StorageClass::from(u.storage_class.clone())),
                    owner: Some(owner()),
                    initiator: Some(Initiator {
                        display_name: Some("strata".into()),
                        id: Some("strata-local".into()),
                    }),
                    ..Default::default()
                })
                .collect(),
        ),
        encoding_type: keys.declared(),
        request_charged: None,
    };
    Ok(S3Response::new(output))
}

pub(super) async fn complete_multipart_upload(
    s3: &LocalS3,
    req: S3Request<CompleteMultipartUploadInput>,
) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
    let signed = signed_region(&req);
    let input = req.input;
    let listed: Vec<CompletedPart> = input
        .multipart_upload
        .and_then(|m| m.parts)
        .unwrap_or_default();
    if listed.is_empty() {
        return Err(s3_error!(
            MalformedXML,
            "CompleteMultipartUpload needs at least one part."
        ));
    }
    let numbers = listed
        .iter()
        .map(|p| {
            p.part_number
                .ok_or_else(|| s3_error!(MalformedXML, "A part has no PartNumber."))
        })
        .collect::<S3Result<Vec<i32>>>()?;
    if numbers.windows(2).any(|w| w[0] >= w[1]) {
        return Err(s3_error!(
            InvalidPartOrder,
            "The parts must be listed in ascending order of part number."
        ));
    }
    let (bucket, key, upload_id) = (
        input.bucket.clone(),
        input.key.as_bytes().to_vec(),
        input.upload_id.clone(),
    );
    let claimed_crc = input.checksum_crc64nvme.clone();
    let (if_match, if_none_match) = (input.if_match.clone(), input.if_none_match.clone());
    // One transaction: the parts are chosen and handed to the object as they are (completing
    // copies no bytes), so no part can change between the choice and the object.
    let (etag, sums) = s3
        .index(move |s| {
            bucket_for(s, &bucket, signed.as_deref(), false)?;
            s.write(|tx| {
                let Some(upload) = db(index::get_upload(tx, &bucket, &key, &upload_id))? else {
                    // Completed already: the same answer again, while the object is its own.
                    return db(index::completed_object(tx, &upload_id, &bucket, &key))?
                        .map(|etag| ((etag, HashMap::new()), Vec::new()))
                        .ok_or_else(|| upload_not_found(&upload_id));
                };
                if if_match.is_some() || if_none_match.is_some() {
                    let existing = db(index::get_object(tx, &bucket, &key))?;
                    check_write(existing.as_ref(), if_match.as_ref(), if_none_match.as_ref())?;
                }
                let mut stored: HashMap<i32, PartRow> =
                    db(index::parts(tx, &upload_id, 0, usize::MAX))?
                        .into_iter()
                        .map(|p| (p.part_number, p))
                        .collect();
                let mut chosen = Vec::with_capacity(listed.len());
                for (i, (part, number)) in listed.iter().zip(&numbers).enumerate() {
                    let row = stored
                        .remove(number)
                        .filter(|row| part.e_tag.as_ref().is_none_or(|e| e.value() == row.etag))
                        .ok_or_else(|| {
                            s3_error!(
                                InvalidPart,
                                "Part {number} was not uploaded, or its ETag does not match the one given."
                            )
                        })?;
                    if i + 1 < listed.len() && row.size < MIN_PART_SIZE {
                        return Err(s3_error!(
                            EntityTooSmall,
                            "Part {number} is smaller than 5 MiB and is not the last part."
                        ));
                    }
                    chosen.push(row);
                }
                let etag =
                    multipart_etag(&chosen.iter().map(|p| p.etag.clone()).collect::<Vec<_>>())?;
                let joined = |field: fn(&PartRow) -> String, from: usize| {
                    chosen[from..].iter().map(field).collect::<Vec<_>>().join(",")
                };
                let row = ObjectRow {
                    tags: None,
                    key: upload.key.clone(),
                    blob: chosen[0].blob.clone(),
                    size: chosen.iter().map(|p| p.size).sum(),
                    etag: etag.clone(),
                    modified_ms: now_ms(),
                    storage_class: upload.storage_class,
                    headers: upload.headers,
                    user_metadata: upload.user_metadata,
                    checksums: object_checksums(upload.checksum_algorithm.as_deref(), &chosen),
                    parts_count: Some(chosen.len() as i64),
                    part_sizes: Some(joined(|p| p.size.to_string(), 0)),
                    extents: (chosen.len() > 1).then(|| joined(|p| p.blob.clone(), 1)),
                };
                let (blob, sums) = (row.blob.clone(), checksums_of(row.checksums.as_deref()));
                // As S3 does, a whole-object CRC the client names must be the one the parts make.
                if let (Some(claimed), Some(made)) = (&claimed_crc, sums.get(Crc::Crc64Nvme.name()))
                    && claimed != made
                {
                    return Err(s3_error!(
                        BadDigest,
                        "The CRC64NVME given does not match the one the parts make."
                    ));
                }
                crate::failpoint::hit("complete:before-commit");
                let mut released = put_row(tx, &bucket, row, &blob)?;
                // The parts not chosen are freed; the chosen ones are the object's now.
                released.extend(stored.into_values().map(|p| p.blob));
                db(index::delete_upload(tx, &upload_id))?;
                db(index::record_completed(
                    tx,
                    &upload_id,
                    &bucket,
                    &key,
                    &etag,
                    now_ms(),
                ))?;
                Ok(((etag, sums), released))
            })
        })
        .await?;
    let (bucket, key) = (&input.bucket, &input.key);
    let mut output = CompleteMultipartUploadOutput {
        bucket: Some(bucket.clone()),
        key: Some(key.clone()),
        e_tag: Some(quoted(&etag)),
        location: Some(format!("/{bucket}/{key}")),
        checksum_type: checksum_type(&sums),
        ..Default::default()
    };
    set_checksums!(output, &sums);
    Ok(S3Response::new(output))
}

/// A completed object's checksum, made from its parts' as S3 makes it: where the upload asked
/// for SHA or CRC32(C), that algorithm's composite (the checksum of the parts' raw checksums,
/// then `-N`); otherwise the whole object's CRC64NVME, combined from the parts' CRCs. `None`
/// when a part lacks what it needs (one copied with UploadPartCopy).
fn object_checksums(algorithm: Option<&str>, parts: &[PartRow]) -> Option<String> {
    let sums: Vec<HashMap<String, String>> = parts
        .iter()
        .map(|p| checksums_of(p.checksums.as_deref()))
        .collect();
    let asked = algorithm
        .map(str::to_ascii_lowercase)
        .filter(|a| a != "crc64nvme" && ALGORITHMS.contains(&a.as_str()));
    let (name, value) = match asked {
        Some(name) => {
            let mut hasher = requested_checksums(
                &http::HeaderMap::new(),
                Some(&ChecksumAlgorithm::from(name.to_ascii_uppercase())),
                &Default::default(),
            );
            for part in &sums {
                hasher.update(&base64_simd::STANDARD.decode_to_vec(part.get(&name)?).ok()?);
            }
            let at = ALGORITHMS.iter().position(|a| *a == name)?;
            let of_parts = by_algorithm(hasher.finalize())[at].clone()?;
            (name, format!("{of_parts}-{}", parts.len()))
        }
        None => {
            let crc = Crc::Crc64Nvme;
            let pieces = parts
                .iter()
                .zip(&sums)
                .map(|(p, s)| Some((crc.decode(s.get(crc.name())?)?, p.size as u64)))
                .collect::<Option<Vec<_>>>()?;
            (crc.name().to_string(), crc.encode(crc.combine_all(pieces)?))
        }
    };
    serde_json::to_string(&HashMap::from([(name, value)])).ok()
}

pub(super) async fn abort_multipart_upload(
    s3: &LocalS3,
    req: S3Request<AbortMultipartUploadInput>,
) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
    let (bucket, key, upload_id) = (
        req.input.bucket.clone(),
        req.input.key.as_bytes().to_vec(),
        req.input.upload_id.clone(),
    );
    let signed = signed_region(&req);
    s3.index(move |s| {
        bucket_for(s, &bucket, signed.as_deref(), false)?;
        s.write(|tx| {
            db(index::get_upload(tx, &bucket, &key, &upload_id))?
                .ok_or_else(|| upload_not_found(&upload_id))?;
            Ok(((), db(index::delete_upload(tx, &upload_id))?))
        })
    })
    .await?;
    Ok(S3Response::new(AbortMultipartUploadOutput::default()))
}

impl LocalS3 {
    /// Commits a part's bytes, checking in the same transaction that the upload still exists
    /// (it may have been completed or aborted while the part was arriving).
    pub(super) async fn commit_part(
        &self,
        bucket: String,
        key: String,
        upload_id: String,
        source: Source,
        part: PartRow,
    ) -> S3Result<()> {
        self.index(move |s| {
            s.commit(source, "part:after-install", |tx, blobs| {
                db(index::get_upload(tx, &bucket, key.as_bytes(), &upload_id))?
                    .ok_or_else(|| upload_not_found(&upload_id))?;
                let replaced = db(index::put_part(
                    tx,
                    &upload_id,
                    &PartRow {
                        blob: blobs[0].clone(),
                        ..part
                    },
                ))?;
                Ok(((), replaced.into_iter().collect()))
            })
        })
        .await
    }
}
