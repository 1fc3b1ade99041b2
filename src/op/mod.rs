//! Operations: the opcode table, each opcode's typed parameters ([`params`]) and typed
//! response item ([`items`]).
//!
//! One table, `operations!`, drives everything per opcode: [`Opcode`], [`Command`] (a
//! request's typed parameters) and [`Response`] (a success packet's typed item). Adding an
//! opcode is one line there plus its parameter struct.

use core::fmt;

use crate::cbor::{Reader, Writer};
use crate::error::{DecodeError, DecodeErrorKind};
use crate::model::enums::{ServerInfo, Stage};
use crate::model::{AttrResult, AttributeId, Seq, Uuid, Value};

pub mod items;
pub mod params;

use items::{BrowseEntry, Item, MetaDataItem, ServerHello};
use params::*;

/// The opcode table (spec section 6): opcode, variant, spec name, parameter type, item type.
macro_rules! operations {
    ($( $(#[$doc:meta])* $code:literal $variant:ident $name:literal ($params:ty) -> ($item:ty); )*) => {
        /// An opcode (spec section 6). Numbers above 14 are not defined.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        #[repr(u8)]
        pub enum Opcode {
            $( $(#[$doc])* $variant = $code, )*
        }

        impl Opcode {
            /// Every opcode, in order.
            pub const ALL: &'static [Opcode] = &[$(Opcode::$variant),*];

            /// The opcode for a number, if it is one.
            pub const fn from_u64(n: u64) -> Option<Self> {
                match n {
                    $( $code => Some(Opcode::$variant), )*
                    _ => None,
                }
            }

            /// The spec's name, e.g. `"close_sub_session"`.
            pub const fn name(self) -> &'static str {
                match self {
                    $( Opcode::$variant => $name, )*
                }
            }
        }

        /// A request's command: its opcode and typed parameters.
        #[derive(Debug, Clone, PartialEq)]
        #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        pub enum Command<'b> {
            $( $(#[$doc])* $variant($params), )*
        }

        impl<'b> Command<'b> {
            /// The command's opcode.
            pub const fn opcode(&self) -> Opcode {
                match self {
                    $( Command::$variant(_) => Opcode::$variant, )*
                }
            }

            /// Reads the parameters of `opcode` into `self` from the packet's 4th element
            /// (`present` false when absent); `at` is where that element is or would be.
            /// The parameters are built in place, not copied there.
            #[inline(never)]
            pub(crate) fn read_into(
                &mut self,
                opcode: Opcode,
                r: &mut Reader<'b>,
                present: bool,
                at: usize,
            ) {
                match opcode {
                    $( Opcode::$variant => {
                        *self = Command::$variant(<$params as Params<'b>>::EMPTY_PARAMS);
                        if let Command::$variant(p) = self {
                            p.read_params(r, present, at);
                        }
                    } )*
                }
            }

            /// True when the request packet carries a parameter element.
            pub fn has_params(&self) -> bool {
                match self {
                    $( Command::$variant(p) => p.has_params(), )*
                }
            }

            /// Reads every lazily read part of the parameters (each sequence's elements)
            /// and returns the first error: for a caller that wants to refuse a request
            /// before acting on any of it. (See [what is read when](crate#what-is-read-when).)
            pub fn check(&self) -> Result<(), DecodeError> {
                match self {
                    $( Command::$variant(p) => p.check_params(), )*
                }
            }

            /// Writes the parameter element (nothing for get_stage).
            #[inline(never)]
            pub(crate) fn write_params(&self, w: &mut Writer<'_>) {
                match self {
                    $( Command::$variant(p) => p.write_params(w), )*
                }
            }
        }

        $( impl<'b> From<$params> for Command<'b> {
            fn from(p: $params) -> Self {
                Command::$variant(p)
            }
        } )*

        /// A success packet's item, typed by the opcode of the request it answers.
        #[derive(Debug, Clone, PartialEq)]
        #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
        pub enum Response<'b> {
            $( $(#[$doc])* $variant($item), )*
        }

        impl<'b> Response<'b> {
            /// The opcode this response answers.
            pub const fn opcode(&self) -> Opcode {
                match self {
                    $( Response::$variant(_) => Opcode::$variant, )*
                }
            }

            /// Reads an item (`present` false when absent) as the response to `opcode`
            /// into `self`; `at` is where the item is or would be, for errors.
            #[inline(never)]
            pub(crate) fn read_into(
                &mut self,
                opcode: Opcode,
                r: &mut Reader<'b>,
                present: bool,
                at: usize,
            ) {
                match opcode {
                    $( Opcode::$variant => {
                        *self = Response::$variant(<$item as Item<'b>>::EMPTY_ITEM);
                        if let Response::$variant(i) = self {
                            i.read_item(r, present, at);
                        }
                    } )*
                }
            }

            /// Reads an item as [`Response::read_into`], into a new response.
            pub(crate) fn read(
                opcode: Opcode,
                r: &mut Reader<'b>,
                present: bool,
                at: usize,
            ) -> Self {
                let mut response = Response::Write(());
                response.read_into(opcode, r, present, at);
                response
            }

            /// True when the success packet carries an item.
            pub fn has_item(&self) -> bool {
                match self {
                    $( Response::$variant(i) => i.has_item(), )*
                }
            }

            /// Reads every lazily read part of the item (each sequence's elements) and
            /// returns the first error.
            pub fn check(&self) -> Result<(), DecodeError> {
                match self {
                    $( Response::$variant(i) => i.check_item(), )*
                }
            }

            /// Writes the item (nothing when there is none).
            #[inline(never)]
            pub(crate) fn write_item(&self, w: &mut Writer<'_>) {
                match self {
                    $( Response::$variant(i) => i.write_item(w), )*
                }
            }
        }
    };
}

operations! {
    /// Properties of the server.
    0 ServerInformation "server_information" (ServerInformation<'b>) -> (Seq<'b, (ServerInfo, Value<'b>)>);
    /// Walk the model tree.
    1 Browse "browse" (Browse<'b>) -> (Seq<'b, BrowseEntry<'b>>);
    /// An element's metadata.
    2 MetaData "meta_data" (MetaData<'b>) -> (MetaDataItem<'b>);
    /// An element's UUID from its primary key.
    3 Lookup "lookup" (Lookup<'b>) -> (Uuid);
    /// Read attributes.
    4 Read "read" (Read<'b>) -> (Seq<'b, (AttributeId, AttrResult<'b>)>);
    /// Write one attribute.
    5 Write "write" (Write<'b>) -> (());
    /// Subscribe to data changes; the item is the subscription UUID.
    6 Subscribe "subscribe" (Subscribe<'b>) -> (Option<Uuid>);
    /// End a subscription.
    7 Unsubscribe "unsubscribe" (Unsubscribe) -> (());
    /// The operational stage.
    8 GetStage "get_stage" (GetStage) -> (Stage);
    /// Provisionally resume (unconfirmed, spec notes D14).
    9 Resume "resume" (Resume<'b>) -> (());
    /// Suspend Xentara.
    10 Suspend "suspend" (Suspend) -> (());
    /// Shut Xentara down.
    11 Shutdown "shutdown" (Shutdown) -> (());
    /// Open a sub-session; the item is its UUID.
    12 CreateSubSession "create_sub_session" (CreateSubSession<'b>) -> (Uuid);
    /// Close a sub-session.
    13 CloseSubSession "close_sub_session" (CloseSubSession) -> (());
    /// The first command: negotiate the protocol version.
    14 ClientHello "client_hello" (ClientHello) -> (ServerHello);
}

impl<'b> Command<'b> {
    /// Decodes a command's parameters given on their own: `params` is the parameter
    /// element's bytes (`None` when the request has none). Offsets in errors are relative to
    /// `params`. Requests in a message are decoded by [`Batch`](crate::Batch).
    pub fn decode_params(opcode: Opcode, params: Option<&'b [u8]>) -> Result<Self, DecodeError> {
        standalone(params, |r, present| {
            let mut command = Command::GetStage(GetStage);
            command.read_into(opcode, r, present, 0);
            command
        })
    }
}

impl<'b> Response<'b> {
    /// Decodes a response item given on its own (`None` when the success packet has none)
    /// as the answer to `opcode`. Offsets in errors are relative to `item`. Success packets
    /// in a message are typed by [`Success::response`](crate::Success::response).
    pub fn decode_item(opcode: Opcode, item: Option<&'b [u8]>) -> Result<Self, DecodeError> {
        standalone(item, |r, present| Response::read(opcode, r, present, 0))
    }
}

/// Reads one element given on its own with `read`, which must consume all of it; its
/// structure is checked first, so that an element that is not well-formed CBOR is that.
fn standalone<'b, T>(
    bytes: Option<&'b [u8]>,
    read: impl FnOnce(&mut Reader<'b>, bool) -> T,
) -> Result<T, DecodeError> {
    let mut r = Reader::new(bytes.unwrap_or_default());
    if bytes.is_some() {
        r.skip();
        if !r.failed() && !r.is_empty() {
            r.fail(DecodeErrorKind::TrailingBytes, r.position());
        }
        if let Some(e) = r.error() {
            return Err(e);
        }
        r.set_position(0);
    }
    let value = read(&mut r, bytes.is_some());
    r.result(value)
}

impl Response<'_> {
    /// The UUID the item is, for the items that are one: lookup's element,
    /// create_sub_session's sub-session, subscribe's subscription (when sent).
    pub const fn uuid(&self) -> Option<Uuid> {
        match *self {
            Response::Lookup(u) | Response::CreateSubSession(u) => Some(u),
            Response::Subscribe(u) => u,
            _ => None,
        }
    }
}

impl Command<'_> {
    /// The sub-session a command names, if any: write key 3, suspend/shutdown key 0,
    /// opcode 9 key 0 (presumed), close_sub_session key 0.
    pub fn sub_session(&self) -> Option<Uuid> {
        match self {
            Command::Write(p) => p.sub_session_id,
            Command::Suspend(p) => p.session_id,
            Command::Shutdown(p) => p.session_id,
            Command::Resume(p) => p.session_id(),
            Command::CloseSubSession(p) => Some(p.session_id),
            _ => None,
        }
    }
}

impl fmt::Display for Opcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl TryFrom<u64> for Opcode {
    type Error = DecodeErrorKind;
    fn try_from(n: u64) -> Result<Self, DecodeErrorKind> {
        Opcode::from_u64(n).ok_or(DecodeErrorKind::UnknownOpcode(n))
    }
}

/// As `Debug`, UUIDs hyphenated.
#[cfg(feature = "defmt")]
impl defmt::Format for Response<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        use crate::model::DefmtUuid;
        match self {
            Response::ServerInformation(item) => defmt::write!(f, "ServerInformation({})", item),
            Response::Browse(item) => defmt::write!(f, "Browse({})", item),
            Response::MetaData(item) => defmt::write!(f, "MetaData({})", item),
            Response::Lookup(id) => defmt::write!(f, "Lookup({})", DefmtUuid(*id)),
            Response::Read(item) => defmt::write!(f, "Read({})", item),
            Response::Write(()) => defmt::write!(f, "Write(())"),
            Response::Subscribe(id) => defmt::write!(f, "Subscribe({})", id.map(DefmtUuid)),
            Response::Unsubscribe(()) => defmt::write!(f, "Unsubscribe(())"),
            Response::GetStage(stage) => defmt::write!(f, "GetStage({})", stage),
            Response::Resume(()) => defmt::write!(f, "Resume(())"),
            Response::Suspend(()) => defmt::write!(f, "Suspend(())"),
            Response::Shutdown(()) => defmt::write!(f, "Shutdown(())"),
            Response::CreateSubSession(id) => {
                defmt::write!(f, "CreateSubSession({})", DefmtUuid(*id))
            }
            Response::CloseSubSession(()) => defmt::write!(f, "CloseSubSession(())"),
            Response::ClientHello(item) => defmt::write!(f, "ClientHello({})", item),
        }
    }
}
