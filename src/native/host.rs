//! The native host's clock and randomness.

use crate::app::Host;

/// System clock and the OS random source.
pub struct SystemHost;

impl Host for SystemHost {
    fn now_ms(&self) -> i64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
    }

    fn fill_random(&self, buf: &mut [u8]) {
        // The OS source failing is not recoverable; fall back loudly.
        if let Err(e) = getrandom::fill(buf) {
            panic!("operating system random source failed: {e}");
        }
    }
}
