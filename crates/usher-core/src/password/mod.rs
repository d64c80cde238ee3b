//! Passwords: the policy a new password must meet (NIST SP 800-63B: length,
//! not a common password, not the user's own address or name, no composition
//! rules), and the argon2 hashing service that stores and checks them.
//!
//! A password enters as a [`NormalizedPassword`] (Unicode NFKC), so the same
//! password typed on two keyboards — a full-width `ｐａｓｓ`, a decomposed
//! `é` — is the same password. New hashes are argon2id PHC strings; stored
//! hashes of any argon2 variant and version are verified, and
//! [`Hasher::needs_rehash`] says when to replace one at the next login.

mod common;
mod hasher;
pub mod phc;
mod policy;

pub use hasher::{Hasher, HasherConfig};
pub use phc::{HashParams, MAX_M_KIB, MAX_P, MAX_T, MAX_WORK_KIB};
pub use policy::{NormalizedPassword, PasswordPolicy};

/// Whether a password hash from another system can be imported: it must
/// parse, with costs within the limits (nothing is hashed here).
pub fn check_importable(stored: &str) -> Result<(), HashError> {
    phc::parse(stored).map(|_| ())
}

/// A failure to hash or verify a password. None of these mean "wrong
/// password": that is `Ok(false)`.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// The stored hash is not an argon2 PHC string (a corrupted row, or a
    /// hash of another algorithm imported without conversion).
    #[error("stored password hash is malformed: {0}")]
    Malformed(String),
    /// The cost parameters, stored or configured, are outside the limits
    /// Usher is willing to compute (see [`MAX_M_KIB`]).
    #[error("unsupported argon2 parameters: {0}")]
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
