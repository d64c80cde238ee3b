//! `usher`: parse the command line, start logging, run. The benchmark's
//! module tree (`bench`) is the binary's own, not the library's.

mod bench;

use clap::Parser;

// glibc's allocator serialises a thread's frees of memory another thread
// allocated (an import's rows are built on the runtime and dropped on the
// SQLite writer); mimalloc frees those without taking a lock.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = usher::cli::Cli::parse();
    usher::init_logging();
    match usher::cli::run(cli, bench::run).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
