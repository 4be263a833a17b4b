//! Arithmetic inside MATPOWER case files: numbers in any notation, `Inf`/`NaN`, `pi`,
//! `+ - * / ^`, parentheses and a few functions (`sqrt`, `abs`, `exp`, `log`).

/// A token of an expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Num(f64),
    Ident(String),
    Op(char),
    LParen,
    RParen,
}

/// Parse a number at the start of `s` (`12`, `1.5`, `.5`, `1e-3`, `2.E+4`); returns the
/// value and the bytes used.
pub fn number(s: &[u8]) -> Option<(f64, usize)> {
    if let Some(r) = fast_number(s) {
        return Some(r);
    }
    let mut i = 0;
    let digits = |i: &mut usize| {
        let st = *i;
        while *i < s.len() && s[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - st
    };
    let a = digits(&mut i);
    let mut b = 0;
    if i < s.len() && s[i] == b'.' {
        i += 1;
        b = digits(&mut i);
    }
    if a + b == 0 {
        return None;
    }
    if i < s.len() && (s[i] == b'e' || s[i] == b'E' || s[i] == b'd' || s[i] == b'D') {
        let mut j = i + 1;
        if j < s.len() && (s[j] == b'+' || s[j] == b'-') {
            j += 1;
        }
        let st = j;
        while j < s.len() && s[j].is_ascii_digit() {
            j += 1;
        }
        if j > st {
            i = j;
        }
    }
    let text = std::str::from_utf8(&s[..i]).ok()?;
    let v = if text.contains(['d', 'D']) {
        text.replace(['d', 'D'], "e").parse::<f64>().ok()?
    } else {
        text.parse::<f64>().ok()?
    };
    Some((v, i))
}

/// Powers of ten exactly representable in f64.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// Clinger's fast path: a decimal whose significand (digits without the point) is at
/// most 2⁵³ and whose power of ten is within ±22 is `m · 10^e` or `m / 10^−e` with a
/// single rounding of exact operands, i.e. exactly what `str::parse` returns. `None`
/// for anything else (more digits, `d` exponents, …), which the general path reads.
#[inline]
pub fn fast_number(s: &[u8]) -> Option<(f64, usize)> {
    let n = s.len();
    let (mut m, mut i) = digit_run(s, 0, 0);
    let int_digits = i;
    let mut frac = 0usize;
    if i < n && s[i] == b'.' {
        let st = i + 1;
        (m, i) = digit_run(s, st, m);
        frac = i - st;
    }
    let nd = int_digits + frac;
    if nd == 0 || nd > 19 {
        return None;
    }
    let mut e: i32 = -(frac as i32);
    if i < n && (s[i] | 0x20) == b'e' {
        let mut j = i + 1;
        let neg = j < n && s[j] == b'-';
        if j < n && (s[j] == b'+' || s[j] == b'-') {
            j += 1;
        }
        let st = j;
        let mut x: i32 = 0;
        while j < n && s[j].is_ascii_digit() && j - st < 4 {
            x = x * 10 + i32::from(s[j] - b'0');
            j += 1;
        }
        if j < n && s[j].is_ascii_digit() {
            return None;
        }
        if j > st {
            e += if neg { -x } else { x };
            i = j;
        }
    } else if i < n && (s[i] | 0x20) == b'd' {
        return None;
    }
    if m > (1u64 << 53) || !(-22..=22).contains(&e) {
        return None;
    }
    let v = if e >= 0 { m as f64 * POW10[e as usize] } else { m as f64 / POW10[(-e) as usize] };
    Some((v, i))
}

/// The decimal digits of `s` from `i` appended to `m` (`m · 10^k + digits`, wrapping:
/// callers refuse more than 19 digits), and where they stop. Eight bytes at a time
/// where eight are left (SWAR, as in Lemire's fast_float): one load, one mask for where
/// the digits stop, three multiplications for their value — no branch per digit.
#[inline]
fn digit_run(s: &[u8], mut i: usize, mut m: u64) -> (u64, usize) {
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    while let Some(chunk) = s.get(i..i + 8) {
        let x = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        // Bit 7 of each byte that is not an ASCII digit (exact up to the first such
        // byte: digits below it neither carry nor borrow).
        let not_digit = (x.wrapping_add(0x4646_4646_4646_4646) | x.wrapping_sub(ZEROS)) & 0x8080_8080_8080_8080;
        let k = (not_digit.trailing_zeros() / 8) as usize;
        if k == 0 {
            return (m, i);
        }
        // The k digits as the last k of eight (leading zeros), then their value.
        let d = x.wrapping_sub(ZEROS);
        let d = if k == 8 { d } else { (d & ((1u64 << (8 * k)) - 1)) << (8 * (8 - k)) };
        m = m.wrapping_mul(POW10_U64[k]).wrapping_add(eight_digits(d));
        i += k;
        if k < 8 {
            return (m, i);
        }
    }
    while let Some(&c) = s.get(i) {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        m = m.wrapping_mul(10).wrapping_add(u64::from(d));
        i += 1;
    }
    (m, i)
}

/// 10^k for k ≤ 8.
const POW10_U64: [u64; 9] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

/// The value of eight decimal digits, one per byte (0–9), the first in the lowest byte.
#[inline]
fn eight_digits(d: u64) -> u64 {
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    const MUL1: u64 = 100 + (1_000_000 << 32);
    const MUL2: u64 = 1 + (10_000 << 32);
    let d = d.wrapping_mul(10).wrapping_add(d >> 8);
    (((d & MASK).wrapping_mul(MUL1)).wrapping_add(((d >> 16) & MASK).wrapping_mul(MUL2))) >> 32
}

/// Deepest nesting of parentheses, function calls, unary signs and powers an entry may
/// have: the parser recurses once per level, and a case file needs a handful at most.
pub const MAX_DEPTH: usize = 64;

/// Evaluate the tokens of one expression.
pub fn eval(toks: &[Tok]) -> Result<f64, String> {
    let mut p = Parser { t: toks, i: 0, depth: 0 };
    let v = p.expr()?;
    if p.i != toks.len() {
        return Err(format!("unexpected {:?}", toks[p.i]));
    }
    Ok(v)
}

struct Parser<'a> {
    t: &'a [Tok],
    i: usize,
    /// Current recursion depth (see [`MAX_DEPTH`]).
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.t.get(self.i)
    }
    /// Enter one level of nesting; an error past [`MAX_DEPTH`].
    fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("the entry is nested more than {MAX_DEPTH} levels deep"));
        }
        Ok(())
    }
    fn expr(&mut self) -> Result<f64, String> {
        self.enter()?;
        let v = self.sum();
        self.depth -= 1;
        v
    }
    fn sum(&mut self) -> Result<f64, String> {
        let mut v = self.term()?;
        while let Some(Tok::Op(c @ ('+' | '-'))) = self.peek().cloned() {
            self.i += 1;
            let r = self.term()?;
            v = if c == '+' { v + r } else { v - r };
        }
        Ok(v)
    }
    fn term(&mut self) -> Result<f64, String> {
        let mut v = self.unary()?;
        while let Some(Tok::Op(c @ ('*' | '/'))) = self.peek().cloned() {
            self.i += 1;
            let r = self.unary()?;
            v = if c == '*' { v * r } else { v / r };
        }
        Ok(v)
    }
    fn unary(&mut self) -> Result<f64, String> {
        self.enter()?;
        let v = self.signed();
        self.depth -= 1;
        v
    }
    fn signed(&mut self) -> Result<f64, String> {
        match self.peek() {
            Some(Tok::Op('-')) => {
                self.i += 1;
                Ok(-self.unary()?)
            }
            Some(Tok::Op('+')) => {
                self.i += 1;
                self.unary()
            }
            _ => self.power(),
        }
    }
    fn power(&mut self) -> Result<f64, String> {
        let base = self.atom()?;
        if let Some(Tok::Op('^')) = self.peek() {
            self.i += 1;
            let e = self.unary()?;
            return Ok(base.powf(e));
        }
        Ok(base)
    }
    fn atom(&mut self) -> Result<f64, String> {
        let t = self.peek().cloned().ok_or("expression ends early")?;
        self.i += 1;
        match t {
            Tok::Num(v) => Ok(v),
            Tok::LParen => {
                let v = self.expr()?;
                if self.peek() != Some(&Tok::RParen) {
                    return Err("missing )".into());
                }
                self.i += 1;
                Ok(v)
            }
            Tok::Ident(name) => {
                if self.peek() == Some(&Tok::LParen) {
                    self.i += 1;
                    let a = self.expr()?;
                    if self.peek() != Some(&Tok::RParen) {
                        return Err(format!("missing ) after {name}("));
                    }
                    self.i += 1;
                    return match name.as_str() {
                        "sqrt" => Ok(a.sqrt()),
                        "abs" => Ok(a.abs()),
                        "exp" => Ok(a.exp()),
                        "log" => Ok(a.ln()),
                        "log10" => Ok(a.log10()),
                        _ => Err(format!("unknown function `{name}`")),
                    };
                }
                match name.as_str() {
                    "pi" => Ok(std::f64::consts::PI),
                    "Inf" | "inf" => Ok(f64::INFINITY),
                    "NaN" | "nan" => Ok(f64::NAN),
                    "eps" => Ok(f64::EPSILON),
                    _ => Err(format!("unknown name `{name}` (a case file must give numbers, not variables)")),
                }
            }
            other => Err(format!("unexpected {other:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path agrees bit for bit with `str::parse` wherever it answers, on
    /// numbers written the ways case files write them.
    #[test]
    fn fast_number_is_exact() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut answered = 0;
        for k in 0..200_000 {
            let m = next() % 10u64.pow((next() % 17 + 1) as u32);
            let text = match k % 4 {
                0 => format!("{m}"),
                1 => {
                    let s = format!("{m}");
                    let p = (next() as usize) % (s.len() + 1);
                    format!("{}.{}", &s[..p], &s[p..])
                }
                2 => format!("{}e{}", m, (next() % 45) as i32 - 22),
                _ => format!("{}.{}E-{}", m % 1000, next() % 100000, next() % 30),
            };
            let want: f64 = text.parse().unwrap();
            if let Some((v, n)) = super::fast_number(text.as_bytes()) {
                answered += 1;
                assert_eq!(n, text.len(), "{text}");
                assert_eq!(v.to_bits(), want.to_bits(), "{text}: {v} vs {want}");
            }
            // Followed by more of a row, as in a file: the eight-byte path reads it.
            let row = format!("{text}\t-12.5;\n\t1\t2\t3");
            let (v, n) = number(row.as_bytes()).unwrap();
            assert_eq!((v.to_bits(), n), (want.to_bits(), text.len()), "{row}");
            let (v, n) = number(text.as_bytes()).unwrap();
            assert_eq!((v.to_bits(), n), (want.to_bits(), text.len()), "{text}");
        }
        assert!(answered > 150_000, "the fast path answered only {answered}");
    }
    /// Runs of digits of every length up to 20, at every offset, ended by every kind of
    /// byte: the eight-byte reader stops where the byte-by-byte one does, with the same
    /// value.
    #[test]
    fn digit_runs_stop_where_the_digits_do() {
        for len in 0..=20usize {
            for end in [b' ', b'\t', b'.', b'e', b';', b'/', b':', 0x80, 0xff, b'\n', b'-'] {
                for pad in 0..9 {
                    let mut s = vec![b'x'; pad];
                    s.extend((0..len).map(|k| b'0' + ((k * 7 + 3) % 10) as u8));
                    s.push(end);
                    s.extend_from_slice(b"123456789");
                    let (m, i) = digit_run(&s, pad, 0);
                    let mut want = 0u64;
                    for &c in &s[pad..pad + len] {
                        want = want.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
                    }
                    assert_eq!((m, i), (want, pad + len), "len {len} end {end} pad {pad}");
                }
            }
        }
    }

    #[test]
    fn numbers_and_arithmetic() {
        assert_eq!(number(b"1.5e-3,"), Some((1.5e-3, 6)));
        assert_eq!(number(b".5 "), Some((0.5, 2)));
        assert_eq!(number(b"2.E+4"), Some((2e4, 5)));
        let t = vec![Tok::Num(135.0), Tok::Op('/'), Tok::Ident("sqrt".into()), Tok::LParen, Tok::Num(3.0), Tok::RParen];
        assert!((eval(&t).unwrap() - 135.0 / 3f64.sqrt()).abs() < 1e-12);
        let t = vec![Tok::Op('-'), Tok::Num(2.0), Tok::Op('^'), Tok::Num(2.0)];
        assert_eq!(eval(&t).unwrap(), -4.0);
        assert!(eval(&[Tok::Ident("Vbase".into())]).is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = |n: usize| {
            let mut t = vec![Tok::LParen; n];
            t.push(Tok::Num(1.0));
            t.extend(std::iter::repeat_n(Tok::RParen, n));
            t
        };
        assert_eq!(eval(&deep(20)).unwrap(), 1.0);
        let e = eval(&deep(50_000)).unwrap_err();
        assert!(e.contains("nested more than 64"), "{e}");
        let mut minus = vec![Tok::Op('-'); 50_000];
        minus.push(Tok::Num(1.0));
        assert!(eval(&minus).unwrap_err().contains("nested"));
        let mut pow = vec![Tok::Num(2.0)];
        for _ in 0..50_000 {
            pow.extend([Tok::Op('^'), Tok::Num(1.0)]);
        }
        assert!(eval(&pow).unwrap_err().contains("nested"));
    }
}
