//! The job queue: leases, takeover after a lease runs out, retries,
//! at-most-once claims under concurrency, recurring jobs, lists, and the
//! jobs other writes queue with them.

use super::fixtures::*;
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;
use time::Duration;
use usher_core::job::{JobKind, JobOutcome, JobQuery, JobState, LEASE, NewJob};
use usher_core::listing::Cursor;
use usher_core::mail::{MailKind, OutgoingMail};
use usher_core::store::{Effects, Store};
use usher_core::{JobId, MailId, TenantId};

const ALL: [JobKind; 8] = JobKind::ALL;

fn job(kind: JobKind, tenant: Option<TenantId>, minute: i64) -> NewJob {
    NewJob::new(kind, tenant, json!({"n": minute}), at(minute))
}

fn query(tenant: Option<TenantId>) -> JobQuery {
    JobQuery {
        tenant,
        kind: None,
        state: None,
        limit: 50,
        cursor: Cursor::First,
    }
}

async fn claim(store: &dyn Store, owner: &str, minute: i64) -> Vec<JobId> {
    store
        .claim_jobs(owner, &ALL, at(minute), at(minute) + LEASE, 10)
        .await
        .expect("claim")
        .into_iter()
        .map(|j| j.id)
        .collect()
}

pub async fn a_claimed_job_is_leased_to_one_owner_until_it_completes(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let new = job(JobKind::Noop, Some(t.id), 1);
    store.enqueue_job(new.clone()).await.expect("enqueue");
    assert!(
        claim(&*store, "a", 0).await.is_empty(),
        "not due before run_at"
    );
    let got = store
        .claim_jobs("a", &ALL, at(1), at(1) + LEASE, 10)
        .await
        .expect("claim");
    assert_eq!(got.len(), 1);
    let j = &got[0];
    assert_eq!(
        (j.id, j.kind, j.tenant),
        (new.id, JobKind::Noop, Some(t.id))
    );
    assert_eq!((j.state, j.attempts), (JobState::Running, 1));
    assert_eq!(j.lease_owner.as_deref(), Some("a"));
    assert_eq!(j.lease_expires_at, Some(at(1) + LEASE));
    assert_eq!(j.payload, json!({"n": 1}));
    assert!(
        claim(&*store, "b", 1).await.is_empty(),
        "a leased job is nobody else's"
    );
    assert!(
        !store
            .finish_job(j.id, "b", JobOutcome::Completed, at(2))
            .await
            .expect("finish"),
        "only the holder finishes a job"
    );
    assert!(
        store
            .finish_job(j.id, "a", JobOutcome::Completed, at(2))
            .await
            .expect("finish")
    );
    let done = store.get_job(None, j.id).await.expect("get").expect("job");
    assert_eq!(done.state, JobState::Completed);
    assert_eq!(done.finished_at, Some(at(2)));
    assert_eq!((done.lease_owner, done.lease_expires_at), (None, None));
    assert!(
        !store
            .finish_job(j.id, "a", JobOutcome::Completed, at(3))
            .await
            .expect("finish"),
        "a finished job is finished once"
    );
    assert!(
        claim(&*store, "b", 60).await.is_empty(),
        "completed jobs are not claimed"
    );
}

pub async fn a_job_whose_lease_ran_out_is_taken_over_by_another_owner(store: Arc<dyn Store>) {
    let new = job(JobKind::Noop, None, 1);
    store.enqueue_job(new.clone()).await.expect("enqueue");
    assert_eq!(claim(&*store, "a", 1).await, vec![new.id]);
    // A renewal keeps it: past the first lease, still a's.
    assert!(
        store
            .renew_job_lease(new.id, "a", at(1) + LEASE * 3)
            .await
            .expect("renew")
    );
    let past_first = at(1) + LEASE * 2;
    let none = store
        .claim_jobs("b", &ALL, past_first, past_first + LEASE, 10)
        .await
        .expect("claim");
    assert!(none.is_empty(), "a renewed lease holds");
    // a dies: once the renewed lease ran out, b takes the job over.
    let later = at(1) + LEASE * 3;
    let taken = store
        .claim_jobs("b", &ALL, later, later + LEASE, 10)
        .await
        .expect("claim");
    assert_eq!(taken.len(), 1, "an expired lease makes the job due again");
    assert_eq!(
        (taken[0].attempts, taken[0].lease_owner.as_deref()),
        (2, Some("b"))
    );
    assert!(
        !store
            .renew_job_lease(new.id, "a", later + LEASE)
            .await
            .expect("renew"),
        "the old owner's renewal is refused"
    );
    assert!(
        !store
            .finish_job(new.id, "a", JobOutcome::Completed, later)
            .await
            .expect("finish"),
        "the old owner's outcome is ignored"
    );
    assert!(
        store
            .finish_job(new.id, "b", JobOutcome::Completed, later)
            .await
            .expect("finish")
    );
}

pub async fn a_failed_attempt_waits_for_its_retry_and_a_failed_job_can_be_queued_again(
    store: Arc<dyn Store>,
) {
    let t = tenant(&*store, "acme").await;
    let new = job(JobKind::Noop, Some(t.id), 1);
    store.enqueue_job(new.clone()).await.expect("enqueue");
    claim(&*store, "a", 1).await;
    let retry = JobOutcome::Retry {
        error: "timed out".into(),
        at: at(10),
    };
    assert!(
        store
            .finish_job(new.id, "a", retry, at(2))
            .await
            .expect("finish")
    );
    let waiting = store
        .get_job(Some(t.id), new.id)
        .await
        .expect("get")
        .expect("job");
    assert_eq!((waiting.state, waiting.run_at), (JobState::Queued, at(10)));
    assert_eq!(waiting.last_error.as_deref(), Some("timed out"));
    assert!(
        claim(&*store, "a", 9).await.is_empty(),
        "not before its retry"
    );
    assert_eq!(claim(&*store, "a", 10).await, vec![new.id]);
    let failed = JobOutcome::Failed {
        error: "gave up".into(),
    };
    assert!(
        store
            .finish_job(new.id, "a", failed, at(11))
            .await
            .expect("finish")
    );
    let dead = store
        .get_job(None, new.id)
        .await
        .expect("get")
        .expect("job");
    assert_eq!((dead.state, dead.attempts), (JobState::Failed, 2));
    assert_eq!(dead.last_error.as_deref(), Some("gave up"));
    assert!(
        claim(&*store, "a", 600).await.is_empty(),
        "failed jobs stay failed"
    );

    let other = tenant(&*store, "other").await;
    let hidden = store
        .retry_job(
            Some(other.id),
            new.id,
            at(12),
            draft(Some(other.id), "job.retry", at(12)),
        )
        .await;
    refused(hidden, "job_not_found");
    let again = store
        .retry_job(
            Some(t.id),
            new.id,
            at(12),
            draft(Some(t.id), "job.retry", at(12)),
        )
        .await
        .expect("retry");
    assert_eq!(
        (again.state, again.attempts, again.run_at),
        (JobState::Queued, 0, at(12))
    );
    assert_eq!(again.finished_at, None);
    assert_success_event(&last_event(&*store, t.id).await, "job.retry");
    let twice = store
        .retry_job(
            Some(t.id),
            new.id,
            at(13),
            draft(Some(t.id), "job.retry", at(13)),
        )
        .await;
    refused(twice, "job_not_failed");
    assert_refused_event(
        &last_event(&*store, t.id).await,
        "job.retry",
        "job_not_failed",
    );
    assert_eq!(claim(&*store, "a", 12).await, vec![new.id]);
}

pub async fn concurrent_claimers_take_each_job_exactly_once(store: Arc<dyn Store>) {
    let mut made = HashSet::new();
    for i in 0..60 {
        let j = job(JobKind::Noop, None, i % 3);
        made.insert(j.id);
        store.enqueue_job(j).await.expect("enqueue");
    }
    let mut claimers = Vec::new();
    for c in 0..4 {
        let store = store.clone();
        claimers.push(tokio::spawn(async move {
            let owner = format!("claimer-{c}");
            let mut mine = Vec::new();
            loop {
                let got = store
                    .claim_jobs(&owner, &ALL, at(5), at(5) + LEASE, 7)
                    .await
                    .expect("claim");
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got.into_iter().map(|j| j.id));
            }
        }));
    }
    let mut seen = Vec::new();
    for c in claimers {
        seen.extend(c.await.expect("claimer"));
    }
    let distinct: HashSet<JobId> = seen.iter().copied().collect();
    assert_eq!(seen.len(), 60, "every job claimed, none twice");
    assert_eq!(distinct, made);
}

pub async fn a_recurring_job_exists_once_and_comes_back_after_each_turn(store: Arc<dyn Store>) {
    let every = Duration::minutes(5);
    assert!(
        store
            .ensure_recurring_job(job(JobKind::InvitationSweep, None, 1), every)
            .await
            .expect("ensure")
    );
    assert!(
        !store
            .ensure_recurring_job(job(JobKind::InvitationSweep, None, 1), every)
            .await
            .expect("ensure"),
        "a second process finds it there"
    );
    let t = tenant(&*store, "acme").await;
    assert!(
        store
            .ensure_recurring_job(job(JobKind::InvitationSweep, Some(t.id), 1), every)
            .await
            .expect("ensure"),
        "another tenant's is another job"
    );
    let first = claim(&*store, "a", 1).await;
    assert_eq!(first.len(), 2);
    for id in &first {
        store
            .finish_job(*id, "a", JobOutcome::Completed, at(2))
            .await
            .expect("finish");
    }
    let again = store
        .get_job(None, first[0])
        .await
        .expect("get")
        .expect("job");
    assert_eq!((again.state, again.attempts), (JobState::Queued, 0));
    assert_eq!((again.run_at, again.every), (at(7), Some(every)));
    assert_eq!(again.finished_at, None, "a recurring job never finishes");
    assert!(claim(&*store, "a", 6).await.is_empty());
    let second = claim(&*store, "a", 7).await;
    assert_eq!(second.len(), 2);
    let gave_up = JobOutcome::Failed {
        error: "store away".into(),
    };
    store
        .finish_job(second[0], "a", gave_up, at(8))
        .await
        .expect("finish");
    let kept = store
        .get_job(None, second[0])
        .await
        .expect("get")
        .expect("job");
    assert_eq!((kept.state, kept.run_at), (JobState::Queued, at(13)));
    assert_eq!(kept.last_error.as_deref(), Some("store away"));
}

pub async fn jobs_are_listed_newest_first_filtered_counted_and_purged(store: Arc<dyn Store>) {
    let a = tenant(&*store, "acme").await;
    let b = tenant(&*store, "beta").await;
    let mut ids = Vec::new();
    for (i, tenant) in [Some(a.id), Some(a.id), Some(b.id), None, Some(a.id)]
        .into_iter()
        .enumerate()
    {
        let kind = if i % 2 == 0 {
            JobKind::Noop
        } else {
            JobKind::BulkRun
        };
        let j = job(kind, tenant, 1);
        ids.push(j.id);
        store.enqueue_job(j).await.expect("enqueue");
    }
    let page = store.list_jobs(&query(Some(a.id))).await.expect("list");
    assert_eq!(page.total, 3);
    let listed: Vec<JobId> = page.items.iter().map(|j| j.id).collect();
    assert_eq!(listed, vec![ids[4], ids[1], ids[0]], "newest first");
    let all = store.list_jobs(&query(None)).await.expect("list");
    assert_eq!(all.total, 5, "without a tenant: every job");
    assert!(
        store
            .get_job(Some(b.id), ids[0])
            .await
            .expect("get")
            .is_none()
    );
    let noop = JobQuery {
        kind: Some(JobKind::Noop),
        ..query(Some(a.id))
    };
    assert_eq!(store.list_jobs(&noop).await.expect("list").total, 2);
    let small = JobQuery {
        limit: 2,
        ..query(None)
    };
    let first = store.list_jobs(&small).await.expect("list");
    let next = store
        .list_jobs(&JobQuery {
            cursor: first.next.clone().expect("a next page"),
            ..small.clone()
        })
        .await
        .expect("list");
    assert_eq!(first.items.len() + next.items.len(), 4);
    assert_eq!(next.items[0].id, ids[2]);

    for id in claim(&*store, "a", 1).await {
        store
            .finish_job(id, "a", JobOutcome::Completed, at(2))
            .await
            .expect("finish");
    }
    let queued = store.ensure_recurring_job(job(JobKind::JobPurge, None, 50), Duration::days(1));
    assert!(queued.await.expect("ensure"));
    let stats = store.job_stats(at(60)).await.expect("stats");
    let completed: u64 = stats
        .counts
        .iter()
        .filter(|(_, s, _)| *s == JobState::Completed)
        .map(|(_, _, n)| n)
        .sum();
    assert_eq!(completed, 5);
    assert_eq!(stats.oldest_due, Some(at(50)));
    assert_eq!(
        store.purge_jobs(at(2), 100).await.expect("purge"),
        0,
        "not older yet"
    );
    assert_eq!(
        store.purge_jobs(at(3), 3).await.expect("purge"),
        3,
        "at most the limit"
    );
    assert_eq!(store.purge_jobs(at(3), 100).await.expect("purge"), 2);
    assert_eq!(
        store.list_jobs(&query(None)).await.expect("list").total,
        1,
        "the recurring purge stays"
    );
}

pub async fn a_queued_mail_brings_its_delivery_job_with_it(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let user = UserBuilder::new(t.id, "ann@example.com").build();
    let mail = OutgoingMail {
        id: MailId::generate(),
        tenant_id: t.id,
        user_id: Some(user.id),
        kind: MailKind::Invitation,
        recipient: "ann@example.com".into(),
        subject: "Welcome".into(),
        text: "text".into(),
        html: "<p>html</p>".into(),
        link: Some("https://usher.test/t/acme/invite/x".into()),
        created_at: at(1),
    };
    let effects = Effects {
        new_link: Some(invitation(at(60))),
        mail: Some(mail.clone()),
        ..Effects::default()
    };
    let d = user_draft(t.id, user.id, "user.create", at(1));
    store.create_user(user, effects, d).await.expect("create");
    let jobs = store.list_jobs(&query(Some(t.id))).await.expect("list");
    assert_eq!(jobs.total, 1);
    let j = &jobs.items[0];
    assert_eq!(
        (j.kind, j.state, j.run_at),
        (JobKind::MailDelivery, JobState::Queued, at(1))
    );
    assert_eq!(j.payload, json!({"mail_id": mail.id}));
}

pub async fn a_restarted_process_releases_the_jobs_its_earlier_run_held(store: Arc<dyn Store>) {
    let (mine, other) = (job(JobKind::Noop, None, 1), job(JobKind::Noop, None, 1));
    store.enqueue_job(mine.clone()).await.expect("enqueue");
    store.enqueue_job(other.clone()).await.expect("enqueue");
    let held = |owner: &'static str, id: JobId| {
        let store = store.clone();
        async move {
            let got = store
                .claim_jobs(owner, &ALL, at(1), at(1) + LEASE, 1)
                .await
                .expect("claim");
            assert_eq!(got.iter().map(|j| j.id).collect::<Vec<_>>(), vec![id]);
        }
    };
    held("host:8080#before", mine.id).await;
    held("host:8081#other", other.id).await;
    // Within both leases, the restarted process frees only its own.
    let soon = at(1) + Duration::seconds(10);
    let n = store
        .release_jobs("host:8080#", "host:8080#after", soon)
        .await
        .expect("release");
    assert_eq!(n, 1, "only the earlier run's job, not another process's");
    let got = store
        .claim_jobs("host:8080#after", &ALL, soon, soon + LEASE, 10)
        .await
        .expect("claim");
    assert_eq!(got.iter().map(|j| j.id).collect::<Vec<_>>(), vec![mine.id]);
}

pub async fn a_job_claimed_by_its_id_goes_to_one_owner_once_it_is_due(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let new = job(JobKind::Noop, Some(t.id), 1);
    store.enqueue_job(new.clone()).await.expect("enqueue");
    let by_id = |owner: &'static str, minute: i64| {
        let store = store.clone();
        async move {
            store
                .claim_job(new.id, owner, at(minute), at(minute) + LEASE)
                .await
                .expect("claim_job")
        }
    };
    assert!(by_id("a", 0).await.is_none(), "not due before run_at");
    let got = by_id("a", 1).await.expect("due: claimed");
    assert_eq!((got.state, got.attempts), (JobState::Running, 1));
    assert_eq!(got.lease_owner.as_deref(), Some("a"));
    assert!(by_id("b", 1).await.is_none(), "held by a");
    assert!(
        claim(&*store, "b", 1).await.is_empty(),
        "nor claimed with the others"
    );
    // Once a's lease ran out, another owner takes it over.
    let minutes = LEASE.whole_minutes() + 2;
    let taken = by_id("b", minutes).await.expect("taken over");
    assert_eq!(
        (taken.lease_owner.as_deref(), taken.attempts),
        (Some("b"), 2)
    );
}
