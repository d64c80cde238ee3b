//! Known-answer vectors from other implementations for every accepted
//! format, verified through the [`Hasher`]; refusals of hashes beyond the
//! caps; and (by hand) the cost of the costliest hash each cap lets through.
//!
//! Sources: generated for Usher with Python 3.11 and pyca `bcrypt` 5.0.0,
//! `argon2-cffi` 25.1.0, passlib 1.7.4, Django 5.2.19 and `hashlib`
//! (`pbkdf2_hmac`, `scrypt`), except where a line names a published vector.

use super::imported::{BCRYPT_MAX_COST, PBKDF2_MAX_ROUNDS, PBKDF2_SHA512_MAX_ROUNDS};
use super::{HashError, HashParams, Hasher, HasherConfig, NormalizedPassword};

const PASSWORD: &str = "correct horse battery staple";

fn cheap() -> Hasher {
    Hasher::new(HasherConfig {
        params: HashParams {
            m_kib: 64,
            t: 1,
            p: 1,
        },
        workers: 2,
        queue: 64,
    })
    .unwrap()
}

fn pw(s: &str) -> NormalizedPassword {
    NormalizedPassword::normalize(s)
}

/// (what made it, stored hash, its password)
const VECTORS: &[(&str, &str, &str)] = &[
    // bcrypt.hashpw(pw, bcrypt.gensalt(rounds=4))
    (
        "pyca bcrypt $2b$",
        "$2b$04$cUDtUtBqYCV5gRYUnfuS8OwuP1yM/AFy6/dhL.HKCUtqQ/b7nmiqe",
        PASSWORD,
    ),
    // bcrypt.gensalt(rounds=5, prefix=b"2a")
    (
        "pyca bcrypt $2a$",
        "$2a$05$D3McI2H9bs/8ppT7KBvbzuMgVtG21SuW345TLIZta7IEwab0SjpBa",
        "Tr0ub4dor&3",
    ),
    // A $2b$ hash under PHP's name $2y$, which pyca's checkpw accepts.
    (
        "pyca bcrypt as $2y$",
        "$2y$04$K/37rVmrb6hnKwlC76VXjeQbaq96d.6Sx5nAS/vqNoUa/tNXp/nvG",
        "hunter2 hunter2",
    ),
    // Published: OpenBSD / Openwall crypt_blowfish test vector.
    (
        "crypt_blowfish published",
        "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
        "U*U",
    ),
    // Django BCryptPasswordHasher (rounds = 4).
    (
        "Django bcrypt",
        "bcrypt$$2b$04$bTVAqWXnrFpeIWXzLdBdJuRRbgC9DHCCuVI8lbHxEBmWL7mx0/HFS",
        PASSWORD,
    ),
    // argon2.low_level.hash_secret(pw, b"usher-vector-salt", time_cost=2,
    // memory_cost=64, parallelism=1, hash_len=32, type=…)
    (
        "argon2-cffi argon2i",
        "$argon2i$v=19$m=64,t=2,p=1$dXNoZXItdmVjdG9yLXNhbHQ$4wh3oRjWODow0TaR6Md8wVrP08PE+GuDkd23R1O2tUs",
        PASSWORD,
    ),
    (
        "argon2-cffi argon2d",
        "$argon2d$v=19$m=64,t=2,p=1$dXNoZXItdmVjdG9yLXNhbHQ$jxM4tw3tFXcHGQNGAnswAD4YTLCaDha7J4W9E4zhDus",
        PASSWORD,
    ),
    (
        "argon2-cffi argon2id",
        "$argon2id$v=19$m=64,t=2,p=1$dXNoZXItdmVjdG9yLXNhbHQ$1pcgcWiBGctRPb7jWZmjoYSBWHRRNEFYbYZOYh8nB+A",
        PASSWORD,
    ),
    // version=16, two lanes, a 24-byte hash.
    (
        "argon2-cffi argon2i v16",
        "$argon2i$v=16$m=32,t=1,p=2$dXNoZXItdmVjdG9yLXNhbHQ$BdifjHtPVgVh/WXmbwJXHb/x6uwqQZct",
        "old version",
    ),
    // Django Argon2PasswordHasher (time_cost 1, memory_cost 64, parallelism 1).
    (
        "Django argon2",
        "argon2$argon2id$v=19$m=64,t=1,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$1Coflzpap86bHzibILbMW+d/2LAgQJY48R5D3nm6PBE",
        PASSWORD,
    ),
    // passlib pbkdf2_sha256 / pbkdf2_sha512 .using(rounds=1000): bare
    // rounds, adapted base64 ("." for "+").
    (
        "passlib pbkdf2-sha256",
        "$pbkdf2-sha256$1000$4nyvNeZ8T4lxDmFsDcH4Pw$YQrIFr4pPeYdExVtqaMx658MP2SE54qY7wrVOsSmuQo",
        PASSWORD,
    ),
    (
        "passlib pbkdf2-sha512",
        "$pbkdf2-sha512$1000$BwBgTEkp5XyPcc6ZM2aM0Q$I6y.HafE8./Jr8xK8VsfLx1dc/qM184Y2Z63xtGq/cD79XHCA0CDOUlMoeEVBDQHDRoIQmqbIFrq7YtHev.iWw",
        PASSWORD,
    ),
    // hashlib.pbkdf2_hmac(alg, pw, b"usher-pbkdf2-salt", 2000, len), written
    // as RustCrypto's pbkdf2 writes PHC strings (i=…,l=…, standard base64).
    (
        "hashlib pbkdf2-sha256, RustCrypto form",
        "$pbkdf2-sha256$i=2000,l=32$dXNoZXItcGJrZGYyLXNhbHQ$aQ2dVYPGUm4N3Nb/4GyPAZ8kJ29Z1OoY9AzjvzOLlrw",
        PASSWORD,
    ),
    (
        "hashlib pbkdf2-sha512, RustCrypto form",
        "$pbkdf2-sha512$i=2000,l=64$dXNoZXItcGJrZGYyLXNhbHQ$g1Tz1VhkX57xvDsWvdeMwXf6TA2Mwez04gAThvae0jFnQQLNwPIo+JyvvR383teLfOy8vtznweSNRQ04/7SG7Q",
        PASSWORD,
    ),
    // Django PBKDF2PasswordHasher().encode(pw, salt, iterations=1000).
    (
        "Django pbkdf2_sha256",
        "pbkdf2_sha256$1000$Xb7sPq0aZk3LmNoP9RtUvW$VvUzSlUmC/DCAUupg+0kUolbRfBbDcCFIqe+IUcCrqE=",
        PASSWORD,
    ),
    // passlib scrypt.using(rounds=6, block_size=8, parallelism=1).
    (
        "passlib scrypt",
        "$scrypt$ln=6,r=8,p=1$RqhVKiWkVKpVihEihJDS2g$XpVWRHfItypBoBeZiWqilmn7KVZj/ZrgubQ96rXmmTc",
        PASSWORD,
    ),
    // hashlib.scrypt(pw, salt=b"usher-scrypt-salt", n=32, r=4, p=2, dklen=32).
    (
        "hashlib scrypt",
        "$scrypt$ln=5,r=4,p=2$dXNoZXItc2NyeXB0LXNhbHQ$OATeseGyhtS9AMkQMg6wu6/K5/vDyiuxL6rL9zo8+Tw",
        PASSWORD,
    ),
];

#[tokio::test]
async fn every_vector_verifies_its_password_and_no_other_and_asks_for_a_rehash() {
    let h = cheap();
    for (source, stored, password) in VECTORS {
        assert!(
            h.verify(&pw(password), stored).await.unwrap(),
            "{source}: {stored}"
        );
        let wrong = format!("{password}!");
        assert!(!h.verify(&pw(&wrong), stored).await.unwrap(), "{source}");
        assert!(!h.verify(&pw(""), stored).await.unwrap(), "{source}");
        assert!(h.needs_rehash(stored), "{source}");
    }
}

#[tokio::test]
async fn bcrypt_keys_on_the_first_72_bytes_as_everywhere_else() {
    // bcrypt.hashpw(b"x" * 72, bcrypt.gensalt(rounds=4)): pyca refuses
    // longer passwords, other implementations cut them at 72 bytes.
    let h = cheap();
    let stored = "$2b$04$1mqEvpuoq9eG.5q/ToT/2ev8Mt0de/oj4xlO83t242UCGpNYRwXXC";
    assert!(h.verify(&pw(&"x".repeat(72)), stored).await.unwrap());
    assert!(h.verify(&pw(&"x".repeat(80)), stored).await.unwrap());
    assert!(!h.verify(&pw(&"x".repeat(71)), stored).await.unwrap());
}

#[tokio::test]
async fn a_hash_made_from_the_password_as_typed_verifies_though_nfkc_changes_it() {
    // "µ" (U+00B5, on German keyboards) is "μ" (U+03BC) in NFKC; the other
    // system hashed the bytes the user typed.
    let h = cheap();
    let typed = "Grüße µ";
    assert_ne!(pw(typed).expose(), typed);
    for (source, stored) in [
        // pyca bcrypt, rounds=4
        (
            "bcrypt",
            "$2b$04$ANDXxSulQi8RagUHGSlXMePv4rIolq/ePLJ.WFjxrkUMU0OXWtG1W",
        ),
        // Django PBKDF2PasswordHasher, iterations=1000
        (
            "Django",
            "pbkdf2_sha256$1000$saltysaltysaltysalty12$/68ZPA7pIGXEdzTpXzHeMlZ3emxUTL4pTHx6brAJoko=",
        ),
    ] {
        assert!(h.verify(&pw(typed), stored).await.unwrap(), "{source}");
        assert!(!h.verify(&pw("Grüße µ!"), stored).await.unwrap());
    }
}

#[tokio::test]
async fn hashes_beyond_the_caps_are_refused_without_being_computed() {
    let h = cheap();
    let salt = "c29tZXNhbHRzb21lc2FsdA";
    let hash = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    for stored in [
        format!(
            "$2b${}$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
            BCRYPT_MAX_COST + 1
        ),
        "$2b$31$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW".to_owned(),
        format!("$pbkdf2-sha256${}${salt}${hash}", PBKDF2_MAX_ROUNDS + 1),
        format!("pbkdf2_sha256${}$salt${hash}=", PBKDF2_MAX_ROUNDS + 1),
        format!(
            "$pbkdf2-sha512$i={},l=64${salt}${hash}{hash}",
            PBKDF2_SHA512_MAX_ROUNDS + 1
        ),
        format!("$scrypt$ln=19,r=8,p=1${salt}${hash}"),
        format!("$scrypt$ln=63,r=4294967295,p=4294967295${salt}${hash}"),
        format!("$argon2id$v=19$m=4194304,t=1,p=1${salt}${hash}"),
    ] {
        let started = std::time::Instant::now();
        let answer = h.verify(&pw(PASSWORD), &stored).await;
        assert!(
            matches!(answer, Err(HashError::Unsupported(_))),
            "{stored}: {answer:?}"
        );
        assert!(started.elapsed().as_millis() < 500, "{stored} was computed");
        assert!(h.needs_rehash(&stored));
    }
}

#[tokio::test]
async fn malformed_stored_hashes_are_errors_not_panics_nor_matches() {
    let h = cheap();
    for stored in [
        "",
        "plaintext password",
        "$2b$04$short",
        "$2x$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
        "$pbkdf2-sha256$1000$$",
        "pbkdf2_sha256$1000$salt$not base64",
        "$scrypt$ln=0,r=8,p=1$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "md5$salt$hash",
    ] {
        assert!(h.verify(&pw(PASSWORD), stored).await.is_err(), "{stored}");
    }
}

#[tokio::test]
async fn usher_s_own_current_hashes_need_no_rehash_and_older_ones_do() {
    let h = cheap();
    let own = h.hash(pw(PASSWORD)).await.unwrap();
    assert!(!h.needs_rehash(&own));
    let other_params = VECTORS
        .iter()
        .find(|v| v.0 == "argon2-cffi argon2id")
        .unwrap()
        .1;
    assert!(h.needs_rehash(other_params));
}

/// Prints how long the costliest hash of each format takes to verify:
/// `cargo test -p usher-core worst_case -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "takes about 20 s and 1 GiB; run by hand to measure the caps"]
async fn worst_case_verification_times() {
    let h = Hasher::new(HasherConfig {
        workers: 1,
        ..HasherConfig::default()
    })
    .unwrap();
    let salt = "c29tZXNhbHRzb21lc2FsdA";
    let hash = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let cases = [
        format!("$2b${BCRYPT_MAX_COST}$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"),
        "$2b$12$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW".to_owned(),
        format!("$pbkdf2-sha256$i={PBKDF2_MAX_ROUNDS},l=32${salt}${hash}"),
        format!("pbkdf2_sha256$1000000$salt${hash}="),
        format!("$pbkdf2-sha512$i={PBKDF2_SHA512_MAX_ROUNDS},l=64${salt}${hash}{hash}"),
        format!("$scrypt$ln=18,r=8,p=1${salt}${hash}"),
        format!("$scrypt$ln=14,r=8,p=16${salt}${hash}"),
        format!("$argon2id$v=19$m=19456,t=2,p=1${salt}${hash}"),
        format!("$argon2id$v=19$m=1048576,t=8,p=1${salt}${hash}"),
    ];
    for stored in cases {
        let started = std::time::Instant::now();
        let answer = h.verify(&pw("x"), &stored).await;
        println!(
            "{:>6} ms  {stored}  {answer:?}",
            started.elapsed().as_millis()
        );
    }
}
