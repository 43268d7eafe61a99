//! `timeline.html`: a self-contained page with one inline SVG: a lane per
//! thread (main, workers, blocking, other), polls coloured by spawn site,
//! parked time hatched, a time axis and a legend. No scripts, no fonts, no
//! network: tooltips are SVG `<title>`s.
//!
//! Big recordings stay small: on each lane, polls narrower than a pixel
//! (more on crowded pages) are merged into one rect coloured by the site
//! that was busiest in it, with an opacity for how busy the merged span
//! was; every element is counted against a cap.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::analysis::{Analysis, SliceKind, Thread};
use super::text::{count, duration, html};
use crate::event::{Nanos, ThreadKind};

/// Width of the time-scaled part, in pixels.
const PLOT_W: f64 = 1400.0;
/// Width of the lane labels on the left.
const LABEL_W: f64 = 210.0;
const RIGHT: f64 = 30.0;
const WIDTH: f64 = LABEL_W + PLOT_W + RIGHT;
/// Where the time axis sits.
const AXIS_Y: f64 = 96.0;
const LANE_GAP: f64 = 6.0;
/// The most SVG elements the page may hold.
const MAX_ELEMENTS: usize = 40_000;
/// Elements kept back for the axis, labels and legend.
const RESERVED: usize = 3_000;
/// A merged run of narrow polls ends once it is this many `min_px` wide.
const MAX_RUN_PX: f64 = 3.0;
/// Legend rows for sites; the rest are summed into one row.
const LEGEND_SITES: usize = 24;
/// At most this many watchdog markers.
const MAX_BLOCKED_MARKS: usize = 500;

/// Distinct colours for the busiest spawn sites.
const PALETTE: [&str; 20] = [
    // Tableau 10 (grey swapped for cyan, grey means "other"), ordered so
    // that the first few differ most; then lighter companions.
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948", "#9c755f",
    "#ff9da7", "#17becf", "#a0cbe8", "#ffbe7d", "#8cd17d", "#b6992d", "#499894", "#86bcb6",
    "#f1ce63", "#d37295", "#d4a6c8", "#fabfd2",
];
/// Sites past the palette.
const OTHER_COLOUR: &str = "#b5b5b5";
/// The outline of a poll drawn on its own.
const OUTLINE: &str = " stroke=\"#000000\" stroke-opacity=\"0.45\" stroke-width=\"0.6\"";
/// Blocking calls that run as no goroutine.
const BLOCKING_COLOUR: &str = "#7f7f7f";

fn lane_height(kind: ThreadKind) -> f64 {
    match kind {
        ThreadKind::Main | ThreadKind::Worker => 30.0,
        ThreadKind::Blocking | ThreadKind::Other => 18.0,
    }
}

/// Whether text on `colour` (`#rrggbb`) reads better white than black.
fn dark(colour: &str) -> bool {
    let channel =
        |i: usize| u8::from_str_radix(colour.get(i..i + 2).unwrap_or("ff"), 16).unwrap_or(255);
    let luma = 0.299 * f64::from(channel(1))
        + 0.587 * f64::from(channel(3))
        + 0.114 * f64::from(channel(5));
    luma < 140.0
}

/// A colour per site (by index into `Analysis::sites`, busiest first):
/// the busiest sites, as many as the palette has colours, take them in
/// the order of their `file:line`, so that the colours are the palette's
/// most distinct ones and a program's sites keep theirs from run to run;
/// the rest are grey.
fn site_colours(a: &Analysis) -> Vec<&'static str> {
    let coloured = a.sites.len().min(PALETTE.len());
    let mut by_name: Vec<usize> = (0..coloured).collect();
    by_name.sort_by(|&x, &y| a.sites[x].site.cmp(&a.sites[y].site));
    let mut colours = vec![OTHER_COLOUR; a.sites.len()];
    for (slot, &site) in by_name.iter().enumerate() {
        colours[site] = PALETTE[slot];
    }
    colours
}

/// Tick spacing: 1, 2 or 5 times a power of ten, about `span / target`.
fn tick_step(span: Nanos, target: u64) -> Nanos {
    let raw = (span / target.max(1)).max(1);
    let mut magnitude = 1u64;
    while magnitude.saturating_mul(10) <= raw {
        magnitude *= 10;
    }
    for m in [1, 2, 5, 10] {
        if m * magnitude >= raw {
            return m * magnitude;
        }
    }
    10 * magnitude
}

/// A tick label in the unit that suits the step: `0`, `250 µs`, `1.5 ms`.
fn tick_label(t: Nanos, step: Nanos) -> String {
    if t == 0 {
        return "0".to_string();
    }
    // The largest unit the step is at least a tenth of: 0.5 ms, not 500 µs.
    let (unit, name) = match step.saturating_mul(10) {
        s if s >= 1_000_000_000 => (1_000_000_000, "s"),
        s if s >= 1_000_000 => (1_000_000, "ms"),
        s if s >= 1_000 => (1_000, "µs"),
        _ => (1, "ns"),
    };
    let mut decimals = 0;
    let mut rest = step % unit;
    let mut scale = unit;
    while rest != 0 && decimals < 3 {
        decimals += 1;
        scale /= 10;
        rest = step % scale.max(1);
    }
    format!("{:.*} {name}", decimals, t as f64 / unit as f64)
}

/// Per lane, the width under which polls are merged: a pixel where the
/// lane's share of the element budget allows it, more on busy lanes.
///
/// A lane drawn with threshold `m` needs at most about `5 * PLOT_W / m`
/// elements (rects of at least `m` px that do not overlap, merged runs
/// separated by `m` px, their titles, parked rects), and never more than
/// two per slice and one per parked interval. The budget goes to the
/// lanes that need least first (water-filling), so quiet lanes do not
/// hold back what busy ones could use.
fn lane_min_px(a: &Analysis) -> Vec<f64> {
    let need: Vec<usize> = a
        .threads
        .iter()
        .map(|t| 2 * t.slices.len() + t.parked.len() + 50)
        .collect();
    let mut order: Vec<usize> = (0..need.len()).collect();
    order.sort_by_key(|&i| need[i]);
    let mut remaining = MAX_ELEMENTS - RESERVED;
    let mut min_px = vec![1.0; need.len()];
    for (k, &i) in order.iter().enumerate() {
        let share = remaining / (order.len() - k);
        let given = need[i].min(share);
        remaining -= given;
        if need[i] > given {
            min_px[i] = (5.0 * PLOT_W / given.max(1) as f64).max(1.0);
        }
    }
    min_px
}

/// The SVG body, with its element count.
struct Svg {
    body: String,
    elements: usize,
    truncated: bool,
}

impl Svg {
    /// Room for `n` more elements?
    fn room(&mut self, n: usize) -> bool {
        if self.elements + n > MAX_ELEMENTS {
            self.truncated = true;
            return false;
        }
        self.elements += n;
        true
    }

    /// A rect at `(x, y, width, height)`.
    fn rect(
        &mut self,
        (x, y, w, h): (f64, f64, f64, f64),
        fill: &str,
        extra: &str,
        title: Option<&str>,
    ) {
        if !self.room(1 + usize::from(title.is_some())) {
            return;
        }
        let _ = write!(
            self.body,
            "<rect x=\"{x:.2}\" y=\"{y:.1}\" width=\"{w:.2}\" height=\"{h:.1}\" fill=\"{fill}\"{extra}"
        );
        match title {
            Some(title) => {
                let _ = write!(self.body, "><title>{}</title></rect>", html(title));
            }
            None => self.body.push_str("/>"),
        }
    }

    fn text(&mut self, x: f64, y: f64, attrs: &str, text: &str) {
        if !self.room(1) {
            return;
        }
        let _ = write!(
            self.body,
            "<text x=\"{x:.1}\" y=\"{y:.1}\" {attrs}>{}</text>",
            html(text)
        );
    }
}

/// Narrow polls being merged into one rect.
struct Run {
    x0: f64,
    x1: f64,
    t0: Nanos,
    t1: Nanos,
    busy: Nanos,
    polls: u64,
    /// Busy time per colour key (site index, or `usize::MAX` for blocking
    /// calls without a goroutine).
    by_key: Vec<(usize, Nanos)>,
}

struct Lanes<'a> {
    a: &'a Analysis,
    colours: Vec<&'static str>,
    span: Nanos,
}

impl Lanes<'_> {
    fn x(&self, t: Nanos) -> f64 {
        LABEL_W + t as f64 / self.span as f64 * PLOT_W
    }

    fn colour(&self, key: usize) -> &'static str {
        self.colours.get(key).copied().unwrap_or(BLOCKING_COLOUR)
    }

    fn key(&self, what: SliceKind) -> usize {
        match what.goroutine() {
            Some(g) => self.a.goroutines[g].site,
            None => usize::MAX,
        }
    }

    fn flush(&self, svg: &mut Svg, run: Run, y: f64, h: f64, min_px: f64) {
        let (key, _) = run
            .by_key
            .iter()
            .copied()
            .max_by_key(|&(k, busy)| (busy, std::cmp::Reverse(k)))
            .unwrap_or((usize::MAX, 0));
        let width = (run.x1 - run.x0).max(min_px);
        let density = if run.t1 > run.t0 {
            run.busy as f64 / (run.t1 - run.t0) as f64
        } else {
            1.0
        };
        let opacity = density.clamp(0.35, 1.0);
        let mostly = match key {
            usize::MAX => "blocking calls".to_string(),
            k => self.a.sites[k].site.clone(),
        };
        let title = format!(
            "{} polls at +{} over {}, busy {}; mostly {}",
            count(run.polls),
            duration(run.t0),
            duration(run.t1 - run.t0),
            duration(run.busy),
            mostly
        );
        let extra = if opacity < 1.0 {
            format!(" fill-opacity=\"{opacity:.2}\"")
        } else {
            String::new()
        };
        svg.rect(
            (run.x0, y, width, h),
            self.colour(key),
            &extra,
            Some(&title),
        );
    }

    fn slice_title(&self, thread: &Thread, i: usize) -> String {
        let s = thread.slices[i];
        let timing = format!("+{} for {}", duration(s.start), duration(s.end - s.start));
        match s.what {
            SliceKind::Poll { goroutine, ready } => {
                let g = &self.a.goroutines[goroutine];
                let done = if ready { " (completed)" } else { "" };
                format!(
                    "{} — spawned at {}\npoll {timing}{done}",
                    g.label, self.a.sites[g.site].site
                )
            }
            SliceKind::Blocking { job, goroutine } => match goroutine {
                Some(g) => {
                    let g = &self.a.goroutines[g];
                    format!(
                        "blocking call {job} as {} — spawned at {}\n{timing}",
                        g.label, self.a.sites[g.site].site
                    )
                }
                None => format!("blocking call {job}\n{timing}"),
            },
        }
    }

    fn lane(&self, svg: &mut Svg, thread: &Thread, y: f64, h: f64, min_px: f64) {
        // Parked time, merged where the gaps are under `min_px`.
        let mut parked: Option<(f64, f64, Nanos)> = None;
        let flush_parked = |svg: &mut Svg, (x0, x1, ns): (f64, f64, Nanos)| {
            if x1 - x0 >= 0.5 {
                let title = format!("parked {}", duration(ns));
                svg.rect((x0, y, x1 - x0, h), "url(#parked)", "", Some(&title));
            }
        };
        for &(from, to) in &thread.parked {
            let (x0, x1) = (self.x(from), self.x(to));
            parked = match parked {
                Some((p0, p1, ns)) if x0 - p1 < min_px => Some((p0, x1, ns + (to - from))),
                Some(p) => {
                    flush_parked(svg, p);
                    Some((x0, x1, to - from))
                }
                None => Some((x0, x1, to - from)),
            };
        }
        if let Some(p) = parked {
            flush_parked(svg, p);
        }

        // Polls and blocking calls.
        let mut run: Option<Run> = None;
        for (i, s) in thread.slices.iter().enumerate() {
            let (x0, x1) = (self.x(s.start), self.x(s.end));
            let key = self.key(s.what);
            let dur = s.end - s.start;
            if x1 - x0 >= min_px {
                if let Some(r) = run.take() {
                    self.flush(svg, r, y, h, min_px);
                }
                let title = self.slice_title(thread, i);
                // Outlined where wide enough for the outline to show.
                let outline = if x1 - x0 >= 3.0 { OUTLINE } else { "" };
                let colour = self.colour(key);
                svg.rect((x0, y, x1 - x0, h), colour, outline, Some(&title));
                // Named inside where there is room.
                let fits = ((x1 - x0 - 6.0) / 6.2).floor() as usize;
                let name = match s.what.goroutine() {
                    Some(g) => self.a.goroutines[g].label.clone(),
                    None => format!(
                        "call {}",
                        match s.what {
                            SliceKind::Blocking { job, .. } => job,
                            SliceKind::Poll { .. } => 0,
                        }
                    ),
                };
                // The whole name, or enough of it to mean something.
                if fits >= name.chars().count().min(8) {
                    let name: String = if name.chars().count() > fits {
                        name.chars().take(fits - 1).chain(['…']).collect()
                    } else {
                        name
                    };
                    let ink = if dark(colour) { "#ffffff" } else { "#111111" };
                    let attrs = format!("font-size=\"10\" fill=\"{ink}\" pointer-events=\"none\"");
                    svg.text(x0 + 3.0, y + h / 2.0 + 3.5, &attrs, &name);
                }
                continue;
            }
            match &mut run {
                Some(r) if x0 - r.x1 <= min_px && x1 - r.x0 <= MAX_RUN_PX * min_px => {
                    r.x1 = r.x1.max(x1);
                    r.t1 = r.t1.max(s.end);
                    r.busy += dur;
                    r.polls += 1;
                    match r.by_key.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, busy)) => *busy += dur,
                        None => r.by_key.push((key, dur)),
                    }
                }
                _ => {
                    if let Some(r) = run.take() {
                        self.flush(svg, r, y, h, min_px);
                    }
                    run = Some(Run {
                        x0,
                        x1,
                        t0: s.start,
                        t1: s.end,
                        busy: dur,
                        polls: 1,
                        by_key: vec![(key, dur)],
                    });
                }
            }
        }
        if let Some(r) = run.take() {
            self.flush(svg, r, y, h, min_px);
        }
    }
}

pub(crate) fn write(a: &Analysis, out: &mut dyn Write) -> io::Result<()> {
    let span = a.end.max(1);
    let lanes = Lanes {
        a,
        colours: site_colours(a),
        span,
    };
    let mut svg = Svg {
        body: String::new(),
        elements: 0,
        truncated: false,
    };

    // Lanes.
    let lanes_top = AXIS_Y + 8.0;
    let mut y = lanes_top;
    let mut lane_ys = Vec::with_capacity(a.threads.len());
    for t in &a.threads {
        let h = lane_height(t.kind);
        lane_ys.push((y, h));
        y += h + LANE_GAP;
    }
    let lanes_bottom = y - LANE_GAP;
    let min_px = lane_min_px(a);
    let widest_merge = min_px.iter().copied().fold(1.0, f64::max);

    // Lane backgrounds and labels.
    for (t, &(y, h)) in a.threads.iter().zip(&lane_ys) {
        svg.rect(
            (LABEL_W, y, PLOT_W, h),
            "#ffffff",
            " stroke=\"#c8c8c8\" stroke-width=\"0.5\"",
            None,
        );
        let mut name = t.name.clone();
        if name.chars().count() > 24 {
            name = name.chars().take(23).collect::<String>() + "…";
        }
        let busy = t.busy + t.blocking;
        let share = format!("{:.0}% busy", busy as f64 * 100.0 / span as f64);
        if h >= 26.0 {
            svg.text(
                8.0,
                y + 12.5,
                "font-size=\"12\" font-weight=\"bold\"",
                &name,
            );
            svg.text(
                8.0,
                y + 25.0,
                "font-size=\"10\" fill=\"#555\"",
                &format!("{} · {share}", t.kind_label()),
            );
        } else {
            svg.text(
                8.0,
                y + h - 5.0,
                "font-size=\"10\"",
                &format!("{name} ({}) · {share}", t.kind_label()),
            );
        }
    }

    // Time axis and grid.
    let step = tick_step(span, 10);
    let mut tick = 0;
    while tick <= span {
        let x = lanes.x(tick);
        let _ = svg.room(2);
        let _ = write!(
            svg.body,
            "<line x1=\"{x:.2}\" y1=\"{:.1}\" x2=\"{x:.2}\" y2=\"{lanes_bottom:.1}\" stroke=\"#e0e0e0\" stroke-width=\"1\"/>",
            AXIS_Y
        );
        let _ = write!(
            svg.body,
            "<text x=\"{x:.2}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#333\">{}</text>",
            AXIS_Y - 5.0,
            html(&tick_label(tick, step))
        );
        tick += step;
    }

    // Slices.
    for ((t, &(y, h)), &min_px) in a.threads.iter().zip(&lane_ys).zip(&min_px) {
        lanes.lane(&mut svg, t, y, h, min_px);
    }

    // Watchdog marks above their lane.
    let lane_of: HashMap<u32, (f64, f64)> = a
        .threads
        .iter()
        .map(|t| t.tid)
        .zip(lane_ys.iter().copied())
        .collect();
    for b in a.blocked.iter().take(MAX_BLOCKED_MARKS) {
        let Some(&(y, _)) = lane_of.get(&b.tid) else {
            continue;
        };
        if !svg.room(2) {
            break;
        }
        let g = &a.goroutines[b.goroutine];
        let title = format!(
            "watchdog: {} held this worker for {} (at +{})",
            g.label,
            duration(b.blocked_for),
            duration(b.ts)
        );
        let _ = write!(
            svg.body,
            "<path d=\"M{:.2},{:.1} l-6,-9 h12 z\" fill=\"#d00000\" stroke=\"#ffffff\" stroke-width=\"1\">\
             <title>{}</title></path>",
            lanes.x(b.ts),
            y + 9.0,
            html(&title)
        );
    }

    // Legend.
    let mut y = lanes_bottom + 34.0;
    svg.text(
        LABEL_W,
        y,
        "font-size=\"13\" font-weight=\"bold\"",
        "Spawn sites (colour → file:line), busiest first",
    );
    y += 8.0;
    let mut rest = (0u64, 0u64, 0u64, 0u64);
    for (i, site) in a.sites.iter().enumerate() {
        if i >= LEGEND_SITES {
            rest = (
                rest.0 + 1,
                rest.1 + site.goroutines,
                rest.2 + site.polls,
                rest.3 + site.busy,
            );
            continue;
        }
        svg.rect((LABEL_W, y + 4.0, 14.0, 12.0), lanes.colours[i], "", None);
        let line = format!(
            "{}  —  {} goroutine{}, {} polls, busy {}",
            site.described(),
            count(site.goroutines),
            if site.goroutines == 1 { "" } else { "s" },
            count(site.polls),
            duration(site.busy)
        );
        svg.text(LABEL_W + 22.0, y + 14.5, "font-size=\"12\"", &line);
        y += 18.0;
    }
    if rest.0 > 0 {
        svg.rect((LABEL_W, y + 4.0, 14.0, 12.0), OTHER_COLOUR, "", None);
        let line = format!(
            "{} more sites  —  {} goroutines, {} polls, busy {}",
            count(rest.0),
            count(rest.1),
            count(rest.2),
            duration(rest.3)
        );
        svg.text(LABEL_W + 22.0, y + 14.5, "font-size=\"12\"", &line);
        y += 18.0;
    }
    if a.sites.is_empty() {
        svg.text(
            LABEL_W,
            y + 14.5,
            "font-size=\"12\" fill=\"#555\"",
            "(no goroutines recorded)",
        );
        y += 18.0;
    }
    y += 10.0;
    let key_y = y;
    svg.rect(
        (LABEL_W, key_y + 4.0, 14.0, 12.0),
        "url(#parked)",
        " stroke=\"#999\" stroke-width=\"0.5\"",
        None,
    );
    svg.text(
        LABEL_W + 22.0,
        key_y + 14.5,
        "font-size=\"12\"",
        "parked (idle worker)",
    );
    svg.rect(
        (LABEL_W + 190.0, key_y + 4.0, 14.0, 12.0),
        "#ffffff",
        " stroke=\"#999\" stroke-width=\"0.5\"",
        None,
    );
    svg.text(
        LABEL_W + 212.0,
        key_y + 14.5,
        "font-size=\"12\"",
        "awake, not polling",
    );
    svg.rect(
        (LABEL_W + 370.0, key_y + 4.0, 14.0, 12.0),
        BLOCKING_COLOUR,
        "",
        None,
    );
    svg.text(
        LABEL_W + 392.0,
        key_y + 14.5,
        "font-size=\"12\"",
        "blocking call (no goroutine)",
    );
    let _ = svg.room(1);
    let _ = write!(
        svg.body,
        "<path d=\"M{:.1},{:.1} l-6,-9 h12 z\" fill=\"#d00000\"/>",
        LABEL_W + 608.0,
        key_y + 14.0
    );
    svg.text(
        LABEL_W + 620.0,
        key_y + 14.5,
        "font-size=\"12\"",
        "watchdog: worker blocked",
    );
    y += 22.0;
    let threshold = if widest_merge > 1.0 {
        format!("a pixel ({widest_merge:.0} px on the busiest lanes)")
    } else {
        "a pixel".to_string()
    };
    let merged = format!(
        "Polls narrower than {threshold} are merged into one rect in the colour of the site busiest in \
         it, paler where the merged span was less busy. Hover for details."
    );
    svg.text(LABEL_W, y + 12.0, "font-size=\"11\" fill=\"#555\"", &merged);
    y += 18.0;
    if svg.truncated {
        svg.text(
            LABEL_W,
            y + 12.0,
            "font-size=\"12\" fill=\"#b00000\"",
            "Too many elements: the picture is cut short. See trace.json.",
        );
        y += 18.0;
    }
    let height = y + 16.0;

    // Header.
    let workers = a
        .threads
        .iter()
        .filter(|t| t.kind == ThreadKind::Worker)
        .count();
    let subtitle = format!(
        "recorded span {} · {} threads ({} worker{}) · {} goroutines · {} polls · axis: time since the recording started",
        duration(a.end),
        a.threads.len(),
        workers,
        if workers == 1 { "" } else { "s" },
        count(a.goroutines.len() as u64),
        count(a.polls)
    );

    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>goro timeline</title>\n\
         <style>body{{margin:12px;background:#fff;color:#222;font-family:sans-serif}}\
         svg{{display:block}}</style>\n</head>\n<body>\n"
    )?;
    write!(
        out,
        "<svg width=\"{WIDTH:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {WIDTH:.0} {height:.0}\" \
         font-family=\"sans-serif\" role=\"img\">\n<defs><pattern id=\"parked\" width=\"6\" height=\"6\" \
         patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">\
         <rect width=\"6\" height=\"6\" fill=\"#e4e4e4\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" \
         stroke=\"#b0b0b0\" stroke-width=\"2.5\"/></pattern></defs>\n"
    )?;
    write!(
        out,
        "<text x=\"8\" y=\"26\" font-size=\"18\" font-weight=\"bold\">goro timeline</text>\n\
         <text x=\"8\" y=\"48\" font-size=\"12\" fill=\"#444\">{}</text>\n",
        html(&subtitle)
    )?;
    if a.dropped > 0 {
        writeln!(
            out,
            "<text x=\"8\" y=\"68\" font-size=\"12\" font-weight=\"bold\" fill=\"#b00000\">\
             Warning: {} events were dropped (ring buffers full); early activity is missing.</text>",
            count(a.dropped)
        )?;
    }
    if a.threads.is_empty() {
        writeln!(
            out,
            "<text x=\"{LABEL_W}\" y=\"{:.0}\" font-size=\"13\" fill=\"#555\">Nothing was recorded.</text>",
            AXIS_Y + 20.0
        )?;
    }
    out.write_all(svg.body.as_bytes())?;
    out.write_all(b"\n</svg>\n</body>\n</html>\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, GoroutineInfo, Trace};
    use std::panic::Location;

    /// A trace with one goroutine per location, goroutine `i` busy for
    /// `busy[i]` ns.
    fn trace(busy: &[u64]) -> Trace {
        let mut trace = Trace::default();
        // Three lines, three sites.
        let first = Location::caller();
        let second = Location::caller();
        let third = Location::caller();
        let sites = [first, second, third];
        let mut t = 0;
        for (i, &busy) in busy.iter().enumerate() {
            let id = i as u64 + 1;
            let spawned_at = sites[i];
            trace.goroutines.insert(
                id,
                GoroutineInfo {
                    id,
                    name: None,
                    spawned_at,
                    parent: None,
                },
            );
            trace.events.push(Event::Poll {
                start: t,
                end: t + busy,
                tid: 1,
                goroutine: id,
                ready: true,
            });
            t += busy;
        }
        trace.end = t;
        trace
    }

    #[test]
    fn sites_keep_distinct_colours_whatever_their_rank() {
        let colours = |busy: &[u64]| {
            let a = Analysis::new(&trace(busy));
            let mut by_site: Vec<(String, &str)> = a
                .sites
                .iter()
                .zip(site_colours(&a))
                .map(|(s, c)| (s.site.clone(), c))
                .collect();
            by_site.sort();
            by_site
        };
        let one = colours(&[10, 20, 30]);
        let other = colours(&[30, 20, 10]);
        assert_eq!(
            one, other,
            "a site's colour does not depend on how busy it was"
        );
        let mut distinct: Vec<&str> = one.iter().map(|(_, c)| *c).collect();
        distinct.dedup();
        assert_eq!(distinct, &PALETTE[..3]);
    }

    #[test]
    fn text_ink_follows_the_fill() {
        assert!(dark("#4e79a7"));
        assert!(!dark("#edc948"));
        assert!(!dark("#ffffff"));
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(tick_step(1_000_000, 10), 100_000);
        assert_eq!(tick_step(2_300_000, 10), 500_000);
        assert_eq!(tick_step(1_500_000, 10), 200_000);
        assert_eq!(tick_step(7, 10), 1);
        assert_eq!(tick_label(0, 100), "0");
        assert_eq!(tick_label(500_000, 500_000), "0.5 ms");
        assert_eq!(tick_label(2_000_000, 500_000), "2.0 ms");
        assert_eq!(tick_label(150_000, 50_000), "150 µs");
        assert_eq!(tick_label(1_500_000, 1_500_000), "1.5 ms");
        assert_eq!(tick_label(3_000_000_000, 1_000_000_000), "3 s");
    }
}
