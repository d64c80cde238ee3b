//! The shape of every audited write: one transaction in which the operation
//! runs inside a savepoint, followed by its audit event.
//!
//! On success the counter changes and the audit event are written and the
//! transaction commits. On a refusal (a taken email, a forbidden
//! transition) the operation's writes are rolled back to the savepoint —
//! which also clears the aborted state a unique violation leaves behind —
//! and the refusal is recorded and committed instead. On a failure
//! everything is rolled back.

use crate::audit;
use crate::error::{DbExt, unavailable};
use crate::users::counts::Counts;
use sqlx::{PgPool, Postgres, Transaction};
use usher_core::Error;
use usher_core::audit::AuditDraft;

/// READ COMMITTED is pinned rather than inherited from the server's
/// default: the writes lock rows (a user, the audit head) with
/// `SELECT ... FOR UPDATE` and must then see them as the previous holder
/// committed them, where REPEATABLE READ would abort with a serialization
/// failure instead. The savepoint is opened in the same round trip.
const BEGIN: &str = "BEGIN ISOLATION LEVEL READ COMMITTED; SAVEPOINT op";

/// An audited write in progress. Operations use its fields directly so that
/// they can borrow the connection and the draft at once.
pub(crate) struct Write {
    pub(crate) tx: Transaction<'static, Postgres>,
    /// The event that will record the operation; operations may add details.
    pub(crate) draft: AuditDraft,
    pub(crate) counts: Counts,
}

impl Write {
    pub(crate) async fn begin(pool: &PgPool, draft: AuditDraft) -> Result<Self, Error> {
        let tx = pool.begin_with(BEGIN).await.db()?;
        Ok(Self {
            tx,
            draft,
            counts: Counts::default(),
        })
    }

    /// Undoes everything the operation wrote so far, so that it can try
    /// again another way.
    pub(crate) async fn restart(&mut self) -> Result<(), Error> {
        self.counts.clear();
        sqlx::raw_sql("ROLLBACK TO SAVEPOINT op")
            .execute(&mut *self.tx)
            .await
            .db()?;
        Ok(())
    }

    /// Ends the write according to the operation's result (see the module
    /// comment) and hands the result back.
    pub(crate) async fn finish<T>(self, result: Result<T, Error>) -> Result<T, Error> {
        let Write {
            mut tx,
            draft,
            mut counts,
        } = self;
        match result {
            Ok(v) => {
                counts.flush(&mut tx).await.db()?;
                audit::append(&mut tx, draft).await.db()?;
                tx.commit().await.db()?;
                Ok(v)
            }
            Err(e) if e.is_refusal() => {
                counts.clear();
                sqlx::raw_sql("ROLLBACK TO SAVEPOINT op")
                    .execute(&mut *tx)
                    .await
                    .db()?;
                audit::append(&mut tx, draft.failed_with(&e)).await.db()?;
                tx.commit().await.db()?;
                Err(e)
            }
            Err(e) => {
                if let Err(rollback) = tx.rollback().await {
                    tracing::warn!(error = %unavailable(rollback), "rolling back a failed write failed");
                }
                Err(e)
            }
        }
    }
}

impl std::fmt::Debug for Write {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Write")
            .field("action", &self.draft.action)
            .finish_non_exhaustive()
    }
}
