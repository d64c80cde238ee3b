//! Hashing and verifying passwords on a fixed pool of worker threads, off
//! the async runtime. Each worker keeps its argon2 memory between calls:
//! allocating (and zeroing) 19 MiB per hash costs about as much as the hash.
//! Imported bcrypt, PBKDF2 and scrypt hashes are verified on the same
//! workers.

use super::imported::{self, StoredHash};
use super::phc::{self, HashParams};
use super::{HashError, NormalizedPassword};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use subtle::ConstantTimeEq;
use tokio::sync::oneshot;
use zeroize::Zeroizing;

const SALT_LEN: usize = 16;
const HASH_LEN: usize = 32;

/// How the hasher is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HasherConfig {
    /// Parameters of new hashes.
    pub params: HashParams,
    /// Worker threads; one per core by default.
    pub workers: usize,
    /// Jobs that may wait for a worker before callers are told to retry.
    pub queue: usize,
}

impl Default for HasherConfig {
    fn default() -> Self {
        Self {
            params: HashParams::OWASP,
            workers: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            queue: 1024,
        }
    }
}

enum Job {
    Hash {
        password: Zeroizing<String>,
        reply: oneshot::Sender<Result<String, HashError>>,
    },
    Verify {
        password: Zeroizing<String>,
        /// The password as typed, tried when the normalised form fails
        /// against a hash another system made.
        typed: Option<Zeroizing<String>>,
        stored: String,
        reply: oneshot::Sender<Result<bool, HashError>>,
    },
}

/// The password hashing service.
pub struct Hasher {
    jobs: SyncSender<Job>,
    params: HashParams,
    /// A valid hash of the current parameters, verified against when there
    /// is no real one, so that a missing account costs the same time.
    dummy: String,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

/// One worker's reusable argon2 memory.
struct Memory(Vec<Block>);

impl Memory {
    fn blocks(&mut self, params: &Params) -> Result<&mut [Block], HashError> {
        let need = params.block_count();
        if self.0.len() < need {
            let extra = need - self.0.len();
            self.0
                .try_reserve_exact(extra)
                .map_err(|_| HashError::OutOfMemory { kib: need as u64 })?;
            self.0.resize(need, Block::new());
        }
        Ok(&mut self.0[..need])
    }

    /// Gives back what an unusually costly hash (an imported one) took
    /// beyond `keep` blocks, so that one such login does not hold its
    /// memory in the worker for the life of the process.
    fn trim(&mut self, keep: usize) {
        if self.0.capacity() > keep {
            self.0.truncate(keep);
            self.0.shrink_to_fit();
        }
    }
}

fn compute(
    memory: &mut Memory,
    algorithm: Algorithm,
    version: Version,
    params: HashParams,
    password: &str,
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), HashError> {
    params.validate()?;
    let argon_params = Params::new(params.m_kib, params.t, params.p, Some(out.len()))?;
    let argon = Argon2::new(algorithm, version, argon_params.clone());
    let blocks = memory.blocks(&argon_params)?;
    argon.hash_password_into_with_memory(password.as_bytes(), salt, out, blocks)?;
    Ok(())
}

fn hash_new(memory: &mut Memory, params: HashParams, password: &str) -> Result<String, HashError> {
    let mut salt = [0u8; SALT_LEN];
    rand::fill(&mut salt);
    let mut out = Zeroizing::new([0u8; HASH_LEN]);
    compute(
        memory,
        Algorithm::Argon2id,
        Version::V0x13,
        params,
        password,
        &salt,
        out.as_mut(),
    )?;
    Ok(phc::format(
        Algorithm::Argon2id,
        Version::V0x13,
        params,
        &salt,
        out.as_ref(),
    ))
}

/// Whether a stored hash is a plain argon2id PHC string of the current
/// parameters: Usher's own, made from the NFKC form of a password. (A
/// Django-wrapped one is rewritten at the next login.)
fn is_current(raw: &str, stored: &StoredHash, params: HashParams) -> bool {
    raw.starts_with('$')
        && matches!(stored, StoredHash::Argon2(p)
            if p.algorithm == Algorithm::Argon2id && p.version == Version::V0x13 && p.params == params)
}

fn matches(memory: &mut Memory, stored: &StoredHash, password: &str) -> Result<bool, HashError> {
    match stored {
        StoredHash::Argon2(phc) => {
            let mut out = Zeroizing::new(vec![0u8; phc.hash.len()]);
            compute(
                memory,
                phc.algorithm,
                phc.version,
                phc.params,
                password,
                &phc.salt,
                &mut out,
            )?;
            Ok(out.ct_eq(&phc.hash).into())
        }
        other => imported::verify_other(other, password.as_bytes()),
    }
}

fn verify(
    memory: &mut Memory,
    params: HashParams,
    password: &str,
    typed: Option<&str>,
    stored: &str,
) -> Result<bool, HashError> {
    let parsed = imported::parse_stored(stored)?;
    if matches(memory, &parsed, password)? {
        return Ok(true);
    }
    // Another system hashed what the user typed there, not its NFKC form.
    match typed {
        Some(typed) if !is_current(stored, &parsed, params) => matches(memory, &parsed, typed),
        _ => Ok(false),
    }
}

fn work(jobs: Arc<Mutex<Receiver<Job>>>, params: HashParams) {
    let mut memory = Memory(Vec::new());
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        match job {
            Ok(Job::Hash { password, reply }) => {
                let _ = reply.send(hash_new(&mut memory, params, &password));
            }
            Ok(Job::Verify {
                password,
                typed,
                stored,
                reply,
            }) => {
                let typed = typed.as_ref().map(|t| t.as_str());
                let _ = reply.send(verify(&mut memory, params, &password, typed, &stored));
            }
            Err(_) => return,
        }
        // One block is one KiB: the current parameters' memory is kept.
        memory.trim(params.m_kib as usize);
    }
}

impl Hasher {
    pub fn new(config: HasherConfig) -> Result<Self, HashError> {
        config.params.validate()?;
        let (tx, rx) = sync_channel::<Job>(config.queue.max(1));
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..config.workers.max(1) {
            let rx = rx.clone();
            let params = config.params;
            std::thread::Builder::new()
                .name(format!("usher-argon2-{i}"))
                .spawn(move || work(rx, params))
                .map_err(HashError::Spawn)?;
        }
        // The dummy is computed here once, with the worker's code path.
        let mut memory = Memory(Vec::new());
        let dummy = hash_new(&mut memory, config.params, "usher timing equaliser")?;
        Ok(Self {
            jobs: tx,
            params: config.params,
            dummy,
        })
    }

    pub fn params(&self) -> HashParams {
        self.params
    }

    fn submit(&self, job: Job) -> Result<(), HashError> {
        self.jobs.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => HashError::Busy,
            TrySendError::Disconnected(_) => HashError::Unavailable,
        })
    }

    /// A new argon2id PHC string for `password`.
    pub async fn hash(&self, password: NormalizedPassword) -> Result<String, HashError> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Hash {
            password: Zeroizing::new(password.expose().to_owned()),
            reply,
        })?;
        answer.await.map_err(|_| HashError::Unavailable)?
    }

    /// Whether `password` matches the stored hash — any format
    /// [`imported::parse_stored`] accepts, with its own parameters —
    /// compared in constant time. Against a hash other than Usher's current
    /// argon2id, the password as typed is tried too when its NFKC form
    /// differs and does not match.
    pub async fn verify(
        &self,
        password: &NormalizedPassword,
        stored: &str,
    ) -> Result<bool, HashError> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Verify {
            password: Zeroizing::new(password.expose().to_owned()),
            typed: password.typed().map(|t| Zeroizing::new(t.to_owned())),
            stored: stored.to_owned(),
            reply,
        })?;
        answer.await.map_err(|_| HashError::Unavailable)?
    }

    /// Spends the time of one verification, for a login without an account;
    /// fails as a real verification would (`Busy` when the queue is full),
    /// so that the answer does not tell the two apart.
    pub async fn dummy_verify(&self, password: &NormalizedPassword) -> Result<(), HashError> {
        self.verify(password, &self.dummy).await.map(|_| ())
    }

    /// True when a stored hash should be replaced at the next login: any
    /// hash but argon2id version 19 with the current parameters (an
    /// imported bcrypt, PBKDF2 or scrypt hash, an older argon2).
    pub fn needs_rehash(&self, stored: &str) -> bool {
        imported::parse_stored(stored).map_or(true, |h| !is_current(stored, &h, self.params))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_no_other() {
        let h = cheap();
        let stored = h.hash(pw("correct horse")).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert!(h.verify(&pw("correct horse"), &stored).await.unwrap());
        assert!(!h.verify(&pw("correct horsf"), &stored).await.unwrap());
        assert!(!h.needs_rehash(&stored));
    }

    #[test]
    fn a_worker_gives_back_memory_beyond_the_current_parameters() {
        let mut memory = Memory(Vec::new());
        let big = Params::new(4096, 1, 1, None).unwrap();
        assert_eq!(memory.blocks(&big).unwrap().len(), 4096);
        memory.trim(64);
        assert_eq!(memory.0.len(), 64);
        assert!(memory.0.capacity() <= 64, "{}", memory.0.capacity());
        let small = Params::new(64, 1, 1, None).unwrap();
        assert_eq!(memory.blocks(&small).unwrap().len(), 64);
    }

    #[tokio::test]
    async fn a_full_queue_refuses_a_dummy_verification_as_it_refuses_a_real_one() {
        // One worker, one waiting place, and costly hashes: the queue fills.
        let h = std::sync::Arc::new(
            Hasher::new(HasherConfig {
                params: HashParams {
                    m_kib: 32 * 1024,
                    t: 3,
                    p: 1,
                },
                workers: 1,
                queue: 1,
            })
            .unwrap(),
        );
        let stored = h.hash(pw("correct horse")).await.unwrap();
        let busy: Vec<_> = (0..8)
            .map(|_| {
                let h = h.clone();
                let stored = stored.clone();
                tokio::spawn(async move { h.verify(&pw("x"), &stored).await })
            })
            .collect();
        tokio::task::yield_now().await;
        let real = h.verify(&pw("x"), &stored).await;
        let dummy = h.dummy_verify(&pw("x")).await;
        assert!(matches!(real, Err(HashError::Busy)), "{real:?}");
        assert!(matches!(dummy, Err(HashError::Busy)), "{dummy:?}");
        for b in busy {
            let _ = b.await;
        }
    }

    #[tokio::test]
    async fn composed_and_decomposed_accents_are_one_password() {
        let h = cheap();
        let stored = h.hash(pw("caf\u{e9} au lait")).await.unwrap();
        assert!(h.verify(&pw("cafe\u{301} au lait"), &stored).await.unwrap());
    }

    #[tokio::test]
    async fn reference_vectors_from_another_implementation_verify() {
        // Computed with argon2-cffi (the reference C implementation).
        let h = cheap();
        let a =
            "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$cpx6VEQbwTVZvcpxNIxOVUWZ5xnAipUmAe1cg2GMG70";
        assert!(h.verify(&pw("password"), a).await.unwrap());
        assert!(!h.verify(&pw("passwore"), a).await.unwrap());
        let b = "$argon2id$v=19$m=256,t=3,p=2$dXNoZXItdmVjdG9yLTAx$3B+yQwP5n4ivl3dgt6ilcNEfZy6PLKgwnnUqjtO4dwk";
        assert!(
            h.verify(&pw("correct horse battery staple"), b)
                .await
                .unwrap()
        );
        assert!(h.needs_rehash(b));
    }

    #[tokio::test]
    async fn older_variants_and_parameters_verify_and_ask_for_a_rehash() {
        let h = cheap();
        let mut memory = Memory(Vec::new());
        let mut out = [0u8; 32];
        let params = HashParams {
            m_kib: 32,
            t: 2,
            p: 1,
        };
        compute(
            &mut memory,
            Algorithm::Argon2i,
            Version::V0x10,
            params,
            "legacy",
            b"saltsaltsalt",
            &mut out,
        )
        .unwrap();
        let stored = phc::format(
            Algorithm::Argon2i,
            Version::V0x10,
            params,
            b"saltsaltsalt",
            &out,
        );
        assert!(h.verify(&pw("legacy"), &stored).await.unwrap());
        assert!(h.needs_rehash(&stored));
    }

    #[tokio::test]
    async fn malformed_or_absurd_stored_hashes_are_errors() {
        let h = cheap();
        assert!(h.verify(&pw("x"), "$argon2id$nope").await.is_err());
        let huge = "$argon2id$v=19$m=4194304,t=1,p=1$c29tZXNhbHQ$NW1mxwl5e6cyiMvtTkHVSVw4r2Iq9NNyWgg7b9LAkOY";
        assert!(matches!(
            h.verify(&pw("x"), huge).await,
            Err(HashError::Unsupported(_))
        ));
    }

    #[tokio::test]
    async fn many_concurrent_hashes_on_two_workers_all_succeed() {
        let h = Arc::new(cheap());
        let mut tasks = Vec::new();
        for i in 0..32 {
            let h = h.clone();
            tasks.push(tokio::spawn(async move {
                h.hash(pw(&format!("password number {i}"))).await
            }));
        }
        for t in tasks {
            assert!(t.await.unwrap().is_ok());
        }
    }
}
