//! Where the CPU-heavy work of a request runs. Parsing a schema and checking it against its
//! history take microseconds for typical schemas and run inline; for a large schema they can
//! take milliseconds to seconds (a deep one even starts its own big-stack thread), which on
//! an async worker would stall every other request on it — reads by id and `/health`
//! included. Such work goes to threads of its own instead, one per core, so at most one job
//! per core runs at a time; when too many already wait, the request is refused with 429 and
//! `Retry-After` (docs/rest-api.md §8) rather than queued without bound.
//!
//! The threads are fixed, not tokio's blocking pool: that pool starts a new thread whenever
//! a job arrives before the last one's thread is idle again, and under a stream of large
//! registrations kept eight of them alive; each thread that allocates keeps its own heap, which
//! cost about 25 MB of RSS (docs/performance.md, "Memory").

use super::{Registry, RegistryError, Result};
use schemata_compat::{
    check_compatibility, CompatibilityFailure, CompatibilityLevel, ParseOptions, ParsedSchema,
    ResolvedReference, SchemaError, SchemaType,
};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use tokio::sync::{oneshot, Semaphore};

/// Schema texts up to this size are parsed and checked inline: a thread hop would cost more
/// than the work (the registration benchmark's ~330-byte schemas parse in a few µs).
pub(super) const INLINE_BYTES: usize = 4 * 1024;

pub(super) struct CpuPool {
    running: Semaphore,
    waiting: AtomicUsize,
    max_waiting: usize,
    /// To the pool's threads; they end when it is dropped.
    jobs: mpsc::Sender<Job>,
}

type Job = Box<dyn FnOnce() + Send>;

/// Counts a job as waiting until it is dropped (it got its turn, or its request went away).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl CpuPool {
    /// `workers` jobs at once (the cores), and at most `max_waiting` more waiting their turn.
    pub(super) fn new(workers: usize, max_waiting: usize) -> Self {
        let workers = workers.max(1);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..workers {
            let queue = queue.clone();
            // A thread that cannot be started leaves the others; with none, jobs run
            // inline (`run`).
            let _ = std::thread::Builder::new()
                .name("schemata-cpu".into())
                .spawn(move || loop {
                    // The lock is held only while taking a job, not while running it.
                    let job = match queue.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                });
        }
        CpuPool {
            running: Semaphore::new(workers),
            waiting: AtomicUsize::new(0),
            max_waiting,
            jobs,
        }
    }

    /// Run `work` on the blocking pool when its turn comes; [`RegistryError::Overloaded`] if
    /// every worker is busy and `max_waiting` jobs already wait. A panic in `work` resumes
    /// here, as it would have inline.
    pub(super) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let permit = match self.running.try_acquire() {
            Ok(permit) => permit,
            Err(_) => {
                if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
                    self.waiting.fetch_sub(1, Ordering::SeqCst);
                    return Err(RegistryError::Overloaded);
                }
                let _waiting = Waiting(&self.waiting);
                // The semaphore is never closed.
                self.running
                    .acquire()
                    .await
                    .expect("the CPU pool's semaphore is never closed")
            }
        };
        let (reply, outcome) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = reply.send(std::panic::catch_unwind(AssertUnwindSafe(work)));
        });
        if let Err(mpsc::SendError(job)) = self.jobs.send(job) {
            // No thread could be started.
            job();
        }
        let outcome = outcome
            .await
            .expect("every job taken by the pool's threads is run");
        drop(permit);
        match outcome {
            Ok(value) => Ok(value),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

/// Whether work on this schema text goes to the pool.
fn heavy(text: &str) -> bool {
    text.len() > INLINE_BYTES
}

impl Registry {
    /// Parse a schema: inline when it and its references are small, on the pool otherwise
    /// (only then are the texts copied, to move them to the pool's thread).
    pub(super) async fn parse(
        &self,
        schema_type: SchemaType,
        text: &str,
        references: &[ResolvedReference],
        options: ParseOptions,
    ) -> Result<std::result::Result<ParsedSchema, SchemaError>> {
        let size = references
            .iter()
            .fold(text.len(), |size, r| size.saturating_add(r.schema.len()));
        if size <= INLINE_BYTES {
            return Ok(ParsedSchema::parse(schema_type, text, references, options));
        }
        let (text, references) = (text.to_string(), references.to_vec());
        self.cpu
            .run(move || ParsedSchema::parse(schema_type, &text, &references, options))
            .await
    }

    /// `new` against `previous` (newest first) at `level`: inline when every schema is
    /// small, on the pool otherwise.
    pub(super) async fn check(
        &self,
        level: CompatibilityLevel,
        new: &Arc<ParsedSchema>,
        previous: &[Arc<ParsedSchema>],
    ) -> Result<std::result::Result<(), CompatibilityFailure>> {
        let check = move |new: &ParsedSchema, previous: &[Arc<ParsedSchema>]| {
            let previous: Vec<&ParsedSchema> = previous.iter().map(|p| p.as_ref()).collect();
            check_compatibility(level, new, &previous)
        };
        let verdict = if !heavy(new.canonical()) && !previous.iter().any(|p| heavy(p.canonical())) {
            check(new, previous)
        } else {
            let (new, previous) = (new.clone(), previous.to_vec());
            self.cpu.run(move || check(&new, &previous)).await?
        };
        if !previous.is_empty() {
            count_check(verdict.is_ok());
        }
        Ok(verdict)
    }
}

/// Compatibility checks run against at least one schema, by outcome (on registration and by
/// the compatibility API).
fn count_check(compatible: bool) {
    let outcome = if compatible {
        "compatible"
    } else {
        "incompatible"
    };
    metrics::counter!("schemata_compatibility_checks_total", "outcome" => outcome).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    /// A pool of one worker and one waiting place, its worker held by a job that ends when
    /// the returned sender sends.
    async fn occupied_pool() -> (
        Arc<CpuPool>,
        mpsc::Sender<()>,
        tokio::task::JoinHandle<Result<bool>>,
    ) {
        let pool = Arc::new(CpuPool::new(1, 1));
        let (release, hold) = mpsc::channel::<()>();
        let first = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.run(move || hold.recv().is_ok()).await })
        };
        while pool.running.available_permits() > 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        (pool, release, first)
    }

    /// One worker and one waiting place: a third job is refused while the first runs and the
    /// second waits; once they are done, jobs run again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_refuses_instead_of_growing() {
        let (pool, release, first) = occupied_pool().await;
        let second = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.run(|| 2).await })
        };
        while pool.waiting.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert!(matches!(
            pool.run(|| 3).await,
            Err(RegistryError::Overloaded)
        ));
        release.send(()).unwrap();
        assert!(first.await.unwrap().unwrap());
        assert_eq!(second.await.unwrap().unwrap(), 2);
        assert_eq!(pool.run(|| 4).await.unwrap(), 4);
        assert_eq!(pool.waiting.load(Ordering::SeqCst), 0);
    }

    /// However many jobs come, they run on the pool's own threads (never the caller's), and
    /// on no more threads than the pool has workers.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn jobs_run_on_a_fixed_set_of_threads() {
        let pool = Arc::new(CpuPool::new(2, 256));
        let mut tasks = Vec::new();
        for _ in 0..200 {
            let pool = pool.clone();
            tasks.push(tokio::spawn(async move {
                pool.run(|| {
                    let thread = std::thread::current();
                    (thread.name().map(str::to_string), thread.id())
                })
                .await
            }));
        }
        let mut threads = std::collections::HashSet::new();
        for task in tasks {
            let (name, id) = task.await.unwrap().unwrap();
            assert_eq!(name.as_deref(), Some("schemata-cpu"));
            threads.insert(id);
        }
        assert!(threads.len() <= 2, "{} threads", threads.len());
    }

    /// A job that panics panics its caller, as it would have inline, and the pool goes on.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panic_reaches_the_caller() {
        let pool = Arc::new(CpuPool::new(1, 1));
        let panicking = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.run(|| panic!("bad schema")).await })
        };
        let error = panicking.await.expect_err("the caller panicked");
        assert!(error.is_panic());
        assert_eq!(pool.run(|| 5).await.unwrap(), 5);
    }

    /// A request that goes away while its job waits gives its place back.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_abandoned_wait_gives_its_place_back() {
        let (pool, release, first) = occupied_pool().await;
        let abandoned = tokio::time::timeout(Duration::from_millis(20), pool.run(|| ())).await;
        assert!(abandoned.is_err(), "it waited");
        assert_eq!(pool.waiting.load(Ordering::SeqCst), 0);
        release.send(()).unwrap();
        first.await.unwrap().unwrap();
    }
}
