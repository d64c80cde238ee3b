//! The real server on port 0, with its own database, for HTTP tests.
//!
//! The backend is SQLite unless `USHER_TEST_BACKEND=postgres`, in which
//! case each app gets a fresh PostgreSQL database (see [`crate::pg`]).

use reqwest::{Method, Response};
use serde_json::Value;
use std::sync::Arc;
use tempfile::TempDir;
use time::OffsetDateTime;
use tokio::task::JoinHandle;
use usher::Application;
use usher::config::{Config, SecretString};
use usher_core::ManualClock;
use usher_core::audit::{Actor, AuditContext};
use usher_core::password::{HashParams, HasherConfig};
use usher_core::service::Services;
use usher_core::token::TokenScope;

/// The super-admin secret every test app starts with.
pub const SUPER_TOKEN: &str = "test-super-admin-token-0123456789";

/// A running Usher and a client for it.
#[derive(Debug)]
pub struct TestApp {
    pub port: u16,
    /// The metrics address's port, in `USHER_METRICS=listen` mode.
    pub metrics_port: Option<u16>,
    pub base: String,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub services: Services,
    pub database_url: String,
    server: JoinHandle<anyhow::Result<()>>,
    _dir: TempDir,
    _pg: Option<crate::pg::TestDatabase>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// What a test app differs in.
#[derive(Debug, Clone, Default)]
pub struct TestOptions {
    /// Deliver mail through this SMTP server.
    pub smtp_url: Option<String>,
    /// Shorter request and header deadlines than the defaults.
    pub request_timeout: Option<std::time::Duration>,
    pub header_timeout: Option<std::time::Duration>,
    /// Hash passwords with the production (OWASP) argon2 parameters
    /// instead of cheap ones, for timing comparisons.
    pub production_hashing: bool,
    /// Locate sessions with this MaxMind DB file (see [`crate::mmdb`]).
    pub geoip_db: Option<std::path::PathBuf>,
    /// Believe X-Forwarded-For from these proxies (`USHER_TRUSTED_PROXIES`).
    pub trusted_proxies: Option<String>,
    /// Who may read `/metrics` (`USHER_METRICS`); `listen` on port 0.
    pub metrics: Option<usher::config::MetricsAccess>,
    /// `USHER_PUBLIC_URL`; `http://usher.test` when not given.
    pub public_url: Option<String>,
    /// Start without `USHER_BOOTSTRAP_TOKEN` (which removes the bootstrap
    /// token, [`SUPER_TOKEN`]); otherwise it is set to [`SUPER_TOKEN`].
    pub without_bootstrap_token: bool,
    /// `USHER_SECRET_KEY`; unset: generated beside a SQLite database, none
    /// on PostgreSQL.
    pub secret_key: Option<String>,
}

/// Cheap argon2 parameters: tests check behaviour, not hashing cost.
pub fn test_hashing() -> HasherConfig {
    HasherConfig {
        params: HashParams {
            m_kib: 64,
            t: 1,
            p: 1,
        },
        workers: 2,
        queue: 256,
    }
}

/// Whether tests run against PostgreSQL.
pub fn postgres_selected() -> bool {
    std::env::var("USHER_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// An empty database of the selected backend: a fresh PostgreSQL database
/// (kept while the returned handle lives) or `name` in `dir` for SQLite.
pub async fn fresh_database_url(
    dir: &std::path::Path,
    name: &str,
) -> (String, Option<crate::pg::TestDatabase>) {
    if postgres_selected() {
        let db = crate::pg::fresh_database()
            .await
            .expect("USHER_TEST_BACKEND=postgres needs USHER_TEST_POSTGRES_URL");
        (db.url().to_owned(), Some(db))
    } else {
        (format!("sqlite://{}/{name}", dir.display()), None)
    }
}

impl TestApp {
    /// Starts a fresh server with the default tenant.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(TestOptions::default()).await
    }

    /// Starts a fresh server with options.
    pub async fn spawn_with(options: TestOptions) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let (url, pg) = fresh_database_url(dir.path(), "usher.db").await;
        let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc()));
        Self::start(url, clock, options, dir, pg).await
    }

    /// Starts a server on an existing database (a restored backup).
    pub async fn spawn_at(url: &str) -> TestApp {
        Self::spawn_at_with(url, TestOptions::default()).await
    }

    /// Starts a server with `options` on an existing database.
    pub async fn spawn_at_with(url: &str, options: TestOptions) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc()));
        Self::start(url.to_owned(), clock, options, dir, None).await
    }

    /// Starts a second server on the same database and clock as `other`
    /// (another process after a restart, or beside it).
    pub async fn spawn_on(other: &TestApp, options: TestOptions) -> TestApp {
        Self::try_spawn_on(other, options)
            .await
            .expect("the application builds")
    }

    /// Like [`Self::spawn_on`], answering why the server refused to start.
    pub async fn try_spawn_on(other: &TestApp, options: TestOptions) -> anyhow::Result<TestApp> {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::try_start(
            other.database_url.clone(),
            other.clock.clone(),
            options,
            dir,
            None,
        )
        .await
    }

    async fn start(
        url: String,
        clock: Arc<ManualClock>,
        options: TestOptions,
        dir: TempDir,
        pg: Option<crate::pg::TestDatabase>,
    ) -> TestApp {
        Self::try_start(url, clock, options, dir, pg)
            .await
            .expect("the application builds")
    }

    async fn try_start(
        url: String,
        clock: Arc<ManualClock>,
        options: TestOptions,
        dir: TempDir,
        pg: Option<crate::pg::TestDatabase>,
    ) -> anyhow::Result<TestApp> {
        let mut config = Config::new("127.0.0.1:0", &url);
        config.public_url = options
            .public_url
            .clone()
            .unwrap_or_else(|| "http://usher.test".into());
        config.bootstrap_token =
            (!options.without_bootstrap_token).then(|| SecretString::new(SUPER_TOKEN.into()));
        config.smtp_url = options.smtp_url.map(SecretString::new);
        config.secret_key = options.secret_key.map(SecretString::new);
        config.job_poll = std::time::Duration::from_millis(100);
        if !options.production_hashing {
            config.hashing = test_hashing();
        }
        if let Some(t) = options.request_timeout {
            config.request_timeout = t;
        }
        if let Some(t) = options.header_timeout {
            config.header_timeout = t;
        }
        config.geoip_db = options.geoip_db;
        if let Some(m) = options.metrics {
            config.metrics = m;
        }
        if let Some(list) = &options.trusted_proxies {
            config.trusted_proxies =
                usher_core::net::TrustedProxies::parse(list).expect("a valid proxy list");
        }
        let app = Application::build_with_clock(&config, clock.clone()).await?;
        let port = app.port();
        let metrics_port = app.metrics_port();
        let services = app.services().clone();
        let server = tokio::spawn(app.run_until(std::future::pending()));
        Ok(TestApp {
            port,
            metrics_port,
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
            clock,
            services,
            database_url: url,
            server,
            _dir: dir,
            _pg: pg,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with the super-admin token.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(SUPER_TOKEN)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.request(Method::POST, path)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Response {
        self.request(Method::PATCH, path)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.request(Method::DELETE, path)
            .send()
            .await
            .expect("request sent")
    }

    /// Creates a user in `tenant` and answers its JSON; panics unless 201.
    pub async fn create_user(&self, tenant: &str, body: Value) -> Value {
        let res = self
            .post(&format!("/api/v1/tenants/{tenant}/users"), &body)
            .await;
        let status = res.status();
        let json: Value = res.json().await.expect("json body");
        assert_eq!(status.as_u16(), 201, "create failed: {json}");
        json
    }

    /// Creates a tenant through the API.
    pub async fn create_tenant(&self, slug: &str) {
        let res = self
            .post("/api/v1/tenants", &serde_json::json!({"slug": slug}))
            .await;
        assert_eq!(res.status().as_u16(), 201, "tenant {slug} not created");
    }

    /// Makes group `name` of `tenant` holding the users `members` (ids)
    /// over SCIM, as Entra ID would; answers the group's SCIM resource.
    pub async fn scim_group(&self, tenant: &str, name: &str, members: &[&str]) -> Value {
        let members: Vec<Value> = members
            .iter()
            .map(|id| serde_json::json!({"value": id}))
            .collect();
        let group = serde_json::json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": name,
            "members": members,
        });
        let scim = self.tenant_token(tenant, TokenScope::Scim).await;
        let res = self
            .client
            .post(self.url(&format!("/scim/v2/{tenant}/Groups")))
            .bearer_auth(scim)
            .header("content-type", "application/scim+json")
            .body(group.to_string())
            .send()
            .await
            .expect("request sent");
        assert_eq!(res.status().as_u16(), 201, "group {name}");
        res.json().await.expect("group JSON")
    }

    /// A new token bound to `tenant` (admin or SCIM scope).
    pub async fn tenant_token(&self, tenant: &str, scope: TokenScope) -> String {
        let t = self
            .services
            .find_tenant(tenant)
            .await
            .expect("tenant exists");
        let ctx = AuditContext::new(Actor::system());
        let (_, secret) = self
            .services
            .create_token(&ctx, Some(&t), scope, "test")
            .await
            .expect("token created");
        secret.expose().to_owned()
    }

    /// Creates an admin token of `tenant` acting with `role` (over the API,
    /// as an operator would) and answers its secret.
    pub async fn role_token(&self, tenant: &str, role: &str) -> String {
        let made = self
            .post(
                &format!("/api/v1/tenants/{tenant}/tokens"),
                &serde_json::json!({"name": role, "role": role}),
            )
            .await;
        assert_eq!(made.status(), 201, "token with role {role}");
        let made: Value = made.json().await.expect("token JSON");
        made["secret"].as_str().expect("secret").to_owned()
    }

    /// Gives user `id` of `tenant` the built-in admin role `role` (as the
    /// super-admin).
    pub async fn grant_admin(&self, tenant: &str, id: &str, role: &str) {
        let res = self
            .request(
                Method::PUT,
                &format!("/api/v1/tenants/{tenant}/users/{id}/admin-roles/{role}"),
            )
            .send()
            .await
            .expect("grant");
        assert_eq!(res.status().as_u16(), 204, "grant {role}");
    }

    /// Creates a user of `tenant` who accepted the invitation (from the
    /// outbox) with `password`; answers the user's JSON.
    pub async fn user_with_password(&self, tenant: &str, email: &str, password: &str) -> Value {
        let user = self
            .create_user(tenant, serde_json::json!({"email": email}))
            .await;
        let outbox: Value = self
            .get(&format!("/api/v1/tenants/{tenant}/outbox?limit=200"))
            .await
            .json()
            .await
            .expect("outbox json");
        let link = outbox["items"]
            .as_array()
            .expect("outbox items")
            .iter()
            .find(|m| m["recipient"] == email)
            .and_then(|m| m["link"].as_str())
            .expect("an invitation link in the outbox")
            .to_owned();
        let token = link.rsplit('/').next().expect("a token").to_owned();
        let res = self
            .client
            .post(self.url(&format!("/api/v1/tenants/{tenant}/auth/invitations/accept")))
            .json(&serde_json::json!({"token": token, "password": password}))
            .send()
            .await
            .expect("request sent");
        assert_eq!(res.status().as_u16(), 200, "invitation not accepted");
        user
    }

    /// Posts a login with this user agent (no admin token).
    pub async fn login(
        &self,
        tenant: &str,
        email: &str,
        password: &str,
        user_agent: &str,
    ) -> Response {
        self.client
            .post(self.url(&format!("/api/v1/tenants/{tenant}/auth/login")))
            .header("user-agent", user_agent)
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .expect("request sent")
    }

    /// Creates a user with `password` in `tenant`, logs in, and answers the
    /// login's JSON (tokens and session id).
    pub async fn login_as(&self, tenant: &str, email: &str, password: &str) -> Value {
        self.user_with_password(tenant, email, password).await;
        let res = self.login(tenant, email, password, "usher-tests").await;
        assert_eq!(res.status().as_u16(), 200, "login failed");
        res.json().await.expect("login json")
    }

    /// The server's (injected) time.
    pub fn clock_now(&self) -> OffsetDateTime {
        usher_core::Clock::now(&*self.clock)
    }

    /// A request with a session or access token instead of the admin token.
    pub fn as_user(&self, method: Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .header("authorization", format!("Bearer {token}"))
    }
}

/// A `multipart/form-data` body of `fields` and, if given, a file
/// `(field, filename, content)`: its content type and text.
pub fn multipart_body(
    fields: &[(&str, &str)],
    file: Option<(&str, &str, &str)>,
) -> (String, String) {
    let boundary = "usher-test-boundary-7f3a";
    let mut text = String::new();
    for (k, v) in fields {
        text.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    if let Some((name, filename, content)) = file {
        text.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: text/csv\r\n\r\n{content}\r\n"
        ));
    }
    text.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), text)
}

/// Reads a JSON body, panicking with the status on failure.
pub async fn json(res: Response) -> Value {
    let status = res.status();
    let text = res.text().await.expect("body");
    serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("status {status}, body not JSON: {text:?}"))
}
