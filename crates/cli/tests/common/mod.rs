//! Running the `strata` binary as scripts do, shared by the CLI's test files.
//! Each test file uses its own subset of it.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Output, Stdio};

use serde_json::Value;
use tokio::io::AsyncWriteExt;

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {}", self.stdout))
    }
}

/// Runs `strata` with a private HOME (so ~/.aws is the test's) and trace logging on, so that
/// whatever the engine logs is inspected too.
pub async fn strata_env(
    home: &Path,
    args: &[&str],
    stdin: Option<&str>,
    env: &[(&str, &str)],
) -> Run {
    run_strata(home, &[], args, stdin, env).await
}

/// Runs `strata ARGS...` as a user who may not read what its mode forbids, even where the
/// tests run as root (which reads every file): root's powers to override file permissions are
/// dropped first, with `setpriv`.
pub async fn strata_unprivileged(home: &Path, args: &[&str]) -> Run {
    let drop = "-dac_override,-dac_read_search";
    let wrapper = ["setpriv", "--bounding-set", drop, "--inh-caps", drop, "--"];
    run_strata(home, &wrapper, args, None, &[]).await
}

/// `strata ARGS...`, behind `wrapper` (a program and its arguments) when one is given.
async fn run_strata(
    home: &Path,
    wrapper: &[&str],
    args: &[&str],
    stdin: Option<&str>,
    env: &[(&str, &str)],
) -> Run {
    let strata = env!("CARGO_BIN_EXE_strata");
    let mut command = match wrapper.split_first() {
        Some((program, rest)) => {
            let mut command = tokio::process::Command::new(program);
            command.args(rest).arg(strata);
            command
        }
        None => tokio::process::Command::new(strata),
    };
    command
        .args(args)
        .env("STRATA_HOME", home.join("data"))
        .env("HOME", home)
        .env("STRATA_LOG", "trace")
        .env_remove("AWS_CONFIG_FILE")
        .env_remove("AWS_SHARED_CREDENTIALS_FILE")
        .env_remove("AWS_PROFILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("run strata");
    let mut pipe = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes()).await.unwrap();
    }
    drop(pipe);
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().await.unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

/// Starts `strata ARGS...` in the background on the test's data folder and HOME, with its
/// output piped, for a test that watches it or stops it halfway.
pub fn spawn(home: &Path, args: &[&str]) -> tokio::process::Child {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(args)
        .env("STRATA_HOME", home.join("data"))
        .env("HOME", home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start strata")
}

/// Sends SIGINT to a process, as Ctrl-C in its terminal does.
pub fn interrupt(child: &tokio::process::Child) {
    let pid = child.id().expect("still running").to_string();
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status();
    assert!(sent.is_ok_and(|s| s.success()), "SIGINT to {pid}");
}

pub async fn strata(home: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    strata_env(home, args, stdin, &[]).await
}

pub async fn add(home: &Path, name: &str, endpoint: &str, key: &str, secret: &str) -> Run {
    let args = [
        "--json",
        "profile",
        "add",
        name,
        "--endpoint",
        endpoint,
        "--path-style",
        "--access-key-id",
        key,
        "--secret-stdin",
    ];
    strata(home, &args, Some(&format!("{secret}\n"))).await
}
