//! Tauri commands, one file per area. Each is a few lines: call the engine, return its
//! result; errors cross as the engine's `{code, message, hint, field, retry}`.

pub mod archive;
pub mod buckets;
pub mod desktop;
pub mod objects;
pub mod profiles;
pub mod sync;
pub mod transfers;
