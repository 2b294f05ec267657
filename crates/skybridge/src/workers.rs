//! Connection workers: one single-threaded tokio runtime per CPU, each on its own thread,
//! with accepted connections handed out in turn (the thread-per-core model of nginx's worker
//! processes and Envoy's worker threads).
//!
//! Why not the work-stealing runtime for connections: a request here is tens of microseconds
//! of work split into many small task wake-ups (TLS read, handler, backend hand-off, response),
//! and a multi-threaded scheduler pays atomics, cross-thread queues and steal attempts on each
//! one. Measured with the gateway bench on one CPU, serving connections this way raised (c)
//! from ~8.8k to ~13.3k req/s (docs/benchmarks.md, "Thread per core"). Connections are
//! long-lived and spread evenly, so one runtime per CPU keeps every core busy without
//! stealing; a connection's tasks (and the backend connections it opens) stay on its thread.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::runtime::{Builder, Handle};
use tokio::sync::oneshot;

/// Runtimes that serve connections. Dropping the pool stops them; tasks still running on
/// them are dropped (their sockets closed).
pub struct Workers {
    handles: Vec<Handle>,
    next: AtomicUsize,
    /// Dropping a sender ends its worker's thread, which drops the runtime there (a runtime
    /// may not be dropped from inside another runtime's task).
    _stop: Vec<oneshot::Sender<()>>,
}

impl Workers {
    /// One worker per CPU this process may run on (its affinity mask, so `taskset -c 1`
    /// gives one).
    pub fn per_cpu() -> std::io::Result<Self> {
        let n = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::start(n)
    }

    /// `n` workers (at least one).
    pub fn start(n: usize) -> std::io::Result<Self> {
        let mut handles = Vec::with_capacity(n.max(1));
        let mut stop = Vec::with_capacity(n.max(1));
        for i in 0..n.max(1) {
            let runtime = Builder::new_current_thread().enable_all().build()?;
            let (tx, rx) = oneshot::channel::<()>();
            handles.push(runtime.handle().clone());
            stop.push(tx);
            std::thread::Builder::new()
                .name(format!("skybridge-worker-{i}"))
                .spawn(move || {
                    // Runs the tasks spawned onto this runtime until the pool is dropped.
                    let _ = runtime.block_on(rx);
                })?;
        }
        Ok(Self {
            handles,
            next: AtomicUsize::new(0),
            _stop: stop,
        })
    }

    /// How many workers serve connections.
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    /// Runs `task` on the next worker in turn.
    pub fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.handles.len();
        if let Some(handle) = self.handles.get(i) {
            handle.spawn(task);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::time::Duration;

    #[tokio::test]
    async fn tasks_go_round_robin_and_stop_with_the_pool() {
        let workers = Workers::start(2).expect("workers");
        assert_eq!(workers.len(), 2);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        for _ in 0..4 {
            let tx = tx.clone();
            workers.spawn(async move {
                let name = std::thread::current().name().map(str::to_owned);
                let _ = tx.send(name);
            });
        }
        let mut names = HashSet::new();
        for _ in 0..4 {
            let name = tokio::time::timeout(Duration::from_secs(5), rx.recv())
                .await
                .expect("a task ran")
                .flatten()
                .expect("worker threads are named");
            names.insert(name);
        }
        let expected: HashSet<String> = ["skybridge-worker-0", "skybridge-worker-1"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(names, expected);

        // A task that never finishes is dropped with the pool: its channel end closes.
        let (held_tx, held_rx) = oneshot::channel::<()>();
        workers.spawn(async move {
            let _keep = held_tx;
            std::future::pending::<()>().await;
        });
        drop(workers);
        let closed = tokio::time::timeout(Duration::from_secs(5), held_rx).await;
        assert!(matches!(closed, Ok(Err(_))), "the pending task was dropped");
    }
}
