//! Typed ids in and out of `uuid` columns. sqlx knows `Uuid`, not Usher's
//! typed ids (usher-core defines them without knowing any SQL driver), so
//! reads go through [`id`] and [`opt_id`], and arrays of ids are bound as
//! [`uuids`]; a single id binds as `id.uuid()`.

use sqlx::postgres::PgRow;
use sqlx::{ColumnIndex, Row};
use usher_core::Id;
use uuid::Uuid;

/// A `uuid` column as a typed id.
pub(crate) fn id<K, I: ColumnIndex<PgRow>>(r: &PgRow, column: I) -> Result<Id<K>, sqlx::Error> {
    r.try_get::<Uuid, _>(column).map(Id::from_uuid)
}

/// A nullable `uuid` column as a typed id.
pub(crate) fn opt_id<K, I: ColumnIndex<PgRow>>(
    r: &PgRow,
    column: I,
) -> Result<Option<Id<K>>, sqlx::Error> {
    r.try_get::<Option<Uuid>, _>(column)
        .map(|u| u.map(Id::from_uuid))
}

/// Ids to bind as a `uuid[]`.
pub(crate) fn uuids<K>(ids: &[Id<K>]) -> Vec<Uuid> {
    ids.iter().map(|i| i.uuid()).collect()
}
