//! S3's bucket naming rules, checked before any request (and by the local endpoint).

/// `Err` names the rule `name` breaks, as a sentence fragment.
pub fn check(name: &str) -> Result<(), String> {
    let len = name.len();
    if !(3..=63).contains(&len) {
        return Err(format!("must be 3 to 63 characters long (it has {len})"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-'))
    {
        return Err(format!(
            "may contain only lowercase letters, digits, '.' and '-' (not {c:?})"
        ));
    }
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !edge_ok(name.chars().next()) || !edge_ok(name.chars().last()) {
        return Err("must begin and end with a letter or digit".into());
    }
    if name.contains("..") || name.contains(".-") || name.contains("-.") {
        return Err("may not have two periods, or a period next to a hyphen, in a row".into());
    }
    if name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return Err("may not look like an IP address".into());
    }
    for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if name.starts_with(prefix) {
            return Err(format!("may not start with \"{prefix}\""));
        }
    }
    for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
        if name.ends_with(suffix) {
            return Err(format!("may not end with \"{suffix}\""));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn valid_names_pass() {
        for name in ["abc", "my-bucket.photos", "2026-shoot", &"a".repeat(63)] {
            assert_eq!(check(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn each_rule_is_named() {
        for (name, rule) in [
            ("ab", "3 to 63"),
            (&"a".repeat(64), "3 to 63"),
            ("My-Bucket", "lowercase"),
            ("under_score", "lowercase"),
            ("-abc", "begin and end"),
            ("abc.", "begin and end"),
            ("a..b", "two periods"),
            ("a.-b", "period next to a hyphen"),
            ("192.168.5.4", "IP address"),
            ("xn--abc", "\"xn--\""),
            ("sthree-abc", "\"sthree-\""),
            ("abc-s3alias", "\"-s3alias\""),
            ("abc--ol-s3", "\"--ol-s3\""),
        ] {
            let err = check(name).unwrap_err();
            assert!(err.contains(rule), "{name}: {err}");
        }
    }
}
