//! The installation's secret key, which seals TOTP secrets at rest.
//!
//! `USHER_SECRET_KEY` (or `USHER_SECRET_KEY_FILE`) gives it. Without it an
//! installation on SQLite gets a key generated on first start into the
//! database's directory (`secret.key`, 0600), read again at every start;
//! one on PostgreSQL has no directory of its own to keep a key in, so its
//! secrets stay in clear until the operator sets one (a warning says so).

use crate::config::Config;
use anyhow::{Context, anyhow};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use usher_core::sealing::SecretKeys;
use usher_store_sqlite::SqliteStore;

/// The file a generated key is kept in, beside the SQLite database.
pub const KEY_FILE: &str = "secret.key";

/// Where a SQLite installation keeps its generated key.
pub fn key_file(database_url: &str) -> Option<PathBuf> {
    let db = SqliteStore::path_from_url(database_url)?;
    let dir = db
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    Some(dir.join(KEY_FILE))
}

/// The keys to seal with, from the configuration or the key file.
pub fn resolve(config: &Config) -> anyhow::Result<Option<Arc<SecretKeys>>> {
    if let Some(spec) = &config.secret_key {
        let keys = SecretKeys::parse(spec.expose()).map_err(|e| anyhow!("{e}"))?;
        return Ok(Some(Arc::new(keys)));
    }
    let Some(path) = key_file(config.database_url.expose()) else {
        tracing::warn!(
            "USHER_SECRET_KEY is unset: TOTP secrets are stored in clear and audit chains are not keyed; set it (see docs/security.md)"
        );
        return Ok(None);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => generate(&path)?,
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let keys = SecretKeys::parse(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    Ok(Some(Arc::new(keys)))
}

/// Writes a new key to `path`, readable by its owner only; a key another
/// process wrote first wins.
fn generate(path: &Path) -> anyhow::Result<String> {
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("creating {}", dir.display()))?;
    }
    let key = SecretKeys::generate();
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(mut f) => {
            f.write_all(key.as_bytes())
                .and_then(|()| f.sync_all())
                .with_context(|| format!("writing {}", path.display()))?;
            tracing::warn!(
                path = %path.display(),
                "generated the secret key that seals TOTP secrets; back it up apart from the database"
            );
            Ok(key.to_string())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
        }
        Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
    }
}
