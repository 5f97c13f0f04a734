//! The built-in endpoint: a real S3 server over a folder, so Strata works with no account.
//!
//! s3s handles the protocol (routing, XML, SigV4 for headers and presigned URLs); our backend
//! keeps bytes as files and metadata in a SQLite index (see `store`). The app and CLI commands
//! serve it in-process on 127.0.0.1 with an ephemeral port; `strata serve-local` serves it alone.

mod blobs;
mod index;
mod listing;
mod service;
mod store;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, RwLock};

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use tokio::net::TcpListener;

use crate::error::{Error, ErrorCode, Result};

pub use service::DEFAULT_REGION;

/// The key pair clients sign requests with.
#[derive(Clone)]
pub struct LocalCredentials {
    pub access_key_id: String,
    pub secret: String,
}

impl std::fmt::Debug for LocalCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalCredentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl LocalCredentials {
    /// A fresh key pair: a 20-character access key id and a 40-character secret, letters and
    /// digits from the OS random source.
    pub fn generate() -> Self {
        Self {
            access_key_id: format!(
                "STRATA{}",
                random_text(14, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
            ),
            secret: random_text(
                40,
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            ),
        }
    }
}

/// `len` characters drawn uniformly from `alphabet` (rejection sampling, no modulo bias).
pub(crate) fn random_text(len: usize, alphabet: &[u8]) -> String {
    let limit = 256 - 256 % alphabet.len();
    let mut out = String::with_capacity(len);
    let mut pool = [0u8; 64];
    while out.len() < len {
        getrandom::fill(&mut pool).expect("the OS random source failed");
        for &b in &pool {
            if (b as usize) < limit && out.len() < len {
                out.push(alphabet[b as usize % alphabet.len()] as char);
            }
        }
    }
    out
}

/// The key pair requests must be signed with; replaceable while serving, so a `local` profile
/// removed and restored (with a new key pair) keeps working in the same process.
#[derive(Clone)]
struct LocalAuth(Arc<RwLock<LocalCredentials>>);

#[async_trait::async_trait]
impl s3s::auth::S3Auth for LocalAuth {
    async fn get_secret_key(&self, access_key: &str) -> s3s::S3Result<s3s::auth::SecretKey> {
        let current = self.0.read().unwrap_or_else(|p| p.into_inner());
        if current.access_key_id == access_key {
            Ok(current.secret.as_str().into())
        } else {
            Err(s3s::s3_error!(InvalidAccessKeyId))
        }
    }
}

/// A running endpoint; dropping it stops accepting connections.
pub struct LocalEndpoint {
    addr: SocketAddr,
    auth: LocalAuth,
    accept: tokio::task::JoinHandle<()>,
}

impl LocalEndpoint {
    /// Accepts requests signed with `credentials` from now on (and no longer the old pair).
    pub fn set_credentials(&self, credentials: LocalCredentials) {
        *self.auth.0.write().unwrap_or_else(|p| p.into_inner()) = credentials;
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL clients use; an unspecified listen address is reached through loopback.
    pub fn url(&self) -> String {
        let ip = if self.addr.ip().is_unspecified() {
            "127.0.0.1".parse().expect("ip")
        } else {
            self.addr.ip()
        };
        format!("http://{}", SocketAddr::new(ip, self.addr.port()))
    }

    /// Serves until the task is dropped or the process ends.
    pub async fn run_until_stopped(self) {
        let _ = (&mut { self }.accept).await;
    }
}

impl Drop for LocalEndpoint {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Closes the connection after answering a bodiless request that asked for `100 Continue`.
///
/// hyper sends the interim `100 Continue` only when a handler reads the body, which an empty
/// body never prompts. A client still waiting for it (the aws cli, uploading a 0-byte file)
/// takes the final answer early and then misreads the next response on that connection,
/// hanging a later upload. RFC 9110 lets a server close instead; the client reconnects.
#[derive(Clone)]
struct Continue100Guard(s3s::service::S3Service);

impl hyper::service::Service<http::Request<hyper::body::Incoming>> for Continue100Guard {
    type Response = <s3s::service::S3Service as hyper::service::Service<
        http::Request<hyper::body::Incoming>,
    >>::Response;
    type Error = <s3s::service::S3Service as hyper::service::Service<
        http::Request<hyper::body::Incoming>,
    >>::Error;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
    >;

    fn call(&self, req: http::Request<hyper::body::Incoming>) -> Self::Future {
        let expects_continue = req
            .headers()
            .get(http::header::EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        let bodiless = req
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() == b"0");
        let response = hyper::service::Service::call(&self.0, req);
        Box::pin(async move {
            let mut response = response.await?;
            if expects_continue && bodiless {
                response.headers_mut().insert(
                    http::header::CONNECTION,
                    http::HeaderValue::from_static("close"),
                );
            }
            Ok(response)
        })
    }
}

/// Opens the store at `root` (repairing what a crash left) and serves it on `listen`.
pub async fn serve(
    root: &Path,
    listen: SocketAddr,
    credentials: LocalCredentials,
) -> Result<LocalEndpoint> {
    let root = root.to_path_buf();
    let store = tokio::task::spawn_blocking(move || store::Store::open(&root))
        .await
        .map_err(|e| {
            Error::new(
                ErrorCode::Io,
                format!("The local store could not be opened: {e}."),
                "Try again.",
            )
        })??;
    let mut builder = s3s::service::S3ServiceBuilder::new(service::LocalS3::new(store));
    let auth = LocalAuth(Arc::new(RwLock::new(credentials)));
    builder.set_auth(auth.clone());
    let service = Continue100Guard(builder.build());
    let listener = TcpListener::bind(listen).await.map_err(|e| {
        Error::new(
            ErrorCode::Io,
            format!("The local endpoint cannot listen on {listen}: {e}."),
            "Choose another port (--port), or stop the program that uses this one.",
        )
    })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::io("The local endpoint has no address", &e))?;
    let accept = tokio::spawn(async move {
        let http = ConnBuilder::new(TokioExecutor::new());
        loop {
            match listener.accept().await {
                Ok((socket, _)) => {
                    let conn = http
                        .serve_connection(TokioIo::new(socket), service.clone())
                        .into_owned();
                    tokio::spawn(async move {
                        let _ = conn.await;
                    });
                }
                Err(e) => {
                    tracing::warn!("local endpoint: accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        }
    });
    tracing::info!(%addr, "local endpoint serving");
    Ok(LocalEndpoint { addr, auth, accept })
}
