//! Bulk processes and imports ([`BulkStore`]).

mod batched;
mod import;
mod processes;
mod records;
mod run;

use crate::PostgresStore;
use async_trait::async_trait;
use usher_core::audit::AuditDraft;
use usher_core::bulk::{BulkProcess, BulkRow};
use usher_core::import::ImportRecord;
use usher_core::job::NewJob;
use usher_core::store::{BulkChange, BulkStep, BulkStore, ImportEntry, ImportMode, ImportSave};
use usher_core::user::User;
use usher_core::{BulkProcessId, Error, ImportId, StoreError, TenantId};

#[async_trait]
impl BulkStore for PostgresStore {
    /// A chunk locks only its own process and users, and the shared
    /// counters for the moment before its commit (see `run`), so its size
    /// is a trade between the commits saved and how long a cancel or a
    /// crash waits for the chunk running: as on SQLite.
    fn bulk_chunk_rows(&self) -> usize {
        1000
    }

    async fn create_bulk(
        &self,
        process: BulkProcess,
        rows: Vec<BulkRow>,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let tk = self.tenant_key(process.tenant_id).await?;
        processes::create(self.pool(), tk, process, rows, audit).await
    }

    async fn get_bulk(
        &self,
        tenant_id: TenantId,
        id: BulkProcessId,
    ) -> Result<Option<BulkProcess>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        processes::get(self.pool(), tk, id).await
    }

    async fn list_bulk(
        &self,
        tenant_id: TenantId,
        before: Option<BulkProcessId>,
        limit: u32,
    ) -> Result<Vec<BulkProcess>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        processes::list(self.pool(), tk, before, limit).await
    }

    async fn bulk_rows(
        &self,
        process_id: BulkProcessId,
        after_line: u32,
        limit: u32,
        pending: bool,
    ) -> Result<Vec<BulkRow>, StoreError> {
        processes::rows(self.pool(), process_id, after_line, limit, pending).await
    }

    async fn move_bulk(&self, change: BulkChange, audit: AuditDraft) -> Result<BulkProcess, Error> {
        let tk = self.tenant_key(change.tenant_id).await?;
        processes::move_state(self.pool(), tk, change, audit).await
    }

    async fn run_bulk(
        &self,
        tenant_id: TenantId,
        process_id: BulkProcessId,
        steps: Vec<BulkStep>,
    ) -> Result<BulkProcess, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        run::run(self.pool(), tk, process_id, steps).await
    }

    async fn match_users(
        &self,
        tenant_id: TenantId,
        emails: Vec<String>,
        external_ids: Vec<String>,
    ) -> Result<Vec<User>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        import::match_users(self.pool(), tk, tenant_id, &emails, &external_ids).await
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
        import::import(self.pool(), tk, tenant_id, entries, mode, audit, save).await
    }

    async fn create_import(
        &self,
        record: ImportRecord,
        file: Vec<u8>,
        job: NewJob,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let tk = self.tenant_key(record.tenant_id).await?;
        records::create(self.pool(), tk, &record, &file, &job, audit).await
    }

    async fn get_import(
        &self,
        tenant_id: TenantId,
        id: ImportId,
    ) -> Result<Option<ImportRecord>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        records::get(self.pool(), tk, id).await
    }

    async fn list_imports(
        &self,
        tenant_id: TenantId,
        before: Option<ImportId>,
        limit: u32,
    ) -> Result<Vec<ImportRecord>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        records::list(self.pool(), tk, before, limit).await
    }

    async fn import_file(&self, id: ImportId) -> Result<Option<Vec<u8>>, StoreError> {
        records::file(self.pool(), id).await
    }

    async fn save_import(&self, save: ImportSave, audit: Option<AuditDraft>) -> Result<(), Error> {
        let tk = self.tenant_key(save.record.tenant_id).await?;
        records::save(self.pool(), tk, &save, audit).await
    }
}
