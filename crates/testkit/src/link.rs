//! A shaped network link on 127.0.0.1 in front of a real server: a TCP proxy that meters each
//! direction with one token bucket shared by all its connections (a home uplink is shared by
//! every part in flight), delays every chunk by a fixed one-way time, and can make one
//! connection stop moving in the middle of a body, as a dropped Wi-Fi or a dead NAT entry
//! does, while later connections go through.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::mpsc;

/// What the link is like.
#[derive(Debug, Clone, Copy)]
pub struct LinkShape {
    /// Bytes per second from the client to the server; 0 is unlimited.
    pub up: u64,
    /// Bytes per second from the server to the client; 0 is unlimited.
    pub down: u64,
    /// Added to every chunk in each direction (half the round trip).
    pub one_way: Duration,
}

/// A rate shared by every connection in one direction.
struct Meter {
    rate: u64,
    /// Tokens (bytes) available, and when they were last topped up.
    bucket: Mutex<(f64, Instant)>,
}

impl Meter {
    fn new(rate: u64) -> Self {
        Self {
            rate,
            bucket: Mutex::new((0.0, Instant::now())),
        }
    }

    /// Waits until `want` bytes may pass (at most a tenth of a second's worth at once) and
    /// returns how many.
    async fn take(&self, want: usize) -> usize {
        if self.rate == 0 {
            return want;
        }
        let burst = (self.rate / 10).max(1024) as f64;
        loop {
            let wait = {
                let mut bucket = self.bucket.lock().unwrap();
                let now = Instant::now();
                let refill = now.duration_since(bucket.1).as_secs_f64() * self.rate as f64;
                bucket.0 = (bucket.0 + refill).min(burst);
                bucket.1 = now;
                if bucket.0 >= 1.0 {
                    let granted = (want as f64).min(bucket.0).floor();
                    bucket.0 -= granted;
                    return granted as usize;
                }
                Duration::from_secs_f64((1.0 - bucket.0) / self.rate as f64)
            };
            tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
        }
    }
}

impl Meter {
    /// Returns tokens taken but not used (a read shorter than allowed).
    fn give_back(&self, unused: usize) {
        if self.rate > 0 && unused > 0 {
            self.bucket.lock().unwrap().0 += unused as f64;
        }
    }
}

/// When connections stop moving: after one carried `after_up` bytes up; the next one only
/// (`every` false) or each of them.
struct StallRule {
    after_up: AtomicU64,
    armed: AtomicBool,
    every: AtomicBool,
}

pub struct ShapedLink {
    pub endpoint: String,
    stall: Arc<StallRule>,
    stalls: Arc<AtomicU64>,
    connections: Arc<AtomicU64>,
    server: tokio::task::JoinHandle<()>,
}

impl ShapedLink {
    pub async fn start(upstream: &str, shape: LinkShape) -> Self {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        // A small receive buffer, so the client meets the link's pace instead of filling
        // megabytes of loopback buffers at once.
        let socket = TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(64 * 1024).expect("buffer");
        socket.set_reuseaddr(true).expect("reuse");
        socket.bind("127.0.0.1:0".parse().unwrap()).expect("bind");
        let listener: TcpListener = socket.listen(128).expect("listen");
        let addr = listener.local_addr().expect("addr");
        let (up, down) = (
            Arc::new(Meter::new(shape.up)),
            Arc::new(Meter::new(shape.down)),
        );
        let stall = Arc::new(StallRule {
            after_up: AtomicU64::new(0),
            armed: AtomicBool::new(false),
            every: AtomicBool::new(false),
        });
        let stalls = Arc::new(AtomicU64::new(0));
        let connections = Arc::new(AtomicU64::new(0));
        let server = {
            let (stall, stalls, connections) = (stall.clone(), stalls.clone(), connections.clone());
            tokio::spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    connections.fetch_add(1, Ordering::SeqCst);
                    let Ok(server) = TcpStream::connect(&upstream).await else {
                        continue;
                    };
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    // Whether this connection stopped moving: both directions freeze.
                    let frozen = Arc::new(AtomicBool::new(false));
                    tokio::spawn(pipe(
                        client_read,
                        server_write,
                        up.clone(),
                        shape.one_way,
                        Some((stall.clone(), stalls.clone())),
                        frozen.clone(),
                    ));
                    tokio::spawn(pipe(
                        server_read,
                        client_write,
                        down.clone(),
                        shape.one_way,
                        None,
                        frozen,
                    ));
                }
            })
        };
        Self {
            endpoint: format!("http://{addr}"),
            stall,
            stalls,
            connections,
            server,
        }
    }

    /// The next connection that carries more than `bytes` up stops moving there for good
    /// (it stays open, silent both ways); the connections after it go through.
    pub fn stall_once_after(&self, bytes: u64) {
        self.stall.after_up.store(bytes, Ordering::SeqCst);
        self.stall.every.store(false, Ordering::SeqCst);
        self.stall.armed.store(true, Ordering::SeqCst);
    }

    /// Every connection that carries more than `bytes` up stops moving there, until
    /// [`Self::stop_stalling`].
    pub fn stall_each_after(&self, bytes: u64) {
        self.stall.after_up.store(bytes, Ordering::SeqCst);
        self.stall.every.store(true, Ordering::SeqCst);
        self.stall.armed.store(true, Ordering::SeqCst);
    }

    /// Connections stop moving no more (those that stopped stay so).
    pub fn stop_stalling(&self) {
        self.stall.armed.store(false, Ordering::SeqCst);
    }

    /// Connections that stopped moving so far.
    pub fn stalls(&self) -> u64 {
        self.stalls.load(Ordering::SeqCst)
    }

    /// Connections opened through the link so far.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for ShapedLink {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Moves bytes from `from` to `to` at the meter's pace, each chunk `delay` late. The reader
/// and the writer run apart, so a delay holds the bytes in flight, not the link.
async fn pipe(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    meter: Arc<Meter>,
    delay: Duration,
    stall: Option<(Arc<StallRule>, Arc<AtomicU64>)>,
    frozen: Arc<AtomicBool>,
) {
    // Bounded, so a slow writer holds the reader back rather than buffering without end.
    let (sender, mut receiver) = mpsc::channel::<(Instant, Vec<u8>)>(64);
    let writer = tokio::spawn(async move {
        while let Some((due, chunk)) = receiver.recv().await {
            tokio::time::sleep_until(due.into()).await;
            if to.write_all(&chunk).await.is_err() {
                return;
            }
        }
        let _ = to.shutdown().await;
    });
    let mut carried = 0u64;
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        if frozen.load(Ordering::SeqCst) {
            // Silent for good: hold the connection open and move nothing.
            std::future::pending::<()>().await;
        }
        let allowed = meter.take(buffer.len()).await;
        let read = match from.read(&mut buffer[..allowed]).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        meter.give_back(allowed - read);
        if frozen.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        carried += read as u64;
        if let Some((rule, stalls)) = &stall
            && rule.armed.load(Ordering::SeqCst)
            && carried > rule.after_up.load(Ordering::SeqCst)
            && (rule.every.load(Ordering::SeqCst) || rule.armed.swap(false, Ordering::SeqCst))
        {
            stalls.fetch_add(1, Ordering::SeqCst);
            frozen.store(true, Ordering::SeqCst);
            continue;
        }
        if sender
            .send((Instant::now() + delay, buffer[..read].to_vec()))
            .await
            .is_err()
        {
            break;
        }
    }
    if frozen.load(Ordering::SeqCst) {
        // A connection that stopped moving tells its other end nothing, not even its close.
        std::future::pending::<()>().await;
    }
    drop(sender);
    let _ = writer.await;
}
