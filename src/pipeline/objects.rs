//! A many-file program's objects: each source compiled on its own (`-c`, its own
//! depfile) into the build cache, where an object's entry is keyed by its compile command,
//! its source and the toolchain, and records the headers its depfile names (checked on
//! every lookup, like a program's). Intact entries are taken as they are; the rest compile
//! in parallel within the `-j` budget, and the first failure stops those not yet started.
//! The C pipeline (`c`) makes the commands; this file knows nothing of C flags.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::jobs::Jobs;
use crate::pipeline::cache::{self, BuildEntry};

/// One source's compile, ready to run.
pub(crate) struct ObjectJob {
    /// What a failure names: the source, and the program it belongs to.
    pub(crate) what: String,
    /// Writes `output` and, with `-MD -MF`, `depfile`.
    pub(crate) cmd: crate::sys::process::Cmd,
    pub(crate) output: PathBuf,
    pub(crate) depfile: PathBuf,
    pub(crate) log: PathBuf,
    pub(crate) entry: BuildEntry,
    /// The toolchain's label, which the entry carries to the remote cache.
    pub(crate) toolchain: String,
}

/// An object in place for the link (in the staging folder, as `output`).
pub(crate) struct Object {
    pub(crate) path: PathBuf,
    pub(crate) sha256: String,
    /// The source and headers it was compiled from.
    pub(crate) deps: Vec<PathBuf>,
}

/// Every job's object, in the order of `jobs`. `run` runs one compile command and turns
/// a failure into the error to report; `bypass` compiles everything and stores nothing
/// (`--check-reproducible`'s second build).
pub(crate) fn build_objects(
    jobs: &[ObjectJob],
    bypass: bool,
    ctx: &Ctx,
    run: impl Fn(&ObjectJob) -> Result<()> + Sync,
) -> Result<Vec<Object>> {
    let mut done: Vec<Option<Object>> = Vec::with_capacity(jobs.len());
    let mut pending = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        let found = match bypass {
            true => None,
            false => job.entry.lookup_here_or_remote(ctx)?,
        };
        match found {
            Some((cached, deps)) => {
                cache::restore(&cached, &job.output)?;
                done.push(Some(object(&job.output, deps)?));
            }
            None => {
                done.push(None);
                pending.push(i);
            }
        }
    }
    let compiled = in_parallel(pending.len(), &ctx.jobs, |n| {
        let job = &jobs[pending[n]];
        run(job)?;
        let text = std::fs::read(&job.depfile).map_err(Error::io("cannot read", &job.depfile))?;
        let deps = cache::parse_depfile(&text, &ctx.env.cwd);
        if !bypass {
            job.entry.store(&ctx.cache, &job.output, &deps)?;
            job.entry.send_to_remote(&job.toolchain, ctx)?;
        }
        object(&job.output, deps)
    })?;
    for (i, object) in pending.into_iter().zip(compiled) {
        done[i] = Some(object);
    }
    Ok(done
        .into_iter()
        .map(|o| o.expect("every object built"))
        .collect())
}

fn object(path: &Path, deps: Vec<PathBuf>) -> Result<Object> {
    Ok(Object {
        path: path.to_path_buf(),
        sha256: crate::sys::hash::file_sha256(path).map_err(Error::io("cannot read", path))?,
        deps,
    })
}

/// How long a helper worker waits for a slot before looking again whether work is left.
const SLOT_WAIT: Duration = Duration::from_millis(20);

/// Runs `work(0..count)` on up to `-j` threads and returns the results in order, or the
/// first failure (by index). The caller already holds one slot, which the first worker
/// uses, so a target always progresses even when other targets hold the rest of the
/// budget; every other worker holds a slot of its own per piece of work. After a failure
/// no new piece starts; the running ones finish.
pub(crate) fn in_parallel<T: Send>(
    count: usize,
    jobs: &Jobs,
    work: impl Fn(usize) -> Result<T> + Sync,
) -> Result<Vec<T>> {
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<Option<Result<T>>>> = Mutex::new((0..count).map(|_| None).collect());
    let left = || !failed.load(Ordering::SeqCst) && next.load(Ordering::SeqCst) < count;
    let take_and_run = || {
        let i = next.fetch_add(1, Ordering::SeqCst);
        if i >= count || failed.load(Ordering::SeqCst) {
            return;
        }
        let result = work(i);
        if result.is_err() {
            failed.store(true, Ordering::SeqCst);
        }
        results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(result);
    };
    std::thread::scope(|scope| {
        for worker in 0..count.min(jobs.total()) {
            let (left, take_and_run) = (&left, &take_and_run);
            scope.spawn(move || {
                while left() {
                    if worker == 0 {
                        take_and_run();
                    } else if let Some(_slot) = jobs.acquire_within(SLOT_WAIT) {
                        take_and_run();
                    }
                }
            });
        }
    });
    let mut out = Vec::with_capacity(count);
    for result in results.into_inner().unwrap_or_else(|e| e.into_inner()) {
        match result {
            Some(Ok(value)) => out.push(value),
            Some(Err(err)) => return Err(err),
            // Not started because an earlier piece failed; that failure comes first
            // unless it has a later index, so keep looking.
            None => {}
        }
    }
    if out.len() < count {
        unreachable!("a piece was skipped without a failure");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_run_within_the_budget_and_come_back_in_order() {
        // One slot is the caller's; the budget of 3 leaves two for helpers.
        let jobs = Jobs::new(3);
        let _callers = jobs.acquire();
        let running = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let out = in_parallel(12, &jobs, |i| {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(5));
            running.fetch_sub(1, Ordering::SeqCst);
            Ok(i * 10)
        })
        .unwrap();
        assert_eq!(out, (0..12).map(|i| i * 10).collect::<Vec<_>>());
        let peak = peak.load(Ordering::SeqCst);
        assert!((2..=3).contains(&peak), "peak {peak}");
    }

    #[test]
    fn the_caller_s_slot_is_enough_to_finish() {
        // Every other slot is held elsewhere (other targets): no deadlock, all done.
        let jobs = Jobs::new(2);
        let _callers = jobs.acquire();
        let _others = jobs.acquire();
        let out = in_parallel(5, &jobs, Ok).unwrap();
        assert_eq!(out, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn a_failure_stops_pieces_not_yet_started() {
        let jobs = Jobs::new(1);
        let started = AtomicUsize::new(0);
        let err = in_parallel(10, &jobs, |i| {
            started.fetch_add(1, Ordering::SeqCst);
            if i == 2 {
                Err(Error::Usage(format!("piece {i}"), String::new()))
            } else {
                Ok(i)
            }
        })
        .unwrap_err();
        assert!(err.to_string().contains("piece 2"), "{err}");
        assert_eq!(started.load(Ordering::SeqCst), 3);
    }
}
