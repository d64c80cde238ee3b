//! Every format parsed with its parameters, the caps at their edges, and
//! what an import row is told about a hash it cannot take.

use super::*;

const SALT: &str = "c29tZXNhbHRzb21lc2FsdA";
const HASH: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const BCRYPT: &str = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";

fn code(s: &str) -> &'static str {
    check_importable(s).map_or_else(|e| e.code.as_str(), |()| "ok")
}

#[test]
fn each_format_parses_with_its_parameters() {
    let StoredHash::Bcrypt(b) = parse_stored(BCRYPT).unwrap() else {
        panic!("not bcrypt")
    };
    assert_eq!(b.cost, 5);
    // "C" is 4 in bcrypt's base64: 000100 000100 000100 000100.
    assert_eq!(b.salt[..6], [0x10, 0x41, 0x04, 0x10, 0x41, 0x04]);
    let StoredHash::Pbkdf2(p) =
        parse_stored(&format!("$pbkdf2-sha512$i=2000,l=32${SALT}${HASH}")).unwrap()
    else {
        panic!("not pbkdf2")
    };
    assert_eq!(
        (p.prf, p.rounds, p.salt.len(), p.hash.len()),
        (Prf::Sha512, 2000, 16, 32)
    );
    let StoredHash::Pbkdf2(d) =
        parse_stored(&format!("pbkdf2_sha256$870000$Xb7sPq0aZk3L${HASH}=")).unwrap()
    else {
        panic!("not pbkdf2")
    };
    assert_eq!((d.prf, d.rounds), (Prf::Sha256, 870_000));
    assert_eq!(d.salt, b"Xb7sPq0aZk3L", "Django's salt is its text");
    let StoredHash::Scrypt(s) =
        parse_stored(&format!("$scrypt$p=2,ln=15,r=8${SALT}${HASH}")).unwrap()
    else {
        panic!("not scrypt")
    };
    assert_eq!((s.log_n, s.r, s.p), (15, 8, 2));
    for (stored, scheme) in [
        (BCRYPT.replace("$2a$", "$2y$"), "bcrypt"),
        (
            format!("bcrypt${}", BCRYPT.replace("$2a$", "$2b$")),
            "bcrypt",
        ),
        (
            format!("$pbkdf2-sha256$29000${SALT}${HASH}"),
            "pbkdf2-sha256",
        ),
        (
            format!("$argon2d$v=19$m=64,t=1,p=1${SALT}${HASH}"),
            "argon2d",
        ),
        (
            format!("argon2$argon2id$v=19$m=64,t=1,p=1${SALT}${HASH}"),
            "argon2id",
        ),
    ] {
        assert_eq!(parse_stored(&stored).unwrap().scheme(), scheme, "{stored}");
    }
}

#[test]
fn the_caps_are_inclusive() {
    let bcrypt = |cost: u32| BCRYPT.replace("$05$", &format!("${cost:02}$"));
    assert!(parse_stored(&bcrypt(BCRYPT_MAX_COST)).is_ok());
    assert!(matches!(
        parse_stored(&bcrypt(BCRYPT_MAX_COST + 1)),
        Err(HashError::Unsupported(_))
    ));
    assert!(matches!(
        parse_stored(&bcrypt(3)),
        Err(HashError::Malformed(_))
    ));
    assert!(matches!(
        parse_stored(&bcrypt(32)),
        Err(HashError::Malformed(_))
    ));

    let pbkdf2 = |rounds: u32, hash: &str| format!("$pbkdf2-sha256${rounds}${SALT}${hash}");
    assert!(parse_stored(&pbkdf2(PBKDF2_MAX_ROUNDS, HASH)).is_ok());
    assert!(parse_stored(&pbkdf2(PBKDF2_MAX_ROUNDS + 1, HASH)).is_err());
    // 64 bytes of SHA-256 output are two blocks: twice the rounds.
    let two_blocks = format!("{HASH}{HASH}");
    assert!(parse_stored(&pbkdf2(PBKDF2_MAX_ROUNDS / 2, &two_blocks)).is_ok());
    assert!(parse_stored(&pbkdf2(PBKDF2_MAX_ROUNDS / 2 + 1, &two_blocks)).is_err());
    let sha512 = format!(
        "$pbkdf2-sha512${}${SALT}${two_blocks}",
        PBKDF2_SHA512_MAX_ROUNDS
    );
    assert!(parse_stored(&sha512).is_ok());

    let scrypt = |ln: u32, r: u32, p: u32| format!("$scrypt$ln={ln},r={r},p={p}${SALT}${HASH}");
    assert!(parse_stored(&scrypt(18, 8, 1)).is_ok());
    assert!(parse_stored(&scrypt(14, 8, 16)).is_ok());
    for (ln, r, p) in [
        (19, 8, 1),
        (18, 8, 2),
        (14, 8, 17),
        (21, 2, 1),
        (22, 1, 1),
        (64, 1, 1),
        (300, 1, 1),
    ] {
        assert!(
            matches!(
                parse_stored(&scrypt(ln, r, p)),
                Err(HashError::Unsupported(_))
            ),
            "ln={ln} r={r} p={p}"
        );
    }
}

#[test]
fn malformed_strings_are_errors_not_panics() {
    let long = "a".repeat(MAX_LEN + 1);
    for bad in [
        "",
        "$",
        "$2",
        "$2b$",
        "$2b$05$",
        // 60 bytes with a multi-byte character where the cost is cut.
        "$2b$0é$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvy",
        "$2b$05CCCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
        "$2b$+5$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
        "$2b$05$CCCCCCCCCCCCCCCCCCCCC!E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
        "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW=",
        "bcrypt$",
        "bcrypt$$2b$",
        "$pbkdf2-sha256$",
        "$pbkdf2-sha256$1000",
        "$pbkdf2-sha256$0$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$pbkdf2-sha256$01000$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$pbkdf2-sha256$i=1000,i=2$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$pbkdf2-sha256$i=1000,l=16$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$pbkdf2-sha256$i=1000,x=1$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$pbkdf2-sha256$1000$$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$pbkdf2-sha256$1000$c2FsdA$AAAA",
        "$pbkdf2-sha256$1000$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA$x",
        "pbkdf2_sha256$1000$salt",
        "pbkdf2_sha256$-1000$salt$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "pbkdf2_sha256$1000$$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "pbkdf2_sha256$1000$salt$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=16,r=8$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=16,r=8,p=1,p=1$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=16,r=0,p=1$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=x,r=8,p=1$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=99999999999,r=8,p=1$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=19$m=64,t=1,p=1",
        "argon2$",
        "argon2$argon2id$v=19",
        long.as_str(),
    ] {
        assert!(parse_stored(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn an_import_row_learns_why_its_hash_is_refused() {
    assert_eq!(code(BCRYPT), "ok");
    assert_eq!(code("md5$abc$0123456789abcdef"), "unsupported_hash_format");
    assert_eq!(code("bcrypt_sha256$$2b$12$xyz"), "unsupported_hash_format");
    assert_eq!(
        code(&BCRYPT.replace("$2a$", "$2x$")),
        "unsupported_hash_format"
    );
    assert_eq!(code(&BCRYPT.replace("$05$", "$17$")), "hash_cost_too_high");
    assert_eq!(code("$2b$05$short"), "malformed_hash");
    let e = check_importable("{SSHA}abc").unwrap_err();
    assert_eq!(e.field, "password_hash");
    assert!(
        e.message.contains("bcrypt ($2a$, $2b$, $2y$)"),
        "{}",
        e.message
    );
    let e = check_importable(&BCRYPT.replace("$05$", "$20$")).unwrap_err();
    assert!(e.message.contains("above 16"), "{}", e.message);
}

#[test]
fn an_import_brings_in_no_hash_costlier_than_its_caps() {
    let argon2 = |m: u32, t: u32, p: u32| format!("$argon2id$v=19$m={m},t={t},p={p}${SALT}${HASH}");
    for (ok, stored) in [
        (true, argon2(65_536, 10, 4)),
        (false, argon2(65_537, 1, 1)),
        (false, argon2(19_456, 11, 1)),
        (false, argon2(19_456, 2, 5)),
        (true, BCRYPT.replace("$05$", "$14$")),
        (false, BCRYPT.replace("$05$", "$15$")),
        (true, format!("pbkdf2_sha256$1000000$salt${HASH}=")),
        (false, format!("pbkdf2_sha256$1000001$salt${HASH}=")),
        (
            false,
            format!("$pbkdf2-sha512$i=1000001,l=32${SALT}${HASH}"),
        ),
        (true, format!("$scrypt$ln=17,r=8,p=1${SALT}${HASH}")),
        (false, format!("$scrypt$ln=18,r=8,p=1${SALT}${HASH}")),
    ] {
        let expected = if ok { "ok" } else { "hash_cost_too_high" };
        assert_eq!(code(&stored), expected, "{stored}");
        // What Usher already stores is still verified up to its own caps.
        assert!(parse_stored(&stored).is_ok(), "{stored}");
    }
    let e = check_importable(&argon2(1_048_576, 8, 1)).unwrap_err();
    assert!(
        e.message.contains("above m=65536,t=10,p=4"),
        "{}",
        e.message
    );
}
