//! The bucket catalog's SQL: replacing a profile's list, the A–Z index, filtered pages, and
//! the per-bucket facts learned later (region, public status).

use std::collections::HashMap;

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use super::{Bucket, BucketFilter, LetterCount, Listed, Visibility};
use crate::error::Result;

/// The A–Z index entry of a name: its first letter, lowercased, or `#` for anything else.
pub(crate) fn letter_of(name: &str) -> char {
    match name.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => c.to_ascii_lowercase(),
        _ => '#',
    }
}

/// Replaces the profile's rows with `listed` and stamps the refresh time, in one transaction.
/// What was learned about a bucket that is still there (its region, public status) is kept
/// where the new listing does not say.
pub(crate) fn replace(conn: &mut Connection, profile_id: u32, listed: &[Listed]) -> Result<()> {
    let tx = crate::catalog::write(conn)?;
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
    tx.commit()?;
    Ok(())
}

/// Empties the profile's list and forgets when it was read, so the next view reads it afresh.
pub(crate) fn forget_all(conn: &Connection, profile_id: u32) -> Result<()> {
    conn.execute("DELETE FROM buckets WHERE profile_id = ?1", [profile_id])?;
    conn.execute(
        "UPDATE profiles SET buckets_refreshed_at = NULL WHERE id = ?1",
        [profile_id],
    )?;
    Ok(())
}

/// Adds or updates one bucket (after `bucket mk`).
pub(crate) fn upsert(
    conn: &Connection,
    profile_id: u32,
    bucket: &Listed,
    public: bool,
) -> Result<()> {
    conn.execute(
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
}

/// Removes one bucket; `false` when it was not in the catalog.
pub(crate) fn delete(conn: &Connection, profile_id: u32, name: &str) -> Result<bool> {
    let n = conn.execute(
        "DELETE FROM buckets WHERE profile_id = ?1 AND name = ?2",
        params![profile_id, name],
    )?;
    Ok(n > 0)
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
    conn: &Connection,
    profile_id: u32,
    name: &str,
    region: &str,
) -> Result<()> {
    conn.execute(
        "UPDATE buckets SET region = ?3 WHERE profile_id = ?1 AND name = ?2",
        params![profile_id, name, region],
    )?;
    Ok(())
}

/// Records what the details pass learned, in one transaction.
pub(crate) fn set_details(
    conn: &mut Connection,
    profile_id: u32,
    details: &[(String, Option<String>, Option<bool>)],
) -> Result<()> {
    let tx = crate::catalog::write(conn)?;
    {
        let mut update = tx.prepare(
            "UPDATE buckets SET region = coalesce(?3, region), public = coalesce(?4, public)
             WHERE profile_id = ?1 AND name = ?2",
        )?;
        for (name, region, public) in details {
            update.execute(params![profile_id, name, region, public])?;
        }
    }
    tx.commit()?;
    Ok(())
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

pub(crate) fn refreshed_at(conn: &Connection, profile_id: u32) -> Result<Option<i64>> {
    Ok(conn.query_row(
        "SELECT buckets_refreshed_at FROM profiles WHERE id = ?1",
        [profile_id],
        |r| r.get(0),
    )?)
}

/// `WHERE` conditions and their parameters for a filter (the letter only when asked for).
fn conditions(profile_id: u32, filter: &BucketFilter, with_letter: bool) -> (String, Vec<Value>) {
    let mut sql = String::from("profile_id = ?");
    let mut values = vec![Value::from(i64::from(profile_id))];
    if let (true, Some(letter)) = (with_letter, &filter.letter) {
        sql.push_str(" AND letter = ?");
        values.push(Value::from(letter.clone()));
    }
    if let Some(text) = filter.search.as_deref().filter(|t| !t.is_empty()) {
        // LIKE ignores ASCII case; the text's own wildcards are matched literally.
        sql.push_str(" AND name LIKE ? ESCAPE '\\'");
        let escaped = text
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        values.push(Value::from(format!("%{escaped}%")));
    }
    match filter.visibility {
        Some(Visibility::Public) => sql.push_str(" AND public = 1"),
        Some(Visibility::Private) => sql.push_str(" AND public = 0"),
        None => {}
    }
    (sql, values)
}

/// One page of the filtered list in list order (letter, then name).
pub(crate) fn page(
    conn: &Connection,
    profile_id: u32,
    filter: &BucketFilter,
    offset: u32,
    limit: Option<u32>,
) -> Result<Vec<Bucket>> {
    let (cond, mut values) = conditions(profile_id, filter, true);
    let sql = format!(
        "SELECT name, region, created_at, public FROM buckets WHERE {cond}
         ORDER BY letter, name LIMIT ? OFFSET ?"
    );
    values.push(Value::from(limit.map_or(-1, i64::from)));
    values.push(Value::from(i64::from(offset)));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), |r| {
        Ok(Bucket {
            name: r.get(0)?,
            region: r.get(1)?,
            created_at: r.get::<_, Option<i64>>(2)?.map(super::rfc3339),
            public: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How many rows of the filter (letter aside) start with each letter, in list order.
pub(crate) fn letters(
    conn: &Connection,
    profile_id: u32,
    filter: &BucketFilter,
) -> Result<Vec<LetterCount>> {
    let (cond, values) = conditions(profile_id, filter, false);
    let sql = format!(
        "SELECT letter, count(*) FROM buckets WHERE {cond} GROUP BY letter ORDER BY letter"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), |r| {
        Ok(LetterCount {
            letter: r.get(0)?,
            count: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
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
