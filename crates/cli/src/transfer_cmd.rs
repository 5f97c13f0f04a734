//! `strata put | get | transfers | uploads`: uploads and downloads run as catalog jobs in the
//! foreground; Ctrl-C pauses them, resumable by `strata transfers resume` (or the app, at its
//! next start).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use strata_core::jobs::{Event, Job, JobId, JobSpec, JobState, UploadOptions};
use strata_core::objects::Renamed;
use strata_core::remote::RemotePath;
use strata_core::{Engine, Error, ErrorCode, Result};
use tokio::sync::broadcast::error::RecvError;

use crate::args::{Command, TransfersCommand, UploadsCommand};
use crate::bucket_cmd::plural;
use crate::object_cmd::remote;
use crate::output;
use crate::progress::{bytes, while_showing};

/// Transfers `strata transfers list` shows.
const LISTED: u32 = 50;

pub async fn run(engine: &Engine, command: Command, json_mode: bool) -> Result<()> {
    while_showing(engine, json_mode, dispatch(engine, command, json_mode)).await
}

async fn dispatch(engine: &Engine, command: Command, json_mode: bool) -> Result<()> {
    match command {
        Command::Put {
            mut paths,
            part_size,
            concurrency,
            jobs,
        } => {
            let target = remote(engine, &paths.pop().unwrap_or_default()).await?;
            let options = UploadOptions {
                part_size_mib: part_size.as_deref().map(parse_part_size).transpose()?,
                parts_in_flight: concurrency,
                ..UploadOptions::default()
            };
            options.check()?;
            if let Some(jobs) = jobs {
                engine.set_job_limit("upload", jobs.max(1) as usize);
            }
            let sources: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
            let mut events = engine.events();
            let ids = engine.upload_start(&sources, &target, options).await?;
            let ended = follow(engine, &mut events, &ids).await?;
            report(json_mode, &ended, "Uploaded")
        }
        Command::Get { mut paths } => {
            let local = PathBuf::from(paths.pop().unwrap_or_default());
            let mut sources = Vec::new();
            for path in &paths {
                sources.push(remote(engine, path).await?);
            }
            get(engine, &sources, local, json_mode).await
        }
        Command::Transfers { command } => transfers(engine, command, json_mode).await,
        Command::Uploads(UploadsCommand::Ls { path }) => {
            let path = remote(engine, &path).await?;
            let open = engine.uploads_open(&path).await?;
            output::result(json_mode, &open, || {
                let rows = open
                    .iter()
                    .map(|u| {
                        vec![
                            u.key.clone(),
                            u.parts.to_string(),
                            bytes(u.bytes),
                            u.initiated.clone().unwrap_or_default(),
                            u.job.map_or("—".into(), |j| j.to_string()),
                            u.upload_id.clone(),
                        ]
                    })
                    .collect();
                output::table(
                    &["KEY", "PARTS", "SO FAR", "STARTED", "JOB", "UPLOAD ID"],
                    rows,
                )
            });
            Ok(())
        }
        Command::Uploads(UploadsCommand::Abort { path, upload_id }) => {
            let path = remote(engine, &path).await?;
            let aborted = engine.uploads_abort(&path, upload_id.as_deref()).await?;
            #[derive(Serialize)]
            struct Aborted {
                aborted: u32,
            }
            output::result(json_mode, &Aborted { aborted }, || {
                format!("Aborted {aborted} upload{} of {path}.", plural(aborted))
            });
            Ok(())
        }
        _ => unreachable!("dispatched in main"),
    }
}

/// Downloads into `local`: a folder, or the file to write when one object is fetched to a
/// path that is not a folder.
async fn get(
    engine: &Engine,
    sources: &[RemotePath],
    local: PathBuf,
    json_mode: bool,
) -> Result<()> {
    let to_file = sources.len() == 1
        && !sources[0].is_folder()
        && !local.is_dir()
        && !local.as_os_str().to_string_lossy().ends_with('/');
    let mut events = engine.events();
    let started = if to_file {
        engine.download_start_to(&sources[0], &local).await?
    } else {
        engine.download_start(sources, &local).await?
    };
    for renamed in &started.renamed {
        output::warning(
            json_mode,
            &format!(
                "{} was saved as {}: {}.",
                renamed.key, renamed.path, renamed.reason
            ),
        );
    }
    let ended = follow(engine, &mut events, &started.jobs).await?;
    let (count, total) = settled(&ended)?;
    #[derive(Serialize)]
    struct Downloaded {
        key: String,
        path: String,
        size: u64,
    }
    #[derive(Serialize)]
    struct Report<'a> {
        files: Vec<Downloaded>,
        renamed: &'a [Renamed],
        bytes: u64,
    }
    let files = ended
        .values()
        .filter_map(|job| match &job.spec {
            JobSpec::Download { source, into, path } => Some(Downloaded {
                key: RemotePath::parse(source).map(|s| s.key).unwrap_or_default(),
                path: Path::new(into).join(path).display().to_string(),
                size: job.bytes,
            }),
            _ => None,
        })
        .collect();
    let report = Report {
        files,
        renamed: &started.renamed,
        bytes: total,
    };
    output::result(json_mode, &report, || {
        format!(
            "Downloaded {count} file{} ({}) to {}.",
            plural(count),
            bytes(total),
            local.display()
        )
    });
    Ok(())
}

fn is_transfer(job: &Job) -> bool {
    matches!(job.spec, JobSpec::Upload { .. } | JobSpec::Download { .. })
}

async fn transfers(
    engine: &Engine,
    command: Option<TransfersCommand>,
    json_mode: bool,
) -> Result<()> {
    let mut events = engine.events();
    let ids: Vec<JobId> = match command.unwrap_or(TransfersCommand::List) {
        TransfersCommand::List => {
            let listed: Vec<Job> = engine
                .job_list(LISTED * 4)
                .await?
                .into_iter()
                .filter(is_transfer)
                .take(LISTED as usize)
                .collect();
            output::result(json_mode, &listed, || {
                let rows = listed.iter().map(row).collect();
                output::table(&["ID", "STATE", "DONE", "FROM", "TO"], rows)
            });
            return Ok(());
        }
        TransfersCommand::Pause { id } => {
            engine.job_pause(id).await?;
            return said(json_mode, id, "paused");
        }
        TransfersCommand::Cancel { id } => {
            engine.job_cancel(id).await?;
            return said(json_mode, id, "cancelled");
        }
        TransfersCommand::Retry { id } | TransfersCommand::Resume { id: Some(id) } => {
            engine.job_resume(id).await?;
            vec![id]
        }
        TransfersCommand::Resume { id: None } => {
            let mut ids = engine.jobs_resume_unfinished().await?;
            for job in engine.job_list(u32::MAX).await? {
                if is_transfer(&job) && job.state == JobState::Paused {
                    engine.job_resume(job.id).await?;
                    ids.push(job.id);
                }
            }
            ids
        }
    };
    let ended = follow(engine, &mut events, &ids).await?;
    report(json_mode, &ended, "Transferred")
}

fn said(json_mode: bool, id: JobId, state: &str) -> Result<()> {
    #[derive(Serialize)]
    struct Said<'a> {
        job: JobId,
        state: &'a str,
    }
    output::result(json_mode, &Said { job: id, state }, || {
        format!("Transfer {id} {state}.")
    });
    Ok(())
}

fn row(job: &Job) -> Vec<String> {
    let (from, to) = match &job.spec {
        JobSpec::Upload { local, target, .. } => (local.clone(), target.clone()),
        JobSpec::Download { source, into, path } => (
            source.clone(),
            Path::new(into).join(path).display().to_string(),
        ),
        other => (other.kind().to_string(), String::new()),
    };
    let state = match (job.state, &job.error) {
        (JobState::Failed, Some(err)) => format!("failed: {}", err.message),
        (state, _) => state.as_str().to_string(),
    };
    vec![job.id.to_string(), state, bytes(job.bytes), from, to]
}

/// How the followed jobs ended, by id.
pub(crate) type Ended = BTreeMap<JobId, Job>;

/// Waits until every job in `ids` ended (done, failed, cancelled or paused). Ctrl-C pauses
/// those still going and waits for them to stop. A receiver that lagged behind the event
/// stream reads the jobs' states from the catalog instead of missing an end.
pub(crate) async fn follow(
    engine: &Engine,
    events: &mut tokio::sync::broadcast::Receiver<Event>,
    ids: &[JobId],
) -> Result<Ended> {
    let mut ended = Ended::new();
    let mut pending: Vec<JobId> = ids.to_vec();
    let mut interrupted = false;
    while !pending.is_empty() {
        let ctrl_c = async {
            if interrupted {
                std::future::pending::<()>().await;
            }
            let _ = tokio::signal::ctrl_c().await;
        };
        tokio::select! {
            event = events.recv() => match event {
                Ok(Event::JobState { job, state, .. })
                    if pending.contains(&job) && !matches!(state, JobState::Queued | JobState::Running) =>
                {
                    ended.insert(job, engine.job_get(job).await?);
                    pending.retain(|&id| id != job);
                }
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => {
                    for id in pending.clone() {
                        let job = engine.job_get(id).await?;
                        if !matches!(job.state, JobState::Queued | JobState::Running) {
                            ended.insert(id, job);
                            pending.retain(|&p| p != id);
                        }
                    }
                }
                Err(RecvError::Closed) => break,
            },
            () = ctrl_c => {
                interrupted = true;
                eprintln!("\nPausing {} job{}…", pending.len(), plural(pending.len() as u64));
                for &id in &pending {
                    let _ = engine.job_pause(id).await;
                }
            }
        }
    }
    Ok(ended)
}

/// What the followed jobs came to: the files done and their bytes; the first failure as the
/// error, or, after Ctrl-C, how to go on.
fn settled(ended: &Ended) -> Result<(u64, u64)> {
    let count = |state: JobState| ended.values().filter(|j| j.state == state).count() as u64;
    let (done, paused) = (count(JobState::Done), count(JobState::Paused));
    let sent: u64 = ended.values().map(|j| j.bytes).sum();
    if let Some(failed) = ended.values().find(|j| j.state == JobState::Failed) {
        let err = failed
            .error
            .clone()
            .unwrap_or_else(|| Error::new(ErrorCode::S3, "A transfer failed.", "Retry it."));
        let failures = count(JobState::Failed);
        return Err(Error::new(
            err.code,
            format!(
                "{failures} of {} transfer{} failed (first, job {}: {})",
                ended.len(),
                plural(ended.len() as u64),
                failed.id,
                err.message
            ),
            format!("{} Then: strata transfers retry {}", err.hint, failed.id),
        )
        .with_retry(err.retry));
    }
    if paused > 0 {
        return Err(Error::new(
            ErrorCode::Cancelled,
            format!(
                "Paused {paused} transfer{} ({} sent so far; {done} finished).",
                plural(paused),
                bytes(sent)
            ),
            "Go on with: strata transfers resume",
        ));
    }
    Ok((done, sent))
}

/// A summary of the followed jobs, or how they failed or stopped.
fn report(json_mode: bool, ended: &Ended, verb: &str) -> Result<()> {
    let (done, sent) = settled(ended)?;
    #[derive(Serialize)]
    struct Summary<'a> {
        jobs: Vec<&'a Job>,
        files: u64,
        #[serde(rename = "bytes")]
        total: u64,
    }
    let summary = Summary {
        jobs: ended.values().collect(),
        files: done,
        total: sent,
    };
    output::result(json_mode, &summary, || {
        format!("{verb} {done} file{} ({}).", plural(done), bytes(sent))
    });
    Ok(())
}

/// `8MiB`, `64MB`, `1GiB`, `1G` as whole MiB (MB and GB are taken as MiB and GiB).
fn parse_part_size(text: &str) -> Result<u32> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "m" | "mb" | "mib" => Some(1),
        "g" | "gb" | "gib" => Some(1024),
        _ => None,
    };
    match (digits.parse::<u32>(), scale) {
        (Ok(n), Some(scale)) => Ok(n.saturating_mul(scale)),
        _ => Err(Error::invalid(
            "part_size",
            format!("\"{text}\" is not a part size."),
            "Write it with a unit: 8MiB, 64MiB, 1GiB.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_part_size;

    #[test]
    fn part_sizes_take_a_unit() {
        assert_eq!(parse_part_size("8MiB").unwrap(), 8);
        assert_eq!(parse_part_size("64mb").unwrap(), 64);
        assert_eq!(parse_part_size("1GiB").unwrap(), 1024);
        assert!(parse_part_size("8").is_err());
        assert!(parse_part_size("lots").is_err());
    }
}
