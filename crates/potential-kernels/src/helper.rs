//! The second thread of two-thread products: one helper thread that stays awake between products
//! (spin, then park).
//!
//! A rayon worker that has been idle for a millisecond or more sleeps on a futex, and waking it
//! (on a virtual CPU, waking the vCPU) takes longer than half of a 0.4 ms product: the caller then
//! computes both halves alone and the product runs at one-thread speed. The helper instead spins
//! for [`spin_window`] after each job (20 ms unless `POTENTIAL_SPIN_MS` says otherwise; 0 parks at
//! once), so back-to-back products and products after short pauses find it awake; after the
//! window it parks and costs nothing.
//!
//! Protocol: the caller posts a job into the single slot (only if the slot is empty), runs the
//! job itself, then either takes the job back (the helper never started it) or waits until the
//! helper has finished it. A job is a loop that pulls pieces from a shared counter until none is
//! left, so whoever runs it, every piece is computed exactly once and in the same way: the result
//! does not depend on which thread took which piece.

use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::OnceLock;
use std::thread::Thread;
use std::time::{Duration, Instant};

/// A posted job: the caller's closure and its completion flag, on the caller's stack.
struct Job {
    /// The work (a `&(dyn Fn() + Sync)` with its lifetime erased; see [`run_pair`]).
    f: *const (dyn Fn() + Sync),
    /// Set by the helper when it has finished running `f`.
    done: AtomicBool,
    /// Set (before `done`) when `f` panicked on the helper.
    panicked: AtomicBool,
}

/// The helper thread and its one-job slot.
struct Helper {
    slot: AtomicPtr<Job>,
    thread: Thread,
}

/// How long the helper spins after a job before it parks (`POTENTIAL_SPIN_MS`, default 20 ms).
pub(crate) fn spin_window() -> Duration {
    static WINDOW: OnceLock<Duration> = OnceLock::new();
    *WINDOW.get_or_init(|| {
        let ms = std::env::var("POTENTIAL_SPIN_MS").ok().and_then(|v| v.parse::<u64>().ok()).unwrap_or(20);
        Duration::from_millis(ms)
    })
}

/// The helper, started on first use (`None` if the thread cannot be spawned).
fn helper() -> Option<&'static Helper> {
    static HELPER: OnceLock<Option<Helper>> = OnceLock::new();
    HELPER
        .get_or_init(|| {
            let handle =
                std::thread::Builder::new().name("potential-gemm-helper".into()).spawn(helper_loop).ok()?;
            Some(Helper { slot: AtomicPtr::new(std::ptr::null_mut()), thread: handle.thread().clone() })
        })
        .as_ref()
}

/// The helper's life: take a posted job and run it, spin for the window, park.
fn helper_loop() {
    // Blocks until the spawning thread has finished initialising `HELPER`.
    let Some(h) = helper() else { return };
    let mut last = Instant::now();
    loop {
        let job = h.slot.swap(std::ptr::null_mut(), Ordering::Acquire);
        if !job.is_null() {
            // SAFETY: a non-null slot holds a `Job` on the stack of a caller blocked in
            // `run_pair` until `done` is set (it could not take the job back: the swap above
            // emptied the slot), and its `f` points to a closure that outlives that call.
            unsafe {
                let f = &*(*job).f;
                if std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_err() {
                    (*job).panicked.store(true, Ordering::Relaxed);
                }
                (*job).done.store(true, Ordering::Release);
            }
            last = Instant::now();
        } else if last.elapsed() < spin_window() {
            std::hint::spin_loop();
        } else {
            // A post after the swap above unparks us (the token is kept), so no job is missed.
            std::thread::park();
            last = Instant::now();
        }
    }
}

/// Run `work` on this thread and on the helper at once, and return when both are done (also when
/// `work` panics on this thread: the panic resumes once the helper has let go of `work`). `work`
/// must be a loop over a shared supply of pieces (so that a second caller finds nothing left when
/// the first has finished): the helper may join late or not at all.
pub(crate) fn run_pair(work: &(dyn Fn() + Sync)) {
    let Some(h) = helper() else { return work() };
    let f: *const (dyn Fn() + Sync + '_) = work;
    // SAFETY: only the lifetime is erased (same pointer type otherwise). The helper dereferences
    // `f` only between taking the job from the slot and setting `done`, and this function does
    // not return before either taking the job back (then the helper never saw it) or observing
    // `done`, so `work` outlives every use.
    let f: *const (dyn Fn() + Sync) = unsafe { std::mem::transmute(f) };
    let job = Job { f, done: AtomicBool::new(false), panicked: AtomicBool::new(false) };
    let ptr = &job as *const Job as *mut Job;
    let posted =
        h.slot.compare_exchange(std::ptr::null_mut(), ptr, Ordering::Release, Ordering::Relaxed).is_ok();
    if posted {
        h.thread.unpark();
    }
    // A panic here must not unwind past the helper's use of `work`: wait for it first.
    let mine = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
    if posted
        && h.slot.compare_exchange(ptr, std::ptr::null_mut(), Ordering::Relaxed, Ordering::Relaxed).is_err()
    {
        // The helper took the job: wait until it has finished with `work`.
        while !job.done.load(Ordering::Acquire) {
            std::hint::spin_loop();
        }
    }
    if let Err(payload) = mine {
        std::panic::resume_unwind(payload);
    }
    assert!(
        !(posted && job.panicked.load(Ordering::Relaxed)),
        "a parallel piece panicked on the helper thread"
    );
}
