//! The operations the admin API and the CLI share. Each takes the tenant it
//! acts in and the [`AuditContext`] of the caller, validates its input,
//! asks the store to carry it out, and makes sure an audit event records
//! the attempt whatever its outcome.

mod admins;
mod attributes;
mod audit;
mod audit_limit;
mod background;
mod bulk;
mod cache;
mod delivery;
mod factors;
mod forgot;
mod groups;
mod import;
mod jobs;
mod links;
mod login;
mod mfa_reset;
mod reauth;
mod roles;
mod scim;
mod scim_roles;
mod sessions;
mod tenants;
mod throttle;
mod token_scopes;
mod tokens;
mod users;

pub use admins::{AdminPerson, AdminSignedIn};
pub use audit::{AuditParams, ChainKeying, ChainReport, VerifyReport};
pub use bulk::{BulkUpload, Uploaded};
pub use factors::{Enrolment, invalid_code};
pub use groups::GroupPage;
pub use import::{ImportRequest, MAX_UNFINISHED_IMPORTS};
pub use jobs::JobParams;
pub use links::{INVITATION_PREFIX, RESET_PREFIX, invalid_link, passwords_differ};
pub use login::{ClientContext, LoginOutcome, SignedIn, invalid_credentials, user_blocked};
pub use reauth::{Proof, REAUTH_WINDOW};
pub use scim::{ScimPage, ScimQuery};
pub use sessions::{SessionCaller, invalid_token};
pub use throttle::{DEVICE_PREFIX, KNOWN_CLIENT_WINDOW};
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
    /// The keys that seal TOTP secrets at rest (`USHER_SECRET_KEY`); none:
    /// they are stored in clear.
    pub secret_keys: Option<Arc<crate::sealing::SecretKeys>>,
}

impl Default for ServiceOptions {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            hashing: HasherConfig::default(),
            geoip: None,
            trusted_proxies: crate::net::TrustedProxies::default(),
            secret_keys: None,
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
    /// The bound on audit rows strangers cause ([`audit_limit`]).
    audit_windows: audit_limit::Windows,
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
                audit_windows: Default::default(),
                tenants: Cache::new(),
                attributes: Cache::new(),
            }),
        })
    }

    /// Seals a second factor's secret for its user (in clear without keys).
    pub(crate) fn seal_secret(&self, plain: &[u8], user: UserId) -> Vec<u8> {
        crate::sealing::seal_with(self.options.secret_keys.as_deref(), plain, user.as_bytes())
    }

    /// The stored form of a recovery code: keyed with the secret key when
    /// there is one, plain SHA-256 otherwise.
    pub(crate) fn recovery_code_hash(&self, code: &str) -> Option<crate::token::SecretHash> {
        let canonical = crate::mfa::recovery_code_canonical(code)?;
        Some(match &self.options.secret_keys {
            Some(k) => crate::token::SecretHash(k.keyed_hash(canonical.as_bytes())),
            None => crate::mfa::recovery_code_hash(code)?,
        })
    }

    /// Every form a recovery code may be stored in: keyed under each key
    /// (the current first), then plain SHA-256 (codes made before keys).
    pub(crate) fn recovery_code_hashes(&self, code: &str) -> Vec<crate::token::SecretHash> {
        let Some(canonical) = crate::mfa::recovery_code_canonical(code) else {
            return Vec::new();
        };
        let mut out: Vec<_> = self
            .options
            .secret_keys
            .iter()
            .flat_map(|k| k.keyed_hashes(canonical.as_bytes()))
            .map(crate::token::SecretHash)
            .collect();
        out.extend(crate::mfa::recovery_code_hash(code));
        out
    }

    /// Opens a second factor's stored secret; one that cannot be opened
    /// (its key is gone) is logged and treated as no secret at all.
    pub(crate) fn open_secret(
        &self,
        stored: &[u8],
        user: UserId,
    ) -> Option<zeroize::Zeroizing<Vec<u8>>> {
        match crate::sealing::open_with(
            self.options.secret_keys.as_deref(),
            stored,
            user.as_bytes(),
        ) {
            Ok(plain) => Some(plain),
            Err(e) => {
                tracing::error!(%user, error = %e, "a second factor's secret cannot be opened");
                None
            }
        }
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

    /// [`Self::refuse_request`] with details of what was asked (a call an
    /// admin's role does not allow, say).
    pub async fn refuse_with(
        &self,
        ctx: &AuditContext,
        tenant: Option<&Tenant>,
        action: AuditAction,
        details: serde_json::Value,
        err: Error,
    ) -> Error {
        let draft = self.draft(ctx, tenant, action).details(details);
        self.refuse(draft, err).await
    }

    /// Parses a user id from a URL or a command line.
    pub fn parse_user_id(s: &str) -> Result<UserId, Error> {
        s.parse::<UserId>()
            .map_err(|_| Error::bad_request(ErrorCode::InvalidId, "the user id must be a UUID"))
    }
}
