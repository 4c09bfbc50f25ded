//! Spacing out the calls of one command to rate-limit-sensitive endpoints (the admin API).

use std::cell::Cell;
use std::time::Duration;

use crate::platform::Platform;

/// Every logical call but a command's first waits `gap` (retries back off on their own). The
/// count is a [`Cell`] so the pager, the create helper and a lookup closure can share one `&Pace`
/// while each holds the platform in turn.
#[derive(Debug)]
pub struct Pace {
    gap: Duration,
    calls: Cell<u32>,
}

impl Pace {
    pub fn new(gap: Duration) -> Self {
        Self {
            gap,
            calls: Cell::new(0),
        }
    }

    /// Waits before the call about to be made, unless it is the first.
    pub fn wait(&self, platform: &mut dyn Platform) {
        if self.calls.get() > 0 && !self.gap.is_zero() {
            platform.sleep(self.gap);
        }
        self.calls.set(self.calls.get().saturating_add(1));
    }
}
