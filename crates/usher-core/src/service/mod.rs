//! The operations the admin API and the CLI share. Each takes the tenant it
//! acts in and the [`AuditContext`] of the caller, validates its input,
//! asks the store to carry it out, and makes sure an audit event records
//! the attempt whatever its outcome.

mod attributes;
mod audit;
mod background;
mod bulk;
mod cache;
mod delivery;
mod factors;
mod groups;
mod import;
mod jobs;
mod links;
mod login;
mod reauth;
mod scim;
mod sessions;
mod tenants;
mod throttle;
mod tokens;
mod users;

pub use audit::{AuditParams, ChainReport, VerifyReport};
pub use bulk::{BulkUpload, Uploaded};
pub use factors::{Enrolment, invalid_code};
pub use groups::GroupPage;
pub use import::ImportRequest;
pub use jobs::JobParams;
pub use links::{INVITATION_PREFIX, RESET_PREFIX, invalid_link, passwords_differ};
pub use login::{ClientContext, LoginOutcome, SignedIn, invalid_credentials, user_blocked};
pub use reauth::{Proof, REAUTH_WINDOW};
pub use scim::{ScimPage, ScimQuery};
pub use sessions::{SessionCaller, invalid_token};
pub use users::ListParams;

use crate::attribute::AttributeDefinition;
use crate::audit::{AuditAction, AuditContext, AuditDraft};
use crate::clock::Clock;
use crate::error::{Error, ErrorCode};
use crate::geoip::GeoIp;
use crate::ids::{TenantId, UserId};
use crate::password::{HashError, Hasher, HasherConfig};
use crate::store::Store;
use crate::tenant::Tenant;
use crate::token::{ApiToken, SecretHash};
use cache::Cache;
use std::sync::Arc;

/// How the services are set up.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    /// Base of links in emails (`USHER_PUBLIC_URL`), without a trailing slash.
    pub public_url: String,
    /// Password hashing: argon2 parameters and worker threads.
    pub hashing: HasherConfig,
    /// Where sessions' locations come from (`USHER_GEOIP_DB`); none when
    /// unset.
    pub geoip: Option<Arc<GeoIp>>,
    /// Reverse proxies whose `X-Forwarded-For` names the client
    /// (`USHER_TRUSTED_PROXIES`).
    pub trusted_proxies: crate::net::TrustedProxies,
}

impl Default for ServiceOptions {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            hashing: HasherConfig::default(),
            geoip: None,
            trusted_proxies: crate::net::TrustedProxies::default(),
        }
    }
}

/// Everything a caller of the domain needs: the store, the clock, the
/// password hasher and the options.
#[derive(Debug, Clone)]
pub struct Services {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub hasher: Arc<Hasher>,
    options: Arc<ServiceOptions>,
    caches: Arc<Caches>,
}

/// Per-process caches of what almost every request reads.
#[derive(Debug)]
struct Caches {
    tokens: Cache<SecretHash, ApiToken>,
    /// When this process last wrote each token's `last_used_at`.
    token_uses:
        std::sync::Mutex<std::collections::HashMap<crate::ids::TokenId, std::time::Instant>>,
    tenants: Cache<String, Tenant>,
    attributes: Cache<TenantId, Vec<AttributeDefinition>>,
}

impl Services {
    /// Services with default options (OWASP argon2 parameters).
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Result<Self, HashError> {
        Self::with_options(store, clock, ServiceOptions::default())
    }

    pub fn with_options(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        options: ServiceOptions,
    ) -> Result<Self, HashError> {
        let hasher = Hasher::new(options.hashing.clone())?;
        Ok(Self {
            store,
            clock,
            hasher: Arc::new(hasher),
            options: Arc::new(options),
            caches: Arc::new(Caches {
                tokens: Cache::new(),
                token_uses: Default::default(),
                tenants: Cache::new(),
                attributes: Cache::new(),
            }),
        })
    }

    pub fn options(&self) -> &ServiceOptions {
        &self.options
    }

    /// The location of a client address, where a GeoIP database is
    /// configured and knows it.
    fn locate(&self, client_ip: Option<&str>) -> Option<String> {
        let geoip = self.options.geoip.as_ref()?;
        geoip.locate(client_ip?.parse().ok()?)
    }

    fn draft(
        &self,
        ctx: &AuditContext,
        tenant: Option<&Tenant>,
        action: AuditAction,
    ) -> AuditDraft {
        ctx.draft(tenant.map(|t| t.id), action, self.clock.now())
    }

    /// Records a refusal decided before the store was asked (bad input, a
    /// missing record) and hands the error back. If even the audit write
    /// fails the caller gets that failure instead: an attempt that cannot be
    /// audited is not answered as if it had been.
    async fn refuse(&self, draft: AuditDraft, err: Error) -> Error {
        match self.store.append_audit(draft.failed_with(&err)).await {
            Ok(()) => err,
            Err(store) => Error::Store(store),
        }
    }

    /// The value of `r`, or its refusal recorded against `draft` (which
    /// stays the caller's for the success path) and handed back.
    async fn accept<T>(&self, draft: &AuditDraft, r: Result<T, Error>) -> Result<T, Error> {
        match r {
            Ok(v) => Ok(v),
            Err(e) => Err(self.refuse(draft.clone(), e).await),
        }
    }

    /// Records a request refused before any service could read it (a body
    /// that is not JSON, too large, of the wrong type) and hands the error back.
    pub async fn refuse_request(
        &self,
        ctx: &AuditContext,
        tenant: Option<&Tenant>,
        action: AuditAction,
        err: Error,
    ) -> Error {
        self.refuse(self.draft(ctx, tenant, action), err).await
    }

    /// Parses a user id from a URL or a command line.
    pub fn parse_user_id(s: &str) -> Result<UserId, Error> {
        s.parse::<UserId>()
            .map_err(|_| Error::bad_request(ErrorCode::InvalidId, "the user id must be a UUID"))
    }
}
