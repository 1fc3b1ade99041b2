//! `arbitrary::Arbitrary` for the types that need more than a derive (feature `arbitrary`).
//!
//! Every generated value is canonical: encoding it and decoding the bytes gives the same
//! value back (`==`), so a structure-aware fuzzer can check round trips. The rules:
//!
//! - numbered tables ([`crate::model::enums`], [`ErrorCode`]) never put a listed number in
//!   `Unknown(n)` / `Other(n)`;
//! - [`Value::UInt`] only holds numbers above `i64::MAX` (smaller ones decode as
//!   [`Value::Int`]);
//! - floats are never NaN (NaN ≠ NaN), and [`TimePoint::FloatSeconds`] is finite;
//! - a [`Raw`] is one well-formed item: the one the input starts with, if it starts with
//!   one (nested at most `MAX_DEPTH - 4` levels, so that it still decodes inside a response
//!   item), else one from a small table; in [`Value::Other`] it is one that decodes as
//!   `Other` again;
//! - a [`Seq`] keeps the input bytes its elements were generated from and regenerates them
//!   when iterated, so it borrows like every other type here and allocates nothing.

use arbitrary::{Arbitrary, Error, Result, Unstructured};

use crate::cbor::{Cbor, Reader};
use crate::error::ErrorCode;
use crate::model::{Raw, Seq, TimePoint, Value};

/// A number for a protocol table: mostly small (where the listed rows are), sometimes any.
pub(crate) fn table_number(u: &mut Unstructured<'_>) -> Result<u64> {
    if u.arbitrary()? {
        u.int_in_range(0..=31)
    } else {
        u.arbitrary()
    }
}

impl<'a> Arbitrary<'a> for ErrorCode {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        if u.arbitrary()? {
            u.choose(ErrorCode::ALL).copied()
        } else {
            u.arbitrary().map(ErrorCode::from_i64)
        }
    }
}

/// Items that stay [`Value::Other`] when decoded: undefined, simple values, empty and
/// indefinite containers, a bignum tag, a negative integer below `i64::MIN`.
const OTHER_ITEMS: &[&[u8]] = &[
    &[0xf7],
    &[0xe0],
    &[0xf8, 0xff],
    &[0x80],
    &[0xa0],
    &[0x9f, 0xff],
    &[0x82, 0x01, 0x61, 0x61],
    &[0xa1, 0x00, 0xf5],
    &[0xc2, 0x41, 0x01],
    &[0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
];

/// One item of [`OTHER_ITEMS`].
fn table_item<'a>(u: &mut Unstructured<'a>) -> Result<Raw<'a>> {
    Raw::new(u.choose(OTHER_ITEMS)?).map_err(|_| Error::IncorrectFormat)
}

/// Nesting levels a generated item leaves free. `MAX_DEPTH` counts from where a generic
/// value starts, and a success item is checked as one item: a value in a response item sits
/// up to two levels deep (a map, a tag 121), so a deeper one would not decode again.
const SPARE_LEVELS: usize = 4;

/// True when `item` still nests within `MAX_DEPTH` under `SPARE_LEVELS` more levels.
fn leaves_spare_levels(item: &[u8]) -> bool {
    let mut wrapped = std::vec![0x81; SPARE_LEVELS];
    wrapped.extend_from_slice(item);
    Raw::new(&wrapped).is_ok()
}

impl<'a> Arbitrary<'a> for Raw<'a> {
    /// The well-formed item the remaining input starts with, or one from a table.
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        if u.arbitrary()? {
            let rest = u.peek_bytes(u.len()).unwrap_or_default();
            let mut r = Reader::new(rest);
            r.skip();
            if !r.failed() && leaves_spare_levels(&rest[..r.position()]) {
                return Raw::new(u.bytes(r.position())?).map_err(|_| Error::IncorrectFormat);
            }
        }
        table_item(u)
    }
}

impl<'a, T: Cbor<'a> + Arbitrary<'a>> Arbitrary<'a> for Seq<'a, T> {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let len = u.arbitrary_len::<T>()?;
        // The elements are generated from these bytes now and again on each iteration.
        let data = u.peek_bytes(u.len()).unwrap_or_default();
        for _ in 0..len {
            T::arbitrary_element(u)?;
        }
        Ok(Seq::from_arbitrary(data, len))
    }
}

/// A float that is not NaN: often one that fits a narrower width (f16, f32).
fn float(u: &mut Unstructured<'_>) -> Result<f64> {
    let x = match u.int_in_range(0u8..=2)? {
        0 => f64::from(i16::arbitrary(u)?) / f64::from(1u16 << u.int_in_range(0..=10)?),
        1 => f64::from(f32::arbitrary(u)?),
        _ => f64::arbitrary(u)?,
    };
    Ok(if x.is_nan() { 0.0 } else { x })
}

impl<'a> Arbitrary<'a> for Value<'a> {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u.int_in_range(0u8..=9)? {
            0 => Value::Null,
            1 => Value::Bool(u.arbitrary()?),
            2 => Value::Int(u.arbitrary()?),
            3 => Value::UInt(u.arbitrary::<u64>()? | 1 << 63),
            4 => Value::Float(float(u)?),
            5 => Value::Text(u.arbitrary()?),
            6 => Value::Bytes(u.arbitrary()?),
            7 => Value::Uuid(u.arbitrary()?),
            8 => Value::Time(u.arbitrary()?),
            _ => {
                let raw = Raw::arbitrary(u)?;
                match crate::cbor::decode::<Value>(raw.as_bytes()) {
                    Ok(Value::Other(_)) => Value::Other(raw),
                    _ => Value::Other(table_item(u)?),
                }
            }
        })
    }
}

impl<'a> Arbitrary<'a> for TimePoint {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u.int_in_range(0u8..=3)? {
            0 => TimePoint::Decimal {
                exponent: u.arbitrary()?,
                mantissa: u.arbitrary()?,
            },
            1 => TimePoint::Seconds(u.arbitrary()?),
            2 => match float(u)? {
                x if x.is_finite() => TimePoint::FloatSeconds(x),
                x => TimePoint::Infinite { negative: x < 0.0 },
            },
            _ => TimePoint::Infinite {
                negative: u.arbitrary()?,
            },
        })
    }
}
