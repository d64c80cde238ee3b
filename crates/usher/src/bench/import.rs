//! The import part of `usher bench`: a file of users with pre-hashed
//! passwords and a custom attribute, imported into a fresh tenant through
//! the same service `POST /imports` and `usher import` use, timed whole
//! (reading, checking, matching and writing).

use anyhow::bail;
use serde_json::json;
use std::time::Instant;
use usher::cli::BenchArgs;
use usher_core::audit::{Actor, AuditContext};
use usher_core::import::ImportFormat;
use usher_core::password::NormalizedPassword;
use usher_core::service::{ImportRequest, Services};
use uuid::Uuid;

pub(super) async fn run(services: &Services, args: &BenchArgs) -> anyhow::Result<()> {
    let n = args.import_users;
    let ctx = AuditContext::new(Actor::system());
    let slug = format!(
        "bench-import-{}",
        &Uuid::now_v7().simple().to_string()[20..]
    );
    let tenant = services
        .create_tenant(&ctx, json!({"slug": slug, "name": "Import benchmark"}))
        .await
        .map_err(|e| anyhow::anyhow!("creating the tenant {slug}: {e:?}"))?;
    super::seed::department_attribute(services, &tenant, &ctx).await?;
    let hash = services
        .hasher
        .hash(NormalizedPassword::normalize("bench import password"))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    const DEPARTMENTS: [&str; 6] = ["Sales", "Engineering", "Finance", "Support", "Legal", "Ops"];
    let mut file =
        String::from("email,first_name,last_name,state,password_hash,attributes.department\n");
    for i in 0..n {
        file.push_str(&format!(
            "imported.{i}@bench.example,First{i},Last{},active,\"{hash}\",{}\n",
            i % 977,
            DEPARTMENTS[i % DEPARTMENTS.len()]
        ));
    }
    let bytes = file.len();
    let t = Instant::now();
    // As the API runs a large file: queued with its file, then run as a job
    // (here directly, without waiting for a runner's poll).
    let queued = services
        .start_import(
            &tenant,
            &ctx,
            ImportRequest {
                format: ImportFormat::Csv,
                dry_run: false,
                on_error: usher_core::import::OnError::parse(&args.import_on_error)
                    .unwrap_or_default(),
                file: file.into_bytes(),
            },
            true,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    // Claimed first, so that the server's runner leaves it alone; should
    // the runner have taken it in the moment between, it runs it and the
    // benchmark waits for it to finish instead.
    let claimed = match queued.job_id {
        Some(job) => {
            let now = services.clock.now();
            services
                .store
                .claim_job(job, "bench", now, now + time::Duration::hours(1))
                .await?
                .is_some()
        }
        None => true,
    };
    let report = if claimed {
        services
            .run_import(&tenant, queued.id, &|_, _| {})
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
    } else {
        loop {
            let r = services
                .store
                .get_import(tenant.id, queued.id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("the import {} is gone", queued.id))?;
            if matches!(
                r.state,
                usher_core::import::ImportRunState::Completed
                    | usher_core::import::ImportRunState::Failed
            ) {
                break r;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    let took = t.elapsed();
    if report.created != n as u64 || report.failed_rows != 0 {
        bail!("the import ended with {report:?}");
    }
    println!();
    println!(
        "| import (CSV, argon2 hashes, 1 custom attribute) | users | MiB | seconds | users/s |"
    );
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| new users, {} batches, on_error={} | {n} | {:.1} | {:.2} | {:.0} |",
        report.batches,
        args.import_on_error,
        bytes as f64 / 1048576.0,
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64()
    );
    Ok(())
}
