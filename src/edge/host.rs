//! The worker's clock and randomness (JS `Date.now()` and WebCrypto).

use crate::app::Host;

pub struct WorkerHost;

impl Host for WorkerHost {
    fn now_ms(&self) -> i64 {
        worker::Date::now().as_millis() as i64
    }

    fn fill_random(&self, buf: &mut [u8]) {
        if let Err(e) = getrandom::fill(buf) {
            panic!("WebCrypto random source failed: {e}");
        }
    }
}
