//! Where the handles and the driver meet: requests go in through one inbox, each request's
//! result comes back through a slot of its own. One mutex guards both, so a request costs
//! no allocation and no channel of its own: the driver takes the whole inbox at once, and
//! a caller waits on its slot ([`Ticket`]) until the driver fills it ([`Reply`]).

use std::collections::VecDeque;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use tokio::sync::Notify;

use super::command::Answer;
use super::driver::Call;
use crate::Error;

/// What a request ends with.
pub(crate) type Outcome = Result<Answer, Error>;

/// Shared by every handle of one client and its driver.
#[derive(Debug, Default)]
pub(crate) struct Exchange {
    state: Mutex<State>,
    /// Told when the driver has ended.
    ended: Notify,
}

#[derive(Debug, Default)]
struct State {
    /// Requests the driver has not taken yet.
    inbox: VecDeque<Call>,
    /// The client is to close (asked, or every handle is gone).
    close: bool,
    /// The driver has ended: nothing more is taken.
    ended: bool,
    /// The driver, waiting for requests.
    driver: Option<Waker>,
    /// Callers given a result by the last [`Exchange::deliver`] who have not taken it.
    unsettled: usize,
    /// The driver, waiting for them ([`Exchange::poll_settled`]).
    settling: Option<Waker>,
    /// The results, one slot per request that someone waits for.
    slots: Vec<Slot>,
    /// Slots free for reuse.
    free: Vec<usize>,
}

#[derive(Debug)]
enum Slot {
    Free,
    /// No result yet; the caller's task, once it polled.
    Waiting(Option<Waker>),
    /// The result, and what undoes it if the caller gives it up untaken.
    Done(Outcome, Option<Box<Call>>),
    /// The caller stopped waiting: the result is dropped when it comes.
    Abandoned,
}

/// What the driver finds in the exchange.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Inbox {
    /// Requests came (moved into the driver's list).
    Calls,
    /// The client is to close; no request is left.
    Close,
}

impl Exchange {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while the lock is held leaves nothing half-done that matters here.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A request for the driver, handed over when the returned [`Ticket`] is first polled
    /// (which also registers the caller: one lock for both); the ticket then waits for the
    /// result. It ends [`Error::Closed`] when the client is closed.
    pub(crate) fn request(self: &Arc<Self>, call: Call) -> Ticket<'_> {
        Ticket {
            exchange: self,
            stage: Stage::Unsent(call),
        }
    }

    /// Hands a request to the driver that no one waits for (its result is dropped).
    pub(crate) fn send(&self, call: Call) {
        let mut state = self.lock();
        if state.close || state.ended {
            return;
        }
        state.inbox.push_back(call);
        wake_driver(state);
    }

    /// Asks the driver to close the client.
    pub(crate) fn close(&self) {
        let mut state = self.lock();
        state.close = true;
        // Waiting for answered callers to settle, the driver is not waiting for requests.
        let settling = state.settling.take();
        wake_driver(state);
        if let Some(driver) = settling {
            driver.wake();
        }
    }

    /// True once the client is closed, or closing.
    pub(crate) fn is_closed(&self) -> bool {
        let state = self.lock();
        state.close || state.ended
    }

    /// Waits until the driver has ended.
    pub(crate) async fn ended(&self) {
        let notified = self.ended.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if self.lock().ended {
            return;
        }
        notified.await;
    }

    /// The driver: moves what came to the end of `queue`, or says the client is to
    /// close; `Pending` (the driver woken later) when neither.
    pub(crate) fn poll_take(
        &self,
        cx: &mut Context<'_>,
        queue: &mut VecDeque<Call>,
    ) -> Poll<Inbox> {
        let mut state = self.lock();
        if !state.inbox.is_empty() {
            state.move_to(queue);
            return Poll::Ready(Inbox::Calls);
        }
        if state.close {
            return Poll::Ready(Inbox::Close);
        }
        match &state.driver {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => state.driver = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// The driver: `Ready` once every caller given a result by the last
    /// [`Exchange::deliver`] has taken it (and so made its next request, if it makes one),
    /// or the client is to close. The driver is not woken by requests meanwhile.
    pub(crate) fn poll_settled(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.lock();
        state.driver = None;
        if state.unsettled == 0 || state.close {
            state.unsettled = 0;
            return Poll::Ready(());
        }
        match &state.settling {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => state.settling = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// The driver, without waiting: moves what came to the end of `queue`; true when the
    /// client is to close.
    pub(crate) fn take(&self, queue: &mut VecDeque<Call>) -> bool {
        let mut state = self.lock();
        state.move_to(queue);
        state.close
    }

    /// The driver has ended: every request still in the inbox is returned (to end
    /// [`Error::Closed`]), none is taken any more, and [`Exchange::ended`] returns.
    pub(crate) fn end(&self) -> VecDeque<Call> {
        let mut state = self.lock();
        state.ended = true;
        state.close = true;
        state.driver = None;
        let left = mem::take(&mut state.inbox);
        drop(state);
        self.ended.notify_waiters();
        left
    }

    /// Puts a result in `slot` and wakes its caller.
    fn fill(&self, slot: usize, outcome: Outcome) {
        let waker = self.lock().fill(slot, outcome, None);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// The driver: ends every request in `done` under one lock, then wakes their callers
    /// (`wakers` is room for that, left empty). [`Exchange::poll_settled`] then waits for
    /// these callers.
    pub(crate) fn deliver(&self, done: &mut Vec<(Reply, Outcome)>, wakers: &mut Vec<Waker>) {
        let mut state = self.lock();
        for (mut reply, outcome) in done.drain(..) {
            if let Some(slot) = reply.slot.take() {
                let undo = reply.undo.take();
                wakers.extend(state.fill(slot, outcome, undo));
            }
        }
        state.unsettled = wakers.len();
        drop(state);
        for waker in wakers.drain(..) {
            waker.wake();
        }
    }
}

/// Wakes the driver if it waits, after letting go of the lock.
fn wake_driver(mut state: MutexGuard<'_, State>) {
    let driver = state.driver.take();
    drop(state);
    if let Some(driver) = driver {
        driver.wake();
    }
}

impl State {
    /// Moves the inbox to the end of `queue`: the two swap when `queue` is empty (the
    /// usual case), so the requests are not moved one by one.
    fn move_to(&mut self, queue: &mut VecDeque<Call>) {
        if queue.is_empty() {
            mem::swap(&mut self.inbox, queue);
        } else {
            queue.append(&mut self.inbox);
        }
    }

    /// Hands the driver what undoes a result nobody takes; true when there is one.
    fn undo(&mut self, undo: Option<Box<Call>>) -> bool {
        match undo {
            Some(call) if !self.close && !self.ended => {
                self.inbox.push_back(*call);
                true
            }
            _ => false,
        }
    }

    /// A caller took the result of `slot` (or gave it up): the driver waiting for the
    /// callers to settle is to be woken when it was the last.
    fn settle_one(&mut self) -> Option<Waker> {
        if self.unsettled == 0 {
            return None;
        }
        self.unsettled -= 1;
        if self.unsettled == 0 {
            self.settling.take()
        } else {
            None
        }
    }

    /// Puts a result in `slot`, with what undoes it; the caller's task to wake, if it
    /// waits.
    fn fill(&mut self, slot: usize, outcome: Outcome, undo: Option<Box<Call>>) -> Option<Waker> {
        match mem::replace(&mut self.slots[slot], Slot::Free) {
            Slot::Waiting(waker) => {
                self.slots[slot] = Slot::Done(outcome, undo);
                waker
            }
            // Nobody waits any more: the slot is free again, the result dropped (and
            // undone).
            Slot::Abandoned => {
                self.free.push(slot);
                self.undo(undo);
                None
            }
            // Not in use: left as it was.
            other => {
                self.slots[slot] = other;
                None
            }
        }
    }
}

/// Where a request's result goes: held by the driver with the request. Dropped unsent,
/// the request ends [`Error::Closed`] (so no caller waits for a request that is gone).
#[derive(Debug)]
pub(crate) struct Reply {
    exchange: Arc<Exchange>,
    /// `None` once sent.
    slot: Option<usize>,
    /// What undoes the result if its caller gives it up untaken (closing a sub-session,
    /// ending a subscription, that no handle would close).
    undo: Option<Box<Call>>,
}

impl Reply {
    /// Sets what undoes the result, for [`Exchange::deliver`].
    pub(crate) fn undo_with(&mut self, call: Call) {
        self.undo = Some(Box::new(call));
    }

    /// Ends the request with `outcome`.
    pub(crate) fn send(mut self, outcome: Outcome) {
        if let Some(slot) = self.slot.take() {
            self.exchange.fill(slot, outcome);
        }
    }

    /// Ends the request with `outcome` if someone waits for it.
    pub(crate) fn end(reply: Option<Self>, outcome: Outcome) {
        if let Some(reply) = reply {
            reply.send(outcome);
        }
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            self.exchange.fill(slot, Err(Error::Closed));
        }
    }
}

/// A caller's wait for its request's result.
#[derive(Debug)]
#[must_use = "a request is handed over and answered only while its ticket is polled"]
pub(crate) struct Ticket<'a> {
    exchange: &'a Arc<Exchange>,
    stage: Stage,
}

#[derive(Debug)]
enum Stage {
    /// Not handed over yet.
    Unsent(Call),
    /// Handed over: its result comes in this slot.
    Sent(usize),
    /// The result is taken.
    Over,
}

impl Ticket<'_> {
    /// The first poll: the request goes into the inbox, its slot waits with the caller's
    /// waker in it, and the driver is woken.
    fn hand_over(&mut self, mut call: Call, cx: &mut Context<'_>) -> Poll<Outcome> {
        let mut state = self.exchange.lock();
        if state.close || state.ended {
            return Poll::Ready(Err(Error::Closed));
        }
        let waiting = Slot::Waiting(Some(cx.waker().clone()));
        let slot = match state.free.pop() {
            Some(slot) => {
                state.slots[slot] = waiting;
                slot
            }
            None => {
                state.slots.push(waiting);
                state.slots.len() - 1
            }
        };
        call.reply = Some(Reply {
            exchange: Arc::clone(self.exchange),
            slot: Some(slot),
            undo: None,
        });
        state.inbox.push_back(call);
        wake_driver(state);
        self.stage = Stage::Sent(slot);
        Poll::Pending
    }
}

impl Future for Ticket<'_> {
    type Output = Outcome;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        let this = &mut *self;
        let slot = match this.stage {
            Stage::Sent(slot) => slot,
            Stage::Unsent(_) => {
                let Stage::Unsent(call) = mem::replace(&mut this.stage, Stage::Over) else {
                    unreachable!("matched above");
                };
                return this.hand_over(call, cx);
            }
            Stage::Over => return Poll::Ready(Err(Error::Closed)),
        };
        let mut state = this.exchange.lock();
        match &mut state.slots[slot] {
            Slot::Waiting(Some(waker)) if waker.will_wake(cx.waker()) => Poll::Pending,
            Slot::Waiting(waker) => {
                *waker = Some(cx.waker().clone());
                Poll::Pending
            }
            Slot::Done(..) => {
                let Slot::Done(outcome, _) = mem::replace(&mut state.slots[slot], Slot::Free)
                else {
                    unreachable!("matched above");
                };
                state.free.push(slot);
                let settled = state.settle_one();
                drop(state);
                if let Some(driver) = settled {
                    driver.wake();
                }
                this.stage = Stage::Over;
                Poll::Ready(outcome)
            }
            Slot::Free | Slot::Abandoned => Poll::Ready(Err(Error::Closed)),
        }
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        let Stage::Sent(slot) = self.stage else {
            return;
        };
        let mut state = self.exchange.lock();
        match state.slots[slot] {
            // The result came and is not wanted: undone, if it must be.
            Slot::Done(..) => {
                let Slot::Done(_, undo) = mem::replace(&mut state.slots[slot], Slot::Free) else {
                    unreachable!("matched above");
                };
                state.free.push(slot);
                let settled = state.settle_one();
                let driver = if state.undo(undo) {
                    state.driver.take()
                } else {
                    None
                };
                drop(state);
                for waker in [settled, driver].into_iter().flatten() {
                    waker.wake();
                }
            }
            Slot::Waiting(_) => state.slots[slot] = Slot::Abandoned,
            Slot::Free | Slot::Abandoned => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::future::poll_fn;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Poll, Wake, Waker};

    use futures_util::FutureExt;
    use tokio::time::Instant;

    use super::{Exchange, Inbox, Ticket};
    use crate::Error;
    use crate::client::command::{Answer, Command};
    use crate::client::driver::Call;

    /// A request, handed over (its ticket polled once).
    fn submit(exchange: &Arc<Exchange>) -> Ticket<'_> {
        let mut ticket = exchange.request(Call {
            command: Command::GetStage,
            deadline: Instant::now(),
            reply: None,
            sink: None,
        });
        assert!((&mut ticket).now_or_never().is_none());
        ticket
    }

    /// What the driver takes now.
    fn take(exchange: &Exchange) -> VecDeque<Call> {
        let mut calls = VecDeque::new();
        exchange.take(&mut calls);
        calls
    }

    fn slots(exchange: &Exchange) -> usize {
        exchange.lock().slots.len()
    }

    /// A waker that counts how often it is woken.
    #[derive(Default)]
    struct Wakes(AtomicUsize);

    impl Wake for Wakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    impl Wakes {
        fn count(&self) -> usize {
            self.0.load(Ordering::Relaxed)
        }
    }

    /// The driver delivers `Done` to `calls` in one go.
    fn deliver(exchange: &Exchange, calls: Vec<Call>) {
        let mut done = calls
            .into_iter()
            .map(|call| (call.reply.unwrap(), Ok(Answer::Done)))
            .collect();
        exchange.deliver(&mut done, &mut Vec::new());
    }

    #[test]
    fn the_driver_settles_once_every_caller_answered_has_taken_its_result() {
        let exchange = Arc::<Exchange>::default();
        let (mut first, second, mut third) =
            (submit(&exchange), submit(&exchange), submit(&exchange));
        let mut calls = take(&exchange);
        let later = calls.pop_back().unwrap();
        deliver(&exchange, calls.into());
        let wakes = Arc::new(Wakes::default());
        let waker = Waker::from(Arc::clone(&wakes));
        let mut driver = Context::from_waker(&waker);
        assert!(exchange.poll_settled(&mut driver).is_pending());
        assert_eq!((&mut first).now_or_never().unwrap().unwrap(), Answer::Done);
        assert!(exchange.poll_settled(&mut driver).is_pending());
        // Given up after its result came: as good as taken. The last one wakes the driver.
        assert_eq!(wakes.count(), 0);
        drop(second);
        assert_eq!(wakes.count(), 1);
        assert!(exchange.poll_settled(&mut driver).is_ready());
        // A result of an earlier delivery does not wake the driver again.
        later.end(Ok(Answer::Done));
        assert_eq!((&mut third).now_or_never().unwrap().unwrap(), Answer::Done);
        assert_eq!(wakes.count(), 1);
        assert!(exchange.poll_settled(&mut driver).is_ready());
    }

    #[test]
    fn a_delivery_no_caller_waits_for_and_closing_settle_at_once() {
        let exchange = Arc::<Exchange>::default();
        let waker = Waker::from(Arc::new(Wakes::default()));
        let mut driver = Context::from_waker(&waker);
        drop(submit(&exchange));
        deliver(&exchange, take(&exchange).into());
        assert!(exchange.poll_settled(&mut driver).is_ready());
        let _waiting = submit(&exchange);
        deliver(&exchange, take(&exchange).into());
        let wakes = Arc::new(Wakes::default());
        let waker = Waker::from(Arc::clone(&wakes));
        let mut driver = Context::from_waker(&waker);
        assert!(exchange.poll_settled(&mut driver).is_pending());
        exchange.close();
        assert_eq!(wakes.count(), 1);
        assert!(exchange.poll_settled(&mut driver).is_ready());
    }

    #[tokio::test]
    async fn a_result_reaches_its_own_ticket() {
        let exchange = Arc::<Exchange>::default();
        let mut first = submit(&exchange);
        let second = submit(&exchange);
        let mut calls = take(&exchange).into_iter();
        let (a, b) = (calls.next().unwrap(), calls.next().unwrap());
        assert!((&mut first).now_or_never().is_none());
        b.end(Ok(Answer::Uuid(xentara_ws::Uuid::nil())));
        a.end(Ok(Answer::Done));
        assert_eq!(second.await.unwrap(), Answer::Uuid(xentara_ws::Uuid::nil()));
        assert_eq!((&mut first).await.unwrap(), Answer::Done);
    }

    #[test]
    fn what_is_taken_joins_the_end_of_the_queue_in_order() {
        let exchange = Arc::<Exchange>::default();
        let kinds = |queue: &VecDeque<Call>| {
            let kind = |c: &Call| matches!(c.command, Command::GetStage);
            queue.iter().map(kind).collect::<Vec<_>>()
        };
        let call = |command| Call {
            command,
            deadline: Instant::now(),
            reply: None,
            sink: None,
        };
        exchange.send(call(Command::GetStage));
        let mut queue = VecDeque::new();
        exchange.take(&mut queue);
        exchange.send(call(Command::Resume(None)));
        exchange.send(call(Command::GetStage));
        exchange.take(&mut queue);
        assert_eq!(kinds(&queue), [true, false, true]);
        assert!(take(&exchange).is_empty());
    }

    #[test]
    fn a_request_never_polled_is_never_handed_over() {
        let exchange = Arc::<Exchange>::default();
        drop(exchange.request(Call {
            command: Command::GetStage,
            deadline: Instant::now(),
            reply: None,
            sink: None,
        }));
        assert_eq!((take(&exchange).len(), slots(&exchange)), (0, 0));
    }

    #[tokio::test]
    async fn a_request_dropped_unanswered_ends_closed() {
        let exchange = Arc::<Exchange>::default();
        let ticket = submit(&exchange);
        drop(take(&exchange));
        assert!(matches!(ticket.await, Err(Error::Closed)));
    }

    #[tokio::test]
    async fn a_slot_given_up_by_its_caller_is_used_again_once_answered() {
        let exchange = Arc::<Exchange>::default();
        drop(submit(&exchange));
        let call = take(&exchange).pop_back().unwrap();
        // Still reserved for the answer on its way.
        let ticket = submit(&exchange);
        assert_eq!(slots(&exchange), 2);
        call.end(Ok(Answer::Done));
        drop(ticket);
        take(&exchange).pop_back().unwrap().end(Ok(Answer::Done));
        let again = submit(&exchange);
        assert_eq!(slots(&exchange), 2);
        take(&exchange)
            .pop_back()
            .unwrap()
            .end(Ok(Answer::Stage(xentara_ws::Stage::Operational)));
        assert_eq!(
            again.await.unwrap(),
            Answer::Stage(xentara_ws::Stage::Operational)
        );
    }

    #[tokio::test]
    async fn closing_hands_over_the_requests_first_then_refuses_new_ones() {
        let exchange = Arc::<Exchange>::default();
        let ticket = submit(&exchange);
        exchange.close();
        assert!(exchange.is_closed());
        let late = Call {
            command: Command::GetStage,
            deadline: Instant::now(),
            reply: None,
            sink: None,
        };
        assert!(matches!(exchange.request(late).await, Err(Error::Closed)));
        let mut calls = VecDeque::new();
        let first = poll_fn(|cx| Poll::Ready(exchange.poll_take(cx, &mut calls))).await;
        assert_eq!((first, calls.len()), (Poll::Ready(Inbox::Calls), 1));
        calls.clear();
        let then = poll_fn(|cx| Poll::Ready(exchange.poll_take(cx, &mut calls))).await;
        assert_eq!(then, Poll::Ready(Inbox::Close));
        drop(exchange.end());
        exchange.ended().await;
        assert!(matches!(ticket.await, Err(Error::Closed)));
    }

    #[tokio::test]
    async fn the_driver_is_woken_by_a_request() {
        let exchange = Arc::<Exchange>::default();
        let driver = tokio::spawn({
            let exchange = Arc::clone(&exchange);
            async move {
                let mut calls = VecDeque::new();
                let inbox = poll_fn(|cx| exchange.poll_take(cx, &mut calls)).await;
                (inbox, calls.len())
            }
        });
        tokio::task::yield_now().await;
        let _ticket = submit(&exchange);
        let woken = tokio::time::timeout(std::time::Duration::from_secs(5), driver).await;
        assert_eq!(
            woken.expect("the driver was not woken").unwrap(),
            (Inbox::Calls, 1)
        );
    }

    /// What undoes a result: an unsubscribe.
    fn undo() -> Call {
        Call {
            command: Command::Unsubscribe(crate::Uuid::from_u128(9)),
            deadline: Instant::now(),
            reply: None,
            sink: None,
        }
    }

    /// The driver delivers `Done` to `call`, undone by [`undo`] if not taken.
    fn deliver_undoable(exchange: &Exchange, call: Call) {
        let mut reply = call.reply.unwrap();
        reply.undo_with(undo());
        exchange.deliver(&mut vec![(reply, Ok(Answer::Done))], &mut Vec::new());
    }

    #[test]
    fn a_result_given_up_is_undone_and_a_taken_one_is_not() {
        let exchange = Arc::<Exchange>::default();
        let wakes = Arc::new(Wakes::default());
        let waker = Waker::from(Arc::clone(&wakes));
        let mut driver = Context::from_waker(&waker);
        let mut queue = VecDeque::new();
        // Taken: nothing to undo.
        let mut taken = submit(&exchange);
        deliver_undoable(&exchange, take(&exchange).pop_front().unwrap());
        assert_eq!((&mut taken).now_or_never().unwrap().unwrap(), Answer::Done);
        assert!(exchange.poll_take(&mut driver, &mut queue).is_pending());
        // Given up before the result came: undone when it comes.
        drop(submit(&exchange));
        deliver_undoable(&exchange, take(&exchange).pop_front().unwrap());
        let mut undone = take(&exchange);
        assert!(matches!(
            undone.make_contiguous(),
            [Call {
                command: Command::Unsubscribe(_),
                ..
            }]
        ));
        // Given up after it came: undone then, and the waiting driver is woken.
        let untaken = submit(&exchange);
        deliver_undoable(&exchange, take(&exchange).pop_front().unwrap());
        assert!(exchange.poll_take(&mut driver, &mut queue).is_pending());
        let woken = wakes.count();
        drop(untaken);
        assert_eq!(wakes.count(), woken + 1);
        assert_eq!(
            exchange.poll_take(&mut driver, &mut queue),
            Poll::Ready(Inbox::Calls)
        );
        assert!(matches!(
            queue.make_contiguous(),
            [Call {
                command: Command::Unsubscribe(_),
                ..
            }]
        ));
        // Once the client is closed, nothing more is handed to the driver.
        let closing = submit(&exchange);
        let call = take(&exchange).pop_front().unwrap();
        exchange.close();
        drop(closing);
        deliver_undoable(&exchange, call);
        assert!(take(&exchange).is_empty());
    }
}
