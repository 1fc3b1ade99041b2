//! One connection's task: it owns the WebSocket, the [`ServerSession`] and the
//! application instance; it hands each binary message to the session and sends the
//! replies, and sleeps until the session's timer, a change, an answer given later, a
//! message or the shutdown. It reads the change feed only while it has subscriptions (a
//! connection without any sleeps through the changes). While every reply message waits
//! for answers given later, it holds the message it could not hand in and reads no more
//! (backpressure).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{broadcast, watch};
use tokio::time::{Instant, sleep_until, timeout};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Bytes;
use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};
use xentara_ws::EncodeError;
use xentara_ws::session::{Answer, ServerConfig, ServerError, ServerSession};

use super::answers::AnswersRx;
use super::feed::Change;
use super::storage::Storage;
use super::{Limits, Service};
use crate::Io;
use crate::time::after;

/// The first size of a connection's output buffer (it grows when a message needs more).
const OUT: usize = 4096;

/// What a connection's task gets besides its stream and application.
pub(crate) struct Context {
    pub(crate) limits: Limits,
    pub(crate) config: ServerConfig,
    /// The server's clock: the session's milliseconds count from here.
    pub(crate) epoch: Instant,
    pub(crate) changes: broadcast::Receiver<Change>,
    pub(crate) shutdown: watch::Receiver<bool>,
}

/// How a connection ended, for the log.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// The client closed it, or went away.
    Client,
    /// Silent for [`Limits::idle`].
    Idle,
    /// Closed by the server with this code.
    Closed(CloseCode),
    /// The stream failed.
    Failed(String),
}

type Session<'a, A> = ServerSession<'a, A>;

/// Serves one connection until it ends.
pub(crate) async fn serve<A: Service, S: Io>(
    mut ws: WebSocketStream<S>,
    mut app: A,
    mut answers: AnswersRx,
    mut cx: Context,
) -> End {
    let mut storage = Storage::<A>::new(&cx.limits);
    let mut session = ServerSession::new(cx.config, storage.get());
    let mut out = vec![0u8; OUT];
    let mut last_heard = Instant::now();
    let mut feed_open = true;
    // Whether the feed is read: only while there are subscriptions.
    let mut listening = false;
    // When the next changes the application knows were last noted.
    let mut noted = None;
    let mut answers_open = true;
    // A message the session could not take yet (every reply message waits for answers).
    let mut held: Option<Bytes> = None;
    let limits = cx.limits;
    let now_ms = |epoch: Instant| {
        u64::try_from(Instant::now().saturating_duration_since(epoch).as_millis())
            .unwrap_or(u64::MAX)
    };
    loop {
        let timer = session
            .poll_timeout()
            .map(|ms| after(cx.epoch, Duration::from_millis(ms)));
        let idle = after(last_heard, limits.idle);
        let wake = timer.map_or(idle, |t| t.min(idle));
        tokio::select! {
            biased;
            () = stopped(&mut cx.shutdown) => {
                return close(&mut ws, CloseCode::Away, "the server is shutting down").await;
            }
            answer = answers.recv(), if answers_open => match answer {
                Some((ticket, deferred)) => {
                    let answered = deferred
                        .with_core(|result| session.answer(ticket, result.map(Answer::Response)));
                    if let Err(e) = answered {
                        tracing::debug!("an answer given later was dropped: {e}");
                    }
                    let sent = async {
                        transmit(&mut ws, &mut session, &mut out).await?;
                        if let Some(message) = held.take()
                            && !take(&mut ws, &mut session, &mut app, &message, &mut out).await?
                        {
                            held = Some(message);
                        }
                        ws.flush().await.map_err(failed)
                    };
                    match timeout(limits.send, sent).await {
                        Ok(Ok(())) => {}
                        Ok(Err(end)) => return end,
                        Err(_) => return stalled(&mut ws).await,
                    }
                }
                None => {
                    answers_open = false;
                    if held.is_some() {
                        // Nothing can answer what the held message waits for.
                        return close(&mut ws, CloseCode::Error, "requests left unanswered").await;
                    }
                }
            },
            message = ws.next(), if held.is_none() => match message {
                Some(Ok(Message::Binary(message))) => {
                    last_heard = Instant::now();
                    let taken = take(&mut ws, &mut session, &mut app, &message, &mut out);
                    match timeout(limits.send, taken).await {
                        Ok(Ok(true)) => {}
                        Ok(Ok(false)) if answers_open => held = Some(message),
                        Ok(Ok(false)) => {
                            let why = "requests left unanswered";
                            return close(&mut ws, CloseCode::Error, why).await;
                        }
                        Ok(Err(end)) => return end,
                        Err(_) => return stalled(&mut ws).await,
                    }
                }
                Some(Ok(Message::Close(_))) => {
                    let _ = timeout(Duration::from_secs(1), ws.flush()).await;
                    return End::Client;
                }
                None => return End::Client,
                // The API is binary CBOR: a text message is refused.
                Some(Ok(Message::Text(_))) => {
                    return close(&mut ws, CloseCode::Unsupported, "binary messages only").await;
                }
                // A text message that is not even UTF-8 (RFC 6455 8.1).
                Some(Err(tungstenite::Error::Utf8(_))) => {
                    return close(&mut ws, CloseCode::Invalid, "text that is not UTF-8").await;
                }
                // Pings (answered by tungstenite), pongs.
                Some(Ok(_)) => last_heard = Instant::now(),
                Some(Err(tungstenite::Error::Capacity(CapacityError::MessageTooLong { .. }))) => {
                    return close(&mut ws, CloseCode::Size, "message too big").await;
                }
                Some(Err(
                    tungstenite::Error::ConnectionClosed
                    | tungstenite::Error::Protocol(ProtocolError::ResetWithoutClosingHandshake),
                )) => return End::Client,
                // Bytes that are not WebSocket frames (RFC 6455 7.4.1).
                Some(Err(tungstenite::Error::Protocol(_))) => {
                    return close(&mut ws, CloseCode::Protocol, "not a WebSocket frame").await;
                }
                Some(Err(e)) => return End::Failed(e.to_string()),
            },
            change = cx.changes.recv(), if feed_open && listening => match change {
                Ok(change) => note(&mut session, &app, change),
                // Fell behind: anything may have changed.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    note(&mut session, &app, Change::All(now_ms(cx.epoch)));
                }
                Err(broadcast::error::RecvError::Closed) => feed_open = false,
            },
            () = sleep_until(wake) => {
                if Instant::now() >= idle {
                    let _ = close(&mut ws, CloseCode::Normal, "idle").await;
                    return End::Idle;
                }
            }
        }
        let subscribed = session.subscriptions().next().is_some();
        if subscribed && !listening {
            // What changed before is in the first events, which are sent now.
            cx.changes = cx.changes.resubscribe();
        }
        listening = subscribed;
        let now = now_ms(cx.epoch);
        let sent = send_events(&mut ws, &mut session, &mut app, &mut out, now, &limits);
        match timeout(limits.send, sent).await {
            Ok(Ok(())) => {}
            Ok(Err(end)) => return end,
            Err(_) => return stalled(&mut ws).await,
        }
        note_next(&mut session, &app, cx.epoch, noted);
        noted = Some(now);
    }
}

/// Completes once the server stops (at once when it has already).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// Marks the subscriptions a change concerns.
fn note<A: Service>(session: &mut Session<'_, A>, app: &A, change: Change) {
    for mut subscription in session.subscriptions_mut() {
        match change {
            Change::All(at) => subscription.changed_at(at),
            Change::Element(element, at) => {
                if app.covers(subscription.data(), &element) {
                    subscription.changed_at(at);
                }
            }
        }
    }
}

/// Marks the subscriptions whose next change the application knows
/// ([`Service::next_change`]) as changing then. A time no later than `noted` (when this
/// last ran) was noted then: a time the application keeps giving after it has passed
/// (its sampling late) is not noted again on every turn of the loop.
fn note_next<A: Service>(
    session: &mut Session<'_, A>,
    app: &A,
    epoch: Instant,
    noted: Option<u64>,
) {
    for mut subscription in session.subscriptions_mut() {
        if let Some(at) = app.next_change(subscription.data()) {
            let at = Instant::from_std(at).saturating_duration_since(epoch);
            let at = u64::try_from(at.as_millis()).unwrap_or(u64::MAX);
            if noted.is_none_or(|noted| at > noted) {
                subscription.changed_at(at);
            }
        }
    }
}

/// Hands a message to the session and sends its replies: `false` when the session
/// cannot take it before answers given later come (every reply message waits for some).
async fn take<A: Service, S: Io>(
    ws: &mut WebSocketStream<S>,
    session: &mut Session<'_, A>,
    app: &mut A,
    message: &[u8],
    out: &mut Vec<u8>,
) -> Result<bool, End> {
    let mut taken = session.handle_message(message, app);
    if let Err(ServerError::Busy { .. }) = taken {
        // Sending frees the reply messages whose requests are all answered.
        transmit(ws, session, out).await?;
        taken = session.handle_message(message, app);
    }
    match taken {
        Ok(_) => {}
        Err(ServerError::Busy { .. }) => {
            ws.flush().await.map_err(failed)?;
            return Ok(false);
        }
        // More packets than one reply can answer even with errors: refused whole (1009).
        Err(ServerError::MessageTooLarge { .. }) => {
            return Err(close(ws, CloseCode::Size, "too many packets in one message").await);
        }
        Err(e) => {
            tracing::warn!("message not taken: {e}");
            return Err(close(ws, CloseCode::Error, "the server cannot take the message").await);
        }
    }
    transmit(ws, session, out).await?;
    ws.flush().await.map_err(failed)?;
    Ok(true)
}

/// Queues every reply message that is due (growing `out` when one needs more room).
async fn transmit<A: Service, S: Io>(
    ws: &mut WebSocketStream<S>,
    session: &mut Session<'_, A>,
    out: &mut Vec<u8>,
) -> Result<(), End> {
    loop {
        match session.poll_transmit(out) {
            Ok(Some(n)) => ws
                .feed(Message::binary(out[..n].to_vec()))
                .await
                .map_err(failed)?,
            Ok(None) => return Ok(()),
            Err(ServerError::Encode(EncodeError::BufferTooSmall { required })) => {
                out.resize(required, 0);
            }
            Err(e) => return Err(End::Failed(e.to_string())),
        }
    }
}

/// Sends the events that are due at `now`, then flushes. A subscription's events larger
/// than `out` alone are dropped by the session; `out` then grows (up to the largest
/// message) and the subscription is asked again, so that they go out after all.
async fn send_events<A: Service, S: Io>(
    ws: &mut WebSocketStream<S>,
    session: &mut Session<'_, A>,
    app: &mut A,
    out: &mut Vec<u8>,
    now: u64,
    limits: &Limits,
) -> Result<(), End> {
    let mut sent = false;
    loop {
        match session.poll_events(now, out, |due, data, events| app.events(due, data, events)) {
            Ok(Some(n)) => {
                ws.feed(Message::binary(out[..n].to_vec()))
                    .await
                    .map_err(failed)?;
                sent = true;
            }
            Ok(None) => break,
            Err(
                e @ ServerError::EventsTooLarge {
                    subscription,
                    required,
                },
            ) => {
                let len = required.max(out.len() * 2).min(limits.max_message);
                if len > out.len() {
                    out.resize(len, 0);
                    let mut subscriptions = session.subscriptions_mut();
                    if let Some(mut again) = subscriptions.find(|s| s.id() == subscription) {
                        again.changed_at(now);
                    }
                } else {
                    tracing::warn!("events not sent: {e}");
                }
            }
            Err(e) => tracing::warn!("events not sent: {e}"),
        }
    }
    if sent {
        ws.flush().await.map_err(failed)?;
    }
    Ok(())
}

fn failed(e: tungstenite::Error) -> End {
    match e {
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => End::Client,
        e => End::Failed(e.to_string()),
    }
}

/// A client that takes nothing for [`Limits::send`]: closed with 1008, tried for a second
/// (a client that reads nothing will not see it).
async fn stalled<S: Io>(ws: &mut WebSocketStream<S>) -> End {
    let frame = CloseFrame {
        code: CloseCode::Policy,
        reason: "not reading".into(),
    };
    let _ = timeout(Duration::from_secs(1), ws.close(Some(frame))).await;
    End::Closed(CloseCode::Policy)
}

/// Closes the connection with `code` and `reason`, waiting a second at most for the
/// client's close.
async fn close<S: Io>(ws: &mut WebSocketStream<S>, code: CloseCode, reason: &'static str) -> End {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = timeout(Duration::from_secs(1), async {
        let _ = ws.close(Some(frame)).await;
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
    End::Closed(code)
}
