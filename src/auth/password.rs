//! Password hashes: argon2id in the PHC string format Directus stores, so a
//! hash from a Directus database verifies here and ours verify there.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// argon2 cost parameters (Directus's HASH_MEMORY_COST, HASH_TIME_COST,
/// HASH_PARALLELISM).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    /// KiB of memory.
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for HashParams {
    /// What a default Directus install writes: `$argon2id$v=19$m=65536,t=3,p=4$`.
    fn default() -> Self {
        HashParams { memory_kib: 65_536, iterations: 3, parallelism: 4 }
    }
}

/// Hashes `password` with a 16-byte `salt` into a PHC string.
pub fn hash(password: &str, salt: &[u8; 16], params: HashParams) -> Result<String, String> {
    let params = Params::new(params.memory_kib, params.iterations, params.parallelism, Some(32))
        .map_err(|e| format!("argon2 parameters: {e}"))?;
    let salt = SaltString::encode_b64(salt).map_err(|e| e.to_string())?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// True when `password` matches the PHC string `phc` (any argon2 variant
/// and parameters; the comparison is constant-time).
pub fn verify(phc: &str, password: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: HashParams = HashParams { memory_kib: 64, iterations: 1, parallelism: 1 };

    #[test]
    fn hashes_verify_and_carry_their_parameters() {
        let h = hash("s3cret", &[7; 16], CHEAP).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{h}");
        assert!(verify(&h, "s3cret"));
        assert!(!verify(&h, "s3cret!"));
        assert!(!verify("not a hash", "s3cret"));
        assert!(!verify("", ""));
    }

    #[test]
    fn verifies_a_hash_directus_wrote() {
        // Directus 12.4's bootstrap hash of "Adm1n-pass-123" (m=65536, t=3, p=4).
        let directus =
            "$argon2id$v=19$m=65536,t=3,p=4$nafwOtAjPsqY9anXztLiYg$R1H9NJUxQ/TUIXWqIBZvdZs/sncp7OCxcLvmtq3kE1I";
        assert!(verify(directus, "Adm1n-pass-123"));
        assert!(!verify(directus, "Adm1n-pass-124"));
    }
}
