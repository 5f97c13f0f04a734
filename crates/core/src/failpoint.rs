//! Named points where a crash test kills the process: `STRATA_FAILPOINT=NAME` aborts it the
//! moment it reaches [`hit`]`(NAME)`, exactly between two steps that must survive a crash
//! (the built-in endpoint's commits, an upload completed but not yet recorded).
//! `STRATA_FAILPOINT=panic@NAME` panics there instead: a test's stand-in for a bug.

/// Aborts the process (or panics) when `STRATA_FAILPOINT` names this point.
pub(crate) fn hit(name: &str) {
    static ARMED: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let Some(armed) = ARMED
        .get_or_init(|| std::env::var("STRATA_FAILPOINT").ok())
        .as_deref()
    else {
        return;
    };
    if armed == name {
        std::process::abort();
    }
    if armed.strip_prefix("panic@") == Some(name) {
        panic!("failpoint {name}");
    }
}
