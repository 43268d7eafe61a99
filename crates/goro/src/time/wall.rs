//! [`Time`]: the value a timer delivers, an instant with the wall-clock
//! time beside it, printed as Go prints a `time.Time`.

use std::cmp::Ordering;
use std::fmt;
use std::ops::{Deref, Sub};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A moment, as both an [`Instant`] (for measuring) and a [`SystemTime`]
/// (for printing): what [`after`](super::after), [`tick`](super::tick),
/// [`Timer`](super::Timer) and [`Ticker`](super::Ticker) deliver, as Go's
/// timers deliver a `time.Time`.
///
/// It prints as Go prints a time, in UTC: `2026-12-05 22:47:27.123456789
/// +0000 UTC`. It derefs to its [`Instant`], so `elapsed()` and
/// `duration_since()` work on it directly; comparisons and subtraction
/// use the instant.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// goro::run(async {
///     let tick = goro::time::after(Duration::from_millis(1)).recv().await.unwrap();
///     println!("Tick at {tick}");
///     assert!(tick.elapsed() < Duration::from_secs(60));
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Time {
    instant: Instant,
    wall: SystemTime,
}

impl Time {
    /// The current time.
    pub fn now() -> Time {
        Time {
            instant: Instant::now(),
            wall: SystemTime::now(),
        }
    }

    /// The monotonic instant.
    pub fn instant(&self) -> Instant {
        self.instant
    }

    /// The wall-clock time.
    pub fn system_time(&self) -> SystemTime {
        self.wall
    }
}

impl Deref for Time {
    type Target = Instant;

    fn deref(&self) -> &Instant {
        &self.instant
    }
}

impl From<Time> for Instant {
    fn from(time: Time) -> Instant {
        time.instant
    }
}

impl From<Time> for SystemTime {
    fn from(time: Time) -> SystemTime {
        time.wall
    }
}

impl PartialOrd for Time {
    fn partial_cmp(&self, other: &Time) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Time {
    fn cmp(&self, other: &Time) -> Ordering {
        self.instant.cmp(&other.instant)
    }
}

impl PartialEq<Instant> for Time {
    fn eq(&self, other: &Instant) -> bool {
        self.instant == *other
    }
}

impl PartialOrd<Instant> for Time {
    fn partial_cmp(&self, other: &Instant) -> Option<Ordering> {
        Some(self.instant.cmp(other))
    }
}

impl PartialEq<Time> for Instant {
    fn eq(&self, other: &Time) -> bool {
        *self == other.instant
    }
}

impl PartialOrd<Time> for Instant {
    fn partial_cmp(&self, other: &Time) -> Option<Ordering> {
        Some(self.cmp(&other.instant))
    }
}

/// The time between two times (zero if `other` is later).
impl Sub for Time {
    type Output = Duration;

    fn sub(self, other: Time) -> Duration {
        self.instant.saturating_duration_since(other.instant)
    }
}

/// The time since an instant (zero if `other` is later).
impl Sub<Instant> for Time {
    type Output = Duration;

    fn sub(self, other: Instant) -> Duration {
        self.instant.saturating_duration_since(other)
    }
}

/// The time since a [`Time`] (zero if it is later).
impl Sub<Time> for Instant {
    type Output = Duration;

    fn sub(self, other: Time) -> Duration {
        self.saturating_duration_since(other.instant)
    }
}

impl fmt::Display for Time {
    /// Go's `Time.String` layout in UTC: `2006-01-02 15:04:05.999999999
    /// -0700 MST`, the fraction without its trailing zeros.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (secs, nanos) = match self.wall.duration_since(UNIX_EPOCH) {
            Ok(since) => (since.as_secs() as i64, since.subsec_nanos()),
            Err(before) => {
                let before = before.duration();
                let (s, n) = (before.as_secs() as i64, before.subsec_nanos());
                if n == 0 {
                    (-s, 0)
                } else {
                    (-s - 1, 1_000_000_000 - n)
                }
            }
        };
        let days = secs.div_euclid(86_400);
        let of_day = secs.rem_euclid(86_400);
        let (year, month, day) = civil(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
            of_day / 3600,
            of_day / 60 % 60,
            of_day % 60
        )?;
        if nanos != 0 {
            let mut digits = format!("{nanos:09}");
            while digits.ends_with('0') {
                digits.pop();
            }
            write!(f, ".{digits}")?;
        }
        f.write_str(" +0000 UTC")
    }
}

impl fmt::Debug for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Time({self})")
    }
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64, nanos: u32) -> Time {
        Time {
            instant: Instant::now(),
            wall: UNIX_EPOCH + Duration::new(secs, nanos),
        }
    }

    #[test]
    fn prints_as_go_prints_a_time_in_utc() {
        assert_eq!(at(0, 0).to_string(), "1970-01-01 00:00:00 +0000 UTC");
        assert_eq!(
            at(1_764_974_847, 123_456_789).to_string(),
            "2025-12-05 22:47:27.123456789 +0000 UTC"
        );
        assert_eq!(
            at(951_825_600, 500_000_000).to_string(),
            "2000-02-29 12:00:00.5 +0000 UTC"
        );
        assert_eq!(
            at(4_107_542_399, 0).to_string(),
            "2100-02-28 23:59:59 +0000 UTC"
        );
        let before = Time {
            instant: Instant::now(),
            wall: UNIX_EPOCH - Duration::new(1, 250_000_000),
        };
        assert_eq!(before.to_string(), "1969-12-31 23:59:58.75 +0000 UTC");
    }

    #[test]
    fn compares_and_subtracts_by_the_instant() {
        let a = Time::now();
        let later = a.instant() + Duration::from_millis(5);
        let b = Time {
            instant: later,
            wall: a.wall,
        };
        assert!(a < b && a < later);
        assert!(later > b.instant() - Duration::from_millis(1));
        assert_eq!(later, b);
        assert_eq!(b, later);
        assert_eq!(b - a, Duration::from_millis(5));
        assert_eq!(a - b, Duration::ZERO);
        assert_eq!(later - a, Duration::from_millis(5));
        assert_eq!(b - a.instant(), Duration::from_millis(5));
    }
}
