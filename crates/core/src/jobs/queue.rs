//! The wait for a turn: each kind of job runs at most its limit at once, holding at most its
//! memory budget together, and the waiting jobs start in the order of their place in the
//! queue (by default the order they were written; a job moved to the front goes next), not in
//! the order they began to wait.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use super::JobId;

/// How many jobs of a kind may run at once, and the memory (bytes) they may hold together;
/// `None`: as much as the jobs that may run need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) count: usize,
    pub(crate) memory: Option<u64>,
}

/// The jobs of one kind: how many may run, how many do, and who waits in which order.
pub(crate) struct Queue {
    state: Mutex<State>,
}

struct State {
    limits: Limits,
    running: usize,
    /// The memory the running jobs hold, together.
    held: u64,
    /// Waiting jobs by (place, id), each with the memory it will hold and the way to tell it
    /// its turn came: the first goes next. A run that frees up is handed to it directly, so
    /// thousands of waiting jobs cost nothing until their turn.
    waiting: BTreeMap<(i64, JobId), (u64, oneshot::Sender<()>)>,
}

impl State {
    /// Hands the free runs to the first waiting jobs while their memory fits. The first
    /// waits for room rather than let later, smaller jobs pass it; a job larger than the
    /// whole budget runs alone.
    fn hand_out(&mut self) {
        while self.running < self.limits.count {
            let Some(first) = self.waiting.first_entry() else {
                return;
            };
            let memory = first.get().0;
            if let Some(budget) = self.limits.memory
                && self.running > 0
                && self.held + memory > budget
            {
                return;
            }
            let (memory, tell) = first.remove();
            // A job whose wait ended meanwhile (cancelled) does not take the run.
            if tell.send(()).is_ok() {
                self.running += 1;
                self.held += memory;
            }
        }
    }

    fn give_back(&mut self, memory: u64) {
        self.running -= 1;
        self.held -= memory;
        self.hand_out();
    }
}

/// A running job's turn; the next waiting job starts once it is dropped.
pub(crate) struct Turn {
    queue: Arc<Queue>,
    memory: u64,
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.queue.lock().give_back(self.memory);
    }
}

/// A job waiting for its turn. Dropped before the turn was taken (the job was cancelled while
/// it waited), it leaves the queue, or gives back a run handed to it meanwhile.
pub(crate) struct Waiting {
    queue: Arc<Queue>,
    id: JobId,
    memory: u64,
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
            memory: self.memory,
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
            state.give_back(self.memory);
        }
    }
}

impl Queue {
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            state: Mutex::new(State {
                limits: Limits {
                    count: limits.count.max(1),
                    ..limits
                },
                running: 0,
                held: 0,
                waiting: BTreeMap::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Puts job `id`, which will hold `memory` bytes while it runs, in the queue at `place`,
    /// at once, so a move to the front made before its task first runs is not lost; its turn
    /// comes when it is first, a run is free and its memory fits.
    pub(crate) fn enter(self: &Arc<Self>, id: JobId, place: i64, memory: u64) -> Waiting {
        let (tell, turn) = oneshot::channel();
        let mut state = self.lock();
        state.waiting.insert((place, id), (memory, tell));
        state.hand_out();
        Waiting {
            queue: Arc::clone(self),
            id,
            memory,
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

    /// Runs exactly up to `count` at once from now on, whatever memory they hold: the
    /// memory is the user's to spend.
    pub(crate) fn set_count(&self, count: usize) {
        self.set_limits(Limits {
            count: count.max(1),
            memory: None,
        });
    }

    pub(crate) fn set_limits(&self, limits: Limits) {
        let mut state = self.lock();
        state.limits = limits;
        state.hand_out();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE_AT_A_TIME: Limits = Limits {
        count: 1,
        memory: None,
    };

    /// Whether the wait has its turn within a moment.
    async fn starts(wait: &mut std::pin::Pin<Box<impl Future<Output = Turn>>>) -> Option<Turn> {
        tokio::time::timeout(std::time::Duration::from_millis(20), wait.as_mut())
            .await
            .ok()
    }

    #[tokio::test]
    async fn jobs_run_together_while_their_memory_fits_and_in_their_order() {
        let queue = Arc::new(Queue::new(Limits {
            count: 3,
            memory: Some(10),
        }));
        let big = queue.enter(1, 1, 6).turn().await;
        let mut second_big = Box::pin(queue.enter(2, 2, 6).turn());
        let mut small = Box::pin(queue.enter(3, 3, 1).turn());
        assert!(starts(&mut second_big).await.is_none(), "6 + 6 is over 10");
        assert!(
            starts(&mut small).await.is_none(),
            "it does not pass the first"
        );
        drop(big);
        let second_big = starts(&mut second_big).await.expect("room now");
        let small = starts(&mut small).await.expect("6 + 1 fits");
        let mut huge = Box::pin(queue.enter(4, 4, 50).turn());
        assert!(starts(&mut huge).await.is_none());
        drop((second_big, small));
        let huge = starts(&mut huge).await;
        assert!(huge.is_some(), "a job over the budget runs alone");
        queue.set_count(2);
        let beside = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            queue.enter(5, 5, 50).turn(),
        );
        assert!(
            beside.await.is_ok(),
            "a count given by the user ignores memory"
        );
    }

    #[tokio::test]
    async fn the_first_in_place_goes_next_and_a_moved_job_jumps_the_queue() {
        let queue = Arc::new(Queue::new(ONE_AT_A_TIME));
        let first = queue.enter(1, 1, 0).turn().await;
        let order = std::sync::Arc::new(Mutex::new(Vec::new()));
        let mut waiters = Vec::new();
        for (id, place) in [(2, 2), (3, 3), (4, 4)] {
            let (queue, order) = (queue.clone(), order.clone());
            waiters.push(tokio::spawn(async move {
                let _turn = queue.enter(id, place, 0).turn().await;
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
        let queue = Arc::new(Queue::new(ONE_AT_A_TIME));
        let first = queue.enter(1, 1, 0).turn().await;
        let gave_up = tokio::time::timeout(
            std::time::Duration::from_millis(20),
            queue.enter(2, 2, 0).turn(),
        );
        assert!(gave_up.await.is_err());
        assert!(queue.lock().waiting.is_empty());
        drop(first);
        let _next = queue.enter(3, 3, 0).turn().await;
    }

    #[tokio::test]
    async fn a_turn_handed_to_a_wait_that_ends_unused_goes_to_the_next() {
        let queue = Arc::new(Queue::new(ONE_AT_A_TIME));
        let first = queue.enter(1, 1, 0).turn().await;
        let mut second = Box::pin(queue.enter(2, 2, 0).turn());
        let short = std::time::Duration::from_millis(20);
        assert!(tokio::time::timeout(short, second.as_mut()).await.is_err());
        drop(first);
        drop(second);
        let third = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            queue.enter(3, 3, 0).turn(),
        );
        assert!(third.await.is_ok(), "the run handed to job 2 came back");
    }
}
