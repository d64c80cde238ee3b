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
use crate::users::counts::{Counts, upsert_counts, upsert_heads};
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
                record(&mut tx, &mut counts, draft).await.db()?;
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

/// The counters' changes and the audit event of a write, in one statement
/// (one round trip instead of up to five): the counter tables in the order
/// every write takes them (see `users::counts`), then the event. A table
/// without changes gets empty arrays and is not touched.
const RECORD: &str = concat!(
    "WITH uc AS (",
    upsert_counts!("user_counts", "$1", "$2", "$3", "$4"),
    "), mc AS (",
    upsert_counts!("mfa_counts", "$5", "$6", "$7", "$8"),
    "), sh AS (",
    upsert_heads!("search_heads", "$9", "$10", "$11", "$12", "$13", "$14"),
    "), mh AS (",
    upsert_heads!("mfa_search_heads", "$15", "$16", "$17", "$18", "$19", "$20"),
    ") ",
    audit::insert_pending!("$21", "$22", "$23", "$24", "$25", "$26", "$27")
);

async fn record(
    c: &mut sqlx::PgConnection,
    counts: &mut Counts,
    draft: AuditDraft,
) -> Result<(), sqlx::Error> {
    let changes = counts.take();
    let q = changes.users.bind(sqlx::query(RECORD));
    let q = changes.mfa_users.bind(q);
    let q = changes.heads.bind(q);
    let q = changes.mfa_heads.bind(q);
    audit::Pending::of(std::slice::from_ref(&draft))
        .bind(q)
        .execute(c)
        .await?;
    Ok(())
}

impl std::fmt::Debug for Write {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Write")
            .field("action", &self.draft.action)
            .finish_non_exhaustive()
    }
}
