//! [`Seconds`]: a duration read from a workflow file, checked once at load so nothing
//! downstream converts a float again. It is never negative, NaN or infinite and never above
//! [`MAX_DURATION`], so adding it to any clock's "now" cannot overflow.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::limits::MAX_DURATION;

/// A checked, non-negative duration of at most [`MAX_DURATION`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Seconds(Duration);

impl Seconds {
    /// The longest duration a file may give.
    pub const MAX: Seconds = Seconds(MAX_DURATION);

    /// `secs` as a duration, or why it cannot be one: negative, NaN, infinite or above
    /// [`Seconds::MAX`].
    pub fn new(secs: f64) -> Result<Seconds, String> {
        if secs.is_nan() {
            return Err("must be a number of seconds, got NaN".to_string());
        }
        if secs < 0.0 {
            return Err(format!("must be >= 0 seconds, got {}", number(secs)));
        }
        if secs > MAX_DURATION.as_secs_f64() {
            return Err(format!(
                "must be at most {} seconds (30 days), got {}",
                MAX_DURATION.as_secs(),
                number(secs)
            ));
        }
        Ok(Seconds(Duration::from_secs_f64(secs)))
    }

    /// Like [`Seconds::new`], and also more than zero (a timeout of zero cannot pass).
    pub fn positive(secs: f64) -> Result<Seconds, String> {
        let s = Seconds::new(secs)?;
        if s.0.is_zero() {
            return Err(format!("must be > 0 seconds, got {}", number(secs)));
        }
        Ok(s)
    }

    /// A computed (not read) number of seconds, held to `0..=MAX`; NaN is zero. For the
    /// simulator's sampled turn lengths, whose random tails are unbounded.
    pub fn saturating(secs: f64) -> Seconds {
        if secs.is_nan() || secs <= 0.0 {
            Seconds(Duration::ZERO)
        } else if secs >= MAX_DURATION.as_secs_f64() {
            Seconds::MAX
        } else {
            Seconds(Duration::from_secs_f64(secs))
        }
    }

    pub fn from_secs(secs: u32) -> Seconds {
        Seconds(Duration::from_secs(u64::from(secs)).min(MAX_DURATION))
    }

    pub fn as_duration(self) -> Duration {
        self.0
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0.as_secs_f64()
    }
}

/// `v` as a message shows it: `1e300`, not three hundred digits.
pub(crate) fn number(v: f64) -> String {
    let plain = v.to_string();
    if plain.len() > 16 {
        format!("{v:e}")
    } else {
        plain
    }
}

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}s", self.as_secs_f64())
    }
}

/// Written as the number of seconds, as the file has it.
impl Serialize for Seconds {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.as_secs_f64())
    }
}

/// Read as a number of seconds and checked like [`Seconds::new`].
impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let secs = f64::deserialize(d)?;
        Seconds::new(secs).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_finite_non_negative_durations_up_to_30_days_are_accepted() {
        assert_eq!(Seconds::new(1.5).unwrap().as_secs_f64(), 1.5);
        assert_eq!(Seconds::new(0.0).unwrap().as_duration(), Duration::ZERO);
        assert!(Seconds::positive(0.0).is_err());
        for bad in [-1.0, f64::NAN, f64::INFINITY, 1e300, 30.0 * 86400.0 + 1.0] {
            assert!(Seconds::new(bad).is_err(), "{bad}");
        }
        assert_eq!(Seconds::new(30.0 * 86400.0).unwrap(), Seconds::MAX);
        assert_eq!(Seconds::saturating(1e300), Seconds::MAX);
        assert_eq!(Seconds::saturating(f64::NAN).as_duration(), Duration::ZERO);
    }
}
