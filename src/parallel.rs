//! The one ordered parallel runner of the simulators: jobs 0..n on a fixed number of rayon
//! workers, each with its own (fallibly built) state, pulling job indices from a shared counter;
//! results land in job order, so they do not depend on the number of threads or on scheduling.
//! The first error (building a state or running a job) is returned.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::error::{EngramError, Result};

/// Result slots filled in any order from several threads and read back in index order.
pub struct Slots<R> {
    inner: Mutex<Vec<Option<R>>>,
}

impl<R> Slots<R> {
    /// `n` empty slots.
    pub fn new(n: usize) -> Self {
        Slots {
            inner: Mutex::new((0..n).map(|_| None).collect()),
        }
    }

    /// Fill slots (index, value).
    pub fn put_all(&self, items: impl IntoIterator<Item = (usize, R)>) {
        let mut v = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        for (i, r) in items {
            v[i] = Some(r);
        }
    }

    /// The values in index order. Panics if a slot was never filled (a bug of the caller: every
    /// job must run).
    pub fn into_vec(self) -> Vec<R> {
        self.inner
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .into_iter()
            .enumerate()
            .map(|(i, r)| r.unwrap_or_else(|| panic!("job {i} never ran")))
            .collect()
    }
}

/// Run jobs `0..n` on `workers` rayon tasks (at least one). Each task builds its state with
/// `init` once, then runs `job(&mut state, i)` for the indices it pulls. Returns the results in
/// job order, or the first error.
pub fn ordered_workers<S, R: Send>(
    n: usize,
    workers: usize,
    init: impl Fn() -> Result<S> + Sync,
    job: impl Fn(&mut S, usize) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    let next = AtomicUsize::new(0);
    let slots = Slots::new(n);
    let error: Mutex<Option<EngramError>> = Mutex::new(None);
    let fail = |e: EngramError| {
        error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert(e);
    };
    rayon::scope(|sc| {
        for _ in 0..workers.clamp(1, n.max(1)) {
            sc.spawn(|_| {
                let mut state = match init() {
                    Ok(s) => s,
                    Err(e) => return fail(e),
                };
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    if let Err(e) = crate::interrupt::check() {
                        return fail(e);
                    }
                    match job(&mut state, i) {
                        Ok(r) => slots.put_all([(i, r)]),
                        Err(e) => return fail(e),
                    }
                }
            });
        }
    });
    if let Some(e) = error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    Ok(slots.into_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Results come back in job order for any number of workers; the first error is returned
    /// and a failing state builder is an error, not a panic.
    #[test]
    fn ordered_and_fallible() {
        for w in [1, 2, 7] {
            let r = ordered_workers(
                50,
                w,
                || Ok(0usize),
                |c, i| {
                    *c += 1;
                    Ok(i * i)
                },
            )
            .unwrap();
            assert_eq!(r, (0..50).map(|i| i * i).collect::<Vec<_>>());
        }
        let e = ordered_workers(
            10,
            2,
            || Ok(()),
            |_, i| {
                if i == 3 {
                    Err(EngramError::Io("three".into()))
                } else {
                    Ok(i)
                }
            },
        );
        assert_eq!(e, Err(EngramError::Io("three".into())));
        let e: Result<Vec<usize>> = ordered_workers(
            4,
            2,
            || {
                Err::<(), _>(EngramError::OutOfMemory {
                    what: "x",
                    bytes: 1.0,
                })
            },
            |_, i| Ok(i),
        );
        assert!(matches!(e, Err(EngramError::OutOfMemory { .. })));
    }
}
