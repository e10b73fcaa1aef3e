//! `run --timings`: the wall-clock and CPU time at each step of a run, on
//! stderr as the run goes, to see where a large study's time is spent. Off
//! (one atomic load per step) unless the command line asks for it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

static ON: AtomicBool = AtomicBool::new(false);
static START: OnceLock<Instant> = OnceLock::new();

/// Turns the step lines on; times count from this call.
pub fn enable() {
    START.get_or_init(Instant::now);
    ON.store(true, Ordering::Relaxed);
}

/// Prints `step` with the time since [`enable`] and the process's CPU time.
pub fn mark(step: &str) {
    if !ON.load(Ordering::Relaxed) {
        return;
    }
    let wall = START.get().map_or(0.0, |s| s.elapsed().as_secs_f64());
    eprintln!(
        "[step]  {step:24} at {wall:7.3} s wall, {:6.2} s CPU",
        cpu_seconds()
    );
}

/// User + system CPU seconds of this process, from `/proc/self/stat` (Linux;
/// clock ticks of 1/100 s). 0 where that file does not exist.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields of the whole line.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}
