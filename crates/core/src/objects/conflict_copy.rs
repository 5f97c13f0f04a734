//! The name of a copy kept beside an object it must not replace.

/// Where a copy that must not replace the object at `key` goes: beside it, named for when the
/// conflict was found (`IMG_1 (conflict 2026-12-07 21.45.00).CR3`). Sync and restore both
/// name their conflict copies so.
pub(crate) fn conflict_copy_key(key: &str) -> String {
    let stamp = time::OffsetDateTime::now_utc();
    let stamp = format!(
        "conflict {:04}-{:02}-{:02} {:02}.{:02}.{:02}",
        stamp.year(),
        u8::from(stamp.month()),
        stamp.day(),
        stamp.hour(),
        stamp.minute(),
        stamp.second()
    );
    let (folder, name) = key.rsplit_once('/').map_or(("", key), |(f, n)| (f, n));
    let named = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem} ({stamp}).{ext}"),
        _ => format!("{name} ({stamp})"),
    };
    if folder.is_empty() {
        named
    } else {
        format!("{folder}/{named}")
    }
}

#[cfg(test)]
mod tests {
    use super::conflict_copy_key;

    #[test]
    fn a_conflict_copy_keeps_the_folder_and_the_extension() {
        let copy = conflict_copy_key("2026/shoot/IMG_1.CR3");
        assert!(copy.starts_with("2026/shoot/IMG_1 (conflict "), "{copy}");
        assert!(copy.ends_with(").CR3"), "{copy}");
        assert!(conflict_copy_key(".profile").starts_with(".profile (conflict "));
        assert!(conflict_copy_key("notes").starts_with("notes (conflict "));
    }
}
