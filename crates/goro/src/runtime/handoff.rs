//! Ending a worker's run of hand-offs before Tokio's LIFO limit does.
//!
//! When a goroutine wakes another (a channel hand-off) or starts one, Tokio
//! puts that goroutine in the worker's LIFO slot and runs it as soon as the
//! current poll returns, so two goroutines that hand a value back and forth
//! stay on one worker with warm caches, as Go's `runnext` keeps them. Tokio
//! allows three such LIFO polls in a row; the fourth goroutine's wake-up then
//! goes to the back of the worker's queue *and wakes a parked worker* to
//! steal it. On a hand-off workload that wake-up is pure cost: the other
//! worker leaves its futex, often finds nothing, parks again, and when it
//! does steal, the pair moves threads (`docs/decisions/handoff-budget.md`).
//!
//! So goro ends the run itself, one step earlier and quietly: after the
//! third poll in a row on a thread that handed off, it spends the rest of
//! the poll's cooperative budget (Tokio's `task::coop`). With no budget
//! left, Tokio moves the goroutine waiting in the LIFO slot to the back of
//! the worker's queue *without* waking another worker, and the worker takes
//! the next task from its queue with a fresh budget and LIFO count. Other
//! goroutines in the queue get their turn exactly as under Tokio's limit
//! (the pair cannot starve them); only the futile wake-up is gone.
//!
//! Spending the budget uses Tokio's public coop API only: `poll_proceed`
//! takes one unit, and the `RestoreOnPending` it returns puts back, when
//! dropped, the budget it saw. Taking units one by one from 128 would cost
//! hundreds of instructions, so the thread keeps one `RestoreOnPending` that
//! saw a budget of 1: dropping it sets the budget to 1, and one
//! `poll_proceed` takes that last unit and yields the next such keeper. If
//! Tokio ever stops honouring this, the run simply goes on to Tokio's own
//! limit, as before: a matter of speed, never of correctness (a goroutine is
//! never lost or woken twice by it).

use std::cell::Cell;
use std::task::{Context, Poll};

use tokio::task::coop::{self, RestoreOnPending};

/// Polls in a row that hand off before goro ends the run: one fewer than
/// the LIFO polls Tokio allows (`MAX_LIFO_POLLS_PER_TICK`, 3), counting the
/// first poll, which came from the queue.
pub(crate) const RUN: u8 = 3;

thread_local! {
    /// A `RestoreOnPending` that saw a budget of 1 (see the module's doc).
    static KEEPER: Cell<Option<RestoreOnPending>> = const { Cell::new(None) };
}

/// Spends what is left of the current task's cooperative budget, so that
/// the worker takes its next task from the queue. Call only at the end of a
/// task's poll (the task's own futures would see no budget otherwise).
#[cold]
#[inline(never)]
pub(crate) fn end_run(cx: &mut Context<'_>) {
    KEEPER.with(|keeper| {
        if let Some(one) = keeper.take() {
            // The budget is now 1; take that last unit, and keep what
            // `poll_proceed` returns (it saw 1) for next time. Not checked
            // here: the unit test below fails if Tokio stops working so.
            drop(one);
            if let Poll::Ready(restore) = coop::poll_proceed(cx) {
                keeper.set(Some(restore));
            }
            return;
        }
        // The first time on a thread: take units one by one. Bounded, in
        // case the budget is unconstrained.
        for _ in 0..=u8::MAX {
            if !coop::has_budget_remaining() {
                return;
            }
            match coop::poll_proceed(cx) {
                Poll::Ready(restore) => {
                    if coop::has_budget_remaining() {
                        // Not the last unit: keep it spent.
                        restore.made_progress();
                    } else {
                        // It saw a budget of 1: the keeper.
                        keeper.set(Some(restore));
                        return;
                    }
                }
                // Cannot happen (the budget was not empty); nothing to do.
                Poll::Pending => return,
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mechanism rests on Tokio's coop API behaving as documented:
    /// if this fails after a Tokio upgrade, `end_run` no longer ends runs.
    #[test]
    fn end_run_spends_the_whole_budget_every_time() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            tokio::spawn(async {
                // The first call on the thread takes units one by one, the
                // later ones use the keeper.
                for _ in 0..4 {
                    std::future::poll_fn(|cx| {
                        assert!(coop::has_budget_remaining(), "a poll starts with budget");
                        end_run(cx);
                        assert!(!coop::has_budget_remaining(), "end_run left budget");
                        Poll::Ready(())
                    })
                    .await;
                    // The next poll gets a fresh budget.
                    tokio::task::yield_now().await;
                }
            })
            .await
            .expect("the task ran");
        });
    }
}
