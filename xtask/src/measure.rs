//! The one place benchmarks time things and reduce samples: wall and CPU time (the
//! children's user + system, the steadier figure on a busy machine), medians, ratios.

use std::time::Instant;

/// One timed run, in seconds.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub wall: f64,
    pub cpu: f64,
}

/// Runs `work` and measures it; CPU time counts the child processes it waited for.
pub fn time<T>(work: impl FnOnce() -> T) -> (T, Sample) {
    let cpu_before = children_cpu();
    let started = Instant::now();
    let value = work();
    let wall = started.elapsed().as_secs_f64();
    let cpu = children_cpu() - cpu_before;
    (value, Sample { wall, cpu })
}

fn children_cpu() -> f64 {
    // SAFETY: getrusage fills the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// Samples of one measured thing.
#[derive(Default)]
pub struct Series(Vec<Sample>);

impl Series {
    pub fn push(&mut self, sample: Sample) {
        self.0.push(sample);
    }

    pub fn wall(&self) -> f64 {
        median(self.0.iter().map(|s| s.wall).collect())
    }

    pub fn cpu(&self) -> f64 {
        median(self.0.iter().map(|s| s.cpu).collect())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

pub fn median(mut values: Vec<f64>) -> f64 {
    assert!(!values.is_empty(), "a median of nothing");
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// `ours / theirs`, as printed in every table.
pub fn ratio(ours: f64, theirs: f64) -> String {
    format!("{:.3}", ours / theirs)
}

pub fn ms(seconds: f64) -> String {
    format!("{:.1} ms", seconds * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn ratio_is_ours_over_theirs() {
        assert_eq!(ratio(1.1, 1.0), "1.100");
    }
}
