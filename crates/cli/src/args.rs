//! The command line's grammar (DESIGN.md, "The command line").

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "strata",
    version,
    about = "Strata: a file manager for S3-compatible storage"
)]
pub struct Cli {
    /// Print exactly one JSON document on stdout (errors included).
    #[arg(long, global = true)]
    pub json: bool,

    /// Data folder (catalog, local endpoint); also selects the secret-store namespace.
    #[arg(long, global = true, value_name = "DIR", env = "STRATA_HOME")]
    pub home: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage credential profiles.
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// List, refresh, create and delete buckets.
    #[command(subcommand)]
    Bucket(BucketCommand),
    /// List folders and objects: PROFILE:BUCKET[/PREFIX].
    Ls {
        #[arg(value_name = "PROFILE:BUCKET[/PREFIX]")]
        path: String,
        /// Every key under the prefix, not only the folder's own level.
        #[arg(long)]
        recursive: bool,
        /// At most N rows.
        #[arg(long, value_name = "N")]
        limit: Option<u64>,
    },
    /// Download objects and folders (a path ending in /) to LOCAL (a folder, or a file name
    /// for a single object).
    Get {
        #[arg(value_name = "REMOTE... LOCAL", num_args = 2.., required = true)]
        paths: Vec<String>,
    },
    /// Upload files and folders into the remote folder PROFILE:BUCKET[/PREFIX]; a folder keeps
    /// its structure. Ctrl-C pauses; `strata transfers resume` goes on.
    Put {
        #[arg(value_name = "LOCAL... PROFILE:BUCKET[/PREFIX]", num_args = 2.., required = true)]
        paths: Vec<String>,
        /// Part size of multipart uploads: 8MiB, 64MiB, 1GiB (5MiB to 5GiB) [default: 8MiB,
        /// more where a file needs it to fit in 10,000 parts].
        #[arg(long, value_name = "SIZE")]
        part_size: Option<String>,
        /// Parts of one file in flight at once (1 to 32) [default: 4].
        #[arg(long, value_name = "N")]
        concurrency: Option<u32>,
        /// Files uploading at once, whatever their size [default: up to 16, as many as fit in
        /// 128 MiB of parts in flight: four large files].
        #[arg(long, value_name = "N")]
        jobs: Option<u32>,
    },
    /// Uploads and downloads as the catalog holds them: list (the default), resume, pause,
    /// cancel, retry.
    Transfers {
        #[command(subcommand)]
        command: Option<TransfersCommand>,
    },
    /// Multipart uploads left open in a bucket (their parts are billed): list or abort them.
    #[command(subcommand)]
    Uploads(UploadsCommand),
    /// Delete objects; a folder (a path ending in /) needs --recursive.
    Rm {
        #[arg(value_name = "REMOTE", required = true)]
        paths: Vec<String>,
        /// Delete folders with everything under them.
        #[arg(long)]
        recursive: bool,
    },
    /// Copy an object or a folder; into DST when it ends in /, else as DST.
    Cp {
        #[arg(value_name = "SRC")]
        source: String,
        #[arg(value_name = "DST")]
        target: String,
    },
    /// Move or rename an object or a folder; the source is deleted only after its copy verified.
    Mv {
        #[arg(value_name = "SRC")]
        source: String,
        #[arg(value_name = "DST")]
        target: String,
    },
    /// Print a presigned URL that works without a key until it expires.
    Presign {
        #[arg(value_name = "PROFILE:BUCKET/KEY")]
        path: String,
        /// How long the link works: 30m, 12h, 7d (at most 7d).
        #[arg(long, value_name = "DURATION", default_value = "1h")]
        expires: String,
        /// A link that uploads (PUT) instead of downloads.
        #[arg(long)]
        put: bool,
    },
    /// Count the objects and bytes under a path.
    Du {
        #[arg(value_name = "REMOTE")]
        path: String,
    },
    /// The activity log: every change Strata made to remote data and every link it made.
    Log {
        /// The newest N entries.
        #[arg(long, value_name = "N")]
        limit: Option<u32>,
    },
    /// Keep local folders uploaded to bucket prefixes: list the pairs (the default), add,
    /// remove, run, or watch them.
    Sync {
        #[command(subcommand)]
        command: Option<SyncCommand>,
    },
    /// Move a finished project (a folder) to cold storage: every object copied and verified,
    /// a manifest written beside them, and only then the sources deleted. Running it again
    /// goes on with an archive that stopped.
    #[command(args_conflicts_with_subcommands = true)]
    Archive {
        #[command(subcommand)]
        command: Option<ArchiveCommand>,
        #[arg(value_name = "PROFILE:BUCKET/PREFIX")]
        source: Option<String>,
        /// Another bucket (of any profile), with an optional prefix.
        #[arg(long, value_name = "PROFILE:BUCKET[/PREFIX]")]
        to: Option<String>,
        /// A colder storage class: STANDARD_IA, GLACIER_IR, GLACIER, DEEP_ARCHIVE...
        #[arg(long, value_name = "CLASS")]
        class: Option<String>,
    },
    /// Bring an archived project back to where it was archived from (or make the archived
    /// objects under a path readable): restore requests, a wait, then a verified copy back.
    /// With --days the objects are only made readable, for that many days.
    Restore {
        #[arg(value_name = "ID|PROFILE:BUCKET/PREFIX")]
        target: String,
        /// Expedited, Standard or Bulk.
        #[arg(long, value_name = "T", default_value = "Standard")]
        tier: String,
        #[arg(long, value_name = "N")]
        days: Option<u32>,
    },
    /// A bucket's lifecycle rules; `set` reads them as JSON on stdin (what `get --json`
    /// prints) and keeps every rule Strata did not write.
    Lifecycle {
        #[command(subcommand)]
        command: LifecycleCommand,
    },
    /// Serve the built-in S3 endpoint in the foreground, for scripts and other S3 tools.
    ServeLocal(ServeLocalArgs),
}

#[derive(Debug, Subcommand)]
pub enum ArchiveCommand {
    /// The archived projects, newest first.
    List,
    /// Check an archived project against its manifest.
    Verify { id: u32 },
}

#[derive(Debug, Subcommand)]
pub enum LifecycleCommand {
    Get {
        #[arg(value_name = "PROFILE:BUCKET")]
        bucket: String,
    },
    Set {
        #[arg(value_name = "PROFILE:BUCKET")]
        bucket: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Pair a local folder with PROFILE:BUCKET[/PREFIX]: what lands in the folder goes up.
    Add {
        #[arg(value_name = "LOCAL")]
        local: String,
        #[arg(value_name = "PROFILE:BUCKET[/PREFIX]")]
        remote: String,
        /// Delete an object when its file is deleted here (upload-only otherwise).
        #[arg(long)]
        mirror_deletes: bool,
        /// Never upload names matching PATTERN (`*.tmp`, `cache/`), besides the defaults.
        #[arg(long, value_name = "PATTERN")]
        ignore: Vec<String>,
    },
    /// The pairs, with their state.
    List,
    /// Sync one pair, or every active one; --dry-run prints the plan and changes nothing.
    Run {
        id: Option<u32>,
        #[arg(long)]
        dry_run: bool,
    },
    /// Watch every active pair in the foreground and sync as files settle; Ctrl-C stops.
    Watch,
    /// Forget a pair; its objects stay where they are.
    Rm { id: u32 },
}

#[derive(Debug, Subcommand)]
pub enum TransfersCommand {
    /// The newest transfers, newest first.
    List,
    /// Go on with one transfer, or with every paused one and every one a crashed process left.
    Resume { id: Option<u32> },
    /// Pause a transfer a process that ended left unfinished.
    Pause { id: u32 },
    /// Cancel a transfer; an upload's parts are aborted.
    Cancel { id: u32 },
    /// Run a failed or cancelled transfer again.
    Retry { id: u32 },
}

#[derive(Debug, Subcommand)]
pub enum UploadsCommand {
    /// The open multipart uploads of a bucket: key, parts so far, age, the job owning it.
    Ls {
        #[arg(value_name = "PROFILE:BUCKET")]
        path: String,
    },
    /// Abort the open uploads of a key (or only --upload-id).
    Abort {
        #[arg(value_name = "PROFILE:BUCKET/KEY")]
        path: String,
        #[arg(long, value_name = "ID")]
        upload_id: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum BucketCommand {
    /// Read the profile's bucket list from S3 into the catalog.
    Refresh { profile: String },
    /// List the profile's buckets from the catalog (refreshed first if it never was).
    Ls(BucketLsArgs),
    /// Create a bucket: PROFILE:BUCKET.
    Mk {
        #[arg(value_name = "PROFILE:BUCKET")]
        path: String,
        /// Region to create it in [default: the profile's].
        #[arg(long, value_name = "R")]
        region: Option<String>,
    },
    /// Delete a bucket: PROFILE:BUCKET. Refused while it holds objects, unless --force.
    Rm {
        #[arg(value_name = "PROFILE:BUCKET")]
        path: String,
        /// Empty it first: every object, object version and unfinished upload.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Args)]
pub struct BucketLsArgs {
    pub profile: String,
    /// Only names containing TEXT (ignoring case).
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Only names starting with this letter (either case), or '#' for digits and the rest.
    #[arg(long, value_name = "L")]
    pub letter: Option<String>,
    /// Only buckets anyone may read.
    #[arg(long, conflicts_with = "private")]
    pub public: bool,
    /// Only buckets known to be private.
    #[arg(long)]
    pub private: bool,
    /// At most N rows.
    #[arg(long, value_name = "N")]
    pub limit: Option<u32>,
}

#[derive(Debug, Args)]
pub struct ServeLocalArgs {
    /// Port to listen on [default: any free port].
    #[arg(long, value_name = "P", default_value_t = 0)]
    pub port: u16,
    /// Folder to serve [default: the data folder's local store, the one the `local` profile uses].
    #[arg(long, value_name = "D")]
    pub dir: Option<PathBuf>,
    /// Address to bind; anything but loopback exposes the endpoint to the network.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub listen: std::net::IpAddr,
}

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Add a profile; the secret is read from standard input with --secret-stdin.
    Add(ProfileFields),
    /// Change a profile; options left out keep their value.
    Edit(ProfileFields),
    /// List the profiles.
    List,
    /// Make a signed request with a profile and say whether it works.
    Test { name: String },
    /// Remove a profile, its secret and everything Strata keeps for it.
    Rm { name: String },
    /// Bring back the built-in `local` profile after it was removed.
    RestoreLocal,
    /// Import the profiles of ~/.aws/config and ~/.aws/credentials.
    ImportAws {
        /// An AWS config file to read instead of ~/.aws/config (a `credentials` file beside it is read too).
        #[arg(long, value_name = "PATH")]
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct ProfileFields {
    pub name: String,
    /// The kind of server [default for add: other].
    #[arg(long, value_parser = ["aws", "r2", "minio", "seaweedfs", "other"])]
    pub provider: Option<String>,
    /// The S3 endpoint URL (required unless aws, or r2 with --account-id).
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Cloudflare account id (r2): the endpoint is derived from it.
    #[arg(long, value_name = "ID")]
    pub account_id: Option<String>,
    /// Region [default for add: us-east-1].
    #[arg(long, value_name = "R")]
    pub region: Option<String>,
    /// Address buckets as endpoint/bucket instead of bucket.endpoint.
    #[arg(long)]
    pub path_style: bool,
    #[arg(long, value_name = "ID")]
    pub access_key_id: Option<String>,
    /// Read the secret access key from standard input (it is never taken as an argument).
    #[arg(long)]
    pub secret_stdin: bool,
}
