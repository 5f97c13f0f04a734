//! The wait for a turn: each kind of job runs at most its limit at once, and the waiting
//! jobs start in the order of their place in the queue (by default the order they were
//! written; a job moved to the front goes next), not in the order they began to wait.

use std::collections::BTreeSet;
use std::sync::Mutex;

use tokio::sync::Notify;

use super::JobId;

/// The jobs of one kind: how many may run, how many do, and who waits in which order.
pub(crate) struct Queue {
    state: Mutex<State>,
    changed: Notify,
}

struct State {
    limit: usize,
    running: usize,
    /// Waiting jobs by (place, id): the first goes next.
    waiting: BTreeSet<(i64, JobId)>,
}

/// A running job's turn; the next waiting job may start once it is dropped.
pub(crate) struct Turn<'a> {
    queue: &'a Queue,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.queue.lock().running -= 1;
        self.queue.changed.notify_waiters();
    }
}

/// A waiting job; it leaves the queue when the wait is dropped (the job was cancelled while
/// it waited), wherever it was moved to meanwhile.
struct Waiting<'a> {
    queue: &'a Queue,
    id: JobId,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let mut state = self.queue.lock();
        let before = state.waiting.len();
        state.waiting.retain(|(_, job)| *job != self.id);
        if state.waiting.len() != before {
            drop(state);
            self.queue.changed.notify_waiters();
        }
    }
}

impl Queue {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            state: Mutex::new(State {
                limit: limit.max(1),
                running: 0,
                waiting: BTreeSet::new(),
            }),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until job `id`, at `place` in the queue, is first among the waiting and a run
    /// is free.
    pub(crate) async fn turn(&self, id: JobId, place: i64) -> Turn<'_> {
        let waiting = Waiting { queue: self, id };
        self.lock().waiting.insert((place, id));
        loop {
            // Registered before the look, so a change between the look and the wait wakes it.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let mut state = self.lock();
                if state.running < state.limit
                    && let Some(&first) = state.waiting.first()
                    && first.1 == id
                {
                    state.waiting.remove(&first);
                    state.running += 1;
                    // It left the waiting just now: nothing for the wait to remove.
                    std::mem::forget(waiting);
                    return Turn { queue: self };
                }
            }
            changed.await;
        }
    }

    /// Puts a waiting job at `place`; `false` when it does not wait here.
    pub(crate) fn move_to(&self, id: JobId, place: i64) -> bool {
        let mut state = self.lock();
        let Some(&entry) = state.waiting.iter().find(|(_, job)| *job == id) else {
            return false;
        };
        state.waiting.remove(&entry);
        state.waiting.insert((place, id));
        drop(state);
        self.changed.notify_waiters();
        true
    }

    /// Runs at most `limit` at once from now on.
    pub(crate) fn set_limit(&self, limit: usize) {
        self.lock().limit = limit.max(1);
        self.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_in_place_goes_next_and_a_moved_job_jumps_the_queue() {
        let queue = std::sync::Arc::new(Queue::new(1));
        let first = queue.turn(1, 1).await;
        let order = std::sync::Arc::new(Mutex::new(Vec::new()));
        let mut waiters = Vec::new();
        for (id, place) in [(2, 2), (3, 3), (4, 4)] {
            let (queue, order) = (queue.clone(), order.clone());
            waiters.push(tokio::spawn(async move {
                let _turn = queue.turn(id, place).await;
                order.lock().unwrap().push(id);
            }));
            tokio::task::yield_now().await;
        }
        while queue.lock().waiting.len() < 3 {
            tokio::task::yield_now().await;
        }
        assert!(queue.move_to(4, 0), "job 4 waits");
        assert!(!queue.move_to(9, 0), "job 9 does not");
        drop(first);
        for waiter in waiters {
            waiter.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), [4, 2, 3]);
    }

    #[tokio::test]
    async fn a_cancelled_wait_leaves_the_queue() {
        let queue = Queue::new(1);
        let first = queue.turn(1, 1).await;
        let gave_up = tokio::time::timeout(std::time::Duration::from_millis(20), queue.turn(2, 2));
        assert!(gave_up.await.is_err());
        assert!(queue.lock().waiting.is_empty());
        drop(first);
        let _next = queue.turn(3, 3).await;
    }
}
