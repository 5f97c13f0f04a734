//! What a sync would do. The folder is compared with the pair's index first: a file that is
//! as it was uploaded costs nothing, so a sync of an unchanged folder makes no request. Only
//! for what changed is the server asked (a HEAD each, or one listing when there are many),
//! so nothing is overwritten that changed there since it was uploaded.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Serialize;

use super::ignore::Ignore;
use super::scan::{self, LocalFile};
use super::store::{self, PairRow};
use super::{IndexedFile, SyncPair};
use crate::engine::Engine;
use crate::error::{ErrorCode, Result};
use crate::objects::checksum::Crc;
use crate::objects::conflict_copy_key;
use crate::objects::etag::{is_md5, md5_hex, multipart_etag, part_count};

/// Changed files up to this many are checked on the server one HEAD each; more, by listing
/// the prefix (1,000 objects a request).
const HEAD_AT_MOST: usize = 16;

/// What a sync does with one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum PlanAction {
    /// New or changed here: it goes up.
    Upload,
    /// Renamed here, with a pair that mirrors deletes: copied on the server to the new key,
    /// then the old key deleted (`other`: the old path).
    Move,
    /// Deleted here, with a pair that mirrors deletes: deleted there.
    Delete,
    /// Changed here and there since the last upload: the file goes up beside the object,
    /// under `other`; neither is overwritten.
    Conflict,
    /// The server holds the same bytes already: recorded, not sent.
    AlreadyThere,
    /// Changed within the settle time, so perhaps still being written: it goes up once it
    /// stopped changing.
    Waiting,
    /// Left as it is, for `reason`.
    Kept,
    /// It cannot be read here (`reason` says why): passed over, the rest syncs, and the pair
    /// needs attention.
    Unreadable,
}

/// One file's part in a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct PlanItem {
    /// `/`-separated, below the pair's folder (and prefix).
    pub path: String,
    pub action: PlanAction,
    #[specta(type = u32)] // a TS number: sizes stay far below 2^53
    pub size: u64,
    /// A move's old path; a conflict's path for the file's copy.
    pub other: Option<String>,
    pub reason: String,
    /// The file as the plan saw it.
    #[serde(skip)]
    pub(crate) local: Option<LocalFile>,
    /// The object at the path as the plan saw it (its ETag), where that was asked.
    #[serde(skip)]
    pub(crate) remote_etag: Option<String>,
}

/// A sync's plan, before anything is changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct SyncPlan {
    pub pair: u32,
    /// Every file with something to do or to say, by path.
    pub items: Vec<PlanItem>,
    /// Files as they were uploaded: nothing to do.
    pub unchanged: u32,
    /// Requests the plan made to the server.
    pub requests: u32,
    /// Every object was compared with the index (a periodic full reconcile), catching
    /// changes made on the server.
    pub full: bool,
    /// When files wait: milliseconds until the newest of them has rested for the settle time.
    pub settles_in_ms: u32,
    /// Index rows of files deleted here whose objects are gone or changed on the server.
    #[serde(skip)]
    pub(crate) forget: Vec<String>,
}

impl SyncPlan {
    pub fn count(&self, action: PlanAction) -> usize {
        self.items.iter().filter(|i| i.action == action).count()
    }
}

/// An object as the server holds it.
#[derive(Debug, Clone)]
struct RemoteObject {
    size: u64,
    etag: String,
}

fn same_etag(a: &str, b: &str) -> bool {
    a.trim_matches('"')
        .eq_ignore_ascii_case(b.trim_matches('"'))
}

/// What needs the server's word: files new or changed here, files deleted here (mirror), and
/// in a full reconcile every file.
struct Candidates {
    changed: Vec<(String, LocalFile)>,
    deleted: Vec<(String, IndexedFile)>,
    unchanged: Vec<(String, LocalFile)>,
}

fn item(path: &str, action: PlanAction, local: Option<LocalFile>, reason: &str) -> PlanItem {
    PlanItem {
        path: path.to_string(),
        action,
        size: local.map_or(0, |l| l.size),
        other: None,
        reason: reason.to_string(),
        local,
        remote_etag: None,
    }
}

impl Engine {
    /// What a sync of pair `id` would do now (the `--dry-run`), changing nothing. With
    /// `mirror_deletes`, as if the pair did (or did not) mirror deletes: the confirmation
    /// before turning them on shows what would be deleted.
    pub async fn sync_plan(&self, id: u32, mirror_deletes: Option<bool>) -> Result<SyncPlan> {
        let mut row = self.reading(move |conn| store::get(conn, id)).await?;
        if let Some(mirror) = mirror_deletes {
            row.pair.mirror_deletes = mirror;
        }
        let full = self.reconcile_due(&row).await?;
        self.plan_pair(&row, full).await
    }

    pub(crate) async fn plan_pair(&self, row: &PairRow, full: bool) -> Result<SyncPlan> {
        let pair = &row.pair;
        let (local, device, ignore) = (pair.local.clone(), row.device, Ignore::new(&pair.ignore));
        let id = pair.id;
        let settle = self.sync_settings().await?.settle_ms;
        let data = self.home().path().to_path_buf();
        let scan = tokio::task::spawn_blocking({
            let ignore = ignore.clone();
            move || {
                scan::check_folder(&local, device)?;
                scan::check_apart(&local, &data)?;
                scan::scan(Path::new(&local), &ignore)
            }
        })
        .await
        .map_err(|e| {
            crate::Error::new(
                ErrorCode::Io,
                format!("The scan failed: {e}."),
                "Try again.",
            )
        })??;
        let index = self.reading(move |conn| store::index(conn, id)).await?;
        let cutoff = crate::catalog::now_ms()
            .saturating_sub(i64::from(settle))
            .saturating_mul(1_000_000);
        let mut plan = SyncPlan {
            pair: id,
            items: Vec::new(),
            unchanged: 0,
            requests: 0,
            full,
            settles_in_ms: 0,
            forget: Vec::new(),
        };
        for name in &scan.unnamed {
            plan.items.push(item(
                name,
                PlanAction::Kept,
                None,
                "its name is not valid Unicode, so it cannot be a key; rename it",
            ));
        }
        for skipped in &scan.skipped {
            let action = if skipped.unreadable {
                PlanAction::Unreadable
            } else {
                PlanAction::Kept
            };
            plan.items
                .push(item(&skipped.path, action, None, &skipped.why));
        }
        let mut candidates = Candidates {
            changed: Vec::new(),
            deleted: Vec::new(),
            unchanged: Vec::new(),
        };
        for (path, file) in &scan.files {
            let indexed = index.get(path);
            if indexed.is_some_and(|i| i.size == file.size && i.mtime_ns == file.mtime_ns) {
                if full {
                    candidates.unchanged.push((path.clone(), *file));
                } else {
                    plan.unchanged += 1;
                }
            } else if file.mtime_ns > cutoff {
                plan.items.push(item(
                    path,
                    PlanAction::Waiting,
                    Some(*file),
                    "changed moments ago; it goes up once it stops changing",
                ));
            } else if crate::objects::check_key(&format!("{}{path}", pair.prefix)).is_err() {
                plan.items.push(item(
                    path,
                    PlanAction::Kept,
                    Some(*file),
                    "its key would be longer than S3's 1,024 bytes",
                ));
            } else {
                candidates.changed.push((path.clone(), *file));
            }
        }
        for (path, indexed) in &index {
            if scan.files.contains_key(path) || scan.passed_over(path) {
                continue;
            }
            // Upload-only pairs keep the row: the object is still what was uploaded, so a file
            // that comes back under the name replaces it as an edit would. A file ignored
            // since it was uploaded is not a file deleted here.
            if pair.mirror_deletes && !ignore.ignores(path, false) {
                candidates.deleted.push((path.clone(), indexed.clone()));
            }
        }
        let newest_waiting = plan
            .items
            .iter()
            .filter(|i| i.action == PlanAction::Waiting)
            .filter_map(|i| i.local.map(|l| l.mtime_ns))
            .max();
        if let Some(mtime_ns) = newest_waiting {
            let settled_at = mtime_ns / 1_000_000 + i64::from(settle);
            plan.settles_in_ms =
                (settled_at - crate::catalog::now_ms()).clamp(0, i64::from(u32::MAX)) as u32;
        }
        self.set_aside_unreadable(Path::new(&pair.local), &mut candidates, &mut plan)
            .await;
        let lookups: Vec<&str> = candidates
            .changed
            .iter()
            .chain(&candidates.unchanged)
            .map(|(p, _)| p.as_str())
            .chain(candidates.deleted.iter().map(|(p, _)| p.as_str()))
            .collect();
        let remote = if lookups.is_empty() {
            HashMap::new()
        } else {
            self.remote_state(pair, &lookups, full, &mut plan.requests)
                .await?
        };
        self.decide(pair, candidates, &index, &remote, &mut plan)
            .await;
        if pair.mirror_deletes {
            let proven = proven_moves(Path::new(&pair.local), &plan.items, &index).await;
            apply_moves(&mut plan.items, &index, proven);
        }
        plan.items.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(plan)
    }

    /// Moves the changed files that cannot be opened out of `candidates`, into the plan as
    /// unreadable: the rest of the folder syncs without them.
    async fn set_aside_unreadable(
        &self,
        folder: &Path,
        candidates: &mut Candidates,
        plan: &mut SyncPlan,
    ) {
        let changed = std::mem::take(&mut candidates.changed);
        let folder = folder.to_path_buf();
        let checked = tokio::task::spawn_blocking(move || {
            changed
                .into_iter()
                .map(|(path, file)| {
                    let why = scan::unreadable(&folder.join(&path));
                    (path, file, why)
                })
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        for (path, file, why) in checked {
            match why {
                Some(why) => plan
                    .items
                    .push(item(&path, PlanAction::Unreadable, Some(file), &why)),
                None => candidates.changed.push((path, file)),
            }
        }
    }

    /// The objects at `paths`: a HEAD each when they are few, else the prefix's listing.
    async fn remote_state(
        &self,
        pair: &SyncPair,
        paths: &[&str],
        full: bool,
        requests: &mut u32,
    ) -> Result<HashMap<String, RemoteObject>> {
        let mut remote = HashMap::new();
        if !full && paths.len() <= HEAD_AT_MOST {
            for path in paths {
                if let Some(object) = self.head_at(pair, path, requests).await? {
                    remote.insert(path.to_string(), object);
                }
            }
            return Ok(remote);
        }
        let mut token = None;
        loop {
            *requests += 1;
            let page = self
                .object_list(&pair.profile, &pair.bucket, &pair.prefix, true, token, None)
                .await?;
            for entry in page.entries {
                if !entry.folder && !entry.name.is_empty() && !entry.name.ends_with('/') {
                    remote.insert(
                        entry.name,
                        RemoteObject {
                            size: entry.size,
                            etag: entry.etag.unwrap_or_default(),
                        },
                    );
                }
            }
            token = page.next;
            if token.is_none() {
                break;
            }
        }
        // A server whose listings carry no ETags (s3s-fs) is asked per object that matters.
        for path in paths {
            if remote.get(*path).is_some_and(|r| r.etag.is_empty()) {
                let key = format!("{}{path}", pair.prefix);
                let head = self.head_at(pair, path, requests).await?.ok_or_else(|| {
                    crate::objects::no_such_key(&pair.profile, &pair.bucket, &key)
                })?;
                remote.insert(path.to_string(), head);
            }
        }
        Ok(remote)
    }

    /// The object at `path` below the pair's prefix (one HEAD), `None` where there is none.
    async fn head_at(
        &self,
        pair: &SyncPair,
        path: &str,
        requests: &mut u32,
    ) -> Result<Option<RemoteObject>> {
        *requests += 1;
        let key = format!("{}{path}", pair.prefix);
        match self.object_head(&pair.profile, &pair.bucket, &key).await {
            Ok(head) => Ok(Some(RemoteObject {
                size: head.size,
                etag: head.etag.unwrap_or_default(),
            })),
            Err(err) if err.code == ErrorCode::NoSuchKey => Ok(None),
            Err(err) => Err(err),
        }
    }

    async fn decide(
        &self,
        pair: &SyncPair,
        candidates: Candidates,
        index: &HashMap<String, IndexedFile>,
        remote: &HashMap<String, RemoteObject>,
        plan: &mut SyncPlan,
    ) {
        for (path, file) in candidates.changed {
            let there = remote.get(&path);
            let mut next = match (index.get(&path), there) {
                (Some(_), None) => item(&path, PlanAction::Upload, Some(file), "changed here"),
                (Some(i), Some(r)) if same_etag(&i.etag, &r.etag) => {
                    item(&path, PlanAction::Upload, Some(file), "changed here")
                }
                (Some(_), Some(_)) => item(
                    &path,
                    PlanAction::Conflict,
                    Some(file),
                    "changed here and on the server since the last upload",
                ),
                (None, None) => item(&path, PlanAction::Upload, Some(file), "new"),
                (None, Some(r)) => {
                    let local = Path::new(&pair.local).join(&path);
                    if holds_same_bytes(&local, file.size, r).await
                        || self.holds_same_crc(pair, &path, &local, r, plan).await
                    {
                        item(
                            &path,
                            PlanAction::AlreadyThere,
                            Some(file),
                            "the server holds the same bytes",
                        )
                    } else {
                        item(
                            &path,
                            PlanAction::Conflict,
                            Some(file),
                            "another object is at its key",
                        )
                    }
                }
            };
            if next.action == PlanAction::Conflict {
                next.other = Some(conflict_copy_key(&path));
            }
            next.remote_etag = there.map(|r| r.etag.clone());
            plan.items.push(next);
        }
        for (path, file) in candidates.unchanged {
            let indexed = &index[&path];
            match remote.get(&path) {
                None => plan.items.push(item(
                    &path,
                    PlanAction::Upload,
                    Some(file),
                    "missing on the server",
                )),
                Some(r) if same_etag(&indexed.etag, &r.etag) => plan.unchanged += 1,
                Some(r) => {
                    let mut kept = item(
                        &path,
                        PlanAction::Kept,
                        Some(file),
                        "changed on the server while the file here did not; the server's is kept",
                    );
                    kept.remote_etag = Some(r.etag.clone());
                    plan.items.push(kept);
                }
            }
        }
        for (path, indexed) in candidates.deleted {
            match remote.get(&path) {
                None => plan.forget.push(path),
                Some(r) if same_etag(&indexed.etag, &r.etag) => {
                    let mut gone = item(&path, PlanAction::Delete, None, "deleted here");
                    gone.size = r.size;
                    gone.remote_etag = Some(r.etag.clone());
                    plan.items.push(gone);
                }
                Some(_) => {
                    plan.items.push(item(
                        &path,
                        PlanAction::Kept,
                        None,
                        "deleted here but changed on the server since; not deleted there",
                    ));
                    plan.forget.push(path);
                }
            }
        }
    }
}

/// Pairs of (new file, deleted file) with the same size and mtime, where the match is unique:
/// a rename keeps both, but so does a burst of same-size files with whole-second times, so a
/// pair is only a candidate until its bytes are proven the same.
fn move_candidates(
    items: &[PlanItem],
    index: &HashMap<String, IndexedFile>,
) -> Vec<(usize, usize)> {
    let mut deleted: BTreeMap<(u64, i64), Vec<usize>> = BTreeMap::new();
    for (at, item) in items.iter().enumerate() {
        if item.action == PlanAction::Delete
            && let Some(indexed) = index.get(&item.path)
        {
            deleted
                .entry((indexed.size, indexed.mtime_ns))
                .or_default()
                .push(at);
        }
    }
    let mut new_by_stamp: BTreeMap<(u64, i64), Vec<usize>> = BTreeMap::new();
    for (at, item) in items.iter().enumerate() {
        if item.action == PlanAction::Upload
            && item.remote_etag.is_none()
            && !index.contains_key(&item.path)
            && let Some(local) = item.local
        {
            new_by_stamp
                .entry((local.size, local.mtime_ns))
                .or_default()
                .push(at);
        }
    }
    new_by_stamp
        .into_iter()
        .filter_map(
            |(stamp, news)| match (deleted.get(&stamp)?.as_slice(), news.as_slice()) {
                ([old], [new]) => Some((*new, *old)),
                _ => None,
            },
        )
        .collect()
}

/// The candidate moves whose new file holds the bytes the old object was uploaded with (by
/// the ETag the index recorded). Anything unproven stays an upload and a delete: a wrong
/// guess would put the old bytes under the new name and never send the new ones.
async fn proven_moves(
    folder: &Path,
    items: &[PlanItem],
    index: &HashMap<String, IndexedFile>,
) -> Vec<(usize, usize)> {
    let mut proven = Vec::new();
    for (new, old) in move_candidates(items, index) {
        let indexed = &index[&items[old].path];
        let uploaded = RemoteObject {
            size: indexed.size,
            etag: indexed.etag.clone(),
        };
        let file = folder.join(&items[new].path);
        if holds_same_bytes(&file, items[new].size, &uploaded).await {
            proven.push((new, old));
        }
    }
    proven
}

/// Turns each proven (new, deleted) pair into one move.
fn apply_moves(
    items: &mut Vec<PlanItem>,
    index: &HashMap<String, IndexedFile>,
    moves: Vec<(usize, usize)>,
) {
    let mut moved_from = Vec::new();
    for (new, old) in moves {
        let from = items[old].path.clone();
        items[new].action = PlanAction::Move;
        items[new].reason = format!("renamed from {from}");
        items[new].remote_etag = Some(index[&from].etag.clone());
        items[new].other = Some(from);
        moved_from.push(old);
    }
    moved_from.sort_unstable();
    for at in moved_from.into_iter().rev() {
        items.remove(at);
    }
}

impl Engine {
    /// Whether the object at `path` holds the file's bytes by its whole-object CRC64NVME (one
    /// HEAD), for an object of the file's size whose ETag proves nothing: one encrypted with
    /// KMS, or uploaded in parts of another size.
    async fn holds_same_crc(
        &self,
        pair: &SyncPair,
        path: &str,
        local: &Path,
        remote: &RemoteObject,
        plan: &mut SyncPlan,
    ) -> bool {
        if std::fs::metadata(local).map(|m| m.len()).ok() != Some(remote.size) {
            return false;
        }
        plan.requests += 1;
        let key = format!("{}{path}", pair.prefix);
        let Ok(head) = self.object_head(&pair.profile, &pair.bucket, &key).await else {
            return false;
        };
        let Some(theirs) = head
            .checksums
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(Crc::Crc64Nvme.name()))
            .and_then(|(_, value)| Crc::Crc64Nvme.decode(value))
        else {
            return false;
        };
        let local = local.to_path_buf();
        tokio::task::spawn_blocking(move || file_crc64nvme(&local))
            .await
            .ok()
            .flatten()
            == Some(theirs)
    }
}

/// A file's CRC64NVME, read through once.
fn file_crc64nvme(local: &Path) -> Option<u64> {
    use std::io::Read;
    let mut file = std::fs::File::open(local).ok()?;
    let mut digest = Crc::Crc64Nvme.digest();
    let mut buffer = vec![0; 1024 * 1024];
    loop {
        match file.read(&mut buffer).ok()? {
            0 => return Some(digest.finalize()),
            read => digest.update(&buffer[..read]),
        }
    }
}

/// Whether the file holds the object's bytes, by its ETag: the MD5 of a single-part object,
/// or the MD5 of the parts' MD5s for the part sizes a multipart upload likely used. An ETag
/// that is not MD5-based proves nothing, so it counts as different.
async fn holds_same_bytes(local: &Path, size: u64, remote: &RemoteObject) -> bool {
    if remote.size != size {
        return false;
    }
    let etag = remote.etag.trim_matches('"').to_ascii_lowercase();
    let (md5, parts) = match etag.split_once('-') {
        None => (etag.as_str(), None),
        Some((md5, _)) => (md5, part_count(&etag)),
    };
    if !is_md5(md5) {
        return false;
    }
    let part_sizes: Vec<u64> = match parts {
        None => vec![size.max(1)],
        Some(count) => {
            let mib = 1024 * 1024;
            let even = size.div_ceil(u64::from(count)).div_ceil(mib) * mib;
            let mut sizes = vec![crate::transfer::part_size_for(size, None), even];
            sizes.dedup();
            sizes
        }
    };
    let local = local.to_path_buf();
    tokio::task::spawn_blocking(move || {
        part_sizes.into_iter().any(|part_size| {
            file_etag(&local, part_size, parts.is_some()).is_some_and(|ours| ours == etag)
        })
    })
    .await
    .unwrap_or(false)
}

/// The ETag a file gets uploaded whole (`multipart`: false) or in parts of `part_size`.
fn file_etag(local: &Path, part_size: u64, multipart: bool) -> Option<String> {
    use md5::{Digest, Md5};
    use std::io::Read;
    let mut file = std::fs::File::open(local).ok()?;
    let mut part_md5s = Vec::new();
    let mut buffer = vec![0; 1024 * 1024];
    loop {
        let mut hasher = Md5::new();
        let mut taken = 0;
        while taken < part_size {
            let want = buffer.len().min((part_size - taken) as usize);
            let read = file.read(&mut buffer[..want]).ok()?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
            taken += read as u64;
        }
        if taken == 0 && !part_md5s.is_empty() {
            break;
        }
        part_md5s.push(hasher.finalize());
        if taken < part_size {
            break;
        }
    }
    if multipart {
        Some(multipart_etag(part_md5s))
    } else {
        part_md5s.first().map(|d| md5_hex(d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_unique_match_of_size_and_mtime_is_a_move_candidate() {
        let stamp = LocalFile {
            size: 5,
            mtime_ns: 42,
        };
        let index = HashMap::from([(
            "old.jpg".to_string(),
            IndexedFile {
                size: 5,
                mtime_ns: 42,
                etag: "e".into(),
            },
        )]);
        let mut items = vec![
            item("new.jpg", PlanAction::Upload, Some(stamp), "new"),
            item("old.jpg", PlanAction::Delete, None, "deleted here"),
            item(
                "burst/1.jpg",
                PlanAction::Upload,
                Some(LocalFile {
                    size: 9,
                    mtime_ns: 7,
                }),
                "new",
            ),
            item(
                "burst/2.jpg",
                PlanAction::Upload,
                Some(LocalFile {
                    size: 9,
                    mtime_ns: 7,
                }),
                "new",
            ),
        ];
        let candidates = move_candidates(&items, &index);
        assert_eq!(
            candidates,
            vec![(0, 1)],
            "only the unique match is a candidate"
        );
        apply_moves(&mut items, &index, candidates);
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].action, PlanAction::Move);
        assert_eq!(items[0].other.as_deref(), Some("old.jpg"));
    }
}
