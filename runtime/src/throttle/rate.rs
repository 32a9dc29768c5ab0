//! Limits as people write them: `"5/min"`, `"100/s burst 20"`, and the per-route form
//! `"60/min per user"` that the `throttle = ".."` guard option takes.

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

use portcullis_throttle_spec as spec;

/// What a valid limit looks like; every parse error ends with it.
const EXPECTED: &str = "expected `N/unit [burst M] [per ip|user|route]` with N, M > 0 and unit one of \
     `s`, `min`, `h`, `d` (e.g. `5/min`, `100/s burst 20`, `5/min per ip`)";

/// A GCRA rate: `count` requests per `period`, of which up to `burst` may come at once.
///
/// Without an explicit burst, the burst equals `count`: `"5/min"` admits 5 requests at once and
/// then one more every 12 s.
///
/// ```
/// use portcullis::throttle::Rate;
/// let r: Rate = "5/min burst 10".parse().unwrap();
/// assert_eq!(r.count(), 5);
/// assert_eq!(r.burst(), 10);
/// assert_eq!(r.emission_interval(), std::time::Duration::from_secs(12));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rate {
    count: NonZeroU32,
    period: Duration,
    burst: NonZeroU32,
}

impl Rate {
    /// `count` requests per `period`, burst equal to `count`. A zero period is raised to 1 ms.
    pub fn new(count: NonZeroU32, period: Duration) -> Self {
        Self {
            count,
            period: period.max(Duration::from_millis(1)),
            burst: count,
        }
    }

    /// `n` requests per second.
    pub fn per_second(n: NonZeroU32) -> Self {
        Self::new(n, Duration::from_secs(1))
    }

    /// `n` requests per minute.
    pub fn per_minute(n: NonZeroU32) -> Self {
        Self::new(n, Duration::from_secs(60))
    }

    /// `n` requests per hour.
    pub fn per_hour(n: NonZeroU32) -> Self {
        Self::new(n, Duration::from_secs(3600))
    }

    /// Replaces the burst (how many requests may arrive at once).
    pub fn with_burst(mut self, burst: NonZeroU32) -> Self {
        self.burst = burst;
        self
    }

    /// Requests per period.
    pub fn count(&self) -> u32 {
        self.count.get()
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Requests that may arrive at once.
    pub fn burst(&self) -> u32 {
        self.burst.get()
    }

    /// The GCRA emission interval: one request is replenished every `period / count`.
    pub fn emission_interval(&self) -> Duration {
        (self.period / self.count.get()).max(Duration::from_nanos(1))
    }

    /// Time for an empty bucket to refill completely.
    pub fn full_refill(&self) -> Duration {
        self.emission_interval().saturating_mul(self.burst.get())
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.period.as_secs() {
            1 if self.period.subsec_nanos() == 0 => "s".to_owned(),
            60 if self.period.subsec_nanos() == 0 => "min".to_owned(),
            3600 if self.period.subsec_nanos() == 0 => "h".to_owned(),
            86400 if self.period.subsec_nanos() == 0 => "d".to_owned(),
            _ => format!("{}ms", self.period.as_millis()),
        };
        write!(f, "{}/{unit}", self.count)?;
        if self.burst != self.count {
            write!(f, " burst {}", self.burst)?;
        }
        Ok(())
    }
}

/// A limit that could not be read. The message names the input and says what a valid one
/// looks like.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid throttle `{input}`: {reason}; {EXPECTED}")]
pub struct RateParseError {
    input: String,
    reason: String,
}

impl RateParseError {
    fn new(input: &str, reason: impl Into<String>) -> Self {
        Self {
            input: input.to_owned(),
            reason: reason.into(),
        }
    }

    /// Why the input was rejected (without the input and the usage hint).
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// The runtime's wording of a grammar error (the grammar itself is `portcullis-throttle-spec`,
/// shared with `#[guarded(throttle = "..")]`).
fn reason(e: spec::Error<'_>) -> String {
    use spec::Error as E;
    match e {
        E::Empty => "it is empty".to_owned(),
        E::NoSlash(_) => "missing `/` between count and unit".to_owned(),
        E::Count(word) => format!("count `{word}` is not a whole number above 0"),
        E::Unit(unit) => format!("unknown unit `{unit}`"),
        E::Burst(word) => format!("burst `{word}` is not a whole number above 0"),
        E::BurstMissing => "`burst` needs a number".to_owned(),
        E::PerMissing => "`per` needs `ip`, `user` or `route`".to_owned(),
        E::PerUnknown(other) => {
            format!("unknown `per {other}`, use `per ip`, `per user` or `per route`")
        }
        E::PerExtra(extra) | E::Unexpected(extra) => format!("unexpected `{extra}`"),
    }
}

fn rate_of(count: NonZeroU32, unit: spec::Unit, burst: Option<NonZeroU32>) -> Rate {
    let rate = Rate::new(count, Duration::from_secs(unit.seconds()));
    match burst {
        Some(b) => rate.with_burst(b),
        None => rate,
    }
}

impl FromStr for Rate {
    type Err = RateParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let words = spec::words(s);
        let (parts, rest) =
            spec::parse_rate(&words).map_err(|e| RateParseError::new(s, reason(e)))?;
        if let Some(extra) = rest.first() {
            return Err(RateParseError::new(
                s,
                reason(spec::Error::Unexpected(extra)),
            ));
        }
        Ok(rate_of(parts.count, parts.unit, parts.burst))
    }
}

/// Whom a per-route limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Per {
    /// The authenticated principal; anonymous requests are counted per client IP.
    #[default]
    User,
    /// The client IP (see [`TrustedProxies`](super::TrustedProxies)).
    Ip,
    /// The route as a whole: all clients share one budget.
    Route,
}

impl fmt::Display for Per {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Per::User => "user",
            Per::Ip => "ip",
            Per::Route => "route",
        })
    }
}

/// The typed form of a guard's `throttle = "N/unit [burst M] [per ip|user|route]"` option.
///
/// Without `per`, the limit counts per user (and per client IP for anonymous requests).
///
/// ```
/// use portcullis::throttle::{Per, ThrottleSpec};
/// let spec: ThrottleSpec = "5/min per ip".parse().unwrap();
/// assert_eq!(spec.per, Per::Ip);
/// assert_eq!(spec.rate.count(), 5);
/// let err = "5 per minute".parse::<ThrottleSpec>().unwrap_err().to_string();
/// assert!(err.contains("expected `N/unit"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ThrottleSpec {
    /// The rate.
    pub rate: Rate,
    /// Whom it counts.
    pub per: Per,
}

impl ThrottleSpec {
    /// Parses the guard option's string form.
    pub fn parse(s: &str) -> Result<Self, RateParseError> {
        s.parse()
    }
}

impl FromStr for ThrottleSpec {
    type Err = RateParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parsed = spec::parse_spec(s).map_err(|e| RateParseError::new(s, reason(e)))?;
        let rate = rate_of(parsed.count, parsed.unit, parsed.burst);
        let per = match parsed.per {
            None => Per::default(),
            Some(spec::Per::Ip) => Per::Ip,
            Some(spec::Per::User) => Per::User,
            Some(spec::Per::Route) => Per::Route,
        };
        Ok(Self { rate, per })
    }
}

impl fmt::Display for ThrottleSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} per {}", self.rate, self.per)
    }
}

#[cfg(test)]
mod tests {
    use super::{Rate, ThrottleSpec};

    fn reason_rate(s: &str) -> String {
        s.parse::<Rate>().unwrap_err().reason().to_owned()
    }

    fn reason_spec(s: &str) -> String {
        ThrottleSpec::parse(s).unwrap_err().reason().to_owned()
    }

    #[test]
    fn the_shared_grammar_keeps_the_runtime_wording() {
        assert_eq!(reason_rate(""), "it is empty");
        assert_eq!(reason_rate("abc"), "missing `/` between count and unit");
        assert_eq!(
            reason_rate("0/min"),
            "count `0` is not a whole number above 0"
        );
        assert_eq!(reason_rate("5/week"), "unknown unit `week`");
        assert_eq!(
            reason_rate("5/s burst x"),
            "burst `x` is not a whole number above 0"
        );
        assert_eq!(reason_rate("5/s burst"), "`burst` needs a number");
        assert_eq!(reason_rate("5/min per ip"), "unexpected `per`");
        assert_eq!(
            reason_spec("5/s per"),
            "`per` needs `ip`, `user` or `route`"
        );
        assert_eq!(
            reason_spec("5/s per moon"),
            "unknown `per moon`, use `per ip`, `per user` or `per route`"
        );
        assert_eq!(reason_spec("5/s per ip now"), "unexpected `now`");
        assert_eq!(reason_spec("5/s soon"), "unexpected `soon`");
        let r: Rate = "100/h burst 7".parse().unwrap();
        assert_eq!((r.count(), r.burst(), r.period().as_secs()), (100, 7, 3600));
    }
}
