//! Operations: the opcode table, each opcode's typed parameters ([`params`]) and typed
//! response item ([`items`]).
//!
//! One table, [`operations!`], drives everything per opcode: [`Opcode`], [`Command`] (a
//! request's typed parameters) and [`Response`] (a success packet's typed item). Adding an
//! opcode is one line there plus its parameter struct.

use core::fmt;

use minicbor::Encoder;
use minicbor::encode::Write as CborWrite;
use uuid::Uuid;

use crate::error::{DecodeError, DecodeErrorKind};
use crate::wire::enums::{ServerInfo, Stage};
use crate::wire::value::{AttrResult, AttributeId, Value};
use crate::wire::{Raw, Reader, Seq, WriteError};

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

            /// Decodes the parameters of `opcode` from the packet's 4th element
            /// (`None` when absent); `at` is where that element is or would be.
            pub fn decode(
                opcode: Opcode,
                r: Option<&mut Reader<'b>>,
                at: usize,
            ) -> Result<Self, DecodeError> {
                Ok(match opcode {
                    $( Opcode::$variant => Command::$variant(
                        <$params as Params<'b>>::decode_params(r, at)?), )*
                })
            }

            /// Calls `f` with each parameter's name and value (see [`crate::wire::Fields`]).
            pub fn for_each_field(&self, f: &mut dyn FnMut(&'static str, &dyn fmt::Debug)) {
                match self {
                    $( Command::$variant(p) => crate::wire::Fields::for_each_field(p, f), )*
                }
            }

            /// True when the request packet carries a parameter element.
            pub fn has_params(&self) -> bool {
                match self {
                    $( Command::$variant(p) => p.has_params(), )*
                }
            }

            /// Encodes the parameter element (nothing for get_stage).
            pub fn encode_params<W: CborWrite>(&self, e: &mut Encoder<W>) -> Result<(), WriteError<W>> {
                match self {
                    $( Command::$variant(p) => p.encode_params(e), )*
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
            /// An item read without knowing its opcode (kept as bytes, `None` when absent).
            /// [`Response::typed`] turns it into the variant for an opcode.
            Untyped(Option<Raw<'b>>),
        }

        impl<'b> Response<'b> {
            /// The opcode this response answers, if typed.
            pub const fn opcode(&self) -> Option<Opcode> {
                match self {
                    $( Response::$variant(_) => Some(Opcode::$variant), )*
                    Response::Untyped(_) => None,
                }
            }

            /// Decodes an item (`None` when absent) as the response to `opcode`; `at` is
            /// the item's offset in the message, for errors.
            pub fn decode(opcode: Opcode, item: Option<Raw<'b>>, at: usize) -> Result<Self, DecodeError> {
                Ok(match opcode {
                    $( Opcode::$variant => Response::$variant(
                        <$item as Item<'b>>::decode_item(item, at)?), )*
                })
            }

            /// True when the success packet carries an item.
            pub fn has_item(&self) -> bool {
                match self {
                    $( Response::$variant(i) => i.has_item(), )*
                    Response::Untyped(raw) => raw.is_some(),
                }
            }

            /// Encodes the item (nothing when there is none).
            pub fn encode_item<W: CborWrite>(&self, e: &mut Encoder<W>) -> Result<(), WriteError<W>> {
                match self {
                    $( Response::$variant(i) => i.encode_item(e), )*
                    Response::Untyped(raw) => raw.as_ref().map_or(Ok(()), |r| crate::wire::Cbor::encode(r, e)),
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
    /// Provisionally resume (unconfirmed, discrepancies D14).
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

impl<'b> Response<'b> {
    /// Types an [`Response::Untyped`] item as the answer to `opcode`; typed responses are
    /// returned unchanged. Offsets in errors are relative to the item.
    pub fn typed(self, opcode: Opcode) -> Result<Self, DecodeError> {
        match self {
            Response::Untyped(raw) => Response::decode(opcode, raw, 0),
            typed => Ok(typed),
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

defmt_via_debug!(Opcode, Command<'_>, Response<'_>);
