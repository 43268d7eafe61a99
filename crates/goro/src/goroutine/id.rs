//! Goroutine ids.

use std::fmt;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};

/// The id of a goroutine.
///
/// The main goroutine of a [`run`](crate::run) is `1`; every other goroutine
/// gets the next number of one process-wide counter, so ids count up in the
/// order goroutines were started and are never reused. Ids print as the bare number, as Go's do.
///
/// # Examples
///
/// ```
/// goro::run(async {
///     assert_eq!(goro::id().unwrap().as_u64(), 1);
///     let child = goro::go!(async { goro::id().unwrap() });
///     let child_id = child.id();
///     assert_eq!(child.await.unwrap(), child_id);
///     assert!(child_id.as_u64() > 1);
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GoroutineId(NonZeroU64);

impl GoroutineId {
    /// The id of the main goroutine of every [`run`](crate::run).
    pub const MAIN: GoroutineId = GoroutineId(NonZeroU64::MIN);

    /// The next id of the process-wide counter: 2 for the first goroutine
    /// started (1 is every main goroutine's), then counting up.
    #[inline]
    pub(crate) fn next() -> GoroutineId {
        static NEXT: AtomicU64 = AtomicU64::new(2);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        GoroutineId(NonZeroU64::new(n).expect("goroutine ids start at 2 and do not wrap in a u64"))
    }

    /// The id whose number is `n`, if `n` is not 0.
    pub(crate) fn from_u64(n: u64) -> Option<GoroutineId> {
        NonZeroU64::new(n).map(GoroutineId)
    }

    /// The id as a number.
    pub fn as_u64(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Display for GoroutineId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for GoroutineId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GoroutineId({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_count_up_from_two() {
        let first = GoroutineId::next();
        let second = GoroutineId::next();
        assert!(first.as_u64() >= 2);
        assert!(second > first);
    }
}
