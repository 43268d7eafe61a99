//! `summary.txt`: Go's goroutine analysis as text.

use std::io::{self, Write};

use super::analysis::{percentile, Analysis, SliceKind};
use super::text::{count, duration};
use crate::event::{label, site, AliveGoroutine, Nanos, ThreadKind};

/// How many of the longest polls to list.
const LONGEST: usize = 10;
/// How many spawn locations get per-goroutine figures.
const SITES_DETAILED: usize = 10;
/// How many goroutines alive at the end to list.
const ALIVE: usize = 20;

/// `mean`, then nearest-rank `p50 / p90 / max`, of `values` (sorted here),
/// each shown by `show`.
fn distribution_line(
    out: &mut dyn Write,
    what: &str,
    values: &mut [u64],
    show: impl Fn(f64) -> String,
) -> io::Result<()> {
    values.sort_unstable();
    let n = values.len().max(1) as f64;
    let mean = values.iter().map(|&v| v as f64).sum::<f64>() / n;
    let p = |q| show(percentile(values, q).unwrap_or(0) as f64);
    writeln!(
        out,
        "    {what:<10} mean {:>9}   p50 {:>9}   p90 {:>9}   max {:>9}",
        show(mean),
        p(50),
        p(90),
        show(values.last().copied().unwrap_or(0) as f64)
    )
}

/// The busiest sites' goroutines one by one: mean and percentiles of each
/// goroutine's busy, scheduled, blocking and idle time, lifetime and polls.
fn per_goroutine(a: &Analysis, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "Per goroutine, by spawn location (mean, then nearest-rank p50 / p90 / max over its \
         goroutines; busiest {SITES_DETAILED} locations)"
    )?;
    let mut by_site: Vec<Vec<usize>> = vec![Vec::new(); a.sites.len()];
    for (i, g) in a.goroutines.iter().enumerate() {
        by_site[g.site].push(i);
    }
    let as_duration = |v: f64| duration(v.round() as Nanos);
    let as_count = |v: f64| {
        if v.fract() == 0.0 {
            count(v as u64)
        } else {
            format!("{v:.1}")
        }
    };
    for (site, members) in a.sites.iter().zip(&by_site).take(SITES_DETAILED) {
        let plural = if members.len() == 1 { "" } else { "s" };
        writeln!(
            out,
            "  {}: {} goroutine{plural}",
            site.described(),
            count(members.len() as u64)
        )?;
        let column = |f: &dyn Fn(usize) -> u64| members.iter().map(|&g| f(g)).collect::<Vec<_>>();
        let g = |i: usize| &a.goroutines[i];
        distribution_line(out, "busy", &mut column(&|i| g(i).busy), as_duration)?;
        distribution_line(
            out,
            "scheduled",
            &mut column(&|i| g(i).scheduled),
            as_duration,
        )?;
        if members.iter().any(|&i| g(i).blocking > 0) {
            distribution_line(
                out,
                "blocking",
                &mut column(&|i| g(i).blocking),
                as_duration,
            )?;
        }
        distribution_line(out, "idle", &mut column(&|i| g(i).idle()), as_duration)?;
        distribution_line(
            out,
            "lifetime",
            &mut column(&|i| g(i).end - g(i).start),
            as_duration,
        )?;
        distribution_line(out, "polls", &mut column(&|i| g(i).polls), as_count)?;
    }
    if a.sites.len() > SITES_DETAILED {
        writeln!(
            out,
            "  ... and {} more locations",
            count((a.sites.len() - SITES_DETAILED) as u64)
        )?;
    }
    if a.sites.is_empty() {
        writeln!(out, "  (no goroutines recorded)")?;
    }
    writeln!(out)
}

/// The goroutines still alive when the recording ended: as the runtime saw
/// them, if it said, else those whose end the recording did not see.
fn alive_at_end(
    a: &Analysis,
    alive: Option<&[AliveGoroutine]>,
    out: &mut dyn Write,
) -> io::Result<()> {
    /// A goroutine's line: who, doing what, spawned where.
    struct Line {
        label: String,
        state: String,
        site: String,
        id: u64,
    }
    // The first `ALIVE` of `total`.
    let (source, total, listed): (&str, usize, Vec<Line>) = match alive {
        Some(alive) => (
            "states as goro's dump saw them",
            alive.len(),
            alive
                .iter()
                .take(ALIVE)
                .map(|g| Line {
                    label: label(g.name.as_deref(), g.id),
                    state: format!("{}, {}", g.state, duration(g.since)),
                    site: site(g.spawned_at),
                    id: g.id,
                })
                .collect(),
        ),
        None => {
            let open = a.goroutines.iter().filter(|g| g.at_end.is_some());
            (
                "whose end the recording did not see",
                open.clone().count(),
                open.take(ALIVE)
                    .map(|g| Line {
                        label: g.label.clone(),
                        state: g.at_end.unwrap_or("waiting").to_string(),
                        site: a.sites[g.site].site.clone(),
                        id: g.id,
                    })
                    .collect(),
            )
        }
    };
    writeln!(
        out,
        "Goroutines alive at the end: {} ({source})",
        count(total as u64)
    )?;
    for Line {
        label,
        state,
        site,
        id,
    } in &listed
    {
        // What the recording knows of it: busy time and polls.
        let recorded = a
            .goroutines
            .iter()
            .find(|g| g.id == *id)
            .map(|g| format!("busy {}, {} polls", duration(g.busy), count(g.polls)))
            .unwrap_or_else(|| "not recorded".to_string());
        writeln!(
            out,
            "  {label:<20} [{state}]  spawned at {site}  {recorded}"
        )?;
    }
    if total > listed.len() {
        writeln!(
            out,
            "  ... and {} more",
            count((total - listed.len()) as u64)
        )?;
    }
    writeln!(out)
}

fn latency_line(out: &mut dyn Write, what: &str, values: &[u64]) -> io::Result<()> {
    match values.last() {
        None => writeln!(out, "  {what:<22} none recorded"),
        Some(&max) => {
            let p = |q| duration(percentile(values, q).unwrap_or(0));
            writeln!(
                out,
                "  {what:<22} n={:<9} p50 {:>9}  p90 {:>9}  p99 {:>9}  max {:>9}",
                count(values.len() as u64),
                p(50),
                p(90),
                p(99),
                duration(max)
            )
        }
    }
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "-".to_string();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

pub(crate) fn write(
    a: &Analysis,
    alive: Option<&[AliveGoroutine]>,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(out, "goro trace summary")?;
    writeln!(out, "==================")?;
    writeln!(
        out,
        "recorded span {} | {} threads | {} goroutines | {} polls",
        duration(a.end),
        a.threads.len(),
        count(a.goroutines.len() as u64),
        count(a.polls)
    )?;
    if a.dropped > 0 {
        writeln!(
            out,
            "WARNING: {} events were dropped (a thread's ring buffer was full; the oldest went \
             first). The numbers below undercount, and goroutines seen only after the drop start \
             at their first recorded event.",
            count(a.dropped)
        )?;
    }
    writeln!(out)?;

    writeln!(out, "Goroutines by spawn location, busiest first")?;
    writeln!(
        out,
        "  busy = sum of poll durations; scheduled = runnable but waiting for a thread (from spawn \
         to first poll, from wake to next poll);"
    )?;
    writeln!(
        out,
        "  blocking = running on the blocking pool; idle = the rest of the lifetime (waiting on \
         channels, timers, IO)."
    )?;
    writeln!(
        out,
        "  {:>7} {:>10} {:>10} {:>10} {:>10} {:>10}  site",
        "count", "busy", "scheduled", "blocking", "idle", "polls"
    )?;
    for s in &a.sites {
        writeln!(
            out,
            "  {:>7} {:>10} {:>10} {:>10} {:>10} {:>10}  {}",
            count(s.goroutines),
            duration(s.busy),
            duration(s.scheduled),
            duration(s.blocking),
            duration(s.idle),
            count(s.polls),
            s.described()
        )?;
    }
    if a.sites.is_empty() {
        writeln!(out, "  (no goroutines recorded)")?;
    }
    writeln!(out)?;
    per_goroutine(a, out)?;
    alive_at_end(a, alive, out)?;

    writeln!(out, "Scheduling latency (nearest-rank percentiles)")?;
    latency_line(out, "wake -> next poll", &a.wake_latency)?;
    latency_line(out, "spawn -> first poll", &a.spawn_latency)?;
    writeln!(
        out,
        "  A wake during the goroutine's own poll counts from that poll's end. Wakes of an \
         already runnable goroutine: {}; of an ended one: {}; runnable at the end: {}.",
        count(a.redundant_wakes),
        count(a.late_wakes),
        count(a.runnable_at_end)
    )?;
    writeln!(out)?;

    writeln!(out, "Threads (utilisation = busy / recorded span)")?;
    writeln!(
        out,
        "  {:<32} {:>9} {:>10} {:>7} {:>10} {:>7}",
        "thread", "polls", "busy", "util", "parked", "share"
    )?;
    for t in &a.threads {
        let busy = t.busy + t.blocking;
        let parked = match t.kind {
            ThreadKind::Worker => duration(t.parked_total),
            _ if t.parked_total > 0 => duration(t.parked_total),
            _ => "-".to_string(),
        };
        let parked_share = if parked == "-" {
            String::new()
        } else {
            percent(t.parked_total, a.end)
        };
        writeln!(
            out,
            "  {:<32} {:>9} {:>10} {:>7} {:>10} {:>7}",
            t.label(),
            count(t.polls),
            duration(busy),
            percent(busy, a.end),
            parked,
            parked_share
        )?;
    }
    writeln!(out)?;

    writeln!(out, "Longest polls")?;
    let mut longest: Vec<(u64, usize, usize)> = Vec::new();
    for (ti, t) in a.threads.iter().enumerate() {
        for (si, s) in t.slices.iter().enumerate() {
            if matches!(s.what, SliceKind::Poll { .. }) {
                longest.push((s.end - s.start, ti, si));
            }
        }
    }
    // Longest first; earlier first among equals.
    let key = |&(dur, ti, si): &(u64, usize, usize)| {
        (std::cmp::Reverse(dur), a.threads[ti].slices[si].start, ti)
    };
    if longest.len() > LONGEST {
        longest.select_nth_unstable_by_key(LONGEST, key);
        longest.truncate(LONGEST);
    }
    longest.sort_by_key(key);
    for (rank, &(dur, ti, si)) in longest.iter().enumerate() {
        let t = &a.threads[ti];
        let s = t.slices[si];
        let Some(g) = s.what.goroutine() else {
            continue;
        };
        let g = &a.goroutines[g];
        writeln!(
            out,
            "  {:>2}. {:>10}  {:<20} at +{:<10} on {:<16} spawned at {}",
            rank + 1,
            duration(dur),
            g.label,
            duration(s.start),
            t.kind_label(),
            a.sites[g.site].site
        )?;
    }
    if longest.is_empty() {
        writeln!(out, "  (no polls recorded)")?;
    }
    writeln!(out)?;

    writeln!(
        out,
        "Watchdog: {} blocked-worker reports",
        count(a.blocked.len() as u64)
    )?;
    for b in a.blocked.iter().take(LONGEST) {
        let g = &a.goroutines[b.goroutine];
        writeln!(
            out,
            "  at +{:<10} {:<20} held tid {} for {} (spawned at {})",
            duration(b.ts),
            g.label,
            b.tid,
            duration(b.blocked_for),
            a.sites[g.site].site
        )?;
    }
    if a.blocked.len() > LONGEST {
        writeln!(
            out,
            "  ... and {} more",
            count((a.blocked.len() - LONGEST) as u64)
        )?;
    }
    writeln!(out, "Dropped events: {}", count(a.dropped))?;
    Ok(())
}
