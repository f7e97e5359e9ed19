//! Amounts in token units (`2.5` ⇄ `2500000` base units of a 6-decimal token), durations and
//! times as people read them.

use alloy::primitives::U256;
use eyre::{bail, eyre, Result};

/// Parses an amount in token units (`2.5`, `100`, `0.000001`) into base units of a token with
/// `decimals` decimals. Refuses more fractional digits than the token has.
pub(crate) fn parse_amount(text: &str, decimals: u8) -> Result<U256> {
    let text = text.trim();
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits_only = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !digits_only(whole) || !digits_only(frac) {
        bail!("`{text}` is not an amount: write token units like 2.5 or 100");
    }
    if frac.len() > usize::from(decimals) {
        bail!("`{text}` has more than {decimals} decimals, the most this token has");
    }
    let scale = U256::from(10).pow(U256::from(decimals));
    let parse = |s: &str| -> Result<U256> {
        if s.is_empty() {
            return Ok(U256::ZERO);
        }
        U256::from_str_radix(s, 10).map_err(|e| eyre!("`{text}` is not an amount: {e}"))
    };
    let frac_scaled = parse(frac)? * U256::from(10).pow(U256::from(usize::from(decimals) - frac.len()));
    parse(whole)?
        .checked_mul(scale)
        .and_then(|w| w.checked_add(frac_scaled))
        .ok_or_else(|| eyre!("`{text}` is too large"))
}

/// Formats base units as token units, keeping at least two decimals (`2.50`, `0.000694`, `12`
/// for a token without decimals).
pub(crate) fn format_amount(amount: U256, decimals: u8) -> String {
    let scale = U256::from(10).pow(U256::from(decimals));
    let (whole, frac) = amount.div_rem(scale);
    if decimals == 0 {
        return whole.to_string();
    }
    let mut frac = format!("{frac:0>width$}", width = usize::from(decimals));
    while frac.len() > 2 && frac.ends_with('0') {
        frac.pop();
    }
    format!("{whole}.{frac}")
}

/// Parses a duration in seconds: `90`, `90s`, `30m`, `1h`, `7d`.
pub(crate) fn parse_duration(text: &str) -> Result<u32> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => text.split_at(i),
        None => (text, "s"),
    };
    let factor: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => bail!("`{text}` is not a duration: write seconds or 90s, 30m, 1h, 7d"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| eyre!("`{text}` is not a duration: write seconds or 90s, 30m, 1h, 7d"))?;
    u32::try_from(n.saturating_mul(factor)).map_err(|_| eyre!("`{text}` is too long (at most 136 years)"))
}

/// Parses hours (`1`, `0.5`, `2.25`) into whole seconds.
pub(crate) fn parse_hours(text: &str) -> Result<u32> {
    // Hours with up to 4 decimals are exact in seconds × 10⁴ / 3600 → parse as a 4-decimal amount.
    let scaled = parse_amount(text, 4).map_err(|_| eyre!("`{text}` is not a number of hours (e.g. 1 or 0.5)"))?;
    let seconds = scaled * U256::from(3_600) / U256::from(10_000);
    let seconds = u32::try_from(seconds).map_err(|_| eyre!("`{text}` hours is too long"))?;
    if seconds == 0 {
        bail!("`{text}` hours is less than a second");
    }
    Ok(seconds)
}

/// `1h 02m 03s`, `4m 05s`, `7s`.
pub(crate) fn format_duration(seconds: u64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds % 86_400 / 3_600,
        seconds % 3_600 / 60,
        seconds % 60,
    );
    if d > 0 {
        format!("{d}d {h:02}h {m:02}m")
    } else if h > 0 {
        format!("{h}h {m:02}m {s:02}s")
    } else if m > 0 {
        format!("{m}m {s:02}s")
    } else {
        format!("{s}s")
    }
}

/// A Unix time as `2026-11-23 17:30:05 UTC`.
pub(crate) fn format_time(unix: u64) -> String {
    let days = i64::try_from(unix / 86_400).unwrap_or(i64::MAX);
    let secs = unix % 86_400;
    let (y, mo, d) = civil_from_days(days);
    format!(
        "{y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02} UTC",
        secs / 3_600,
        secs % 3_600 / 60,
        secs % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar (H. Hinnant's
/// algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        u32::try_from(m).unwrap_or_default(),
        u32::try_from(d).unwrap_or_default(),
    )
}

/// Basis points as a percentage: `250` → `2.5 %`.
pub(crate) fn format_bps(bps: u64) -> String {
    let whole = bps / 100;
    let frac = bps % 100;
    if frac == 0 {
        format!("{whole} %")
    } else if frac.is_multiple_of(10) {
        format!("{whole}.{} %", frac / 10)
    } else {
        format!("{whole}.{frac:02} %")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn amounts_parse_from_token_units() {
        assert_eq!(parse_amount("2.5", 6).unwrap(), U256::from(2_500_000));
        assert_eq!(parse_amount("100", 6).unwrap(), U256::from(100_000_000));
        assert_eq!(parse_amount("0.000001", 6).unwrap(), U256::from(1));
        assert_eq!(parse_amount(".5", 2).unwrap(), U256::from(50));
        assert_eq!(
            parse_amount("1", 18).unwrap(),
            U256::from(1_000_000_000_000_000_000u128)
        );
        assert!(parse_amount("0.0000001", 6).is_err());
        assert!(parse_amount("abc", 6).is_err());
        assert!(parse_amount("-1", 6).is_err());
        assert!(parse_amount("", 6).is_err());
        assert!(parse_amount("1.2.3", 6).is_err());
    }

    #[test]
    fn amounts_format_in_token_units() {
        assert_eq!(format_amount(U256::from(2_500_000), 6), "2.50");
        assert_eq!(format_amount(U256::from(694), 6), "0.000694");
        assert_eq!(format_amount(U256::ZERO, 6), "0.00");
        assert_eq!(format_amount(U256::from(12), 0), "12");
        assert_eq!(format_amount(U256::from(10).pow(U256::from(18)), 18), "1.00");
        for text in ["2.50", "0.000694", "123.456789"] {
            assert_eq!(format_amount(parse_amount(text, 6).unwrap(), 6), text);
        }
    }

    #[test]
    fn durations_and_hours() {
        assert_eq!(parse_duration("90").unwrap(), 90);
        assert_eq!(parse_duration("30m").unwrap(), 1_800);
        assert_eq!(parse_duration("1h").unwrap(), 3_600);
        assert_eq!(parse_duration("7d").unwrap(), 604_800);
        assert!(parse_duration("1y").is_err());
        assert!(parse_duration("h").is_err());
        assert_eq!(parse_hours("1").unwrap(), 3_600);
        assert_eq!(parse_hours("0.5").unwrap(), 1_800);
        assert!(parse_hours("0").is_err());
        assert_eq!(format_duration(3_723), "1h 02m 03s");
        assert_eq!(format_duration(245), "4m 05s");
        assert_eq!(format_duration(7), "7s");
    }

    #[test]
    fn times_and_percentages() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_time(1_750_000_000), "2025-06-15 15:06:40 UTC");
        assert_eq!(format_time(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(format_bps(250), "2.5 %");
        assert_eq!(format_bps(9_900), "99 %");
        assert_eq!(format_bps(9_875), "98.75 %");
    }
}
