//! Passwords: the policy a new password must meet (NIST SP 800-63B: length,
//! not a common password, not the user's own address or name, no composition
//! rules), and the argon2 hashing service that stores and checks them.
//!
//! A password enters as a [`NormalizedPassword`] (Unicode NFKC), so the same
//! password typed on two keyboards — a full-width `ｐａｓｓ`, a decomposed
//! `é` — is the same password. New hashes are argon2id PHC strings; stored
//! hashes of any argon2 variant and version, and the bcrypt, PBKDF2 and
//! scrypt hashes an import brings from other systems ([`imported`]), are
//! verified, and [`Hasher::needs_rehash`] says when to replace one at the
//! next login.

mod common;
mod hasher;
pub mod imported;
pub mod phc;
mod policy;
#[cfg(test)]
mod vectors;

pub use hasher::{Hasher, HasherConfig};
pub use imported::{StoredHash, check_importable, parse_stored};
pub use phc::{HashParams, MAX_M_KIB, MAX_P, MAX_T, MAX_WORK_KIB};
pub use policy::{NormalizedPassword, PasswordPolicy};

/// A failure to hash or verify a password. None of these mean "wrong
/// password": that is `Ok(false)`.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// The stored hash is not of any format Usher accepts (see
    /// [`imported`]).
    #[error("stored password hash is of an unsupported format: {0}")]
    UnknownFormat(String),
    /// The stored hash names an accepted format but is broken (a corrupted
    /// row, a truncated export).
    #[error("stored password hash is malformed: {0}")]
    Malformed(String),
    /// The cost parameters, stored or configured, are outside the limits
    /// Usher is willing to compute (see [`MAX_M_KIB`] and the caps in
    /// [`imported`]).
    #[error("password hash parameters beyond Usher's limits: {0}")]
    Unsupported(String),
    /// Every worker is busy and the queue is full; the caller should answer
    /// "try again shortly" rather than wait.
    #[error("password hashing is at capacity")]
    Busy,
    /// The worker pool is gone, or a worker failed in the middle of the job.
    #[error("password hashing is unavailable")]
    Unavailable,
    /// The memory a stored hash asks for could not be reserved.
    #[error("not enough memory for argon2 ({kib} KiB)")]
    OutOfMemory { kib: u64 },
    /// argon2 refused its inputs; parsing should have caught this first.
    #[error("argon2 failed: {0}")]
    Argon2(#[from] argon2::Error),
    /// A worker thread could not be started.
    #[error("could not start a password hashing worker: {0}")]
    Spawn(#[source] std::io::Error),
}
