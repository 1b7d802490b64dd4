//! The native host: system clock, the OS random source, tokio timers, and
//! tokio's blocking threads for password hashing.

use crate::app::Host;
use crate::auth::password::{self, HashParams};
use crate::db::BoxFuture;

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

    fn sleep(&self, ms: u64) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(std::time::Duration::from_millis(ms)))
    }

    fn hash_password(
        &self,
        password: String,
        salt: [u8; 16],
        params: HashParams,
    ) -> BoxFuture<'static, Result<String, String>> {
        Box::pin(async move {
            tokio::task::spawn_blocking(move || password::hash(&password, &salt, params))
                .await
                .map_err(|e| e.to_string())?
        })
    }

    fn verify_password(&self, hash: String, password: String) -> BoxFuture<'static, bool> {
        Box::pin(async move {
            tokio::task::spawn_blocking(move || password::verify(&hash, &password)).await.unwrap_or(false)
        })
    }
}
