//! Fills a bucket with COUNT small objects under PREFIX as fast as the server takes them, for
//! the listing benchmarks (bench/objects.sh).
//! usage: fill_prefix ENDPOINT ACCESS_KEY SECRET BUCKET PREFIX COUNT

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use futures_util::StreamExt;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, endpoint, key, secret, bucket, prefix, count] = args.as_slice() else {
        eprintln!("usage: fill_prefix ENDPOINT ACCESS_KEY SECRET BUCKET PREFIX COUNT");
        std::process::exit(2);
    };
    let count: usize = count.parse().expect("COUNT is a number");
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new(key, secret, None, None, "bench"))
        .build();
    let client = aws_sdk_s3::Client::from_conf(config);
    let _ = client.create_bucket().bucket(bucket).send().await;
    let started = std::time::Instant::now();
    futures_util::stream::iter(0..count)
        .for_each_concurrent(64, |i| {
            let client = client.clone();
            async move {
                client
                    .put_object()
                    .bucket(bucket)
                    .key(format!("{prefix}IMG_{i:07}.CR3"))
                    .body(ByteStream::from_static(b"x"))
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("put {i}: {e}"));
                if i % 100_000 == 0 && i > 0 {
                    eprintln!("{i} objects, {:.0} s", started.elapsed().as_secs_f64());
                }
            }
        })
        .await;
    eprintln!(
        "{count} objects in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
