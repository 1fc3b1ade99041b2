//! [`Writer`]: canonical CBOR into a caller's slice, in one pass that both writes and sizes.

use crate::error::EncodeError;

/// A writer into a slice that writes what fits and counts everything.
///
/// When [`Writer::finish`] finds more bytes counted than the slice holds, the output did not
/// fit and the count is the size it needs. Writing never fails, so encoders carry no error
/// paths. Everything written is canonical: shortest heads, definite lengths.
#[derive(Debug)]
pub struct Writer<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> Writer<'a> {
    /// A writer at the start of `buf` (an empty one only counts).
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Writer { buf, len: 0 }
    }

    /// The bytes written so far, whether they fitted or not.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The length written, or the size needed when it did not fit.
    pub(crate) fn finish(self) -> Result<usize, EncodeError> {
        if self.len <= self.buf.len() {
            Ok(self.len)
        } else {
            Err(EncodeError::BufferTooSmall { required: self.len })
        }
    }

    /// A fixed number of raw bytes (copied without a call).
    #[inline]
    pub(crate) fn put_array<const N: usize>(&mut self, bytes: &[u8; N]) {
        let end = self.len.saturating_add(N);
        if let Some(dst) = self.buf.get_mut(self.len..end) {
            dst.copy_from_slice(bytes);
        }
        self.len = end;
    }

    /// Raw bytes.
    pub(crate) fn put(&mut self, bytes: &[u8]) {
        let end = self.len.saturating_add(bytes.len());
        if let Some(dst) = self.buf.get_mut(self.len..end) {
            dst.copy_from_slice(bytes);
        }
        self.len = end;
    }

    /// One raw byte.
    pub(crate) fn byte(&mut self, b: u8) {
        if let Some(dst) = self.buf.get_mut(self.len) {
            *dst = b;
        }
        self.len = self.len.saturating_add(1);
    }

    /// A head of major type `major` with argument `n`, in the shortest form.
    #[inline]
    pub(crate) fn head(&mut self, major: u8, n: u64) {
        if n < 24 {
            self.byte(major << 5 | n as u8);
        } else if n < 256 {
            self.put_array(&[major << 5 | 24, n as u8]);
        } else {
            self.long_head(major << 5, n);
        }
    }

    #[inline(never)]
    fn long_head(&mut self, initial: u8, n: u64) {
        let mut head = [0u8; 9];
        let size = if n <= 0xff {
            head[0] = initial | 24;
            head[1] = n as u8;
            2
        } else if n <= 0xffff {
            head[0] = initial | 25;
            head[1..3].copy_from_slice(&(n as u16).to_be_bytes());
            3
        } else if n <= 0xffff_ffff {
            head[0] = initial | 26;
            head[1..5].copy_from_slice(&(n as u32).to_be_bytes());
            5
        } else {
            head[0] = initial | 27;
            head[1..].copy_from_slice(&n.to_be_bytes());
            9
        };
        self.put(&head[..size]);
    }

    /// An unsigned integer.
    pub(crate) fn uint(&mut self, n: u64) {
        self.head(0, n);
    }

    /// An integer.
    pub(crate) fn int(&mut self, n: i64) {
        if n >= 0 {
            self.head(0, n as u64);
        } else {
            self.head(1, !(n as u64));
        }
    }

    /// A tag number.
    pub(crate) fn tag(&mut self, tag: u64) {
        self.head(6, tag);
    }

    /// An array head of `n` elements.
    pub(crate) fn array(&mut self, n: u64) {
        self.head(4, n);
    }

    /// A map head of `n` pairs.
    pub(crate) fn map(&mut self, n: u64) {
        self.head(5, n);
    }

    /// A definite text string.
    pub(crate) fn text(&mut self, s: &str) {
        self.head(3, s.len() as u64);
        self.put(s.as_bytes());
    }

    /// A definite byte string.
    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.head(2, b.len() as u64);
        self.put(b);
    }

    /// `true` or `false`.
    pub(crate) fn bool(&mut self, b: bool) {
        self.byte(if b { 0xf5 } else { 0xf4 });
    }

    /// `null`.
    pub(crate) fn null(&mut self) {
        self.byte(0xf6);
    }

    /// The shortest float (f16, f32 or f64) that holds `x` exactly; NaN as f16. Decided
    /// on the bits (no float arithmetic: no soft-float on a single-precision FPU).
    pub(crate) fn f64(&mut self, x: f64) {
        let bits = x.to_bits();
        match f32_bits(bits) {
            Some(single) if fits_f16(single) => {
                // Halves: minicbor converts them (feature `half`).
                let mut half = [0u8; 3];
                let _ = minicbor::Encoder::new(&mut half[..]).f16(f32::from_bits(single));
                self.put_array(&half);
            }
            Some(single) => {
                self.byte(0xfa);
                self.put_array(&single.to_be_bytes());
            }
            None => {
                self.byte(0xfb);
                self.put_array(&bits.to_be_bytes());
            }
        }
    }
}

/// The bits of the f32 equal to the f64 with bits `bits`, if there is one (any NaN: the
/// quiet NaN).
fn f32_bits(bits: u64) -> Option<u32> {
    let sign = ((bits >> 63) as u32) << 31;
    let exponent = ((bits >> 52) & 0x7ff) as i32;
    let mantissa = bits & ((1 << 52) - 1);
    match exponent {
        // Zero (f64 subnormals are far below f32's range).
        0 => (mantissa == 0).then_some(sign),
        0x7ff if mantissa == 0 => Some(sign | 0x7f80_0000),
        0x7ff => Some(0x7fc0_0000),
        _ => {
            let e = exponent - 1023;
            if (-126..=127).contains(&e) {
                // Normal: the low 29 of the 52 mantissa bits must be zero.
                (mantissa & ((1 << 29) - 1) == 0)
                    .then(|| sign | ((e + 127) as u32) << 23 | (mantissa >> 29) as u32)
            } else if (-149..-126).contains(&e) {
                // Subnormal: the 53-bit significand shifted to units of 2^-149.
                let significand = 1 << 52 | mantissa;
                let shift = (52 - (e + 149)) as u32;
                (significand & ((1 << shift) - 1) == 0)
                    .then(|| sign | (significand >> shift) as u32)
            } else {
                None
            }
        }
    }
}

/// True when the f32 with bits `bits` is exactly representable as an IEEE 754 half (NaN
/// included, as the half NaN).
fn fits_f16(bits: u32) -> bool {
    let exp = ((bits >> 23) & 0xff) as i32 - 127;
    let mantissa = bits & 0x7f_ffff;
    match exp {
        // Zero, infinity, NaN.
        -127 => mantissa == 0,
        128 => true,
        // Normal halves: 10 mantissa bits survive, the low 13 must be zero.
        -14..=15 => mantissa & 0x1fff == 0,
        // Subnormal halves: the value is a multiple of 2^-24.
        -24..=-15 => {
            let shift = 13 + (-14 - exp) as u32;
            mantissa & ((1u32 << shift) - 1) == 0
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::Writer;

    /// The width the float arithmetic chooses (the writer before it went by the bits).
    fn by_arithmetic(x: f64) -> usize {
        let single = x as f32;
        let half_exact = |x: f32| {
            x == 0.0 || x.is_infinite() || {
                let h = minicbor::Encoder::new([0u8; 3].as_mut_slice())
                    .f16(x)
                    .map(|_| ())
                    .is_ok();
                h && {
                    let mut b = [0u8; 3];
                    let _ = minicbor::Encoder::new(&mut b[..]).f16(x);
                    minicbor::Decoder::new(&b).f32().ok() == Some(x)
                }
            }
        };
        if x.is_nan() || (f64::from(single) == x && half_exact(single)) {
            3
        } else if f64::from(single) == x {
            5
        } else {
            9
        }
    }

    /// The bits decide as the arithmetic does, over every half, many singles and doubles.
    #[test]
    #[cfg_attr(miri, ignore = "460,000 values: natively only")]
    fn float_width_by_bits_is_the_arithmetic_one() {
        let mut values: std::vec::Vec<f64> = std::vec![
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324
        ];
        values.extend((0..=u16::MAX).map(crate::cbor::reader::f16_to_f64));
        values.extend(
            (0..200_000u32).map(|i| f64::from(f32::from_bits(i.wrapping_mul(2_654_435_761)))),
        );
        values
            .extend((0..200_000u64).map(|i| f64::from_bits(i.wrapping_mul(0x9e37_79b9_7f4a_7c15))));
        for x in values {
            let mut buf = [0u8; 9];
            let mut w = Writer::new(&mut buf);
            w.f64(x);
            let n = w.finish().unwrap();
            assert_eq!(n, by_arithmetic(x), "{x:e} ({:016x})", x.to_bits());
            let back = minicbor::Decoder::new(&buf[..n]).f64().unwrap();
            assert!(
                back.to_bits() == x.to_bits() || (x.is_nan() && back.is_nan()),
                "{x:e}"
            );
        }
    }
}
