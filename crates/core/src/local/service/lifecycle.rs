//! Bucket lifecycle configurations: checked as S3 checks them, kept as the XML they came in,
//! and given back whole (rules of every kind, the ones Strata does not write included). The
//! built-in endpoint stores them; it does not run them.

use s3s::xml;

use super::*;

/// S3's most rules per configuration.
const MAX_RULES: usize = 1000;

fn malformed(why: impl std::fmt::Display) -> S3Error {
    s3_error!(
        MalformedXML,
        "The lifecycle configuration is not valid: {why}."
    )
}

/// Refuses what S3 refuses: no rules or too many, an ID too long or twice, a status other than
/// Enabled or Disabled, a rule with no action, a negative day count.
fn check(config: &BucketLifecycleConfiguration) -> S3Result<()> {
    let rules = &config.rules;
    if rules.is_empty() || rules.len() > MAX_RULES {
        return Err(malformed(format!(
            "it has {} rules (1 to {MAX_RULES})",
            rules.len()
        )));
    }
    let mut ids = std::collections::HashSet::new();
    for rule in rules {
        if let Some(id) = &rule.id {
            if id.len() > 255 {
                return Err(s3_error!(
                    InvalidArgument,
                    "A rule ID is longer than 255 characters."
                ));
            }
            if !ids.insert(id.as_str()) {
                return Err(s3_error!(InvalidArgument, "Rule ID {id} is given twice."));
            }
        }
        if !matches!(rule.status.as_str(), "Enabled" | "Disabled") {
            return Err(malformed(format!(
                "status {} (Enabled or Disabled)",
                rule.status.as_str()
            )));
        }
        let acts = rule.expiration.is_some()
            || rule.transitions.as_ref().is_some_and(|t| !t.is_empty())
            || rule.abort_incomplete_multipart_upload.is_some()
            || rule.noncurrent_version_expiration.is_some()
            || rule
                .noncurrent_version_transitions
                .as_ref()
                .is_some_and(|t| !t.is_empty());
        if !acts {
            return Err(malformed("a rule has no action"));
        }
        let negative = rule
            .transitions
            .iter()
            .flatten()
            .any(|t| t.days.is_some_and(|d| d < 0))
            || rule
                .expiration
                .as_ref()
                .is_some_and(|e| e.days.is_some_and(|d| d < 0))
            || rule
                .abort_incomplete_multipart_upload
                .as_ref()
                .is_some_and(|a| a.days_after_initiation.is_some_and(|d| d < 1));
        if negative {
            return Err(s3_error!(
                InvalidArgument,
                "A rule's days must be positive."
            ));
        }
    }
    Ok(())
}

pub(super) async fn put_bucket_lifecycle_configuration(
    s3: &LocalS3,
    req: S3Request<PutBucketLifecycleConfigurationInput>,
) -> S3Result<S3Response<PutBucketLifecycleConfigurationOutput>> {
    let signed = signed_region(&req);
    let input = req.input;
    let config = input
        .lifecycle_configuration
        .ok_or_else(|| malformed("the body is empty"))?;
    check(&config)?;
    let mut text = Vec::new();
    xml::Serialize::serialize(&config, &mut xml::Serializer::new(&mut text)).map_err(internal)?;
    let text = String::from_utf8(text).map_err(internal)?;
    let bucket = input.bucket;
    s3.index(move |s| {
        bucket_for(s, &bucket, signed.as_deref(), false)?;
        db(index::set_lifecycle(&s.conn(), &bucket, Some(&text)))
    })
    .await?;
    Ok(S3Response::new(
        PutBucketLifecycleConfigurationOutput::default(),
    ))
}

pub(super) async fn get_bucket_lifecycle_configuration(
    s3: &LocalS3,
    req: S3Request<GetBucketLifecycleConfigurationInput>,
) -> S3Result<S3Response<GetBucketLifecycleConfigurationOutput>> {
    let signed = signed_region(&req);
    let bucket = req.input.bucket;
    let text = s3
        .index(move |s| {
            bucket_for(s, &bucket, signed.as_deref(), false)?;
            db(index::lifecycle(&s.conn(), &bucket))
        })
        .await?
        .ok_or_else(|| {
            s3_error!(
                NoSuchLifecycleConfiguration,
                "The lifecycle configuration does not exist."
            )
        })?;
    let config: BucketLifecycleConfiguration =
        xml::Deserialize::deserialize(&mut xml::Deserializer::new(text.as_bytes()))
            .map_err(internal)?;
    Ok(S3Response::new(GetBucketLifecycleConfigurationOutput {
        rules: Some(config.rules),
        ..Default::default()
    }))
}

pub(super) async fn delete_bucket_lifecycle(
    s3: &LocalS3,
    req: S3Request<DeleteBucketLifecycleInput>,
) -> S3Result<S3Response<DeleteBucketLifecycleOutput>> {
    let signed = signed_region(&req);
    let bucket = req.input.bucket;
    s3.index(move |s| {
        bucket_for(s, &bucket, signed.as_deref(), false)?;
        db(index::set_lifecycle(&s.conn(), &bucket, None))
    })
    .await?;
    Ok(S3Response::new(DeleteBucketLifecycleOutput::default()))
}
