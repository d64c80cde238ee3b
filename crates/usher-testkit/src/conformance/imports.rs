//! Imports as stored resources: a queued import with its file and job, the
//! record saved with each batch in the batch's transaction, and the guard
//! that keeps two processes from both writing one batch.

use super::fixtures::*;
use serde_json::json;
use std::sync::Arc;
use usher_core::TenantId;
use usher_core::error::ErrorCode;
use usher_core::import::{ImportFormat, ImportRecord, ImportRunState, OnError, RowError};
use usher_core::job::{JobKind, JobState, NewJob};
use usher_core::store::{Effects, ImportEntry, ImportMode, ImportSave, Store};
use usher_core::tenant::Tenant;
use usher_core::user::User;

const FILE: &[u8] = b"email\na@x.example\nb@x.example\n";

/// An import of `tenant` stored queued with [`FILE`] and its job.
async fn queued(store: &dyn Store, tenant: &Tenant) -> ImportRecord {
    let mut record = ImportRecord::new(
        tenant.id,
        ImportFormat::Csv,
        false,
        2,
        actor().to_stored(),
        at(0),
    );
    let job = NewJob::new(
        JobKind::ImportRun,
        Some(tenant.id),
        json!({"import_id": record.id.to_string()}),
        at(0),
    );
    record.job_id = Some(job.id);
    // Not the default, so that reading it back shows it was stored.
    record.on_error = OnError::FailFile;
    let audit = draft(Some(tenant.id), "import.create", at(0)).target("import", record.id);
    store
        .create_import(record.clone(), FILE.to_vec(), job, audit)
        .await
        .expect("create_import");
    record
}

/// The entry that creates the user `email` of `tenant`.
fn entry(tenant: &Tenant, line: u32, email: &str) -> ImportEntry {
    let user = UserBuilder::new(tenant.id, email).created_at(at(1)).build();
    let written = user.updated_at;
    ImportEntry::new(line, user, None, None, None, Effects::default(), written)
}

async fn by_email(store: &dyn Store, tenant: TenantId, email: &str) -> Option<User> {
    store
        .user_by_email(tenant, &parse_email(email))
        .await
        .expect("user_by_email")
}

fn moved_on(r: Result<(), usher_core::Error>) -> bool {
    matches!(r, Err(e) if e.code() == ErrorCode::ImportMovedOn)
}

pub async fn a_queued_import_is_stored_with_its_file_and_its_job(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let record = queued(&*store, &t).await;
    let stored = store.get_import(t.id, record.id).await.expect("get");
    assert_eq!(stored.as_ref(), Some(&record), "read back unchanged");
    assert_eq!(
        store.import_file(record.id).await.expect("file").as_deref(),
        Some(FILE)
    );
    let job = store
        .get_job(Some(t.id), record.job_id.expect("a job"))
        .await
        .expect("get_job")
        .expect("the job was queued with the import");
    assert_eq!(
        (job.kind, job.state),
        (JobKind::ImportRun, JobState::Queued)
    );
    let other = tenant(&*store, "other").await;
    assert_eq!(
        store.get_import(other.id, record.id).await.expect("get"),
        None
    );
    assert!(
        store
            .list_imports(other.id, None, 10)
            .await
            .expect("list")
            .is_empty()
    );
    let listed = store.list_imports(t.id, None, 10).await.expect("list");
    assert_eq!(listed, vec![record]);
}

pub async fn a_save_applies_only_after_the_batches_its_saver_expects(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let record = queued(&*store, &t).await;
    let mut next = record.clone();
    next.state = ImportRunState::Running;
    next.batches = 1;
    next.rows = 2;
    next.failed_rows = 1;
    next.failed_batches = 1;
    next.keep_errors(vec![RowError::new(
        3,
        Some("email"),
        ErrorCode::InvalidEmail,
        "not an email",
    )]);
    let save = |record: &ImportRecord, after| ImportSave {
        record: record.clone(),
        after,
    };
    store.save_import(save(&next, 0), None).await.expect("save");
    assert_eq!(
        store.get_import(t.id, record.id).await.expect("get"),
        Some(next.clone())
    );
    // A process still at batch 0 is refused, and nothing changes.
    let mut stale = record.clone();
    stale.batches = 1;
    stale.created = 99;
    assert!(moved_on(store.save_import(save(&stale, 0), None).await));
    assert_eq!(
        store.get_import(t.id, record.id).await.expect("get"),
        Some(next.clone())
    );
    // Finishing drops the file; a finished import takes no more saves.
    let mut done = next.clone();
    done.complete(at(2));
    store
        .save_import(save(&done, 1), None)
        .await
        .expect("finish");
    assert_eq!(store.import_file(record.id).await.expect("file"), None);
    assert_eq!(
        store.get_import(t.id, record.id).await.expect("get"),
        Some(done.clone())
    );
    assert!(moved_on(store.save_import(save(&done, 1), None).await));
}

pub async fn a_batch_is_kept_with_its_save_and_refused_whole_when_the_import_moved_on(
    store: Arc<dyn Store>,
) {
    let t = tenant(&*store, "acme").await;
    let record = queued(&*store, &t).await;
    let mut after_one = record.clone();
    after_one.state = ImportRunState::Running;
    after_one.batches = 1;
    after_one.rows = 1;
    after_one.created = 1;
    let save = ImportSave {
        record: after_one.clone(),
        after: 0,
    };
    let refused = store
        .import_users(
            t.id,
            vec![entry(&t, 2, "a@x.example")],
            ImportMode::default(),
            draft(Some(t.id), "user.import", at(1)),
            Some(save.clone()),
        )
        .await
        .expect("the batch is written");
    assert!(refused.is_empty());
    assert_eq!(
        store.get_import(t.id, record.id).await.expect("get"),
        Some(after_one.clone()),
        "saved with the batch"
    );
    assert!(by_email(&*store, t.id, "a@x.example").await.is_some());

    // The same batch again, from a process that lost the import: nothing.
    let again = store
        .import_users(
            t.id,
            vec![entry(&t, 2, "b@x.example")],
            ImportMode::default(),
            draft(Some(t.id), "user.import", at(1)),
            Some(save),
        )
        .await;
    assert!(
        matches!(&again, Err(e) if e.code() == ErrorCode::ImportMovedOn),
        "{again:?}"
    );
    assert!(by_email(&*store, t.id, "b@x.example").await.is_none());
    assert_eq!(
        store.get_import(t.id, record.id).await.expect("get"),
        Some(after_one)
    );
}

pub async fn a_refused_batch_leaves_its_import_unsaved(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    create(&*store, UserBuilder::new(t.id, "taken@x.example").build()).await;
    let record = queued(&*store, &t).await;
    let mut next = record.clone();
    next.batches = 1;
    next.created = 2;
    let refused = store
        .import_users(
            t.id,
            vec![
                entry(&t, 2, "new@x.example"),
                entry(&t, 3, "taken@x.example"),
            ],
            ImportMode::default(),
            draft(Some(t.id), "user.import", at(1)),
            Some(ImportSave {
                record: next,
                after: 0,
            }),
        )
        .await
        .expect("refusals are an answer");
    assert_eq!(
        refused
            .iter()
            .map(|(line, e)| (*line, e.code()))
            .collect::<Vec<_>>(),
        vec![(3, ErrorCode::EmailTaken)]
    );
    assert!(by_email(&*store, t.id, "new@x.example").await.is_none());
    assert_eq!(
        store.get_import(t.id, record.id).await.expect("get"),
        Some(record),
        "the caller saves what the refusal means"
    );
}

pub async fn skipping_refused_entries_writes_the_rest_and_counts_them_in_the_record(
    store: Arc<dyn Store>,
) {
    let t = tenant(&*store, "acme").await;
    create(&*store, UserBuilder::new(t.id, "taken@x.example").build()).await;
    let record = queued(&*store, &t).await;
    let mut next = record.clone();
    next.batches = 1;
    next.created = 3;
    let refused = store
        .import_users(
            t.id,
            vec![
                entry(&t, 2, "new@x.example"),
                entry(&t, 3, "taken@x.example"),
                entry(&t, 4, "other@x.example"),
            ],
            ImportMode {
                dry_run: false,
                skip_refused: true,
            },
            draft(Some(t.id), "user.import", at(1)),
            Some(ImportSave {
                record: next.clone(),
                after: 0,
            }),
        )
        .await
        .expect("refusals are an answer");
    assert_eq!(
        refused
            .iter()
            .map(|(line, e)| (*line, e.code()))
            .collect::<Vec<_>>(),
        vec![(3, ErrorCode::EmailTaken)]
    );
    assert!(by_email(&*store, t.id, "new@x.example").await.is_some());
    assert!(by_email(&*store, t.id, "other@x.example").await.is_some());
    let saved = store
        .get_import(t.id, record.id)
        .await
        .expect("get")
        .expect("the import");
    assert_eq!(
        (saved.batches, saved.created, saved.failed_rows),
        (1, 2, 1),
        "saved with the refused row counted"
    );
    assert_eq!(saved.errors[0].line, 3);
    let event = last_event(&*store, t.id).await;
    assert_eq!(event["outcome"], "success", "{event}");
    assert_eq!(event["details"]["refused_rows"], 1, "{event}");
}
