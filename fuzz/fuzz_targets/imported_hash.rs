//! Any text as a stored or imported password hash: parsing never panics,
//! the import's check accepts exactly what parses within the import caps,
//! and whatever parses is within the caps that bound one verification.
#![no_main]

use libfuzzer_sys::fuzz_target;
use usher_core::password::imported::{
    BCRYPT_MAX_COST, PBKDF2_MAX_ROUNDS, PBKDF2_SHA512_MAX_ROUNDS, Prf, SCRYPT_MAX_BYTES, StoredHash,
    import_cap,
};
use usher_core::password::{check_importable, parse_stored};

fuzz_target!(|s: &str| {
    let parsed = parse_stored(s);
    let importable = parsed.as_ref().is_ok_and(|h| import_cap(h).is_ok());
    assert_eq!(importable, check_importable(s).is_ok());
    match parsed {
        Ok(StoredHash::Argon2(p)) => assert!(p.params.validate().is_ok()),
        Ok(StoredHash::Bcrypt(b)) => assert!((4..=BCRYPT_MAX_COST).contains(&b.cost)),
        Ok(StoredHash::Pbkdf2(p)) => {
            let (cap, block) = match p.prf {
                Prf::Sha256 => (PBKDF2_MAX_ROUNDS, 32),
                Prf::Sha512 => (PBKDF2_SHA512_MAX_ROUNDS, 64),
            };
            let blocks = p.hash.len().div_ceil(block) as u64;
            assert!(p.rounds >= 1 && u64::from(p.rounds) * blocks <= u64::from(cap));
            assert!(!p.salt.is_empty() && (10..=64).contains(&p.hash.len()));
        }
        Ok(StoredHash::Scrypt(x)) => {
            let mixed = 128 * u128::from(x.r) * u128::from(x.p) << x.log_n;
            assert!(x.log_n >= 1 && mixed <= u128::from(SCRYPT_MAX_BYTES));
        }
        Err(_) => {}
    }
});
