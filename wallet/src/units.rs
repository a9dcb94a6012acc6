//! Ether amounts as people type and read them, the way Foundry's `cast` does.
//!
//! Parsing (`--value 1.5ether`, `10gwei`, `0.01 ether`, `1e18`, `0x10`, plain wei) is
//! alloy-dyn-abi's `uint256` coercion, the same grammar `cast send --value` accepts: a decimal
//! or `0x`/`0o`/`0b` integer, an optional fraction no longer than the unit allows, an optional
//! unit (`wei`, `gwei`/`nano`/`nanoether`, `ether`). Printing is alloy's `format_units`: all the
//! unit's decimals (`1.500000000000000000` ether), as `cast from-wei` and `cast balance -e` print.

use alloy_dyn_abi::DynSolType;
use alloy_primitives::utils::{ParseUnits, Unit};
use alloy_primitives::U256;

/// Why an amount could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UnitsError {
    /// The text is not an amount (or has more decimals than its unit allows, or overflows).
    #[error("invalid amount {value:?}: {reason} (examples: 1.5ether, 20gwei, 1000 (wei), 0x3e8)")]
    Amount {
        /// The text given.
        value: String,
        /// The parser's reason.
        reason: String,
    },
    /// The unit name is not `wei`, `gwei` or `ether`.
    #[error("unknown unit {0:?} (expected wei, gwei or ether)")]
    Unit(String),
}

/// An amount in wei from text such as `1.5ether`, `20 gwei`, `1000` (wei) or `0x3e8`.
///
/// # Errors
/// [`UnitsError::Amount`] naming the text.
pub fn parse_amount(text: &str) -> Result<U256, UnitsError> {
    let bad = |reason: String| UnitsError::Amount { value: text.to_string(), reason };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(bad("empty".into()));
    }
    let value =
        DynSolType::Uint(256).coerce_str(trimmed).map_err(|e| bad(one_line(&e.to_string())))?;
    value.as_uint().map(|(v, _)| v).ok_or_else(|| bad("not an unsigned integer".into()))
}

/// The first line of a parser's message (winnow's messages continue with the input and a
/// caret on further lines), without a trailing colon.
pub(crate) fn one_line(message: &str) -> String {
    message.lines().next().unwrap_or_default().trim_end_matches(':').trim().to_string()
}

/// A display unit: `wei` (0 decimals), `gwei` (9), `ether` (18).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DisplayUnit {
    /// Whole wei, no decimal point (what `cast balance` prints by default).
    #[default]
    Wei,
    /// 10^9 wei.
    Gwei,
    /// 10^18 wei.
    Ether,
}

impl std::str::FromStr for DisplayUnit {
    type Err = UnitsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "wei" => Ok(Self::Wei),
            "gwei" => Ok(Self::Gwei),
            "ether" | "eth" => Ok(Self::Ether),
            _ => Err(UnitsError::Unit(s.to_string())),
        }
    }
}

impl DisplayUnit {
    /// The unit's name as printed after an amount.
    pub fn name(self) -> &'static str {
        match self {
            Self::Wei => "wei",
            Self::Gwei => "gwei",
            Self::Ether => "ether",
        }
    }
}

/// `wei` written in `unit` with all of the unit's decimals: `1500000000000000000` wei is
/// `1.500000000000000000` ether, `20.000000000` gwei for 20 gwei, plain digits for wei.
pub fn format_amount(wei: U256, unit: DisplayUnit) -> String {
    match unit {
        DisplayUnit::Wei => wei.to_string(),
        DisplayUnit::Gwei => ParseUnits::from(wei).format_units(Unit::GWEI),
        DisplayUnit::Ether => ParseUnits::from(wei).format_units(Unit::ETHER),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wei(n: u128) -> U256 {
        U256::from(n)
    }

    #[test]
    fn amounts_parse_as_cast_parses_them() {
        assert_eq!(parse_amount("1.5ether").unwrap(), wei(1_500_000_000_000_000_000));
        assert_eq!(parse_amount("0.01 ether").unwrap(), wei(10_000_000_000_000_000));
        assert_eq!(parse_amount("20gwei").unwrap(), wei(20_000_000_000));
        assert_eq!(parse_amount("0.1 gwei").unwrap(), wei(100_000_000));
        assert_eq!(parse_amount("1000").unwrap(), wei(1000));
        assert_eq!(parse_amount("1000wei").unwrap(), wei(1000));
        assert_eq!(parse_amount("0x3e8").unwrap(), wei(1000));
        assert_eq!(parse_amount("1e18").unwrap(), wei(1_000_000_000_000_000_000));
        assert_eq!(parse_amount(" 2 ether ").unwrap(), wei(2_000_000_000_000_000_000));
    }

    #[test]
    fn bad_amounts_name_the_value() {
        for bad in ["", "ether", "1.5 bananas", "-1", "0.0000000000000000001ether", "1.5"] {
            let err = parse_amount(bad).unwrap_err();
            let text = err.to_string();
            assert!(text.contains(&format!("{bad:?}")), "{bad:?} → {text}");
            assert!(!text.contains('\n'), "one line: {text}");
        }
        let too_big = format!("{}0", U256::MAX);
        assert!(parse_amount(&too_big).is_err());
    }

    #[test]
    fn amounts_print_with_all_the_units_decimals_like_cast() {
        let x = wei(1_500_000_000_000_000_000);
        assert_eq!(format_amount(x, DisplayUnit::Wei), "1500000000000000000");
        assert_eq!(format_amount(x, DisplayUnit::Ether), "1.500000000000000000");
        assert_eq!(format_amount(wei(20_000_000_000), DisplayUnit::Gwei), "20.000000000");
        assert_eq!(format_amount(U256::ZERO, DisplayUnit::Ether), "0.000000000000000000");
        assert_eq!(format_amount(wei(1), DisplayUnit::Ether), "0.000000000000000001");
    }

    #[test]
    fn unit_names_parse_case_insensitively_and_bad_ones_are_named() {
        assert_eq!("ETHER".parse::<DisplayUnit>().unwrap(), DisplayUnit::Ether);
        assert_eq!("gwei".parse::<DisplayUnit>().unwrap(), DisplayUnit::Gwei);
        assert_eq!("finney".parse::<DisplayUnit>(), Err(UnitsError::Unit("finney".into())));
    }
}
