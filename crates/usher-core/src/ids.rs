//! Typed ids. Every record Usher keeps is named by a UUID (version 7 for
//! new records, so that ids sort by creation); [`Id`] tags one with the
//! kind of record it names, so that a user's id cannot be passed where a
//! tenant's or a session's is expected. The tag costs nothing at run time
//! and changes nothing on the wire: an id serialises, parses and prints as
//! its UUID. The stores bind and read the UUID itself ([`Id::uuid`],
//! [`Id::from_uuid`]), since neither SQL driver knows these types.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::str::FromStr;
use uuid::Uuid;

/// The id of a record of kind `K` (one of the types in [`kind`]).
pub struct Id<K> {
    uuid: Uuid,
    // `fn() -> K` keeps the id `Send`, `Sync` and covariant whatever `K` is.
    kind: PhantomData<fn() -> K>,
}

/// The kinds of record an [`Id`] can name. They have no values; they only
/// tell ids apart.
pub mod kind {
    #[derive(Debug)]
    pub enum Tenant {}
    #[derive(Debug)]
    pub enum User {}
    #[derive(Debug)]
    pub enum Group {}
    #[derive(Debug)]
    pub enum Session {}
    #[derive(Debug)]
    pub enum Factor {}
    #[derive(Debug)]
    pub enum Token {}
    #[derive(Debug)]
    pub enum Mail {}
    #[derive(Debug)]
    pub enum BulkProcess {}
    #[derive(Debug)]
    pub enum Job {}
    #[derive(Debug)]
    pub enum Import {}
}

pub type TenantId = Id<kind::Tenant>;
pub type UserId = Id<kind::User>;
pub type GroupId = Id<kind::Group>;
pub type SessionId = Id<kind::Session>;
pub type FactorId = Id<kind::Factor>;
pub type TokenId = Id<kind::Token>;
pub type MailId = Id<kind::Mail>;
pub type BulkProcessId = Id<kind::BulkProcess>;
pub type JobId = Id<kind::Job>;
pub type ImportId = Id<kind::Import>;

impl<K> Id<K> {
    /// A new id: a UUID v7, which sorts by the time it was made.
    pub fn generate() -> Self {
        Self::from_uuid(Uuid::now_v7())
    }

    pub const fn from_uuid(uuid: Uuid) -> Self {
        Self {
            uuid,
            kind: PhantomData,
        }
    }

    /// The all-zero id, which names no record.
    pub const fn nil() -> Self {
        Self::from_uuid(Uuid::nil())
    }

    pub const fn uuid(self) -> Uuid {
        self.uuid
    }

    pub const fn as_bytes(&self) -> &[u8; 16] {
        self.uuid.as_bytes()
    }

    pub fn is_nil(&self) -> bool {
        self.uuid.is_nil()
    }
}

// The traits below are written out rather than derived: a derive would
// demand the same trait of `K`, which the kinds (empty enums) lack.

impl<K> Clone for Id<K> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K> Copy for Id<K> {}

impl<K> PartialEq for Id<K> {
    fn eq(&self, other: &Self) -> bool {
        self.uuid == other.uuid
    }
}

impl<K> Eq for Id<K> {}

impl<K> PartialOrd for Id<K> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<K> Ord for Id<K> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.uuid.cmp(&other.uuid)
    }
}

impl<K> Hash for Id<K> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.uuid.hash(state);
    }
}

impl<K> fmt::Debug for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.uuid, f)
    }
}

impl<K> fmt::Display for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.uuid, f)
    }
}

impl<K> FromStr for Id<K> {
    type Err = uuid::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self::from_uuid)
    }
}

impl<K> From<Uuid> for Id<K> {
    fn from(uuid: Uuid) -> Self {
        Self::from_uuid(uuid)
    }
}

impl<K> From<Id<K>> for Uuid {
    fn from(id: Id<K>) -> Self {
        id.uuid
    }
}

impl<K> serde::Serialize for Id<K> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.uuid.serialize(s)
    }
}

impl<'de, K> serde::Deserialize<'de> for Id<K> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Uuid::deserialize(d).map(Self::from_uuid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_prints_parses_and_serialises_as_its_uuid() {
        let uuid = Uuid::now_v7();
        let id = UserId::from_uuid(uuid);
        assert_eq!(id.to_string(), uuid.to_string());
        assert_eq!(format!("{id:?}"), format!("{uuid:?}"));
        assert_eq!(id.to_string().parse::<UserId>().ok(), Some(id));
        let json = serde_json::to_string(&id).expect("serialise");
        assert_eq!(json, serde_json::to_string(&uuid).expect("serialise"));
        assert_eq!(serde_json::from_str::<UserId>(&json).ok(), Some(id));
    }

    #[test]
    fn new_ids_sort_by_creation() {
        let (a, b) = (TenantId::generate(), TenantId::generate());
        assert!(a < b);
        assert!(!a.is_nil() && TenantId::nil().is_nil());
    }
}
