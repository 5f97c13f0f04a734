//! `strata`: Strata's engine from a terminal. The contract (global flags, JSON output, exit
//! codes, remote paths) is in DESIGN.md and is kept exactly: scripts rely on it.

mod archive_cmd;
mod args;
mod bucket_cmd;
mod object_cmd;
mod output;
mod profile_cmd;
mod progress;
mod serve_local;
mod sync_cmd;
mod transfer_cmd;

use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;
use strata_core::{DataDir, Engine, Error, ErrorCode};

use crate::args::{Cli, Command};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(err),
    };
    init_logging();
    let json_mode = cli.json;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            output::error(
                json_mode,
                &Error::io("The async runtime could not start", &e),
            );
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            output::error(json_mode, &err);
            ExitCode::from(output::exit_code(&err))
        }
    }
}

async fn run(cli: Cli) -> strata_core::Result<()> {
    let engine = Engine::start(DataDir::resolve(cli.home)?).await?;
    match cli.command {
        Command::Profile(command) => profile_cmd::run(&engine, command, cli.json).await,
        Command::Bucket(command) => bucket_cmd::run(&engine, command, cli.json).await,
        Command::ServeLocal(args) => serve_local::run(&engine, args, cli.json).await,
        Command::Sync { command } => sync_cmd::run(&engine, command, cli.json).await,
        command @ (Command::Archive { .. }
        | Command::Restore { .. }
        | Command::Lifecycle { .. }) => archive_cmd::run(&engine, command, cli.json).await,
        command @ (Command::Put { .. }
        | Command::Get { .. }
        | Command::Transfers { .. }
        | Command::Uploads(_)) => transfer_cmd::run(&engine, command, cli.json).await,
        other => object_cmd::run(&engine, other, cli.json).await,
    }
}

/// Help and version print as usual; anything else is exit 2, as JSON when `--json` was given.
fn usage_error(err: clap::Error) -> ExitCode {
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) || !std::env::args().any(|a| a == "--json")
    {
        let _ = err.print();
        return ExitCode::from(if err.use_stderr() { 2 } else { 0 });
    }
    let error = Error::new(
        ErrorCode::InvalidInput,
        format!(
            "{}.",
            capitalize(&what_clap_said(&err.render().to_string()))
        ),
        "Run `strata --help` (or `strata COMMAND --help`) for the accepted arguments.",
    );
    output::error(true, &error);
    ExitCode::from(2)
}

/// clap's message without its usage and tips, on one line: "the following required
/// arguments were not provided: <NAME>".
fn what_clap_said(rendered: &str) -> String {
    let said: Vec<&str> = rendered
        .trim_start_matches("error: ")
        .lines()
        .take_while(|line| !line.trim().is_empty() && !line.starts_with("Usage:"))
        .map(str::trim)
        .collect();
    said.join(" ").trim_end_matches(['.', ':']).to_string()
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Log lines go to stderr; `STRATA_LOG` sets the filter (default: warnings). The protocol
/// crate of the in-process built-in endpoint logs every S3 error answer as an error (a 404 is
/// normal), so it stays quiet unless asked for.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("STRATA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,s3s=off"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
