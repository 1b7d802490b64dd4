//! Random identifiers from the host's secure random source: UUIDs for
//! system rows, nanoid-style refresh tokens and generated passwords.

use crate::app::Host;

/// A random (version 4) UUID, as Directus gives new system rows.
pub fn uuid_v4(host: &dyn Host) -> String {
    let mut b = [0u8; 16];
    host.fill_random(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// nanoid's URL-safe alphabet (64 symbols: every byte maps without bias).
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/// `len` random URL-safe characters (a refresh token is 64 of them).
pub fn token(host: &dyn Host, len: usize) -> String {
    let mut b = vec![0u8; len];
    host.fill_random(&mut b);
    b.iter().map(|x| ALPHABET[(x & 63) as usize] as char).collect()
}
