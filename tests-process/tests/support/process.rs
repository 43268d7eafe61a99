//! Running example and fixture binaries and checking how they end.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// Long enough for a loaded 2-core CI machine; only a hang reaches it.
pub const GENEROUS: Duration = Duration::from_secs(120);

/// The path of one of this package's binaries. Cargo builds them before
/// it runs an integration test of the package, and `env!` needs the name
/// as a literal: hence one arm per binary.
fn binary(name: &str) -> &'static str {
    match name {
        "fixture_process" => env!("CARGO_BIN_EXE_fixture_process"),
        "fixture_deadlock" => env!("CARGO_BIN_EXE_fixture_deadlock"),
        "deadlock" => env!("CARGO_BIN_EXE_deadlock"),
        "hello" => env!("CARGO_BIN_EXE_hello"),
        "metrics" => env!("CARGO_BIN_EXE_metrics"),
        "logging" => env!("CARGO_BIN_EXE_logging"),
        "args_in_caller" => env!("CARGO_BIN_EXE_args_in_caller"),
        "blocking" => env!("CARGO_BIN_EXE_blocking"),
        "panic_exit" => env!("CARGO_BIN_EXE_panic_exit"),
        "select_timeout" => env!("CARGO_BIN_EXE_select_timeout"),
        "sieve" => env!("CARGO_BIN_EXE_sieve"),
        "worker_pool" => env!("CARGO_BIN_EXE_worker_pool"),
        "timers" => env!("CARGO_BIN_EXE_timers"),
        "tickers" => env!("CARGO_BIN_EXE_tickers"),
        "context" => env!("CARGO_BIN_EXE_context"),
        "errgroup" => env!("CARGO_BIN_EXE_errgroup"),
        "signals" => env!("CARGO_BIN_EXE_signals"),
        other => panic!(
            "no binary {other:?} in goro-tests-process: add a [[bin]] for \
             examples/{other}.rs to tests-process/Cargo.toml and an arm here"
        ),
    }
}

/// A command running the binary `name`.
fn program(name: &str) -> Command {
    let mut cmd = Command::new(binary(name));
    // Keep the panic reports short and stable whatever the caller's shell sets.
    cmd.env_remove("RUST_BACKTRACE").env_remove("GOMAXPROCS");
    cmd
}

/// A command running one of the root package's examples, built as a
/// binary of this package from the same source file.
pub fn example(name: &str) -> Command {
    program(name)
}

/// The deadlock fixture program running `scenario`.
#[allow(dead_code)]
pub fn deadlock_fixture(scenario: &str) -> Command {
    let mut cmd = program("fixture_deadlock");
    cmd.arg(scenario).env_remove("GORO_DEADLOCK");
    cmd
}

/// The fixture program running `scenario`.
pub fn fixture(scenario: &str) -> Command {
    let mut cmd = program("fixture_process");
    cmd.arg(scenario);
    cmd
}

/// How a process ended.
#[derive(Debug)]
pub struct Ended {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Ended {
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }
}

/// Runs `cmd` to its end; fails the test if it has not ended within
/// [`GENEROUS`] (it is then killed).
pub fn run(mut cmd: Command) -> Ended {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {cmd:?}: {e}"));
    let stdout = drain(child.stdout.take().unwrap());
    let stderr = drain(child.stderr.take().unwrap());
    let status = wait_or_kill(&mut child, GENEROUS)
        .unwrap_or_else(|| panic!("{cmd:?} did not exit within {GENEROUS:?}: it hangs"));
    Ended {
        status,
        stdout: stdout.recv().unwrap(),
        stderr: stderr.recv().unwrap(),
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        let _ = tx.send(text);
    });
    rx
}

fn wait_or_kill(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let step = Duration::from_millis(20);
    let mut waited = Duration::ZERO;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        if waited >= limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        thread::sleep(step);
        waited += step;
    }
}

/// The 1-based line of the file (relative to this package's directory)
/// that contains `marker`, so that tests need not hard-code line numbers.
///
/// A panic's `Location` names a file by the path Cargo gave rustc, relative
/// to the workspace root: `tests-process/src/bin/fixture_process.rs` for the
/// fixture, `tests-process/../examples/<name>.rs` for the examples (their
/// `[[bin]]` paths in this package's Cargo.toml).
pub fn line_of(file: &str, marker: &str) -> usize {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let text = std::fs::read_to_string(&path).expect("read the source file");
    text.lines()
        .position(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("{marker:?} not found in {file}"))
        + 1
}

/// A running child whose output is read line by line as it comes.
pub struct Streaming {
    pub child: Child,
    pub stdout: mpsc::Receiver<String>,
    pub stderr: mpsc::Receiver<String>,
    /// Lines seen so far on stderr, for failure messages.
    pub seen: Vec<String>,
}

/// Starts `cmd` with piped stdin, stdout and stderr, read line by line.
pub fn start(mut cmd: Command) -> Streaming {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {cmd:?}: {e}"));
    let stdout = lines(child.stdout.take().unwrap());
    let stderr = lines(child.stderr.take().unwrap());
    Streaming {
        child,
        stdout,
        stderr,
        seen: Vec::new(),
    }
}

fn lines(pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    use std::io::BufRead;
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in std::io::BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

impl Streaming {
    /// Waits (up to [`GENEROUS`]) for a line of `stream` that satisfies
    /// `want`, and returns it.
    pub fn wait_for(&mut self, stdout: bool, want: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + GENEROUS;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let rx = if stdout { &self.stdout } else { &self.stderr };
            match rx.recv_timeout(left) {
                Ok(line) if want(&line) => return line,
                Ok(line) => self.seen.push(line),
                Err(_) => {
                    let _ = self.child.kill();
                    panic!("the awaited line never came; other lines: {:#?}", self.seen);
                }
            }
        }
    }

    /// Sends the child the signal `name` (`INT`, `QUIT`) with `kill`.
    pub fn signal(&self, name: &str) {
        let sent = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -{name} failed");
    }

    /// Waits for the child to end (killing it after [`GENEROUS`]).
    pub fn wait(&mut self) -> ExitStatus {
        wait_or_kill(&mut self.child, GENEROUS).expect("the child did not exit: it hangs")
    }
}
