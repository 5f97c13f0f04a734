//! Object listing with prefix, delimiter and pagination, as index range scans.
//!
//! Keys are compared as bytes (S3's order). A common prefix is emitted once and the scan then
//! seeks past every key under it, so a folder of a million keys costs one seek, not a million
//! rows. An empty delimiter is no delimiter.

use std::ops::Bound;

use rusqlite::{Connection, params};

use super::index::{OBJECT_COLUMNS, ObjectRow, object_from_row};

pub(crate) enum Entry {
    Object(Box<ObjectRow>),
    Prefix(Vec<u8>),
}

pub(crate) struct Page {
    pub entries: Vec<Entry>,
    pub truncated: bool,
}

/// The smallest byte string greater than every string that starts with `prefix`; `None` when
/// there is none (an empty prefix, or only 0xFF bytes, which UTF-8 keys never hold).
pub(crate) fn successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut bytes = prefix.to_vec();
    while let Some(last) = bytes.pop() {
        if last < 0xFF {
            bytes.push(last + 1);
            return Some(bytes);
        }
    }
    None
}

/// Where a listing resumes after `marker` (a key or a common prefix returned earlier, or a
/// start-after key): past the whole common prefix the marker falls in, if any.
pub(crate) fn resume_after(
    marker: &[u8],
    prefix: &[u8],
    delimiter: Option<&[u8]>,
) -> Bound<Vec<u8>> {
    if let Some(cp) = common_prefix(marker, prefix, delimiter)
        && let Some(next) = successor(&cp)
    {
        return Bound::Included(next);
    }
    Bound::Excluded(marker.to_vec())
}

/// The common prefix `key` rolls up into: `prefix` plus the rest up to and including the first
/// delimiter after it.
pub(crate) fn common_prefix(
    key: &[u8],
    prefix: &[u8],
    delimiter: Option<&[u8]>,
) -> Option<Vec<u8>> {
    let delimiter = delimiter.filter(|d| !d.is_empty())?;
    let rest = key.strip_prefix(prefix)?;
    let at = rest.windows(delimiter.len()).position(|w| w == delimiter)?;
    Some(key[..prefix.len() + at + delimiter.len()].to_vec())
}

/// Rows fetched per range query.
const BATCH: usize = 256;

pub(crate) fn list(
    conn: &Connection,
    bucket: &str,
    prefix: &[u8],
    delimiter: Option<&[u8]>,
    start: Bound<Vec<u8>>,
    max: usize,
) -> rusqlite::Result<Page> {
    // `max-keys=0` asks for nothing: S3 answers an empty page that claims no more.
    if max == 0 {
        return Ok(Page {
            entries: Vec::new(),
            truncated: false,
        });
    }
    let upper = successor(prefix);
    let mut cursor = match start {
        Bound::Unbounded => Bound::Included(prefix.to_vec()),
        Bound::Included(k) if k.as_slice() < prefix => Bound::Included(prefix.to_vec()),
        Bound::Excluded(k) if k.as_slice() < prefix => Bound::Included(prefix.to_vec()),
        other => other,
    };
    let mut entries = Vec::new();
    loop {
        let rows = fetch(conn, bucket, &cursor, upper.as_deref(), BATCH)?;
        if rows.is_empty() {
            return Ok(Page {
                entries,
                truncated: false,
            });
        }
        let full_batch = rows.len() == BATCH;
        let mut sought = false;
        for row in rows {
            if entries.len() == max {
                return Ok(Page {
                    entries,
                    truncated: true,
                });
            }
            match common_prefix(&row.key, prefix, delimiter) {
                Some(cp) => {
                    cursor = match successor(&cp) {
                        Some(next) => Bound::Included(next),
                        None => {
                            return Ok(Page {
                                entries,
                                truncated: false,
                            });
                        }
                    };
                    entries.push(Entry::Prefix(cp));
                    sought = true;
                    break;
                }
                None => {
                    cursor = Bound::Excluded(row.key.clone());
                    entries.push(Entry::Object(Box::new(row)));
                }
            }
        }
        if !sought && !full_batch {
            return Ok(Page {
                entries,
                truncated: false,
            });
        }
        if entries.len() == max {
            let more = !fetch(conn, bucket, &cursor, upper.as_deref(), 1)?.is_empty();
            return Ok(Page {
                entries,
                truncated: more,
            });
        }
    }
}

fn fetch(
    conn: &Connection,
    bucket: &str,
    from: &Bound<Vec<u8>>,
    upper: Option<&[u8]>,
    limit: usize,
) -> rusqlite::Result<Vec<ObjectRow>> {
    let (op, from) = match from {
        Bound::Included(k) => (">=", k.as_slice()),
        Bound::Excluded(k) => (">", k.as_slice()),
        Bound::Unbounded => (">=", &[][..]),
    };
    let upper_clause = if upper.is_some() {
        "AND key < ?3"
    } else {
        "AND ?3 IS NULL"
    };
    let sql = format!(
        "SELECT {OBJECT_COLUMNS} FROM objects WHERE bucket = ?1 AND key {op} ?2 {upper_clause} ORDER BY key LIMIT ?4"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![bucket, from, upper, limit as i64], object_from_row)?;
    rows.collect()
}

/// Continuation tokens are opaque to clients: the resume point, base64-encoded.
pub(crate) fn token_for(last: &Entry) -> String {
    let (tag, bytes) = match last {
        Entry::Object(row) => (b'k', row.key.as_slice()),
        Entry::Prefix(cp) => (b'p', cp.as_slice()),
    };
    let mut raw = vec![tag];
    raw.extend_from_slice(bytes);
    base64_simd::URL_SAFE_NO_PAD.encode_to_string(raw)
}

/// The resume point of a token from [`token_for`]; `None` when it is not one of ours.
pub(crate) fn parse_token(token: &str) -> Option<Bound<Vec<u8>>> {
    let raw = base64_simd::URL_SAFE_NO_PAD.decode_to_vec(token).ok()?;
    let (tag, bytes) = raw.split_first()?;
    match tag {
        b'k' => Some(Bound::Excluded(bytes.to_vec())),
        b'p' => successor(bytes).map(Bound::Included),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successor_bounds_every_extension_of_a_prefix() {
        assert_eq!(successor(b"photos/"), Some(b"photos0".to_vec()));
        assert_eq!(successor(b""), None);
        let cp = "fotos/köln/".as_bytes();
        let next = successor(cp).unwrap();
        for key in ["fotos/köln/a", "fotos/köln/\u{10FFFF}", "fotos/köln/"] {
            assert!(key.as_bytes() < next.as_slice(), "{key}");
        }
        assert!("fotos/köln0".as_bytes() >= next.as_slice());
    }

    #[test]
    fn common_prefixes_follow_the_delimiter() {
        assert_eq!(
            common_prefix(b"a/b/c", b"a/", Some(b"/")),
            Some(b"a/b/".to_vec())
        );
        assert_eq!(common_prefix(b"a/b", b"a/", Some(b"/")), None);
        assert_eq!(
            common_prefix(b"a/b", b"a/", Some(b"")),
            None,
            "an empty delimiter is none"
        );
        assert_eq!(
            common_prefix(b"x--y--z", b"", Some(b"--")),
            Some(b"x--".to_vec())
        );
    }

    #[test]
    fn tokens_round_trip() {
        let key = Entry::Prefix(b"a/b/".to_vec());
        assert_eq!(
            parse_token(&token_for(&key)),
            Some(Bound::Included(b"a/b0".to_vec()))
        );
        assert_eq!(parse_token("not base64!"), None);
    }
}
