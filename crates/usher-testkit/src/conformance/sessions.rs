//! Sessions opened with a login, found by their tokens, rotated, listed,
//! ended; and the login throttle.

use super::changes::write;
use super::fixtures::*;
use std::sync::Arc;
use time::Duration;
use usher_core::error::{Error, Missing};
use usher_core::session::{
    IssuedTokens, NewSession, Rotation, RotationOutcome, SESSION_TTL, Session, TokenKind,
};
use usher_core::store::Effects;
use usher_core::{Id, SessionId, Store, TenantId, UserId, useragent};

const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

/// Logs `user` in at `now` through `modify_user`, as the service does.
async fn open(
    store: &dyn Store,
    tenant: TenantId,
    user: UserId,
    now: time::OffsetDateTime,
) -> (Session, IssuedTokens) {
    let session = Session {
        id: Id::generate(),
        tenant_id: tenant,
        user_id: user,
        created_at: now,
        last_seen_at: now,
        expires_at: now + SESSION_TTL,
        ip: Some("192.0.2.7".into()),
        user_agent: Some(CHROME.into()),
        client: useragent::parse(CHROME),
        location: None,
    };
    let (new, tokens) = NewSession::open(session.clone(), now);
    store
        .modify_user(write(tenant, user, None, now, "user.login", move |u| {
            u.last_login_at = Some(now);
            Ok(Effects {
                new_session: Some(new),
                ..Effects::default()
            })
        }))
        .await
        .expect("login");
    (session, tokens)
}

pub(super) async fn active_user(store: &dyn Store, tenant: TenantId, email: &str) -> UserId {
    create(store, UserBuilder::new(tenant, email).active().build())
        .await
        .id
}

pub async fn a_login_opens_a_session_found_by_its_session_and_access_tokens(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let u = active_user(&*store, t.id, "ann@example.com").await;
    let (session, tokens) = open(&*store, t.id, u, at(1)).await;
    for (kind, secret) in [
        (
            TokenKind::Session,
            tokens.session.as_ref().expect("session token"),
        ),
        (TokenKind::Access, &tokens.access),
        (TokenKind::Refresh, &tokens.refresh),
    ] {
        let found = store
            .find_session(kind, &secret.hash())
            .await
            .expect("find")
            .expect("found");
        assert_eq!(found.session, session, "{kind:?}");
        assert_eq!(found.access_expires_at, tokens.access_expires_at);
    }
    // The access token does not open the session as a session token.
    assert!(
        store
            .find_session(TokenKind::Session, &tokens.access.hash())
            .await
            .expect("find")
            .is_none()
    );
    // The login stored the timestamp without a new version.
    let stored = store.get_user(t.id, u).await.expect("get").expect("user");
    assert_eq!(stored.last_login_at, Some(at(1)));
    assert_eq!(stored.version, 1);
}

pub async fn touching_a_session_moves_last_seen_forward_only(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let u = active_user(&*store, t.id, "ann@example.com").await;
    let (session, _) = open(&*store, t.id, u, at(1)).await;
    store.touch_session(session.id, at(9)).await.expect("touch");
    store.touch_session(session.id, at(5)).await.expect("touch");
    let listed = store.list_sessions(t.id, u, at(10)).await.expect("list");
    assert_eq!(listed[0].last_seen_at, at(9));
}

pub async fn a_refresh_rotates_once_and_a_spent_token_ends_the_session(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let u = active_user(&*store, t.id, "ann@example.com").await;
    let (session, first) = open(&*store, t.id, u, at(1)).await;
    let next = IssuedTokens::generate(at(2));
    let rotation = Rotation {
        tenant_id: t.id,
        presented: first.refresh.hash(),
        next: next.hashes(),
        now: at(2),
    };
    let before = chain_len(&*store, t.id).await;
    let outcome = store
        .rotate_refresh(rotation, user_draft(t.id, u, "session.refresh", at(2)))
        .await
        .expect("rotate");
    assert_eq!(
        outcome,
        RotationOutcome::Rotated(Box::new(Session {
            last_seen_at: at(2),
            ..session.clone()
        }))
    );
    // The old access token is gone, the new one works.
    assert!(
        store
            .find_session(TokenKind::Access, &first.access.hash())
            .await
            .expect("find")
            .is_none()
    );
    assert!(
        store
            .find_session(TokenKind::Access, &next.access.hash())
            .await
            .expect("find")
            .is_some()
    );

    // The first refresh token again: the session ends.
    let again = Rotation {
        next: IssuedTokens::generate(at(3)).hashes(),
        now: at(3),
        ..rotation
    };
    let outcome = store
        .rotate_refresh(again, user_draft(t.id, u, "session.refresh", at(3)))
        .await
        .expect("rotate");
    assert_eq!(
        outcome,
        RotationOutcome::Reused {
            session_id: session.id,
            user_id: u
        }
    );
    assert!(
        store
            .list_sessions(t.id, u, at(3))
            .await
            .expect("list")
            .is_empty()
    );
    let events = events_since(&*store, t.id, before).await;
    let actions: Vec<&str> = events.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, ["session.refresh", "session.refresh_reused"]);

    // A token nobody issued.
    let unknown = Rotation {
        presented: IssuedTokens::generate(at(4)).refresh.hash(),
        ..again
    };
    let outcome = store
        .rotate_refresh(unknown, user_draft(t.id, u, "session.refresh", at(4)))
        .await
        .expect("rotate");
    assert_eq!(outcome, RotationOutcome::Unknown);
}

pub async fn an_expired_session_does_not_rotate(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let u = active_user(&*store, t.id, "ann@example.com").await;
    let (_, first) = open(&*store, t.id, u, at(1)).await;
    let late = at(1) + SESSION_TTL + Duration::minutes(1);
    let outcome = store
        .rotate_refresh(
            Rotation {
                tenant_id: t.id,
                presented: first.refresh.hash(),
                next: IssuedTokens::generate(late).hashes(),
                now: late,
            },
            user_draft(t.id, u, "session.refresh", late),
        )
        .await
        .expect("rotate");
    assert_eq!(outcome, RotationOutcome::Unknown);
    assert!(
        store
            .list_sessions(t.id, u, late)
            .await
            .expect("list")
            .is_empty()
    );
}

pub async fn concurrent_refreshes_with_one_token_rotate_exactly_once(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let u = active_user(&*store, t.id, "ann@example.com").await;
    let (_, first) = open(&*store, t.id, u, at(1)).await;
    let mut tasks = Vec::new();
    for i in 0..6 {
        let store = store.clone();
        let presented = first.refresh.hash();
        tasks.push(tokio::spawn(async move {
            store
                .rotate_refresh(
                    Rotation {
                        tenant_id: t.id,
                        presented,
                        next: IssuedTokens::generate(at(2)).hashes(),
                        now: at(2),
                    },
                    user_draft(t.id, u, "session.refresh", at(2) + Duration::seconds(i)),
                )
                .await
                .expect("rotate")
        }));
    }
    let mut rotated = 0;
    for task in tasks {
        if matches!(task.await.expect("task"), RotationOutcome::Rotated(_)) {
            rotated += 1;
        }
    }
    assert_eq!(rotated, 1);
}

pub async fn sessions_are_listed_newest_first_and_ended_one_or_all(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let other = tenant(&*store, "other").await;
    let u = active_user(&*store, t.id, "ann@example.com").await;
    let v = active_user(&*store, t.id, "bob@example.com").await;
    let (s1, _) = open(&*store, t.id, u, at(1)).await;
    let (s2, t2) = open(&*store, t.id, u, at(2)).await;
    let (s3, _) = open(&*store, t.id, u, at(3)).await;
    let (sv, _) = open(&*store, t.id, v, at(3)).await;
    let ids: Vec<SessionId> = store
        .list_sessions(t.id, u, at(4))
        .await
        .expect("list")
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(ids, [s3.id, s2.id, s1.id]);
    // Another tenant sees none of them.
    assert!(
        store
            .list_sessions(other.id, u, at(4))
            .await
            .expect("list")
            .is_empty()
    );
    let err = store
        .end_sessions(
            other.id,
            u,
            Some(s2.id),
            user_draft(other.id, u, "session.revoke", at(4)),
        )
        .await
        .expect_err("another tenant");
    assert!(matches!(err, Error::NotFound(Missing::User)), "{err:?}");
    // Another user's session is not this user's.
    let err = store
        .end_sessions(
            t.id,
            u,
            Some(sv.id),
            user_draft(t.id, u, "session.revoke", at(4)),
        )
        .await
        .expect_err("not the user's");
    assert!(matches!(err, Error::NotFound(Missing::Session)), "{err:?}");

    let ended = store
        .end_sessions(
            t.id,
            u,
            Some(s2.id),
            user_draft(t.id, u, "session.revoke", at(5)),
        )
        .await
        .expect("end one");
    assert_eq!(ended, 1);
    assert!(
        store
            .find_session(TokenKind::Access, &t2.access.hash())
            .await
            .expect("find")
            .is_none()
    );
    let ended = store
        .end_sessions(
            t.id,
            u,
            None,
            user_draft(t.id, u, "session.revoke_all", at(6)),
        )
        .await
        .expect("end all");
    assert_eq!(ended, 2);
    assert!(
        store
            .list_sessions(t.id, u, at(7))
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        store
            .list_sessions(t.id, v, at(7))
            .await
            .expect("list")
            .len(),
        1
    );
}

pub async fn revoking_access_or_deleting_the_user_ends_their_sessions(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let u = active_user(&*store, t.id, "ann@example.com").await;
    let (_, tokens) = open(&*store, t.id, u, at(1)).await;
    store
        .modify_user(write(t.id, u, None, at(2), "user.disable", |u| {
            u.stored_state = usher_core::user::UserState::Disabled;
            Ok(Effects {
                revoke_access: true,
                ..Effects::default()
            })
        }))
        .await
        .expect("disable");
    assert!(
        store
            .find_session(TokenKind::Session, &tokens.session.expect("s").hash())
            .await
            .expect("find")
            .is_none()
    );

    let v = active_user(&*store, t.id, "bob@example.com").await;
    let (_, tokens) = open(&*store, t.id, v, at(3)).await;
    store
        .delete_user(
            t.id,
            v,
            None,
            Box::new(|_| Ok(())),
            user_draft(t.id, v, "user.delete", at(4)),
        )
        .await
        .expect("delete");
    assert!(
        store
            .find_session(TokenKind::Access, &tokens.access.hash())
            .await
            .expect("find")
            .is_none()
    );
}

pub async fn the_throttle_counts_failures_per_key_until_cleared(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let other = tenant(&*store, "other").await;
    assert_eq!(
        store
            .throttle(t.id, &throttle_key("account:ann"))
            .await
            .expect("read"),
        None
    );
    for i in 1..=3 {
        let r = store
            .throttle_failure(t.id, &throttle_key("account:ann"), at(i))
            .await
            .expect("count");
        assert_eq!((r.failures, r.last_failure_at), (i as u32, at(i)));
    }
    let read = store
        .throttle(t.id, &throttle_key("account:ann"))
        .await
        .expect("read")
        .expect("some");
    assert_eq!((read.failures, read.last_failure_at), (3, at(3)));
    // Keys and tenants are separate.
    assert_eq!(
        store
            .throttle(t.id, &throttle_key("account:bob"))
            .await
            .expect("read"),
        None
    );
    assert_eq!(
        store
            .throttle(other.id, &throttle_key("account:ann"))
            .await
            .expect("read"),
        None
    );
    store
        .throttle_clear(t.id, &throttle_key("account:ann"))
        .await
        .expect("clear");
    assert_eq!(
        store
            .throttle(t.id, &throttle_key("account:ann"))
            .await
            .expect("read"),
        None
    );
}
