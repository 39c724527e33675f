//! Elementwise passes on the threads the products use: [`for_each_item`].

use crate::gemm::Parallelism;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Call `f` once on every item of `items` (typically disjoint chunks of the buffers of an
/// elementwise pass), on up to `par.threads()` threads, and return when all calls have returned.
///
/// The threads pull items from a shared counter, so each item is processed exactly once and a
/// busy thread simply takes fewer. Which thread processes which item must not change what `f`
/// computes (it does not when each item is independent, as disjoint row blocks are): the result is
/// then the same at every thread count. Every call runs in the caller's flush-to-zero mode
/// ([`crate::FlushToZero`]), whichever thread makes it.
///
/// With two threads the second is the helper thread of the two-thread [`crate::gemm`], which
/// spins for a while after each job: a training step that alternates products and elementwise
/// passes then keeps the same two threads busy, instead of waking a sleeping rayon worker for each
/// pass (or having it wait for the vCPU the spinning helper holds). With more threads the extra
/// ones come from the current rayon pool; with one, or one item, `f` runs on the caller's thread
/// in item order.
///
/// # Panics
/// If `f` panics (on the helper thread: the caller then panics too, after every item has been
/// taken).
///
/// ```
/// use potential_kernels::{for_each_item, Parallelism};
/// let mut v = vec![1.0f32; 1000];
/// let items: Vec<(usize, &mut [f32])> = v.chunks_mut(100).enumerate().collect();
/// for_each_item(Parallelism::Rayon(0), items, |(i, chunk)| chunk.iter_mut().for_each(|x| *x *= i as f32));
/// assert_eq!((v[0], v[999]), (0.0, 9.0));
/// ```
pub fn for_each_item<T: Send>(par: Parallelism, items: Vec<T>, f: impl Fn(T) + Sync) {
    let threads = par.threads().min(items.len());
    if threads <= 1 || cfg!(miri) {
        items.into_iter().for_each(f);
        return;
    }
    let slots: Vec<Mutex<Option<T>>> = items.into_iter().map(|t| Mutex::new(Some(t))).collect();
    let next = AtomicUsize::new(0);
    let ftz = crate::fpenv::FlushToZero::is_on();
    let work = || {
        let _mode = crate::fpenv::FlushToZero::set(ftz);
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(slot) = slots.get(i) else { break };
            // The counter hands index i to one thread only, so the slot is full; a poisoned lock
            // (a panic elsewhere while holding it) cannot happen: the guard is dropped before `f`.
            let item = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(item) = item {
                f(item);
            }
        }
    };
    if threads == 2 && rayon::current_num_threads() >= 2 {
        crate::helper::run_pair(&work);
    } else {
        rayon::in_place_scope(|s| {
            for _ in 1..threads {
                let work = &work;
                s.spawn(move |_| work());
            }
            work();
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_once_at_every_thread_count() {
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            for n in [0usize, 1, 2, 7, 64] {
                let mut v = vec![0u32; n * 3];
                pool.install(|| {
                    let items: Vec<(usize, &mut [u32])> = v.chunks_mut(3).enumerate().collect();
                    for_each_item(Parallelism::Rayon(0), items, |(i, c)| {
                        c.iter_mut().for_each(|x| *x += i as u32 + 1)
                    });
                });
                let want: Vec<u32> = (0..n as u32).flat_map(|i| [i + 1; 3]).collect();
                assert_eq!(v, want, "{threads} threads, {n} items");
            }
        }
    }

    #[test]
    fn a_panicking_item_panics_the_caller() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        // Item 11 panics on whichever thread takes it (the caller or the helper, varying with the
        // timing; both paths must wait for the other thread and then panic).
        for _ in 0..20 {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                pool.install(|| {
                    for_each_item(Parallelism::Rayon(0), (0..16).collect(), |i: i32| {
                        std::thread::sleep(std::time::Duration::from_micros(50));
                        assert_ne!(i, 11)
                    })
                })
            }));
            assert!(r.is_err());
        }
        // The helper survives and serves the next pass.
        let mut v = vec![0u8; 16];
        pool.install(|| for_each_item(Parallelism::Rayon(0), v.iter_mut().collect(), |x| *x = 1));
        assert_eq!(v, [1; 16]);
    }
}
