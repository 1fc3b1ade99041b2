//! The three shapes the protocol repeats, each written once:
//! - [`int_map!`]: a struct that is an integer-keyed map with required and optional keys;
//! - [`protocol_enum!`]: a numbered table from the spec that keeps unknown numbers;
//! - [`alternatives!`]: an enum whose variant is chosen by a tag (121, 122, 123, …).

/// A struct whose wire form is a map with small unsigned integer keys.
///
/// Each field reads like a row of the spec's parameter table:
/// `key req|opt name: Type`. Decoding accepts keys in any order and skips unknown ones;
/// a missing required key, a duplicate key or a wrongly typed value is an error naming
/// `label.field`. Encoding writes the present keys in ascending order.
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

        impl $(<$lt>)? $crate::wire::Fields for $name $(<$lt>)? {
            fn for_each_field(&self, f: &mut dyn FnMut(&'static str, &dyn core::fmt::Debug)) {
                $( int_map!(@visit $mode f, $field, self.$field); )*
            }
        }

        impl<'b> $crate::wire::Cbor<'b> for $name $(<$lt>)? {
            #[allow(unused_variables)]
            fn decode(r: &mut $crate::wire::Reader<'b>) -> Result<Self, $crate::error::DecodeError> {
                let start = r.position();
                let mut len = r.map().map_err(|e| e.in_field($label))?;
                $( let mut $field: Option<$ty> = None; )*
                while r.has_next(&mut len)? {
                    let at = r.position();
                    let key = if r.major()? == 0 { Some(r.u64()?) } else { r.skip()?; None };
                    match key {
                        $( Some($key) => {
                            const FIELD: &str = concat!($label, ".", stringify!($field));
                            if $field.is_some() {
                                return Err($crate::error::DecodeError::new(
                                    $crate::error::DecodeErrorKind::DuplicateKey($key), at,
                                ).in_field(FIELD));
                            }
                            $field = Some(<$ty as $crate::wire::Cbor>::decode(r)
                                .map_err(|e| e.in_field(FIELD))?);
                        } )*
                        _ => r.skip()?,
                    }
                }
                Ok($name {
                    $( $field: int_map!(@finish $mode $field, $key, start,
                        concat!($label, ".", stringify!($field))), )*
                })
            }

            fn encode<W: minicbor::encode::Write>(
                &self,
                e: &mut minicbor::Encoder<W>,
            ) -> Result<(), $crate::wire::WriteError<W>> {
                let n = 0u64 $( + int_map!(@present $mode self.$field) )*;
                e.map(n)?;
                $( int_map!(@encode $mode e, $key, self.$field); )*
                Ok(())
            }

            arbitrary_element!();
        }
    };
    (@visit req $f:ident, $field:ident, $v:expr) => { $f(stringify!($field), &$v) };
    (@visit opt $f:ident, $field:ident, $v:expr) => {
        if let Some(v) = &$v {
            $f(stringify!($field), v)
        }
    };
    (@ty req $ty:ty) => { $ty };
    (@ty opt $ty:ty) => { Option<$ty> };
    (@finish req $v:ident, $key:literal, $start:ident, $field:expr) => {
        match $v {
            Some(v) => v,
            None => return Err($crate::error::DecodeError::new(
                $crate::error::DecodeErrorKind::MissingKey($key), $start,
            ).in_field($field)),
        }
    };
    (@finish opt $v:ident, $key:literal, $start:ident, $field:expr) => { $v };
    (@present req $v:expr) => { 1 };
    (@present opt $v:expr) => { u64::from($v.is_some()) };
    (@encode req $e:ident, $key:literal, $v:expr) => {{
        $e.u64($key)?;
        $crate::wire::Cbor::encode(&$v, $e)?;
    }};
    (@encode opt $e:ident, $key:literal, $v:expr) => {
        if let Some(v) = &$v {
            $e.u64($key)?;
            $crate::wire::Cbor::encode(v, $e)?;
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
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A number the spec's table does not list, kept as received.
            Unknown(u64),
        }

        impl $name {
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

        impl<'b> $crate::wire::Cbor<'b> for $name {
            #[inline]
            fn decode(r: &mut $crate::wire::Reader<'b>) -> Result<Self, $crate::error::DecodeError> {
                r.u64().map($name::from_u64)
            }
            fn encode<W: minicbor::encode::Write>(
                &self,
                e: &mut minicbor::Encoder<W>,
            ) -> Result<(), $crate::wire::WriteError<W>> {
                e.u64(self.to_u64())?.ok()
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
macro_rules! alternatives {
    (
        $(#[$meta:meta])*
        pub enum $name:ident <'b> = $label:literal {
            $( $(#[$vmeta:meta])* $tag:literal => $variant:ident($ty:ty), )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
        pub enum $name<'b> {
            $( $(#[$vmeta])* $variant($ty), )*
        }

        impl<'b> $crate::wire::Cbor<'b> for $name<'b> {
            fn decode(r: &mut $crate::wire::Reader<'b>) -> Result<Self, $crate::error::DecodeError> {
                let at = r.position();
                const WHAT: &str = concat!("tag ", $(stringify!($tag), "/",)* " alternative");
                if r.major()? != 6 {
                    return Err(r.wrong_type(WHAT).in_field($label));
                }
                match r.tag()? {
                    $( $tag => <$ty as $crate::wire::Cbor>::decode(r)
                        .map($name::$variant)
                        .map_err(|e| e.in_field($label)), )*
                    _ => Err($crate::error::DecodeError::new(
                        $crate::error::DecodeErrorKind::WrongType(WHAT), at,
                    ).in_field($label)),
                }
            }

            fn encode<W: minicbor::encode::Write>(
                &self,
                e: &mut minicbor::Encoder<W>,
            ) -> Result<(), $crate::wire::WriteError<W>> {
                match self {
                    $( $name::$variant(v) => {
                        e.tag(minicbor::data::Tag::new($tag))?;
                        $crate::wire::Cbor::encode(v, e)
                    } )*
                }
            }

            arbitrary_element!();
        }
    };
}

/// Inside `impl Cbor<'b> for T`: [`Cbor::arbitrary_element`](crate::wire::Cbor) is `T`'s
/// `arbitrary::Arbitrary` (feature `arbitrary`), so `T` can be an arbitrary `Seq`'s element.
macro_rules! arbitrary_element {
    () => {
        #[cfg(feature = "arbitrary")]
        fn arbitrary_element(u: &mut arbitrary::Unstructured<'b>) -> arbitrary::Result<Self> {
            arbitrary::Arbitrary::arbitrary(u)
        }
    };
}

/// `defmt::Format` through `Debug`, for the types given (feature `defmt`).
macro_rules! defmt_via_debug {
    ($( $ty:ty ),* $(,)?) => {
        $(
            #[cfg(feature = "defmt")]
            impl defmt::Format for $ty {
                fn format(&self, f: defmt::Formatter<'_>) {
                    defmt::write!(f, "{}", defmt::Debug2Format(self))
                }
            }
        )*
    };
}
