//! Bulk processes: stored with their rows, moved between states, and run in
//! chunks where every row runs at most once and records its outcome.

use super::changes::write;
use super::fixtures::*;
use super::paging::assert_query_answers;
use serde_json::json;
use std::sync::Arc;
use usher_core::bulk::{BulkAction, BulkProcess, BulkRow, BulkState, RowData};
use usher_core::error::{Error, ErrorCode};
use usher_core::job::JobKind;
use usher_core::job::JobQuery;
use usher_core::job::NewJob;
use usher_core::listing::Cursor;
use usher_core::store::{BulkChange, BulkOp, BulkStep, Effects};
use usher_core::user::{User, UserState};
use usher_core::{BulkProcessId, Id, Store, TenantId};

fn process(tenant: TenantId, action: BulkAction, total: u32, malformed: u32) -> BulkProcess {
    BulkProcess {
        id: Id::generate(),
        tenant_id: tenant,
        action,
        validate: true,
        note: Some("quarterly clean-up".into()),
        state: BulkState::Uploaded,
        created_by: actor().to_stored(),
        created_at: at(1),
        started_by: None,
        started_at: None,
        finished_at: None,
        total,
        malformed,
        processed: 0,
        skipped: 0,
        error: None,
        role: None,
    }
}

fn row(line: u32, user: Option<&User>) -> BulkRow {
    BulkRow {
        line,
        data: RowData {
            reference: user
                .map(|u| u.id.to_string())
                .unwrap_or_else(|| "0190f000-0000-7000-8000-000000000000".into()),
            first_name: Some("Ann".into()),
            last_name: None,
            email: user.map(|u| u.email.as_str().to_owned()),
        },
        user_id: user.map(|u| u.id),
        version: user.map(|u| u.version),
        processed: false,
        outcome: None,
        message: None,
    }
}

fn malformed(line: u32) -> BulkRow {
    BulkRow {
        line,
        data: RowData {
            reference: "not-a-uuid".into(),
            ..RowData::default()
        },
        user_id: None,
        version: None,
        processed: false,
        outcome: Some("invalid_id".into()),
        message: Some("\"not-a-uuid\" is not a user id (UUID)".into()),
    }
}

async fn store_process(store: &dyn Store, p: &BulkProcess, rows: Vec<BulkRow>) {
    store
        .create_bulk(
            p.clone(),
            rows,
            draft(Some(p.tenant_id), "bulk.create", at(1)).target("bulk_process", p.id),
        )
        .await
        .expect("create bulk");
}

fn change(p: &BulkProcess, from: &[BulkState], to: BulkState, minute: i64) -> BulkChange {
    BulkChange {
        tenant_id: p.tenant_id,
        id: p.id,
        from: from.to_vec(),
        to,
        now: at(minute),
        started_by: (to == BulkState::Running).then(|| actor().to_stored()),
        error: None,
        job: (to == BulkState::Running).then(|| {
            NewJob::new(
                JobKind::BulkRun,
                Some(p.tenant_id),
                json!({ "bulk_process_id": p.id }),
                at(minute),
            )
        }),
    }
}

async fn start(store: &dyn Store, p: &BulkProcess) -> BulkProcess {
    store
        .move_bulk(
            change(p, &[BulkState::Uploaded], BulkState::Running, 2),
            draft(Some(p.tenant_id), "bulk.start", at(2)),
        )
        .await
        .expect("start")
}

fn block(u: &User, if_match: i64) -> BulkOp {
    BulkOp::Write(write(
        u.tenant_id,
        u.id,
        Some(if_match),
        at(3),
        "user.block",
        |user| {
            if user.stored_state != UserState::Active {
                return Err(Error::conflict(
                    ErrorCode::AlreadyBlocked,
                    "the user is already blocked",
                ));
            }
            user.stored_state = UserState::Blocked;
            Ok(Effects::default())
        },
    ))
}

pub async fn a_bulk_process_is_stored_with_its_rows_and_listed_newest_first(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let other = tenant(&*store, "other").await;
    let u = create(
        &*store,
        UserBuilder::new(t.id, "ann@example.com").active().build(),
    )
    .await;
    let first = process(t.id, BulkAction::Block, 3, 1);
    store_process(
        &*store,
        &first,
        vec![row(2, Some(&u)), malformed(3), row(4, None)],
    )
    .await;
    // A role action keeps its role with the process.
    let second = BulkProcess {
        role: Some(usher_core::role::RoleName::from_stored("sales".into())),
        ..process(t.id, BulkAction::AssignRole, 1, 0)
    };
    store_process(&*store, &second, vec![row(2, Some(&u))]).await;
    let got_second = store.get_bulk(t.id, second.id).await.expect("get");
    assert_eq!(got_second.as_ref(), Some(&second));

    let got = store
        .get_bulk(t.id, first.id)
        .await
        .expect("get")
        .expect("found");
    assert_eq!(got, first);
    assert_eq!(got.pending(), 2);
    assert!(
        store
            .get_bulk(other.id, first.id)
            .await
            .expect("get")
            .is_none()
    );
    let listed = store.list_bulk(t.id, None, 10).await.expect("list");
    let ids: Vec<BulkProcessId> = listed.iter().map(|p| p.id).collect();
    assert_eq!(ids, vec![second.id, first.id]);
    let older = store
        .list_bulk(t.id, Some(second.id), 10)
        .await
        .expect("list");
    assert_eq!(older.len(), 1);
    assert_eq!(older[0].id, first.id);
    assert!(
        store
            .list_bulk(other.id, None, 10)
            .await
            .expect("list")
            .is_empty()
    );

    let rows = store.bulk_rows(first.id, 0, 10, false).await.expect("rows");
    assert_eq!(rows, vec![row(2, Some(&u)), malformed(3), row(4, None)]);
    let pending = store.bulk_rows(first.id, 0, 10, true).await.expect("rows");
    let lines: Vec<u32> = pending.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![2, 4], "a malformed row has its outcome already");
    let after = store.bulk_rows(first.id, 2, 1, false).await.expect("rows");
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].line, 3);
    assert_success_event(&last_event(&*store, t.id).await, "bulk.create");
}

pub async fn a_bulk_process_moves_only_from_the_states_named(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let p = process(t.id, BulkAction::Block, 0, 0);
    store_process(&*store, &p, Vec::new()).await;
    let running = start(&*store, &p).await;
    assert_eq!(running.state, BulkState::Running);
    assert_eq!(running.started_at, Some(at(2)));
    assert_eq!(running.started_by, Some(actor().to_stored()));
    let runs = || async {
        let q = JobQuery {
            tenant: Some(t.id),
            kind: Some(JobKind::BulkRun),
            state: None,
            limit: 10,
            cursor: Cursor::First,
        };
        store.list_jobs(&q).await.expect("jobs").items
    };
    let queued = runs().await;
    assert_eq!(queued.len(), 1, "the start queues the run with it");
    assert_eq!(queued[0].payload, json!({ "bulk_process_id": p.id }));

    let again = store
        .move_bulk(
            change(&p, &[BulkState::Uploaded], BulkState::Running, 3),
            draft(Some(t.id), "bulk.start", at(3)),
        )
        .await;
    refused(again, "invalid_bulk_state");
    assert_refused_event(
        &last_event(&*store, t.id).await,
        "bulk.start",
        "invalid_bulk_state",
    );

    let cancelled = store
        .move_bulk(
            change(
                &p,
                &[BulkState::Uploaded, BulkState::Running],
                BulkState::Cancelled,
                4,
            ),
            draft(Some(t.id), "bulk.cancel", at(4)),
        )
        .await
        .expect("cancel");
    assert_eq!(cancelled.state, BulkState::Cancelled);
    assert_eq!(cancelled.finished_at, Some(at(4)));
    assert_eq!(cancelled.started_at, Some(at(2)), "kept");
    assert_eq!(runs().await.len(), 1, "a refused start queues nothing");
}

pub async fn a_bulk_chunk_runs_each_row_once_with_its_outcome_and_audit(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let ann = create(
        &*store,
        UserBuilder::new(t.id, "ann@example.com").active().build(),
    )
    .await;
    let bob = create(
        &*store,
        UserBuilder::new(t.id, "bob@example.com").blocked().build(),
    )
    .await;
    let p = process(t.id, BulkAction::Block, 3, 0);
    store_process(
        &*store,
        &p,
        vec![row(2, Some(&ann)), row(3, Some(&bob)), row(4, None)],
    )
    .await;
    let steps = || {
        vec![
            BulkStep {
                line: 2,
                op: block(&ann, ann.version),
            },
            BulkStep {
                line: 3,
                op: block(&bob, bob.version),
            },
            BulkStep {
                line: 4,
                op: BulkOp::Refuse {
                    refusal: Error::conflict(
                        ErrorCode::UnknownUser,
                        "no user with this id or email",
                    ),
                    audit: draft(Some(t.id), "user.block", at(3)),
                },
            },
        ]
    };
    // Not started: nothing runs.
    let before = chain_len(&*store, t.id).await;
    let idle = store.run_bulk(t.id, p.id, steps()).await.expect("run");
    assert_eq!((idle.processed, idle.skipped), (0, 0));
    assert_eq!(chain_len(&*store, t.id).await, before);

    start(&*store, &p).await;
    let before = chain_len(&*store, t.id).await;
    let after = store.run_bulk(t.id, p.id, steps()).await.expect("run");
    assert_eq!((after.processed, after.skipped, after.pending()), (1, 2, 0));
    let ann_now = store
        .get_user(t.id, ann.id)
        .await
        .expect("get")
        .expect("ann");
    assert_eq!(ann_now.stored_state, UserState::Blocked);
    assert_eq!(ann_now.version, ann.version + 1);
    let rows = store.bulk_rows(p.id, 0, 10, false).await.expect("rows");
    let outcomes: Vec<(bool, Option<&str>)> = rows
        .iter()
        .map(|r| (r.processed, r.outcome.as_deref()))
        .collect();
    assert_eq!(
        outcomes,
        vec![
            (true, Some("processed")),
            (false, Some("already_blocked")),
            (false, Some("unknown_user")),
        ]
    );
    assert_eq!(
        rows[1].message.as_deref(),
        Some("the user is already blocked")
    );
    // A chunk writes its rows' counters and search heads together at its
    // end: totals and searches by state answer the users as they now are.
    let bob_now = store
        .get_user(t.id, bob.id)
        .await
        .expect("get")
        .expect("bob");
    let universe = [ann_now.clone(), bob_now];
    for search in [None, Some("ann"), Some("an"), Some("example")] {
        for state in std::iter::once(None).chain(UserState::ALL.into_iter().map(Some)) {
            let mut q = query(at(4));
            q.search = search.map(prefix);
            q.state = state;
            q.limit = 1;
            let what = format!("after the chunk: search {search:?}, state {state:?}");
            assert_query_answers(&*store, t.id, &universe, &q, &what).await;
        }
    }
    let events = events_since(&*store, t.id, before).await;
    assert_eq!(events.len(), 3, "one event per row");
    assert_success_event(&events[0], "user.block");
    assert_refused_event(&events[1], "user.block", "already_blocked");
    assert_refused_event(&events[2], "user.block", "unknown_user");

    // The same chunk again (a resumed run) finds every row done.
    let before = chain_len(&*store, t.id).await;
    let again = store.run_bulk(t.id, p.id, steps()).await.expect("run");
    assert_eq!((again.processed, again.skipped), (1, 2));
    assert_eq!(chain_len(&*store, t.id).await, before);
    let ann_again = store
        .get_user(t.id, ann.id)
        .await
        .expect("get")
        .expect("ann");
    assert_eq!(ann_again.version, ann_now.version);
}

pub async fn a_bulk_delete_runs_and_a_moved_version_reads_as_changed_data(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let ann = create(
        &*store,
        UserBuilder::new(t.id, "ann@example.com").active().build(),
    )
    .await;
    let cid = create(
        &*store,
        UserBuilder::new(t.id, "cid@example.com").active().build(),
    )
    .await;
    let p = process(t.id, BulkAction::Delete, 2, 0);
    store_process(&*store, &p, vec![row(2, Some(&ann)), row(3, Some(&cid))]).await;
    start(&*store, &p).await;
    let steps = vec![
        BulkStep {
            line: 2,
            op: BulkOp::Delete {
                user_id: ann.id,
                if_match: Some(ann.version),
                guard: Box::new(|_| Ok(())),
                audit: user_draft(t.id, ann.id, "user.delete", at(3)),
            },
        },
        BulkStep {
            line: 3,
            op: BulkOp::Delete {
                user_id: cid.id,
                if_match: Some(cid.version + 1),
                guard: Box::new(|_| Ok(())),
                audit: user_draft(t.id, cid.id, "user.delete", at(3)),
            },
        },
    ];
    let after = store.run_bulk(t.id, p.id, steps).await.expect("run");
    assert_eq!((after.processed, after.skipped), (1, 1));
    assert!(store.get_user(t.id, ann.id).await.expect("get").is_none());
    assert!(store.get_user(t.id, cid.id).await.expect("get").is_some());
    let rows = store.bulk_rows(p.id, 0, 10, false).await.expect("rows");
    assert_eq!(rows[0].outcome.as_deref(), Some("processed"));
    assert_eq!(rows[1].outcome.as_deref(), Some("data_changed"));
    let event = last_event(&*store, t.id).await;
    assert_refused_event(&event, "user.delete", "version_mismatch");
}

pub async fn a_row_the_database_refuses_ends_only_that_row_of_its_chunk(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let active = |email: &str| UserBuilder::new(t.id, email).active().build();
    let ann = create(&*store, active("ann@example.com")).await;
    let bob = create(&*store, active("bob@example.com")).await;
    let cat = create(&*store, active("cat@example.com")).await;
    let p = process(t.id, BulkAction::Block, 3, 0);
    store_process(
        &*store,
        &p,
        vec![row(2, Some(&ann)), row(3, Some(&bob)), row(4, Some(&cat))],
    )
    .await;
    start(&*store, &p).await;
    // Bob's write passes every check the action makes and is refused only
    // by the store: cat holds the email it asks for.
    let take_cats_email = BulkOp::Write(write(
        t.id,
        bob.id,
        Some(bob.version),
        at(3),
        "user.update",
        |user| {
            user.email =
                usher_core::user::fields::Email::parse("email", "CAT@example.com").expect("valid");
            Ok(Effects::default())
        },
    ));
    let steps = vec![
        BulkStep {
            line: 2,
            op: block(&ann, ann.version),
        },
        BulkStep {
            line: 3,
            op: take_cats_email,
        },
        BulkStep {
            line: 4,
            op: block(&cat, cat.version),
        },
    ];
    let after = store.run_bulk(t.id, p.id, steps).await.expect("run");
    assert_eq!((after.processed, after.skipped), (2, 1));
    let rows = store.bulk_rows(p.id, 0, 10, false).await.expect("rows");
    let outcomes: Vec<Option<&str>> = rows.iter().map(|r| r.outcome.as_deref()).collect();
    assert_eq!(
        outcomes,
        vec![Some("processed"), Some("email_taken"), Some("processed")]
    );
    for (u, state) in [
        (&ann, UserState::Blocked),
        (&bob, UserState::Active),
        (&cat, UserState::Blocked),
    ] {
        let now = store
            .get_user(t.id, u.id)
            .await
            .expect("get")
            .expect("user");
        assert_eq!(now.stored_state, state, "{}", u.email.as_str());
        assert_eq!(now.email.as_str(), u.email.as_str());
    }
    let universe = [
        store
            .get_user(t.id, ann.id)
            .await
            .expect("get")
            .expect("ann"),
        store
            .get_user(t.id, bob.id)
            .await
            .expect("get")
            .expect("bob"),
        store
            .get_user(t.id, cat.id)
            .await
            .expect("get")
            .expect("cat"),
    ];
    for state in std::iter::once(None).chain(UserState::ALL.into_iter().map(Some)) {
        let mut q = query(at(4));
        q.search = Some(prefix("cat"));
        q.state = state;
        assert_query_answers(&*store, t.id, &universe, &q, "after the chunk").await;
    }
    verify_all_chains(&*store).await;
}
