//! The local endpoint's SQLite index: rows for buckets, objects, uploads, parts and pending
//! blobs. Plain functions over a connection; the service decides when they run together.

use rusqlite::{Connection, OptionalExtension, Row, params};

pub(crate) const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/local/0001_index.sql"),
    include_str!("../../migrations/local/0002_tags.sql"),
    include_str!("../../migrations/local/0003_part_sizes.sql"),
    include_str!("../../migrations/local/0004_completed_uploads.sql"),
    include_str!("../../migrations/local/0005_extents.sql"),
    include_str!("../../migrations/local/0006_archive.sql"),
];

/// The headers an object keeps and returns as they were given.
#[derive(Debug, Clone, Default)]
pub(crate) struct ContentHeaders {
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub content_disposition: Option<String>,
    pub content_language: Option<String>,
    pub cache_control: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct ObjectRow {
    pub key: Vec<u8>,
    pub blob: String,
    pub size: i64,
    pub etag: String,
    pub modified_ms: i64,
    pub storage_class: String,
    pub headers: ContentHeaders,
    /// JSON object of user metadata.
    pub user_metadata: Option<String>,
    /// JSON object: checksum algorithm (`crc32c`, …) -> base64 value.
    pub checksums: Option<String>,
    pub parts_count: Option<i64>,
    /// JSON object of the object's tags.
    pub tags: Option<String>,
    /// Each part's size, comma-separated, for an object completed from parts.
    pub part_sizes: Option<String>,
    /// The blobs of parts 2.. (comma-separated) of an object kept as its parts' blobs; `None`
    /// when all its bytes are in `blob`.
    pub extents: Option<String>,
}

impl ObjectRow {
    /// The blobs holding the object's bytes, in order.
    pub fn blob_ids(&self) -> Vec<String> {
        std::iter::once(self.blob.clone())
            .chain(
                self.extents
                    .iter()
                    .flat_map(|e| e.split(',').map(str::to_string)),
            )
            .collect()
    }

    /// The sizes of the object's parts, in order; one part for an object not made of parts.
    fn part_lengths(&self) -> Vec<u64> {
        match &self.part_sizes {
            Some(sizes) => sizes.split(',').map(|s| s.parse().unwrap_or(0)).collect(),
            None => vec![self.size as u64],
        }
    }

    /// The blobs holding the object's bytes, in order, with their sizes.
    pub fn blobs(&self) -> Vec<(String, u64)> {
        if self.extents.is_none() {
            return vec![(self.blob.clone(), self.size as u64)];
        }
        self.blob_ids()
            .into_iter()
            .zip(self.part_lengths())
            .collect()
    }

    /// Where part `number` lies: (first byte, length); `None` when there is no such part.
    /// An object not made of parts is its own part 1.
    pub fn part(&self, number: i32) -> Option<(u64, u64)> {
        let lengths = self.part_lengths();
        let index = usize::try_from(number).ok()?.checked_sub(1)?;
        let length = *lengths.get(index)?;
        Some((lengths[..index].iter().sum(), length))
    }
}

pub(crate) const OBJECT_COLUMNS: &str = "key, blob, size, etag, modified_ms, storage_class, content_type, content_encoding, \
     content_disposition, content_language, cache_control, user_metadata, checksums, parts_count, tags, part_sizes, extents";

/// The five content headers, from `first` on in a row.
fn headers_at(row: &Row<'_>, first: usize) -> rusqlite::Result<ContentHeaders> {
    Ok(ContentHeaders {
        content_type: row.get(first)?,
        content_encoding: row.get(first + 1)?,
        content_disposition: row.get(first + 2)?,
        content_language: row.get(first + 3)?,
        cache_control: row.get(first + 4)?,
    })
}

pub(crate) fn object_from_row(row: &Row<'_>) -> rusqlite::Result<ObjectRow> {
    Ok(ObjectRow {
        key: row.get(0)?,
        blob: row.get(1)?,
        size: row.get(2)?,
        etag: row.get(3)?,
        modified_ms: row.get(4)?,
        storage_class: row.get(5)?,
        headers: headers_at(row, 6)?,
        user_metadata: row.get(11)?,
        checksums: row.get(12)?,
        parts_count: row.get(13)?,
        tags: row.get(14)?,
        part_sizes: row.get(15)?,
        extents: row.get(16)?,
    })
}

pub(crate) fn bucket_region(conn: &Connection, bucket: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT region FROM buckets WHERE name = ?1",
        [bucket],
        |r| r.get(0),
    )
    .optional()
}

/// Inserts a bucket; `false` when it exists already.
pub(crate) fn insert_bucket(
    conn: &Connection,
    name: &str,
    region: &str,
    now_ms: i64,
) -> rusqlite::Result<bool> {
    let inserted = conn.execute(
        "INSERT OR IGNORE INTO buckets (name, region, created_ms) VALUES (?1, ?2, ?3)",
        params![name, region, now_ms],
    )?;
    Ok(inserted == 1)
}

pub(crate) fn bucket_is_empty(conn: &Connection, bucket: &str) -> rusqlite::Result<bool> {
    let objects: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM objects WHERE bucket = ?1)",
        [bucket],
        |r| r.get(0),
    )?;
    let uploads: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM uploads WHERE bucket = ?1)",
        [bucket],
        |r| r.get(0),
    )?;
    Ok(!objects && !uploads)
}

pub(crate) fn delete_bucket(conn: &Connection, bucket: &str) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM lifecycles WHERE bucket = ?1", [bucket])?;
    conn.execute("DELETE FROM buckets WHERE name = ?1", [bucket])
        .map(drop)
}

/// A bucket's lifecycle configuration (XML), if it has one.
pub(crate) fn lifecycle(conn: &Connection, bucket: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT config FROM lifecycles WHERE bucket = ?1",
        [bucket],
        |r| r.get(0),
    )
    .optional()
}

/// Sets (or with `None` removes) a bucket's lifecycle configuration.
pub(crate) fn set_lifecycle(
    conn: &Connection,
    bucket: &str,
    config: Option<&str>,
) -> rusqlite::Result<()> {
    match config {
        Some(config) => conn.execute(
            "INSERT OR REPLACE INTO lifecycles (bucket, config) VALUES (?1, ?2)",
            params![bucket, config],
        ),
        None => conn.execute("DELETE FROM lifecycles WHERE bucket = ?1", [bucket]),
    }
    .map(drop)
}

pub(crate) struct BucketRow {
    pub name: String,
    pub region: String,
    pub created_ms: i64,
}

/// Buckets in name order, starting after `after`, at most `limit` (plus one to tell whether
/// more follow).
pub(crate) fn list_buckets(
    conn: &Connection,
    prefix: &str,
    after: &str,
    limit: usize,
) -> rusqlite::Result<Vec<BucketRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, region, created_ms FROM buckets
         WHERE name > ?1 AND substr(name, 1, length(?2)) = ?2 ORDER BY name LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![after, prefix, limit as i64], |r| {
        Ok(BucketRow {
            name: r.get(0)?,
            region: r.get(1)?,
            created_ms: r.get(2)?,
        })
    })?;
    rows.collect()
}

pub(crate) fn get_object(
    conn: &Connection,
    bucket: &str,
    key: &[u8],
) -> rusqlite::Result<Option<ObjectRow>> {
    let sql = format!("SELECT {OBJECT_COLUMNS} FROM objects WHERE bucket = ?1 AND key = ?2");
    conn.prepare_cached(&sql)?
        .query_row(params![bucket, key], object_from_row)
        .optional()
}

/// Writes the object row; returns the blob of the version it replaced, if any.
/// The blobs of the object at `key`, if there is one.
fn blobs_of(conn: &Connection, bucket: &str, key: &[u8]) -> rusqlite::Result<Vec<String>> {
    Ok(get_object(conn, bucket, key)?
        .map(|row| row.blob_ids())
        .unwrap_or_default())
}

/// Writes an object row; returns the blobs of the object it replaced.
pub(crate) fn put_object(
    conn: &Connection,
    bucket: &str,
    row: &ObjectRow,
) -> rusqlite::Result<Vec<String>> {
    let old = blobs_of(conn, bucket, &row.key)?;
    end_restore(conn, bucket, &row.key)?;
    conn.prepare_cached(
        "INSERT OR REPLACE INTO objects (bucket, key, blob, size, etag, modified_ms, storage_class, content_type,
             content_encoding, content_disposition, content_language, cache_control, user_metadata, checksums, parts_count, tags,
             part_sizes, extents)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )?
    .execute(params![
        bucket,
        row.key,
        row.blob,
        row.size,
        row.etag,
        row.modified_ms,
        row.storage_class,
        row.headers.content_type,
        row.headers.content_encoding,
        row.headers.content_disposition,
        row.headers.content_language,
        row.headers.cache_control,
        row.user_metadata,
        row.checksums,
        row.parts_count,
        row.tags,
        row.part_sizes,
        row.extents,
    ])?;
    Ok(old)
}

/// Replaces an object's tags; `false` when there is no such object.
pub(crate) fn set_tags(
    conn: &Connection,
    bucket: &str,
    key: &[u8],
    tags: Option<&str>,
) -> rusqlite::Result<bool> {
    let changed = conn.execute(
        "UPDATE objects SET tags = ?3 WHERE bucket = ?1 AND key = ?2",
        params![bucket, key, tags],
    )?;
    Ok(changed == 1)
}

/// Removes the object row; returns its blob, if it existed.
/// Deletes an object row; returns the blobs it held.
pub(crate) fn delete_object(
    conn: &Connection,
    bucket: &str,
    key: &[u8],
) -> rusqlite::Result<Vec<String>> {
    let blobs = blobs_of(conn, bucket, key)?;
    end_restore(conn, bucket, key)?;
    conn.execute(
        "DELETE FROM objects WHERE bucket = ?1 AND key = ?2",
        params![bucket, key],
    )?;
    Ok(blobs)
}

fn end_restore(conn: &Connection, bucket: &str, key: &[u8]) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM restores WHERE bucket = ?1 AND key = ?2")?
        .execute(params![bucket, key])?;
    Ok(())
}

/// An archived object's restore: (readable from, readable until), in ms since the epoch.
pub(crate) fn restore_of(
    conn: &Connection,
    bucket: &str,
    key: &[u8],
) -> rusqlite::Result<Option<(i64, i64)>> {
    conn.prepare_cached("SELECT ready_ms, expiry_ms FROM restores WHERE bucket = ?1 AND key = ?2")?
        .query_row(params![bucket, key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
}

pub(crate) fn set_restore(
    conn: &Connection,
    bucket: &str,
    key: &[u8],
    ready_ms: i64,
    expiry_ms: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO restores (bucket, key, ready_ms, expiry_ms) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![bucket, key, ready_ms, expiry_ms])?;
    Ok(())
}

#[derive(Debug, Clone)]
pub(crate) struct UploadRow {
    pub upload_id: String,
    pub bucket: String,
    pub key: Vec<u8>,
    pub initiated_ms: i64,
    pub storage_class: String,
    pub headers: ContentHeaders,
    pub user_metadata: Option<String>,
    pub checksum_algorithm: Option<String>,
}

const UPLOAD_COLUMNS: &str = "upload_id, bucket, key, initiated_ms, storage_class, content_type, content_encoding, \
     content_disposition, content_language, cache_control, user_metadata, checksum_algorithm";

fn upload_from_row(row: &Row<'_>) -> rusqlite::Result<UploadRow> {
    Ok(UploadRow {
        upload_id: row.get(0)?,
        bucket: row.get(1)?,
        key: row.get(2)?,
        initiated_ms: row.get(3)?,
        storage_class: row.get(4)?,
        headers: headers_at(row, 5)?,
        user_metadata: row.get(10)?,
        checksum_algorithm: row.get(11)?,
    })
}

pub(crate) fn insert_upload(conn: &Connection, u: &UploadRow) -> rusqlite::Result<()> {
    conn.execute(
        &format!("INSERT INTO uploads ({UPLOAD_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"),
        params![
            u.upload_id,
            u.bucket,
            u.key,
            u.initiated_ms,
            u.storage_class,
            u.headers.content_type,
            u.headers.content_encoding,
            u.headers.content_disposition,
            u.headers.content_language,
            u.headers.cache_control,
            u.user_metadata,
            u.checksum_algorithm
        ],
    )
    .map(drop)
}

/// The upload, only if it belongs to `bucket`/`key`.
pub(crate) fn get_upload(
    conn: &Connection,
    bucket: &str,
    key: &[u8],
    upload_id: &str,
) -> rusqlite::Result<Option<UploadRow>> {
    let sql = format!(
        "SELECT {UPLOAD_COLUMNS} FROM uploads WHERE upload_id = ?1 AND bucket = ?2 AND key = ?3"
    );
    conn.query_row(&sql, params![upload_id, bucket, key], upload_from_row)
        .optional()
}

/// Uploads of `bucket` in (key, initiated, id) order after the given markers.
pub(crate) fn list_uploads(
    conn: &Connection,
    bucket: &str,
    after_key: &[u8],
    after_id: &str,
    limit: usize,
) -> rusqlite::Result<Vec<UploadRow>> {
    let sql = format!(
        "SELECT {UPLOAD_COLUMNS} FROM uploads WHERE bucket = ?1 AND (key > ?2 OR (key = ?2 AND upload_id > ?3))
         ORDER BY key, upload_id LIMIT ?4"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![bucket, after_key, after_id, limit as i64],
        upload_from_row,
    )?;
    rows.collect()
}

/// Removes the upload and its part rows; returns the part blobs.
pub(crate) fn delete_upload(conn: &Connection, upload_id: &str) -> rusqlite::Result<Vec<String>> {
    let blobs = parts(conn, upload_id, 0, usize::MAX)?
        .into_iter()
        .map(|p| p.blob)
        .collect();
    conn.execute("DELETE FROM uploads WHERE upload_id = ?1", [upload_id])?;
    Ok(blobs)
}

/// How long a completed upload is remembered for a repeated Complete.
const COMPLETED_KEPT_MS: i64 = 24 * 60 * 60 * 1000;

/// Remembers a completed upload (and forgets those completed over a day ago).
pub(crate) fn record_completed(
    conn: &Connection,
    upload_id: &str,
    bucket: &str,
    key: &[u8],
    etag: &str,
    now_ms: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM completed_uploads WHERE completed_ms < ?1",
        [now_ms - COMPLETED_KEPT_MS],
    )?;
    conn.execute(
        "INSERT OR REPLACE INTO completed_uploads (upload_id, bucket, key, etag, completed_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![upload_id, bucket, key, etag, now_ms],
    )?;
    Ok(())
}

/// The ETag of the object upload `upload_id` completed at `bucket`/`key`, while that object
/// is still the one it made.
pub(crate) fn completed_object(
    conn: &Connection,
    upload_id: &str,
    bucket: &str,
    key: &[u8],
) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT c.etag FROM completed_uploads c
         JOIN objects o ON o.bucket = c.bucket AND o.key = c.key AND o.etag = c.etag
         WHERE c.upload_id = ?1 AND c.bucket = ?2 AND c.key = ?3",
        params![upload_id, bucket, key],
        |r| r.get(0),
    )
    .optional()
}

#[derive(Debug, Clone)]
pub(crate) struct PartRow {
    pub part_number: i32,
    pub blob: String,
    pub size: i64,
    pub etag: String,
    pub modified_ms: i64,
    pub checksums: Option<String>,
}

/// Writes a part row; returns the blob of the part it replaced, if any.
pub(crate) fn put_part(
    conn: &Connection,
    upload_id: &str,
    p: &PartRow,
) -> rusqlite::Result<Option<String>> {
    let old = conn
        .query_row(
            "SELECT blob FROM parts WHERE upload_id = ?1 AND part_number = ?2",
            params![upload_id, p.part_number],
            |r| r.get(0),
        )
        .optional()?;
    conn.execute(
        "INSERT OR REPLACE INTO parts (upload_id, part_number, blob, size, etag, modified_ms, checksums)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![upload_id, p.part_number, p.blob, p.size, p.etag, p.modified_ms, p.checksums],
    )?;
    Ok(old)
}

/// Parts in number order after `after`, at most `limit`.
pub(crate) fn parts(
    conn: &Connection,
    upload_id: &str,
    after: i32,
    limit: usize,
) -> rusqlite::Result<Vec<PartRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT part_number, blob, size, etag, modified_ms, checksums FROM parts
         WHERE upload_id = ?1 AND part_number > ?2 ORDER BY part_number LIMIT ?3",
    )?;
    let rows = stmt.query_map(
        params![upload_id, after, limit.min(i64::MAX as usize) as i64],
        |r| {
            Ok(PartRow {
                part_number: r.get(0)?,
                blob: r.get(1)?,
                size: r.get(2)?,
                etag: r.get(3)?,
                modified_ms: r.get(4)?,
                checksums: r.get(5)?,
            })
        },
    )?;
    rows.collect()
}

pub(crate) fn add_pending(conn: &Connection, blob: &str, writer: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT OR REPLACE INTO pending_blobs (blob, writer) VALUES (?1, ?2)")?
        .execute([blob, writer])
        .map(drop)
}

pub(crate) fn remove_pending(conn: &Connection, blob: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM pending_blobs WHERE blob = ?1")?
        .execute([blob])
        .map(drop)
}

/// Every pending blob, with its writer.
pub(crate) fn pending(conn: &Connection) -> rusqlite::Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare("SELECT blob, writer FROM pending_blobs")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// Whether any object or part row names `blob`.
pub(crate) fn blob_in_use(conn: &Connection, blob: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM objects WHERE blob = ?1)
             OR EXISTS (SELECT 1 FROM objects WHERE extents IS NOT NULL AND instr(extents, ?1) > 0)
             OR EXISTS (SELECT 1 FROM parts WHERE blob = ?1)",
        [blob],
        |r| r.get(0),
    )
}
