//! Strata's engine: everything the desktop app and the `strata` CLI do, with no UI in it.
//!
//! The shells call [`Engine`]; its methods validate input, touch the catalog and the secret
//! store on the blocking pool, talk S3, and fail with one [`Error`] shape.

pub mod activity;
pub mod archive;
pub mod aws_import;
mod bucket_name;
pub mod buckets;
mod catalog;
mod engine;
pub mod error;
mod failpoint;
pub mod home;
pub mod jobs;
pub mod local;
pub mod objects;
pub mod profile;
pub mod remote;
mod s3;
mod secrets;
pub mod status;
pub mod sync;
pub mod transfer;

pub use engine::{ConnectionReport, Engine, LOCAL_PROFILE};
pub use error::{Error, ErrorCode, Result, Retry};
pub use home::DataDir;
