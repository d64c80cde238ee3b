//! What a family's series are: counters and fixed-bucket histograms, each
//! a few atomics, and how one series is written in the text format.

use super::text::{self, Value};
use std::sync::atomic::{AtomicU64, Ordering};

/// What a family's series are: counters or histograms.
pub trait Series: Send + Sync + 'static {
    /// What every series of a family shares (a histogram's buckets).
    type Shape: Send + Sync;
    const KIND: &'static str;
    fn new(shape: &Self::Shape) -> Self;
    fn render(&self, shape: &Self::Shape, name: &str, labels: &[(&str, &str)], out: &mut String);
}

/// A number that only goes up.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl Series for Counter {
    type Shape = ();
    const KIND: &'static str = "counter";

    fn new((): &()) -> Self {
        Self::default()
    }

    fn render(&self, (): &(), name: &str, labels: &[(&str, &str)], out: &mut String) {
        text::sample(out, name, labels, Value::Int(self.get()));
    }
}

/// Observations counted into fixed buckets, with their sum.
#[derive(Debug)]
pub struct Histogram {
    /// One count per bound, then the count above the last bound. Counts
    /// are per bucket; the text format's cumulative counts are summed when
    /// rendering.
    counts: Box<[AtomicU64]>,
    /// The sum's `f64` bits.
    sum: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, bounds: &[f64], value: f64) {
        // The first bucket whose bound is at least the value (`le`).
        let at = bounds.partition_point(|b| *b < value);
        if let Some(c) = self.counts.get(at) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        let _ = self
            .sum
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                Some((f64::from_bits(bits) + value).to_bits())
            });
    }
}

impl Series for Histogram {
    type Shape = &'static [f64];
    const KIND: &'static str = "histogram";

    fn new(bounds: &&'static [f64]) -> Self {
        Self {
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0f64.to_bits()),
        }
    }

    fn render(
        &self,
        bounds: &&'static [f64],
        name: &str,
        labels: &[(&str, &str)],
        out: &mut String,
    ) {
        let bucket = format!("{name}_bucket");
        let mut cumulative = 0;
        for (i, c) in self.counts.iter().enumerate() {
            cumulative += c.load(Ordering::Relaxed);
            let mut le = String::new();
            text::float(&mut le, bounds.get(i).copied().unwrap_or(f64::INFINITY));
            let mut with_le = labels.to_vec();
            with_le.push(("le", &le));
            text::sample(out, &bucket, &with_le, Value::Int(cumulative));
        }
        let sum = f64::from_bits(self.sum.load(Ordering::Relaxed));
        text::sample(out, &format!("{name}_sum"), labels, Value::Float(sum));
        text::sample(
            out,
            &format!("{name}_count"),
            labels,
            Value::Int(cumulative),
        );
    }
}
