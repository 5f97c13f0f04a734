//! Remote paths as users write them: `PROFILE:BUCKET[/KEY]` (DESIGN.md's CLI contract).
//!
//! Split at the first `:`; the bucket runs to the next `/`; the rest is the key, verbatim. A
//! trailing `/` means a folder; `P:B` and `P:B/` are the bucket's root.

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotePath {
    pub profile: String,
    pub bucket: String,
    /// Empty for the bucket's root.
    pub key: String,
}

impl RemotePath {
    /// Parses `text`, which must be remote (commands whose argument can only be remote).
    pub fn parse(text: &str) -> Result<Self> {
        let Some((profile, rest)) = text.split_once(':') else {
            return Err(Error::invalid(
                "path",
                format!("\"{text}\" is not a remote path."),
                "Write it as PROFILE:BUCKET (or PROFILE:BUCKET/KEY), e.g. local:photos.",
            ));
        };
        crate::profile::validate_name(profile)?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        Ok(Self {
            profile: profile.to_string(),
            bucket: bucket.to_string(),
            key: key.to_string(),
        })
    }

    /// Parses a path that must name a bucket itself (`P:B` or `P:B/`).
    pub fn parse_bucket(text: &str) -> Result<Self> {
        let path = Self::parse(text)?;
        if !path.key.is_empty() {
            return Err(Error::invalid(
                "path",
                format!("\"{text}\" names an object or folder, not a bucket."),
                "Give only PROFILE:BUCKET.",
            ));
        }
        Ok(path)
    }
}

/// A remote path as users write it: `PROFILE:BUCKET/KEY` (`PROFILE:BUCKET` for the root).
pub fn display(profile: &str, bucket: &str, key: &str) -> String {
    if key.is_empty() {
        format!("{profile}:{bucket}")
    } else {
        format!("{profile}:{bucket}/{key}")
    }
}

impl std::fmt::Display for RemotePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&display(&self.profile, &self.bucket, &self.key))
    }
}

impl RemotePath {
    /// The key as a folder's prefix, for what goes inside it: `''` for the bucket root,
    /// else the key ending in `/`.
    pub fn folder_prefix(&self) -> String {
        match self.key.as_str() {
            "" => String::new(),
            key if key.ends_with('/') => key.to_string(),
            key => format!("{key}/"),
        }
    }

    /// A trailing `/` (or the bucket root): the path names a folder.
    pub fn is_folder(&self) -> bool {
        self.key.is_empty() || self.key.ends_with('/')
    }

    /// The last part of the path, as a file manager names it: an object's or a folder's own
    /// name, or the bucket's for its root.
    pub fn name(&self) -> &str {
        self.key
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .filter(|n| !n.is_empty())
            .unwrap_or(&self.bucket)
    }
}

#[cfg(test)]
mod tests {
    use super::RemotePath;

    fn parts(text: &str) -> (String, String, String) {
        let p = RemotePath::parse(text).unwrap();
        (p.profile, p.bucket, p.key)
    }

    #[test]
    fn splits_at_the_first_colon_and_the_next_slash() {
        let own = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
        assert_eq!(parts("local:photos"), own("local", "photos", ""));
        assert_eq!(parts("local:photos/"), own("local", "photos", ""));
        assert_eq!(
            parts("Fotos Köln:b/2026/a:b.jpg"),
            own("Fotos Köln", "b", "2026/a:b.jpg")
        );
        assert_eq!(parts("w:b/dir/"), own("w", "b", "dir/"));
    }

    #[test]
    fn refuses_what_is_not_remote_or_not_a_bucket() {
        assert_eq!(RemotePath::parse("photos").unwrap_err().field, Some("path"));
        assert_eq!(
            RemotePath::parse(":photos").unwrap_err().field,
            Some("name")
        );
        assert!(RemotePath::parse_bucket("local:photos/a.jpg").is_err());
        assert!(RemotePath::parse_bucket("local:photos/").is_ok());
    }
}
