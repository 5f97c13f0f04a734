//! `strata ls | rm | cp | mv | presign | du | log`

use std::io::Write;

use strata_core::objects::{Entry, parse_lifetime};
use strata_core::remote::RemotePath;
use strata_core::{Engine, Error, ErrorCode, Result};

use crate::args::Command;
use crate::bucket_cmd::plural;
use crate::output;
use crate::progress::{bytes, while_showing};

pub async fn run(engine: &Engine, command: Command, json_mode: bool) -> Result<()> {
    while_showing(engine, json_mode, dispatch(engine, command, json_mode)).await
}

async fn dispatch(engine: &Engine, command: Command, json_mode: bool) -> Result<()> {
    match command {
        Command::Ls {
            path,
            recursive,
            limit,
        } => {
            list(
                engine,
                &remote(engine, &path).await?,
                recursive,
                limit,
                json_mode,
            )
            .await
        }
        Command::Rm { paths, recursive } => {
            let mut targets = Vec::new();
            for path in &paths {
                targets.push(remote(engine, path).await?);
            }
            let report = engine
                .objects_delete(&targets, recursive, &engine.new_job())
                .await?;
            if let Some(failure) = report.failure() {
                return Err(failure);
            }
            output::result(json_mode, &report, || {
                format!(
                    "Deleted {} object{} ({}).",
                    report.deleted,
                    plural(report.deleted),
                    bytes(report.bytes)
                )
            });
            Ok(())
        }
        Command::Cp { source, target } => copy(engine, &source, &target, false, json_mode).await,
        Command::Mv { source, target } => copy(engine, &source, &target, true, json_mode).await,
        Command::Presign { path, expires, put } => {
            let lifetime = parse_lifetime(&expires)?;
            let path = remote(engine, &path).await?;
            let link = engine.object_presign(&path, lifetime, put).await?;
            output::result(json_mode, &link, || link.url.clone());
            if !json_mode {
                eprintln!("{} link, valid until {}.", link.method, link.expires_at);
            }
            Ok(())
        }
        Command::Du { path } => {
            let path = remote(engine, &path).await?;
            let usage = engine.usage(&path, &engine.new_job()).await?;
            output::result(json_mode, &usage, || {
                format!(
                    "{} object{}, {}\t{}",
                    usage.objects,
                    plural(usage.objects),
                    bytes(usage.bytes),
                    usage.name
                )
            });
            Ok(())
        }
        Command::Log { limit } => {
            let entries = engine.activity_list(limit).await?;
            output::result(json_mode, &entries, || {
                if entries.is_empty() {
                    return "Nothing recorded yet.".into();
                }
                let rows = entries
                    .iter()
                    .map(|a| {
                        let target = a
                            .target
                            .as_deref()
                            .map(|t| format!(" → {t}"))
                            .unwrap_or_default();
                        vec![
                            a.at.clone(),
                            a.action.clone(),
                            format!("{}{target}", a.source),
                            format!("{} / {}", a.objects, bytes(a.bytes)),
                            match &a.detail {
                                Some(d) => format!("{} ({d})", a.outcome),
                                None => a.outcome.clone(),
                            },
                        ]
                    })
                    .collect();
                output::table(
                    &["WHEN", "ACTION", "WHAT", "OBJECTS / BYTES", "OUTCOME"],
                    rows,
                )
            });
            Ok(())
        }
        Command::Profile(_)
        | Command::Bucket(_)
        | Command::ServeLocal(_)
        | Command::Sync { .. }
        | Command::Archive { .. }
        | Command::Restore { .. }
        | Command::Lifecycle { .. }
        | Command::Put { .. }
        | Command::Get { .. }
        | Command::Transfers { .. }
        | Command::Uploads(_) => {
            unreachable!("dispatched in main")
        }
    }
}

/// Parses a path that must be remote: `PROFILE:BUCKET[/KEY]` with an existing profile.
pub async fn remote(engine: &Engine, text: &str) -> Result<RemotePath> {
    let path = RemotePath::parse(text)?;
    if let Err(err) = engine.profile_get(&path.profile).await {
        if err.code == ErrorCode::NotFound {
            return Err(Error::invalid(
                "path",
                format!(
                    "\"{text}\" is not a remote path: there is no profile \"{}\".",
                    path.profile
                ),
                "Write remote paths as PROFILE:BUCKET/KEY with a profile from `strata profile list` (a local file with a colon: ./a:b).",
            ));
        }
        return Err(err);
    }
    if path.bucket.is_empty() {
        return Err(Error::invalid(
            "path",
            format!("\"{text}\" names no bucket."),
            "Write PROFILE:BUCKET[/KEY].",
        ));
    }
    Ok(path)
}

/// Streams the listing: one JSON array (row by row, so a million keys never sit in memory),
/// or one line per row.
async fn list(
    engine: &Engine,
    path: &RemotePath,
    recursive: bool,
    limit: Option<u64>,
    json_mode: bool,
) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let write_error = |e: std::io::Error| Error::io("The listing could not be written", &e);
    let (mut token, mut shown) = (None, 0u64);
    if json_mode {
        out.write_all(b"[").map_err(write_error)?;
    }
    'pages: loop {
        let page = engine
            .object_list(
                &path.profile,
                &path.bucket,
                &path.key,
                recursive,
                token.take(),
                None,
            )
            .await?;
        for entry in &page.entries {
            if limit.is_some_and(|n| shown >= n) {
                break 'pages;
            }
            if json_mode {
                if shown > 0 {
                    out.write_all(b",").map_err(write_error)?;
                }
                serde_json::to_writer(&mut out, entry).map_err(|e| {
                    Error::io(
                        "The listing could not be written",
                        &std::io::Error::other(e),
                    )
                })?;
            } else {
                writeln!(out, "{}", human_row(entry)).map_err(write_error)?;
            }
            shown += 1;
        }
        match page.next {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    if json_mode {
        out.write_all(b"]\n").map_err(write_error)?;
    }
    out.flush().map_err(write_error)
}

fn human_row(entry: &Entry) -> String {
    if entry.folder {
        return format!("{:>20} {:>12}  {}", "", "DIR", entry.name);
    }
    let when = entry
        .last_modified
        .as_deref()
        .unwrap_or("")
        .replace('T', " ")
        .replace('Z', "");
    format!("{when:>20} {:>12}  {}", entry.size, entry.name)
}

async fn copy(
    engine: &Engine,
    source: &str,
    target: &str,
    remove: bool,
    json_mode: bool,
) -> Result<()> {
    let (source, target) = (remote(engine, source).await?, remote(engine, target).await?);
    let report = engine
        .objects_copy(&source, &target, remove, &engine.new_job())
        .await?;
    output::result(json_mode, &report, || {
        format!(
            "{} {} object{} ({}) to {}.",
            if report.moved { "Moved" } else { "Copied" },
            report.objects,
            plural(report.objects),
            bytes(report.bytes),
            report.target
        )
    });
    Ok(())
}
