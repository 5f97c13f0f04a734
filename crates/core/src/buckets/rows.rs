//! The bucket catalog's SQL: replacing a profile's list and the per-bucket facts learned
//! later (region, public status). Every writer bumps the profile's `buckets_version` in the
//! same statement batch, so in-memory snapshots ([`super::names`]) know they are stale.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};

use super::Listed;
use crate::error::Result;

/// The A–Z index entry of a name: its first letter, lowercased, or `#` for anything else.
pub(crate) fn letter_of(name: &str) -> char {
    match name.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => c.to_ascii_lowercase(),
        _ => '#',
    }
}

/// Marks the profile's rows changed, for snapshots held in any process. Called inside the
/// transaction that changes them, so no reader sees new rows under an old version.
fn touched(conn: &Connection, profile_id: u32) -> Result<()> {
    conn.execute(
        "UPDATE profiles SET buckets_version = buckets_version + 1 WHERE id = ?1",
        [profile_id],
    )?;
    Ok(())
}

/// Runs `change` on the profile's rows in one write transaction that also marks them changed.
fn changing<T>(
    conn: &mut Connection,
    profile_id: u32,
    change: impl FnOnce(&Connection) -> Result<T>,
) -> Result<T> {
    let tx = crate::catalog::write(conn)?;
    let outcome = change(&tx)?;
    touched(&tx, profile_id)?;
    tx.commit()?;
    Ok(outcome)
}

/// The profile's `buckets_version` and last refresh time (seconds since the epoch).
pub(crate) fn version(conn: &Connection, profile_id: u32) -> Result<(i64, Option<i64>)> {
    Ok(conn.query_row(
        "SELECT buckets_version, buckets_refreshed_at FROM profiles WHERE id = ?1",
        [profile_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// Replaces the profile's rows with `listed` and stamps the refresh time, in one transaction.
/// What was learned about a bucket that is still there (its region, public status) is kept
/// where the new listing does not say.
pub(crate) fn replace(conn: &mut Connection, profile_id: u32, listed: &[Listed]) -> Result<()> {
    changing(conn, profile_id, |tx| {
        let mut known: HashMap<String, (Option<String>, Option<bool>)> = HashMap::new();
        {
            let mut stmt =
                tx.prepare("SELECT name, region, public FROM buckets WHERE profile_id = ?1")?;
            let rows = stmt.query_map([profile_id], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?;
            for row in rows {
                let (name, facts) = row?;
                known.insert(name, facts);
            }
        }
        tx.execute("DELETE FROM buckets WHERE profile_id = ?1", [profile_id])?;
        {
            let mut insert = tx.prepare(
            "INSERT OR REPLACE INTO buckets (profile_id, name, region, created_at, public, letter)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
            for bucket in listed {
                let (old_region, public) = known.remove(&bucket.name).unwrap_or_default();
                insert.execute(params![
                    profile_id,
                    bucket.name,
                    bucket.region.clone().or(old_region),
                    bucket.created_at,
                    public,
                    letter_of(&bucket.name).to_string(),
                ])?;
            }
        }
        tx.execute(
            "UPDATE profiles SET buckets_refreshed_at = ?2 WHERE id = ?1",
            params![profile_id, crate::catalog::now()],
        )?;
        Ok(())
    })
}

/// Empties the profile's list and forgets when it was read, so the next view reads it afresh.
/// Called inside the caller's transaction.
pub(crate) fn forget_all(conn: &Connection, profile_id: u32) -> Result<()> {
    conn.execute("DELETE FROM buckets WHERE profile_id = ?1", [profile_id])?;
    conn.execute(
        "UPDATE profiles SET buckets_refreshed_at = NULL WHERE id = ?1",
        [profile_id],
    )?;
    touched(conn, profile_id)
}

/// Adds or updates one bucket (after `bucket mk`).
pub(crate) fn upsert(
    conn: &mut Connection,
    profile_id: u32,
    bucket: &Listed,
    public: bool,
) -> Result<()> {
    changing(conn, profile_id, |tx| {
        tx.execute(
            "INSERT INTO buckets (profile_id, name, region, created_at, public, letter)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (profile_id, name) DO UPDATE
         SET region = ?3, created_at = ?4, public = ?5",
            params![
                profile_id,
                bucket.name,
                bucket.region,
                bucket.created_at,
                public,
                letter_of(&bucket.name).to_string()
            ],
        )?;
        Ok(())
    })
}

/// Removes one bucket; `false` when it was not in the catalog.
pub(crate) fn delete(conn: &mut Connection, profile_id: u32, name: &str) -> Result<bool> {
    changing(conn, profile_id, |tx| {
        let n = tx.execute(
            "DELETE FROM buckets WHERE profile_id = ?1 AND name = ?2",
            params![profile_id, name],
        )?;
        Ok(n > 0)
    })
}

pub(crate) fn region(conn: &Connection, profile_id: u32, name: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT region FROM buckets WHERE profile_id = ?1 AND name = ?2",
            params![profile_id, name],
            |r| r.get(0),
        )
        .optional()?
        .flatten())
}

pub(crate) fn set_region(
    conn: &mut Connection,
    profile_id: u32,
    name: &str,
    region: &str,
) -> Result<()> {
    changing(conn, profile_id, |tx| {
        tx.execute(
            "UPDATE buckets SET region = ?3 WHERE profile_id = ?1 AND name = ?2",
            params![profile_id, name, region],
        )?;
        Ok(())
    })
}

/// Records what the details pass learned, in one transaction.
pub(crate) fn set_details(
    conn: &mut Connection,
    profile_id: u32,
    details: &[(String, Option<String>, Option<bool>)],
) -> Result<()> {
    changing(conn, profile_id, |tx| {
        let mut update = tx.prepare(
            "UPDATE buckets SET region = coalesce(?3, region), public = coalesce(?4, public)
             WHERE profile_id = ?1 AND name = ?2",
        )?;
        for (name, region, public) in details {
            update.execute(params![profile_id, name, region, public])?;
        }
        Ok(())
    })
}

/// The rows the details pass visits: every bucket, with its region if known.
pub(crate) fn all(conn: &Connection, profile_id: u32) -> Result<Vec<(String, Option<String>)>> {
    let mut stmt =
        conn.prepare("SELECT name, region FROM buckets WHERE profile_id = ?1 ORDER BY name")?;
    let rows = stmt.query_map([profile_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How many buckets are public, private, and of unknown status.
pub(crate) fn visibility_counts(conn: &Connection, profile_id: u32) -> Result<(u32, u32, u32)> {
    Ok(conn.query_row(
        "SELECT count(*) FILTER (WHERE public = 1), count(*) FILTER (WHERE public = 0),
                count(*) FILTER (WHERE public IS NULL)
         FROM buckets WHERE profile_id = ?1",
        [profile_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?)
}

#[cfg(test)]
mod tests {
    use super::letter_of;

    #[test]
    fn letters_fold_case_and_gather_the_rest_under_hash() {
        assert_eq!(letter_of("photos"), 'p');
        assert_eq!(letter_of("Legacy"), 'l');
        assert_eq!(letter_of("2026-shoot"), '#');
        assert_eq!(letter_of("_odd"), '#');
        assert_eq!(letter_of(""), '#');
    }
}
