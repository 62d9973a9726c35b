//! Times: the database keeps UTC wall-clock values; clients get RFC 3339 with `Z`. The clock
//! of a node can be moved forward in tests, to see deadlines pass and certificates expire.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// The service's clock: the system clock plus an offset that only tests change.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_seconds: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::seconds(self.offset_seconds.load(Ordering::Relaxed))
    }

    /// Now, in the UTC wall-clock form the database stores.
    pub fn naive_now(&self) -> NaiveDateTime {
        self.now().naive_utc()
    }

    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// Moves this clock (and every copy of it) forward.
    pub fn advance(&self, by: chrono::Duration) {
        self.offset_seconds
            .fetch_add(by.num_seconds(), Ordering::Relaxed);
    }
}

/// `#[serde(with = "utc")]` for a `NaiveDateTime` that holds UTC.
pub mod utc {
    use chrono::{NaiveDateTime, SecondsFormat};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&value.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDateTime, D::Error> {
        let text = String::deserialize(d)?;
        chrono::DateTime::parse_from_rfc3339(&text)
            .map(|t| t.naive_utc())
            .map_err(serde::de::Error::custom)
    }

    /// The same for `Option<NaiveDateTime>`.
    pub mod option {
        use chrono::NaiveDateTime;
        use serde::Serializer;

        pub fn serialize<S: Serializer>(
            value: &Option<NaiveDateTime>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match value {
                Some(v) => super::serialize(v, s),
                None => s.serialize_none(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Clock;

    #[test]
    fn clock_moves_forward_for_every_copy() {
        let clock = Clock::default();
        let copy = clock.clone();
        let before = copy.today();
        clock.advance(chrono::Duration::days(30));
        assert_eq!((copy.today() - before).num_days(), 30);
    }

    #[derive(serde::Serialize, serde::Deserialize)]
    struct At {
        #[serde(with = "super::utc")]
        at: chrono::NaiveDateTime,
    }

    #[test]
    fn rfc3339_with_z() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
            .unwrap()
            .and_hms_opt(9, 30, 0)
            .unwrap();
        let json = serde_json::to_string(&At { at }).unwrap();
        assert_eq!(json, r#"{"at":"2026-11-23T09:30:00Z"}"#);
        let back: At = serde_json::from_str(r#"{"at":"2026-11-23T10:30:00+01:00"}"#).unwrap();
        assert_eq!(back.at, at);
    }
}
