//! The wait for a turn: each kind of job runs at most its limit at once, and the waiting
//! jobs start in the order of their place in the queue (by default the order they were
//! written; a job moved to the front goes next), not in the order they began to wait.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use super::JobId;

/// The jobs of one kind: how many may run, how many do, and who waits in which order.
pub(crate) struct Queue {
    state: Mutex<State>,
}

struct State {
    limit: usize,
    running: usize,
    /// Waiting jobs by (place, id), each with the way to tell it its turn came: the first
    /// goes next. A run that frees up is handed to it directly, so thousands of waiting jobs
    /// cost nothing until their turn.
    waiting: BTreeMap<(i64, JobId), oneshot::Sender<()>>,
}

impl State {
    /// Hands the free runs to the first waiting jobs.
    fn hand_out(&mut self) {
        while self.running < self.limit {
            let Some((_, tell)) = self.waiting.pop_first() else {
                return;
            };
            // A job whose wait ended meanwhile (cancelled) does not take the run.
            if tell.send(()).is_ok() {
                self.running += 1;
            }
        }
    }
}

/// A running job's turn; the next waiting job starts once it is dropped.
pub(crate) struct Turn {
    queue: Arc<Queue>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut state = self.queue.lock();
        state.running -= 1;
        state.hand_out();
    }
}

/// A job waiting for its turn. Dropped before the turn was taken (the job was cancelled while
/// it waited), it leaves the queue, or gives back a run handed to it meanwhile.
pub(crate) struct Waiting {
    queue: Arc<Queue>,
    id: JobId,
    turn: oneshot::Receiver<()>,
    taken: bool,
}

impl Waiting {
    /// Waits until this job is first among the waiting and a run is free.
    pub(crate) async fn turn(mut self) -> Turn {
        // The sender is only ever dropped after sending, or with the queue itself.
        let _ = (&mut self.turn).await;
        self.taken = true;
        Turn {
            queue: Arc::clone(&self.queue),
        }
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if self.taken {
            return;
        }
        let mut state = self.queue.lock();
        let before = state.waiting.len();
        state.waiting.retain(|(_, job), _| *job != self.id);
        if state.waiting.len() == before && self.turn.try_recv().is_ok() {
            state.running -= 1;
            state.hand_out();
        }
    }
}

impl Queue {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            state: Mutex::new(State {
                limit: limit.max(1),
                running: 0,
                waiting: BTreeMap::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Puts job `id` in the queue at `place`, at once, so a move to the front made before
    /// its task first runs is not lost; its turn comes when it is first and a run is free.
    pub(crate) fn enter(self: &Arc<Self>, id: JobId, place: i64) -> Waiting {
        let (tell, turn) = oneshot::channel();
        let mut state = self.lock();
        state.waiting.insert((place, id), tell);
        state.hand_out();
        Waiting {
            queue: Arc::clone(self),
            id,
            turn,
            taken: false,
        }
    }

    /// Puts a waiting job at `place`; `false` when it does not wait here.
    pub(crate) fn move_to(&self, id: JobId, place: i64) -> bool {
        let mut state = self.lock();
        let Some(&entry) = state.waiting.keys().find(|(_, job)| *job == id) else {
            return false;
        };
        if let Some(tell) = state.waiting.remove(&entry) {
            state.waiting.insert((place, id), tell);
        }
        true
    }

    /// Runs at most `limit` at once from now on.
    pub(crate) fn set_limit(&self, limit: usize) {
        let mut state = self.lock();
        state.limit = limit.max(1);
        state.hand_out();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_in_place_goes_next_and_a_moved_job_jumps_the_queue() {
        let queue = Arc::new(Queue::new(1));
        let first = queue.enter(1, 1).turn().await;
        let order = std::sync::Arc::new(Mutex::new(Vec::new()));
        let mut waiters = Vec::new();
        for (id, place) in [(2, 2), (3, 3), (4, 4)] {
            let (queue, order) = (queue.clone(), order.clone());
            waiters.push(tokio::spawn(async move {
                let _turn = queue.enter(id, place).turn().await;
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
        let queue = Arc::new(Queue::new(1));
        let first = queue.enter(1, 1).turn().await;
        let gave_up = tokio::time::timeout(
            std::time::Duration::from_millis(20),
            queue.enter(2, 2).turn(),
        );
        assert!(gave_up.await.is_err());
        assert!(queue.lock().waiting.is_empty());
        drop(first);
        let _next = queue.enter(3, 3).turn().await;
    }

    #[tokio::test]
    async fn a_turn_handed_to_a_wait_that_ends_unused_goes_to_the_next() {
        let queue = Arc::new(Queue::new(1));
        let first = queue.enter(1, 1).turn().await;
        let mut second = Box::pin(queue.enter(2, 2).turn());
        let short = std::time::Duration::from_millis(20);
        assert!(tokio::time::timeout(short, second.as_mut()).await.is_err());
        drop(first);
        drop(second);
        let third =
            tokio::time::timeout(std::time::Duration::from_secs(5), queue.enter(3, 3).turn());
        assert!(third.await.is_ok(), "the run handed to job 2 came back");
    }
}
