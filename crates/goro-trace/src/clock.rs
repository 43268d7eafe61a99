//! The recorder's clock: cheap stamps now, nanoseconds later.
//!
//! Reading the monotonic clock costs about 25 ns here (`Instant::now`,
//! through the vDSO); the CPU's time-stamp counter about 10 ns. A poll and
//! the wake that led to it take three readings, so where the kernel itself
//! trusts the counter as its clock source (x86-64 Linux with `tsc`, which
//! the kernel picks only when the counter is invariant and synchronised
//! across cores) stamps are counter readings, turned into nanoseconds when a
//! recording is collected by comparing the counter's progress with the
//! monotonic clock's since the first stamp. Elsewhere stamps are
//! nanoseconds of the monotonic clock.

use std::sync::OnceLock;
use std::time::Instant;

use crate::event::Nanos;

/// A reading of the recorder's clock.
pub type Stamp = u64;

/// What the clock reads, and from when.
struct Base {
    instant: Instant,
    /// The counter at `instant`, if stamps are counter readings.
    tsc: Option<u64>,
}

fn base() -> &'static Base {
    static BASE: OnceLock<Base> = OnceLock::new();
    BASE.get_or_init(|| Base {
        instant: Instant::now(),
        tsc: tsc_is_the_clock().then(tsc),
    })
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn tsc_is_the_clock() -> bool {
    std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
        .is_ok_and(|source| source.trim() == "tsc")
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
fn tsc_is_the_clock() -> bool {
    false
}

#[cfg(target_arch = "x86_64")]
#[inline]
#[allow(unsafe_code)]
fn tsc() -> u64 {
    // SAFETY: `rdtsc` reads the time-stamp counter; it has no preconditions
    // and exists on every x86-64 CPU. It is here because it costs a third of
    // a monotonic clock reading, measured, on the hot path of recording.
    unsafe { core::arch::x86_64::_rdtsc() }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn tsc() -> u64 {
    unreachable!("the time-stamp counter is only used on x86-64")
}

/// The time now.
#[inline]
pub fn now() -> Stamp {
    let base = base();
    match base.tsc {
        Some(_) => tsc(),
        None => base.instant.elapsed().as_nanos() as Stamp,
    }
}

/// How stamps turn into nanoseconds, as measured now.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scale {
    nanos_per_tick: f64,
}

impl Scale {
    pub(crate) fn now() -> Scale {
        let base = base();
        let nanos_per_tick = match base.tsc {
            Some(start) => {
                let nanos = base.instant.elapsed().as_nanos() as f64;
                let ticks = tsc().saturating_sub(start) as f64;
                if ticks > 0.0 {
                    nanos / ticks
                } else {
                    1.0
                }
            }
            None => 1.0,
        };
        Scale { nanos_per_tick }
    }

    /// Nanoseconds from `start` to `stamp` (0 if `stamp` is earlier).
    pub(crate) fn nanos(self, start: Stamp, stamp: Stamp) -> Nanos {
        (stamp.saturating_sub(start) as f64 * self.nanos_per_tick) as Nanos
    }
}
