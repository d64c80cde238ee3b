//! Reading users out of rows.

use crate::conn::{DbResult, corrupt, uuid};
use rusqlite::{Connection, OptionalExtension, Row};
use std::collections::BTreeMap;
use usher_core::clock::from_micros;
use usher_core::user::fields::{Email, ExternalId, Language, PersonName, Phone, Username};
use usher_core::user::{BlockedBy, User, UserState};
use usher_core::{TenantId, UserId};

/// The columns every user query selects, in the order [`stored_user`] reads.
pub(crate) const USER_COLUMNS: &str = "key, id, email, first_name, last_name, phone, personal_email, \
     username, language, state, invitation_expires_at, archived, source, external_id, attributes, \
     created_at, updated_at, signup_completed_at, last_login_at, last_failed_login_at, mfa_enrolled, \
     version, search_blob, display_name, blocked_by";

/// A user with what the store needs to rewrite its rows.
#[derive(Debug, Clone)]
pub(crate) struct StoredUser {
    pub key: i64,
    pub user: User,
    pub search_blob: String,
}

/// Reads one user from a row selected with [`USER_COLUMNS`].
pub(crate) fn stored_user(r: &Row<'_>, tenant_id: TenantId) -> DbResult<StoredUser> {
    let opt_time = |i: usize| -> DbResult<_> { Ok(r.get::<_, Option<i64>>(i)?.map(from_micros)) };
    let attributes: String = r.get(14)?;
    let attributes: BTreeMap<String, String> =
        serde_json::from_str(&attributes).map_err(|_| corrupt("attributes"))?;
    let language: String = r.get(8)?;
    let user = User {
        id: uuid(&r.get::<_, Vec<u8>>(1)?)?,
        tenant_id,
        email: Email::from_stored(r.get(2)?),
        first_name: r.get::<_, Option<String>>(3)?.map(PersonName::from_stored),
        last_name: r.get::<_, Option<String>>(4)?.map(PersonName::from_stored),
        display_name: r.get::<_, Option<String>>(23)?.map(PersonName::from_stored),
        phone: r.get::<_, Option<String>>(5)?.map(Phone::from_stored),
        personal_email: r.get::<_, Option<String>>(6)?.map(Email::from_stored),
        username: r.get::<_, Option<String>>(7)?.map(Username::from_stored),
        language: Language::parse("language", &language).unwrap_or_default(),
        stored_state: UserState::from_code(r.get(9)?).ok_or_else(|| corrupt("state"))?,
        invitation_expires_at: opt_time(10)?,
        archived: r.get(11)?,
        source: r.get(12)?,
        external_id: r.get::<_, Option<String>>(13)?.map(ExternalId::from_stored),
        attributes,
        created_at: from_micros(r.get(15)?),
        updated_at: from_micros(r.get(16)?),
        signup_completed_at: opt_time(17)?,
        last_login_at: opt_time(18)?,
        last_failed_login_at: opt_time(19)?,
        mfa_enrolled: r.get(20)?,
        version: r.get(21)?,
        blocked_by: match r.get::<_, Option<String>>(24)? {
            Some(text) => Some(BlockedBy::from_stored(&text).ok_or_else(|| corrupt("blocked_by"))?),
            None => None,
        },
    };
    Ok(StoredUser {
        key: r.get(0)?,
        user,
        search_blob: r.get(22)?,
    })
}

pub(crate) fn user_by_id(
    c: &Connection,
    tenant_key: i64,
    tenant_id: TenantId,
    id: UserId,
) -> DbResult<Option<StoredUser>> {
    c.prepare_cached(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE id = ?1 AND tenant_key = ?2"
    ))?
    .query_row((id.as_bytes().as_slice(), tenant_key), |r| {
        stored_user(r, tenant_id)
    })
    .optional()
}

pub(crate) fn user_by_email(
    c: &Connection,
    tenant_key: i64,
    tenant_id: TenantId,
    email_norm: &str,
) -> DbResult<Option<StoredUser>> {
    c.prepare_cached(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE tenant_key = ?1 AND email_norm = ?2"
    ))?
    .query_row((tenant_key, email_norm), |r| stored_user(r, tenant_id))
    .optional()
}

/// The key of a user of the tenant with key `tk`; an unknown user is
/// `user_not_found`.
pub(crate) fn user_key(c: &Connection, tk: i64, user_id: UserId) -> Result<i64, usher_core::Error> {
    use crate::conn::DbExt;
    c.prepare_cached("SELECT key FROM users WHERE id = ?1 AND tenant_key = ?2")
        .db()?
        .query_row(rusqlite::params![user_id.as_bytes().as_slice(), tk], |r| {
            r.get(0)
        })
        .optional()
        .db()?
        .ok_or(usher_core::Error::NotFound(
            usher_core::error::Missing::User,
        ))
}
