//! Other people's S3 tools against `strata serve-local`: the aws cli and rclone upload (small
//! and multipart), list and download, and what comes back is byte-for-byte what went up.

use std::path::Path;
use std::process::Command;

use strata_testkit::ServeLocal;

const STRATA: &str = env!("CARGO_BIN_EXE_strata");

fn run(mut command: Command) -> String {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}; run ./scripts/test.sh once to install it"));
    assert!(
        out.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Files with unicode and spaces in their names, one large enough for multipart uploads, and
/// an empty one: uploaded together, the aws cli reuses the empty PUT's connection (which
/// asked for `100 Continue`) for a part, which once hung it against this server.
fn sample_tree(dir: &Path) {
    std::fs::create_dir_all(dir.join("raw/köln")).unwrap();
    std::fs::write(dir.join("raw/köln/IMG 0001.CR3"), b"small raw").unwrap();
    std::fs::write(dir.join("empty.txt"), b"").unwrap();
    let big: Vec<u8> = (0..20_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(dir.join("raw/big.bin"), big).unwrap();
}

fn assert_same_tree(expected: &Path, actual: &Path) {
    for relative in ["raw/köln/IMG 0001.CR3", "empty.txt", "raw/big.bin"] {
        let (a, b) = (
            std::fs::read(expected.join(relative)).unwrap(),
            std::fs::read(actual.join(relative)).unwrap(),
        );
        assert!(a == b, "{relative} differs after the round trip");
    }
}

#[test]
fn the_aws_cli_round_trips_files_through_serve_local() {
    let (home, store, work) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let server = ServeLocal::spawn(STRATA, home.path(), store.path(), &[]);
    let aws = |args: &[&str]| {
        let mut command = Command::new("aws");
        command
            .args(["--endpoint-url", &server.endpoint])
            .args(args)
            .env("AWS_ACCESS_KEY_ID", &server.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &server.secret)
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env_remove("AWS_PROFILE");
        command
    };
    let (up, down) = (work.path().join("up"), work.path().join("down"));
    sample_tree(&up);
    run(aws(&["s3", "mb", "s3://cli-bucket"]));
    // The 20 MB file goes up as a multipart upload (the cli's threshold is 8 MiB).
    run(aws(&[
        "s3",
        "cp",
        "--no-progress",
        "--recursive",
        up.to_str().unwrap(),
        "s3://cli-bucket/shoot/",
    ]));
    let listing = run(aws(&["s3", "ls", "--recursive", "s3://cli-bucket/"]));
    for key in [
        "shoot/raw/köln/IMG 0001.CR3",
        "shoot/empty.txt",
        "shoot/raw/big.bin",
    ] {
        assert!(listing.contains(key), "{key} missing from:\n{listing}");
    }
    let head = run(aws(&[
        "s3api",
        "head-object",
        "--bucket",
        "cli-bucket",
        "--key",
        "shoot/raw/big.bin",
    ]));
    assert!(
        head.contains("\"PartsCount\": 3"),
        "a multipart object: {head}"
    );
    run(aws(&[
        "s3",
        "cp",
        "--no-progress",
        "--recursive",
        "s3://cli-bucket/shoot/",
        down.to_str().unwrap(),
    ]));
    assert_same_tree(&up, &down);
}

#[test]
fn rclone_round_trips_files_through_serve_local() {
    let (home, store, work) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let server = ServeLocal::spawn(STRATA, home.path(), store.path(), &[]);
    let rclone = |args: &[&str]| {
        let mut command = Command::new("rclone");
        command
            .args(args)
            .args([
                "--s3-upload-cutoff",
                "5M",
                "--s3-chunk-size",
                "5M",
                "--config",
                "/dev/null",
            ])
            .env("RCLONE_CONFIG_STRATA_TYPE", "s3")
            .env("RCLONE_CONFIG_STRATA_PROVIDER", "Other")
            .env("RCLONE_CONFIG_STRATA_ENDPOINT", &server.endpoint)
            .env("RCLONE_CONFIG_STRATA_ACCESS_KEY_ID", &server.access_key_id)
            .env("RCLONE_CONFIG_STRATA_SECRET_ACCESS_KEY", &server.secret)
            .env("RCLONE_CONFIG_STRATA_REGION", "us-east-1")
            // rclone 1.60 cannot load the CA bundle this variable names on these machines.
            .env_remove("AWS_CA_BUNDLE");
        command
    };
    let (up, down) = (work.path().join("up"), work.path().join("down"));
    sample_tree(&up);
    run(rclone(&["mkdir", "strata:rclone-bucket"]));
    run(rclone(&[
        "copy",
        up.to_str().unwrap(),
        "strata:rclone-bucket/shoot",
    ]));
    let listing = run(rclone(&["lsf", "-R", "strata:rclone-bucket"]));
    for key in [
        "shoot/raw/köln/IMG 0001.CR3",
        "shoot/empty.txt",
        "shoot/raw/big.bin",
    ] {
        assert!(
            listing.lines().any(|l| l == key),
            "{key} missing from:\n{listing}"
        );
    }
    run(rclone(&[
        "copy",
        "strata:rclone-bucket/shoot",
        down.to_str().unwrap(),
    ]));
    assert_same_tree(&up, &down);
    run(rclone(&[
        "check",
        up.to_str().unwrap(),
        "strata:rclone-bucket/shoot",
    ]));
}
