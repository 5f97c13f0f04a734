//! Real S3 servers for tests, each on 127.0.0.1 with a free port:
//!
//! - [`S3sFs`]: s3s-fs 0.14.1 in-process (checks SigV4 signatures).
//! - [`Moto`]: moto's server as a child process, from the virtualenv the test command makes
//!   (`.venv/`), or `STRATA_MOTO_SERVER`. Optionally with IAM authentication switched on.
//! - [`CannedServer`]: a stand-in that answers every request with one canned response, for
//!   what no local server produces on demand (clock skew, an AWS SSO portal). Tests that use it
//!   say so.
//!
//! - [`FaultProxy`]: a proxy in front of any of them that fails requests or alters answers
//!   on a test's rule.
//! - [`ShapedLink`]: a TCP link in front of any of them with a bandwidth per direction, a
//!   one-way delay, and a connection that stops moving mid-body.
//!
//! A missing server is a test failure that says how to install it, never a skip.

mod link;
mod proxy;

pub use link::{LinkShape, ShapedLink};
pub use proxy::{Fault, FaultProxy};

use std::net::{SocketAddr, TcpListener as StdListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub const ACCESS_KEY: &str = "AKTESTKEY0001";
pub const SECRET_KEY: &str = "TestSecret0001abcdefghijklmnop";

/// The repository root (this crate lives in crates/testkit).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port on 127.0.0.1")
}

/// s3s-fs serving a temporary folder, with signature checks for [`ACCESS_KEY`]/[`SECRET_KEY`].
pub struct S3sFs {
    pub endpoint: String,
    _root: tempfile::TempDir,
    server: tokio::task::JoinHandle<()>,
}

impl S3sFs {
    /// Starts on the current tokio runtime; the server stops when this is dropped.
    pub async fn start() -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        let fs = s3s_fs::FileSystem::new(root.path()).expect("s3s-fs root");
        let mut builder = s3s::service::S3ServiceBuilder::new(fs);
        builder.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = builder.build();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = tokio::spawn(async move {
            let http = ConnBuilder::new(TokioExecutor::new());
            while let Ok((socket, _)) = listener.accept().await {
                let conn = http
                    .serve_connection(TokioIo::new(socket), service.clone())
                    .into_owned();
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
        });
        Self {
            endpoint: format!("http://{addr}"),
            _root: root,
            server,
        }
    }
}

impl Drop for S3sFs {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// moto's S3 server in its own process; killed on drop.
pub struct Moto {
    pub endpoint: String,
    pub port: u16,
    child: Child,
}

impl Moto {
    /// moto without authentication: any key works, like its default.
    pub fn start() -> Self {
        Self::spawn(None, None)
    }

    /// moto without authentication, writing its request log (one line per request) to `log`.
    pub fn start_logged(log: &std::path::Path) -> Self {
        Self::spawn(None, Some(log))
    }

    /// moto with IAM authentication on: the first `open_requests` requests are let through
    /// unauthenticated (to create users and keys), every later one is checked.
    pub fn start_with_iam(open_requests: u32) -> Self {
        Self::spawn(Some(open_requests), None)
    }

    /// moto whose SSE-KMS objects have ETags that are not their MD5, as on S3 (moto's own
    /// are MD5s): `servers/moto_sse_kms.py`. A bucket with default encryption `aws:kms`
    /// makes every object written to it such an object.
    pub fn start_sse_kms() -> Self {
        Self::spawn_with(Some("moto_sse_kms.py"), None, None)
    }

    /// Starts moto on a free port. The port is free when chosen but may be taken before moto
    /// binds it (by a parallel test): moto then exits, and another port is tried.
    fn spawn(open_requests: Option<u32>, log: Option<&std::path::Path>) -> Self {
        Self::spawn_with(None, open_requests, log)
    }

    /// Starts moto's server, or the script in `servers/` named `patched`, which changes it.
    fn spawn_with(
        patched: Option<&str>,
        open_requests: Option<u32>,
        log: Option<&std::path::Path>,
    ) -> Self {
        for _ in 0..5 {
            if let Some(moto) = Self::try_spawn(patched, open_requests, log) {
                return moto;
            }
        }
        panic!("moto_server could not bind a port on 127.0.0.1 in 5 tries");
    }

    fn try_spawn(
        patched: Option<&str>,
        open_requests: Option<u32>,
        log: Option<&std::path::Path>,
    ) -> Option<Self> {
        let binary = moto_binary();
        let port = free_port();
        let mut command = match patched {
            // The Python that runs moto_server has moto installed.
            Some(script) => {
                let mut python = Command::new(binary.with_file_name("python3"));
                python.arg(
                    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("servers")
                        .join(script),
                );
                python
            }
            None => Command::new(&binary),
        };
        command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(match log {
                Some(path) => Stdio::from(std::fs::File::create(path).expect("moto log file")),
                None => Stdio::null(),
            });
        if let Some(n) = open_requests {
            command.env("INITIAL_NO_AUTH_ACTION_COUNT", n.to_string());
        }
        let child = command.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot start moto_server at {}: {e}; run ./scripts/test.sh once to install it",
                binary.display()
            )
        });
        let mut moto = Self {
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        loop {
            if moto.child.try_wait().ok().flatten().is_some() {
                return None;
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                // Whoever answered, moto must still be alive: had another process held the
                // port, moto would have failed to bind it and exited.
                std::thread::sleep(Duration::from_millis(100));
                return moto
                    .child
                    .try_wait()
                    .ok()
                    .flatten()
                    .is_none()
                    .then_some(moto);
            }
            assert!(
                Instant::now() < deadline,
                "moto did not listen on port {port} within 60 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn moto_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("STRATA_MOTO_SERVER") {
        return PathBuf::from(path);
    }
    let venv = repo_root().join(".venv/bin/moto_server");
    if venv.exists() {
        return venv;
    }
    panic!(
        "moto_server not found at {}: run ./scripts/test.sh (it installs moto[server] into .venv), \
         or set STRATA_MOTO_SERVER",
        venv.display()
    );
}

pub fn wait_for_port(port: u16, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nothing listened on port {port} within {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
pub fn dead_endpoint() -> String {
    format!("http://127.0.0.1:{}", free_port())
}

/// A stand-in server that answers every request with one canned response and records the
/// request heads it saw. Used only for what no local server produces on demand (clock skew, an
/// AWS SSO portal); the tests that use it say so.
pub struct CannedServer {
    pub endpoint: String,
    heads: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    server: tokio::task::JoinHandle<()>,
}

impl CannedServer {
    pub async fn start(status: u16, content_type: &'static str, body: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let heads = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = std::sync::Arc::clone(&heads);
        let server = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (seen, body) = (std::sync::Arc::clone(&seen), body.clone());
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    seen.lock()
                        .expect("heads")
                        .push(String::from_utf8_lossy(&head).into_owned());
                    let response = format!(
                        "HTTP/1.1 {status} Canned\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\
                         connection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(response.as_bytes()).await;
                });
            }
        });
        Self {
            endpoint: format!("http://{addr}"),
            heads,
            server,
        }
    }

    /// Answers every request with `status` and an S3 error document carrying `code`.
    pub async fn s3_error(status: u16, code: &str) -> Self {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
             <Message>injected by the test's stand-in server</Message><RequestId>canned</RequestId></Error>"
        );
        Self::start(status, "application/xml", body).await
    }

    /// The request heads (request line and headers) received so far.
    pub fn requests(&self) -> Vec<String> {
        self.heads.lock().expect("heads").clone()
    }
}

impl Drop for CannedServer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Moto {
    /// Creates an IAM user with an access key through the aws cli (counts as two of the
    /// unauthenticated requests of [`Moto::start_with_iam`]). The user has no policy, so it
    /// may do nothing: its key is valid but every action is denied.
    pub fn create_iam_user(&self, name: &str) -> (String, String) {
        let bootstrap = ("bootstrap", "bootstrap");
        self.aws_iam(bootstrap, &["create-user", "--user-name", name]);
        let key = self.aws_iam(bootstrap, &["create-access-key", "--user-name", name]);
        let field = |f: &str| {
            key["AccessKey"][f]
                .as_str()
                .expect("access key field")
                .to_string()
        };
        (field("AccessKeyId"), field("SecretAccessKey"))
    }

    /// Lets the user do everything (one more unauthenticated request).
    pub fn allow_everything(&self, user: &str) {
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        self.aws_iam(
            ("bootstrap", "bootstrap"),
            &[
                "put-user-policy",
                "--user-name",
                user,
                "--policy-name",
                "all",
                "--policy-document",
                policy,
            ],
        );
    }

    /// Takes that right away again, with the user's own key (which still may, until done).
    pub fn revoke_everything(&self, user: &str, key: (&str, &str)) {
        self.aws_iam(
            key,
            &[
                "delete-user-policy",
                "--user-name",
                user,
                "--policy-name",
                "all",
            ],
        );
    }

    fn aws_iam(&self, (key, secret): (&str, &str), args: &[&str]) -> serde_json::Value {
        let out = Command::new("aws")
            .args(["--endpoint-url", &self.endpoint, "--output", "json", "iam"])
            .args(args)
            .env("AWS_ACCESS_KEY_ID", key)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .output()
            .expect("the aws cli is needed: run ./scripts/test.sh once to install it");
        assert!(
            out.status.success(),
            "aws iam {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if out.stdout.is_empty() {
            return serde_json::Value::Null;
        }
        serde_json::from_slice(&out.stdout).expect("aws cli JSON")
    }
}

/// A plain SDK client (path-style, us-east-1) for setting up a server's state in a test,
/// independently of the engine under test.
pub fn sdk_client(endpoint: &str, access_key: &str, secret: &str) -> aws_sdk_s3::Client {
    let credentials = aws_sdk_s3::config::Credentials::new(access_key, secret, None, None, "test");
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(credentials)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// Creates `names` as buckets through [`sdk_client`].
pub async fn create_buckets(endpoint: &str, access_key: &str, secret: &str, names: &[&str]) {
    let client = sdk_client(endpoint, access_key, secret);
    for name in names {
        client
            .create_bucket()
            .bucket(*name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("create bucket {name} at {endpoint}: {e:?}"));
    }
}

/// Puts `data` at `bucket/key` as a multipart upload of `part` bytes a part, as another tool
/// with another part size would.
pub async fn put_in_parts(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    data: &[u8],
    part: usize,
) {
    use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
    let upload = client
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect("create a multipart upload");
    let id = upload.upload_id().expect("an upload id");
    let mut completed = Vec::new();
    for (i, chunk) in data.chunks(part).enumerate() {
        let number = i as i32 + 1;
        let sent = client
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(id)
            .part_number(number)
            .body(chunk.to_vec().into())
            .send()
            .await
            .expect("upload a part");
        completed.push(
            CompletedPart::builder()
                .part_number(number)
                .e_tag(sent.e_tag().expect("a part's ETag"))
                .build(),
        );
    }
    client
        .complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(completed))
                .build(),
        )
        .send()
        .await
        .expect("complete the upload");
}

/// Creates `bucket` at `endpoint` (the test key pair) with default encryption SSE-KMS, so that
/// every object written to it is encrypted with KMS; on [`Moto::start_sse_kms`] their ETags
/// are then not MD5s. Checks that they are not, so a test cannot pass on MD5 ETags.
pub async fn create_kms_bucket(endpoint: &str, bucket: &str) {
    use aws_sdk_s3::types::{
        ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
        ServerSideEncryptionRule,
    };
    let client = sdk_client(endpoint, ACCESS_KEY, SECRET_KEY);
    create_buckets(endpoint, ACCESS_KEY, SECRET_KEY, &[bucket]).await;
    let by_default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::AwsKms)
        .build()
        .expect("an algorithm");
    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(by_default)
        .build();
    let configuration = ServerSideEncryptionConfiguration::builder()
        .rules(rule)
        .build()
        .expect("a rule");
    client
        .put_bucket_encryption()
        .bucket(bucket)
        .server_side_encryption_configuration(configuration)
        .send()
        .await
        .expect("default encryption");
    let probe = client
        .put_object()
        .bucket(bucket)
        .key("kms-probe")
        .body(b"probe".to_vec().into())
        .send()
        .await
        .expect("a probe object");
    assert_eq!(
        probe.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    assert_ne!(
        probe.e_tag().map(|e| e.trim_matches('"')),
        Some("8da843ff65205a61374b09b81ed0fa35"),
        "the probe's ETag is the MD5 of its bytes: start the server with Moto::start_sse_kms"
    );
    client
        .delete_object()
        .bucket(bucket)
        .key("kms-probe")
        .send()
        .await
        .expect("delete the probe");
}

/// A plain HTTP/1.1 request (no signing), for presigned URLs and anonymous access.
/// Returns the status code and the body.
pub async fn http_request(method: &str, url: &str) -> (u16, Vec<u8>) {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    let mut body = response[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    (status, body)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
    out
}

/// `strata serve-local` as a child process, with the connection details it printed.
pub struct ServeLocal {
    pub endpoint: String,
    pub access_key_id: String,
    pub secret: String,
    pub child: Child,
}

impl ServeLocal {
    /// `serve-local` on a data folder's own store (the one its `local` profile uses), as a
    /// user runs it for another S3 tool.
    pub fn on_data_folder(binary: &str, data: &std::path::Path) -> Self {
        Self::spawn(binary, data, &data.join("local"), &[])
    }

    /// Starts `binary serve-local --dir dir` with `STRATA_HOME=home` and `env`, and reads the
    /// four lines it prints before serving.
    pub fn spawn(
        binary: &str,
        home: &std::path::Path,
        dir: &std::path::Path,
        env: &[(&str, &str)],
    ) -> Self {
        use std::io::BufRead;
        let mut command = Command::new(binary);
        command
            .args(["serve-local", "--dir"])
            .arg(dir)
            .env("STRATA_HOME", home)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("start strata serve-local");
        let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut field = |name: &str| {
            let line = lines
                .next()
                .expect("serve-local printed too little")
                .expect("read stdout");
            line.strip_prefix(&format!("{name}: "))
                .unwrap_or_else(|| panic!("expected {name}, got {line}"))
                .to_string()
        };
        let endpoint = field("endpoint");
        assert_eq!(field("region"), "us-east-1");
        let access_key_id = field("access key id");
        let secret = field("secret access key");
        Self {
            endpoint,
            access_key_id,
            secret,
            child,
        }
    }

    pub fn client(&self) -> aws_sdk_s3::Client {
        sdk_client(&self.endpoint, &self.access_key_id, &self.secret)
    }

    /// SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the process to end by itself (an armed failpoint aborts it).
    pub fn wait_for_exit(&mut self) -> std::process::ExitStatus {
        self.child.wait().expect("wait for serve-local")
    }
}

impl Drop for ServeLocal {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Files under `dir`, recursively (0 when it does not exist).
pub fn count_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.expect("dir entry").path())
                .map(|p| if p.is_dir() { count_files(&p) } else { 1 })
                .sum()
        })
        .unwrap_or(0)
}
