//! The arguments of `usher bench`. Only their definition is here: the
//! benchmark itself lives in the binary (`src/bench/`), outside the library
//! the server and the tests link.

use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Users seeded before measuring.
    #[arg(long, default_value_t = 1_000_000)]
    pub users: usize,
    /// Single-user creates measured over HTTP.
    #[arg(long, default_value_t = 20_000)]
    pub creates: usize,
    /// Concurrent HTTP clients creating users.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Requests measured per list or search scenario.
    #[arg(long, default_value_t = 300)]
    pub samples: usize,
    /// SQLite file to use; kept afterwards and reused when it already holds
    /// the seeded users. Default: a fresh file in a temporary directory.
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// Use this database URL instead (e.g. a PostgreSQL database to fill).
    #[arg(long)]
    pub url: Option<String>,
    /// Users with a password for the login and refresh measurements (0
    /// skips them).
    #[arg(long, default_value_t = 10_000)]
    pub login_users: usize,
    /// Logins measured (password only, production argon2 parameters).
    #[arg(long, default_value_t = 1_000)]
    pub logins: usize,
    /// Refreshes measured.
    #[arg(long, default_value_t = 20_000)]
    pub refreshes: usize,
    /// Concurrent clients logging in and refreshing.
    #[arg(long, default_value_t = 16)]
    pub auth_clients: usize,
    /// Users in each timed bulk process (block, then disable); 0 skips them.
    #[arg(long, default_value_t = 10_000)]
    pub bulk_users: usize,
    /// Users in the timed import; 0 skips it.
    #[arg(long, default_value_t = 100_000)]
    pub import_users: usize,
    /// What a bad row does in the timed import (skip_row, fail_batch or
    /// fail_file): the modes write the same users at different costs.
    #[arg(long, default_value = "skip_row",
          value_parser = clap::builder::PossibleValuesParser::new(["skip_row", "fail_batch", "fail_file"]))]
    pub import_on_error: String,
    /// No-op jobs the job queue claims, runs and records in the timed
    /// measure (with a second runner beside it on PostgreSQL); 0 skips it.
    #[arg(long, default_value_t = 5_000)]
    pub jobs: usize,
    /// Also measure SCIM: filtered lists of /Users and `--creates` SCIM
    /// creates.
    #[arg(long)]
    pub scim: bool,
    /// Also measure the pages of admins scoped to a group of every tenth
    /// user and to one department (the group is made once per file).
    #[arg(long)]
    pub scoped: bool,
    /// Also measure the admin console's users list, first and last page,
    /// beside the API's `GET /users?limit=20` read by the same admin.
    #[arg(long)]
    pub console: bool,
}
