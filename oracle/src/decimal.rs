//! Exact decimal scaling: a decimal number's text → an integer with `decimals` digits after the
//! point, the way Chainlink feeds carry prices (`int256` answer + `decimals()`).
//!
//! The text is parsed digit by digit into a 256-bit signed integer ([`I256`]); no binary float
//! is involved, so `"1234.5678"` at 8 decimals is exactly `123456780000`. Digits beyond
//! `decimals` are truncated toward zero (`"0.123456789"` at 8 decimals → `12345678`), as integer
//! division does in Solidity. An exponent (`1.5e3`, `2E-2`) is applied before truncation.
//!
//! JSON numbers reach this parser as serde_json prints them: integers exactly, non-integers as
//! the shortest text that reads back to the same `f64` (so any number with at most 15
//! significant digits keeps its text exactly; longer ones arrive as their nearest `f64`). Sources
//! that need more precision publish the number as a JSON string, which is parsed exactly.

use alloy_primitives::I256;

/// Why a text is not a decimal number that fits.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// Not of the form `[+-]digits[.digits][(e|E)[+-]digits]`.
    #[error("{text:?} is not a decimal number")]
    Syntax {
        /// The text given.
        text: String,
    },
    /// The scaled value does not fit in an `int256`.
    #[error("{text:?} scaled to {decimals} decimals overflows int256")]
    Overflow {
        /// The text given.
        text: String,
        /// The requested decimals.
        decimals: u8,
    },
}

/// `text` × 10^`decimals`, truncated toward zero, as an `int256`.
///
/// # Errors
/// [`DecimalError::Syntax`] for anything but a plain decimal (no `NaN`, `inf`, hex or
/// thousands separators), [`DecimalError::Overflow`] when the result leaves `int256`.
pub fn scale(text: &str, decimals: u8) -> Result<I256, DecimalError> {
    let syntax = || DecimalError::Syntax { text: text.to_string() };
    let overflow = || DecimalError::Overflow { text: text.to_string(), decimals };
    let trimmed = text.trim();
    let (negative, rest) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(at) => {
            let exp: i64 = rest[at + 1..].parse().map_err(|_| syntax())?;
            (&rest[..at], exp)
        }
        None => (rest, 0),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty())
        || !all_digits(int_part)
        || !all_digits(frac_part)
    {
        return Err(syntax());
    }
    // value = digits × 10^(shift), digits = int_part ‖ frac_part.
    let shift = exponent
        .checked_add(i64::from(decimals))
        .and_then(|s| s.checked_sub(frac_part.len() as i64))
        .ok_or_else(overflow)?;
    let digits = format!("{int_part}{frac_part}");
    let keep = if shift >= 0 {
        digits.len()
    } else {
        digits.len().saturating_sub(shift.unsigned_abs() as usize)
    };
    let ten = I256::try_from(10).expect("10 fits");
    let mut value = I256::ZERO;
    for b in digits[..keep].bytes() {
        value = value
            .checked_mul(ten)
            .and_then(|v| v.checked_add(I256::try_from(b - b'0').expect("a digit fits")))
            .ok_or_else(overflow)?;
    }
    if shift > 0 {
        if value.is_zero() {
            // 0 × 10^anything is 0; skip the multiplications (and a huge exponent's overflow).
        } else {
            for _ in 0..shift {
                value = value.checked_mul(ten).ok_or_else(overflow)?;
            }
        }
    }
    Ok(if negative { -value } else { value })
}

/// `value` (scaled by `decimals`) as decimal text: `123456780000` at 8 → `"1234.5678"`.
pub fn format(value: I256, decimals: u8) -> String {
    let negative = value.is_negative();
    let digits = value.unsigned_abs().to_string();
    let d = usize::from(decimals);
    let padded = if digits.len() <= d {
        format!("{}{digits}", "0".repeat(d + 1 - digits.len()))
    } else {
        digits
    };
    let (int_part, frac_part) = padded.split_at(padded.len() - d);
    let frac_part = frac_part.trim_end_matches('0');
    let sign = if negative { "-" } else { "" };
    if frac_part.is_empty() {
        format!("{sign}{int_part}")
    } else {
        format!("{sign}{int_part}.{frac_part}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn i(n: i128) -> I256 {
        I256::try_from(n).unwrap()
    }

    #[test]
    fn decimals_scale_exactly_without_float_rounding() {
        assert_eq!(scale("1234.5678", 8).unwrap(), i(123_456_780_000));
        // 0.1 + 0.2 style surprises cannot happen: the text is the value.
        assert_eq!(scale("0.3", 18).unwrap(), i(300_000_000_000_000_000));
        assert_eq!(scale("-42", 2).unwrap(), i(-4200));
        assert_eq!(scale("+7.", 0).unwrap(), i(7));
        assert_eq!(scale(".5", 1).unwrap(), i(5));
        assert_eq!(scale(" 3000 ", 8).unwrap(), i(300_000_000_000));
    }

    #[test]
    fn extra_digits_truncate_toward_zero() {
        assert_eq!(scale("0.123456789", 8).unwrap(), i(12_345_678));
        assert_eq!(scale("-0.129", 2).unwrap(), i(-12));
        assert_eq!(scale("0.001", 2).unwrap(), i(0));
    }

    #[test]
    fn exponents_shift_the_point() {
        assert_eq!(scale("1.5e3", 2).unwrap(), i(150_000));
        assert_eq!(scale("25E-2", 2).unwrap(), i(25));
        assert_eq!(scale("0e999999", 8).unwrap(), i(0));
    }

    #[test]
    fn garbage_and_overflow_are_named_errors() {
        for bad in ["", "-", ".", "abc", "1,000", "0x10", "NaN", "inf", "1e", "1.2.3", "--1"] {
            assert!(matches!(scale(bad, 8), Err(DecimalError::Syntax { .. })), "{bad:?}");
        }
        let err = scale("1e80", 8).unwrap_err();
        assert_eq!(err, DecimalError::Overflow { text: "1e80".into(), decimals: 8 });
    }

    #[test]
    fn format_inverts_scale() {
        for (text, d) in [("1234.5678", 8), ("-0.05", 2), ("0", 8), ("17", 0), ("-3", 4)] {
            assert_eq!(format(scale(text, d).unwrap(), d), text);
        }
    }
}
