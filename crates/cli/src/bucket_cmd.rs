//! `strata bucket ...`

use strata_core::buckets::{Bucket, BucketFilter, Visibility};
use strata_core::remote::RemotePath;
use strata_core::{Engine, Result};

use crate::args::{BucketCommand, BucketLsArgs};
use crate::output;

pub async fn run(engine: &Engine, command: BucketCommand, json_mode: bool) -> Result<()> {
    crate::progress::while_showing(engine, json_mode, dispatch(engine, command, json_mode)).await
}

async fn dispatch(engine: &Engine, command: BucketCommand, json_mode: bool) -> Result<()> {
    match command {
        BucketCommand::Refresh { profile } => {
            let report = engine
                .bucket_refresh(
                    &profile,
                    strata_core::buckets::DEFAULT_PAGE_SIZE,
                    &engine.new_job(),
                )
                .await?;
            output::result(json_mode, &report, || {
                format!(
                    "Refreshed \"{}\": {} bucket{} ({} public, {} private, {} not known).",
                    report.profile,
                    report.buckets,
                    plural(report.buckets),
                    report.public,
                    report.private,
                    report.unknown
                )
            });
        }
        BucketCommand::Ls(args) => list(engine, args, json_mode).await?,
        BucketCommand::Mk { path, region } => {
            let path = RemotePath::parse_bucket(&path)?;
            let bucket = engine
                .bucket_create(&path.profile, &path.bucket, region)
                .await?;
            output::result(json_mode, &bucket, || {
                format!(
                    "Created {}:{} in {}.",
                    path.profile,
                    bucket.name,
                    bucket.region.as_deref().unwrap_or("the default region")
                )
            });
        }
        BucketCommand::Rm { path, force } => {
            let path = RemotePath::parse_bucket(&path)?;
            let deleted = engine
                .bucket_delete(&path.profile, &path.bucket, force, &engine.new_job())
                .await?;
            output::result(json_mode, &deleted, || {
                let emptied = match deleted.emptied {
                    0 => String::new(),
                    n => format!(
                        " after deleting {n} object{}, version{} or upload{}",
                        plural(n),
                        plural(n),
                        plural(n)
                    ),
                };
                format!("Deleted {}:{}{emptied}.", deleted.profile, deleted.bucket)
            });
        }
    }
    Ok(())
}

async fn list(engine: &Engine, args: BucketLsArgs, json_mode: bool) -> Result<()> {
    let visibility = match (args.public, args.private) {
        (true, _) => Some(Visibility::Public),
        (_, true) => Some(Visibility::Private),
        _ => None,
    };
    let filter = BucketFilter {
        search: args.search,
        letter: args.letter,
        visibility,
    };
    // Validates the filter before any I/O, and tells whether the list was ever read.
    let index = engine.bucket_index(&args.profile, filter.clone()).await?;
    if index.refreshed_at.is_none() {
        // Names first; public status only when the filter needs it.
        let job = engine.new_job();
        if filter.visibility.is_some() {
            engine
                .bucket_refresh(&args.profile, strata_core::buckets::DEFAULT_PAGE_SIZE, &job)
                .await?;
        } else {
            engine.bucket_refresh_names(&args.profile, &job).await?;
        }
    }
    let buckets = engine
        .bucket_list(&args.profile, filter, 0, args.limit)
        .await?;
    output::result(json_mode, &buckets, || human_table(&buckets));
    Ok(())
}

fn human_table(buckets: &[Bucket]) -> String {
    if buckets.is_empty() {
        return "No buckets match.".into();
    }
    let rows = buckets
        .iter()
        .map(|b| {
            vec![
                b.name.clone(),
                b.region.clone().unwrap_or_else(|| "?".into()),
                b.created_at.clone().unwrap_or_default(),
                match b.public {
                    Some(true) => "public",
                    Some(false) => "private",
                    None => "?",
                }
                .into(),
            ]
        })
        .collect();
    output::table(&["NAME", "REGION", "CREATED", "ACCESS"], rows)
}

pub fn plural(n: impl Into<u64>) -> &'static str {
    if n.into() == 1 { "" } else { "s" }
}
