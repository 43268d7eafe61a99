//! Goroutine identity: ids, and which goroutine the current thread is running.

use std::fmt;
use std::num::NonZeroU64;

/// The id of a goroutine.
///
/// The main goroutine of a [`run`](crate::run) is `1`; every other goroutine
/// gets the next number of one process-wide counter (the Tokio task id, plus
/// one), so ids count up in the order goroutines were started and are never
/// reused. Ids print as the bare number, as Go's do.
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

    /// The id of the goroutine that is the Tokio task `id`.
    ///
    /// Goroutines do not store an id of their own: Tokio's task cell has one
    /// already, and every byte a goroutine adds can move its task into a
    /// larger allocation. Tokio shows its ids only through `Hash` and
    /// `Display`; this reads the number from `Hash` (a few instructions, so
    /// the watchdog can do it on every poll) and falls back to parsing
    /// `Display` should Tokio ever hash anything but the one number.
    #[inline]
    pub(crate) fn from_tokio(id: tokio::task::Id) -> GoroutineId {
        GoroutineId::from_number(tokio_number(id).unwrap_or_else(|| tokio_number_from_display(id)))
    }

    /// [`from_tokio`](GoroutineId::from_tokio) without the fallback: `None`
    /// should Tokio's `Hash` ever change (the watchdog's hot path).
    #[cfg(feature = "trace")]
    #[inline]
    pub(crate) fn from_tokio_hash(id: tokio::task::Id) -> Option<GoroutineId> {
        tokio_number(id).map(GoroutineId::from_number)
    }

    /// Tokio's ids start at 1 too; 1 is the main goroutine's.
    #[inline]
    fn from_number(tokio_number: u64) -> GoroutineId {
        GoroutineId(NonZeroU64::new(tokio_number.saturating_add(1)).expect("greater than 0"))
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

/// The number inside a Tokio task id, as its `Hash` writes it; `None` if it
/// writes anything else than one `u64`.
#[inline]
fn tokio_number(id: tokio::task::Id) -> Option<u64> {
    use std::hash::{Hash, Hasher};

    /// Keeps the one `u64` written, or notes that something else was.
    struct Capture {
        value: Option<u64>,
        other: bool,
    }
    impl Hasher for Capture {
        fn write(&mut self, _bytes: &[u8]) {
            self.other = true;
        }
        fn write_u64(&mut self, n: u64) {
            self.other |= self.value.is_some();
            self.value = Some(n);
        }
        fn finish(&self) -> u64 {
            0
        }
    }
    let mut capture = Capture {
        value: None,
        other: false,
    };
    id.hash(&mut capture);
    capture.value.filter(|_| !capture.other)
}

#[cold]
fn tokio_number_from_display(id: tokio::task::Id) -> u64 {
    let mut digits = Digits::default();
    fmt::write(&mut digits, format_args!("{id}")).expect("formatting a task id");
    digits.value.expect("Tokio task ids print as numbers")
}

/// Parses a formatted number without allocating.
#[derive(Default)]
struct Digits {
    value: Option<u64>,
}

impl fmt::Write for Digits {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            let digit = u64::from(b.checked_sub(b'0').filter(|d| *d <= 9).ok_or(fmt::Error)?);
            let value = self.value.unwrap_or(0);
            self.value = Some(
                value
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(digit))
                    .ok_or(fmt::Error)?,
            );
        }
        Ok(())
    }
}

/// Returns the id of the goroutine running this code, or `None` outside any
/// goroutine (a plain thread, or a Tokio task not started through goro).
///
/// # Examples
///
/// ```
/// assert_eq!(goro::id(), None);
/// goro::run(async {
///     assert_eq!(goro::id(), Some(goro::GoroutineId::MAIN));
/// });
/// ```
pub fn id() -> Option<GoroutineId> {
    crate::context::current()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path reads the same number Tokio prints.
    #[test]
    fn hash_and_display_agree() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        for _ in 0..100 {
            let handle = rt.spawn(async {});
            let id = handle.id();
            assert_eq!(tokio_number(id), Some(tokio_number_from_display(id)));
        }
    }
}
