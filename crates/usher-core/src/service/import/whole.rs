//! `on_error=fail_file`: nothing is written unless every row of the file is
//! good. Before its first batch is written, the whole file is read, checked
//! and matched as a batch would be (without writing): when a row is bad the
//! import ends there, every bad row reported and every good one skipped.
//! A conflict that arises between this check and the write (another
//! client's change meanwhile) still fails only its own batch.

use super::batch::distinct_lines;
use crate::error::Error;
use crate::import::{BATCH_ROWS, ImportRecord, ReadFile, Reader};
use crate::service::Services;
use crate::store::ImportSave;
use crate::tenant::Tenant;

impl Services {
    /// Checks every row of `file`: answers the import saved finished, with
    /// its errors, when a row is bad, and `None` when the file may be
    /// written.
    pub(super) async fn refuse_bad_file(
        &self,
        tenant: &Tenant,
        record: &ImportRecord,
        file: &[u8],
    ) -> Result<Option<ImportRecord>, Error> {
        let mut reader = Reader::new(record.format, file)?;
        let rules = self.row_rules(tenant).await?;
        let mut seen = super::rows::Seen::default();
        let mut checked = record.clone();
        loop {
            let mut batch = ReadFile::default();
            reader.next_batch(BATCH_ROWS, &mut batch);
            if batch.rows.is_empty() && batch.errors.is_empty() {
                break;
            }
            let prepared = self
                .prepare_batch(tenant, &rules, &mut seen, batch.rows, batch.errors)
                .await?;
            let (rows, good, mut errors) = prepared.into_outcome();
            errors.sort_by_key(|e| e.line);
            checked.rows += rows;
            checked.failed_rows += distinct_lines(&errors);
            checked.skipped_rows += good;
            checked.keep_errors(errors);
        }
        if checked.failed_rows == 0 {
            return Ok(None);
        }
        checked.batches = checked.rows.div_ceil(BATCH_ROWS as u64);
        checked.failed_batches = 0;
        checked.complete(self.clock.now());
        let save = ImportSave {
            record: checked.clone(),
            after: record.batches,
        };
        self.store.save_import(save, None).await?;
        Ok(Some(checked))
    }
}
