//! Times the bucket catalog's queries on a data folder whose profile was refreshed already
//! (bench/catalog.sh makes one with 100,000 buckets): letter pages, pages at any offset (the
//! virtual list scrolling), the A–Z index, and searches as the app runs them (count and first
//! page). Each goes through the engine as the app and the CLI call it. Prints a Markdown table
//! of median and p99 over many runs.
//!
//! `cargo run --release -p strata-core --example catalog_bench -- DATA_DIR [PROFILE]`

use std::time::{Duration, Instant};

use strata_core::buckets::{BucketFilter, Visibility};
use strata_core::{DataDir, Engine};

const RUNS: usize = 200;
const PAGE: u32 = 100;

fn filter(search: Option<&str>, letter: Option<&str>) -> BucketFilter {
    BucketFilter {
        search: search.map(str::to_string),
        letter: letter.map(str::to_string),
        visibility: None,
    }
}

/// Runs `query` RUNS times (after one warm-up) and returns the median and p99.
async fn measure<F, Fut>(mut query: F) -> (Duration, Duration)
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = ()>,
{
    query(0).await;
    let mut times = Vec::with_capacity(RUNS);
    for run in 0..RUNS {
        let start = Instant::now();
        query(run).await;
        times.push(start.elapsed());
    }
    times.sort();
    (times[RUNS / 2], times[RUNS * 99 / 100])
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let home = args
        .next()
        .ok_or("usage: catalog_bench DATA_DIR [PROFILE]")?;
    let profile = args.next().unwrap_or_else(|| "local".into());
    let engine = Engine::open(DataDir::at(std::path::Path::new(&home))?)?;
    // The first call reads the list into memory, as the first after any change to it does.
    let start = Instant::now();
    let index = engine
        .bucket_index(&profile, BucketFilter::default())
        .await?;
    let first = start.elapsed();
    let total = index.total;
    println!(
        "Catalog of \"{profile}\": {total} buckets. Median and p99 of {RUNS} runs, through the engine (blocking pool + SQLite); the list is read into memory once, in {}, and again after each change to it.\n",
        ms(first)
    );
    println!("| query | rows returned | median | p99 |\n| --- | --- | --- | --- |");
    let letters: Vec<String> = index.letters.iter().map(|l| l.letter.clone()).collect();
    let row = |name: &str, rows: String, (median, p99): (Duration, Duration)| {
        println!("| {name} | {rows} | {} | {} |", ms(median), ms(p99));
    };

    let e = &engine;
    let p = profile.as_str();
    let timing = measure(|run| {
        let letter = letters[run % letters.len()].clone();
        async move {
            e.bucket_list(p, filter(None, Some(&letter)), 0, Some(PAGE))
                .await
                .unwrap();
        }
    })
    .await;
    row(
        "letter page (first 100 of a letter, letters in turn)",
        "100".into(),
        timing,
    );

    let timing = measure(|run| async move {
        // Spread over the whole list, as a scrolled virtual list asks.
        let offset = (run as u32 * 7_919) % total.max(1);
        e.bucket_list(p, BucketFilter::default(), offset, Some(PAGE))
            .await
            .unwrap();
    })
    .await;
    row("page at any offset (scrolling)", "100".into(), timing);

    let timing = measure(|_| async move {
        e.bucket_index(p, BucketFilter::default()).await.unwrap();
    })
    .await;
    row("A–Z index with counts (27 letters)", "27".into(), timing);

    for term in ["photo", "-0420", "7", "no-such-name"] {
        let matches = e.bucket_index(p, filter(Some(term), None)).await?.total;
        let timing = measure(|run| async move {
            // The engine keeps the last search's rows for the page that follows its counts:
            // alternating the visibility (every bucket here is private, so the rows are the
            // same) makes each run scan afresh, as a new keystroke does.
            let mut search = filter(Some(term), None);
            if run % 2 == 1 {
                search.visibility = Some(Visibility::Private);
            }
            e.bucket_index(p, search.clone()).await.unwrap();
            e.bucket_list(p, search, 0, Some(PAGE)).await.unwrap();
        })
        .await;
        row(
            &format!("search \"{term}\" (count + first page)"),
            format!("{matches} match, {} shown", matches.min(PAGE)),
            timing,
        );
    }
    Ok(())
}
