//! The answer step: what every answer goes through, the machine's own and the
//! application's, now or later. It checks the answer against the request, settles a
//! subscribe's entry and encodes the response packet into its place.

use super::reply::{Out, Place, ReplyMut, TEXT};
use super::subscriptions::Subs;
use crate::error::text::TextSink;
use crate::error::{DecodeError, ErrorCode};
use crate::model::{ErrorObject, Text};
use crate::op::{Opcode, Response};
use crate::packet::{ErrorResponse, Success};
use crate::session::shared::Text as TextBuf;

/// A success answer to a request: its response item, or for a subscribe what the
/// application keeps for the new subscription (the success item is then the
/// subscription's id, spec notes D10).
#[derive(Debug, Clone, PartialEq)]
pub enum Answer<'a, W> {
    /// The response item, of the request's opcode.
    Response(Response<'a>),
    /// A subscribe accepted: what to keep for the subscription
    /// ([`Application::Subscription`](super::Application::Subscription)).
    Subscribed(W),
}

impl<'a, W> From<Response<'a>> for Answer<'a, W> {
    fn from(response: Response<'a>) -> Self {
        Answer::Response(response)
    }
}

/// Answers the request in `place`. An answer of the wrong kind for the request (an item
/// of another opcode, a subscription for what is not a subscribe, an item for a subscribe)
/// is replaced by -32603; a subscribe's entry is settled by its answer.
pub(super) fn answer<W>(
    reply: &mut ReplyMut<'_>,
    subs: &mut Subs<'_, W>,
    place: Place,
    result: Result<Answer<'_, W>, ErrorObject<'_>>,
) {
    let text;
    let expected = place.waiting.opcode;
    let result = match (result, expected) {
        (Ok(Answer::Subscribed(data)), Some(Opcode::Subscribe)) => {
            match subs.settle(place.ticket, Some(data)) {
                Some(id) => Ok(Response::Subscribe(Some(id))),
                None => Err(error_text(ErrorCode::InternalError, "unknown subscription")),
            }
        }
        (result, Some(Opcode::Subscribe)) => {
            // Nothing to keep for it: the entry goes.
            let _ = subs.settle(place.ticket, None);
            match result {
                Err(error) => Err(error),
                Ok(_) => Err(error_text(
                    ErrorCode::InternalError,
                    "the server answered subscribe without accepting it",
                )),
            }
        }
        (Ok(Answer::Response(response)), Some(expected)) if response.opcode() != expected => {
            text = format(|text| {
                text.str("the server answered ")
                    .str(expected.name())
                    .str(" with a ")
                    .str(response.opcode().name())
                    .str(" item");
            });
            Err(error_text(ErrorCode::InternalError, text.as_str()))
        }
        (Ok(Answer::Response(response)), _) => Ok(response),
        (Ok(Answer::Subscribed(_)), _) => Err(error_text(
            ErrorCode::InternalError,
            "the server accepted a subscription for what is not a subscribe",
        )),
        (Err(error), _) => Err(error),
    };
    write(reply, place, result);
}

/// Encodes the response to the request in `place`, as it is. Non-generic: one copy serves
/// every session type.
pub(super) fn write(
    reply: &mut ReplyMut<'_>,
    place: Place,
    result: Result<Response<'_>, ErrorObject<'_>>,
) {
    let id = place.waiting.id;
    match result {
        Ok(response) => reply.write(place.index, Out::Success(&Success::new(id, response))),
        Err(error) => reply.write(place.index, Out::Error(&ErrorResponse { id, error })),
    }
}

/// An error object with `message`.
pub(super) fn error_text(code: ErrorCode, message: &str) -> ErrorObject<'_> {
    ErrorObject {
        code,
        message: Some(Text::new(message)),
    }
}

/// An error's message, cut to what the machine writes: `write` puts its pieces in.
pub(super) fn format(write: impl FnOnce(&mut TextBuf<TEXT>)) -> TextBuf<TEXT> {
    let mut text = TextBuf::new();
    write(&mut text);
    text
}

/// The text of a decode error (its `Display`), for answering a sequence element that did
/// not decode.
pub(super) fn decode_error_text(error: &DecodeError) -> TextBuf<TEXT> {
    format(|text| error.write_text(text))
}
