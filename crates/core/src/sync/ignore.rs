//! Ignore patterns: names a sync never uploads (and never deletes remotely). A pattern is a
//! glob (`*` any run of characters but `/`, `?` one character). Without a `/` it matches a
//! file or folder name anywhere; with one it matches the path from the pair's folder; a
//! trailing `/` matches folders only, and a folder matched is skipped whole.

use crate::error::{Error, Result};

/// What a new pair ignores unless told otherwise: system litter, temporary and lock files,
/// version-control folders, and the partial downloads of browsers and editors' swap files,
/// none of them finished work (Strata's own partial downloads end in `.part` too).
const DEFAULT_IGNORES: &[&str] = &[
    ".DS_Store",
    "Thumbs.db",
    "desktop.ini",
    "*.tmp",
    "~$*",
    ".~lock.*#",
    ".git/",
    "*.crdownload",
    "*.part",
    "*.partial",
    "*.download",
    "*.swp",
    "*~",
];

/// [`DEFAULT_IGNORES`], as a pair holds them.
pub fn default_ignores() -> Vec<String> {
    DEFAULT_IGNORES.iter().map(|p| p.to_string()).collect()
}

/// A set of patterns, parsed once.
#[derive(Debug, Clone)]
pub(crate) struct Ignore {
    patterns: Vec<Pattern>,
}

#[derive(Debug, Clone)]
struct Pattern {
    glob: Vec<char>,
    /// Matches the whole relative path, not a name.
    anchored: bool,
    folders_only: bool,
}

/// Refuses a pattern that would match nothing or everything by accident.
pub(crate) fn check(pattern: &str) -> Result<()> {
    let body = pattern.trim_start_matches('/').trim_end_matches('/');
    if body.is_empty() || pattern.chars().any(char::is_control) {
        return Err(Error::invalid(
            "ignore",
            format!("The ignore pattern {pattern:?} is empty or holds a control character."),
            "Give a name or a glob, like `*.tmp`, `.cache/` or `exports/drafts/*`.",
        ));
    }
    Ok(())
}

impl Ignore {
    pub(crate) fn new(patterns: &[String]) -> Self {
        let patterns = patterns
            .iter()
            .map(|p| {
                let folders_only = p.ends_with('/');
                let body = p.trim_start_matches('/').trim_end_matches('/');
                Pattern {
                    glob: body.chars().collect(),
                    anchored: body.contains('/') || p.starts_with('/'),
                    folders_only,
                }
            })
            .collect();
        Self { patterns }
    }

    /// Whether `path` (`/`-separated, below the pair's folder) is ignored. Folders are asked
    /// first as the walk reaches them, so a file below an ignored folder is never asked.
    pub(crate) fn ignores(&self, path: &str, folder: bool) -> bool {
        let name = path.rsplit('/').next().unwrap_or(path);
        self.patterns.iter().any(|p| {
            (folder || !p.folders_only) && matches(&p.glob, if p.anchored { path } else { name })
        })
    }
}

/// Glob matching with `*` (no `/`) and `?`, by backtracking to the last star.
fn matches(glob: &[char], text: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    let (mut g, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match glob.get(g) {
            Some('*') => {
                star = Some((g, t));
                g += 1;
            }
            Some(&c) if c == text[t] || (c == '?' && text[t] != '/') => {
                g += 1;
                t += 1;
            }
            _ => match star {
                Some((sg, st)) if text[st] != '/' => {
                    star = Some((sg, st + 1));
                    g = sg + 1;
                    t = st + 1;
                }
                _ => return false,
            },
        }
    }
    glob[g..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ignore(patterns: &[&str]) -> Ignore {
        Ignore::new(&patterns.iter().map(|p| p.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn the_defaults_skip_litter_and_partial_files_but_not_work() {
        let defaults = ignore(DEFAULT_IGNORES);
        for litter in [
            ".DS_Store",
            "shoot/Thumbs.db",
            "a/b.tmp",
            "~$report.docx",
            "photo.jpg.crdownload",
            "film.mkv.part",
            "notes.txt~",
            ".~lock.budget.ods#",
        ] {
            assert!(defaults.ignores(litter, false), "{litter}");
        }
        assert!(defaults.ignores("project/.git", true));
        for work in [
            "IMG_0001.CR3",
            "temp/notes.txt",
            "report.docx",
            "part/x.jpg",
        ] {
            assert!(!defaults.ignores(work, false), "{work}");
        }
        assert!(
            !defaults.ignores(".git", false),
            "`.git/` matches folders only"
        );
    }

    #[test]
    fn globs_match_names_anywhere_and_paths_from_the_root() {
        let set = ignore(&["*.xmp", "exports/drafts/*", "/cache/", "IMG_00??.jpg"]);
        assert!(set.ignores("2026/a/IMG_1.xmp", false));
        assert!(set.ignores("exports/drafts/v1.jpg", false));
        assert!(
            !set.ignores("exports/drafts/old/v1.jpg", false),
            "`*` stops at `/`"
        );
        assert!(!set.ignores("x/exports/drafts/v1.jpg", false));
        assert!(set.ignores("cache", true));
        assert!(!set.ignores("a/cache", true), "a leading `/` anchors");
        assert!(set.ignores("IMG_0012.jpg", false));
        assert!(!set.ignores("IMG_012.jpg", false));
        assert!(ignore(&["ü*"]).ignores("über.txt", false));
    }

    #[test]
    fn empty_patterns_are_refused() {
        assert!(check("").is_err());
        assert!(check("/").is_err());
        assert!(check("a\nb").is_err());
        assert!(check("*.tmp").is_ok());
    }
}
