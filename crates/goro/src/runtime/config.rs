//! The runtime's configuration from the environment: `GOMAXPROCS`, and the
//! `GORO_*` variables; the errors a runtime that cannot start reports.

use std::fmt;
use std::time::Duration;

/// Why a runtime could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// `GOMAXPROCS` in the environment is not a whole number from 1 to
    /// [`MAX_WORKERS`](crate::Builder::MAX_WORKERS).
    Gomaxprocs(String),
    /// [`Builder::worker_threads`](crate::Builder::worker_threads) was given
    /// more than [`MAX_WORKERS`](crate::Builder::MAX_WORKERS).
    TooManyWorkerThreads(usize),
    /// [`Builder::thread_name`](crate::Builder::thread_name) contains a NUL
    /// byte, which no thread name may.
    ThreadName(String),
    /// [`Builder::worker_threads`](crate::Builder::worker_threads) was given 0.
    ZeroWorkerThreads,
    /// [`Builder::max_blocking_threads`](crate::Builder::max_blocking_threads) was given 0.
    ZeroMaxBlockingThreads,
    /// `GORO_WATCHDOG` in the environment is not `off` or a duration such as
    /// `250ms`.
    Watchdog(String),
    /// `GORO_TRACE_EVENTS` in the environment is not a whole number of 1 or
    /// more.
    TraceEvents(String),
    /// `GORO_SCHEDTRACE` in the environment is not `off` or a period such
    /// as `1s`.
    Schedtrace(String),
    /// `GORO_SIGQUIT` in the environment is not `on` or `off`.
    Sigquit(String),
    /// `GORO_DEADLOCK` is neither `on` nor `off`.
    Deadlock(String),
    /// `run` was called on a thread that is already inside a runtime.
    InsideRuntime,
    /// The operating system refused what the runtime needs (threads, an
    /// event queue).
    Io(std::io::Error),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Gomaxprocs(value) => write!(
                f,
                "GOMAXPROCS={value:?} is not valid: set it to a whole number of worker threads from 1 to {MAX_WORKERS}, or unset it"
            ),
            BuildError::TooManyWorkerThreads(n) => write!(
                f,
                "worker_threads({n}) is not valid: a runtime has at most {MAX_WORKERS} worker threads"
            ),
            BuildError::ThreadName(name) => write!(
                f,
                "thread_name({name:?}) is not valid: a thread name cannot contain a NUL byte"
            ),
            BuildError::ZeroWorkerThreads => f.write_str(
                "worker_threads(0) is not valid: a runtime needs at least 1 worker thread",
            ),
            BuildError::ZeroMaxBlockingThreads => f.write_str(
                "max_blocking_threads(0) is not valid: the blocking pool needs at least 1 thread",
            ),
            BuildError::Watchdog(value) => write!(
                f,
                "GORO_WATCHDOG={value:?} is not valid: set it to a threshold such as 100ms, 2s or 500us, to off, or unset it"
            ),
            BuildError::TraceEvents(value) => write!(
                f,
                "GORO_TRACE_EVENTS={value:?} is not valid: set it to a whole number of events per thread, 1 or more, or unset it"
            ),
            BuildError::Schedtrace(value) => write!(
                f,
                "GORO_SCHEDTRACE={value:?} is not valid: set it to a period such as 1s, 500ms or 100us, to off, or unset it"
            ),
            BuildError::Sigquit(value) => write!(
                f,
                "GORO_SIGQUIT={value:?} is not valid: set it to off (SIGQUIT keeps its default action), to on, or unset it"
            ),
            BuildError::Deadlock(value) => write!(
                f,
                "GORO_DEADLOCK={value:?} is not valid: set it to off (no deadlock report), to on, or unset it"
            ),
            BuildError::InsideRuntime => f.write_str(
                "goro::run was called inside a runtime, which would block one of its threads: \
                 start a goroutine with go!(..) or goro::spawn(..) instead",
            ),
            BuildError::Io(err) => write!(f, "could not start the runtime: {err}"),
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BuildError::Io(err) => Some(err),
            _ => None,
        }
    }
}

/// The most worker threads a runtime may have. Each worker is an OS thread
/// with its own stack and run queue; past the cores, more only cost, and a
/// typo such as `GOMAXPROCS=1000000` would otherwise start a million
/// threads.
pub(crate) const MAX_WORKERS: usize = 1024;

/// The number of cores available to this process (honouring cgroup
/// quotas); 1 if unknown.
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `GOMAXPROCS` from the environment: `Ok(None)` when unset or empty.
pub(crate) fn gomaxprocs_env() -> Result<Option<usize>, BuildError> {
    match positive_env("GOMAXPROCS").map_err(BuildError::Gomaxprocs)? {
        Some(n) if n > MAX_WORKERS => Err(BuildError::Gomaxprocs(n.to_string())),
        n => Ok(n),
    }
}

/// `on` or `off` from the environment variable `name`: `Ok(true)` when
/// unset or empty, `Err(value)` when it is something else.
pub(crate) fn switch_env(name: &str) -> Result<bool, String> {
    match std::env::var_os(name) {
        None => Ok(true),
        Some(raw) => match raw.to_string_lossy().trim() {
            "" | "on" => Ok(true),
            "off" => Ok(false),
            other => Err(other.to_owned()),
        },
    }
}

/// A whole number of 1 or more from the environment variable `name`:
/// `Ok(None)` when unset or empty, `Err(value)` when it is something else.
pub(crate) fn positive_env(name: &str) -> Result<Option<usize>, String> {
    match std::env::var_os(name) {
        None => Ok(None),
        Some(raw) if raw.is_empty() => Ok(None),
        Some(raw) => {
            let text = raw.to_string_lossy();
            match text.parse::<usize>() {
                Ok(n) if n > 0 => Ok(Some(n)),
                _ => Err(text.into_owned()),
            }
        }
    }
}

/// A threshold from the environment variable `name`: `Ok(None)` when unset
/// or empty, `Ok(Some(None))` for `off` or `0`, `Ok(Some(Some(d)))` for a
/// number with a unit (`us`, `ms`, `s`), `Err(value)` for anything else.
pub(crate) fn threshold_env(name: &str) -> Result<Option<Option<Duration>>, String> {
    match std::env::var_os(name) {
        None => Ok(None),
        Some(raw) if raw.is_empty() => Ok(None),
        Some(raw) => {
            let text = raw.to_string_lossy();
            match parse_threshold(text.trim()) {
                Some(threshold) => Ok(Some(threshold)),
                None => Err(text.into_owned()),
            }
        }
    }
}

fn parse_threshold(text: &str) -> Option<Option<Duration>> {
    if text.eq_ignore_ascii_case("off") || text == "0" {
        return Some(None);
    }
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let n: u64 = number.parse().ok()?;
    let threshold = match unit.trim() {
        "us" | "µs" => Duration::from_micros(n),
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        _ => return None,
    };
    Some((!threshold.is_zero()).then_some(threshold))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds() {
        assert_eq!(parse_threshold("off"), Some(None));
        assert_eq!(parse_threshold("0"), Some(None));
        assert_eq!(
            parse_threshold("250ms"),
            Some(Some(Duration::from_millis(250)))
        );
        assert_eq!(parse_threshold("2s"), Some(Some(Duration::from_secs(2))));
        assert_eq!(
            parse_threshold("500us"),
            Some(Some(Duration::from_micros(500)))
        );
        assert_eq!(parse_threshold("100"), None);
        assert_eq!(parse_threshold("fast"), None);
        assert_eq!(parse_threshold("ms"), None);
    }
}
