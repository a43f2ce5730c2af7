//! Money: exact amounts in integer cents, exchanged as decimal strings in dollars ("175000.00")
//! so that no client or server ever rounds through a float.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};

/// An amount of US dollars, exact to the cent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Money(pub i64);

/// The largest amount accepted: a trillion dollars, far above any grant, far below overflow.
const MAX_CENTS: i64 = 100_000_000_000_000;

impl Money {
    /// Parses "1250", "1250.5" or "1250.50"; no sign, exponent, separators or fractions of a cent.
    pub fn parse(text: &str) -> Option<Money> {
        let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || whole.len() > 13 || !digits(whole) || frac.len() > 2 || !digits(frac) {
            return None;
        }
        if text.ends_with('.') {
            return None;
        }
        let dollars: i64 = whole.parse().ok()?;
        let cents: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().ok()? * 10,
            _ => frac.parse().ok()?,
        };
        let total = dollars.checked_mul(100)?.checked_add(cents)?;
        (total <= MAX_CENTS).then_some(Money(total))
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// US dollars as a decimal string with at most two decimals, e.g. `"175000.00"`. Exact: stored
/// as integer cents, never a float.
#[Scalar(name = "Money")]
impl ScalarType for Money {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => Money::parse(s).ok_or_else(|| {
                InputValueError::custom(
                    "expected dollars as a decimal string with at most two decimals, e.g. \"1250.00\"",
                )
            }),
            _ => Err(InputValueError::custom("Money is a decimal string, e.g. \"1250.00\", never a number")),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::Money;

    #[test]
    fn parses_exact_amounts_and_refuses_the_rest() {
        assert_eq!(Money::parse("175000"), Some(Money(17_500_000)));
        assert_eq!(Money::parse("0.5"), Some(Money(50)));
        assert_eq!(Money::parse("12.34"), Some(Money(1234)));
        for bad in ["", ".5", "1.", "1.234", "-1", "+1", "1e3", "1,000", " 1", "NaN", "99999999999999"] {
            assert_eq!(Money::parse(bad), None, "{bad}");
        }
        assert_eq!(Money(17_500_001).to_string(), "175000.01");
        assert_eq!(Money(-5).to_string(), "-0.05");
    }
}
