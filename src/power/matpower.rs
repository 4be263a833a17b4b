//! MATPOWER case files (.m) without Octave: read `mpc.baseMVA`, `mpc.bus`, `mpc.gen`
//! and `mpc.branch`; tolerate and note other fields (`gencost`, `bus_name`, `dcline`,
//! …); reject, naming the line, any statement that is not a plain `mpc.X = …`
//! assignment (a case that computes its matrices with code would otherwise be misread).
//! Also writes a network back as a .m file that reads back identical.

use super::expr::{eval, number, Tok};
use super::network::{bus, gen, Matrix, Network};
use crate::error::InputError;
use std::fmt::Write;

/// Read a .m case file.
pub fn read_matpower(path: &str) -> Result<Network, InputError> {
    let cannot = |e: std::io::Error| {
        InputError::new(
            path,
            "case file",
            format!("cannot read it: {e}"),
            "check the path and that it is a text .m file",
        )
    };
    let src = crate::mapped::read_bytes(path).map_err(cannot)?;
    parse_bytes(path, &src, |b| crate::mapped::check_utf8(b).map(|_| ()).map_err(cannot))
}

struct Scan<'a> {
    file: &'a str,
    s: &'a [u8],
    i: usize,
    line: usize,
    line_start: usize,
}

enum Value {
    Matrix(Rows),
    Scalar(f64),
    Other,
}

impl<'a> Scan<'a> {
    fn err(&self, item: &str, msg: impl Into<String>, fix: &str) -> InputError {
        InputError::new(self.file, item, msg, fix).at(Some((self.line, self.i - self.line_start + 1)))
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn newline(&mut self) {
        self.i += 1;
        self.line += 1;
        self.line_start = self.i;
    }
    fn skip_to_eol(&mut self) {
        while let Some(c) = self.peek() {
            if c == b'\n' {
                break;
            }
            self.i += 1;
        }
    }
    /// Skip blanks, newlines, comments and statement separators.
    fn skip_space(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                b'\n' => self.newline(),
                b' ' | b'\t' | b'\r' | b';' | b',' => self.i += 1,
                b'%' | b'#' => self.skip_to_eol(),
                _ => break,
            }
        }
    }
    fn ident(&mut self) -> String {
        let st = self.i;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == b'_' {
                self.i += 1;
            } else {
                break;
            }
        }
        String::from_utf8_lossy(&self.s[st..self.i]).to_string()
    }
    fn skip_blanks(&mut self) {
        while let Some(b' ' | b'\t' | b'\r') = self.peek() {
            self.i += 1;
        }
    }
    fn skip_string(&mut self, q: u8) -> Result<(), InputError> {
        self.i += 1;
        loop {
            match self.peek() {
                None | Some(b'\n') => return Err(self.err("string", "unterminated string", "close the quote")),
                Some(c) if c == q => {
                    self.i += 1;
                    if self.peek() == Some(q) {
                        self.i += 1;
                    } else {
                        return Ok(());
                    }
                }
                _ => self.i += 1,
            }
        }
    }
    /// Skip a `{ … }` cell array (names, strings), honouring strings and comments.
    fn skip_cell(&mut self) -> Result<(), InputError> {
        let (l0, c0) = (self.line, self.i - self.line_start + 1);
        let mut depth = 0;
        loop {
            match self.peek() {
                None => {
                    return Err(
                        InputError::new(self.file, "cell array", "has no closing }", "close it").at(Some((l0, c0)))
                    )
                }
                Some(b'{') => {
                    depth += 1;
                    self.i += 1;
                }
                Some(b'}') => {
                    depth -= 1;
                    self.i += 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                Some(b'\n') => self.newline(),
                Some(b'%') => self.skip_to_eol(),
                Some(q @ (b'\'' | b'"')) => self.skip_string(q)?,
                _ => self.i += 1,
            }
        }
    }

    /// Values up to the end of a matrix (`]`) or, for a scalar, the end of the
    /// statement: rows of evaluated elements, with the line of each row.
    fn elements(&mut self, in_matrix: bool, item: &str) -> Result<Rows, InputError> {
        let mut rows = Rows::new(if in_matrix { kept_columns(item) } else { 1 });
        if in_matrix && rows.keep > 0 {
            // Room for the values up to the closing bracket (a number and its separator
            // take at least two bytes; four is what case files use at the least), so the
            // rows are not copied as they grow: capacity never touched costs nothing.
            let len = find_byte(&self.s[self.i..], b']').unwrap_or(self.s.len() - self.i);
            rows.data.reserve(len / 4 + 1);
            rows.lens.reserve(len / 32 + 1);
            rows.lines.reserve(len / 32 + 1);
        }
        let row = &mut rows;
        let mut el: Vec<Tok> = Vec::new();
        let mut row_line = self.line;
        let mut ws = false;
        let mut depth = 0usize;
        let operand_end = |el: &Vec<Tok>| matches!(el.last(), Some(Tok::Num(_) | Tok::Ident(_) | Tok::RParen));
        let file = self.file;
        macro_rules! end_el {
            () => {
                if !el.is_empty() {
                    let v = match el.as_slice() {
                        [Tok::Num(v)] => *v,
                        toks => eval(toks).map_err(|m| {
                            InputError::new(
                                file,
                                item,
                                format!("cannot evaluate an entry: {m}"),
                                "write numbers or simple arithmetic (+ - * / ^, sqrt, pi)",
                            )
                            .at(Some((row_line, 1)))
                        })?,
                    };
                    row.push(v);
                    el.clear();
                }
            };
        }
        macro_rules! end_row {
            () => {
                end_el!();
                row.end_row(row_line);
            };
        }
        loop {
            if in_matrix && depth == 0 && el.is_empty() && row.cur == 0 && self.fast_row(row) {
                row.end_row(row_line);
                ws = false;
                continue;
            }
            let Some(c) = self.peek() else {
                if in_matrix {
                    return Err(self.err(item, "matrix has no closing ]", "close the matrix with ];"));
                }
                end_row!();
                return Ok(std::mem::take(row));
            };
            // A new element starts at whitespace followed by an operand, in a matrix.
            let split = in_matrix && ws && depth == 0 && operand_end(&el);
            match c {
                b' ' | b'\t' | b'\r' => {
                    self.i += 1;
                    ws = true;
                    continue;
                }
                b'.' if self.s[self.i..].starts_with(b"...") => {
                    self.skip_to_eol();
                    if self.peek() == Some(b'\n') {
                        self.newline();
                    }
                    ws = true;
                    continue;
                }
                b'%' | b'#' => {
                    self.skip_to_eol();
                    continue;
                }
                b'\n' => {
                    if !in_matrix {
                        end_row!();
                        return Ok(std::mem::take(row));
                    }
                    end_row!();
                    self.newline();
                    row_line = self.line;
                }
                b';' => {
                    self.i += 1;
                    if !in_matrix {
                        end_row!();
                        return Ok(std::mem::take(row));
                    }
                    end_row!();
                    row_line = self.line;
                }
                b',' => {
                    self.i += 1;
                    end_el!();
                }
                b']' if in_matrix => {
                    self.i += 1;
                    end_row!();
                    return Ok(std::mem::take(row));
                }
                b'+' | b'-' => {
                    let next_blank = matches!(self.s.get(self.i + 1), Some(b' ' | b'\t'));
                    if split && !next_blank {
                        end_el!();
                    }
                    // A signed number that is a whole element (the common case in
                    // case files) is read at once, without the expression evaluator.
                    if el.is_empty() {
                        if let Some((v, n)) = number(&self.s[self.i + 1..]) {
                            if whole_element(self.s, self.i + 1 + n) {
                                row.push(if c == b'-' { -v } else { v });
                                self.i += 1 + n;
                                ws = false;
                                continue;
                            }
                        }
                    }
                    el.push(Tok::Op(c as char));
                    self.i += 1;
                }
                b'*' | b'/' | b'^' => {
                    el.push(Tok::Op(c as char));
                    self.i += 1;
                }
                b'(' => {
                    if split {
                        end_el!();
                    }
                    depth += 1;
                    if depth > super::expr::MAX_DEPTH {
                        return Err(self.err(
                            item,
                            format!("parentheses nested more than {} levels deep", super::expr::MAX_DEPTH),
                            "write the entry as a number or shallow arithmetic",
                        ));
                    }
                    el.push(Tok::LParen);
                    self.i += 1;
                }
                b')' => {
                    depth = depth.saturating_sub(1);
                    el.push(Tok::RParen);
                    self.i += 1;
                }
                b'0'..=b'9' | b'.' => {
                    if split {
                        end_el!();
                    }
                    if el.is_empty() {
                        if let Some((v, n)) = number(&self.s[self.i..]) {
                            if whole_element(self.s, self.i + n) {
                                row.push(v);
                                self.i += n;
                                ws = false;
                                continue;
                            }
                        }
                    }
                    let Some((v, n)) = number(&self.s[self.i..]) else {
                        return Err(self.err(item, "cannot read a number here", "write plain numbers such as 1.5e-3"));
                    };
                    el.push(Tok::Num(v));
                    self.i += n;
                }
                c if c.is_ascii_alphabetic() => {
                    if split {
                        end_el!();
                    }
                    let id = self.ident();
                    el.push(Tok::Ident(id));
                }
                other => {
                    return Err(self.err(
                        item,
                        format!("unexpected character `{}`", other as char),
                        "a case matrix holds numbers and simple arithmetic only",
                    ))
                }
            }
            ws = false;
        }
    }

    /// One row of plain numbers — the common case — read in a tight loop: numbers,
    /// signed or not, separated by blanks or commas, up to `;` (consumed) or a newline
    /// (left for the caller). Anything else (an operator, a name, `Inf`, a comment, a
    /// continuation, `]`) rewinds and leaves the row to the general reader, so both
    /// read every row the same.
    fn fast_row(&mut self, rows: &mut Rows) -> bool {
        let s = self.s;
        let blank = |c: u8| c == b' ' || c == b'\t' || c == b'\r';
        let start_len = rows.data.len();
        debug_assert_eq!(rows.cur, 0);
        let mut i = self.i;
        let mut any = false;
        loop {
            while i < s.len() && blank(s[i]) {
                i += 1;
            }
            let Some(&c) = s.get(i) else { break };
            match c {
                b';' if any => {
                    self.i = i + 1;
                    return true;
                }
                b'\n' if any => {
                    self.i = i;
                    return true;
                }
                b',' if any => i += 1,
                b'0'..=b'9' | b'.' | b'-' | b'+' => {
                    let j = if c == b'-' || c == b'+' { i + 1 } else { i };
                    let Some((v, n)) = super::expr::fast_number(&s[j..]) else { break };
                    let k = j + n;
                    if !matches!(s.get(k), None | Some(b' ' | b'\t' | b'\r' | b';' | b'\n' | b',')) {
                        break;
                    }
                    let mut q = k;
                    while q < s.len() && blank(s[q]) {
                        q += 1;
                    }
                    let binary = match s.get(q) {
                        Some(b'*' | b'/' | b'^' | b'\'') => true,
                        Some(b'.') => matches!(s.get(q + 1), Some(b'*' | b'/' | b'^' | b'\'')),
                        Some(b'+' | b'-') => matches!(s.get(q + 1), None | Some(b' ' | b'\t' | b'\r' | b'\n')),
                        _ => false,
                    };
                    if binary {
                        break;
                    }
                    rows.push(if c == b'-' { -v } else { v });
                    any = true;
                    i = q;
                }
                _ => break,
            }
        }
        rows.data.truncate(start_len);
        rows.cur = 0;
        false
    }

    fn value(&mut self, item: &str) -> Result<Value, InputError> {
        self.skip_blanks();
        match self.peek() {
            Some(b'[') => {
                self.i += 1;
                let rows = self.elements(true, item)?;
                // A transpose or indexing after the matrix is code, not data.
                self.skip_blanks();
                if let Some(b'\'' | b'(' | b'.') = self.peek() {
                    return Err(self.err(
                        item,
                        "the matrix is followed by an operator",
                        "write the matrix out as plain data",
                    ));
                }
                Ok(Value::Matrix(rows))
            }
            Some(b'{') => {
                self.skip_cell()?;
                Ok(Value::Other)
            }
            Some(q @ (b'\'' | b'"')) => {
                self.skip_string(q)?;
                Ok(Value::Other)
            }
            _ => {
                let rows = self.elements(false, item)?;
                match (rows.lens.as_slice(), rows.data.len()) {
                    ([1], 1) => Ok(Value::Scalar(rows.data[0])),
                    ([], _) => Err(self.err(item, "has no value", "give a value after =")),
                    _ => Err(self.err(item, "has several values", "give a single number")),
                }
            }
        }
    }
}

/// The first position of byte `b` in `s` (SIMD, `memchr`).
fn find_byte(s: &[u8], b: u8) -> Option<usize> {
    memchr::memchr(b, s)
}

/// Whether a number ending at `k` is a whole matrix element: it is followed by a
/// separator, and what comes after the blanks is not a binary operator (`1 -2` is two
/// elements, `1 - 2` and `-2^2` one).
fn whole_element(s: &[u8], k: usize) -> bool {
    match s.get(k) {
        None | Some(b',' | b';' | b']' | b'\n' | b'%' | b'#') => true,
        Some(b' ' | b'\t' | b'\r') => {
            let mut j = k;
            while let Some(b' ' | b'\t' | b'\r') = s.get(j) {
                j += 1;
            }
            match s.get(j) {
                Some(b'*' | b'/' | b'^' | b'\'') => false,
                Some(b'.') => !matches!(s.get(j + 1), Some(b'*' | b'/' | b'^' | b'\'')),
                Some(b'+' | b'-') => !matches!(s.get(j + 1), None | Some(b' ' | b'\t' | b'\r' | b'\n')),
                _ => true,
            }
        }
        _ => false,
    }
}

/// A matrix's rows as read: the first `keep` values of each row (what the model uses;
/// the rest, MATPOWER's result columns and extensions, are read and counted, not kept),
/// each row's whole length and its line.
#[derive(Default)]
struct Rows {
    data: Vec<f64>,
    lens: Vec<usize>,
    lines: Vec<usize>,
    /// Values kept per row.
    keep: usize,
    /// Values read in the current row.
    cur: usize,
}

impl Rows {
    fn new(keep: usize) -> Rows {
        Rows { data: Vec::new(), lens: Vec::new(), lines: Vec::new(), keep, cur: 0 }
    }
    fn push(&mut self, v: f64) {
        if self.cur < self.keep {
            self.data.push(v);
        }
        self.cur += 1;
    }
    /// Close the current row if it has values.
    fn end_row(&mut self, line: usize) {
        if self.cur > 0 {
            self.lens.push(self.cur);
            self.lines.push(line);
            self.cur = 0;
        }
    }
}

/// The columns of `mpc.<field>` the model reads (a scalar is one value; an ignored
/// matrix is read and checked, not kept).
fn kept_columns(item: &str) -> usize {
    match item {
        "mpc.bus" => bus::VMIN + 1,
        "mpc.gen" => gen::PMIN + 1,
        "mpc.branch" => super::network::branch::ANGMAX + 1,
        _ => 0,
    }
}

fn to_matrix(file: &str, name: &str, rows: Rows, min_cols: usize) -> Result<Matrix, InputError> {
    let cols = rows.lens.first().copied().unwrap_or(min_cols);
    if cols < min_cols {
        let line = rows.lines.first().copied().unwrap_or(1);
        return Err(InputError::new(
            file,
            format!("mpc.{name}"),
            format!("rows have {cols} columns; MATPOWER needs at least {min_cols}"),
            "give every row the standard MATPOWER columns",
        )
        .at(Some((line, 1))));
    }
    for (&len, &line) in rows.lens.iter().zip(&rows.lines) {
        if len != cols {
            return Err(InputError::new(
                file,
                format!("mpc.{name} row"),
                format!("has {len} columns but the first row has {cols}"),
                "give every row the same number of columns",
            )
            .at(Some((line, 1))));
        }
    }
    Ok(Matrix { cols: cols.min(rows.keep), data: rows.data, lines: rows.lines })
}

/// Whether `%{` occurs in `s`.
fn has_block_comment(s: &[u8]) -> bool {
    memchr::memmem::find(s, b"%{").is_some()
}

/// `src` with MATLAB block comments blanked (a line that is only `%{` opens one, a line
/// that is only `%}` closes it; they nest), keeping every line so positions stay true.
fn without_block_comments<'a>(file: &str, src: &'a str) -> Result<std::borrow::Cow<'a, str>, InputError> {
    if !has_block_comment(src.as_bytes()) {
        return Ok(std::borrow::Cow::Borrowed(src));
    }
    let mut out = String::with_capacity(src.len());
    let (mut depth, mut opened) = (0usize, 0usize);
    for (n, line) in src.split_inclusive('\n').enumerate() {
        let t = line.trim();
        if t == "%{" {
            if depth == 0 {
                opened = n + 1;
            }
            depth += 1;
        } else if t == "%}" && depth > 0 {
            depth -= 1;
            if depth == 0 {
                out.push('\n');
                continue;
            }
        }
        if depth > 0 {
            if line.ends_with('\n') {
                out.push('\n');
            }
        } else {
            out.push_str(line);
        }
    }
    if depth > 0 {
        return Err(InputError::new(
            file,
            "block comment",
            "%{ is never closed by a %} line",
            "close the block comment",
        )
        .at(Some((opened, 1))));
    }
    Ok(std::borrow::Cow::Owned(out))
}

/// Parse .m text; `file` names it in messages.
pub fn parse_matpower(file: &str, src: &str) -> Result<Network, InputError> {
    parse_bytes(file, src.as_bytes(), |_| Ok(()))
}

/// Parse .m bytes that `check_text` checks to be text (UTF-8) while the branch matrix,
/// the largest, is read on a second thread: from where its statement starts, found by
/// a plain search; its result is used only if this reader arrives at exactly that
/// statement (so a match inside a string or a cell is ignored), and it is the same as
/// reading it here. A file with block comments is read here alone, with them blanked.
fn parse_bytes(
    file: &str,
    src: &[u8],
    check_text: impl FnOnce(&[u8]) -> Result<(), InputError>,
) -> Result<Network, InputError> {
    let bytes = src.strip_prefix("\u{feff}".as_bytes()).unwrap_or(src);
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || {
            let (p, line, line_start) = find_matrix(bytes, "branch")?;
            let mut s2 = Scan { file, s: bytes, i: p, line, line_start };
            let v = s2.value("mpc.branch");
            Some(Read { at: p, value: v, i: s2.i, line: s2.line, line_start: s2.line_start })
        });
        check_text(bytes)?;
        if has_block_comment(bytes) {
            // Checked to be UTF-8 just above (or given as `&str`): nothing is replaced.
            let text = String::from_utf8_lossy(bytes);
            let blanked = without_block_comments(file, &text)?;
            return parse_statements(file, blanked.as_bytes(), &mut Ahead::None);
        }
        parse_statements(file, bytes, &mut Ahead::Reading(reader))
    })
}

/// The branch matrix as the second thread read it: where its value starts, the value,
/// and the reader's position after it.
struct Read {
    at: usize,
    value: Result<Value, InputError>,
    i: usize,
    line: usize,
    line_start: usize,
}

/// The branch matrix read ahead on another thread: still reading, read (or not found),
/// or none.
enum Ahead<'s> {
    None,
    Reading(std::thread::ScopedJoinHandle<'s, Option<Read>>),
    Done(Option<Read>),
}

/// Where `mpc.<field> = [` starts a line: the position after `=`, its line and the
/// start of that line.
fn find_matrix(s: &[u8], field: &str) -> Option<(usize, usize, usize)> {
    let pat = format!("\nmpc.{field}");
    let pat = pat.as_bytes();
    let finder = memchr::memmem::Finder::new(pat);
    let word_end = |e: usize| !s.get(e).is_some_and(|&x| x.is_ascii_alphanumeric() || x == b'_');
    let mut k = 0;
    let at = loop {
        let c = k + finder.find(&s[k..])?;
        if word_end(c + pat.len()) {
            break c + 1;
        }
        k = c + 1;
    };
    let mut i = at + pat.len() - 1;
    while matches!(s.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    if s.get(i) != Some(&b'=') {
        return None;
    }
    let after_eq = i + 1;
    let mut j = after_eq;
    while matches!(s.get(j), Some(b' ' | b'\t')) {
        j += 1;
    }
    if s.get(j) != Some(&b'[') {
        return None;
    }
    let line = 1 + memchr::memchr_iter(b'\n', &s[..at]).count();
    Some((after_eq, line, at))
}

fn parse_statements(file: &str, bytes: &[u8], ahead: &mut Ahead<'_>) -> Result<Network, InputError> {
    let mut sc = Scan { file, s: bytes, i: 0, line: 1, line_start: 0 };
    let mut name = std::path::Path::new(file).file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
    let (mut base, mut busm, mut genm, mut brm) = (None, None, None, None);
    let mut ignored = Vec::new();
    let mut locals: std::collections::HashMap<String, f64> = Default::default();
    loop {
        sc.skip_space();
        if sc.peek().is_none() {
            break;
        }
        let (line, col) = (sc.line, sc.i - sc.line_start + 1);
        let unsupported = |what: String| {
            InputError::new(file, "statement", what, "a case file may only assign data: mpc.baseMVA = …; mpc.bus = [ … ]; (compute nothing, call no function)")
                .at(Some((line, col)))
        };
        let Some(c) = sc.peek() else { break };
        if !c.is_ascii_alphabetic() {
            return Err(unsupported(format!("unexpected `{}`", c as char)));
        }
        let id = sc.ident();
        match id.as_str() {
            "function" => {
                let st = sc.i;
                sc.skip_to_eol();
                let decl = String::from_utf8_lossy(&sc.s[st..sc.i]).to_string();
                if let Some(n) = decl.split('=').nth(1) {
                    let n = n.trim();
                    if !n.is_empty() {
                        name = n.to_string();
                    }
                }
                continue;
            }
            "end" | "endfunction" | "return" => continue,
            "mpc" => {}
            "if" => {
                // `if flag … end` on a scalar set earlier in the file (case8387pegase's
                // `fixed = 0;`): a false condition skips the block, as Octave would; a
                // true one would run code, which is refused.
                let st = sc.i;
                sc.skip_to_eol();
                let cond = String::from_utf8_lossy(&sc.s[st..sc.i]).to_string();
                let cond = cond.split(['%', '#']).next().unwrap_or("").trim().trim_end_matches([',', ';']).trim();
                let value = locals.get(cond).copied().or_else(|| cond.parse::<f64>().ok());
                match value {
                    Some(v) if v == 0.0 => skip_block(&mut sc).map_err(|m| unsupported(m))?,
                    Some(_) => {
                        return Err(unsupported(format!(
                            "`if {cond}` is true here, and the block changes the data by code"
                        )))
                    }
                    None => return Err(unsupported(format!("`if {cond}` is not a flag set in the file"))),
                }
                continue;
            }
            other => {
                sc.skip_blanks();
                if sc.peek() == Some(b'=') && sc.s.get(sc.i + 1) != Some(&b'=') && tests_flag(&sc.s[sc.i..], other) {
                    // A flag such as `fixed = 0;` that an `if` further on tests.
                    sc.i += 1;
                    if let Value::Scalar(x) = sc.value(other)? {
                        locals.insert(other.to_string(), x);
                        continue;
                    }
                }
                sc.skip_to_eol();
                return Err(unsupported(format!("`{other} …` is not a data assignment")));
            }
        }
        if sc.peek() != Some(b'.') {
            return Err(unsupported("`mpc` must be followed by .field".into()));
        }
        sc.i += 1;
        let field = sc.ident();
        sc.skip_blanks();
        if sc.peek() != Some(b'=') || sc.s.get(sc.i + 1) == Some(&b'=') {
            sc.skip_to_eol();
            return Err(unsupported(format!(
                "`mpc.{field}` is changed by code (indexing or an operator), not assigned as data"
            )));
        }
        sc.i += 1;
        let item = format!("mpc.{field}");
        if field == "branch" {
            if let Ahead::Reading(_) = ahead {
                let Ahead::Reading(h) = std::mem::replace(ahead, Ahead::None) else { unreachable!() };
                let r = h.join().map_err(|_| {
                    InputError::new(file, &item, "could not be read", "report this: the reader stopped")
                })?;
                *ahead = Ahead::Done(r);
            }
        }
        let v = match ahead {
            Ahead::Done(Some(r)) if field == "branch" && r.at == sc.i => {
                let Ahead::Done(Some(r)) = std::mem::replace(ahead, Ahead::None) else { unreachable!() };
                (sc.i, sc.line, sc.line_start) = (r.i, r.line, r.line_start);
                r.value?
            }
            _ => sc.value(&item)?,
        };
        match (field.as_str(), v) {
            ("baseMVA", Value::Scalar(x)) => base = Some((x, line)),
            ("bus", Value::Matrix(m)) => busm = Some(to_matrix(file, "bus", m, bus::MIN_COLS)?),
            ("gen", Value::Matrix(m)) => genm = Some(to_matrix(file, "gen", m, gen::MIN_COLS)?),
            ("branch", Value::Matrix(m)) => brm = Some(to_matrix(file, "branch", m, super::network::branch::MIN_COLS)?),
            ("baseMVA" | "bus" | "gen" | "branch", _) => {
                return Err(InputError::new(
                    file,
                    item,
                    "has the wrong kind of value",
                    "baseMVA takes a number; bus, gen and branch take matrices",
                )
                .at(Some((line, col))))
            }
            ("version", _) => {}
            (other, _) => {
                if !ignored.contains(&other.to_string()) {
                    ignored.push(other.to_string());
                }
            }
        }
    }
    let Some((base_mva, _)) = base else {
        return Err(InputError::new(file, "mpc.baseMVA", "is missing", "add mpc.baseMVA = 100; (the MVA base)"));
    };
    let busm = busm.ok_or_else(|| InputError::new(file, "mpc.bus", "is missing", "add the bus matrix"))?;
    let genm = genm.unwrap_or_else(|| Matrix::new(gen::MIN_COLS));
    let brm = brm.unwrap_or_else(|| Matrix::new(super::network::branch::MIN_COLS));
    Ok(Network {
        name,
        source: file.to_string(),
        base_mva,
        bus: busm,
        gen: genm,
        branch: brm,
        ignored,
        bus_names: vec![],
        branch_names: vec![],
        gen_names: vec![],
    })
}

/// Whether some later line is `if <name>`: only such a flag may be set by a case file.
fn tests_flag(rest: &[u8], name: &str) -> bool {
    let text = String::from_utf8_lossy(rest);
    text.lines().any(|l| {
        let l = l.trim_start();
        l.strip_prefix("if").is_some_and(|c| {
            c.starts_with([' ', '\t'])
                && c.split(['%', '#']).next().unwrap_or("").trim().trim_end_matches([',', ';']).trim() == name
        })
    })
}

/// Skip the statements of an `if` block whose condition is false, up to its `end`
/// (nested blocks counted by their first word); an `else` branch would run, so it is
/// refused.
fn skip_block(sc: &mut Scan) -> Result<(), String> {
    let mut depth = 1;
    loop {
        sc.skip_space();
        let Some(c) = sc.peek() else { return Err("`if` block has no `end`".into()) };
        if !c.is_ascii_alphabetic() {
            sc.skip_to_eol();
            continue;
        }
        let w = sc.ident();
        match w.as_str() {
            "if" | "for" | "while" | "switch" | "try" | "parfor" => depth += 1,
            "end" | "endif" | "endfor" | "endwhile" | "endswitch" | "end_try_catch" => {
                depth -= 1;
                if depth == 0 {
                    return Ok(());
                }
            }
            "else" | "elseif" if depth == 1 => return Err("an `if` with an `else` branch would run code".into()),
            _ => {}
        }
        sc.skip_to_eol();
    }
}

/// A number as MATPOWER writes it and this reader reads back exactly.
fn fmt_num(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "Inf" } else { "-Inf" }.into()
    } else {
        // Debug formatting is the shortest text that parses back to the same f64.
        format!("{v:?}")
    }
}

/// The network as .m text.
pub fn to_matpower_string(net: &Network) -> String {
    let mut o = String::new();
    let fname: String = net.name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    let fname = if fname.starts_with(|c: char| c.is_ascii_alphabetic()) { fname } else { format!("case_{fname}") };
    let _ = writeln!(o, "function mpc = {fname}");
    let _ = writeln!(o, "% written by thermogrid {} from {}", env!("CARGO_PKG_VERSION"), net.source);
    let _ = writeln!(o, "mpc.version = '2';");
    let _ = writeln!(o, "mpc.baseMVA = {};", fmt_num(net.base_mva));
    for (name, m) in [("bus", &net.bus), ("gen", &net.gen), ("branch", &net.branch)] {
        let _ = writeln!(o, "\nmpc.{name} = [");
        for r in 0..m.rows() {
            let row: Vec<String> = m.row(r).iter().map(|&v| fmt_num(v)).collect();
            let _ = writeln!(o, "\t{};", row.join("\t"));
        }
        let _ = writeln!(o, "];");
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_comments_and_a_bom_are_read_as_matlab_does() {
        let plain = parse_matpower("t.m", CASE).unwrap();
        let commented = CASE.replace(
            "mpc.branch = [\n",
            "mpc.branch = [\n%{\n 1 3 0 0.1 0 0 0 0 0 0 1 -360 360;\n  %{\n 2 1 0 0.1 0 0 0 0 0 0 1 -360 360;\n  %}\n%}\n",
        );
        let c = parse_matpower("t.m", &format!("\u{feff}{commented}")).unwrap();
        assert_eq!(c.branch.rows(), plain.branch.rows());
        assert_eq!(c.branch.row(0), plain.branch.row(0));
        let open = CASE.replace("mpc.branch = [\n", "mpc.branch = [\n%{\n");
        let e = parse_matpower("t.m", &open).unwrap_err();
        assert!(e.to_string().contains("never closed"), "{e}");
        // A whole branch statement commented out before the real one: the read-ahead
        // finds the commented one first, and its result is not used.
        let old = CASE.replace(
            "mpc.branch = [\n",
            "%{\nmpc.branch = [\n 1 2 0 9 0 0 0 0 0 0 1 -360 360;\n];\n%}\nmpc.branch = [\n",
        );
        assert_eq!(parse_matpower("t.m", &old).unwrap().branch.data, plain.branch.data);
    }

    /// A mapped case file (over 1 MiB) that is not UTF-8 is refused, naming the file, while
    /// its branch matrix is being read ahead; the same file as text reads as the string does.
    #[test]
    fn a_large_case_file_is_checked_to_be_text() {
        let dir = std::env::temp_dir().join(format!("tg_mp_utf8_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let filler = "% filler\n".repeat(120_000);
        let good = format!("{filler}{CASE}");
        let p = dir.join("good.m");
        std::fs::write(&p, &good).unwrap();
        let n = read_matpower(p.to_str().unwrap()).unwrap();
        assert_eq!(n.branch.data, parse_matpower("t.m", CASE).unwrap().branch.data);
        let mut bad = good.into_bytes();
        bad[500] = 0xff;
        let p = dir.join("bad.m");
        std::fs::write(&p, &bad).unwrap();
        let e = read_matpower(p.to_str().unwrap()).unwrap_err().to_string();
        assert!(e.contains("bad.m") && e.contains("UTF-8"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    const CASE: &str = "function mpc = tiny\n% comment\nmpc.version = '2';\nmpc.baseMVA = 50/3;\nmpc.bus = [\n\t1 3 0 0 0 0 1 1 0 135/sqrt(3) 1 1.1 0.9;\n\t2\t1  1e1 0 0 0 1 1 -2 -135 1 1.1 0.9 % row without its ;\n\t3, 1, -5, 0, 0, 0, 1, 1, 0, 1, 1, Inf, 0.9\n];\nmpc.gen = [1 10 0 0 0 1 100 1 Inf -Inf];\nmpc.branch = [\n 1 2 0 0.1 0 0 0 0 0 0 1 -360 360;\n 2 3 0 -.2 0 0 0 0 1.05 -3 1 -360 360;\n];\nmpc.gencost = [2 0 0 3 0.1 1 0];\nmpc.bus_name = {\n 'a%b';\n 'c';\n};\n";

    /// case8387pegase's construct: a flag set to 0 and an `if flag … end` that would
    /// change the data by code. False: skipped, the data read as they are. True, an
    /// `else`, or a condition that is not a flag: refused with the line.
    #[test]
    fn a_false_flag_block_is_skipped_and_a_true_one_refused() {
        let block = "\nif fixed\n    [GEN_BUS, PG] = idx_gen;\n    k = find(isinf(mpc.gen(:, 4)));\n    if any(k)\n        mpc.gen(k, 9) = 1;\n    end\nend\n";
        let with = |flag: &str, tail: &str| format!("{}\nfixed = {flag};  %% change to 1 to fix\n{block}{tail}", CASE);
        let plain = parse_matpower("t.m", CASE).unwrap();
        let off = parse_matpower("t.m", &with("0", "")).unwrap();
        assert_eq!(off.gen.data, plain.gen.data);
        assert_eq!(off.bus.data, plain.bus.data);
        let on = parse_matpower("t.m", &with("1", "")).unwrap_err().to_string();
        assert!(on.contains("if fixed") && on.contains("true"), "{on}");
        let els = with("0", "").replace(
            "        mpc.gen(k, 9) = 1;\n    end\nend",
            "        mpc.gen(k, 9) = 1;\n    end\nelse\n  mpc.gen(1, 2) = 5;\nend",
        );
        let e = parse_matpower("t.m", &els).unwrap_err().to_string();
        assert!(e.contains("else"), "{e}");
        let e = parse_matpower("t.m", &format!("{CASE}\nif undefined_flag\nend\n")).unwrap_err().to_string();
        assert!(e.contains("undefined_flag") && e.contains(':'), "{e}");
        let e = parse_matpower("t.m", &format!("{CASE}\nif 0\n x = 1;\n")).unwrap_err().to_string();
        assert!(e.contains("no `end`"), "{e}");
    }

    /// The tight loop for plain rows and the general reader agree: the same bus matrix
    /// written plainly, and with what sends every row to the general reader (a comment,
    /// a continuation, arithmetic), reads to the same bits; `1 -2` is two elements and
    /// `1 - 2` one, as in MATLAB.
    #[test]
    fn plain_rows_read_as_the_general_reader_does() {
        let plain = "mpc.baseMVA = 100;\nmpc.bus = [\n\t1\t3\t0\t-0.5\t0\t0\t1\t1.04\t0\t345\t1\t1.1\t0.9;\n 2 1 21.7, 12.7 0 0 1 1.045 -4.98 345 1 1.1 .9\n];\nmpc.gen = [1 0 0 0 0 1 100 1 200 0];\n";
        let general = "mpc.baseMVA = 100;\nmpc.bus = [\n\t1\t3\t0\t-1/2\t0\t0\t1\t1.04\t0\t345\t1\t1.1\t0.9; % slack\n 2 1 21.7, 12.7 0 0 1 1.045 ...\n -4.98 345 1 1.1 .9\n];\nmpc.gen = [1 0 0 0 0 1 100 1 200 0];\n";
        let a = parse_matpower("a.m", plain).unwrap();
        let b = parse_matpower("b.m", general).unwrap();
        let bits = |m: &Matrix| m.data.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a.bus), bits(&b.bus));
        assert_eq!(a.bus.rows(), 2);
        let two = parse_matpower(
            "c.m",
            "mpc.baseMVA = 100;\nmpc.x = [1 -2; 1 - 2 0];\nmpc.bus = [1 3 0 0 0 0 1 1 0 345 1 1.1 0.9];\n",
        );
        assert!(two.is_ok());
        let s = "mpc.baseMVA = 100;\nmpc.bus = [1 3 0 0 0 0 1 1 0 345 1 1.1 0.9; 2 1 1 -2 0 0 1 1 0 345 1 1.1 0.9];\n";
        let n = parse_matpower("d.m", s).unwrap();
        assert_eq!(n.bus.get(1, 3), -2.0);
        let s =
            "mpc.baseMVA = 100;\nmpc.bus = [1 3 0 0 0 0 1 1 0 345 1 1.1 0.9; 2 1 1 - 2 0 0 0 1 1 0 345 1 1.1 0.9];\n";
        let n = parse_matpower("e.m", s).unwrap();
        assert_eq!(n.bus.get(1, 2), -1.0, "1 - 2 is one element");
    }

    /// The branch matrix read ahead on a second thread: the same network as reading it
    /// in line, an error inside it at its true line, and a look-alike inside a cell
    /// array ignored.
    #[test]
    fn branch_read_ahead_is_the_same_as_reading_in_line() {
        let plain = parse_matpower("t.m", CASE).unwrap();
        // The same text with the branch statement indented: no read-ahead.
        let inline = parse_matpower("t.m", &CASE.replace("\nmpc.branch", "\n mpc.branch")).unwrap();
        assert_eq!(plain, inline);
        let bad = CASE.replacen("mpc.branch = [\n", "mpc.branch = [\n1 2 0 zz 0 0 0 0 0 0 1 -360 360;\n", 1);
        let line = bad.lines().position(|l| l.contains("zz")).unwrap() + 1;
        let e = parse_matpower("t.m", &bad).unwrap_err();
        assert_eq!(e.line, Some(line), "{e}");
        let decoy = format!("mpc.bus_name = {{\n'x';\nmpc.branch = [ 1 2 ];\n}};\n{CASE}");
        let n = parse_matpower("t.m", &decoy).unwrap();
        assert_eq!(n.branch.data, plain.branch.data);
    }

    #[test]
    fn reads_expressions_separators_and_ignores_extras() {
        let n = parse_matpower("tiny.m", CASE).unwrap();
        assert_eq!(n.name, "tiny");
        assert!((n.base_mva - 50.0 / 3.0).abs() < 1e-14);
        assert_eq!(n.bus.rows(), 3);
        assert!((n.bus.get(0, bus::BASE_KV) - 135.0 / 3f64.sqrt()).abs() < 1e-12);
        assert_eq!(n.bus.get(1, bus::PD), 10.0);
        assert_eq!(n.bus.get(1, bus::VA), -2.0);
        assert_eq!(n.bus.get(1, bus::BASE_KV), -135.0);
        assert_eq!(n.bus.get(2, bus::VMAX), f64::INFINITY);
        assert_eq!(n.bus.lines, vec![6, 7, 8]);
        assert_eq!(n.gen.get(0, gen::PMIN), f64::NEG_INFINITY);
        assert_eq!(n.branch.get(1, super::super::network::branch::BR_X), -0.2);
        assert_eq!(n.ignored, vec!["gencost".to_string(), "bus_name".to_string()]);
    }

    #[test]
    fn writes_back_identically() {
        let n = parse_matpower("tiny.m", CASE).unwrap();
        let text = to_matpower_string(&n);
        let mut m = parse_matpower("tiny.m", &text).unwrap();
        m.ignored = n.ignored.clone();
        m.bus.lines = n.bus.lines.clone();
        m.gen.lines = n.gen.lines.clone();
        m.branch.lines = n.branch.lines.clone();
        assert_eq!(m.base_mva.to_bits(), n.base_mva.to_bits());
        assert_eq!(m, n);
    }

    #[test]
    fn rejects_code() {
        let bad = CASE.replace("mpc.gencost", "mpc.branch(:, [3 4]) = mpc.branch(:, [3 4]) / 2;\nmpc.gencost");
        let e = parse_matpower("t.m", &bad).unwrap_err();
        assert_eq!(e.line, Some(15), "{e}");
        assert!(e.to_string().contains("changed by code"), "{e}");
        let e = parse_matpower("t.m", "mpc.baseMVA = 100;\nVbase = 12.66;\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        let e = parse_matpower("t.m", "mpc.baseMVA = 100;\nmpc.bus = [1 3 0 0 0 0 1 1 0 x 1 1 1];\n").unwrap_err();
        assert!(e.to_string().contains("unknown name `x`"), "{e}");
    }
}
