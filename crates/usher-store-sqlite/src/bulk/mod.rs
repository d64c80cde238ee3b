//! Bulk processes and imports ([`BulkStore`]).

mod import;
mod processes;
mod records;

use crate::SqliteStore;
use async_trait::async_trait;
use usher_core::audit::AuditDraft;
use usher_core::bulk::{BulkProcess, BulkRow};
use usher_core::import::ImportRecord;
use usher_core::job::NewJob;
use usher_core::store::{BulkChange, BulkStep, BulkStore, ImportEntry, ImportMode, ImportSave};
use usher_core::user::User;
use usher_core::{BulkProcessId, Error, ImportId, StoreError, TenantId};

#[async_trait]
impl BulkStore for SqliteStore {
    async fn create_bulk(
        &self,
        process: BulkProcess,
        rows: Vec<BulkRow>,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let tk = self.tenant_key(process.tenant_id).await?;
        self.inner
            .writer
            .write(move |c| processes::create(c, tk, &process, &rows, audit))
            .await
    }

    async fn get_bulk(
        &self,
        tenant_id: TenantId,
        id: BulkProcessId,
    ) -> Result<Option<BulkProcess>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        self.read(move |c| processes::get(c, tk, id)).await
    }

    async fn list_bulk(
        &self,
        tenant_id: TenantId,
        before: Option<BulkProcessId>,
        limit: u32,
    ) -> Result<Vec<BulkProcess>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        self.read(move |c| processes::list(c, tk, before, limit))
            .await
    }

    async fn bulk_rows(
        &self,
        process_id: BulkProcessId,
        after_line: u32,
        limit: u32,
        pending: bool,
    ) -> Result<Vec<BulkRow>, StoreError> {
        self.read(move |c| processes::rows(c, process_id, after_line, limit, pending))
            .await
    }

    async fn move_bulk(&self, change: BulkChange, audit: AuditDraft) -> Result<BulkProcess, Error> {
        let tk = self.tenant_key(change.tenant_id).await?;
        self.inner
            .writer
            .write(move |c| processes::move_state(c, tk, change, audit))
            .await
    }

    async fn run_bulk(
        &self,
        tenant_id: TenantId,
        process_id: BulkProcessId,
        steps: Vec<BulkStep>,
    ) -> Result<BulkProcess, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        self.inner
            .writer
            .write(move |c| processes::run(c, tk, process_id, steps))
            .await
    }

    async fn match_users(
        &self,
        tenant_id: TenantId,
        emails: Vec<String>,
        external_ids: Vec<String>,
    ) -> Result<Vec<User>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        self.read(move |c| import::match_users(c, tk, tenant_id, &emails, &external_ids))
            .await
    }

    async fn import_users(
        &self,
        tenant_id: TenantId,
        entries: Vec<ImportEntry>,
        mode: ImportMode,
        audit: AuditDraft,
        save: Option<ImportSave>,
    ) -> Result<Vec<(u32, Error)>, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        self.inner
            .writer
            .write(move |c| import::import(c, tk, tenant_id, entries, mode, audit, save))
            .await
    }

    async fn create_import(
        &self,
        record: ImportRecord,
        file: Vec<u8>,
        job: NewJob,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let tk = self.tenant_key(record.tenant_id).await?;
        self.inner
            .writer
            .write(move |c| records::create(c, tk, &record, &file, &job, audit))
            .await
    }

    async fn get_import(
        &self,
        tenant_id: TenantId,
        id: ImportId,
    ) -> Result<Option<ImportRecord>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        self.read(move |c| records::get(c, tk, id)).await
    }

    async fn list_imports(
        &self,
        tenant_id: TenantId,
        before: Option<ImportId>,
        limit: u32,
    ) -> Result<Vec<ImportRecord>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        self.read(move |c| records::list(c, tk, before, limit))
            .await
    }

    async fn import_file(&self, id: ImportId) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(move |c| records::file(c, id)).await
    }

    async fn save_import(&self, save: ImportSave, audit: Option<AuditDraft>) -> Result<(), Error> {
        let tk = self.tenant_key(save.record.tenant_id).await?;
        self.inner
            .writer
            .write(move |c| records::save(c, tk, &save, audit))
            .await
    }
}
