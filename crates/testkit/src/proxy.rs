//! A fault-injecting HTTP proxy on 127.0.0.1 in front of a real server: it forwards requests
//! unchanged (the Host header included, so signatures stay valid) and, where a test's rule
//! says so, fails a request or alters a response, so a test can make a real server fail
//! halfway or drop its pagination.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Forward,
    /// Answer with this status and an S3 `InternalError` document, without forwarding.
    Fail(u16),
    /// Forward, then remove `<ContinuationToken>` from the answer (a server that honours
    /// the page size but cannot continue).
    StripContinuationToken,
    /// Wait this many milliseconds, then forward (a slow or stalled server).
    DelayMs(u64),
    /// Answer 403 AccessDenied without forwarding (a key without the permission).
    Refuse,
    /// Forward, send only the first bytes of the answer's body, then drop the connection
    /// (a bodiless answer is cut before its end too).
    Cut(usize),
    /// Forward, sending the answer's body `chunk` bytes at a time, `every_ms` apart (a slow
    /// line, so a test can stop a transfer in the middle of a body).
    Trickle {
        chunk: usize,
        every_ms: u64,
    },
    /// Answer as a successful copy or upload would, without forwarding (a server that loses
    /// a write it acknowledged).
    Lose,
    /// Forward, then flip a bit of the answer's last body byte (bytes altered on the way).
    Corrupt,
    /// Flip a bit of the request's last body byte, then forward (bytes altered on the way
    /// to the server).
    CorruptRequest,
    /// Forward without the request's `Range` header (a server that ignores ranges and
    /// answers with the whole object).
    DropRange,
    /// Forward, then remove the answer's `x-amz-checksum-*` headers (a server that keeps no
    /// checksums, or does not name them).
    StripChecksums,
    /// Answer a DeleteObjects, without forwarding, as a server that refuses each of its keys
    /// (`AccessDenied` per key, as an object lock or a bucket policy would).
    RefuseEachKey,
}

/// Decides the fault for a request: its head and how many requests came before it.
pub type Rule = dyn Fn(&hyper::http::request::Parts, usize) -> Fault + Send + Sync;

pub struct FaultProxy {
    pub endpoint: String,
    seen: Arc<AtomicUsize>,
    server: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    pub async fn start(
        upstream: &str,
        rule: impl Fn(&hyper::http::request::Parts, usize) -> Fault + Send + Sync + 'static,
    ) -> Self {
        let upstream: SocketAddr = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("an http://127.0.0.1:PORT upstream");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let rule: Arc<Rule> = Arc::new(rule);
        let seen = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&seen);
        let server = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (rule, counter) = (Arc::clone(&rule), Arc::clone(&counter));
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let (rule, counter) = (Arc::clone(&rule), Arc::clone(&counter));
                        async move { Ok::<_, Infallible>(handle(req, upstream, &*rule, &counter).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(socket), service)
                        .await;
                });
            }
        });
        Self {
            endpoint: format!("http://{addr}"),
            seen,
            server,
        }
    }

    /// Requests received so far.
    pub fn requests(&self) -> usize {
        self.seen.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// An answer's body as the fault shapes it: whole, cut short, or trickling.
pub struct Shaped {
    data: Bytes,
    sent: usize,
    /// Where the body ends.
    end: usize,
    /// Whether the connection breaks at `end`, before the whole body was sent.
    cut: bool,
    chunk: usize,
    every: Option<std::time::Duration>,
    pause: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl Shaped {
    fn whole(data: Bytes) -> Self {
        let end = data.len();
        Self {
            data,
            sent: 0,
            end,
            cut: false,
            chunk: usize::MAX,
            every: None,
            pause: None,
        }
    }
}

impl hyper::body::Body for Shaped {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>> {
        use std::task::Poll;
        let this = &mut *self;
        if let Some(pause) = this.pause.as_mut() {
            if pause.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            this.pause = None;
        }
        if this.sent >= this.end {
            return Poll::Ready(
                (this.end < this.data.len())
                    .then(|| Err(std::io::Error::other("connection cut by the fault proxy"))),
            );
        }
        let n = this.chunk.min(this.end - this.sent);
        let frame = this.data.slice(this.sent..this.sent + n);
        this.sent += n;
        if let Some(every) = this.every {
            this.pause = Some(Box::pin(tokio::time::sleep(every)));
        }
        Poll::Ready(Some(Ok(hyper::body::Frame::data(frame))))
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        // A cut body announces more than it sends, so the client sees it end too soon.
        let announced = if self.cut {
            self.data.len().max(self.end + 1)
        } else {
            self.data.len()
        };
        hyper::body::SizeHint::with_exact(announced as u64)
    }
}

async fn handle(
    req: Request<Incoming>,
    upstream: SocketAddr,
    rule: &Rule,
    counter: &AtomicUsize,
) -> Response<Shaped> {
    let (mut parts, body) = req.into_parts();
    let head_request = parts.method == hyper::Method::HEAD;
    let fault = rule(&parts, counter.fetch_add(1, Ordering::SeqCst));
    if let Fault::DelayMs(ms) = fault {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
    let refusal = match fault {
        Fault::Fail(status) => Some((status, "InternalError")),
        Fault::Refuse => Some((403, "AccessDenied")),
        _ => None,
    };
    if fault == Fault::Lose {
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CopyObjectResult>\
                    <ETag>\"00000000000000000000000000000000\"</ETag></CopyObjectResult>";
        return Response::builder()
            .status(200)
            .header("content-type", "application/xml")
            .header("etag", "\"00000000000000000000000000000000\"")
            .body(Shaped::whole(Bytes::from(body)))
            .expect("response");
    }
    if fault == Fault::RefuseEachKey {
        let asked = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let asked = String::from_utf8_lossy(&asked);
        let refused: String = asked
            .split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split_once("</Key>"))
            .map(|(key, _)| {
                format!(
                    "<Error><Key>{key}</Key><Code>AccessDenied</Code>\
                     <Message>refused by the test's fault proxy</Message></Error>"
                )
            })
            .collect();
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DeleteResult>{refused}</DeleteResult>"
        );
        return Response::builder()
            .status(200)
            .header("content-type", "application/xml")
            .body(Shaped::whole(Bytes::from(body)))
            .expect("response");
    }
    if let Some((status, code)) = refusal {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
             <Message>injected by the test's fault proxy</Message></Error>"
        );
        return Response::builder()
            .status(status)
            .header("content-type", "application/xml")
            .body(Shaped::whole(Bytes::from(body)))
            .expect("response");
    }
    let mut body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if fault == Fault::CorruptRequest {
        body = flip_last_bit(body);
    }
    if fault == Fault::DropRange {
        parts.headers.remove("range");
    }
    let stream = TcpStream::connect(upstream).await.expect("upstream");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let answer = sender
        .send_request(Request::from_parts(parts, Full::new(body)))
        .await
        .expect("upstream answer");
    let (mut head, body) = answer.into_parts();
    let mut body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if fault == Fault::Corrupt {
        body = flip_last_bit(body);
    }
    if fault == Fault::StripChecksums {
        let named: Vec<_> = head
            .headers
            .keys()
            .filter(|name| name.as_str().starts_with("x-amz-checksum-"))
            .cloned()
            .collect();
        for name in named {
            head.headers.remove(name);
        }
    }
    if fault == Fault::StripContinuationToken {
        let text = String::from_utf8_lossy(&body).into_owned();
        if let (Some(start), Some(end)) = (
            text.find("<ContinuationToken>"),
            text.find("</ContinuationToken>"),
        ) {
            let stripped = format!(
                "{}{}",
                &text[..start],
                &text[end + "</ContinuationToken>".len()..]
            );
            body = Bytes::from(stripped);
        }
    }
    // The body was collected (and may have changed): its length is set anew. A HEAD answer's
    // Content-Length describes the object, not this empty body: it stays.
    if !head_request {
        head.headers.remove("content-length");
    }
    head.headers.remove("transfer-encoding");
    let mut shaped = Shaped::whole(body);
    match fault {
        Fault::Cut(after) => {
            shaped.end = after.min(shaped.data.len());
            shaped.cut = true;
        }
        Fault::Trickle { chunk, every_ms } => {
            shaped.chunk = chunk.max(1);
            shaped.every = Some(std::time::Duration::from_millis(every_ms));
        }
        _ => {}
    }
    Response::from_parts(head, shaped)
}

fn flip_last_bit(body: Bytes) -> Bytes {
    let mut altered = body.to_vec();
    if let Some(last) = altered.last_mut() {
        *last ^= 1;
    }
    Bytes::from(altered)
}
