//! The job queue's gauges, read from [`JobStore::job_stats`] at each
//! scrape: jobs by kind and state, and how long the oldest due job waits.

use super::{GaugeSample, Metrics};
use usher_core::job::{JobKind, JobState};
use usher_core::service::Services;

impl Metrics {
    /// Registers `usher_jobs{kind,state}` (every kind and state, zeros
    /// included, so that a series does not vanish when its last job goes)
    /// and `usher_job_queue_age_seconds`.
    pub fn watch_jobs(&self, services: Services) {
        let counted = services.clone();
        self.registry().gauges(
            "usher_jobs",
            "Jobs in the queue by kind and state (finished ones until their retention ends).",
            &["kind", "state"],
            move || {
                let services = counted.clone();
                async move {
                    let Ok(stats) = services.store.job_stats(services.clock.now()).await else {
                        return Vec::new();
                    };
                    let mut samples = Vec::new();
                    for kind in JobKind::ALL {
                        for state in JobState::ALL {
                            let n = stats
                                .counts
                                .iter()
                                .find(|(k, s, _)| *k == kind && *s == state)
                                .map_or(0, |(_, _, n)| *n);
                            samples
                                .push(GaugeSample::new([kind.as_str(), state.as_str()], n as f64));
                        }
                    }
                    samples
                }
            },
        );
        self.registry().gauges(
            "usher_job_queue_age_seconds",
            "How long the oldest due job has waited to be claimed (0 when none waits).",
            &[],
            move || {
                let services = services.clone();
                async move {
                    let now = services.clock.now();
                    let Ok(stats) = services.store.job_stats(now).await else {
                        return Vec::new();
                    };
                    let age = stats
                        .oldest_due
                        .map_or(0.0, |t| (now - t).as_seconds_f64().max(0.0));
                    vec![GaugeSample::new(Vec::<String>::new(), age)]
                }
            },
        );
    }
}
