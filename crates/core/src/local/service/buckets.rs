//! ListBuckets, CreateBucket, HeadBucket, GetBucketLocation, GetBucketPolicyStatus,
//! DeleteBucket.

use super::*;

pub(super) async fn list_buckets(
    s3: &LocalS3,
    req: S3Request<ListBucketsInput>,
) -> S3Result<S3Response<ListBucketsOutput>> {
    let input = req.input;
    let limit = match input.max_buckets {
        Some(n) if !(1..=10_000).contains(&n) => {
            return Err(s3_error!(
                InvalidArgument,
                "max-buckets must be between 1 and 10000."
            ));
        }
        Some(n) => n as usize,
        None => usize::MAX - 1,
    };
    let prefix = input.prefix.clone().unwrap_or_default();
    let after = input.continuation_token.clone().unwrap_or_default();
    let rows = s3
        .index(move |s| db(index::list_buckets(&s.conn(), &prefix, &after, limit + 1)))
        .await?;
    let truncated = rows.len() > limit;
    let rows = &rows[..rows.len().min(limit)];
    let buckets = rows
        .iter()
        .map(|b| Bucket {
            name: Some(b.name.clone()),
            creation_date: Some(timestamp(b.created_ms)),
            bucket_region: Some(b.region.clone()),
        })
        .collect();
    let output = ListBucketsOutput {
        buckets: Some(buckets),
        continuation_token: truncated
            .then(|| rows.last().map(|b| b.name.clone()))
            .flatten(),
        owner: Some(owner()),
        prefix: input.prefix,
    };
    Ok(S3Response::new(output))
}

pub(super) async fn create_bucket(
    s3: &LocalS3,
    req: S3Request<CreateBucketInput>,
) -> S3Result<S3Response<CreateBucketOutput>> {
    let bucket = req.input.bucket.clone();
    crate::bucket_name::check(&bucket).map_err(|rule| {
        s3_error!(
            InvalidBucketName,
            "The bucket name \"{bucket}\" is not valid: it {rule}."
        )
    })?;
    let constraint = req
        .input
        .create_bucket_configuration
        .as_ref()
        .and_then(|c| c.location_constraint.as_ref())
        .map(|c| c.as_str().to_string())
        .filter(|c| !c.is_empty());
    let signed = signed_region(&req);
    let region = constraint
        .clone()
        .unwrap_or_else(|| signed.clone().unwrap_or_else(|| DEFAULT_REGION.into()));
    if let (Some(constraint), Some(signed)) = (&constraint, &signed)
        && constraint != signed
        && signed != DEFAULT_REGION
    {
        return Err(s3_error!(
            IllegalLocationConstraintException,
            "The {constraint} location constraint is incompatible with the region ({signed}) this request was sent to."
        ));
    }
    let name = bucket.clone();
    let created = s3
        .index(move |s| db(index::insert_bucket(&s.conn(), &name, &region, now_ms())))
        .await?;
    if !created {
        return Err(s3_error!(
            BucketAlreadyOwnedByYou,
            "You already own the bucket {bucket}."
        ));
    }
    Ok(S3Response::new(CreateBucketOutput {
        location: Some(format!("/{bucket}")),
    }))
}

pub(super) async fn head_bucket(
    s3: &LocalS3,
    req: S3Request<HeadBucketInput>,
) -> S3Result<S3Response<HeadBucketOutput>> {
    let (bucket, signed) = (req.input.bucket.clone(), signed_region(&req));
    let region = s3
        .index(move |s| bucket_for(s, &bucket, signed.as_deref(), true))
        .await?;
    Ok(S3Response::new(HeadBucketOutput {
        bucket_region: Some(region),
        ..Default::default()
    }))
}

pub(super) async fn get_bucket_location(
    s3: &LocalS3,
    req: S3Request<GetBucketLocationInput>,
) -> S3Result<S3Response<GetBucketLocationOutput>> {
    let bucket = req.input.bucket.clone();
    // Answered whatever region the request was signed for: it is how clients find out.
    let region = s3
        .index(move |s| bucket_for(s, &bucket, None, false))
        .await?;
    let location_constraint =
        (region != DEFAULT_REGION).then(|| BucketLocationConstraint::from(region));
    Ok(S3Response::new(GetBucketLocationOutput {
        location_constraint,
    }))
}

/// Nothing here is ever public: every request must be signed with the endpoint's key.
pub(super) async fn get_bucket_policy_status(
    s3: &LocalS3,
    req: S3Request<GetBucketPolicyStatusInput>,
) -> S3Result<S3Response<GetBucketPolicyStatusOutput>> {
    let (bucket, signed) = (req.input.bucket.clone(), signed_region(&req));
    s3.bucket_region(&bucket, signed, false).await?;
    Ok(S3Response::new(GetBucketPolicyStatusOutput {
        policy_status: Some(PolicyStatus {
            is_public: Some(false),
        }),
    }))
}

pub(super) async fn delete_bucket(
    s3: &LocalS3,
    req: S3Request<DeleteBucketInput>,
) -> S3Result<S3Response<DeleteBucketOutput>> {
    let (bucket, signed) = (req.input.bucket.clone(), signed_region(&req));
    s3.index(move |s| {
        bucket_for(s, &bucket, signed.as_deref(), false)?;
        let conn = s.conn();
        if !db(index::bucket_is_empty(&conn, &bucket))? {
            return Err(s3_error!(
                BucketNotEmpty,
                "The bucket {bucket} is not empty: delete its objects and uploads first."
            ));
        }
        db(index::delete_bucket(&conn, &bucket))
    })
    .await?;
    Ok(S3Response::new(DeleteBucketOutput {}))
}
