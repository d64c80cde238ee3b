//! The database's place on disk, kept private: the directory Usher creates
//! for it is 0700 and the files 0600, since they hold password hashes,
//! second-factor secrets and the audit log. SQLite gives its `-wal` and
//! `-shm` files the database file's permissions.

use std::fs::{DirBuilder, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Only the owner may read, write or enter.
const PRIVATE_DIR: u32 = 0o700;
const PRIVATE_FILE: u32 = 0o600;
/// The permission bits of everyone else.
const OTHERS: u32 = 0o007;

/// Creates `dir` and its missing parents, owner-only. A directory that
/// exists is left as it is: it may be shared on purpose (`/var/lib`).
pub(crate) fn private_dir(dir: &Path) -> io::Result<()> {
    DirBuilder::new()
        .recursive(true)
        .mode(PRIVATE_DIR)
        .create(dir)
}

/// Makes sure the file at `path` exists and is not open to everyone: a new
/// file is created 0600; an existing one loses the permissions of others
/// (a file copied in with 0644, say), keeping its owner's and group's.
pub(crate) fn private_file(path: &Path) -> io::Result<()> {
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(PRIVATE_FILE)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let mode = std::fs::metadata(path)?.permissions().mode();
            if mode & OTHERS != 0 {
                tracing::warn!(
                    path = %path.display(),
                    "the database file was readable by other users; removed their access"
                );
                std::fs::set_permissions(path, PermissionsExt::from_mode(mode & !OTHERS))?;
            }
            Ok(())
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_database_and_its_directory_are_the_owners_only() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data/usher");
        private_dir(&dir).unwrap();
        let db = dir.join("usher.db");
        private_file(&db).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&tmp.path().join("data")), 0o700);
        assert_eq!(mode(&db), 0o600);
    }

    #[test]
    fn an_existing_world_readable_file_loses_only_the_others_access() {
        let tmp = tempfile::tempdir().unwrap();
        let db = tmp.path().join("usher.db");
        std::fs::write(&db, b"").unwrap();
        std::fs::set_permissions(&db, PermissionsExt::from_mode(0o664)).unwrap();
        private_file(&db).unwrap();
        assert_eq!(mode(&db), 0o660);
        // An existing directory is not changed.
        std::fs::set_permissions(tmp.path(), PermissionsExt::from_mode(0o755)).unwrap();
        private_dir(tmp.path()).unwrap();
        assert_eq!(mode(tmp.path()), 0o755);
    }
}
