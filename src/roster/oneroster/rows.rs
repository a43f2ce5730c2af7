//! Reading one CSV row of a OneRoster file: its columns by name (in any order), each value
//! checked as the binding defines it, every problem reported with its file, line and column.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::problems::{Code, Problem, Problems};

/// CEDS grade levels (the binding's `grades` vocabulary).
const GRADES: [&str; 19] =
    ["IT", "PR", "PK", "TK", "KG", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "PS"];

/// The columns a file's header names, by position.
pub struct Columns {
    /// foldhash: every value an import reads is looked up here by its column's name.
    index: HashMap<String, usize, foldhash::fast::RandomState>,
    pub count: usize,
}

impl Columns {
    /// Reads the header: reports unknown columns as warnings and missing required ones as
    /// problems (`None`: the file can't be read).
    pub fn read(
        file: &'static str,
        header: &csv::StringRecord,
        required: &[&str],
        optional: &[&str],
        problems: &mut Problems,
    ) -> Option<Columns> {
        let mut index = HashMap::default();
        for (i, name) in header.iter().enumerate() {
            let name = name.trim_start_matches('\u{feff}').trim();
            if index.insert(name.to_owned(), i).is_some() {
                problems.problem(Problem::new(file, 1, name, "the column appears twice", ""));
                return None;
            }
            let known = required.contains(&name) || optional.contains(&name) || COMMON.contains(&name);
            if name.starts_with("metadata.") {
                problems.warn(Problem::new(file, 1, name, "extension column, not stored", ""));
            } else if !known {
                problems.warn(Problem::new(file, 1, name, "unknown column, ignored", ""));
            }
        }
        let mut ok = true;
        for name in required {
            if !index.contains_key(*name) {
                problems.problem(Problem::new(file, 1, name, "required column missing", ""));
                ok = false;
            }
        }
        ok.then_some(Columns { index, count: header.len() })
    }

    pub fn has(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }
}

/// Columns every file may have.
const COMMON: [&str; 3] = ["sourcedId", "status", "dateLastModified"];

/// One row being read; `bad` once any of its values was refused.
pub struct Row<'a> {
    pub file: &'static str,
    pub line: u64,
    /// The record's index among the file's rows.
    pub record: u64,
    rec: &'a csv::StringRecord,
    cols: &'a Columns,
    pub problems: &'a mut Problems,
    pub bad: bool,
}

impl<'a> Row<'a> {
    pub fn new(file: &'static str, rec: &'a csv::StringRecord, cols: &'a Columns, problems: &'a mut Problems) -> Self {
        let line = rec.position().map_or(0, |p| p.line());
        let record = rec.position().map_or(0, |p| p.record().saturating_sub(1));
        let mut row = Row { file, line, record, rec, cols, problems, bad: false };
        if rec.len() != cols.count {
            let msg = format!("the row has {} fields, the header {}", rec.len(), cols.count);
            row.fail("", msg, "");
        }
        row
    }

    pub fn fail(&mut self, column: &str, message: impl Into<String>, value: &str) {
        self.fail_as(Code::Invalid, column, message, value);
    }

    pub fn fail_as(&mut self, code: Code, column: &str, message: impl Into<String>, value: &str) {
        self.bad = true;
        let mut p = Problem::new(self.file, self.line, column, message, value);
        p.record = self.record;
        p.code = code;
        self.problems.problem(p);
    }

    pub fn warn(&mut self, column: &str, message: impl Into<String>, value: &str) {
        self.problems.warn(Problem::new(self.file, self.line, column, message, value));
    }

    /// The trimmed value, `None` when the column is absent or the value empty.
    pub fn opt(&self, column: &str) -> Option<&'a str> {
        let i = *self.cols.index.get(column)?;
        let v = self.rec.get(i)?.trim();
        (!v.is_empty()).then_some(v)
    }

    /// An optional text value of at most `max` characters.
    pub fn text(&mut self, column: &str, max: usize) -> Option<String> {
        let v = self.opt(column)?;
        if v.chars().count() > max {
            self.fail(column, format!("longer than {max} characters"), v);
            return None;
        }
        Some(v.to_owned())
    }

    /// A required text value.
    pub fn req(&mut self, column: &str, max: usize) -> String {
        match self.text(column, max) {
            Some(v) => v,
            None => {
                if self.opt(column).is_none() {
                    self.fail(column, "required value missing", "");
                }
                String::new()
            }
        }
    }

    /// A required value from `allowed` (or an `ext:` extension when `ext`).
    pub fn vocab(&mut self, column: &str, allowed: &[&str], ext: bool) -> String {
        let Some(v) = self.opt(column) else {
            self.fail(column, "required value missing", "");
            return String::new();
        };
        if allowed.contains(&v) || (ext && v.starts_with("ext:") && v.len() > 4 && v.len() <= 64) {
            return v.to_owned();
        }
        self.fail(column, format!("must be one of {}", allowed.join(", ")), v);
        String::new()
    }

    /// A comma-separated list (`"09,10"`), entries trimmed, empty entries dropped.
    pub fn list(&mut self, column: &str) -> Vec<String> {
        self.opt(column)
            .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// A list of sourcedIds.
    pub fn ids(&mut self, column: &str) -> Vec<String> {
        let ids = self.list(column);
        for id in &ids {
            if id.len() > 255 {
                self.fail(column, "a sourcedId is at most 255 characters", id);
            }
        }
        ids
    }

    /// CEDS grade codes.
    pub fn grades(&mut self, column: &str) -> Vec<String> {
        let grades = self.list(column);
        for g in &grades {
            let ok =
                GRADES.contains(&g.as_str()) || g == "UG" || g == "Other" || (g.starts_with("ext:") && g.len() <= 64);
            if !ok {
                self.fail(column, "not a CEDS grade level (IT, PR, PK, TK, KG, 01-13, PS, UG, Other)", g);
            }
        }
        grades
    }

    /// An optional `YYYY-MM-DD` date.
    pub fn date(&mut self, column: &str) -> Option<NaiveDate> {
        let v = self.opt(column)?;
        let date = ymd(v);
        if date.is_none() {
            self.fail(column, "not a date (YYYY-MM-DD)", v);
        }
        date
    }

    /// A required date.
    pub fn req_date(&mut self, column: &str) -> NaiveDate {
        if self.opt(column).is_none() {
            self.fail(column, "required value missing", "");
        }
        self.date(column).unwrap_or_default()
    }

    /// An optional `true`/`false`.
    pub fn boolean(&mut self, column: &str) -> Option<bool> {
        let v = self.opt(column)?;
        match v.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => {
                self.fail(column, "must be true or false", v);
                None
            }
        }
    }

    /// An optional finite number.
    pub fn number(&mut self, column: &str) -> Option<f64> {
        let v = self.opt(column)?;
        match v.parse::<f64>() {
            Ok(n) if n.is_finite() => Some(n),
            _ => {
                self.fail(column, "not a number", v);
                None
            }
        }
    }

    /// A required date and time; a date alone (`2026-09-01`) is read as its midnight UTC.
    pub fn req_moment(&mut self, column: &str) -> DateTime<Utc> {
        let Some(v) = self.opt(column) else {
            self.fail(column, "required value missing", "");
            return DateTime::<Utc>::MIN_UTC;
        };
        if let Some(d) = ymd(v) {
            return d.and_time(chrono::NaiveTime::MIN).and_utc();
        }
        self.datetime(column).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// An optional ISO 8601 date and time, to the microsecond (what the databases keep).
    pub fn datetime(&mut self, column: &str) -> Option<DateTime<Utc>> {
        let v = self.opt(column)?;
        let t = moment(v);
        if t.is_none() {
            self.fail(column, "not a date and time (ISO 8601, e.g. 2026-09-01T08:00:00.000Z)", v);
        }
        t
    }

    /// An email address.
    pub fn email(&mut self, column: &str) -> Option<String> {
        let v = self.text(column, 255)?;
        let ok =
            v.split_once('@').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty() && !v.contains(char::is_whitespace));
        if !ok {
            self.fail(column, "not an email address", &v);
            return None;
        }
        Some(v)
    }
}

/// A date and time as the files and roster writes give it (RFC 3339), to the microsecond the
/// databases keep.
pub(crate) fn moment(v: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(v).ok().map(|t| chrono::SubsecRound::trunc_subsecs(t.with_timezone(&Utc), 6))
}

/// A date written exactly `YYYY-MM-DD` (what the binding asks for), read without a format
/// string: an import reads hundreds of thousands.
pub(crate) fn ymd(v: &str) -> Option<NaiveDate> {
    let b = v.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)
}

#[cfg(test)]
mod tests {
    use super::ymd;
    use chrono::NaiveDate;

    #[test]
    fn dates_are_read_only_as_yyyy_mm_dd() {
        assert_eq!(ymd("2026-09-01"), NaiveDate::from_ymd_opt(2026, 9, 1));
        assert_eq!(ymd("0999-12-31"), NaiveDate::from_ymd_opt(999, 12, 31));
        for bad in [
            "2026-9-01",
            "2026-09-1",
            "2026/09/01",
            "2026-09/01",
            "2026/09-01",
            "2026-02-30",
            "2026-13-01",
            "20260901xx",
            "+026-09-01",
            "2026-0a-01",
            "",
            "2026-09-01T00",
        ] {
            assert_eq!(ymd(bad), None, "{bad}");
        }
    }
}
