//! The benchmark's report: Markdown tables, one per measurement, with
//! latencies in milliseconds.

use hdrhistogram::Histogram;

/// The latency at quantile `q`, in milliseconds.
fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

/// A table of list scenarios: for each, the total its pages answered and
/// the p50, p99 and largest latency of a page.
pub(super) fn pages(header: &str, rows: &[(String, u64, Histogram<u64>)]) {
    println!();
    println!("{header}");
    println!("|---|---:|---:|---:|---:|");
    for (name, total, h) in rows {
        println!(
            "| {} | {total} | {:.2} | {:.2} | {:.2} |",
            name.replace('|', "\\|"),
            ms(h, 0.5),
            ms(h, 0.99),
            h.max() as f64 / 1000.0
        );
    }
}

/// A table of rates: for each operation, done by `clients` concurrent
/// clients, how many a second and the p50 and p99 latency.
pub(super) fn rates(header: &str, clients: usize, rows: &[(&str, f64, &Histogram<u64>)]) {
    println!();
    println!("{header}");
    println!("|---|---:|---:|---:|---:|");
    for (name, rate, h) in rows {
        println!(
            "| {name} | {clients} | {rate:.0} | {:.2} | {:.2} |",
            ms(h, 0.5),
            ms(h, 0.99)
        );
    }
}
