//! Archival storage classes, as S3 has them: an object in GLACIER or DEEP_ARCHIVE cannot be
//! read (GET, or the source of a copy) until RestoreObject made it readable, which takes a
//! while (here seconds, by tier, or `STRATA_LOCAL_RESTORE_SECONDS`), and then stays readable
//! for the days asked. HEAD says where a restore stands in `x-amz-restore`.

use super::*;

/// Classes whose objects must be restored before they are read.
fn is_archival(class: &str) -> bool {
    matches!(class, "GLACIER" | "DEEP_ARCHIVE")
}

/// How long a restore of `tier` takes here: seconds, not S3's hours, so the whole flow can
/// be tried offline; `STRATA_LOCAL_RESTORE_SECONDS` sets one delay for every tier.
fn restore_delay_ms(tier: &str) -> i64 {
    let set = std::env::var("STRATA_LOCAL_RESTORE_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| *s >= 0.0);
    let seconds = set.unwrap_or(match tier {
        "Expedited" => 1.0,
        "Bulk" => 10.0,
        _ => 5.0,
    });
    (seconds * 1000.0) as i64
}

/// Where an archived object's restore stands now.
enum Restore {
    None,
    Ongoing,
    Readable { until_ms: i64 },
}

async fn restore_state(s3: &LocalS3, bucket: &str, key: &[u8]) -> S3Result<Restore> {
    let (bucket, key) = (bucket.to_string(), key.to_vec());
    let found = s3
        .index(move |s| db(index::restore_of(&s.conn(), &bucket, &key)))
        .await?;
    let now = now_ms();
    Ok(match found {
        Some((ready, _)) if now < ready => Restore::Ongoing,
        Some((_, expiry)) if now < expiry => Restore::Readable { until_ms: expiry },
        _ => Restore::None,
    })
}

/// Refuses to read an archived object that is not restored.
pub(super) async fn check_readable(s3: &LocalS3, bucket: &str, row: &ObjectRow) -> S3Result<()> {
    if !is_archival(&row.storage_class) {
        return Ok(());
    }
    match restore_state(s3, bucket, &row.key).await? {
        Restore::Readable { .. } => Ok(()),
        Restore::Ongoing => Err(s3_error!(
            InvalidObjectState,
            "The object is being restored from {}; it can be read once the restore finishes.",
            row.storage_class
        )),
        Restore::None => Err(s3_error!(
            InvalidObjectState,
            "The operation is not valid for the object's storage class ({}): restore it first.",
            row.storage_class
        )),
    }
}

/// The `x-amz-restore` header of an archived object with a restore.
pub(super) async fn restore_header(
    s3: &LocalS3,
    bucket: &str,
    row: &ObjectRow,
) -> S3Result<Option<String>> {
    if !is_archival(&row.storage_class) {
        return Ok(None);
    }
    Ok(match restore_state(s3, bucket, &row.key).await? {
        Restore::None => None,
        Restore::Ongoing => Some("ongoing-request=\"true\"".into()),
        Restore::Readable { until_ms } => Some(format!(
            "ongoing-request=\"false\", expiry-date=\"{}\"",
            http_date(until_ms)
        )),
    })
}

/// `Fri, 21 Dec 2012 00:00:00 GMT`.
fn http_date(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms / 1000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[t.weekday().number_days_from_monday() as usize],
        t.day(),
        MONTHS[u8::from(t.month()) as usize - 1],
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

pub(super) async fn restore_object(
    s3: &LocalS3,
    req: S3Request<RestoreObjectInput>,
) -> S3Result<S3Response<RestoreObjectOutput>> {
    let signed = signed_region(&req);
    let input = req.input;
    let row = objects::find_object(s3, &input.bucket, &input.key, signed).await?;
    if !is_archival(&row.storage_class) {
        return Err(s3_error!(
            InvalidObjectState,
            "Restore is not allowed for the object's current storage class ({}).",
            row.storage_class
        ));
    }
    let request = input.restore_request;
    let days = request.as_ref().and_then(|r| r.days).unwrap_or(1);
    if days < 1 {
        return Err(s3_error!(InvalidArgument, "Days must be 1 or more."));
    }
    let tier = request
        .as_ref()
        .and_then(|r| {
            r.glacier_job_parameters
                .as_ref()
                .map(|p| p.tier.as_str().to_string())
                .or_else(|| r.tier.as_ref().map(|t| t.as_str().to_string()))
        })
        .unwrap_or_else(|| "Standard".into());
    let (bucket, key) = (input.bucket.clone(), row.key.clone());
    let day_ms = i64::from(days) * 86_400_000;
    let delay = restore_delay_ms(&tier);
    let status = s3
        .index(move |s| {
            let conn = s.conn();
            let now = now_ms();
            match db(index::restore_of(&conn, &bucket, &key))? {
                Some((ready, _)) if now < ready => Err(s3_error!(
                    RestoreAlreadyInProgress,
                    "Object restore is already in progress."
                )),
                // Restored already: only its days change.
                Some((ready, expiry)) if now < expiry => {
                    db(index::set_restore(
                        &conn,
                        &bucket,
                        &key,
                        ready,
                        now + day_ms,
                    ))?;
                    Ok(http::StatusCode::OK)
                }
                _ => {
                    db(index::set_restore(
                        &conn,
                        &bucket,
                        &key,
                        now + delay,
                        now + delay + day_ms,
                    ))?;
                    Ok(http::StatusCode::ACCEPTED)
                }
            }
        })
        .await?;
    let mut response = S3Response::new(RestoreObjectOutput::default());
    response.status = Some(status);
    Ok(response)
}
