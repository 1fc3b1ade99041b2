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
    pub(crate) fn head(&mut self, major: u8, n: u64) {
        if n < 24 {
            self.byte(major << 5 | n as u8);
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

    /// The shortest float (f16, f32 or f64) that holds `x` exactly; NaN as f16.
    pub(crate) fn f64(&mut self, x: f64) {
        let single = x as f32;
        if x.is_nan() || (f64::from(single) == x && fits_f16(single)) {
            // Halves: minicbor converts them (feature `half`).
            let mut half = [0u8; 3];
            let _ = minicbor::Encoder::new(&mut half[..]).f16(single);
            self.put(&half);
        } else if f64::from(single) == x {
            self.byte(0xfa);
            self.put(&single.to_be_bytes());
        } else {
            self.byte(0xfb);
            self.put(&x.to_be_bytes());
        }
    }
}

/// True when the f32 `x` is exactly representable as an IEEE 754 half.
fn fits_f16(x: f32) -> bool {
    if x == 0.0 || x.is_infinite() {
        return true;
    }
    let bits = x.to_bits();
    let exp = ((bits >> 23) & 0xff) as i32 - 127;
    let mantissa = bits & 0x7f_ffff;
    match exp {
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
