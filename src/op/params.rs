//! Request parameters, one struct per opcode; each reads like the spec's parameter table
//! (section 6). Keys may come in any order; unknown keys are skipped.

use crate::cbor::{Cbor, Reader, Writer};
use crate::error::DecodeError;
#[cfg(feature = "defmt")]
use crate::model::DefmtUuid;
use crate::model::enums::{ElementCategory, MetaDataId, ServerInfo};
use crate::model::{AttributeId, Bytes, Raw, Seq, Text, Uuid, Value};

int_map! {
    /// server_information (0): which server properties to return.
    #[cfg_attr(feature = "defmt", derive(defmt::Format))]
    pub struct ServerInformation<'b> = "server_information" {
        /// Ids from the server information table (spec 7.3).
        0 req ids: Seq<'b, ServerInfo>,
    }
}

int_map! {
    /// browse (1): walk the model tree below an element.
    pub struct Browse<'b> = "browse" {
        /// The start element; the nil UUID means the model's root.
        0 req element: Uuid,
        /// How many levels deep to go; absent means all descendants.
        1 opt depth: u64,
        /// Only return elements of these categories; absent means all.
        2 opt categories: Seq<'b, ElementCategory>,
    }
}

int_map! {
    /// meta_data (2): an element's metadata.
    pub struct MetaData<'b> = "meta_data" {
        /// The element.
        0 req element: Uuid,
        /// Ids from the metadata table (spec 7.4).
        1 req ids: Seq<'b, MetaDataId>,
    }
}

int_map! {
    /// lookup (3): an element's UUID from its primary key.
    #[cfg_attr(feature = "defmt", derive(defmt::Format))]
    pub struct Lookup<'b> = "lookup" {
        /// The element's primary key, e.g. `"Group 1.Data Point 1"`.
        0 req primary_key: Text<'b>,
    }
}

int_map! {
    /// read (4): current values of an element's attributes.
    pub struct Read<'b> = "read" {
        /// The element.
        0 req element: Uuid,
        /// The attributes, by standard id or UUID (mixed allowed).
        1 req attributes: Seq<'b, AttributeId>,
    }
}

int_map! {
    /// write (5): set one attribute.
    pub struct Write<'b> = "write" {
        /// The element.
        0 req element: Uuid,
        /// The attribute, by standard id or UUID.
        1 req attribute: AttributeId,
        /// The new value.
        2 req value: Value<'b>,
        /// A sub-session whose credentials are checked as well (note: key 3, spec notes D8).
        3 opt sub_session_id: Uuid,
    }
}

int_map! {
    /// One entry of a subscribe request: an element and the attributes to watch.
    pub struct SubscriptionEntry<'b> = "subscription_entry" {
        /// The element.
        0 req element: Uuid,
        /// The attributes, by standard id or UUID.
        1 req attributes: Seq<'b, AttributeId>,
    }
}

int_map! {
    /// subscribe (6): watch attributes and receive data-change events.
    ///
    /// Both rates are periods in milliseconds despite their names (spec notes D9).
    pub struct Subscribe<'b> = "subscribe" {
        /// What to watch.
        0 req entries: Seq<'b, SubscriptionEntry<'b>>,
        /// Throttle: the *shortest* time between events, in ms.
        1 opt maximum_update_rate: u64,
        /// Heartbeat: the *longest* time without an event, in ms.
        2 opt minimum_update_rate: u64,
        /// The UUID the client wants the subscription to have.
        3 opt desired_subscription_id: Uuid,
    }
}

impl<'b> SubscriptionEntry<'b> {
    /// Watch `attributes` of `element`.
    pub const fn new(element: Uuid, attributes: &'b [AttributeId]) -> Self {
        SubscriptionEntry {
            element,
            attributes: Seq::from_slice(attributes),
        }
    }
}

impl<'b> Subscribe<'b> {
    /// Subscribe to `entries`, with neither update rate and no desired id (the server
    /// makes one).
    pub const fn new(entries: &'b [SubscriptionEntry<'b>]) -> Self {
        Subscribe {
            entries: Seq::from_slice(entries),
            maximum_update_rate: None,
            minimum_update_rate: None,
            desired_subscription_id: None,
        }
    }

    /// With a throttle (`maximum_update_rate`: the shortest time between events) and a
    /// heartbeat (`minimum_update_rate`: the longest time without one), in ms.
    pub const fn with_rates(self, maximum: Option<u64>, minimum: Option<u64>) -> Self {
        Subscribe {
            maximum_update_rate: maximum,
            minimum_update_rate: minimum,
            ..self
        }
    }

    /// With the id the client wants the subscription to have.
    pub const fn with_desired_id(self, id: Uuid) -> Self {
        Subscribe {
            desired_subscription_id: Some(id),
            ..self
        }
    }
}

int_map! {
    /// unsubscribe (7): end a subscription.
    pub struct Unsubscribe = "unsubscribe" {
        /// The subscription, as returned by subscribe.
        0 req subscription_id: Uuid,
    }
}

/// get_stage (8): takes no parameters; a map sent anyway is ignored (spec notes D5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct GetStage;

/// Opcode 9, provisionally `resume` (spec notes D14): its parameters are unconfirmed, so
/// they are kept as a raw map and never rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Resume<'b> {
    /// The parameter map as received, if any.
    pub params: Option<Raw<'b>>,
}

int_map! {
    /// The shape opcode 9 most likely has (`{0?: session_id}`), read by [`Resume::session_id`].
    pub(crate) struct ResumeGuess = "resume" {
        0 opt session_id: Uuid,
    }
}

impl Resume<'_> {
    /// Key 0 read as a sub-session UUID, if the map has one (the presumed layout).
    pub fn session_id(&self) -> Option<Uuid> {
        crate::cbor::decode::<ResumeGuess>(self.params?.as_bytes())
            .ok()?
            .session_id
    }
}

int_map! {
    /// suspend (10): suspend Xentara.
    pub struct Suspend = "suspend" {
        /// A sub-session whose credentials are checked as well.
        0 opt session_id: Uuid,
    }
}

int_map! {
    /// shutdown (11): shut Xentara down.
    pub struct Shutdown = "shutdown" {
        /// A sub-session whose credentials are checked as well.
        0 opt session_id: Uuid,
    }
}

int_map! {
    /// OAuth 2.0 credentials: `121({0: token})`.
    #[cfg_attr(feature = "defmt", derive(defmt::Format))]
    pub struct OAuth2<'b> = "oauth2" {
        /// The encoded access token.
        0 req token: Text<'b>,
    }
}

int_map! {
    /// Certificate credentials: `122({0: der})`. The server does not check that the
    /// client holds the private key.
    #[cfg_attr(feature = "defmt", derive(defmt::Format))]
    pub struct Certificate<'b> = "certificate" {
        /// A DER-encoded X.509 certificate.
        0 req der: Bytes<'b>,
    }
}

int_map! {
    /// Username/password credentials: `123({0: username, 1: password})`.
    #[cfg_attr(feature = "defmt", derive(defmt::Format))]
    pub struct Password<'b> = "password" {
        /// The user name.
        0 req username: Text<'b>,
        /// The password.
        1 req password: Text<'b>,
    }
}

alternatives! {
    /// How a sub-session authenticates (spec 6.12).
    pub enum Credentials<'b> = CREDENTIALS, Credentials {
        /// `121`: an OAuth 2.0 token.
        121 => OAuth2(OAuth2<'b>),
        /// `122`: a certificate.
        122 => Certificate(Certificate<'b>),
        /// `123`: a user name and password.
        123 => Password(Password<'b>),
    }
}

int_map! {
    /// create_sub_session (12): open an authenticated sub-session.
    pub struct CreateSubSession<'b> = "create_sub_session" {
        /// The credentials.
        0 req credentials: Credentials<'b>,
        /// The id the client wants; must not be nil. An existing session with it is replaced.
        1 opt desired_session_id: Uuid,
    }
}

int_map! {
    /// close_sub_session (13): close a sub-session. The seed command.
    pub struct CloseSubSession = "close_sub_session" {
        /// A session opened with create_sub_session.
        0 req session_id: Uuid,
    }
}

int_map! {
    /// client_hello (14): must be the first command; negotiates the protocol version.
    #[cfg_attr(feature = "defmt", derive(defmt::Format))]
    pub struct ClientHello = "client_hello" {
        /// The lowest version the client supports (≤ `max_version`).
        0 req min_version: u64,
        /// The highest version the client supports.
        1 req max_version: u64,
    }
}

impl Default for ClientHello {
    /// What the vendor client sends: `{0: 1, 1: 1}` (spec notes D2).
    fn default() -> Self {
        ClientHello {
            min_version: 1,
            max_version: 1,
        }
    }
}

/// How a command's parameters sit in a request packet (its optional 4th element).
pub(crate) trait Params<'b>: Sized {
    /// A placeholder, overwritten by [`Params::read_params`].
    const EMPTY_PARAMS: Self;
    /// Reads the parameters into `self` from `r`; `present` is false when the packet has
    /// no 4th element, which would be at offset `at`.
    fn read_params(&mut self, r: &mut Reader<'b>, present: bool, at: usize);
    /// True when the packet carries a 4th element.
    fn has_params(&self) -> bool;
    /// Writes the 4th element (only called when [`Params::has_params`]).
    fn write_params(&self, w: &mut Writer<'_>);
    /// Reads every lazily read part; the first error.
    fn check_params(&self) -> Result<(), DecodeError> {
        Ok(())
    }
}

/// Marks the parameter maps: a missing 4th element reads as an empty map.
pub(crate) trait MapParams {}

impl<'b, T: Cbor<'b> + MapParams> Params<'b> for T {
    const EMPTY_PARAMS: Self = T::EMPTY;
    fn read_params(&mut self, r: &mut Reader<'b>, present: bool, at: usize) {
        if present {
            return self.read_into(r);
        }
        let mut empty = Reader::new(&[0xa0]);
        self.read_into(&mut empty);
        if let Some(e) = empty.take_error() {
            r.fail_with(e.at(at));
        }
    }
    fn has_params(&self) -> bool {
        true
    }
    fn write_params(&self, w: &mut Writer<'_>) {
        self.write(w)
    }
    fn check_params(&self) -> Result<(), DecodeError> {
        self.check()
    }
}

impl MapParams for ServerInformation<'_> {}
impl MapParams for Browse<'_> {}
impl MapParams for MetaData<'_> {}
impl MapParams for Lookup<'_> {}
impl MapParams for Read<'_> {}
impl MapParams for Write<'_> {}
impl MapParams for Subscribe<'_> {}
impl MapParams for Unsubscribe {}
impl MapParams for Suspend {}
impl MapParams for Shutdown {}
impl MapParams for CreateSubSession<'_> {}
impl MapParams for CloseSubSession {}
impl MapParams for ClientHello {}

impl<'b> Params<'b> for GetStage {
    const EMPTY_PARAMS: Self = GetStage;
    fn read_params(&mut self, r: &mut Reader<'b>, present: bool, _: usize) {
        if present {
            r.skip();
        }
    }
    fn has_params(&self) -> bool {
        false
    }
    fn write_params(&self, _: &mut Writer<'_>) {}
}

impl<'b> Params<'b> for Resume<'b> {
    const EMPTY_PARAMS: Self = Resume { params: None };
    fn read_params(&mut self, r: &mut Reader<'b>, present: bool, _: usize) {
        self.params = present.then(|| Raw::read(r));
    }
    fn has_params(&self) -> bool {
        self.params.is_some()
    }
    fn write_params(&self, w: &mut Writer<'_>) {
        if let Some(raw) = &self.params {
            raw.write(w);
        }
    }
}

// defmt::Format: derived where the fields allow; written out where a field is a UUID
// (hyphenated through `DefmtUuid`, as `Debug` shows it).

#[cfg(feature = "defmt")]
impl defmt::Format for Browse<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "Browse {{ element: {}, depth: {}, categories: {} }}",
            DefmtUuid(self.element),
            self.depth,
            self.categories,
        )
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for MetaData<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "MetaData {{ element: {}, ids: {} }}",
            DefmtUuid(self.element),
            self.ids,
        )
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Read<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "Read {{ element: {}, attributes: {} }}",
            DefmtUuid(self.element),
            self.attributes,
        )
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Write<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "Write {{ element: {}, attribute: {}, value: {}, sub_session_id: {} }}",
            DefmtUuid(self.element),
            self.attribute,
            self.value,
            self.sub_session_id.map(DefmtUuid),
        )
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for SubscriptionEntry<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "SubscriptionEntry {{ element: {}, attributes: {} }}",
            DefmtUuid(self.element),
            self.attributes,
        )
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Subscribe<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "Subscribe {{ entries: {}, maximum_update_rate: {}, minimum_update_rate: {}, desired_subscription_id: {} }}",
            self.entries,
            self.maximum_update_rate,
            self.minimum_update_rate,
            self.desired_subscription_id.map(DefmtUuid),
        )
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Unsubscribe {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "Unsubscribe {{ subscription_id: {} }}",
            DefmtUuid(self.subscription_id),
        )
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Suspend {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "Suspend {{ session_id: {} }}",
            self.session_id.map(DefmtUuid),
        )
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Shutdown {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "Shutdown {{ session_id: {} }}",
            self.session_id.map(DefmtUuid),
        )
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for CreateSubSession<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "CreateSubSession {{ credentials: {}, desired_session_id: {} }}",
            self.credentials,
            self.desired_session_id.map(DefmtUuid),
        )
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for CloseSubSession {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "CloseSubSession {{ session_id: {} }}",
            DefmtUuid(self.session_id),
        )
    }
}
