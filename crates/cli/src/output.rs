//! How results and errors reach the terminal: one JSON document on stdout with `--json`,
//! words otherwise; errors as `{"error": {...}}` or `error:` / `hint:` lines on stderr.

use serde::Serialize;
use serde_json::json;
use strata_core::{Error, ErrorCode};

/// Exit status of a failure: 2 for input refused before any I/O, 1 for everything else.
pub fn exit_code(err: &Error) -> u8 {
    if err.code == ErrorCode::InvalidInput {
        2
    } else {
        1
    }
}

/// The contract's error document, fields in its order.
#[derive(Serialize)]
struct ErrorDoc<'a> {
    error: ErrorBody<'a>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: ErrorCode,
    message: &'a str,
    hint: &'a str,
}

pub fn error(json_mode: bool, err: &Error) {
    if json_mode {
        let body = ErrorBody {
            code: err.code,
            message: &err.message,
            hint: &err.hint,
        };
        result(true, &ErrorDoc { error: body }, String::new);
    } else {
        eprintln!("error: {}", err.message);
        if !err.hint.is_empty() {
            eprintln!("hint: {}", err.hint);
        }
    }
}

pub fn warning(json_mode: bool, text: &str) {
    if json_mode {
        eprintln!("{}", json!({"warning": text}));
    } else {
        eprintln!("warning: {text}");
    }
}

/// Tells what is about to happen, on stderr (a JSON line with `--json`).
pub fn note(json_mode: bool, text: &str) {
    if json_mode {
        eprintln!("{}", json!({"note": text}));
    } else {
        eprintln!("{text}");
    }
}

/// Prints `value` as the JSON document, or `human` as words.
pub fn result<T: Serialize>(json_mode: bool, value: &T, human: impl FnOnce() -> String) {
    if json_mode {
        match serde_json::to_string(value) {
            Ok(doc) => println!("{doc}"),
            Err(e) => eprintln!("error: the result could not be written as JSON: {e}"),
        }
    } else {
        let text = human();
        if !text.is_empty() {
            println!("{text}");
        }
    }
}

/// Lays out rows as aligned columns under a header.
pub fn table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    let mut out = vec![line(header.iter().map(|h| h.to_string()).collect())];
    out.extend(rows.into_iter().map(line));
    out.join("\n")
}
