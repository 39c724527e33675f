//! The clock of the kernel and energy benches: wall time by default; with
//! `POTENTIAL_BENCH_CLOCK=thread-cpu`, the CPU time of the thread that runs the timed loop (Linux
//! `/proc/thread-self/schedstat`, nanoseconds).
//!
//! On a machine shared with other jobs the wall clock counts the time the benchmark waits for a
//! core; the thread's CPU time does not, so one-thread ratios (ours / the bare gemm, ours /
//! OpenBLAS with `gemm_numpy.py --cpu-time`) stay meaningful under load. It says nothing about
//! two-thread wall time: a `t2` figure under this clock counts only the calling thread's share,
//! so `t2` needs an idle machine and the default clock. Inside `pool.install` the timed loop runs
//! on the pool's thread, which is the one measured (criterion calls the clock inside the loop).

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use std::time::{Duration, Instant};

/// Wall time, or the current thread's CPU time (see the module docs).
pub struct Clock {
    thread_cpu: bool,
    wall: WallTime,
}

impl Clock {
    /// The clock chosen by `POTENTIAL_BENCH_CLOCK` (`thread-cpu`, else wall time).
    pub fn from_env() -> Self {
        let thread_cpu = match std::env::var("POTENTIAL_BENCH_CLOCK") {
            Ok(v) if v == "thread-cpu" => thread_cpu_ns().is_some(),
            _ => false,
        };
        if thread_cpu {
            eprintln!("bench clock: CPU time of the timing thread (POTENTIAL_BENCH_CLOCK=thread-cpu)");
        }
        Clock { thread_cpu, wall: WallTime }
    }
}

/// CPU time of the calling thread in nanoseconds (first field of `/proc/thread-self/schedstat`).
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

impl Measurement for Clock {
    type Intermediate = (Instant, u64);
    type Value = Duration;

    fn start(&self) -> Self::Intermediate {
        (Instant::now(), if self.thread_cpu { thread_cpu_ns().unwrap_or(0) } else { 0 })
    }
    fn end(&self, i: Self::Intermediate) -> Duration {
        if self.thread_cpu {
            Duration::from_nanos(thread_cpu_ns().unwrap_or(i.1).saturating_sub(i.1))
        } else {
            i.0.elapsed()
        }
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, v: &Duration) -> f64 {
        v.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        self.wall.formatter()
    }
}
