//! What a caller types, validated once, when it is parsed: every domain takes its texts and
//! dates through these types, so one rule (and one message) holds for each kind of input
//! whatever the transport. Money has its own scalar ([`crate::redesign::money::Money`]).

use chrono::{Datelike, NaiveDate};

use crate::error::{AppError, AppResult};

/// The rule every caller's text obeys: no NUL (PostgreSQL refuses it in text), not blank, at
/// most `max` characters. Identifiers (sourcedIds) are checked with it as given, untrimmed.
pub fn check_text(field: &str, value: &str, max: usize) -> AppResult<()> {
    if value.contains('\0') {
        return Err(AppError::validation(field, "must not contain NUL characters"));
    }
    if value.trim().is_empty() {
        return Err(AppError::validation(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(AppError::validation(field, format!("must be at most {max} characters")));
    }
    Ok(())
}

/// A caller's free text (a name, a title, a description), trimmed and checked by
/// [`check_text`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text(String);

impl Text {
    /// The trimmed text, or the error naming `field`.
    pub fn parse(field: &str, raw: &str, max: usize) -> AppResult<Text> {
        let trimmed = raw.trim();
        check_text(field, trimmed, max)?;
        Ok(Text(trimmed.to_owned()))
    }

    /// An optional text: absent or blank is `None` (a blank clears a field).
    pub fn optional(field: &str, raw: Option<&str>, max: usize) -> AppResult<Option<Text>> {
        match raw.map(str::trim) {
            None | Some("") => Ok(None),
            Some(v) => Text::parse(field, v, max).map(Some),
        }
    }

    /// A list of texts, each checked (`field.i` names the bad one), at most `max_items`.
    pub fn list(field: &str, raw: &[String], max_items: usize, max: usize) -> AppResult<Vec<Text>> {
        if raw.len() > max_items {
            return Err(AppError::validation(field, format!("at most {max_items} entries")));
        }
        raw.iter().enumerate().map(|(i, item)| Text::parse(&format!("{field}.{i}"), item, max)).collect()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<Text> for String {
    fn from(t: Text) -> String {
        t.0
    }
}

/// A calendar date a caller gives (due dates, award dates, windows): between 1900 and 2200,
/// so that SQLite's text order and PostgreSQL's date order agree, and nobody plans for the
/// year 10000.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(NaiveDate);

impl Date {
    pub fn parse(field: &str, d: NaiveDate) -> AppResult<Date> {
        if (1900..=2200).contains(&d.year()) {
            Ok(Date(d))
        } else {
            Err(AppError::validation(field, "must be a date between 1900 and 2200"))
        }
    }

    pub fn get(self) -> NaiveDate {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(r: AppResult<impl std::fmt::Debug>) -> String {
        match r.unwrap_err() {
            AppError::Validation { field, message } => format!("{field}: {message}"),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn text_is_trimmed_and_checked_once() {
        assert_eq!(Text::parse("f", "  Ratio tables ", 20).unwrap().as_str(), "Ratio tables");
        assert_eq!(message(Text::parse("f", "   ", 20)), "f: must not be empty");
        assert_eq!(message(Text::parse("f", "a\0b", 20)), "f: must not contain NUL characters");
        assert_eq!(message(Text::parse("f", "ééééé", 4)), "f: must be at most 4 characters");
        // Characters, not bytes.
        assert_eq!(Text::parse("f", "éééé", 4).unwrap().as_str(), "éééé");
        assert_eq!(Text::optional("f", Some("  "), 4).unwrap(), None);
        assert_eq!(Text::optional("f", None, 4).unwrap(), None);
        assert_eq!(message(Text::optional("f", Some("toolong"), 4)), "f: must be at most 4 characters");
    }

    #[test]
    fn lists_name_the_bad_entry_and_cap_their_length() {
        let items = vec!["ok".to_owned(), " ".to_owned()];
        assert_eq!(message(Text::list("input.strengths", &items, 5, 10)), "input.strengths.1: must not be empty");
        assert_eq!(message(Text::list("input.strengths", &items, 1, 10)), "input.strengths: at most 1 entries");
        let fine = Text::list("input.strengths", &["a ".to_owned()], 1, 10).unwrap();
        assert_eq!(fine, vec![Text("a".to_owned())]);
    }

    #[test]
    fn identifiers_are_checked_as_given() {
        assert!(check_text("input.sourcedId", " s-1", 10).is_ok());
        assert_eq!(
            message(check_text("input.sourcedId", "s-12345678901", 10).map(|_| ())),
            "input.sourcedId: must be at most 10 characters"
        );
    }

    #[test]
    fn dates_stay_within_the_range_both_databases_order_alike() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(Date::parse("f", d(1900, 1, 1)).unwrap().get(), d(1900, 1, 1));
        assert_eq!(Date::parse("f", d(2200, 12, 31)).unwrap().get(), d(2200, 12, 31));
        assert_eq!(message(Date::parse("f", d(1899, 12, 31))), "f: must be a date between 1900 and 2200");
        assert_eq!(message(Date::parse("f", d(2201, 1, 1))), "f: must be a date between 1900 and 2200");
    }
}
