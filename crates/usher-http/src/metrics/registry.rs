//! The registry: the metric families of one app, registered at start, and
//! their rendering in the text format. A counter or histogram family maps
//! label values to a series of atomics; a gauge family holds no values at
//! all but a reader, called at each scrape (how a store's figures, read
//! from the database, become gauges).
//!
//! Counting costs one hash of the label values, a shared read lock and an
//! atomic add: the map is keyed by the values' hash, so a lookup allocates
//! nothing; a series is created, under the write lock, only the first time
//! its values are seen.

use super::series::{Counter, Histogram, Series};
use super::text::{self, Value};
use futures::future::BoxFuture;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// How long a scrape waits for one gauge reader before leaving its family out.
const READ_TIMEOUT: Duration = Duration::from_secs(2);

/// One app's metric families, in the order they were registered.
#[derive(Debug, Default)]
pub struct Registry {
    families: Mutex<Vec<Entry>>,
}

#[derive(Debug, Clone)]
enum Entry {
    Counters(Arc<Family<Counter>>),
    Histograms(Arc<Family<Histogram>>),
    Gauges(Arc<GaugeFamily>),
}

impl Entry {
    fn name(&self) -> &str {
        match self {
            Entry::Counters(f) => f.name,
            Entry::Histograms(f) => f.name,
            Entry::Gauges(f) => f.name,
        }
    }
}

/// A gauge's value for one set of label values, as a reader answers it.
#[derive(Debug, Clone, PartialEq)]
pub struct GaugeSample {
    /// In the order of the family's label names.
    pub labels: Vec<String>,
    pub value: f64,
}

impl GaugeSample {
    pub fn new<L: Into<String>>(labels: impl IntoIterator<Item = L>, value: f64) -> Self {
        Self {
            labels: labels.into_iter().map(Into::into).collect(),
            value,
        }
    }
}

type Reader = Arc<dyn Fn() -> BoxFuture<'static, Vec<GaugeSample>> + Send + Sync>;

/// Gauges read at scrape time.
struct GaugeFamily {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    read: Reader,
}

impl std::fmt::Debug for GaugeFamily {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GaugeFamily")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Registry {
    fn register(&self, entry: Entry, labels: &[&str]) {
        let name = entry.name();
        assert!(text::valid_name(name, true), "bad metric name {name:?}");
        for l in labels {
            assert!(
                text::valid_name(l, false) && *l != "le",
                "bad label {l:?} of {name}"
            );
        }
        let mut families = self.families.lock().unwrap_or_else(|e| e.into_inner());
        assert!(
            families.iter().all(|f| f.name() != name),
            "{name} is registered twice"
        );
        families.push(entry);
    }

    /// A counter family (`name` ends in `_total`).
    pub fn counter(
        &self,
        name: &'static str,
        help: &'static str,
        labels: &'static [&'static str],
    ) -> Arc<Family<Counter>> {
        let family = Arc::new(Family::new(name, help, labels, ()));
        self.register(Entry::Counters(family.clone()), labels);
        family
    }

    /// A histogram family with these upper bounds (ascending; `+Inf` is
    /// added).
    pub fn histogram(
        &self,
        name: &'static str,
        help: &'static str,
        labels: &'static [&'static str],
        bounds: &'static [f64],
    ) -> Arc<Family<Histogram>> {
        assert!(
            bounds.windows(2).all(|w| w[0] < w[1]),
            "the buckets of {name} are not ascending"
        );
        let family = Arc::new(Family::new(name, help, labels, bounds));
        self.register(Entry::Histograms(family.clone()), labels);
        family
    }

    /// A gauge family whose samples `read` answers at each scrape. A reader
    /// that answers no samples (or takes longer than two seconds) leaves
    /// the family out of that scrape.
    pub fn gauges<F, Fut>(
        &self,
        name: &'static str,
        help: &'static str,
        labels: &'static [&'static str],
        read: F,
    ) where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Vec<GaugeSample>> + Send + 'static,
    {
        let read: Reader = Arc::new(move || Box::pin(read()));
        let family = GaugeFamily {
            name,
            help,
            labels,
            read,
        };
        self.register(Entry::Gauges(Arc::new(family)), labels);
    }

    /// Every family in the text format.
    pub async fn render(&self) -> String {
        let families = self
            .families
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut out = String::with_capacity(8 * 1024);
        for entry in families {
            match entry {
                Entry::Counters(f) => f.render(&mut out),
                Entry::Histograms(f) => f.render(&mut out),
                Entry::Gauges(f) => {
                    let samples = match tokio::time::timeout(READ_TIMEOUT, (f.read)()).await {
                        Ok(s) => s,
                        Err(_) => {
                            tracing::warn!(metric = f.name, "a gauge reader timed out");
                            Vec::new()
                        }
                    };
                    render_gauges(&mut out, &f, &samples);
                }
            }
        }
        out
    }
}

fn render_gauges(out: &mut String, f: &GaugeFamily, samples: &[GaugeSample]) {
    if samples.is_empty() {
        return;
    }
    text::header(out, f.name, f.help, "gauge");
    for s in samples {
        let labels: Vec<(&str, &str)> = f
            .labels
            .iter()
            .copied()
            .zip(s.labels.iter().map(String::as_str))
            .collect();
        text::sample(out, f.name, &labels, Value::Float(s.value));
    }
}

/// A label set's values, as stored.
type Key = Box<[Box<str>]>;

/// A family of series told apart by their label values.
pub struct Family<S: Series> {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    shape: S::Shape,
    hasher: foldhash::fast::RandomState,
    /// By the hash of the values; a hash's few colliding sets share a Vec.
    series: RwLock<HashMap<u64, Vec<(Key, S)>>>,
}

impl<S: Series> std::fmt::Debug for Family<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Family")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

fn same(key: &Key, values: &[&str]) -> bool {
    key.len() == values.len() && key.iter().zip(values).all(|(k, v)| &**k == *v)
}

impl<S: Series> Family<S> {
    fn new(
        name: &'static str,
        help: &'static str,
        labels: &'static [&'static str],
        shape: S::Shape,
    ) -> Self {
        Self {
            name,
            help,
            labels,
            shape,
            hasher: foldhash::fast::RandomState::default(),
            series: RwLock::default(),
        }
    }

    /// Calls `f` with the series of these label values (in the order of
    /// the family's label names), creating it the first time.
    pub fn with<R>(&self, values: &[&str], f: impl FnOnce(&S) -> R) -> R {
        debug_assert_eq!(values.len(), self.labels.len(), "labels of {}", self.name);
        let hash = self.hasher.hash_one(values);
        {
            let map = self.series.read().unwrap_or_else(|e| e.into_inner());
            if let Some((_, s)) = map
                .get(&hash)
                .and_then(|b| b.iter().find(|(k, _)| same(k, values)))
            {
                return f(s);
            }
        }
        let mut map = self.series.write().unwrap_or_else(|e| e.into_inner());
        let bucket = map.entry(hash).or_default();
        let at = match bucket.iter().position(|(k, _)| same(k, values)) {
            Some(at) => at,
            None => {
                let key = values.iter().map(|v| Box::from(*v)).collect();
                bucket.push((key, S::new(&self.shape)));
                bucket.len() - 1
            }
        };
        f(&bucket[at].1)
    }

    fn render(&self, out: &mut String) {
        let map = self.series.read().unwrap_or_else(|e| e.into_inner());
        let mut all: Vec<&(Key, S)> = map.values().flatten().collect();
        if all.is_empty() {
            return;
        }
        // A stable order, so that scrapes compare line by line.
        all.sort_by(|a, b| a.0.cmp(&b.0));
        text::header(out, self.name, self.help, S::KIND);
        for (key, series) in all {
            let labels: Vec<(&str, &str)> = self
                .labels
                .iter()
                .copied()
                .zip(key.iter().map(|v| &**v))
                .collect();
            series.render(&self.shape, self.name, &labels, out);
        }
    }
}

impl Family<Histogram> {
    /// Observes `value` in the series of these label values.
    pub fn observe(&self, values: &[&str], value: f64) {
        self.with(values, |h| h.observe(self.shape, value));
    }
}
