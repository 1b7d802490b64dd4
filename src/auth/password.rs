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

/// The costliest stored hash a login will verify: four times Directus's
/// memory and far more than its passes, so any sane hash passes, while a
/// planted one cannot make a login allocate gigabytes.
const MAX_MEMORY_KIB: u32 = 4 * 65_536;
const MAX_ITERATIONS: u32 = 64;
const MAX_PARALLELISM: u32 = 16;

/// True when `password` matches the PHC string `phc` (any argon2 variant,
/// parameters up to the caps above; the comparison is constant-time).
pub fn verify(phc: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    if params.m_cost() > MAX_MEMORY_KIB || params.t_cost() > MAX_ITERATIONS || params.p_cost() > MAX_PARALLELISM {
        tracing::warn!("a stored password hash asks for more than a login may spend; refused");
        return false;
    }
    Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
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
    fn hashes_costlier_than_the_caps_are_refused() {
        let h = hash("s3cret", &[7; 16], CHEAP).unwrap();
        let costly = h.replace("m=64,", &format!("m={},", MAX_MEMORY_KIB + 1));
        assert!(!verify(&costly, "s3cret"));
        let slow = h.replace("t=1,", &format!("t={},", MAX_ITERATIONS + 1));
        assert!(!verify(&slow, "s3cret"));
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
