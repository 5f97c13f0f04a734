//! Set-up shared by the engine's test files. Each test binary uses its own subset of it.
#![allow(dead_code)]

use strata_core::local::{self, LocalCredentials, LocalEndpoint};
use strata_core::profile::{ProfileInput, Provider};
use strata_core::{DataDir, Engine};
use strata_testkit::{ACCESS_KEY, SECRET_KEY};

/// An engine on a fresh temporary data folder.
pub fn engine() -> (tempfile::TempDir, Engine) {
    let home = tempfile::tempdir().unwrap();
    let engine = Engine::open(DataDir::at(home.path()).unwrap()).unwrap();
    (home, engine)
}

/// A path-style profile of the `other` provider for `endpoint`.
pub fn input(name: &str, endpoint: &str, key: &str, secret: &str) -> ProfileInput {
    ProfileInput {
        name: name.into(),
        provider: Some(Provider::Other),
        endpoint: Some(endpoint.into()),
        path_style: Some(true),
        access_key_id: Some(key.into()),
        secret_access_key: Some(secret.into()),
        ..ProfileInput::default()
    }
}

/// The built-in endpoint on a temporary folder, on 127.0.0.1, with the test key pair.
pub async fn serve_local() -> (tempfile::TempDir, LocalEndpoint) {
    let dir = tempfile::tempdir().unwrap();
    let credentials = LocalCredentials {
        access_key_id: ACCESS_KEY.into(),
        secret: SECRET_KEY.into(),
    };
    let endpoint = local::serve(dir.path(), "127.0.0.1:0".parse().unwrap(), credentials)
        .await
        .unwrap();
    (dir, endpoint)
}
