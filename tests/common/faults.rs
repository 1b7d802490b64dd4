//! What the fault tests (a database server stopped, killed, out of time)
//! share: uncached reads and a load that only ever sees 200 or 503.

use super::{Reply, Server};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A read the response cache does not answer: it reaches the database.
pub fn uncached(s: &Server, path: &str) -> Reply {
    s.get_with(path, &[("cache-control", "no-store")])
}

/// Reads `/items/notes` until `stop`; every answer is 200 or
/// SERVICE_UNAVAILABLE, and in time. Returns the statuses.
pub fn load(s: &Server, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Vec<u16>> {
    let s = s.clone();
    std::thread::spawn(move || {
        let mut statuses = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let started = Instant::now();
            let r = uncached(&s, "/items/notes?limit=5");
            assert!(started.elapsed() < Duration::from_secs(10), "a request hung for {:?}", started.elapsed());
            if r.status == 503 {
                assert_eq!(r.code(), "SERVICE_UNAVAILABLE", "{}", r.text);
            }
            statuses.push(r.status);
            std::thread::sleep(Duration::from_millis(20));
        }
        statuses
    })
}
