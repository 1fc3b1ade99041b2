//! A connection's session storage on the heap, sized by [`Limits`] at run time.

use xentara_ws::session::{
    Application, ReplyMessage, ReplySlot, ReplyStorage, ServerStorage, SubSessionSlot,
    SubscriptionSlot,
};

use super::Limits;

/// The buffers a [`ServerSession`](xentara_ws::session::ServerSession) works in.
pub(crate) struct Storage<A: Application> {
    messages: Vec<ReplyMessage>,
    slots: Vec<ReplySlot>,
    bytes: Vec<u8>,
    sub_sessions: Vec<SubSessionSlot<A::Identity>>,
    subscriptions: Vec<SubscriptionSlot<A::Subscription>>,
}

impl<A: Application> Storage<A> {
    pub(crate) fn new(limits: &Limits) -> Self {
        let messages = limits.reply_messages.max(1);
        Storage {
            messages: vec![ReplyMessage::EMPTY; messages],
            slots: vec![ReplySlot::EMPTY; messages * limits.requests_per_message.max(1)],
            bytes: vec![0; messages * limits.reply_bytes.max(64)],
            sub_sessions: (0..limits.sub_sessions)
                .map(|_| SubSessionSlot::EMPTY)
                .collect(),
            subscriptions: (0..limits.subscriptions)
                .map(|_| SubscriptionSlot::EMPTY)
                .collect(),
        }
    }

    pub(crate) fn get(&mut self) -> ServerStorage<'_, A> {
        ServerStorage::new(
            ReplyStorage::new(&mut self.messages, &mut self.slots, &mut self.bytes),
            &mut self.sub_sessions,
            &mut self.subscriptions,
        )
    }
}
