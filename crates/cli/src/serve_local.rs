//! `strata serve-local`: the built-in endpoint alone in the foreground.

use std::io::Write;
use std::net::SocketAddr;

use serde::Serialize;
use strata_core::local::{self, LocalCredentials};
use strata_core::{Engine, Error, Result};

use crate::args::ServeLocalArgs;

#[derive(Serialize)]
struct Connection<'a> {
    endpoint: &'a str,
    region: &'a str,
    access_key_id: &'a str,
    secret_access_key: &'a str,
}

/// Prints how to connect (the one place a secret is shown: the endpoint is the user's own),
/// flushed before serving, then serves until interrupted.
pub async fn run(engine: &Engine, args: ServeLocalArgs, json_mode: bool) -> Result<()> {
    // Without the `local` profile (removed), the endpoint gets a key pair for this run only.
    let credentials = engine
        .local_credentials()
        .await?
        .unwrap_or_else(LocalCredentials::generate);
    let dir = args.dir.unwrap_or_else(|| engine.local_store_dir());
    let endpoint = local::serve(
        &dir,
        SocketAddr::new(args.listen, args.port),
        credentials.clone(),
    )
    .await?;
    let url = endpoint.url();
    let connection = Connection {
        endpoint: &url,
        region: local::DEFAULT_REGION,
        access_key_id: &credentials.access_key_id,
        secret_access_key: &credentials.secret,
    };
    let mut stdout = std::io::stdout().lock();
    let printed = if json_mode {
        writeln!(
            stdout,
            "{}",
            serde_json::to_string(&connection).unwrap_or_default()
        )
    } else {
        writeln!(
            stdout,
            "endpoint: {}\nregion: {}\naccess key id: {}\nsecret access key: {}",
            connection.endpoint,
            connection.region,
            connection.access_key_id,
            connection.secret_access_key
        )
    };
    printed
        .and_then(|()| stdout.flush())
        .map_err(|e| Error::io("Cannot write to standard output", &e))?;
    drop(stdout);
    tokio::select! {
        () = endpoint.run_until_stopped() => {}
        () = shutdown_signal() => {}
    }
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
