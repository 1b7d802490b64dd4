//! No request can stall the server: statements run off the async runtime,
//! each has a time budget enforced inside SQLite, and one whose client went
//! away is stopped. Native only (the edge runtime bounds its own requests).
//!
//! One test in its own binary: it measures the process's CPU time, which
//! other tests running alongside would disturb.

mod common;
use common::{music_db, serve_file, Server};
use std::time::{Duration, Instant};

/// Nested reverse fields over unindexed foreign keys: each of the store's
/// tracks scans `playlist_track` once per entry of its own, for many seconds.
const EXPENSIVE: &str = "/items/track?fields=id,playlist_track.track.playlist_track.track.invoiceline.id&limit=-1";

/// CPU time this process (server threads included) has used so far.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // Fields after the command name, which is in parentheses: utime and
    // stime are the 12th and 13th of them, in clock ticks (100 a second).
    let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<u64> = rest.split(' ').skip(11).take(2).map(|f| f.parse().expect("ticks")).collect();
    Duration::from_millis((fields[0] + fields[1]) * 10)
}

/// The time a GET takes, after checking it succeeded.
fn timed_get(s: &Server, path: &str) -> Duration {
    let t = Instant::now();
    let r = s.get(path);
    assert_eq!(r.status, 200, "{path}: {}", r.text);
    t.elapsed()
}

/// CPU used by the process over `window`, while it should be idle.
fn cpu_over(window: Duration) -> Duration {
    let before = cpu_time();
    std::thread::sleep(window);
    cpu_time() - before
}

#[test]
fn slow_statements_are_bounded_and_stopped() {
    let db = music_db("bounded", 3503);

    // 1. The time budget: the statement is stopped inside SQLite and the
    //    request answers Directus's timeout error.
    let s = serve_file(&db, &["--statement-timeout-ms", "300"]);
    let t = Instant::now();
    let r = s.get(EXPENSIVE);
    assert_eq!((r.status, r.code().as_str()), (408, "OUT_OF_TIME"), "{}", r.text);
    assert_eq!(r.json()["errors"][0]["message"], "Query timed out after 300 ms.");
    assert_eq!(r.json()["errors"][0]["extensions"]["duration"], 300);
    assert!(t.elapsed() < Duration::from_secs(2), "answered after {:?}", t.elapsed());
    let used = cpu_over(Duration::from_millis(800));
    assert!(used < Duration::from_millis(300), "the timed-out statement kept running: {used:?} of CPU in 800 ms");

    // 2. Abandoned requests: with a generous budget, clients that give up
    //    stop their statements, and cheap requests never wait behind them.
    let s = serve_file(&db, &["--statement-timeout-ms", "120000"]);
    timed_get(&s, "/items/track/1");
    let abandon = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..3)
            .map(|_| {
                scope.spawn(|| {
                    let impatient = reqwest::blocking::Client::builder()
                        .timeout(Duration::from_millis(400))
                        .build()
                        .expect("client");
                    impatient.get(format!("{}{EXPENSIVE}", s.base)).send().map(|r| r.status().as_u16())
                })
            })
            .collect();
        // While the three run: ping and a point read stay fast.
        std::thread::sleep(Duration::from_millis(150));
        let ping = timed_get(&s, "/server/ping");
        let read = timed_get(&s, "/items/track/42");
        assert!(ping < Duration::from_millis(100), "ping took {ping:?} beside slow statements");
        assert!(read < Duration::from_millis(100), "a point read took {read:?} beside slow statements");
        clients.into_iter().map(|c| c.join().expect("client thread")).collect::<Vec<_>>()
    });
    assert!(
        abandon.iter().all(|r| r.is_err()),
        "the expensive requests were expected to time out client-side: {abandon:?}"
    );
    // The server noticed the clients leave and stopped their statements.
    std::thread::sleep(Duration::from_millis(200));
    let used = cpu_over(Duration::from_millis(1000));
    assert!(used < Duration::from_millis(300), "abandoned statements kept running: {used:?} of CPU in 1 s");
    for _ in 0..5 {
        let read = timed_get(&s, "/items/track/42");
        assert!(read < Duration::from_millis(100), "a point read took {read:?} after abandonment");
    }
}
