//! A shaped link in front of an S3 server, for benchmarks: `shaped-link UPSTREAM UP DOWN
//! ONE_WAY_MS` (rates in bytes a second, 0 for unlimited) prints its endpoint and forwards
//! until it is killed.

use std::time::Duration;

use strata_testkit::{LinkShape, ShapedLink};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [upstream, up, down, one_way_ms] = args.as_slice() else {
        eprintln!("usage: shaped-link UPSTREAM UP_BYTES_PER_S DOWN_BYTES_PER_S ONE_WAY_MS");
        std::process::exit(2);
    };
    let number = |text: &str| -> u64 {
        text.parse().unwrap_or_else(|_| {
            eprintln!("not a number: {text}");
            std::process::exit(2)
        })
    };
    let shape = LinkShape {
        up: number(up),
        down: number(down),
        one_way: Duration::from_millis(number(one_way_ms)),
    };
    let link = ShapedLink::start(upstream, shape).await;
    println!("{}", link.endpoint);
    std::future::pending::<()>().await;
}
