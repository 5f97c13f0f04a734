//! Where a transfer job stands: an upload's multipart upload and acknowledged parts
//! (`transfers`, `transfer_parts`), a download's object and synced parts ([`download`]).

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;
use crate::jobs::JobId;

/// An upload begun: the source as it was, and the multipart upload it goes into.
#[derive(Clone)]
pub(crate) struct Checkpoint {
    pub size: u64,
    pub mtime_ns: i64,
    pub part_size: u64,
    pub upload_id: String,
    /// What every part carries to prove it arrived intact.
    pub check: BodyCheck,
    /// Parts the server acknowledged, by number.
    pub parts: BTreeMap<u32, Part>,
}

/// What proves a request body arrived intact: its Content-MD5, or its CRC64NVME
/// (`x-amz-checksum-crc64nvme`), which costs a fraction of an MD5 to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyCheck {
    Md5,
    Crc64Nvme,
}

impl BodyCheck {
    /// As the `transfers.part_check` column holds it.
    fn column(self) -> Option<&'static str> {
        (self == Self::Crc64Nvme).then_some("crc64nvme")
    }

    fn from_column(value: Option<String>) -> Self {
        match value.as_deref() {
            Some("crc64nvme") => Self::Crc64Nvme,
            _ => Self::Md5,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    pub size: u64,
    pub etag: String,
    /// Hex MD5 of the part's bytes; none when the part carried its CRC64NVME instead.
    pub md5: Option<String>,
    /// The part's CRC64NVME; none for parts recorded before parts kept one.
    pub crc64nvme: Option<u64>,
}

pub(crate) fn load(conn: &Connection, job: JobId) -> Result<Option<Checkpoint>> {
    let Some(mut checkpoint) = conn
        .prepare_cached(
            "SELECT size, mtime_ns, part_size, upload_id, part_check FROM transfers
             WHERE job_id = ?1 AND etag IS NULL",
        )?
        .query_row([job], |r| {
            Ok(Checkpoint {
                size: r.get::<_, i64>(0)? as u64,
                mtime_ns: r.get(1)?,
                part_size: r.get::<_, i64>(2)? as u64,
                upload_id: r.get(3)?,
                check: BodyCheck::from_column(r.get(4)?),
                parts: BTreeMap::new(),
            })
        })
        .optional()?
    else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(
        "SELECT part_number, size, etag, md5, crc64nvme FROM transfer_parts WHERE job_id = ?1",
    )?;
    let rows = stmt.query_map([job], |r| {
        Ok((
            r.get::<_, u32>(0)?,
            Part {
                size: r.get::<_, i64>(1)? as u64,
                etag: r.get(2)?,
                md5: Some(r.get::<_, String>(3)?).filter(|md5| !md5.is_empty()),
                crc64nvme: r
                    .get::<_, Option<String>>(4)?
                    .and_then(|hex| u64::from_str_radix(&hex, 16).ok()),
            },
        ))
    })?;
    for row in rows {
        let (number, part) = row?;
        checkpoint.parts.insert(number, part);
    }
    Ok(Some(checkpoint))
}

/// Records a new multipart upload, replacing whatever the job had before.
pub(crate) fn begin(conn: &mut Connection, job: JobId, checkpoint: &Checkpoint) -> Result<()> {
    let tx = crate::catalog::write(conn)?;
    tx.prepare_cached("DELETE FROM transfers WHERE job_id = ?1")?
        .execute([job])?;
    tx.prepare_cached(
        "INSERT INTO transfers (job_id, size, mtime_ns, part_size, upload_id, part_check)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        job,
        checkpoint.size as i64,
        checkpoint.mtime_ns,
        checkpoint.part_size as i64,
        checkpoint.upload_id,
        checkpoint.check.column()
    ])?;
    tx.commit()?;
    Ok(())
}

pub(crate) fn add_part(conn: &Connection, job: JobId, number: u32, part: &Part) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO transfer_parts (job_id, part_number, size, etag, md5, crc64nvme)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        job,
        number,
        part.size as i64,
        part.etag,
        part.md5.as_deref().unwrap_or_default(),
        part.crc64nvme.map(|crc| format!("{crc:016x}"))
    ])?;
    Ok(())
}

pub(crate) fn drop_part(conn: &Connection, job: JobId, number: u32) -> Result<()> {
    conn.prepare_cached("DELETE FROM transfer_parts WHERE job_id = ?1 AND part_number = ?2")?
        .execute(params![job, number])?;
    Ok(())
}

/// Forgets the job's upload (it was aborted, expired, or its source changed).
pub(crate) fn forget(conn: &Connection, job: JobId) -> Result<()> {
    conn.prepare_cached("DELETE FROM transfers WHERE job_id = ?1")?
        .execute([job])?;
    Ok(())
}

/// The jobs that own these multipart uploads (and will resume them), by upload id.
pub(crate) fn owners(
    conn: &Connection,
    upload_ids: &[String],
) -> Result<std::collections::HashMap<String, JobId>> {
    let mut stmt = conn.prepare_cached(
        "SELECT upload_id, job_id FROM transfers
         WHERE etag IS NULL AND upload_id IN (SELECT value FROM json_each(?1))",
    )?;
    let ids = serde_json::to_string(upload_ids).unwrap_or_default();
    let rows = stmt.query_map([ids], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Records the finished object's ETag; the parts are no longer needed.
pub(crate) fn finish(conn: &mut Connection, job: JobId, etag: &str) -> Result<()> {
    let tx = crate::catalog::write(conn)?;
    tx.prepare_cached("DELETE FROM transfer_parts WHERE job_id = ?1")?
        .execute([job])?;
    tx.prepare_cached("UPDATE transfers SET etag = ?2 WHERE job_id = ?1")?
        .execute(params![job, etag])?;
    tx.commit()?;
    Ok(())
}

/// The `downloads` and `download_parts` tables.
pub(crate) mod download {
    use std::collections::BTreeMap;

    use rusqlite::{Connection, OptionalExtension, params};

    use crate::error::Result;
    use crate::jobs::JobId;

    /// A download begun: the object as it was, and what of it is on disk.
    #[derive(Clone)]
    pub(crate) struct Checkpoint {
        pub etag: String,
        /// Whether the server made `etag` from the bytes (see `objects::etag::etag_is_digest`).
        pub etag_is_digest: bool,
        pub size: u64,
        /// Pieces fetched one GET each (parts, or ranges); 0 when the object comes in one
        /// stream.
        pub parts: u32,
        /// The size of each range when the pieces are ranges; 0 when they are the object's
        /// parts (`partNumber`).
        pub range_size: u64,
        /// In one stream: the bytes at the start of the temporary file that are synced.
        pub durable: u64,
        /// The server's whole-object CRC the bytes are checked against (`crc64nvme:BASE64`);
        /// none when the ETag's MD5 is checked instead.
        pub checksum: Option<String>,
        /// Parts synced to the temporary file, by number.
        pub synced: BTreeMap<u32, Part>,
    }

    #[derive(Debug, Clone, PartialEq, Eq)]
    pub(crate) struct Part {
        pub offset: u64,
        pub size: u64,
        /// Hex digest of the part's bytes: its CRC when the download checks a CRC, else
        /// its MD5.
        pub digest: String,
    }

    pub(crate) fn load(conn: &Connection, job: JobId) -> Result<Option<Checkpoint>> {
        let Some(mut checkpoint) = conn
            .prepare_cached(
                "SELECT etag, size, parts, durable, checksum, range_size, etag_is_digest
                 FROM downloads WHERE job_id = ?1",
            )?
            .query_row([job], |r| {
                Ok(Checkpoint {
                    etag: r.get(0)?,
                    size: r.get::<_, i64>(1)? as u64,
                    parts: r.get(2)?,
                    durable: r.get::<_, i64>(3)? as u64,
                    checksum: r.get(4)?,
                    range_size: r.get::<_, i64>(5)? as u64,
                    etag_is_digest: r.get(6)?,
                    synced: BTreeMap::new(),
                })
            })
            .optional()?
        else {
            return Ok(None);
        };
        let mut stmt = conn.prepare_cached(
            "SELECT part_number, offset, size, digest FROM download_parts WHERE job_id = ?1",
        )?;
        let rows = stmt.query_map([job], |r| {
            Ok((
                r.get::<_, u32>(0)?,
                Part {
                    offset: r.get::<_, i64>(1)? as u64,
                    size: r.get::<_, i64>(2)? as u64,
                    digest: r.get(3)?,
                },
            ))
        })?;
        for row in rows {
            let (number, part) = row?;
            checkpoint.synced.insert(number, part);
        }
        Ok(Some(checkpoint))
    }

    /// Records a download begun, replacing whatever the job had before.
    pub(crate) fn begin(conn: &mut Connection, job: JobId, checkpoint: &Checkpoint) -> Result<()> {
        let tx = crate::catalog::write(conn)?;
        tx.prepare_cached("DELETE FROM downloads WHERE job_id = ?1")?
            .execute([job])?;
        tx.prepare_cached(
            "INSERT INTO downloads
             (job_id, etag, size, parts, durable, checksum, range_size, etag_is_digest)
             VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, ?7)",
        )?
        .execute(params![
            job,
            checkpoint.etag,
            checkpoint.size as i64,
            checkpoint.parts,
            checkpoint.checksum,
            checkpoint.range_size as i64,
            checkpoint.etag_is_digest
        ])?;
        tx.commit()?;
        Ok(())
    }

    pub(crate) fn add_part(conn: &Connection, job: JobId, number: u32, part: &Part) -> Result<()> {
        conn.prepare_cached(
            "INSERT OR REPLACE INTO download_parts (job_id, part_number, offset, size, digest)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            job,
            number,
            part.offset as i64,
            part.size as i64,
            part.digest
        ])?;
        Ok(())
    }

    pub(crate) fn set_durable(conn: &Connection, job: JobId, durable: u64) -> Result<()> {
        conn.prepare_cached("UPDATE downloads SET durable = ?2 WHERE job_id = ?1")?
            .execute(params![job, durable as i64])?;
        Ok(())
    }

    /// Forgets the job's download: it finished, or its bytes are no longer to be trusted.
    pub(crate) fn forget(conn: &Connection, job: JobId) -> Result<()> {
        conn.prepare_cached("DELETE FROM downloads WHERE job_id = ?1")?
            .execute([job])?;
        Ok(())
    }
}
