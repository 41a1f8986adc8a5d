//! Time as a dependency, so rules that depend on it are tested with a controllable clock.

use chrono::{DateTime, Utc};
use std::sync::Mutex;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until moved; for tests.
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(Mutex::new(start))
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The system clock moved forward by the seconds written in a file, read at every look:
/// lets a browser test move a running server's time — the scheduler's rules included —
/// without waiting. Never used unless the server is started with the file named.
pub struct OffsetFileClock {
    path: std::path::PathBuf,
}

impl OffsetFileClock {
    pub fn new(path: impl Into<std::path::PathBuf>) -> Self {
        Self { path: path.into() }
    }
}

impl Clock for OffsetFileClock {
    fn now(&self) -> DateTime<Utc> {
        // A whole number of seconds; a missing or unreadable file is no offset.
        let offset = std::fs::read_to_string(&self.path)
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .and_then(chrono::Duration::try_seconds)
            .unwrap_or_default();
        Utc::now() + offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_file_moves_the_clock() {
        let dir = std::env::temp_dir().join(format!("meridian-clock-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("offset");
        let clock = OffsetFileClock::new(&path);
        let before = Utc::now();
        assert!(
            clock.now() - before < chrono::Duration::seconds(5),
            "no file: no offset"
        );
        std::fs::write(&path, "86400\n").expect("write");
        let moved = clock.now() - Utc::now();
        assert!(moved > chrono::Duration::hours(23), "{moved}");
        std::fs::write(&path, "not a number").expect("write");
        assert!(clock.now() - Utc::now() < chrono::Duration::seconds(5));
        std::fs::remove_dir_all(&dir).ok();
    }
}
