//! What an import found wrong: each problem as `file:line: column: message (value)`.

use serde::Serialize;

/// At most this many problems are kept in full (the count is always exact).
const KEEP: usize = 1000;

#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: u64,
    pub column: String,
    pub message: String,
    pub value: String,
    /// The row's position among the file's records (0 = the first after the header): the
    /// index of the input row for a GraphQL roster write.
    #[serde(skip)]
    pub record: u64,
    #[serde(skip)]
    pub code: Code,
}

/// What kind of problem: a value to correct, a reference to nothing the caller may see, or a
/// sourcedId taken by a record the caller may not change.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Code {
    #[default]
    Invalid,
    NotFound,
    Conflict,
}

impl Problem {
    pub fn new(file: &str, line: u64, column: &str, message: impl Into<String>, value: &str) -> Problem {
        // A value is shown to help find the row, not to copy a record into logs.
        let value: String = value.chars().take(80).collect();
        Problem {
            file: file.to_owned(),
            line,
            column: column.to_owned(),
            message: message.into(),
            value,
            record: 0,
            code: Code::Invalid,
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}: {}", self.file, self.line, self.column, self.message)?;
        if !self.value.is_empty() {
            write!(f, " ({})", self.value)?;
        }
        Ok(())
    }
}

#[derive(Debug, Default)]
pub struct Problems {
    pub problems: Vec<Problem>,
    pub problem_count: u64,
    pub warnings: Vec<Problem>,
    pub warning_count: u64,
    /// Print each problem and warning to standard error as it is found (the CLI).
    pub echo: bool,
}

impl Problems {
    pub fn problem(&mut self, p: Problem) {
        if self.echo {
            eprintln!("{p}");
        }
        self.problem_count += 1;
        if self.problems.len() < KEEP {
            self.problems.push(p);
        }
    }

    pub fn warn(&mut self, p: Problem) {
        if self.echo {
            eprintln!("warning: {p}");
        }
        self.warning_count += 1;
        if self.warnings.len() < KEEP {
            self.warnings.push(p);
        }
    }
}
