//! The crate's own macros: the three shapes the protocol repeats, each written once, and
//! one helper they share.
//! - [`int_map!`]: a struct that is an integer-keyed map with required and optional keys;
//! - [`protocol_enum!`]: a numbered table from the spec that keeps unknown numbers;
//! - [`alternatives!`]: an enum whose variant is chosen by a tag (121, 122, 123, …);
//! - [`arbitrary_element!`]: inside an `impl Cbor`, the type's `arbitrary::Arbitrary` as
//!   the element generator of an arbitrary `Seq` (feature `arbitrary`).
//!
//! Each shape expands to small per-type code around shared, non-generic machinery: a map
//! struct is a [`MapSpec`](crate::cbor::MapSpec) table plus a `match` from key to the
//! shared reader of the field's type. The other tables are macros next to what they
//! declare: `operations!` (src/op/mod.rs), `error_codes!` (src/error/code.rs) and
//! `decode_error_kinds!` (src/error/decode.rs).
//!
//! Beside them, [`inlining!`]: the inlining policy for 64- and 32-bit targets.

/// The crate's inlining policy, the one place where 64- and 32-bit targets differ.
///
/// The codec runs on hosts (64-bit: servers, clients, tests, benches), where time per
/// message counts and a few KiB of code do not, and on microcontrollers (32-bit: Cortex-M),
/// where flash is the scarce resource and one copy of a function called from many places is
/// worth a call. So each item that would be inlined for speed says which kind it is:
///
/// - `hot:` a fast path a few instructions long (a one-byte head, a cursor check, the
///   minimal form of a packet header). `#[inline(always)]` on 64-bit targets, so that it
///   folds into its caller's loop; the compiler's choice on 32-bit targets.
/// - `shared:` the reader of a type read from many places (text, bytes, UUIDs, attribute
///   ids). `#[inline]` on 64-bit targets; `#[inline(never)]` on 32-bit targets, one copy.
/// - `one_copy:` a function with several callers whose inlined copies would cost flash
///   (an error's text writer). `#[inline(never)]` on 32-bit targets; the compiler's choice
///   on 64-bit targets.
/// - `host_only:` a second, specialised path that only speed pays for (a map struct read in
///   place); compiled on 64-bit targets only, the general path serving 32-bit targets.
///
/// Wrap the item (doc comments and all): `inlining! { hot: fn f() {} }`.
macro_rules! inlining {
    (hot: $($item:item)*) => {
        $( #[cfg_attr(target_pointer_width = "64", inline(always))] $item )*
    };
    (shared: $($item:item)*) => {
        $(
            #[cfg_attr(target_pointer_width = "64", inline)]
            #[cfg_attr(not(target_pointer_width = "64"), inline(never))]
            $item
        )*
    };
    (one_copy: $($item:item)*) => {
        $( #[cfg_attr(not(target_pointer_width = "64"), inline(never))] $item )*
    };
    (host_only: $($item:item)*) => {
        $( #[cfg(target_pointer_width = "64")] $item )*
    };
}

/// A struct whose wire form is a map with small unsigned integer keys.
///
/// Each field reads like a row of the spec's parameter table:
/// `key req|opt name: Type`. Decoding accepts keys in any order and skips unknown ones;
/// a missing required key, a duplicate key or a wrongly typed value is an error naming
/// `label.field` (the names are gathered in `src/error/field.rs`). Encoding writes the
/// present keys in ascending order.
macro_rules! int_map {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident $(<$lt:lifetime>)? = $label:literal {
            $( $(#[$fmeta:meta])* $key:literal $mode:ident $field:ident : $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
        $vis struct $name $(<$lt>)? {
            $( $(#[$fmeta])* pub $field: int_map!(@ty $mode $ty), )*
        }

        impl $(<$lt>)? $name $(<$lt>)? {
            /// The map's names in errors: its label, then `label.field` in key order
            /// (gathered into `src/error/field.rs`).
            pub(crate) const FIELD_NAMES: &'static [&'static str] =
                &[$label, $( concat!($label, ".", stringify!($field)) ),*];

            /// The map's layout: field names by key, required keys.
            const SPEC: $crate::cbor::MapSpec = $crate::cbor::MapSpec {
                label: $crate::error::field::Field::named($label),
                fields: &[$(
                    $crate::error::field::Field::named(concat!($label, ".", stringify!($field)))
                ),*],
                required: $crate::cbor::required(&[$( int_map!(@required $mode) ),*]),
            };
        }

        // Each key is its field's slot: keys 0, 1, 2, … in order.
        const _: () = assert!($crate::cbor::keys_are_slots(&[$($key),*]));

        impl<'b> $crate::cbor::Cbor<'b> for $name $(<$lt>)? {
            const EMPTY: Self = $name { $( $field: int_map!(@empty $mode $ty), )* };

            fn read(r: &mut $crate::cbor::Reader<'b>) -> Self {
                // Each field is read by the shared reader of its type into a local (kept in
                // registers where it fits), the struct built once at the end.
                $( let mut $field = int_map!(@empty $mode $ty); )*
                let mut map = Self::SPEC.walk(r);
                while let Some(slot) = map.next(&Self::SPEC, r) {
                    match slot {
                        $( $key => int_map!(@read $mode $field, r), )*
                        _ => {}
                    }
                }
                map.end(&Self::SPEC, r);
                $name { $( $field, )* }
            }

            inlining! { host_only:
                /// In place: a request's parameters are built where they are to live.
                fn read_into(&mut self, r: &mut $crate::cbor::Reader<'b>) {
                    let mut map = Self::SPEC.walk(r);
                    while let Some(slot) = map.next(&Self::SPEC, r) {
                        match slot {
                            $( $key => int_map!(@read $mode self.$field, r), )*
                            _ => {}
                        }
                    }
                    map.end(&Self::SPEC, r);
                }
            }

            fn write(&self, w: &mut $crate::cbor::Writer<'_>) {
                // The present keys, ascending (a row's key is its slot).
                let present = 0 $( + u8::from(int_map!(@present $mode self.$field)) )*;
                w.byte(0xa0 | present);
                $( int_map!(@write $mode w, $key, self.$field); )*
            }

            fn check(&self) -> Result<(), $crate::error::DecodeError> {
                $( int_map!(@check $mode self.$field); )*
                Ok(())
            }

            arbitrary_element!();
        }
    };
    (@ty req $ty:ty) => { $ty };
    (@ty opt $ty:ty) => { Option<$ty> };
    (@empty req $ty:ty) => { <$ty as $crate::cbor::Cbor>::EMPTY };
    (@empty opt $ty:ty) => { None };
    (@required req) => { true };
    (@required opt) => { false };
    (@read req $v:expr, $r:ident) => { $v = $crate::cbor::Cbor::read($r) };
    (@read opt $v:expr, $r:ident) => { $v = Some($crate::cbor::Cbor::read($r)) };
    (@check req $v:expr) => { $crate::cbor::Cbor::check(&$v)?; };
    (@check opt $v:expr) => {
        if let Some(v) = &$v {
            $crate::cbor::Cbor::check(v)?;
        }
    };
    (@present req $v:expr) => { true };
    (@present opt $v:expr) => { $v.is_some() };
    (@write req $w:ident, $key:literal, $v:expr) => {{
        $w.byte($key);
        $crate::cbor::Cbor::write(&$v, $w);
    }};
    (@write opt $w:ident, $key:literal, $v:expr) => {
        if let Some(v) = &$v {
            $w.byte($key);
            $crate::cbor::Cbor::write(v, $w);
        }
    };
}

/// A numbered table from the spec: an enum with one variant per row and `Unknown(n)` for
/// numbers the table does not list (the spec asks decoders to keep them).
macro_rules! protocol_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal, $text:literal; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A number the spec's table does not list, kept as received.
            Unknown(u64),
        }

        impl $name {
            /// Every value the spec's table lists, in its order.
            pub const ALL: &'static [$name] = &[$( $name::$variant, )*];

            /// The value for a number; unlisted numbers become `Unknown`.
            pub const fn from_u64(n: u64) -> Self {
                match n {
                    $( $value => $name::$variant, )*
                    other => $name::Unknown(other),
                }
            }

            /// The number on the wire.
            pub const fn to_u64(self) -> u64 {
                match self {
                    $( $name::$variant => $value, )*
                    $name::Unknown(n) => n,
                }
            }

            /// The spec's name for the value, or `"unknown"`.
            pub const fn name(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )*
                    $name::Unknown(_) => "unknown",
                }
            }
        }

        impl From<u64> for $name {
            fn from(n: u64) -> Self {
                $name::from_u64(n)
            }
        }

        impl From<$name> for u64 {
            fn from(v: $name) -> u64 {
                v.to_u64()
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self {
                    $name::Unknown(n) => write!(f, "{}", n),
                    known => f.write_str(known.name()),
                }
            }
        }

        impl<'b> $crate::cbor::Cbor<'b> for $name {
            const EMPTY: Self = $name::Unknown(u64::MAX);

            #[inline]
            fn read(r: &mut $crate::cbor::Reader<'b>) -> Self {
                $name::from_u64(r.uint())
            }

            fn write(&self, w: &mut $crate::cbor::Writer<'_>) {
                w.uint(self.to_u64());
            }

            arbitrary_element!();
        }

        /// Canonical values only: `Unknown(n)` never holds a number the table lists.
        #[cfg(feature = "arbitrary")]
        impl<'a> arbitrary::Arbitrary<'a> for $name {
            fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
                $crate::arbitrary::table_number(u).map($name::from_u64)
            }
        }
    };
}

/// An enum whose wire form is `tag(content)`, the tag choosing the variant (spec 9.1).
/// `FIELD` names it in errors, `Expected` says what it should have been.
macro_rules! alternatives {
    (
        $(#[$meta:meta])*
        pub enum $name:ident <'b> = $field:ident, $expected:ident {
            $(#[$fmeta:meta])* $ftag:literal => $fvariant:ident($fty:ty),
            $( $(#[$vmeta:meta])* $tag:literal => $variant:ident($ty:ty), )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        pub enum $name<'b> {
            $(#[$fmeta])* $fvariant($fty),
            $( $(#[$vmeta])* $variant($ty), )*
        }

        impl<'b> $crate::cbor::Cbor<'b> for $name<'b> {
            const EMPTY: Self = $name::$fvariant(<$fty as $crate::cbor::Cbor>::EMPTY);

            fn read(r: &mut $crate::cbor::Reader<'b>) -> Self {
                use $crate::error::{DecodeErrorKind, Expected, field::Field};
                r.in_field(Field::$field, |r| {
                let at = r.position();
                match r.peek() {
                    Some(b) if b >> 5 == 6 => match r.tag() {
                        $ftag => $name::$fvariant(<$fty as $crate::cbor::Cbor>::read(r)),
                        $( $tag => $name::$variant(<$ty as $crate::cbor::Cbor>::read(r)), )*
                        _ => {
                            r.fail(DecodeErrorKind::WrongType(Expected::$expected), at);
                            Self::EMPTY
                        }
                    },
                    _ => {
                        r.wrong_type(Expected::$expected);
                        Self::EMPTY
                    }
                }
                })
            }

            fn check(&self) -> Result<(), $crate::error::DecodeError> {
                match self {
                    $name::$fvariant(v) => $crate::cbor::Cbor::check(v),
                    $( $name::$variant(v) => $crate::cbor::Cbor::check(v), )*
                }
            }

            fn write(&self, w: &mut $crate::cbor::Writer<'_>) {
                match self {
                    $name::$fvariant(v) => {
                        w.tag($ftag);
                        $crate::cbor::Cbor::write(v, w);
                    }
                    $( $name::$variant(v) => {
                        w.tag($tag);
                        $crate::cbor::Cbor::write(v, w);
                    } )*
                }
            }

            arbitrary_element!();
        }
    };
}

/// Inside `impl Cbor<'b> for T`: `Cbor::arbitrary_element` is `T`'s
/// `arbitrary::Arbitrary` (feature `arbitrary`), so `T` can be an arbitrary `Seq`'s element.
macro_rules! arbitrary_element {
    () => {
        #[cfg(feature = "arbitrary")]
        fn arbitrary_element(u: &mut arbitrary::Unstructured<'b>) -> arbitrary::Result<Self> {
            arbitrary::Arbitrary::arbitrary(u)
        }
    };
}
