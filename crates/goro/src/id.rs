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
    /// larger allocation. Tokio shows its ids only through `Display`, so this
    /// reads the number back from there (off the hot path: only when an id is
    /// asked for).
    pub(crate) fn from_tokio(id: tokio::task::Id) -> GoroutineId {
        let mut digits = Digits::default();
        fmt::write(&mut digits, format_args!("{id}")).expect("formatting a task id");
        let n = digits.value.expect("Tokio task ids print as numbers");
        // Tokio's ids start at 1 too; 1 is the main goroutine's.
        GoroutineId(NonZeroU64::new(n.saturating_add(1)).expect("greater than 0"))
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
