//! Cases for the audit log: appending, one verifiable hash chain per tenant
//! plus the global one, listing newest first with filters and cursors, the
//! raw links for verification, and the rule that every write method records
//! exactly one event of its outcome.

use super::fixtures::*;
use serde_json::json;
use std::sync::Arc;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use usher_core::audit::{Actor, AuditDraft, Outcome, StoredLink};
use usher_core::listing::{AuditQuery, Cursor, Page};
use usher_core::{Id, Store, TenantId};
use uuid::Uuid;

/// One planned event: actor, action, target, minutes after `T0`.
pub(crate) type Planned<'a> = (&'a Actor, &'a str, Option<&'a str>, i64);

pub(crate) fn event_draft(
    tenant: Option<TenantId>,
    actor: &Actor,
    action: &str,
    target: Option<&str>,
    t: OffsetDateTime,
) -> AuditDraft {
    let mut d = draft(tenant, action, t);
    d.actor = actor.clone();
    if let Some(id) = target {
        d = d.target("user", id);
    }
    d
}

pub(crate) fn seqs(page: &Page<StoredLink>) -> Vec<i64> {
    page.items.iter().map(|l| l.seq).collect()
}

pub(crate) fn audit_query(limit: u32) -> AuditQuery {
    AuditQuery {
        limit,
        ..AuditQuery::default()
    }
}

pub async fn appended_events_keep_every_field_and_one_chain_per_tenant(store: Arc<dyn Store>) {
    let a = tenant(&*store, "acme").await;
    let b = tenant(&*store, "bravo").await;
    let global_before = chain_len(&*store, Id::nil()).await;
    let mut d =
        draft(Some(a.id), "user.view", at(3) + Duration::microseconds(7)).target("user", "u-1");
    d.details = json!({"fields": ["email"], "n": 3});
    d.outcome = Outcome::Refused;
    d.reason = Some("user_not_found".into());
    store.append_audit(d.clone()).await.expect("append");
    for i in 0..4 {
        store
            .append_audit(draft(Some(a.id), &format!("test.a{i}"), at(4)))
            .await
            .expect("append");
    }
    for i in 0..3 {
        store
            .append_audit(draft(Some(b.id), &format!("test.b{i}"), at(4)))
            .await
            .expect("append");
    }
    store
        .append_audit(draft(None, "tenant.list", at(5)))
        .await
        .expect("append");

    let events = chain_events(&*store, a.id).await;
    assert_eq!(events.len(), 5);
    let e = &events[0];
    assert_eq!(e["seq"], json!(1));
    assert_eq!(e["chain"], json!(a.id));
    assert_eq!(e["action"], json!("user.view"));
    assert_eq!(
        e["actor"],
        json!({"kind": "token", "id": ACTOR_ID.to_string(), "name": "conformance"})
    );
    assert_eq!(e["target"], json!({"type": "user", "id": "u-1"}));
    assert_eq!(e["outcome"], json!("refused"));
    assert_eq!(e["reason"], json!("user_not_found"));
    assert_eq!(e["client_ip"], json!("192.0.2.7"));
    assert_eq!(e["request_id"], json!("req-conformance"));
    assert_eq!(e["details"], json!({"fields": ["email"], "n": 3}));
    let when = (at(3) + Duration::microseconds(7))
        .format(&Rfc3339)
        .expect("format");
    assert_eq!(e["occurred_at"], json!(when));
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        actions,
        ["user.view", "test.a0", "test.a1", "test.a2", "test.a3"]
    );
    let actions: Vec<String> = chain_events(&*store, b.id)
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(actions, ["test.b0", "test.b1", "test.b2"]);
    let global = events_since(&*store, Id::nil(), global_before).await;
    assert_eq!(global.len(), 1);
    assert_eq!(global[0]["action"], json!("tenant.list"));

    let heads = store.audit_heads().await.expect("heads");
    for (chain, n) in [(a.id, 5), (b.id, 3), (Id::nil(), global_before as i64 + 1)] {
        let head = heads
            .iter()
            .find(|h| h.chain == chain)
            .expect("every chain has a head");
        assert_eq!(head.seq, n, "the head names the last event");
        let last = store.audit_links(chain, n - 1, 10).await.expect("links");
        assert_eq!(last.len(), 1);
        assert_eq!(
            head.hash, last[0].hash,
            "the head holds the last event's hash"
        );
    }
    assert!(heads.iter().all(|h| h.seq > 0));
}

pub async fn audit_links_resume_after_a_sequence_number_and_respect_the_limit(
    store: Arc<dyn Store>,
) {
    let t = tenant(&*store, "acme").await;
    for i in 0..10 {
        store
            .append_audit(draft(Some(t.id), &format!("test.{i}"), at(i)))
            .await
            .expect("append");
    }
    let s = |v: Vec<StoredLink>| v.into_iter().map(|l| l.seq).collect::<Vec<_>>();
    assert_eq!(
        s(store.audit_links(t.id, 0, 3).await.expect("links")),
        [1, 2, 3]
    );
    assert_eq!(
        s(store.audit_links(t.id, 3, 3).await.expect("links")),
        [4, 5, 6]
    );
    assert_eq!(
        s(store.audit_links(t.id, 8, 5).await.expect("links")),
        [9, 10]
    );
    assert_eq!(
        s(store.audit_links(t.id, 10, 5).await.expect("links")),
        Vec::<i64>::new()
    );
    assert_eq!(
        s(store
            .audit_links(Id::generate(), 0, 5)
            .await
            .expect("links")),
        Vec::<i64>::new()
    );
    let all = store.audit_links(t.id, 0, 100).await.expect("links");
    for l in &all {
        assert_eq!(
            usher_core::audit::hash_hex(&l.payload),
            l.hash,
            "the payload is kept verbatim"
        );
    }
}

pub async fn audit_events_are_listed_newest_first_with_exact_totals_and_cursors(
    store: Arc<dyn Store>,
) {
    let t = tenant(&*store, "acme").await;
    for i in 0..25 {
        store
            .append_audit(draft(Some(t.id), &format!("test.{i}"), at(i)))
            .await
            .expect("append");
    }
    let mut q = audit_query(10);
    let mut forward = Vec::new();
    let mut pages = 0;
    loop {
        let p = store.list_audit(t.id, &q).await.expect("list");
        assert_eq!(p.total, 25);
        if pages == 0 {
            assert!(p.prev.is_none(), "the newest page has no prev");
        }
        forward.extend(seqs(&p));
        pages += 1;
        assert!(pages < 100, "following next never ends");
        match p.next {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(
        forward,
        (1..=25).rev().collect::<Vec<i64>>(),
        "newest first, each once"
    );
    assert_eq!(pages, 3);

    let mut q = audit_query(10);
    q.cursor = Some(Cursor::Last);
    let last = store.list_audit(t.id, &q).await.expect("list");
    assert_eq!(
        seqs(&last),
        (1..=10).rev().collect::<Vec<i64>>(),
        "the last page holds the oldest events"
    );
    assert!(last.next.is_none());
    let mut backward: Vec<Vec<i64>> = vec![seqs(&last)];
    let mut prev = last.prev.clone();
    while let Some(c) = prev {
        q.cursor = Some(c);
        let p = store.list_audit(t.id, &q).await.expect("list");
        assert_eq!(p.total, 25);
        backward.push(seqs(&p));
        prev = p.prev.clone();
        assert!(backward.len() < 100, "following prev never ends");
    }
    backward.reverse();
    assert_eq!(backward.concat(), (1..=25).rev().collect::<Vec<i64>>());

    let empty = tenant(&*store, "empty").await;
    let p = store
        .list_audit(empty.id, &audit_query(10))
        .await
        .expect("list");
    assert!(p.items.is_empty() && p.total == 0 && p.prev.is_none() && p.next.is_none());
}

pub async fn audit_events_filter_by_actor_target_action_and_time(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let alice = Actor::token(Id::generate(), "alice");
    let bob = Actor::token(Id::generate(), "bob");
    let system = Actor::system();
    let (x, y) = (Uuid::now_v7().to_string(), Uuid::now_v7().to_string());
    let plan: Vec<Planned> = vec![
        (&alice, "user.view", Some(&x), 0),
        (&bob, "user.view", Some(&y), 60),
        (&alice, "user.update", Some(&x), 120),
        (&system, "user.expire", Some(&y), 180),
        (&alice, "user.list", None, 240),
        (&bob, "user.update", Some(&x), 300),
        (&alice, "user.view", Some(&y), 360),
    ];
    for (actor, action, target, m) in &plan {
        store
            .append_audit(event_draft(Some(t.id), actor, action, *target, at(*m)))
            .await
            .expect("append");
    }
    let expect = |f: &dyn Fn(&Planned) -> bool| -> Vec<i64> {
        let mut v: Vec<i64> = plan
            .iter()
            .enumerate()
            .filter(|(_, e)| f(e))
            .map(|(i, _)| i as i64 + 1)
            .collect();
        v.reverse();
        v
    };
    let cases: Vec<(AuditQuery, Vec<i64>)> = vec![
        (
            AuditQuery {
                actor: Some(alice.id.clone()),
                ..audit_query(50)
            },
            expect(&|e| e.0 == &alice),
        ),
        (
            AuditQuery {
                actor: Some("usher".into()),
                ..audit_query(50)
            },
            expect(&|e| e.0 == &system),
        ),
        (
            AuditQuery {
                target: Some(x.clone()),
                ..audit_query(50)
            },
            expect(&|e| e.2 == Some(x.as_str())),
        ),
        (
            AuditQuery {
                action: Some("user.view".into()),
                ..audit_query(50)
            },
            expect(&|e| e.1 == "user.view"),
        ),
        (
            AuditQuery {
                from: Some(at(90)),
                to: Some(at(330)),
                ..audit_query(50)
            },
            expect(&|e| (90..=330).contains(&e.3)),
        ),
        (
            AuditQuery {
                from: Some(at(200)),
                ..audit_query(50)
            },
            expect(&|e| e.3 >= 200),
        ),
        (
            AuditQuery {
                to: Some(at(30)),
                ..audit_query(50)
            },
            expect(&|e| e.3 <= 30),
        ),
        (
            AuditQuery {
                actor: Some(alice.id.clone()),
                action: Some("user.view".into()),
                target: Some(y.clone()),
                ..audit_query(50)
            },
            expect(&|e| e.0 == &alice && e.1 == "user.view" && e.2 == Some(y.as_str())),
        ),
        (
            AuditQuery {
                action: Some("user.delete".into()),
                ..audit_query(50)
            },
            vec![],
        ),
    ];
    for (q, want) in cases {
        let p = store.list_audit(t.id, &q).await.expect("list");
        assert_eq!(seqs(&p), want, "filter {q:?}");
        assert_eq!(p.total, want.len() as u64, "total of {q:?}");
        // The same filter one event a page.
        let mut q1 = AuditQuery {
            limit: 1,
            ..q.clone()
        };
        let mut walked = Vec::new();
        loop {
            let p = store.list_audit(t.id, &q1).await.expect("list");
            assert_eq!(p.total, want.len() as u64);
            walked.extend(seqs(&p));
            assert!(walked.len() <= want.len(), "filter {q:?} repeats events");
            match p.next {
                Some(c) => q1.cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(walked, want, "filter {q:?}, one a page");
    }
}
