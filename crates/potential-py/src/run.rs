//! Running Rust computations for Python: with the GIL released, panics caught, and Ctrl-C
//! honoured by the long ones.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use std::any::Any;
use std::ops::ControlFlow;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration;

/// How often the caller of a long computation looks for signals (Ctrl-C).
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// The stop flag of a computation run by [`cancellable`], set when a signal handler raised.
#[derive(Default)]
pub struct Cancel(AtomicBool);

impl Cancel {
    /// Whether the computation should stop.
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// The answer of a training observer or monitor: break once cancelled.
    pub fn flow(&self) -> ControlFlow<()> {
        if self.is_set() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

/// The Python exception for a Rust panic (a bug): RuntimeError with the panic's message.
fn panic_error(payload: Box<dyn Any + Send>) -> PyErr {
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    PyRuntimeError::new_err(format!("internal error in potential's Rust core (please report it): {msg}"))
}

/// Run the short computation `f` with the GIL released; a panic becomes `RuntimeError`.
pub fn detached<T: Send>(py: Python<'_>, f: impl FnOnce() -> PyResult<T> + Send) -> PyResult<T> {
    py.detach(|| catch_unwind(AssertUnwindSafe(f))).unwrap_or_else(|p| Err(panic_error(p)))
}

/// Set once the worker of [`cancellable`] is done.
#[derive(Default)]
struct Done {
    flag: Mutex<bool>,
    cv: Condvar,
}

/// Run the long computation `f` (a fit) on a helper thread with the GIL released, while this
/// thread looks for signals every 50 ms (Python runs signal handlers only on its main thread).
/// When a handler raises (Ctrl-C: `KeyboardInterrupt`) the [`Cancel`] flag is set, `f` stops at its
/// next check, and the handler's exception is raised. A panic in `f` becomes `RuntimeError`.
pub fn cancellable<T: Send>(py: Python<'_>, f: impl FnOnce(&Cancel) -> PyResult<T> + Send) -> PyResult<T> {
    let cancel = Cancel::default();
    let done = Done::default();
    std::thread::scope(|s| {
        let worker = s.spawn(|| {
            let r = catch_unwind(AssertUnwindSafe(|| f(&cancel)));
            *done.flag.lock().unwrap_or_else(PoisonError::into_inner) = true;
            done.cv.notify_all();
            r
        });
        let mut raised: Option<PyErr> = None;
        loop {
            let finished = py.detach(|| {
                let g = done.flag.lock().unwrap_or_else(PoisonError::into_inner);
                let (g, _) = done
                    .cv
                    .wait_timeout_while(g, SIGNAL_POLL, |d| !*d)
                    .unwrap_or_else(PoisonError::into_inner);
                *g
            });
            if finished {
                break;
            }
            if raised.is_none() {
                if let Err(e) = py.check_signals() {
                    cancel.0.store(true, Ordering::Relaxed);
                    raised = Some(e);
                }
            }
        }
        let outcome = worker.join().unwrap_or_else(Err);
        match (raised, outcome) {
            (Some(e), _) => Err(e),
            (None, Ok(r)) => r,
            (None, Err(p)) => Err(panic_error(p)),
        }
    })
}
