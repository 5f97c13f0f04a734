//! Named points where a crash test kills the process: `STRATA_FAILPOINT=NAME` aborts it the
//! moment it reaches [`hit`]`(NAME)`, exactly between two steps that must survive a crash
//! (the built-in endpoint's commits, an upload completed but not yet recorded).

/// Aborts the process when `STRATA_FAILPOINT` names this point.
pub(crate) fn hit(name: &str) {
    static ARMED: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if ARMED
        .get_or_init(|| std::env::var("STRATA_FAILPOINT").ok())
        .as_deref()
        == Some(name)
    {
        std::process::abort();
    }
}
