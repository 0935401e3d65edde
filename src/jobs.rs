//! The `-j` budget: a counting semaphore shared by everything that runs at once (targets,
//! library builds, Go builds), so the machine is never oversubscribed.

use std::sync::{Condvar, Mutex};

use crate::target::Target;

pub struct Jobs {
    free: Mutex<usize>,
    released: Condvar,
    total: usize,
}

pub struct Slot<'a> {
    jobs: &'a Jobs,
}

impl Jobs {
    pub fn new(total: usize) -> Jobs {
        let total = total.max(1);
        Jobs {
            free: Mutex::new(total),
            released: Condvar::new(),
            total,
        }
    }

    /// The number of CPUs, the default budget.
    pub fn default_count() -> usize {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    }

    pub fn total(&self) -> usize {
        self.total
    }

    /// Blocks until a slot is free.
    pub fn acquire(&self) -> Slot<'_> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.released.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        Slot { jobs: self }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.jobs.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.jobs.released.notify_one();
    }
}

/// Runs `work` for every target on its own scoped thread (each takes its slots from the
/// budget itself) and returns the results in the order of `targets`.
pub fn per_target<T, F>(targets: &[Target], work: F) -> Vec<(Target, T)>
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
}
