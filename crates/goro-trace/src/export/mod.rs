//! Exporters: a [`Trace`] as `trace.json` (Chrome Trace Event JSON for
//! Perfetto), `timeline.html` (a self-contained SVG picture) and
//! `summary.txt` (goroutines by spawn site, latencies, utilisation).
//!
//! All three read one analysis of the recording:
//!
//! - a goroutine's *lifetime* runs from its spawn (or the first event that
//!   names it) to its `End` (or the end of the recording);
//! - *busy* is the sum of its poll durations;
//! - *scheduled* is time it was runnable but waiting for a thread: spawn to
//!   first poll, and wake to the start of the next poll (a wake during its
//!   own poll counts from that poll's end; a wake while already runnable
//!   changes nothing);
//! - *blocking* is time the blocking pool ran a call as the goroutine;
//! - *idle* is the rest of the lifetime.
//!
//! ```no_run
//! # fn demo(trace: &goro_trace::Trace) -> std::io::Result<()> {
//! let files = goro_trace::export::write_files(trace, std::path::Path::new("trace-out"))?;
//! println!("open {} in https://ui.perfetto.dev", files.trace_json.display());
//! # Ok(())
//! # }
//! ```

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::event::Trace;

mod analysis;
mod chrome;
mod html;
mod summary;
mod text;

use analysis::Analysis;

/// The paths [`write_files`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Files {
    /// `dir/trace.json`: open it in <https://ui.perfetto.dev>.
    pub trace_json: PathBuf,
    /// `dir/timeline.html`: open it in a browser.
    pub timeline_html: PathBuf,
    /// `dir/summary.txt`.
    pub summary_txt: PathBuf,
}

/// Writes `trace.json`, `timeline.html` and `summary.txt` into `dir`,
/// creating `dir` if needed.
///
/// Each file is written to a temporary file in `dir` and then renamed, so a
/// reader never sees half a file.
pub fn write_files(trace: &Trace, dir: &Path) -> io::Result<Files> {
    fs::create_dir_all(dir)?;
    let analysis = Analysis::new(trace);
    let files = Files {
        trace_json: dir.join("trace.json"),
        timeline_html: dir.join("timeline.html"),
        summary_txt: dir.join("summary.txt"),
    };
    write_atomically(&files.trace_json, |out| chrome::write(&analysis, out))?;
    write_atomically(&files.timeline_html, |out| html::write(&analysis, out))?;
    write_atomically(&files.summary_txt, |out| {
        summary::write(&analysis, trace.alive.as_deref(), out)
    })?;
    Ok(files)
}

/// Writes `trace` as Chrome Trace Event JSON, the format Perfetto
/// (<https://ui.perfetto.dev>) and `chrome://tracing` open.
///
/// One track per thread with a slice per poll, blocking call and parked
/// interval (`idle`), an async track per goroutine lifetime, flow arrows
/// from spawn, wake and blocking hand-off to the slice that followed, and
/// watchdog reports as instant events. Timestamps are microseconds with
/// nanosecond decimals. The document is complete even for an empty trace.
pub fn write_chrome_json(trace: &Trace, out: &mut dyn Write) -> io::Result<()> {
    buffered(out, |out| chrome::write(&Analysis::new(trace), out))
}

/// Writes `trace` as one self-contained HTML page: an inline SVG timeline
/// with a lane per thread, polls coloured by spawn site, parked time
/// hatched, and a legend. It loads nothing from the network.
///
/// Slices narrower than about a pixel are merged and the number of SVG
/// elements is capped, so the page stays small for large recordings.
pub fn write_timeline_html(trace: &Trace, out: &mut dyn Write) -> io::Result<()> {
    buffered(out, |out| html::write(&Analysis::new(trace), out))
}

/// Writes the text summary of `trace`: goroutines grouped by spawn site
/// (count, busy, scheduled, blocking, idle, polls; busiest first), wake
/// and spawn latency percentiles, per-thread utilisation and parked time,
/// the longest polls, watchdog reports and the dropped-event count.
pub fn write_summary(trace: &Trace, out: &mut dyn Write) -> io::Result<()> {
    buffered(out, |out| {
        summary::write(&Analysis::new(trace), trace.alive.as_deref(), out)
    })
}

fn buffered(
    out: &mut dyn Write,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(64 * 1024, out);
    write(&mut out)?;
    out.flush()
}

/// Writes `path` through a temporary file next to it, renamed into place
/// once complete.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = File::create(&tmp)?;
        buffered(&mut file, write)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}
