//! The grammar of a portcullis throttle limit, `N/unit [burst M] [per ip|user|route]`, read
//! once here for both sides that need it: `#[guarded(throttle = "..")]` checks it at compile
//! time, the runtime reads it into a `Rate` / `ThrottleSpec` at start-up. Each side words its
//! own messages from [`Error`]; this crate only decides what is valid.
//!
//! ```
//! use portcullis_throttle_spec::{Error, Per, Unit, parse_spec};
//! let spec = parse_spec("100/s burst 20 per user").unwrap();
//! assert_eq!((spec.count.get(), spec.unit, spec.per), (100, Unit::Second, Some(Per::User)));
//! assert_eq!(spec.burst.map(|b| b.get()), Some(20));
//! assert_eq!(parse_spec("5 per minute"), Err(Error::NoSlash("5")));
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::num::NonZeroU32;

/// The period of a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// `s`, `sec`, `second`
    Second,
    /// `m`, `min`, `minute`
    Minute,
    /// `h`, `hour`
    Hour,
    /// `d`, `day`
    Day,
}

impl Unit {
    /// Reads a unit word.
    pub fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "s" | "sec" | "second" => Self::Second,
            "m" | "min" | "minute" => Self::Minute,
            "h" | "hour" => Self::Hour,
            "d" | "day" => Self::Day,
            _ => return None,
        })
    }

    /// The period in seconds.
    pub fn seconds(self) -> u64 {
        match self {
            Self::Second => 1,
            Self::Minute => 60,
            Self::Hour => 3600,
            Self::Day => 86400,
        }
    }
}

/// Whom a per-route limit counts (`per ip|user|route`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Per {
    /// `per ip`
    Ip,
    /// `per user`
    User,
    /// `per route`
    Route,
}

/// `N/unit [burst M]`: the rate part of a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RateParts {
    /// `N`: requests per period.
    pub count: NonZeroU32,
    /// The period.
    pub unit: Unit,
    /// `M` of `burst M`, when written.
    pub burst: Option<NonZeroU32>,
}

/// A whole limit, `N/unit [burst M] [per ip|user|route]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Spec {
    /// `N`: requests per period.
    pub count: NonZeroU32,
    /// The period.
    pub unit: Unit,
    /// `M` of `burst M`, when written.
    pub burst: Option<NonZeroU32>,
    /// `per ..`, when written.
    pub per: Option<Per>,
}

/// Why a limit is not valid; borrows the offending word of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error<'a> {
    /// There are no words at all.
    Empty,
    /// The first word (given) has no `/` between count and unit.
    NoSlash(&'a str),
    /// The count (given) is not a whole number above 0.
    Count(&'a str),
    /// The unit (given) is not one of the known ones.
    Unit(&'a str),
    /// The number after `burst` (given) is not a whole number above 0.
    Burst(&'a str),
    /// `burst` is the last word.
    BurstMissing,
    /// `per` is the last word.
    PerMissing,
    /// `per` is followed by something else (given) than `ip`, `user` or `route`.
    PerUnknown(&'a str),
    /// A word (given) follows a complete `per ..`.
    PerExtra(&'a str),
    /// A word (given) where the limit should have ended or `per` should have come.
    Unexpected(&'a str),
}

/// The whitespace-separated words of a limit.
pub fn words(s: &str) -> Vec<&str> {
    s.split_whitespace().collect()
}

fn count(word: &str) -> Option<NonZeroU32> {
    word.parse::<NonZeroU32>().ok()
}

/// Reads `N/unit` and an optional `burst M` from the words; returns them and the words after.
pub fn parse_rate<'a, 'w>(words: &'w [&'a str]) -> Result<(RateParts, &'w [&'a str]), Error<'a>> {
    let Some((first, rest)) = words.split_first() else {
        return Err(Error::Empty);
    };
    let Some((n, unit)) = first.split_once('/') else {
        return Err(Error::NoSlash(first));
    };
    let count_n = count(n).ok_or(Error::Count(n))?;
    let unit = Unit::parse(unit).ok_or(Error::Unit(unit))?;
    let mut parts = RateParts {
        count: count_n,
        unit,
        burst: None,
    };
    match rest {
        ["burst", m, rest @ ..] => {
            parts.burst = Some(count(m).ok_or(Error::Burst(m))?);
            Ok((parts, rest))
        }
        ["burst"] => Err(Error::BurstMissing),
        _ => Ok((parts, rest)),
    }
}

/// Reads a whole limit, `N/unit [burst M] [per ip|user|route]`.
pub fn parse_spec(s: &str) -> Result<Spec, Error<'_>> {
    let words = words(s);
    let (rate, rest) = parse_rate(&words)?;
    let per = match rest {
        [] => None,
        ["per", "ip"] => Some(Per::Ip),
        ["per", "user"] => Some(Per::User),
        ["per", "route"] => Some(Per::Route),
        ["per", _, extra, ..] => return Err(Error::PerExtra(extra)),
        ["per", other] => return Err(Error::PerUnknown(other)),
        ["per"] => return Err(Error::PerMissing),
        [other, ..] => return Err(Error::Unexpected(other)),
    };
    Ok(Spec {
        count: rate.count,
        unit: rate.unit,
        burst: rate.burst,
        per,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_limits() {
        let s = parse_spec("5/min").unwrap();
        assert_eq!(
            (s.count.get(), s.unit, s.burst, s.per),
            (5, Unit::Minute, None, None)
        );
        let s = parse_spec("  100/s   burst 20 per route ").unwrap();
        assert_eq!(s.burst.map(NonZeroU32::get), Some(20));
        assert_eq!(s.per, Some(Per::Route));
        for (w, u) in [
            ("sec", Unit::Second),
            ("m", Unit::Minute),
            ("hour", Unit::Hour),
            ("day", Unit::Day),
        ] {
            assert_eq!(parse_spec(&format!("1/{w}")).unwrap().unit, u);
        }
    }

    #[test]
    fn each_error_names_the_offending_word() {
        assert_eq!(parse_spec(""), Err(Error::Empty));
        assert_eq!(parse_spec("abc"), Err(Error::NoSlash("abc")));
        assert_eq!(parse_spec("0/s"), Err(Error::Count("0")));
        assert_eq!(parse_spec("x/s"), Err(Error::Count("x")));
        assert_eq!(parse_spec("5/week"), Err(Error::Unit("week")));
        assert_eq!(parse_spec("5/s burst 0"), Err(Error::Burst("0")));
        assert_eq!(parse_spec("5/s burst"), Err(Error::BurstMissing));
        assert_eq!(parse_spec("5/s per"), Err(Error::PerMissing));
        assert_eq!(
            parse_spec("5/s per planet"),
            Err(Error::PerUnknown("planet"))
        );
        assert_eq!(parse_spec("5/s per ip now"), Err(Error::PerExtra("now")));
        assert_eq!(parse_spec("5/s soon"), Err(Error::Unexpected("soon")));
    }

    #[test]
    fn rate_leaves_the_rest() {
        let words = words("5/min burst 2 per ip");
        let (rate, rest) = parse_rate(&words).unwrap();
        assert_eq!(rate.burst.map(NonZeroU32::get), Some(2));
        assert_eq!(rest, ["per", "ip"]);
    }
}
