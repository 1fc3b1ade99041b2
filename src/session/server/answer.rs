//! The answer step: what every answer goes through, the machine's own and the
//! application's, now or later. It checks the answer against the request, settles a
//! subscribe's entry and encodes the response packet into its place.

use core::fmt;

use super::reply::{Answer, Place, ReplyMut, TEXT};
use super::subscriptions::Subs;
use crate::error::{DecodeError, ErrorCode};
use crate::model::{ErrorObject, Text as Message};
use crate::op::Response;
use crate::packet::{ErrorResponse, Success};
use crate::session::shared::Text;

/// Answers the request in `place` with a success item or an error object. A success item
/// of another opcode than the request's is replaced by -32603. Non-generic: one copy
/// serves every session type.
pub(super) fn answer(
    reply: &mut ReplyMut<'_>,
    place: Place,
    result: Result<Response<'_>, ErrorObject<'_>>,
) {
    let text = match (&result, place.waiting.opcode) {
        (Ok(response), Some(expected)) if response.opcode() != expected => {
            Some(Text::<TEXT>::format(format_args!(
                "the server answered {expected} with a {} item",
                response.opcode()
            )))
        }
        _ => None,
    };
    let result = match &text {
        Some(text) => Err(error_text(ErrorCode::InternalError, text.as_str())),
        None => result,
    };
    let id = place.waiting.id;
    match result {
        Ok(response) => reply.write(place.index, Answer::Success(&Success::new(id, response))),
        Err(error) => reply.write(place.index, Answer::Error(&ErrorResponse { id, error })),
    }
}

/// Answers the subscribe in `place`: `Ok` with what the application keeps for the
/// subscription (the entry becomes active and the success item is its id, spec notes
/// D10), or an error (the entry goes).
pub(super) fn answer_subscribe<W>(
    reply: &mut ReplyMut<'_>,
    subs: &mut Subs<'_, W>,
    place: Place,
    result: Result<W, ErrorObject<'_>>,
) {
    let Some(id) = place.waiting.subscription else {
        return answer(
            reply,
            place,
            Err(ErrorObject::new(ErrorCode::InternalError)),
        );
    };
    let (data, error) = match result {
        Ok(data) => (Some(data), None),
        Err(error) => (None, Some(error)),
    };
    let result = match (subs.settle(id, place.slot, data), error) {
        (_, Some(error)) => Err(error),
        (true, None) => Ok(Response::Subscribe(Some(id))),
        (false, None) => Err(error_text(
            ErrorCode::InternalError,
            "too many subscriptions",
        )),
    };
    answer(reply, place, result)
}

/// An error object with `message`.
pub(super) fn error_text(code: ErrorCode, message: &str) -> ErrorObject<'_> {
    ErrorObject {
        code,
        message: Some(Message::new(message)),
    }
}

/// An error's message, formatted and cut to what the machine writes.
pub(super) fn format(message: fmt::Arguments<'_>) -> Text<TEXT> {
    Text::format(message)
}

/// The text of a decode error, for answering a sequence element that did not decode.
pub(super) fn decode_error_text(error: &DecodeError) -> Text<TEXT> {
    format(format_args!("{error}"))
}
