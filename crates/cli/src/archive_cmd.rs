//! `strata archive`, `strata restore` and `strata lifecycle`: projects moved to cold storage
//! and back as catalog jobs run in the foreground (Ctrl-C pauses; the same command goes on),
//! and a bucket's lifecycle rules.

use std::io::Read;

use serde::Serialize;
use strata_core::archive::{
    ArchiveTarget, LifecycleRule, LifecycleRules, Project, RestorePreview, RestoreRequest, Tier,
    VerifyReport,
};
use strata_core::jobs::{JobId, JobState};
use strata_core::remote::RemotePath;
use strata_core::{Engine, Error, ErrorCode, Result};

use crate::args::{ArchiveCommand, Command, LifecycleCommand};
use crate::bucket_cmd::plural;
use crate::output;
use crate::progress::{bytes, while_showing};
use crate::transfer_cmd::follow;

/// How long restored copies stay readable when they are copied back at once: enough for a
/// copy back that was paused to go on.
const COPY_BACK_DAYS: u32 = 3;

pub async fn run(engine: &Engine, command: Command, json_mode: bool) -> Result<()> {
    match command {
        Command::Archive {
            command: Some(ArchiveCommand::List),
            ..
        } => {
            let projects = engine.archive_list().await?;
            output::result(json_mode, &projects, || {
                let rows = projects.iter().map(row).collect();
                output::table(
                    &[
                        "ID", "STATE", "OBJECTS", "SIZE", "ARCHIVED", "SOURCE", "ARCHIVE",
                    ],
                    rows,
                )
            });
            Ok(())
        }
        Command::Archive {
            command: Some(ArchiveCommand::Verify { id }),
            ..
        } => {
            let report = while_showing(
                engine,
                json_mode,
                engine.archive_verify(id, &engine.new_job()),
            )
            .await?;
            if report.intact() {
                output::result(json_mode, &report, || {
                    format!(
                        "Project {id}: {} ({}).",
                        report.summary(),
                        bytes(report.bytes)
                    )
                });
                return Ok(());
            }
            if !json_mode {
                println!("{}", describe_damage(&report));
            }
            Err(damaged(id, &report))
        }
        Command::Archive {
            source: Some(source),
            to,
            class,
            ..
        } => {
            let source = RemotePath::parse(&source)?;
            let started = engine
                .archive_start(&source, &ArchiveTarget { to, class })
                .await?;
            await_job(engine, json_mode, started.job).await?;
            let project = engine.archive_get(started.project.id).await?;
            output::result(json_mode, &project, || {
                let mut text = format!(
                    "Project {}: {} objects ({}) archived to {}; the manifest is {}.",
                    project.id,
                    project.objects,
                    bytes(project.bytes),
                    project.location,
                    project.manifest
                );
                if let Some(detail) = &project.detail {
                    text.push_str(&format!("\n{detail}"));
                }
                text
            });
            Ok(())
        }
        Command::Archive { .. } => Err(Error::invalid(
            "source",
            "Say which folder to archive, or `list` or `verify ID`.",
            "strata archive PROFILE:BUCKET/PREFIX --to PROFILE:BUCKET[/PREFIX] | --class CLASS",
        )),
        Command::Restore { target, tier, days } => {
            restore(engine, &target, &tier, days, json_mode).await
        }
        Command::Lifecycle { command } => lifecycle(engine, command, json_mode).await,
        _ => unreachable!("main sends only archive, restore and lifecycle here"),
    }
}

fn row(project: &Project) -> Vec<String> {
    vec![
        project.id.to_string(),
        project.state.as_str().into(),
        project.objects.to_string(),
        bytes(project.bytes),
        project.archived_at.clone().unwrap_or_default(),
        project.source.clone(),
        match &project.class {
            Some(class) if project.location == project.source => class.clone(),
            Some(class) => format!("{} ({class})", project.location),
            None => project.location.clone(),
        },
    ]
}

/// Follows job `job` to its end (it may have ended already); why it stopped, if it did not
/// finish.
async fn await_job(engine: &Engine, json_mode: bool, job: JobId) -> Result<()> {
    let mut events = engine.events();
    let ended = while_showing(engine, json_mode, async {
        let now = engine.job_get(job).await?;
        if !matches!(now.state, JobState::Queued | JobState::Running) {
            return Ok(now);
        }
        let mut ended = follow(engine, &mut events, &[job]).await?;
        ended.remove(&job).ok_or_else(|| {
            Error::new(
                ErrorCode::S3,
                "The job ended unseen.",
                "Run the same command again.",
            )
        })
    })
    .await?;
    match ended.state {
        JobState::Done => Ok(()),
        JobState::Paused => Err(Error::new(
            ErrorCode::Cancelled,
            format!("Paused (job {job}); nothing is lost."),
            "Run the same command again: it goes on where it stopped.",
        )),
        _ => Err(ended.error.unwrap_or_else(|| {
            Error::new(
                ErrorCode::Cancelled,
                format!("Job {job} was cancelled."),
                "Run the same command again to start over.",
            )
        })),
    }
}

/// The most damaged keys named in an error message.
const NAMED: usize = 20;

fn damaged(id: u32, report: &VerifyReport) -> Error {
    let mut named: Vec<String> = report
        .missing
        .iter()
        .map(|k| format!("{k} (missing)"))
        .chain(
            report
                .changed
                .iter()
                .map(|c| format!("{} ({} bytes, {} expected)", c.key, c.size, c.expected_size)),
        )
        .collect();
    let more = named.len().saturating_sub(NAMED);
    named.truncate(NAMED);
    let more = if more > 0 {
        format!(", and {more} more")
    } else {
        String::new()
    };
    Error::new(
        ErrorCode::S3,
        format!(
            "Project {id}: {} Not as archived: {}{more}.",
            report.summary(),
            named.join(", ")
        ),
        "Archive the project again from its source if you still have it; otherwise restore what is intact.",
    )
}

fn describe_damage(report: &VerifyReport) -> String {
    let mut rows: Vec<Vec<String>> = report
        .missing
        .iter()
        .map(|k| vec!["missing".into(), k.clone(), String::new()])
        .collect();
    rows.extend(report.changed.iter().map(|c| {
        vec![
            "changed".into(),
            c.key.clone(),
            format!("{} bytes, {} expected", c.size, c.expected_size),
        ]
    }));
    output::table(&["PROBLEM", "KEY", "DETAIL"], rows)
}

/// What `strata restore` prints: what it restored, and the project when it was one.
#[derive(Serialize)]
struct Restored {
    preview: RestorePreview,
    project: Option<Project>,
}

/// The sentence on objects a copy back keeps (written at its target since the archive), or
/// nothing when there are none.
fn kept_beside(preview: &RestorePreview) -> String {
    match preview.kept_beside.as_slice() {
        [] => String::new(),
        names => format!(
            "{} object{} at {} changed since the archive ({}): kept, with the restored copies \
             beside them as conflict copies.",
            names.len(),
            plural(names.len() as u32),
            preview.copy_back_to,
            names.join(", ")
        ),
    }
}

async fn restore(
    engine: &Engine,
    target: &str,
    tier: &str,
    days: Option<u32>,
    json_mode: bool,
) -> Result<()> {
    let tier = Tier::parse(tier)?;
    let (project, path) = match target.parse::<u32>() {
        Ok(id) => (Some(id), None),
        Err(_) => (None, Some(RemotePath::parse(target)?)),
    };
    let request = RestoreRequest {
        tier,
        days: days.unwrap_or(COPY_BACK_DAYS),
        copy_back: days.is_none(),
    };
    let preview = engine
        .restore_preview(project, path.as_ref(), &engine.new_job())
        .await?;
    let wait = preview
        .waits
        .iter()
        .find(|w| w.tier == tier)
        .and_then(|w| w.wait.clone());
    let announce = match (&preview.coldest, wait) {
        (Some(class), Some(wait)) => format!(
            "{} of {} objects ({}) are in {class}; a {} restore usually takes {wait}.",
            preview.archived_objects,
            preview.objects,
            bytes(preview.archived_bytes),
            tier.as_str()
        ),
        _ => format!(
            "{} object{} ({}) readable now.",
            preview.objects,
            plural(preview.objects),
            bytes(preview.bytes)
        ),
    };
    output::note(json_mode, &announce);
    let kept = kept_beside(&preview);
    if request.copy_back && !kept.is_empty() {
        output::note(json_mode, &kept);
    }
    let job = engine
        .restore_start(project, path.as_ref(), request)
        .await?;
    await_job(engine, json_mode, job).await?;
    let project = match preview.project {
        Some(id) => Some(engine.archive_get(id).await?),
        None => None,
    };
    let words = if request.copy_back {
        format!(
            "{} object{} ({}) back in hot storage at {}.{}",
            preview.objects,
            plural(preview.objects),
            bytes(preview.bytes),
            preview.copy_back_to,
            if kept.is_empty() {
                String::new()
            } else {
                format!(" {kept}")
            }
        )
    } else {
        format!(
            "{} object{} readable at {} for {} day{}.",
            preview.objects,
            plural(preview.objects),
            preview.path,
            request.days,
            plural(request.days)
        )
    };
    output::result(json_mode, &Restored { preview, project }, || words);
    Ok(())
}

async fn lifecycle(engine: &Engine, command: LifecycleCommand, json_mode: bool) -> Result<()> {
    let rules = match command {
        LifecycleCommand::Get { bucket } => {
            engine
                .lifecycle_get(&RemotePath::parse_bucket(&bucket)?)
                .await?
        }
        LifecycleCommand::Set { bucket } => {
            let bucket = RemotePath::parse_bucket(&bucket)?;
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| Error::io("The rules could not be read from stdin", &e))?;
            engine.lifecycle_set(&bucket, &parse_rules(&text)?).await?
        }
    };
    output::result(json_mode, &rules, || describe_rules(&rules));
    Ok(())
}

/// Rules as `strata lifecycle get --json` prints them, or a bare array of rules.
fn parse_rules(text: &str) -> Result<Vec<LifecycleRule>> {
    let parsed = serde_json::from_str::<LifecycleRules>(text)
        .map(|r| r.rules)
        .or_else(|_| serde_json::from_str::<Vec<LifecycleRule>>(text));
    parsed.map_err(|e| {
        Error::invalid(
            "rules",
            format!("The rules on stdin are not valid JSON rules ({e})."),
            "Start from `strata lifecycle get PROFILE:BUCKET --json` and edit its rules.",
        )
    })
}

fn describe_rules(rules: &LifecycleRules) -> String {
    if rules.rules.is_empty() {
        return format!("{} has no lifecycle rules.", rules.bucket);
    }
    let rows = rules
        .rules
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                if r.managed { "strata" } else { "other" }.into(),
                r.summary.clone(),
            ]
        })
        .collect();
    output::table(&["ID", "BY", "RULE"], rows)
}
