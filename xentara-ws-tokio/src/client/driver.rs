//! The driver task: it owns the WebSocket and the
//! [`ClientSession`](xentara_ws::session::ClientSession), takes the requests of every
//! [`Client`](super::Client) handle from the exchange (`exchange.rs`), writes those that
//! came in the same scheduler tick into one message, matches answers to requests by id and
//! ends each request with exactly one result. When the connection is lost it connects again
//! (`reconnect.rs`).

use std::collections::{HashMap, VecDeque};
use std::future::poll_fn;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Poll, Waker};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::time::{Instant, sleep_until, timeout, timeout_at};
use tokio_tungstenite::tungstenite::Message;
use xentara_ws::session::{ClientError, Lost, Outcome};
use xentara_ws::{Batch, MessageId};

use super::command::{Answer, Command};
use super::connect::{Connector, Ws};
use super::exchange::{Exchange, Inbox, Reply};
use super::in_flight::{InFlight, Waiting};
use super::reconnect::Backoff;
use super::subscription::Sink;
use super::{PENDING, Session, Status};
use crate::time::after;
use crate::{DataChange, Error, ErrorObject};

/// One request on its way to the driver.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) command: Command,
    /// When it times out.
    pub(crate) deadline: Instant,
    /// Where its result goes; `None`: no one waits for it.
    pub(crate) reply: Option<Reply>,
    /// For a subscribe: where its events go once it succeeds.
    pub(crate) sink: Option<Box<Sink>>,
}

impl Call {
    /// Ends the request with `outcome`.
    pub(crate) fn end(self, outcome: Result<Answer, Error>) {
        Reply::end(self.reply, outcome);
    }
}

/// Why a connection's service ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// Closed by [`Client::close`](super::Client::close), or every handle is gone.
    Closed,
    /// Lost: the server closed it, it was cut, or it stopped answering.
    Lost,
}

/// How the driver's requests go.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Options {
    /// How long a request waits for its answer (those a reconnect sends too), and how
    /// long sending what is queued may take: a server that takes nothing for this long is
    /// taken as gone.
    pub(crate) request_timeout: Duration,
    /// How often to ping the server; `None`: never.
    pub(crate) keep_alive: Option<Duration>,
    /// How to reconnect; `None`: never.
    pub(crate) reconnect: Option<Backoff>,
    /// The most requests one message holds.
    pub(crate) max_batch: usize,
}

/// How long the driver waits at most for the callers a message answered to take their
/// results (and make their next requests) before it reads on.
const SETTLE: Duration = Duration::from_millis(1);

/// The first size of the buffer a batch is written into; it grows to the largest message.
const FIRST_BUFFER: usize = 16 * 1024;

/// The driver's state; [`Driver::run`] is the task.
pub(crate) struct Driver {
    pub(super) ws: Ws,
    pub(super) session: Session,
    /// Where requests come from and results go.
    pub(super) exchange: Arc<Exchange>,
    /// The requests taken from the exchange while there is no connection, before each is
    /// queued or done (kept for its room).
    pub(super) inbox: VecDeque<Call>,
    /// The results of one message from the server, handed to the exchange together.
    done: Vec<(Reply, Result<Answer, Error>)>,
    wakers: Vec<Waker>,
    /// The ids of the message being written.
    ids: Vec<MessageId>,
    pub(super) connector: Arc<Connector>,
    pub(super) options: Options,
    /// What the handles see of the connection.
    status: Arc<Status>,
    /// The session's clock: milliseconds since this instant.
    epoch: Instant,
    /// Requests sent, by message id.
    waiting: InFlight,
    /// The active subscriptions' event streams, by subscription id.
    pub(super) subscriptions: HashMap<xentara_ws::Uuid, Sink>,
    /// The open sub-sessions, by id: how to open each again after a reconnect.
    pub(super) sub_sessions: HashMap<xentara_ws::Uuid, Command>,
    /// Requests not sent yet (the session's pending table was full, or no connection).
    pub(super) queue: VecDeque<Call>,
    buf: Vec<u8>,
    /// The runtime runs one task at a time (current-thread, or one worker).
    one_worker: bool,
}

impl Driver {
    pub(crate) fn new(
        (ws, session): (Ws, Session),
        exchange: Arc<Exchange>,
        connector: Arc<Connector>,
        options: Options,
        status: Arc<Status>,
    ) -> Self {
        let max_message = connector.max_message;
        status.connected(&session);
        Driver {
            ws,
            session,
            exchange,
            inbox: VecDeque::new(),
            done: Vec::new(),
            wakers: Vec::new(),
            ids: Vec::new(),
            connector,
            options,
            status,
            epoch: Instant::now(),
            waiting: InFlight::new(PENDING),
            subscriptions: HashMap::new(),
            sub_sessions: HashMap::new(),
            queue: VecDeque::new(),
            buf: vec![0; FIRST_BUFFER.min(max_message)],
            one_worker: tokio::runtime::Handle::try_current()
                .is_ok_and(|runtime| runtime.metrics().num_workers() == 1),
        }
    }

    /// Serves the connection, and each one made again after a loss, until the client
    /// closes (or the connection is lost and reconnecting is off); then ends every
    /// request left with [`Error::Closed`].
    pub(crate) async fn run(mut self) {
        while self.serve().await == End::Lost {
            self.lose();
            let Some(backoff) = self.options.reconnect else {
                break;
            };
            match self.reconnect(backoff).await {
                Some(link) => self.restore(link),
                None => break,
            }
        }
        self.finish();
    }

    /// A connection is lost: the requests in flight end [`Error::Closed`] (they may or
    /// may not have been done: none is sent again); subscriptions and sub-sessions wait
    /// to be made again.
    fn lose(&mut self) {
        self.status.connected.store(false, Ordering::Relaxed);
        let Driver {
            session, waiting, ..
        } = self;
        for outcome in session.close() {
            if let Outcome::Lost { id, .. } = outcome
                && let Some(waiting) = waiting.remove(id)
            {
                waiting.end(Err(Error::Closed));
            }
        }
        for waiting in self.waiting.drain() {
            waiting.end(Err(Error::Closed));
        }
    }

    /// A new connection after a loss: its session replaces the old one, and the
    /// sub-sessions and subscriptions are made again with their ids, before any request
    /// that waited.
    fn restore(&mut self, (ws, session): (Ws, Session)) {
        self.status.connected(&session);
        self.ws = ws;
        self.session = session;
        let deadline = after(Instant::now(), self.options.request_timeout);
        let call = |command, sink| Call {
            command,
            deadline,
            reply: None,
            sink,
        };
        let mut first: Vec<Call> = self
            .sub_sessions
            .drain()
            .map(|(_, command)| call(command, None))
            .collect();
        for (_, mut sink) in self.subscriptions.drain() {
            if let Some(command) = sink.restore() {
                first.push(call(command, Some(Box::new(sink))));
            }
        }
        for call in first.into_iter().rev() {
            self.queue.push_front(call);
        }
    }

    /// Serves the connection until it ends.
    async fn serve(&mut self) -> End {
        if self.send_queued().await.is_err() {
            return End::Lost;
        }
        // One timer for the deadlines, moved only when an earlier one comes (a request
        // answered leaves it early: it then finds nothing to end and is set again).
        let mut timer = pin!(sleep_until(Instant::now()));
        let mut armed: Option<Instant> = None;
        let every = self.options.keep_alive;
        let mut ping = pin!(sleep_until(after(
            Instant::now(),
            every.unwrap_or_default()
        )));
        // Periods of keep-alive without a frame from the server.
        let mut silent = 0u32;
        loop {
            if let Some(wake) = self.next_wake()
                && armed.is_none_or(|at| wake < at)
            {
                timer.as_mut().reset(wake);
                armed = Some(wake);
            }
            tokio::select! {
                inbox = poll_fn(|cx| self.exchange.poll_take(cx, &mut self.queue)) => match inbox {
                    Inbox::Calls => {
                        // Let the tasks woken in this tick add theirs: one message for all.
                        after_woken_tasks().await;
                        let close = self.exchange.take(&mut self.queue);
                        if self.send_queued().await.is_err() {
                            return End::Lost;
                        }
                        if close {
                            return self.close().await;
                        }
                    }
                    Inbox::Close => return self.close().await,
                },
                frame = self.ws.next() => match frame {
                    Some(Ok(Message::Binary(message))) => {
                        silent = 0;
                        let answered = self.receive(&message);
                        if self.one_worker && answered >= self.options.max_batch / 2 {
                            // The callers a large message answered make their next requests
                            // before the next message is read, and these leave together
                            // while the server works on what it has: the pipeline stays
                            // full. Small messages are not waited for, so that what was
                            // sent in pieces is joined again. (With more workers the callers
                            // run beside the driver.)
                            let settled = poll_fn(|cx| self.exchange.poll_settled(cx));
                            let _ = timeout(SETTLE, settled).await;
                            if self.exchange.take(&mut self.queue) {
                                return self.close().await;
                            }
                        }
                        if self.send_queued().await.is_err() {
                            return End::Lost;
                        }
                    }
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                        tracing::debug!("the server closed the connection");
                        return End::Lost;
                    }
                    // Pongs, pings (answered by tungstenite).
                    Some(Ok(_)) => silent = 0,
                },
                () = &mut timer, if armed.is_some() => {
                    armed = None;
                    self.expire();
                    // Requests that timed out made room for those queued behind them.
                    if self.send_queued().await.is_err() {
                        return End::Lost;
                    }
                }
                () = &mut ping, if every.is_some() => {
                    let every = every.unwrap_or_default();
                    // Nothing heard for two periods, a ping unanswered: it is dead.
                    silent += 1;
                    if silent > 2 {
                        tracing::warn!("no answer to a keep-alive ping: connection given up");
                        return End::Lost;
                    }
                    let sent = self.ws.send(Message::Ping(Default::default()));
                    let sent = timeout(self.options.request_timeout, sent).await;
                    if !matches!(sent, Ok(Ok(()))) {
                        return End::Lost;
                    }
                    ping.as_mut().reset(after(Instant::now(), every));
                }
            }
        }
    }

    /// The closing handshake, waiting a second at most for the server's close.
    async fn close(&mut self) -> End {
        let ws = &mut self.ws;
        let _ = timeout(Duration::from_secs(1), async {
            let _ = ws.close(None).await;
            while let Some(Ok(_)) = ws.next().await {}
        })
        .await;
        End::Closed
    }

    /// Every request left ends [`Error::Closed`], and so does every later one.
    fn finish(&mut self) {
        self.lose();
        // The event streams end.
        self.subscriptions.clear();
        let left = self.exchange.end();
        for call in self.queue.drain(..).chain(left) {
            call.end(Err(Error::Closed));
        }
    }

    /// A time on the session's clock, rounded up (a deadline never comes early).
    fn ms(epoch: Instant, at: Instant) -> u64 {
        let d = at.saturating_duration_since(epoch);
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        if d.subsec_nanos().is_multiple_of(1_000_000) {
            ms
        } else {
            ms.saturating_add(1)
        }
    }

    /// The earliest deadline: the session's, or that of a request not sent yet.
    fn next_wake(&self) -> Option<Instant> {
        let session = self
            .session
            .poll_timeout()
            .map(|ms| after(self.epoch, Duration::from_millis(ms)));
        let queued = self.queue.iter().map(|c| c.deadline).min();
        session.into_iter().chain(queued).min()
    }

    /// Ends the requests whose deadline passed with [`Error::Timeout`].
    fn expire(&mut self) {
        let now = Instant::now();
        let now_ms = u64::try_from(now.saturating_duration_since(self.epoch).as_millis())
            .unwrap_or(u64::MAX);
        let Driver {
            session, waiting, ..
        } = self;
        for outcome in session.handle_timeout(now_ms) {
            if let Outcome::Lost { id, cause, .. } = outcome
                && let Some(waiting) = waiting.remove(id)
            {
                waiting.end(Err(lost(cause)));
            }
        }
        self.expire_queue(now);
    }

    pub(super) fn expire_queue(&mut self, now: Instant) {
        if self.queue.iter().all(|call| call.deadline > now) {
            return;
        }
        let mut kept = VecDeque::with_capacity(self.queue.len());
        for call in self.queue.drain(..) {
            if call.deadline <= now {
                call.end(Err(Error::Timeout));
            } else {
                kept.push_back(call);
            }
        }
        self.queue = kept;
    }

    /// Sends what is queued, in as few messages as the session and the buffer allow,
    /// within one request timeout: while it sends, no request is timed out, so a server
    /// that takes them slower than that is taken as gone. An error means the connection
    /// is gone.
    async fn send_queued(&mut self) -> Result<(), Error> {
        if self.queue.is_empty() {
            return Ok(());
        }
        let now = Instant::now();
        self.expire_queue(now);
        let deadline = after(now, self.options.request_timeout);
        while let Some(message) = self.write_batch() {
            let send = self.ws.send(Message::binary(message));
            match timeout_at(deadline, send).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return Err(Error::Closed),
                Err(_) => {
                    tracing::warn!("the server takes nothing: the connection is given up");
                    return Err(Error::Closed);
                }
            }
        }
        Ok(())
    }

    /// Writes the queued requests into one message, as many as fit; `None` when none can
    /// go now (none queued, or the session's pending table is full). The requests stay
    /// queued until their message is finished, then move to `waiting` once.
    fn write_batch(&mut self) -> Option<Vec<u8>> {
        loop {
            if self.queue.is_empty() {
                return None;
            }
            let (epoch, max_batch) = (self.epoch, self.options.max_batch);
            let ids = &mut self.ids;
            ids.clear();
            let mut too_large = false;
            let mut batch = self.session.start_batch(&mut self.buf);
            while ids.len() < max_batch
                && let Some(call) = self.queue.get(ids.len())
            {
                batch.set_deadline(Some(Self::ms(epoch, call.deadline)));
                let refused = match call.command.with_core(|command| batch.request(command)) {
                    Ok(Ok(id)) => {
                        ids.push(id);
                        continue;
                    }
                    Ok(Err(ClientError::PendingFull { .. })) => break,
                    Ok(Err(ClientError::Encode(_))) => {
                        too_large = ids.is_empty();
                        break;
                    }
                    Ok(Err(ClientError::Closed | ClientError::HelloRefused(_))) => Error::Closed,
                    Ok(Err(e)) => Error::Encode(e.to_string()),
                    Err(e) => Error::Encode(e.to_string()),
                };
                if let Some(call) = self.queue.remove(ids.len()) {
                    call.end(Err(refused));
                }
            }
            if !ids.is_empty() {
                match batch.finish() {
                    Ok(message) => {
                        let message = message.to_vec();
                        for (&id, call) in ids.iter().zip(self.queue.drain(..ids.len())) {
                            let mut sub_session = None;
                            match &call.command {
                                // No more events for it, whatever the answer.
                                Command::Unsubscribe(subscription) => {
                                    self.subscriptions.remove(subscription);
                                }
                                Command::CloseSubSession(id) => {
                                    self.sub_sessions.remove(id);
                                }
                                Command::CreateSubSession { .. } => {
                                    sub_session = Some(Box::new(call.command));
                                }
                                _ => {}
                            }
                            let waiting = Waiting {
                                reply: call.reply,
                                sink: call.sink,
                                sub_session,
                            };
                            self.waiting.insert(id, waiting);
                        }
                        return Some(message);
                    }
                    // Taken back by the session (the requests are still queued): try
                    // again with more room.
                    Err(_) => too_large = true,
                }
            } else {
                drop(batch);
            }
            if !too_large {
                return None;
            }
            let max_message = self.connector.max_message;
            if self.buf.len() >= max_message {
                if let Some(call) = self.queue.pop_front() {
                    let text = format!("larger than the largest message ({max_message} bytes)");
                    call.end(Err(Error::Encode(text)));
                }
            } else {
                let len = (self.buf.len() * 2).min(max_message);
                self.buf.resize(len, 0);
            }
        }
    }

    /// Takes a message from the server: each answer goes to its request. Returns how many
    /// callers it answered.
    fn receive(&mut self, message: &[u8]) -> usize {
        let batch = match Batch::new(message) {
            Ok(batch) => batch,
            Err(e) => {
                tracing::warn!("a message from the server is not a batch: {e}");
                return 0;
            }
        };
        let Driver {
            session,
            waiting,
            subscriptions,
            sub_sessions,
            done,
            options,
            ..
        } = self;
        for outcome in session.handle_message(&batch) {
            // What undoes a success if its caller has given it up.
            let mut undo = None;
            let (id, result) = match outcome {
                Outcome::Success {
                    id,
                    response: xentara_ws::Response::Subscribe(Some(subscription)),
                } => {
                    // Registered here, before the next packet: its first event may follow.
                    if let Some(mut sink) = waiting.get_mut(id).and_then(|w| w.sink.take()) {
                        sink.subscribed(subscription);
                        subscriptions.insert(subscription, *sink);
                    }
                    undo = Some(Command::Unsubscribe(subscription));
                    (id, Ok(Answer::Subscribe(Some(subscription))))
                }
                Outcome::Success {
                    id,
                    response: xentara_ws::Response::CreateSubSession(sub_session),
                } => {
                    let command = waiting.get_mut(id).and_then(|w| w.sub_session.take());
                    if let Some(Command::CreateSubSession { credentials, .. }) = command.map(|c| *c)
                    {
                        let desired = Some(sub_session);
                        let again = Command::CreateSubSession {
                            credentials,
                            desired,
                        };
                        sub_sessions.insert(sub_session, again);
                    }
                    undo = Some(Command::CloseSubSession(sub_session));
                    (id, Ok(Answer::Uuid(sub_session)))
                }
                Outcome::Success { id, response } => {
                    (id, Answer::try_from(&response).map_err(Error::Decode))
                }
                Outcome::Error { id, error, .. } => (id, Err(ErrorObject::from(error).into())),
                Outcome::Invalid(e) => match e.id() {
                    Some(id) => (id, Err(Error::Decode(e))),
                    None => {
                        tracing::warn!("a packet from the server does not decode: {e}");
                        continue;
                    }
                },
                Outcome::Lost { id, cause, .. } => (id, Err(lost(cause))),
                Outcome::Event(change) => {
                    match DataChange::try_from(&change) {
                        Ok(change) => subscriptions.retain(|_, sink| sink.offer(&change)),
                        Err(e) => tracing::warn!("an event from the server does not decode: {e}"),
                    }
                    continue;
                }
                Outcome::Unexpected { id, reason } => {
                    tracing::debug!("unexpected packet {id} from the server: {reason}");
                    continue;
                }
            };
            if let Some(Waiting {
                reply: Some(mut reply),
                ..
            }) = waiting.remove(id)
            {
                if let Some(command) = undo {
                    reply.undo_with(Call {
                        command,
                        deadline: after(Instant::now(), options.request_timeout),
                        reply: None,
                        sink: None,
                    });
                }
                done.push((reply, result));
            }
        }
        let answered = self.done.len();
        self.exchange.deliver(&mut self.done, &mut self.wakers);
        answered
    }
}

impl Drop for Driver {
    /// A driver dropped without finishing (its runtime shut down): no request waits for it.
    fn drop(&mut self) {
        drop(self.exchange.end());
    }
}

impl Status {
    /// A connection with `session`, its hello answered.
    fn connected(&self, session: &Session) {
        let version = session.version().unwrap_or(0);
        self.version.store(version, Ordering::Relaxed);
        self.connected.store(true, Ordering::Relaxed);
    }
}

/// Returns once every task woken before it has run: the driver wakes itself, so it goes
/// to the back of the run queue. (`tokio::task::yield_now` also waits for the runtime to
/// poll for I/O first: a system call more for each message.)
async fn after_woken_tasks() {
    let mut queued = false;
    poll_fn(|cx| {
        if queued {
            return Poll::Ready(());
        }
        queued = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await;
}

fn lost(cause: Lost) -> Error {
    match cause {
        Lost::TimedOut => Error::Timeout,
        Lost::Closed => Error::Closed,
    }
}
