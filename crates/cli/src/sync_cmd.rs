//! `strata sync`: pairs of a local folder and a bucket prefix, kept uploaded. `run` syncs in
//! the foreground as a catalog job (Ctrl-C pauses it); `watch` runs the app's watcher without
//! a window, printing a line whenever a pair's state changes.

use serde::Serialize;
use strata_core::jobs::{Event, JobId, JobState};
use strata_core::sync::{PlanAction, SyncPair, SyncPairInput, SyncPlan};
use strata_core::{Engine, Error, ErrorCode, Result};

use crate::args::SyncCommand;
use crate::output;
use crate::progress::{bytes, while_showing};
use crate::transfer_cmd::follow;

pub async fn run(engine: &Engine, command: Option<SyncCommand>, json_mode: bool) -> Result<()> {
    match command.unwrap_or(SyncCommand::List) {
        SyncCommand::Add {
            local,
            remote,
            mirror_deletes,
            ignore,
        } => {
            let mut patterns = strata_core::sync::default_ignores();
            patterns.extend(ignore);
            let pair = engine
                .sync_add(SyncPairInput {
                    local,
                    remote,
                    mirror_deletes,
                    ignore: Some(patterns),
                })
                .await?;
            output::result(json_mode, &pair, || {
                format!(
                    "Pair {}: {} → {} ({}). Run it with `strata sync run {}`, or keep it \
                     synced with `strata sync watch`.",
                    pair.id,
                    pair.local,
                    pair.remote,
                    mode(&pair),
                    pair.id
                )
            });
            Ok(())
        }
        SyncCommand::List => {
            let pairs = engine.sync_list().await?;
            output::result(json_mode, &pairs, || {
                let rows = pairs.iter().map(row).collect();
                output::table(&["ID", "STATE", "FILES", "MODE", "LOCAL", "REMOTE"], rows)
            });
            Ok(())
        }
        SyncCommand::Rm { id } => {
            engine.sync_remove(id).await?;
            #[derive(Serialize)]
            struct Removed {
                pair: u32,
                removed: bool,
            }
            output::result(
                json_mode,
                &Removed {
                    pair: id,
                    removed: true,
                },
                || format!("Pair {id} removed; its objects stay where they are."),
            );
            Ok(())
        }
        SyncCommand::Run { id, dry_run: true } => dry_run(engine, id, json_mode).await,
        SyncCommand::Run { id, dry_run: false } => {
            while_showing(engine, json_mode, run_pairs(engine, id, json_mode)).await
        }
        SyncCommand::Watch => watch(engine, json_mode).await,
    }
}

fn mode(pair: &SyncPair) -> &'static str {
    if pair.mirror_deletes {
        "mirrors deletes"
    } else {
        "upload-only"
    }
}

fn row(pair: &SyncPair) -> Vec<String> {
    let state = if pair.active {
        pair.status.clone()
    } else {
        "paused".into()
    };
    vec![
        pair.id.to_string(),
        state,
        pair.files.to_string(),
        mode(pair).into(),
        pair.local.clone(),
        pair.remote.clone(),
    ]
}

/// The pairs a run without an id takes: every active one.
async fn chosen(engine: &Engine, id: Option<u32>) -> Result<Vec<SyncPair>> {
    Ok(match id {
        Some(id) => vec![engine.sync_get(id).await?],
        None => engine
            .sync_list()
            .await?
            .into_iter()
            .filter(|p| p.active)
            .collect(),
    })
}

async fn dry_run(engine: &Engine, id: Option<u32>, json_mode: bool) -> Result<()> {
    let mut plans = Vec::new();
    for pair in chosen(engine, id).await? {
        plans.push((engine.sync_plan(pair.id, None).await?, pair));
    }
    let words = || {
        plans
            .iter()
            .map(|(plan, pair)| describe_plan(plan, pair))
            .collect::<Vec<_>>()
            .join("\n\n")
    };
    match id {
        Some(_) => output::result(json_mode, &plans[0].0, words),
        None => {
            let only: Vec<&SyncPlan> = plans.iter().map(|(p, _)| p).collect();
            output::result(json_mode, &only, words)
        }
    }
    Ok(())
}

fn describe_plan(plan: &SyncPlan, pair: &SyncPair) -> String {
    let mut lines = vec![format!(
        "Pair {}: {} → {} ({} unchanged, {} request{} to the server)",
        pair.id,
        pair.local,
        pair.remote,
        plan.unchanged,
        plan.requests,
        crate::bucket_cmd::plural(u64::from(plan.requests))
    )];
    for item in &plan.items {
        let action = match item.action {
            PlanAction::Upload => "upload",
            PlanAction::Move => "move",
            PlanAction::Delete => "delete",
            PlanAction::Conflict => "conflict",
            PlanAction::AlreadyThere => "already there",
            PlanAction::Waiting => "waiting",
            PlanAction::Kept => "keep",
            PlanAction::Unreadable => "cannot read",
        };
        let other = item
            .other
            .as_deref()
            .map(|o| format!(" ({o})"))
            .unwrap_or_default();
        lines.push(format!(
            "  {action:<13} {}{other}  {}: {}",
            item.path,
            bytes(item.size),
            item.reason
        ));
    }
    if plan.items.is_empty() {
        lines.push("  nothing to do".into());
    }
    lines.join("\n")
}

async fn run_pairs(engine: &Engine, id: Option<u32>, json_mode: bool) -> Result<()> {
    let pairs = chosen(engine, id).await?;
    let mut events = engine.events();
    let mut jobs: Vec<JobId> = Vec::new();
    for pair in &pairs {
        jobs.push(engine.sync_start(pair.id, false).await?);
    }
    let ended = follow(engine, &mut events, &jobs).await?;
    let mut after = Vec::new();
    for pair in &pairs {
        after.push(engine.sync_get(pair.id).await?);
    }
    let stopped = ended.values().find(|j| j.state != JobState::Done);
    let words = || {
        after
            .iter()
            .map(|p| {
                let detail = p.status_detail.clone().unwrap_or_default();
                format!("Pair {} ({} → {}): {detail}", p.id, p.local, p.remote)
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    if let Some(job) = stopped {
        let err = job.error.clone().unwrap_or_else(|| {
            Error::new(
                ErrorCode::Cancelled,
                "The sync was paused.",
                "Run it again with `strata sync run`: it goes on where it stopped.",
            )
        });
        return Err(err);
    }
    let failed = after
        .iter()
        .find(|p| p.last_run.as_ref().is_some_and(|r| r.failed > 0));
    // With --json the error below is the one document.
    if failed.is_none() || !json_mode {
        match id {
            Some(_) => output::result(json_mode, &after[0], words),
            None => output::result(json_mode, &after, words),
        }
    }
    match failed {
        Some(pair) => Err(Error::new(
            ErrorCode::S3,
            format!(
                "Pair {}: {}.",
                pair.id,
                pair.last_run
                    .as_ref()
                    .and_then(|r| r.error.clone())
                    .unwrap_or_else(|| "some files failed".into())
            ),
            "See `strata transfers` for the failed uploads; the next run tries them again.",
        )),
        None => Ok(()),
    }
}

/// Runs the watcher until Ctrl-C, printing each pair's state when it changes.
async fn watch(engine: &Engine, json_mode: bool) -> Result<()> {
    engine.jobs_resume_unfinished().await?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut events = engine.events();
    let watcher = {
        let engine = engine.clone();
        tokio::spawn(async move {
            engine
                .sync_watch(async {
                    let _ = stopped.await;
                })
                .await
        })
    };
    let pairs = engine.sync_list().await?;
    if pairs.iter().all(|p| !p.active) {
        output::warning(
            json_mode,
            "No active pair to watch: add one with `strata sync add`.",
        );
    }
    let mut shown: std::collections::HashMap<u32, (String, Option<String>)> = Default::default();
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            event = events.recv() => {
                let pair = match event {
                    Ok(Event::SyncChanged { pair }) => pair,
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => break,
                };
                let Ok(now) = engine.sync_get(pair).await else { continue };
                let state = (now.status.clone(), now.status_detail.clone());
                if shown.get(&pair) == Some(&state) {
                    continue;
                }
                shown.insert(pair, state);
                if json_mode {
                    if let Ok(line) = serde_json::to_string(&now) {
                        eprintln!("{line}");
                    }
                } else {
                    eprintln!(
                        "pair {} {}: {}",
                        now.id,
                        now.status,
                        now.status_detail.as_deref().unwrap_or("")
                    );
                }
            }
        }
    }
    let _ = stop.send(());
    let _ = watcher.await;
    let pairs = engine.sync_list().await?;
    output::result(json_mode, &pairs, || "Stopped watching.".into());
    Ok(())
}
