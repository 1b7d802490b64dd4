//! The worker's clock, randomness (JS `Date.now()` and WebCrypto) and
//! timers. Password hashing runs inline: an isolate has one thread.

use crate::app::Host;
use crate::auth::password::{self, HashParams};
use crate::db::BoxFuture;

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

    fn sleep(&self, ms: u64) -> BoxFuture<'static, ()> {
        Box::pin(worker::Delay::from(std::time::Duration::from_millis(ms)))
    }

    fn hash_password(
        &self,
        password: String,
        salt: [u8; 16],
        params: HashParams,
    ) -> BoxFuture<'static, Result<String, String>> {
        Box::pin(async move { password::hash(&password, &salt, params) })
    }

    fn verify_password(&self, hash: String, password: String) -> BoxFuture<'static, bool> {
        Box::pin(async move { password::verify(&hash, &password) })
    }
}
