//! The admin web console, to come (DESIGN §7): server-rendered pages at
//! `/console/{tenant}/…`, usable without JavaScript, with its own login at
//! `/console/{tenant}/login`. Its pages will call the same services as the
//! admin API, act as a [`crate::extract::TenantAdmin`]-like caller, and be
//! drawn with the end-user pages' HTML kit.
//!
//! Nothing is served here yet: until it is, every `/console` path gets the
//! router's fallback, the same 404 problem+json as any unknown path.

use crate::AppState;
use axum::Router;

/// The console's routes (none yet).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
}
