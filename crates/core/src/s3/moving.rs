//! Requests whose bodies take as long as the link needs.
//!
//! A part on a slow uplink takes minutes (four 8 MiB parts sharing 1 MB/s need 33 s each), so
//! a request that carries a body has no overall time limit. Instead its body is handed to the
//! connection in small frames, each of which marks the request as moving, and [`send_body`]
//! gives up on a request that stopped moving: no frame taken for [`STALL`], or, once the whole
//! body was handed over (and may still sit in socket buffers on a slow link), no answer within
//! [`ANSWER_WITHIN`]. A stalled request is sent again on a new connection, a few times.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use aws_runtime::auth::PayloadSigningOverride;
use aws_sdk_s3::client::customize::CustomizableOperation;
use aws_sdk_s3::config::StalledStreamProtectionConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::primitives::{ByteStream, SdkBody};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use bytes::Bytes;

use crate::error::{Error, ErrorCode, Result, Retry};

/// How long a body may hand no byte to its connection before the request counts as stalled.
pub(crate) const STALL: Duration = Duration::from_secs(30);

/// How long the answer may take once the whole body was handed over: what the socket buffers
/// still hold drains at the link's pace first.
pub(crate) const ANSWER_WITHIN: Duration = Duration::from_secs(120);

/// How long the server may work on a copy or a completion before it answers.
const SERVER_WORK_WITHIN: Duration = Duration::from_secs(15 * 60);

/// Frames of this size keep the body's pace close to the connection's.
const FRAME: usize = 64 * 1024;

/// Sends of one body, stalled ones included.
const TRIES: u32 = 3;

/// When a request's body last moved, and whether all of it was handed over.
struct Motion {
    last: Mutex<Instant>,
    handed_over: AtomicBool,
}

impl Motion {
    fn moved(&self) {
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }

    /// Whether the request stopped moving for longer than it may.
    fn stalled(&self) -> bool {
        let idle = self
            .last
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .elapsed();
        let allowed = if self.handed_over.load(Ordering::Relaxed) {
            ANSWER_WITHIN
        } else {
            STALL
        };
        idle > allowed
    }
}

/// A body handed over [`FRAME`] bytes at a time, marking its motion at each.
struct Frames {
    data: Bytes,
    at: usize,
    motion: Arc<Motion>,
}

impl hyper::body::Body for Frames {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<hyper::body::Frame<Bytes>, Infallible>>> {
        let this = &mut *self;
        this.motion.moved();
        if this.at >= this.data.len() {
            this.motion.handed_over.store(true, Ordering::Relaxed);
            return Poll::Ready(None);
        }
        let end = (this.at + FRAME).min(this.data.len());
        let frame = this.data.slice(this.at..end);
        this.at = end;
        Poll::Ready(Some(Ok(hyper::body::Frame::data(frame))))
    }

    fn is_end_stream(&self) -> bool {
        self.at >= self.data.len()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::SizeHint::with_exact((self.data.len() - self.at) as u64)
    }
}

/// How a body is signed: not at all where it cannot be altered on the way (HTTPS, loopback;
/// its Content-MD5 or CRC is the check), else by its SHA-256, computed here since a body sent
/// in frames is not one the SDK can hash.
#[derive(Clone)]
pub(crate) enum BodySigning {
    Unsigned,
    Sha256(String),
}

impl BodySigning {
    /// The signing for `data` sent to a server that `intact` says it arrives at unaltered;
    /// the hash, where one is needed, is made on the blocking pool.
    pub(crate) async fn of(data: &Bytes, intact: bool) -> Self {
        use sha2::{Digest, Sha256};
        if intact {
            return Self::Unsigned;
        }
        let data = data.clone();
        let digest = tokio::task::spawn_blocking(move || Sha256::digest(&data))
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        Self::Sha256(hex_simd::encode_to_string(
            digest,
            hex_simd::AsciiCase::Lower,
        ))
    }
}

/// Puts the body's signing in the request's config bag before it is signed.
#[derive(Debug)]
struct SignBodyAs(PayloadSigningOverride);

impl Intercept for SignBodyAs {
    fn name(&self) -> &'static str {
        "SignBodyAs"
    }

    fn modify_before_signing(
        &self,
        _context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> std::result::Result<(), BoxError> {
        cfg.interceptor_state().store_put(self.0.clone());
        Ok(())
    }
}

/// No limit on a whole operation; an attempt's limit where there is one.
fn without_overall_limit(attempt: Option<Duration>) -> aws_sdk_s3::config::Builder {
    let timeouts = TimeoutConfig::builder().disable_operation_timeout();
    let timeouts = match attempt {
        Some(limit) => timeouts.operation_attempt_timeout(limit),
        None => timeouts.disable_operation_attempt_timeout(),
    };
    aws_sdk_s3::Config::builder().timeout_config(timeouts.build())
}

/// A request that carries a body: no time limit but the stall watch of [`send_body`], the
/// body signed as `signing` says.
pub(crate) fn unbounded<T, E, B>(
    request: CustomizableOperation<T, E, B>,
    signing: &BodySigning,
) -> CustomizableOperation<T, E, B> {
    let signing = match signing {
        BodySigning::Unsigned => PayloadSigningOverride::UnsignedPayload,
        BodySigning::Sha256(hex) => PayloadSigningOverride::Precomputed(hex.clone()),
    };
    // The SDK's own upload check fails a body that its connection has not taken for 5 s
    // (parts sharing a slow link wait that long for their turn); the watch above replaces it.
    let config = without_overall_limit(None)
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled());
    request
        .config_override(config)
        .interceptor(SignBodyAs(signing))
}

/// A request the server may work on for minutes before it answers (a copy of up to 5 GiB,
/// the completion of thousands of parts): [`SERVER_WORK_WITHIN`] an attempt.
pub(crate) fn server_work<T, E, B>(
    request: CustomizableOperation<T, E, B>,
) -> CustomizableOperation<T, E, B> {
    request.config_override(without_overall_limit(Some(SERVER_WORK_WITHIN)))
}

/// Sends `data` through `send` (which builds the request around the body it is given and
/// sends it, [`unbounded`]), again on a new connection when the request stops moving.
/// `target` names the endpoint, for the message.
pub(crate) async fn send_body<T, F, Fut>(target: &str, data: Bytes, mut send: F) -> Result<T>
where
    F: FnMut(ByteStream) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    for attempt in 1..=TRIES {
        let motion = Arc::new(Motion {
            last: Mutex::new(Instant::now()),
            handed_over: AtomicBool::new(false),
        });
        let body = {
            let (data, motion) = (data.clone(), Arc::clone(&motion));
            // The SDK makes the body anew for each of its own retries.
            SdkBody::retryable(move || {
                motion.handed_over.store(false, Ordering::Relaxed);
                motion.moved();
                SdkBody::from_body_1_x(Frames {
                    data: data.clone(),
                    at: 0,
                    motion: Arc::clone(&motion),
                })
            })
        };
        let request = send(ByteStream::new(body));
        tokio::pin!(request);
        loop {
            tokio::select! {
                answer = &mut request => return answer,
                () = tokio::time::sleep(Duration::from_secs(1)) => {
                    if motion.stalled() {
                        tracing::warn!(attempt, "a request to {target} stopped moving; sending it again");
                        break;
                    }
                }
            }
        }
    }
    Err(stalled(target))
}

fn stalled(target: &str) -> Error {
    Error::new(
        ErrorCode::EndpointUnreachable,
        format!(
            "The link to {target} stopped moving: no byte went through for {} s, {TRIES} times \
             in a row.",
            STALL.as_secs()
        ),
        "Check the network connection, then resume: what the server acknowledged is kept.",
    )
    .with_retry(Retry::Transient)
}
