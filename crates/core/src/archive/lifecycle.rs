//! A bucket's lifecycle rules: read, edited, checked and written back. Strata edits only the
//! rules it wrote (their IDs start with `strata-`): transition a prefix to a class after N
//! days, expire unfinished multipart uploads, expire noncurrent versions. Every other rule is
//! sent back exactly as the server gave it.

use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, ExpirationStatus,
    LifecycleRule as SdkRule, LifecycleRuleFilter, NoncurrentVersionExpiration, Transition,
    TransitionStorageClass,
};
use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::remote::RemotePath;
use crate::s3::{self, Account};

/// The start of the ID of every rule Strata writes.
const OWN: &str = "strata-";

/// The most days a rule counts (100 years).
const MAX_DAYS: u32 = 36_500;

/// One rule as Strata shows it; the rules it wrote can be edited.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct LifecycleRule {
    /// Given by Strata to the rules it writes (`strata-1`...) when left empty.
    #[serde(default)]
    pub id: String,
    /// Written by Strata: only these are edited; every other rule is kept as it is.
    #[serde(default = "yes")]
    pub managed: bool,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The key prefix the rule applies to; empty for the whole bucket.
    #[serde(default)]
    pub prefix: String,
    /// Move objects to `transition_class` this many days after they were written.
    pub transition_days: Option<u32>,
    pub transition_class: Option<String>,
    /// Abort multipart uploads left unfinished this many days.
    pub expire_incomplete_uploads_days: Option<u32>,
    /// Delete versions this many days after they stopped being current.
    pub expire_noncurrent_days: Option<u32>,
    /// The rule in words (ignored when rules are written).
    #[serde(default)]
    pub summary: String,
}

fn yes() -> bool {
    true
}

/// A bucket's rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct LifecycleRules {
    /// `PROFILE:BUCKET`.
    #[serde(default)]
    pub bucket: String,
    pub rules: Vec<LifecycleRule>,
}

fn days(value: Option<i32>) -> Option<u32> {
    value.and_then(|d| u32::try_from(d).ok())
}

/// A rule as the server holds it, shown.
fn shown(rule: &SdkRule) -> LifecycleRule {
    let filter = rule.filter();
    let prefix = filter
        .and_then(|f| f.prefix().or_else(|| f.and().and_then(|a| a.prefix())))
        .or({
            // Rules written before filters existed name their prefix on the rule itself.
            #[allow(deprecated)]
            rule.prefix()
        })
        .unwrap_or_default()
        .to_string();
    let transition = rule.transitions().first();
    let mut shown = LifecycleRule {
        id: rule.id().unwrap_or_default().to_string(),
        managed: rule.id().is_some_and(|id| id.starts_with(OWN)),
        enabled: rule.status() == &ExpirationStatus::Enabled,
        prefix,
        transition_days: transition.and_then(|t| days(t.days())),
        transition_class: transition
            .and_then(|t| t.storage_class())
            .map(|c| c.as_str().to_string()),
        expire_incomplete_uploads_days: rule
            .abort_incomplete_multipart_upload()
            .and_then(|a| days(a.days_after_initiation())),
        expire_noncurrent_days: rule
            .noncurrent_version_expiration()
            .and_then(|n| days(n.noncurrent_days())),
        summary: String::new(),
    };
    let mut more = Vec::new();
    if rule.expiration().is_some() {
        more.push("expires current objects");
    }
    if rule.transitions().len() > 1 || !rule.noncurrent_version_transitions().is_empty() {
        more.push("more transitions");
    }
    if filter.is_some_and(|f| f.tag().is_some() || f.and().is_some_and(|a| !a.tags().is_empty())) {
        more.push("a tag filter");
    }
    shown.summary = summary(&shown, &more);
    shown
}

fn summary(rule: &LifecycleRule, more: &[&str]) -> String {
    let scope = if rule.prefix.is_empty() {
        "Whole bucket".to_string()
    } else {
        format!("Under {}", rule.prefix)
    };
    let mut acts = Vec::new();
    if let (Some(days), Some(class)) = (rule.transition_days, &rule.transition_class) {
        acts.push(format!("to {class} after {days} days"));
    }
    if let Some(days) = rule.expire_incomplete_uploads_days {
        acts.push(format!("unfinished uploads aborted after {days} days"));
    }
    if let Some(days) = rule.expire_noncurrent_days {
        acts.push(format!("old versions deleted after {days} days"));
    }
    acts.extend(more.iter().map(|m| m.to_string()));
    let off = if rule.enabled { "" } else { " (disabled)" };
    format!("{scope}: {}{off}", acts.join("; "))
}

/// Checks a rule Strata is to write.
fn check(rule: &LifecycleRule) -> Result<()> {
    let which = if rule.id.is_empty() {
        format!("The rule for \"{}\"", rule.prefix)
    } else {
        format!("Rule {}", rule.id)
    };
    let bad = |why: String| {
        Err(Error::invalid(
            "rules",
            format!("{which} {why}."),
            "Fix the rule and save again.",
        ))
    };
    let in_range = |d: Option<u32>, least: u32| d.is_none_or(|d| (least..=MAX_DAYS).contains(&d));
    match (rule.transition_days, &rule.transition_class) {
        (Some(_), None) | (None, Some(_)) => {
            return bad("needs both a class and a number of days to move objects".into());
        }
        (_, Some(class)) if super::check_class(class)? == "STANDARD" => {
            return bad("moves objects to STANDARD, where they are already".into());
        }
        _ => {}
    }
    if !in_range(rule.transition_days, 0)
        || !in_range(rule.expire_incomplete_uploads_days, 1)
        || !in_range(rule.expire_noncurrent_days, 1)
    {
        return bad(format!("counts days outside 1 to {MAX_DAYS}"));
    }
    if rule.transition_days.is_none()
        && rule.expire_incomplete_uploads_days.is_none()
        && rule.expire_noncurrent_days.is_none()
    {
        return bad("does nothing: give it a transition or an expiry".into());
    }
    Ok(())
}

/// The server's form of a rule Strata writes.
fn written(rule: &LifecycleRule) -> Result<SdkRule> {
    let transitions = match (rule.transition_days, &rule.transition_class) {
        (Some(days), Some(class)) => Some(vec![
            Transition::builder()
                .days(days as i32)
                .storage_class(TransitionStorageClass::from(
                    super::check_class(class)?.as_str(),
                ))
                .build(),
        ]),
        _ => None,
    };
    SdkRule::builder()
        .id(&rule.id)
        .status(if rule.enabled {
            ExpirationStatus::Enabled
        } else {
            ExpirationStatus::Disabled
        })
        .filter(LifecycleRuleFilter::builder().prefix(&rule.prefix).build())
        .set_transitions(transitions)
        .set_abort_incomplete_multipart_upload(rule.expire_incomplete_uploads_days.map(|d| {
            AbortIncompleteMultipartUpload::builder()
                .days_after_initiation(d as i32)
                .build()
        }))
        .set_noncurrent_version_expiration(rule.expire_noncurrent_days.map(|d| {
            NoncurrentVersionExpiration::builder()
                .noncurrent_days(d as i32)
                .build()
        }))
        .build()
        .map_err(|e| {
            Error::invalid(
                "rules",
                format!("A rule could not be written: {e}."),
                "Fix the rule and save again.",
            )
        })
}

impl Engine {
    /// The rules of the bucket `path` names, as the server holds them.
    async fn lifecycle_read(&self, account: &Account, path: &RemotePath) -> Result<Vec<SdkRule>> {
        self.on_bucket(account, &path.bucket, |client| async move {
            match client
                .get_bucket_lifecycle_configuration()
                .bucket(&path.bucket)
                .send()
                .await
            {
                Ok(config) => Ok(config.rules().to_vec()),
                Err(e) if s3::service_code(&e) == Some("NoSuchLifecycleConfiguration") => {
                    Ok(Vec::new())
                }
                Err(e) => Err(s3::error_from_sdk(&e, &account.label())),
            }
        })
        .await
    }

    /// A bucket's lifecycle rules, Strata's and the others.
    pub async fn lifecycle_get(&self, path: &RemotePath) -> Result<LifecycleRules> {
        crate::buckets::check_name(&path.bucket, false)?;
        let account = self.account(&path.profile).await?;
        let rules = self.lifecycle_read(&account, path).await?;
        Ok(LifecycleRules {
            bucket: crate::remote::display(&path.profile, &path.bucket, ""),
            rules: rules.iter().map(shown).collect(),
        })
    }

    /// Replaces Strata's rules of a bucket with `rules` (those not `managed` are ignored:
    /// the server's own are kept as they are), and returns the rules as the server then
    /// holds them.
    pub async fn lifecycle_set(
        &self,
        path: &RemotePath,
        rules: &[LifecycleRule],
    ) -> Result<LifecycleRules> {
        crate::buckets::check_name(&path.bucket, false)?;
        let mut ours: Vec<LifecycleRule> = rules.iter().filter(|r| r.managed).cloned().collect();
        for rule in &ours {
            check(rule)?;
        }
        let mut next = 1;
        for rule in &mut ours {
            if !rule.id.starts_with(OWN) {
                while rules.iter().any(|r| r.id == format!("{OWN}{next}")) {
                    next += 1;
                }
                rule.id = format!("{OWN}{next}");
                next += 1;
            }
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(twice) = ours.iter().find(|r| !seen.insert(r.id.as_str())) {
            return Err(Error::invalid(
                "rules",
                format!("Rule {} is given twice.", twice.id),
                "Give each rule its own id, or leave the id empty.",
            ));
        }
        let account = self.account(&path.profile).await?;
        let mut kept: Vec<SdkRule> = self
            .lifecycle_read(&account, path)
            .await?
            .into_iter()
            .filter(|r| !r.id().is_some_and(|id| id.starts_with(OWN)))
            .collect();
        for rule in &ours {
            kept.push(written(rule)?);
        }
        self.on_bucket(&account, &path.bucket, |client| {
            let kept = kept.clone();
            let account = &account;
            async move {
                if kept.is_empty() {
                    client
                        .delete_bucket_lifecycle()
                        .bucket(&path.bucket)
                        .send()
                        .await
                        .map_err(|e| s3::error_from_sdk(&e, &account.label()))?;
                    return Ok(());
                }
                let config = BucketLifecycleConfiguration::builder()
                    .set_rules(Some(kept))
                    .build()
                    .map_err(|e| {
                        Error::invalid("rules", e.to_string(), "Fix the rules and save again.")
                    })?;
                client
                    .put_bucket_lifecycle_configuration()
                    .bucket(&path.bucket)
                    .lifecycle_configuration(config)
                    .send()
                    .await
                    .map_err(|e| s3::error_from_sdk(&e, &account.label()))?;
                Ok(())
            }
        })
        .await?;
        self.log_activity(
            crate::activity::Record::new(
                "lifecycle",
                &crate::remote::display(&path.profile, &path.bucket, ""),
            )
            .counts(ours.len() as u64, 0)
            .detail(format!(
                "{} Strata rule(s) written; other rules kept",
                ours.len()
            )),
        )
        .await;
        self.lifecycle_get(path).await
    }
}

#[cfg(test)]
mod tests {
    use super::{LifecycleRule, check};

    fn rule() -> LifecycleRule {
        LifecycleRule {
            managed: true,
            enabled: true,
            prefix: "clients/".into(),
            transition_days: Some(30),
            transition_class: Some("glacier".into()),
            ..LifecycleRule::default()
        }
    }

    #[test]
    fn rules_are_checked_before_they_are_written() {
        assert!(check(&rule()).is_ok());
        let half = LifecycleRule {
            transition_class: None,
            ..rule()
        };
        assert!(check(&half).unwrap_err().message.contains("both a class"));
        let idle = LifecycleRule {
            transition_days: None,
            transition_class: None,
            ..rule()
        };
        assert!(check(&idle).unwrap_err().message.contains("does nothing"));
        let hot = LifecycleRule {
            transition_class: Some("STANDARD".into()),
            ..rule()
        };
        assert!(check(&hot).is_err());
        let zero = LifecycleRule {
            expire_incomplete_uploads_days: Some(0),
            ..rule()
        };
        assert!(check(&zero).is_err());
    }
}
