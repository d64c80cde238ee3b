use super::*;
use serde_json::json;

fn record(kind: JobKind, attempts: u32) -> JobRecord {
    let t = OffsetDateTime::UNIX_EPOCH;
    JobRecord {
        id: JobId::generate(),
        kind,
        tenant: None,
        payload: json!({}),
        state: JobState::Running,
        attempts,
        run_at: t,
        lease_owner: Some("p".into()),
        lease_expires_at: Some(t + LEASE),
        last_error: None,
        every: None,
        created_at: t,
        finished_at: None,
    }
}

#[test]
fn names_of_kinds_and_states_read_back() {
    for k in JobKind::ALL {
        assert_eq!(JobKind::parse(k.as_str()), Some(k));
    }
    for s in JobState::ALL {
        assert_eq!(JobState::parse(s.as_str()), Some(s));
    }
    assert_eq!(JobKind::parse("nope"), None);
    assert_eq!(JobState::parse("done"), None);
}

#[test]
fn retries_wait_longer_each_time_within_their_jitter_and_an_hour() {
    let base = JobKind::MailDelivery.retry_base();
    for attempt in 1..=6 {
        let full = base * (1_i32 << (attempt - 1));
        let low = retry_delay(JobKind::MailDelivery, attempt, 0.0);
        let high = retry_delay(JobKind::MailDelivery, attempt, 0.999);
        assert_eq!(low, full / 2, "attempt {attempt}");
        assert!(
            high < full && high > full * 0.99,
            "attempt {attempt}: {high}"
        );
    }
    assert!(retry_delay(JobKind::MailDelivery, 40, 0.999) < Duration::hours(1));
    assert!(retry_delay(JobKind::MailDelivery, 40, 0.0) >= Duration::minutes(30));
}

#[test]
fn a_transient_failure_retries_until_the_kinds_limit_then_fails() {
    let now = OffsetDateTime::UNIX_EPOCH;
    let limit = JobKind::BulkRun.max_attempts();
    let out = after_failure(
        &record(JobKind::BulkRun, limit - 1),
        JobFailure::Transient("db away".into()),
        now,
    );
    assert!(matches!(out, JobOutcome::Retry { at, .. } if at > now));
    let out = after_failure(
        &record(JobKind::BulkRun, limit),
        JobFailure::Transient("db away".into()),
        now,
    );
    assert_eq!(
        out,
        JobOutcome::Failed {
            error: "db away".into()
        }
    );
}

#[test]
fn a_permanent_failure_fails_at_once() {
    let out = after_failure(
        &record(JobKind::MailDelivery, 1),
        JobFailure::Permanent("550 no such user".into()),
        OffsetDateTime::UNIX_EPOCH,
    );
    assert_eq!(
        out,
        JobOutcome::Failed {
            error: "550 no such user".into()
        }
    );
}
