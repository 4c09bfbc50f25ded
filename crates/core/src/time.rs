//! Dates and durations, in one place: civil-date arithmetic (UTC, proleptic Gregorian), the
//! `YYYY-MM-DD` dates the models endpoint announces, HTTP dates in `Retry-After`, and the short
//! forms progress lines show.

use std::time::{Duration, UNIX_EPOCH};

/// Seconds in a day.
pub const DAY: u64 = 86_400;

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01 (inverse of [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (a longer ISO timestamp is cut to its date).
pub fn parse_date(date: &str) -> Option<i64> {
    let d = date.get(..10)?;
    let mut parts = d.split('-');
    let (y, m, day) = (
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    );
    ((1..=12).contains(&m) && (1..=31).contains(&day)).then(|| days_from_civil(y, m, day))
}

/// `YYYY-MM-DD` of a day count since 1970-01-01.
pub fn format_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Whole days from today (UTC, from `now`, Unix seconds) until `date`; negative once it has
/// passed.
pub fn days_until(date: &str, now: u64) -> Option<i64> {
    parse_date(date).map(|d| d - (now / DAY) as i64)
}

/// An HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`, and the obsolete forms RFC 9110 still asks
/// recipients to accept) as Unix seconds.
pub fn parse_http_date(value: &str) -> Option<u64> {
    let at = httpdate::parse_http_date(value.trim()).ok()?;
    at.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs())
}

/// `2026-11-25 04:05:06 UTC`.
pub fn format_time(unix: u64) -> String {
    let secs = unix % DAY;
    format!(
        "{} {:02}:{:02}:{:02} UTC",
        format_date((unix / DAY) as i64),
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// `1h 05m`, `4m 10s`, `12s`.
pub fn format_duration(secs: u64) -> String {
    match secs {
        s if s >= 3600 => format!("{}h {:02}m", s / 3600, s / 60 % 60),
        s if s >= 60 => format!("{}m {:02}s", s / 60, s % 60),
        s => format!("{s}s"),
    }
}

/// Seconds as a [`Duration`], saturating instead of panicking on values no clock can wait for
/// (negative, NaN or astronomically large hints from a server).
pub fn saturating_secs(secs: f64) -> Duration {
    if secs.is_nan() || secs <= 0.0 {
        Duration::ZERO
    } else {
        Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-800_000, -1, 0, 1, 19_999, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, i64::from(m), i64::from(d)), days);
        }
        assert_eq!(format_date(0), "1970-01-01");
        assert_eq!(parse_date("2027-01-14"), Some(20_832));
    }

    #[test]
    fn shown_forms() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_time(1_795_000_000), "2026-11-18 11:06:40 UTC");
        assert_eq!(format_duration(3_900), "1h 05m");
        assert_eq!(format_duration(250), "4m 10s");
        assert_eq!(format_duration(12), "12s");
    }

    #[test]
    fn dates_count_whole_days() {
        let now = 20_000 * DAY + 3_600; // 2024-10-04 01:00 UTC
        assert_eq!(days_until("2024-10-04", now), Some(0));
        assert_eq!(days_until("2024-10-05", now), Some(1));
        assert_eq!(days_until("2024-10-03", now), Some(-1));
        assert_eq!(days_until("2024-10-05T00:00:00Z", now), Some(1));
        assert_eq!(days_until("soon", now), None);
        assert_eq!(days_until("2024-13-01", now), None);
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn durations_saturate() {
        assert_eq!(saturating_secs(1e300), Duration::MAX);
        assert_eq!(saturating_secs(f64::INFINITY), Duration::MAX);
        assert_eq!(saturating_secs(-3.0), Duration::ZERO);
        assert_eq!(saturating_secs(f64::NAN), Duration::ZERO);
        assert_eq!(saturating_secs(1.5), Duration::from_millis(1500));
    }
}
