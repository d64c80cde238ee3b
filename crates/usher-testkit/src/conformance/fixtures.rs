//! What the conformance cases are built from: fixed instants, audit drafts,
//! tenants, users ([`UserBuilder`]), the refusal codes of an error, reading
//! a chain's events back, and the brute-force answer a user query should get.
//!
//! Everything here goes through the [`Store`] trait alone, so a case reads
//! the same against every backend.

use serde_json::Value;
use std::collections::BTreeMap;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use usher_core::attribute::{AttributeDefinition, AttributeName};
use usher_core::audit::{Actor, AuditContext, AuditDraft, ChainVerifier};
use usher_core::error::Error;
use usher_core::list_filters::field_matches;
use usher_core::listing::{Cursor, UserQuery};
use usher_core::search::{SearchPrefix, user_terms};
use usher_core::session::ThrottleKey;
use usher_core::store::{Effects, LinkKind, NewLink};
use usher_core::tenant::{NewTenant, Tenant, TenantSlug};
use usher_core::token::Secret;
use usher_core::user::fields::{Email, ExternalId, Language, PersonName, Phone, Username};
use usher_core::user::{LOCAL_SOURCE, User, UserState};
use usher_core::{Id, ManualClock, Store, TenantId, TokenId, UserId};
use uuid::Uuid;

/// The instant every case starts at. It carries microseconds so that a
/// backend losing precision is noticed.
pub const T0: OffsetDateTime = datetime!(2026-03-02 09:30:00.123456 UTC);

/// `T0` plus some minutes.
pub fn at(minutes: i64) -> OffsetDateTime {
    T0 + Duration::minutes(minutes)
}

/// A clock standing at `T0`, for cases that want to move time along.
pub fn clock() -> ManualClock {
    ManualClock::new(T0)
}

/// The id of the token every case acts as.
pub const ACTOR_ID: TokenId =
    TokenId::from_uuid(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_00a1));

/// A tenant slug the case names (it must be valid).
pub fn parse_slug(s: &str) -> TenantSlug {
    TenantSlug::parse(s).expect("a valid slug")
}

/// An attribute name the case names (it must be valid).
pub fn parse_attribute(s: &str) -> AttributeName {
    AttributeName::parse("name", s).expect("a valid attribute name")
}

/// An email the case names (it must be valid).
pub fn parse_email(s: &str) -> Email {
    Email::parse("email", s).expect("a valid email")
}

/// A throttle key written as stored: `account:<email>` or `ip:<address>`.
pub fn throttle_key(s: &str) -> ThrottleKey {
    match s.split_once(':') {
        Some(("ip", ip)) => ThrottleKey::address(ip),
        Some(("account", email)) => ThrottleKey::account(email),
        _ => panic!("not a throttle key: {s}"),
    }
}

pub fn actor() -> Actor {
    Actor::token(ACTOR_ID, "conformance")
}

/// An audit draft as a service would start it: actor, client and request id set.
pub fn draft(tenant: Option<TenantId>, action: &str, at: OffsetDateTime) -> AuditDraft {
    let mut ctx = AuditContext::new(actor());
    ctx.client_ip = Some("192.0.2.7".into());
    ctx.request_id = Some("req-conformance".into());
    ctx.draft_named(tenant, action, at)
}

/// A draft about one user of `tenant`.
pub fn user_draft(tenant: TenantId, user: UserId, action: &str, at: OffsetDateTime) -> AuditDraft {
    draft(Some(tenant), action, at).target("user", user)
}

/// Creates a tenant with default settings at `T0`.
pub async fn tenant(store: &dyn Store, slug: &str) -> Tenant {
    let new = NewTenant {
        slug: TenantSlug::parse(slug).expect("a valid slug"),
        name: format!("Tenant {slug}"),
    };
    store
        .create_tenant(new, T0, draft(None, "tenant.create", T0))
        .await
        .expect("creating a fresh tenant succeeds")
}

/// A group of `tenant` named `name` with these members, made at minute 1.
pub fn group(tenant: TenantId, name: &str, members: Vec<UserId>) -> usher_core::group::Group {
    usher_core::group::Group {
        id: usher_core::Id::generate(),
        tenant_id: tenant,
        display_name: usher_core::group::GroupName::parse("displayName", name)
            .expect("a valid name"),
        external_id: None,
        members,
        created_at: at(1),
        updated_at: at(1),
        version: 1,
    }
}

/// Defines a custom attribute (no pattern, 1000 characters) in `tenant`.
pub async fn define_attribute(
    store: &dyn Store,
    tenant: TenantId,
    name: &str,
) -> AttributeDefinition {
    let def = AttributeDefinition {
        name: AttributeName::parse("name", name).expect("a valid attribute name"),
        label: format!("Label of {name}"),
        max_length: 1000,
        regex: None,
        created_at: T0,
    };
    store
        .create_attribute(
            tenant,
            def.clone(),
            draft(Some(tenant), "attribute.create", T0).target("attribute", name),
        )
        .await
        .expect("defining a fresh attribute succeeds");
    def
}

/// Builds a [`User`] as the service would hand it to the store.
#[derive(Debug, Clone)]
pub struct UserBuilder {
    user: User,
}

impl UserBuilder {
    /// A `not_invited` local user created at `T0`, version 1.
    pub fn new(tenant_id: TenantId, email: &str) -> Self {
        Self {
            user: User {
                id: Id::generate(),
                tenant_id,
                email: Email::parse("email", email).expect("a valid email"),
                first_name: None,
                last_name: None,
                display_name: None,
                phone: None,
                personal_email: None,
                username: None,
                language: Language::En,
                stored_state: UserState::NotInvited,
                invitation_expires_at: None,
                archived: false,
                source: LOCAL_SOURCE.to_owned(),
                external_id: None,
                attributes: BTreeMap::new(),
                created_at: T0,
                updated_at: T0,
                signup_completed_at: None,
                last_login_at: None,
                last_failed_login_at: None,
                mfa_enrolled: false,
                version: 1,
                blocked_by: None,
            },
        }
    }

    pub fn first(mut self, v: &str) -> Self {
        self.user.first_name =
            Some(PersonName::parse("first_name", v, PersonName::FIRST_MAX).expect("valid"));
        self
    }

    pub fn last(mut self, v: &str) -> Self {
        self.user.last_name =
            Some(PersonName::parse("last_name", v, PersonName::LAST_MAX).expect("valid"));
        self
    }

    pub fn phone(mut self, v: &str) -> Self {
        self.user.phone = Some(Phone::parse("phone", v).expect("a valid phone"));
        self
    }

    pub fn personal_email(mut self, v: &str) -> Self {
        self.user.personal_email = Some(Email::parse("personal_email", v).expect("a valid email"));
        self
    }

    pub fn username(mut self, v: &str) -> Self {
        self.user.username = Some(Username::parse("username", v).expect("a valid username"));
        self
    }

    pub fn language(mut self, v: Language) -> Self {
        self.user.language = v;
        self
    }

    /// The user comes from `source` where its id is `id`.
    pub fn external(mut self, source: &str, id: &str) -> Self {
        self.user.source = source.to_owned();
        self.user.external_id =
            Some(ExternalId::parse("external_id", id).expect("a valid external id"));
        self
    }

    pub fn attr(mut self, name: &str, value: &str) -> Self {
        self.user
            .attributes
            .insert(name.to_owned(), value.to_owned());
        self
    }

    /// Signed up at `T0`, now `active`.
    pub fn active(mut self) -> Self {
        self.user.stored_state = UserState::Active;
        self.user.signup_completed_at = Some(T0);
        self.user.invitation_expires_at = None;
        self
    }

    pub fn blocked(self) -> Self {
        let mut b = self.active();
        b.user.stored_state = UserState::Blocked;
        b
    }

    pub fn disabled(mut self) -> Self {
        self.user.stored_state = UserState::Disabled;
        self.user.invitation_expires_at = None;
        self
    }

    /// A pending invitation whose link expires at `expires_at`.
    pub fn pending_until(mut self, expires_at: OffsetDateTime) -> Self {
        self.user.stored_state = UserState::PendingInvitation;
        self.user.invitation_expires_at = Some(expires_at);
        self
    }

    /// An invitation the sweep already marked expired.
    pub fn expired_at(mut self, expired_at: OffsetDateTime) -> Self {
        self.user.stored_state = UserState::ExpiredInvitation;
        self.user.invitation_expires_at = Some(expired_at);
        self
    }

    pub fn archived(mut self) -> Self {
        self.user.archived = true;
        self
    }

    pub fn created_at(mut self, t: OffsetDateTime) -> Self {
        self.user.created_at = t;
        self.user.updated_at = t;
        self
    }

    /// Fills every optional field, with microsecond timestamps.
    pub fn with_everything(mut self) -> Self {
        self = self
            .first("Ann")
            .last("Lee")
            .phone("+4915112345678")
            .personal_email("ann.private@example.net")
            .username("ann.lee")
            .language(Language::De)
            .external("entra", "3f2b0c1e-ext")
            .active();
        self.user.last_login_at = Some(T0 + Duration::microseconds(1_234_567));
        self.user.last_failed_login_at = Some(T0 + Duration::microseconds(987_654));
        self.user.mfa_enrolled = true;
        self
    }

    pub fn build(self) -> User {
        self.user
    }
}

/// An invitation link (a fresh hash) expiring at `expires_at`.
pub fn invitation(expires_at: OffsetDateTime) -> NewLink {
    NewLink {
        kind: LinkKind::Invitation,
        hash: Secret::generate("usher_inv_").hash(),
        expires_at,
    }
}

/// Stores `user` through `create_user` without a link, as of `T0`.
pub async fn create(store: &dyn Store, user: User) -> User {
    let d = user_draft(user.tenant_id, user.id, "user.create", T0);
    store
        .create_user(user, Effects::default(), d)
        .await
        .expect("creating a fresh user succeeds")
}

/// Stores many users through `insert_users` in batches of 500.
/// Deletes a user with no precondition and no guard.
pub async fn delete(store: &dyn Store, tenant: TenantId, user: UserId) {
    store
        .delete_user(
            tenant,
            user,
            None,
            Box::new(|_| Ok(())),
            user_draft(tenant, user, "user.delete", T0),
        )
        .await
        .expect("delete_user");
}

pub async fn insert_all(store: &dyn Store, tenant: TenantId, users: &[User]) {
    for chunk in users.chunks(500) {
        let n = store
            .insert_users(
                tenant,
                chunk.to_vec(),
                draft(Some(tenant), "user.import", T0),
            )
            .await
            .expect("inserting fresh users succeeds");
        assert_eq!(
            n,
            chunk.len() as u64,
            "insert_users answers how many it inserted"
        );
    }
}

/// The codes an error answers: each field's code for a validation error,
/// else the error's own code.
pub fn codes(e: &Error) -> Vec<&'static str> {
    match e {
        Error::Validation(v) => v.0.iter().map(|f| f.code.as_str()).collect(),
        other => vec![other.code().as_str()],
    }
}

/// Asserts that `r` is a refusal naming `code` and answers the error.
#[track_caller]
pub fn refused<T: std::fmt::Debug>(r: Result<T, Error>, code: &str) -> Error {
    match r {
        Ok(v) => panic!("expected a refusal with {code}, but it succeeded: {v:?}"),
        Err(e) => {
            assert!(
                e.is_refusal(),
                "expected a refusal with {code}, got a store failure: {e:?}"
            );
            assert!(
                codes(&e).contains(&code),
                "expected {code}, got {:?} ({e:?})",
                codes(&e)
            );
            e
        }
    }
}

/// Every event of a chain, oldest first, as parsed payloads.
pub async fn chain_events(store: &dyn Store, chain: TenantId) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let batch = store
            .audit_links(chain, after, 500)
            .await
            .expect("reading audit links");
        let Some(last) = batch.last() else { break };
        after = last.seq;
        for link in &batch {
            out.push(serde_json::from_str(&link.payload).expect("an audit payload is JSON"));
        }
    }
    out
}

/// How many events a chain holds.
pub async fn chain_len(store: &dyn Store, chain: TenantId) -> usize {
    chain_events(store, chain).await.len()
}

/// The events of a chain after the first `skip`.
pub async fn events_since(store: &dyn Store, chain: TenantId, skip: usize) -> Vec<Value> {
    chain_events(store, chain)
        .await
        .into_iter()
        .skip(skip)
        .collect()
}

/// The newest event of a chain.
pub async fn last_event(store: &dyn Store, chain: TenantId) -> Value {
    chain_events(store, chain)
        .await
        .pop()
        .expect("the chain holds an event")
}

/// `(action, outcome, reason)` of an event.
pub fn summary(event: &Value) -> (String, String, Option<String>) {
    (
        event["action"].as_str().unwrap_or_default().to_owned(),
        event["outcome"].as_str().unwrap_or_default().to_owned(),
        event["reason"].as_str().map(str::to_owned),
    )
}

/// Asserts an event is the refusal of `action` for `reason`.
#[track_caller]
pub fn assert_refused_event(event: &Value, action: &str, reason: &str) {
    assert_eq!(
        summary(event),
        (
            action.to_owned(),
            "refused".to_owned(),
            Some(reason.to_owned())
        ),
        "event {event}"
    );
}

/// Asserts an event is the success of `action`.
#[track_caller]
pub fn assert_success_event(event: &Value, action: &str) {
    assert_eq!(
        summary(event),
        (action.to_owned(), "success".to_owned(), None),
        "event {event}"
    );
}

/// Walks every chain the store names and checks it end to end.
pub async fn verify_all_chains(store: &dyn Store) {
    for head in store.audit_heads().await.expect("reading audit heads") {
        let mut verifier = ChainVerifier::new(head.chain, None);
        let mut after = 0;
        loop {
            let batch = store
                .audit_links(head.chain, after, 1000)
                .await
                .expect("reading audit links");
            let Some(last) = batch.last() else { break };
            after = last.seq;
            for link in &batch {
                if let Err(b) = verifier.check(link) {
                    panic!(
                        "chain {} breaks at event {}: {}",
                        head.chain, b.seq, b.problem
                    );
                }
            }
        }
        if let Err(b) = verifier.finish(head.seq, &head.hash) {
            panic!(
                "chain {} does not end at its head: {}",
                head.chain, b.problem
            );
        }
    }
}

/// A query of every user at `now`: 20 a page from the first.
pub fn query(now: OffsetDateTime) -> UserQuery {
    UserQuery {
        search: None,
        state: None,
        archived: None,
        mfa: None,
        limit: 20,
        cursor: Cursor::First,
        now,
        scope: None,
        role: None,
        fields: None,
        last_login: Default::default(),
    }
}

/// A search prefix as the service would parse it.
pub fn prefix(s: &str) -> SearchPrefix {
    SearchPrefix::parse(s, 1).expect("a valid search")
}

/// Whether `user` belongs in the answer to `q` (ignoring its cursor).
pub fn matches(user: &User, q: &UserQuery) -> bool {
    q.state.is_none_or(|s| user.state(q.now) == s)
        && q.archived.is_none_or(|a| user.archived == a)
        && q.mfa.is_none_or(|m| user.mfa_enrolled == m)
        && q.last_login.matches(user.last_login_at)
        && match (&q.search, &q.fields) {
            (Some(p), Some(fields)) => field_matches(user, p, fields),
            (Some(p), None) => user_terms(user).iter().any(|t| t.starts_with(p.lower())),
            (None, _) => true,
        }
}

/// The ids `q` should list, in list order (folded email, then id).
pub fn expected_ids<'a>(users: impl IntoIterator<Item = &'a User>, q: &UserQuery) -> Vec<UserId> {
    let mut hits: Vec<&User> = users.into_iter().filter(|u| matches(u, q)).collect();
    hits.sort_by(|a, b| (a.email.normalized(), a.id).cmp(&(b.email.normalized(), b.id)));
    hits.into_iter().map(|u| u.id).collect()
}
