//! Errors shared by the library and the CLI, with the CLI's exit codes.

use std::fmt;

/// Bad input: names the file, where in it, the item, what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    pub file: String,
    /// 1-based line and column, where known.
    pub line: Option<usize>,
    pub col: Option<usize>,
    /// The item at fault (`rack "A-03"`, `[floor]`, `dataset k`).
    pub item: String,
    pub message: String,
    /// What to change.
    pub fix: String,
}

impl InputError {
    pub fn new(file: &str, item: impl Into<String>, message: impl Into<String>, fix: impl Into<String>) -> Self {
        InputError {
            file: file.to_string(),
            line: None,
            col: None,
            item: item.into(),
            message: message.into(),
            fix: fix.into(),
        }
    }
    pub fn at(mut self, pos: Option<(usize, usize)>) -> Self {
        if let Some((l, c)) = pos {
            self.line = Some(l);
            self.col = Some(c);
        }
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let (Some(l), Some(c)) = (self.line, self.col) {
            write!(f, ":{l}:{c}")?;
        }
        write!(f, ": {}: {}", self.item, self.message)?;
        if !self.fix.is_empty() {
            write!(f, "\n  fix: {}", self.fix)?;
        }
        Ok(())
    }
}

impl std::error::Error for InputError {}

/// Every error thermogrid reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Input(#[from] InputError),
    #[error(
        "the solver did not converge: relative residual {relative_residual:.3e} after {iterations} \
         iterations (asked for {tol:.1e}); results were not written"
    )]
    NotConverged { iterations: usize, relative_residual: f64, tol: f64 },
    #[error(
        "the AC power flow did not converge: worst mismatch {mismatch_mva:.3e} MVA ({kind}) at {bus} \
         after {iterations} Newton iterations; results were not written"
    )]
    PowerFlowNotConverged { iterations: usize, mismatch_mva: f64, kind: String, bus: String },
    /// A power flow that has no solution as posed (e.g. reactive limits that cannot all
    /// be met).
    #[error("{0}; results were not written")]
    PowerFlowFailed(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// 0 ok, 1 the solver did not converge (or failed inside), 2 bad input.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Input(_) | Error::Unsupported(_) => 2,
            Error::NotConverged { .. }
            | Error::PowerFlowNotConverged { .. }
            | Error::PowerFlowFailed(_)
            | Error::Internal(_) => 1,
        }
    }
}

/// 1-based (line, column) of a byte offset in `src`.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map(|p| before[p + 1..].chars().count() + 1).unwrap_or(before.chars().count() + 1);
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let s = "a = 1\nbb = 2\n";
        assert_eq!(line_col(s, 0), (1, 1));
        assert_eq!(line_col(s, 6), (2, 1));
        assert_eq!(line_col(s, 9), (2, 4));
        assert_eq!(line_col(s, 1000), (3, 1));
    }

    #[test]
    fn input_error_names_file_position_item_and_fix() {
        let e = InputError::new("f.toml", "rack \"A\"", "is bad", "fix it").at(Some((3, 7)));
        assert_eq!(e.to_string(), "f.toml:3:7: rack \"A\": is bad\n  fix: fix it");
        assert_eq!(Error::from(e).exit_code(), 2);
        assert_eq!(Error::NotConverged { iterations: 1, relative_residual: 1.0, tol: 1e-10 }.exit_code(), 1);
    }
}
