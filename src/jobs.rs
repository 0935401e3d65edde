//! The `-j` budget: a counting semaphore shared by everything that runs at once (targets,
//! library builds, Go builds), so the machine is never oversubscribed.

use std::sync::{Condvar, Mutex};

use crate::target::Target;

pub(crate) struct Jobs {
    free: Mutex<usize>,
    released: Condvar,
    total: usize,
}

pub(crate) struct Slot<'a> {
    jobs: &'a Jobs,
}

/// Several slots taken together (a `make -jN`), released together.
pub(crate) struct Slots<'a> {
    jobs: &'a Jobs,
    count: usize,
}

impl Jobs {
    pub(crate) fn new(total: usize) -> Jobs {
        let total = total.max(1);
        Jobs {
            free: Mutex::new(total),
            released: Condvar::new(),
            total,
        }
    }

    /// The number of CPUs, the default budget.
    pub(crate) fn default_count() -> usize {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    }

    pub(crate) fn total(&self) -> usize {
        self.total
    }

    /// Blocks until a slot is free.
    pub(crate) fn acquire(&self) -> Slot<'_> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.released.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        Slot { jobs: self }
    }

    /// A slot if one frees up within `wait`: for a helper that should give up once its
    /// work is gone instead of holding its caller until a slot is free.
    pub(crate) fn acquire_within(&self, wait: std::time::Duration) -> Option<Slot<'_>> {
        let free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        let (mut free, _) = self
            .released
            .wait_timeout_while(free, wait, |free| *free == 0)
            .unwrap_or_else(|e| e.into_inner());
        if *free == 0 {
            return None;
        }
        *free -= 1;
        Some(Slot { jobs: self })
    }

    /// Blocks until `min(n, total)` slots (at least one) are free and takes them at once,
    /// so two holders never each wait on the other's half.
    pub(crate) fn acquire_n(&self, n: usize) -> Slots<'_> {
        let count = n.clamp(1, self.total);
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free < count {
            free = self.released.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= count;
        Slots { jobs: self, count }
    }
}

impl Slots<'_> {
    /// How many slots are held: the `-j` to pass on.
    pub(crate) fn count(&self) -> usize {
        self.count
    }
}

impl Drop for Slots<'_> {
    fn drop(&mut self) {
        *self.jobs.free.lock().unwrap_or_else(|e| e.into_inner()) += self.count;
        self.jobs.released.notify_all();
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.jobs.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        // All waiters: the one woken might be an `acquire_n` that still cannot proceed,
        // while a single-slot waiter could.
        self.jobs.released.notify_all();
    }
}

/// Runs `work` for every target on its own scoped thread (each takes its slots from the
/// budget itself) and returns the results in the order of `targets`.
pub(crate) fn per_target<T, F>(targets: &[Target], work: F) -> Vec<(Target, T)>
where
    T: Send,
    F: Fn(Target) -> T + Sync,
{
    std::thread::scope(|scope| {
        let handles: Vec<_> = targets
            .iter()
            .map(|&target| {
                let work = &work;
                scope.spawn(move || (target, work(target)))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("build thread panicked"))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn never_more_than_the_budget_at_once() {
        let jobs = Jobs::new(2);
        let running = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    let _slot = jobs.acquire();
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    running.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        let peak = peak.load(Ordering::SeqCst);
        assert!((1..=2).contains(&peak), "peak {peak}");
    }

    #[test]
    fn several_slots_are_taken_together_and_capped_at_the_budget() {
        let jobs = Jobs::new(3);
        let two = jobs.acquire_n(2);
        assert_eq!(two.count(), 2);
        let one = jobs.acquire_n(1);
        assert_eq!(*jobs.free.lock().unwrap(), 0);
        drop((two, one));
        assert_eq!(jobs.acquire_n(10).count(), 3);
        assert_eq!(*jobs.free.lock().unwrap(), 3);
    }
}
