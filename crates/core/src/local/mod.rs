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
use std::time::Duration;

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

/// What S3 does at the HTTP level that s3s leaves to the server:
///
/// - Every response carries an `x-amz-request-id`, and an error's XML body the same id.
/// - A presigned URL valid for more than SigV4's 7 days is refused, as S3 refuses it.
/// - A `Range` the server cannot serve as one range (several ranges, bad syntax) is ignored
///   and the whole object returned, as S3 does; s3s would refuse the request. Only an
///   unsigned Range can be dropped (a browser's, on a presigned URL): removing a signed one
///   would break the signature, so s3s answers that one.
/// - A bodiless request that asked for `100 Continue` gets `Connection: close`: hyper sends the
///   interim answer only when a handler reads the body, which an empty body never prompts, so
///   a client still waiting for it (the aws cli, uploading a 0-byte file) would take the final
///   answer early and misread the next response on that connection. RFC 9110 lets a server
///   close instead; the client reconnects.
#[derive(Clone)]
struct HttpEdges(s3s::service::S3Service);

type EdgeResponse = http::Response<s3s::Body>;

/// The longest validity of a presigned URL (SigV4: 7 days).
const MAX_PRESIGNED_SECONDS: u64 = 604_800;

fn xml_error(status: u16, code: &str, message: &str, request_id: &str) -> EdgeResponse {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message><RequestId>{request_id}</RequestId></Error>"
    );
    let mut response = http::Response::new(s3s::Body::from(body));
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_REQUEST);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/xml"),
    );
    response
}

/// `X-Amz-Expires` of a presigned URL, when it is over the limit.
fn presigned_too_long(uri: &http::Uri) -> bool {
    uri.query().is_some_and(|query| {
        query.split('&').any(|pair| {
            pair.strip_prefix("X-Amz-Expires=")
                .and_then(|v| v.parse::<u64>().ok())
                .is_some_and(|seconds| seconds > MAX_PRESIGNED_SECONDS)
        })
    })
}

impl hyper::service::Service<http::Request<hyper::body::Incoming>> for HttpEdges {
    type Response = EdgeResponse;
    type Error = <s3s::service::S3Service as hyper::service::Service<
        http::Request<hyper::body::Incoming>,
    >>::Error;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
    >;

    fn call(&self, mut req: http::Request<hyper::body::Incoming>) -> Self::Future {
        let request_id = random_text(16, b"0123456789ABCDEF");
        if presigned_too_long(req.uri()) {
            let refused = xml_error(
                400,
                "AuthorizationQueryParametersError",
                "X-Amz-Expires must be less than a week (in seconds) that is 604800",
                &request_id,
            );
            return Box::pin(async move { Ok(with_request_id(refused, &request_id)) });
        }
        let unusable_range = req.headers().get(http::header::RANGE).is_some_and(|v| {
            v.to_str()
                .map_or(true, |r| s3s::dto::Range::parse(r).is_err())
        }) && !signs_range(&req);
        if unusable_range {
            req.headers_mut().remove(http::header::RANGE);
        }
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
            let mut response = with_request_id(response.await?, &request_id);
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

/// Whether the request's signature covers its Range header (header or presigned form).
fn signs_range<B>(req: &http::Request<B>) -> bool {
    let from_header = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|auth| auth.split("SignedHeaders=").nth(1))
        .map(|rest| rest.split(',').next().unwrap_or_default().to_string());
    let from_query = req.uri().query().and_then(|query| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("X-Amz-SignedHeaders="))
            .map(|v| v.replace("%3B", ";").replace("%3b", ";"))
    });
    from_header
        .or(from_query)
        .is_some_and(|signed| signed.split(';').any(|h| h.eq_ignore_ascii_case("range")))
}

/// Sets the request id header, and puts the id into an error body that lacks it.
fn with_request_id(mut response: EdgeResponse, request_id: &str) -> EdgeResponse {
    if let Ok(value) = http::HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-amz-request-id", value);
    }
    if response.status().as_u16() < 300 {
        return response;
    }
    let Some(body) = response.body().bytes() else {
        return response;
    };
    let text = String::from_utf8_lossy(&body);
    if let Some(end) = text
        .rfind("</Error>")
        .filter(|_| !text.contains("<RequestId>"))
    {
        let with_id = format!(
            "{}<RequestId>{request_id}</RequestId>{}",
            &text[..end],
            &text[end..]
        );
        response.headers_mut().remove(http::header::CONTENT_LENGTH);
        *response.body_mut() = s3s::Body::from(with_id);
    }
    response
}

/// How long a client may send nothing in the middle of a request (its headers or its body)
/// before the endpoint gives up on it and closes the connection.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Opens the store at `root` (repairing what a crash left) and serves it on `listen`.
pub async fn serve(
    root: &Path,
    listen: SocketAddr,
    credentials: LocalCredentials,
) -> Result<LocalEndpoint> {
    serve_with(root, listen, credentials, IDLE_TIMEOUT).await
}

/// [`serve`] with another idle timeout (tests use a short one).
pub async fn serve_with(
    root: &Path,
    listen: SocketAddr,
    credentials: LocalCredentials,
    idle: Duration,
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
    let mut builder = s3s::service::S3ServiceBuilder::new(service::LocalS3::new(store, idle));
    let auth = LocalAuth(Arc::new(RwLock::new(credentials)));
    builder.set_auth(auth.clone());
    let service = HttpEdges(builder.build());
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
        let mut http = ConnBuilder::new(TokioExecutor::new());
        // A client that sends half its headers and stalls is dropped, not held forever.
        http.http1()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(idle);
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
