//! S3 clients and S3 errors.
//!
//! One HTTP client (hyper + rustls with ring, the platform's root certificates) serves every
//! S3 client, so connections are pooled process-wide. Clients are built once per profile and
//! region from its endpoint and addressing style, and kept ([`Account`]); credentials are either the profile's static keys or
//! an aws-config provider that resolves an AWS shared-config profile at use. Checksums are
//! sent only when an operation requires them, since several providers reject the newer
//! default headers. [`error_from_sdk`] turns any SDK failure into one engine error.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::provider::error::CredentialsError;
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, IdentityCache, Region, RequestChecksumCalculation, ResponseChecksumValidation,
    SharedIdentityCache,
};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

pub(crate) mod moving;
pub(crate) mod region;

use crate::error::{Error, ErrorCode, Retry};
use crate::profile::{AwsSource, Profile, Provider};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A whole operation (all attempts) for metadata calls; requests with bodies set their own
/// ([`moving`]).
const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);

/// How a client authenticates.
#[derive(Clone)]
pub(crate) enum Auth {
    Static {
        access_key_id: String,
        secret: String,
    },
    AwsProfile(AwsSource),
}

pub(crate) fn http_client() -> SharedHttpClient {
    static CLIENT: OnceLock<SharedHttpClient> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            aws_smithy_http_client::Builder::new()
                .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
                .build_https()
        })
        .clone()
}

/// A saved profile ready to talk S3: its settings, one credentials provider with one identity
/// cache (so SSO or assume-role credentials are resolved once and refreshed before they
/// expire, not fetched per request), and one client per (region, attempts), made on first use.
/// The engine keeps one per profile revision (see `Engine::account`).
pub(crate) struct Account {
    pub profile: Profile,
    pub(crate) revision: i64,
    credentials: SharedCredentialsProvider,
    identity_cache: SharedIdentityCache,
    clients: Mutex<HashMap<(String, u32), aws_sdk_s3::Client>>,
    /// Buckets' regions as learned in this process (the catalog keeps listed ones too).
    regions: Mutex<HashMap<String, String>>,
    /// Whether the server really URL-encodes listings it is asked to (some echo
    /// `EncodingType=url` and send keys raw); learned on the first listing.
    pub(crate) encodes_listings: tokio::sync::OnceCell<bool>,
}

impl Account {
    pub fn known_region(&self, bucket: &str) -> Option<String> {
        let regions = self.regions.lock().unwrap_or_else(|p| p.into_inner());
        regions.get(bucket).cloned()
    }

    /// Remembers (`Some`) or forgets (`None`) a bucket's region.
    pub fn remember_region(&self, bucket: &str, region: Option<&str>) {
        let mut regions = self.regions.lock().unwrap_or_else(|p| p.into_inner());
        match region {
            Some(region) => regions.insert(bucket.to_string(), region.to_string()),
            None => regions.remove(bucket),
        };
    }

    pub fn new(profile: Profile, auth: Auth, revision: i64) -> Self {
        let credentials = credentials_provider(auth, Region::new(profile.region.clone()));
        Self {
            profile,
            revision,
            credentials,
            identity_cache: IdentityCache::lazy().build(),
            clients: Mutex::new(HashMap::new()),
            regions: Mutex::new(HashMap::new()),
            encodes_listings: tokio::sync::OnceCell::new(),
        }
    }

    /// A client signing for the profile's own region.
    pub fn client(&self, max_attempts: u32) -> aws_sdk_s3::Client {
        self.client_in(&self.profile.region, max_attempts)
    }

    /// A client signing for `region` (a bucket's own region).
    pub fn client_in(&self, region: &str, max_attempts: u32) -> aws_sdk_s3::Client {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        clients
            .entry((region.to_string(), max_attempts))
            .or_insert_with(|| self.build_client(region, max_attempts))
            .clone()
    }

    /// Where requests go, for messages.
    pub fn label(&self) -> String {
        endpoint_label(&self.profile)
    }

    fn build_client(&self, region: &str, max_attempts: u32) -> aws_sdk_s3::Client {
        let mut config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(http_client())
            .region(Region::new(region.to_string()))
            .credentials_provider(self.credentials.clone())
            .identity_cache(self.identity_cache.clone())
            .force_path_style(self.profile.path_style)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .retry_config(RetryConfig::standard().with_max_attempts(max_attempts))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .operation_timeout(OPERATION_TIMEOUT)
                    .build(),
            );
        if let Some(endpoint) = &self.profile.endpoint {
            config = config.endpoint_url(endpoint);
        }
        aws_sdk_s3::Client::from_conf(config.build())
    }
}

fn credentials_provider(auth: Auth, region: Region) -> SharedCredentialsProvider {
    match auth {
        Auth::Static {
            access_key_id,
            secret,
        } => SharedCredentialsProvider::new(Credentials::new(
            access_key_id,
            secret,
            None,
            None,
            "strata",
        )),
        Auth::AwsProfile(source) => {
            let mut files = EnvConfigFiles::builder();
            files = match source.config_file {
                Some(path) => files.with_file(EnvConfigFileKind::Config, path),
                None => files.include_default_config_file(true),
            };
            files = match source.credentials_file {
                Some(path) => files.with_file(EnvConfigFileKind::Credentials, path),
                None => files.include_default_credentials_file(true),
            };
            let provider_config = ProviderConfig::default()
                .with_http_client(http_client())
                .with_region(Some(region));
            SharedCredentialsProvider::new(
                ProfileFileCredentialsProvider::builder()
                    .configure(&provider_config)
                    .profile_files(files.build())
                    .profile_name(source.profile)
                    .build(),
            )
        }
    }
}

/// Where requests of `profile` go, for messages.
pub(crate) fn endpoint_label(profile: &Profile) -> String {
    match (&profile.endpoint, profile.provider) {
        (Some(url), Provider::Local) => format!("the built-in endpoint ({url})"),
        (Some(url), _) => url.clone(),
        (None, _) => format!("AWS S3 ({})", profile.region),
    }
}

/// Maps any SDK failure to an engine error that says what to do. `target` names where the
/// request went (an endpoint), for the message.
pub(crate) fn error_from_sdk<E>(err: &SdkError<E, HttpResponse>, target: &str) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let status = service.raw().status().as_u16();
            service_error(
                service_code(err).unwrap_or("Unknown"),
                status,
                e.message(),
                target,
            )
        }
        SdkError::TimeoutError(_) => Error::new(
            ErrorCode::EndpointUnreachable,
            format!("{target} did not answer in time: the link is slow or stalled."),
            "Check your network, VPN or proxy, then try again.",
        ),
        SdkError::DispatchFailure(_) | SdkError::ConstructionFailure(_)
            if chain_has::<CredentialsError>(err) =>
        {
            credentials_error(err)
        }
        SdkError::DispatchFailure(failure) => {
            if chain_has::<rustls::Error>(err) {
                return Error::new(
                    ErrorCode::Tls,
                    format!(
                        "The secure connection to {target} failed ({}).",
                        root_cause(err)
                    ),
                    "Check that the endpoint's scheme is right (http:// for a plain server) and \
                     that its certificate is valid for the host name.",
                );
            }
            let why = match failure.as_connector_error() {
                Some(c) if c.is_timeout() => "timed out".to_string(),
                _ => io_kind(err).unwrap_or_else(|| root_cause(err)),
            };
            unreachable_error(target, &why)
        }
        SdkError::ResponseError(_) => Error::new(
            ErrorCode::S3,
            format!(
                "{target} answered, but not like an S3 server ({}).",
                root_cause(err)
            ),
            "Check that the endpoint is the S3 API address of your provider, not its web console.",
        )
        .with_retry(Retry::Transient),
        _ => Error::new(
            ErrorCode::S3,
            format!("The request to {target} failed ({}).", root_cause(err)),
            "Try again; if it keeps failing, check the profile's settings.",
        ),
    }
}

fn service_error(code: &str, status: u16, message: Option<&str>, target: &str) -> Error {
    let detail = message.map(|m| format!(": {m}")).unwrap_or_default();
    let (code_enum, sentence, hint) = match code {
        // s3s-based servers answer NotSignedUp for a key they do not know.
        "InvalidAccessKeyId" | "NotSignedUp" => (
            ErrorCode::InvalidAccessKey,
            "The server does not know this access key id",
            "Check the access key id; it may have been deleted or belong to another account or endpoint.",
        ),
        "SignatureDoesNotMatch" => (
            ErrorCode::SignatureMismatch,
            "The secret access key does not match the access key id",
            "Paste the secret access key again (edit the profile); check the region too.",
        ),
        "RequestTimeTooSkewed" => (
            ErrorCode::ClockSkew,
            "This computer's clock differs too much from the server's",
            "Set the system clock right (enable network time synchronisation) and try again.",
        ),
        "AccessDenied" | "AllAccessDisabled" | "AccountProblem" => (
            ErrorCode::AccessDenied,
            "The key is valid but is not allowed to do this",
            "Ask the account's administrator for the permission, or use a key that has it.",
        ),
        "NoSuchBucket" => (
            ErrorCode::NoSuchBucket,
            "The bucket does not exist",
            "It may have been deleted or renamed; refresh the bucket list.",
        ),
        "NoSuchKey" => (
            ErrorCode::NoSuchKey,
            "There is no object with that key",
            "It may have been deleted or renamed; reload the folder.",
        ),
        "NoSuchUpload" => (
            ErrorCode::NoSuchUpload,
            "The multipart upload no longer exists (completed, aborted or expired)",
            "Start the upload again.",
        ),
        "BucketNotEmpty" => (
            ErrorCode::BucketNotEmpty,
            "The bucket still holds objects, object versions or unfinished uploads",
            "Delete with --force (in the app: type the bucket's name to confirm) to empty it first.",
        ),
        "BucketAlreadyOwnedByYou" => (
            ErrorCode::AlreadyExists,
            "This account owns a bucket with that name already",
            "Use the existing bucket, or choose another name.",
        ),
        "BucketAlreadyExists" => (
            ErrorCode::AlreadyExists,
            "Another account owns a bucket with that name (bucket names are global)",
            "Choose another name, for example with your organisation's name in it.",
        ),
        "NotImplemented" | "InvalidStorageClass" => (
            ErrorCode::Unsupported,
            "The server does not offer this",
            "Use a server or storage class that has it; the S3 code above says what was refused.",
        ),
        "InvalidObjectState" => (
            ErrorCode::NotRestored,
            "The object is in an archival storage class and is not restored",
            "Restore it first (strata restore, or Restore… in the projects view), then try again.",
        ),
        // A body whose Content-MD5 (or signed SHA-256) does not match what arrived.
        "BadDigest" | "InvalidDigest" | "XAmzContentSHA256Mismatch" => (
            ErrorCode::S3,
            "The bytes the server received differ from the ones sent, so it kept none of them",
            "Retry; if it happens again, something between this computer and the server alters data (a proxy, a VPN, faulty hardware).",
        ),
        REDIRECT | "AuthorizationHeaderMalformed" | "IncorrectEndpoint" => (
            ErrorCode::WrongRegion,
            "The bucket is in another region than the request was sent to",
            "Refresh the bucket list so Strata learns the bucket's region, or set the profile's region to it.",
        ),
        _ => {
            let retry = retry_class(code, status);
            return Error::new(
                ErrorCode::S3,
                format!("{target} refused the request ({code}{detail})."),
                match retry {
                    Retry::Throttled => "The server asks to slow down; Strata retries more slowly.",
                    Retry::Transient => "The server is busy or failing; try again in a moment.",
                    Retry::Never => {
                        "Check the profile's endpoint and region; the S3 code above tells support what happened."
                    }
                },
            )
            .with_retry(retry);
        }
    };
    Error::new(code_enum, format!("{sentence} ({code})."), hint)
}

/// How a retry can help with an S3 error code the server answered with `status`.
fn retry_class(code: &str, status: u16) -> Retry {
    match code {
        "SlowDown"
        | "Throttling"
        | "ThrottlingException"
        | "RequestLimitExceeded"
        | "TooManyRequests"
        | "RequestThrottled" => Retry::Throttled,
        "InternalError" | "ServiceUnavailable" | "RequestTimeout" | "ExpiredToken" => {
            Retry::Transient
        }
        _ if status == 429 => Retry::Throttled,
        _ if status >= 500 && status != 501 => Retry::Transient,
        _ => Retry::Never,
    }
}

/// What S3 calls a request sent to the wrong region; a HEAD gets only its status, 301.
const REDIRECT: &str = "PermanentRedirect";

/// Whether a GET that asked for `partNumber` was refused for asking it: by a server that takes
/// no part numbers, or for an empty object, which has no part 1. Such a GET is asked again
/// for the whole object.
pub(crate) fn part_number_refused<E: ProvideErrorMetadata>(
    err: &SdkError<E, HttpResponse>,
) -> bool {
    matches!(
        service_code(err),
        Some("InvalidPartNumber" | "InvalidArgument" | "InvalidRange" | "NotImplemented")
    )
}

/// The S3 error code of a service error (`PermanentRedirect` for a bodiless 301).
pub(crate) fn service_code<E: ProvideErrorMetadata>(
    err: &SdkError<E, HttpResponse>,
) -> Option<&str> {
    let SdkError::ServiceError(service) = err else {
        return None;
    };
    match service.err().code() {
        Some(code) => Some(code),
        None if service.raw().status().as_u16() == 301 => Some(REDIRECT),
        None => None,
    }
}

/// Whether a server says it does not have the operation at all (as opposed to refusing it).
pub(crate) fn is_not_implemented<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    match err {
        SdkError::ServiceError(service) => {
            matches!(
                service_code(err),
                Some("NotImplemented" | "MethodNotAllowed" | "UnsupportedOperation")
            ) || service.raw().status().as_u16() == 501
        }
        _ => false,
    }
}

/// Whether a server refused a request for the checksum algorithm it names rather than for
/// the bucket or key (an older server that does not know CRC64NVME).
pub(crate) fn refuses_checksum_algorithm<E: ProvideErrorMetadata>(
    err: &SdkError<E, HttpResponse>,
) -> bool {
    is_not_implemented(err)
        || matches!(
            service_code(err),
            Some("InvalidArgument" | "InvalidRequest")
        )
}

/// The `x-amz-bucket-region` header of a failed request's response.
pub(crate) fn bucket_region_header<E>(err: &SdkError<E, HttpResponse>) -> Option<String> {
    err.raw_response()?
        .headers()
        .get("x-amz-bucket-region")
        .filter(|r| !r.is_empty())
        .map(str::to_string)
}

fn unreachable_error(target: &str, why: &str) -> Error {
    Error::new(
        ErrorCode::EndpointUnreachable,
        format!("Nothing answered at {target} ({why})."),
        "Check the endpoint URL and that the server is running, then your network, VPN or proxy.",
    )
}

fn credentials_error<E: std::error::Error + 'static>(err: &E) -> Error {
    Error::new(
        ErrorCode::CredentialsUnavailable,
        format!(
            "The credentials could not be obtained ({}).",
            root_cause(err)
        ),
        "For AWS SSO run `aws sso login --profile NAME`; for assume-role or credential_process \
         check that profile in ~/.aws/config.",
    )
}

/// The innermost error's text: the most specific thing to tell a user.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// The kind of the first I/O error in the chain ("connection refused"), plainer than its text.
fn io_kind(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return Some(io.kind().to_string());
        }
        current = e.source();
    }
    None
}

/// Whether an error of type `T` is anywhere in the chain of `err`.
fn chain_has<T: std::error::Error + 'static>(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(e) = current {
        if e.is::<T>() {
            return true;
        }
        // io::Error::source() skips the error it wraps, so step into the wrapped one instead.
        current = match e.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    false
}
