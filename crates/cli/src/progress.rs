//! The engine's progress events on stderr while a command runs: JSON lines with `--json`,
//! one updating line on a terminal, nothing otherwise.

use std::io::IsTerminal;

use strata_core::Engine;
use strata_core::jobs::Event;

/// Runs `work` while printing progress; every event sent before it returned is printed.
pub async fn while_showing<T>(
    engine: &Engine,
    json_mode: bool,
    work: impl Future<Output = T>,
) -> T {
    let (stop, progress) = show_progress(engine, json_mode);
    let outcome = work.await;
    // Every event was sent before the command returned: the printer drains them, then ends.
    let _ = stop.send(());
    let _ = progress.await;
    if !json_mode && std::io::stderr().is_terminal() {
        eprint!("\r\x1b[2K");
    }
    outcome
}

/// Bytes in words: `1.5 GiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Prints progress until told to stop, then what is still queued.
fn show_progress(
    engine: &Engine,
    json_mode: bool,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    use tokio::sync::broadcast::error::{RecvError, TryRecvError};
    let mut events = engine.events();
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let terminal = std::io::stderr().is_terminal();
    let print = move |event: Event| {
        if json_mode {
            if let Ok(line) = serde_json::to_string(&event) {
                eprintln!("{line}");
            }
            return;
        }
        let text = match event {
            _ if !terminal => return,
            Event::JobProgress {
                action,
                done,
                items,
                ..
            } if action == "listing" || action == "details" || action == "emptying" => {
                let what = match action.as_str() {
                    "listing" => "listing: buckets",
                    "details" => "reading regions and access",
                    _ => "emptying: deleted",
                };
                match items {
                    Some(items) => format!("{what}: {done} of {items}"),
                    None => format!("{what}: {done}"),
                }
            }
            Event::JobProgress {
                action,
                done,
                bytes: size,
                total,
                ..
            } => match total {
                Some(total) => format!("{action}: {} of {}", bytes(size), bytes(total)),
                None => format!("{action}: {done} objects, {}", bytes(size)),
            },
            _ => return,
        };
        eprint!("\r\x1b[2K{text}");
    };
    let task = tokio::spawn(async move {
        loop {
            tokio::select! {
                biased;
                event = events.recv() => match event {
                    Ok(event) => print(event),
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => break,
                },
                _ = &mut stopped => {
                    loop {
                        match events.try_recv() {
                            Ok(event) => print(event),
                            Err(TryRecvError::Lagged(_)) => continue,
                            Err(_) => break,
                        }
                    }
                    break;
                }
            }
        }
    });
    (stop, task)
}
