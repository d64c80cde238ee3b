//! What every console page after sign-in starts from: the tenant of the
//! path, the signed-in admin (or the redirect to the sign-in page), the
//! admin's language and the CSRF token its forms repeat; for a page about
//! one user, that user, read as `GET /users/{id}` would read them (the
//! admin's scope decides whether they exist); and the one place that turns
//! a refusal into a page.

use super::actions::{Act, act_of};
use super::session::{ConsoleAdmin, to_sign_in};
use super::shell::Shell;
use super::user_words::user_words;
use super::words::console_words;
use crate::AppState;
use crate::extract::{Call, Page, check_call};
use crate::pages::busy;
use crate::pages::kit::{csrf_token, esc};
use axum::extract::{FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use usher_core::Error;
use usher_core::UserId;
use usher_core::tenant::Tenant;
use usher_core::user::User;
use usher_core::user::fields::Language;

/// The largest form a console page reads.
const MAX_FORM: usize = 16 * 1024;

/// The API route of reading one user: what a page about a user stands for.
const USER_ROUTE: &str = "/api/v1/tenants/{tenant}/users/{id}";

pub(super) struct ConsolePage {
    pub tenant: Tenant,
    pub admin: ConsoleAdmin,
    /// The admin's own language.
    pub lang: Language,
    pub csrf: String,
    pub headers: HeaderMap,
    pub query: String,
    /// The `{id}` of the path, for pages about one thing.
    pub path_id: Option<String>,
    /// The part of the console the page is in (`users`, `audit`, `bulk`,
    /// `settings`): its navigation entry.
    pub section: &'static str,
}

impl ConsolePage {
    /// The page of the request's tenant for its signed-in admin; the
    /// response to send instead when there is none.
    pub(super) async fn open(state: &AppState, parts: &mut Parts) -> Result<Self, Response> {
        let Page { tenant, lang } = Page::from_request_parts(parts, state).await?;
        let admin = match ConsoleAdmin::of(state, &tenant, parts).await {
            Ok(Some(a)) => a,
            Ok(None) => return Err(to_sign_in(tenant.slug.as_str())),
            Err(e) => return Err(busy(lang, &e)),
        };
        let path_id = path_param(state, parts, "id").await;
        // `/console/{tenant}/{part}/…`
        let section = match parts.uri.path().split('/').nth(3) {
            Some("audit") => "audit",
            Some("bulk" | "imports") => "bulk",
            Some("settings") => "settings",
            _ => "users",
        };
        Ok(Self {
            path_id,
            section,
            lang: admin.person.user.language,
            csrf: csrf_token(&parts.headers),
            headers: parts.headers.clone(),
            query: parts.uri.query().unwrap_or("").to_owned(),
            tenant,
            admin,
        })
    }

    /// [`Self::open`] for a page that takes a form: the page, the form's
    /// fields (none for a GET), and whether it was posted.
    pub(super) async fn open_form(
        state: &AppState,
        request: Request,
    ) -> Result<(Self, Vec<(String, String)>, bool), Response> {
        let posted = request.method() == Method::POST;
        let (mut parts, body) = request.into_parts();
        let bytes = axum::body::to_bytes(body, MAX_FORM)
            .await
            .unwrap_or_default();
        let page = Self::open(state, &mut parts).await?;
        Ok((page, crate::pages::kit::form_fields(&bytes), posted))
    }

    /// [`Self::open`] for a page with an upload form posting to the API
    /// call `route` (`(route, largest body)`): on a GET, the page once the
    /// admin may read that list; on a POST, the page and the multipart
    /// form once the call is allowed and the form repeats the CSRF token.
    pub(super) async fn open_upload(
        state: &AppState,
        request: Request,
        (route, limit): (&str, u64),
        too_large: fn() -> Error,
    ) -> Result<(Self, Option<Vec<(String, Vec<u8>)>>), Response> {
        let posted = request.method() == Method::POST;
        let (mut parts, body) = request.into_parts();
        let page = Self::open(state, &mut parts).await?;
        // The caller's role and scope first: nobody the API would refuse
        // gets a large body read on their behalf.
        let method = if posted { Method::POST } else { Method::GET };
        if let Err(e) = page.check(state, &method, route, None).await {
            return Err(error_page(state, &page, e));
        }
        if !posted {
            return Ok((page, None));
        }
        let declared = parts
            .headers
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit) {
            return Err(error_page(state, &page, too_large()));
        }
        let form =
            match crate::extract::multipart_fields(&page.headers, body, limit, too_large).await {
                Ok(f) => f,
                Err(e) => return Err(error_page(state, &page, e)),
            };
        let csrf = crate::extract::text_field(&form, "csrf").unwrap_or_default();
        let sent = [("csrf".to_owned(), csrf)];
        if let Some(res) = page.csrf_refusal(state, &sent) {
            return Err(res);
        }
        Ok((page, Some(form)))
    }

    /// [`Self::open`] for a page about the user the path names, and that
    /// user.
    pub(super) async fn open_user(
        state: &AppState,
        request: Request,
    ) -> Result<(Self, User), Response> {
        let (mut parts, _) = request.into_parts();
        let page = Self::open(state, &mut parts).await?;
        let user = page.user(state, page.path_id.as_deref()).await;
        match user {
            Ok(user) => Ok((page, user)),
            Err(e) => Err(error_page(state, &page, e)),
        }
    }

    /// [`Self::open_user`] for an action's page, and the action.
    pub(super) async fn open_user_act(
        state: &AppState,
        request: Request,
    ) -> Result<(Self, User, Act), Response> {
        let (mut parts, body) = request.into_parts();
        let act = path_param(state, &mut parts, "act").await;
        let act = act.as_deref().and_then(act_of);
        let (page, user) = Self::open_user(state, Request::from_parts(parts, body)).await?;
        match act {
            Some(act) => Ok((page, user, act)),
            None => Err(error_page(
                state,
                &page,
                Error::NotFound(usher_core::error::Missing::User),
            )),
        }
    }

    /// The user `id` names, as the API's `GET /users/{id}` reads them for
    /// this admin: outside the admin's scope, or not an id, they do not
    /// exist. The read is audited (`user.view`).
    async fn user(&self, state: &AppState, id: Option<&str>) -> Result<User, Error> {
        let missing = || Error::NotFound(usher_core::error::Missing::User);
        let target = id
            .and_then(|i| i.parse::<UserId>().ok())
            .ok_or_else(missing)?;
        self.check(state, &Method::GET, USER_ROUTE, Some(target))
            .await?;
        let id = target.to_string();
        state
            .services
            .get_user(&self.tenant, &self.admin.ctx, &id)
            .await
    }

    /// Decides the API call (`method`, `route`) a page shows or does, on
    /// `target`, as the API would for this admin (refusals audited).
    pub(super) async fn check(
        &self,
        state: &AppState,
        method: &Method,
        route: &str,
        target: Option<UserId>,
    ) -> Result<(), Error> {
        let call = Call {
            method,
            route: Some(route),
            target,
        };
        let roles = self.admin.person.roles;
        check_call(state, &self.tenant, &self.admin.ctx, roles, call).await
    }

    /// The page in the console's frame.
    pub(super) fn render(
        &self,
        state: &AppState,
        status: StatusCode,
        title: &str,
        current: &str,
        body: &str,
    ) -> Response {
        let shell = Shell {
            tenant: &self.tenant,
            lang: self.lang,
            email: self.admin.person.user.email.as_str(),
            csrf: &self.csrf,
            title,
            current,
            audit: self.admin.may("GET", "/api/v1/tenants/{tenant}/audit"),
            settings: self.admin.may("GET", "/api/v1/tenants/{tenant}/settings"),
            bulk: self
                .admin
                .may("GET", "/api/v1/tenants/{tenant}/bulk-processes"),
        };
        shell.render(state, status, body)
    }

    /// Decides a posted form: the API call it stands for (a refusal is
    /// audited, as the API audits it), then its CSRF token. Answers the
    /// page to send instead when either fails, having changed nothing.
    pub(super) async fn post_refusal(
        &self,
        state: &AppState,
        fields: &[(String, String)],
        method: &Method,
        route: &str,
        target: Option<UserId>,
    ) -> Option<Response> {
        if let Err(e) = self.check(state, method, route, target).await {
            return Some(error_page(state, self, e));
        }
        self.csrf_refusal(state, fields)
    }

    /// The 403 page for a form that does not repeat the browser's CSRF
    /// token (nothing was done); `None` for one that does.
    pub(super) fn csrf_refusal(
        &self,
        state: &AppState,
        fields: &[(String, String)],
    ) -> Option<Response> {
        // A form repeats it in `csrf`; a script may send it as a header.
        let header = self
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok());
        let sent = match crate::pages::kit::field(fields, "csrf") {
            "" => header.unwrap_or(""),
            field => field,
        };
        if crate::pages::kit::csrf_matches(&self.headers, sent) {
            return None;
        }
        let text = crate::pages::i18n::login_words(self.lang).csrf;
        Some(error_page(state, self, Error::Forbidden(text.to_owned())))
    }

    /// "Done" above a page that a change led back to (`?done=` given).
    pub(super) fn done_notice(&self, text: &str) -> String {
        if self.param("done").is_some() {
            format!("<p role=\"status\">{}</p>", esc(text))
        } else {
            String::new()
        }
    }

    /// Whether `act` applies to `user` now, for this admin in this tenant.
    pub(super) fn applies(&self, act: Act, user: &User, now: time::OffsetDateTime) -> bool {
        let require = self.tenant.settings.require_disable_before_delete;
        act.applies(user, now, require, self.admin.person.scope.as_ref())
    }

    /// Whether a change to `user` is refused to this admin because the
    /// user holds an admin role (only a tenant-wide `tenant_admin` changes
    /// admins; see [`check_call`]).
    pub(super) async fn guarded(&self, state: &AppState, user: &User) -> bool {
        let roles = self.admin.person.roles;
        let needs = !roles.allow(usher_core::access::Permission::Configure)
            || self.admin.person.scope.is_some();
        // A failed read offers nothing rather than something refused.
        needs
            && state
                .services
                .is_admin(&self.tenant, user.id)
                .await
                .unwrap_or(true)
    }

    /// One parameter of the page's query string, if given.
    pub(super) fn param(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

async fn path_param(state: &AppState, parts: &mut Parts, name: &str) -> Option<String> {
    let params = RawPathParams::from_request_parts(parts, state).await.ok()?;
    params
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The page for a refusal: 403 for a call the admin's roles do not allow,
/// 404 for a user that does not exist (or is outside the scope), the
/// service's own words for anything else the admin can act on.
pub(super) fn error_page(state: &AppState, page: &ConsolePage, e: Error) -> Response {
    let c = console_words(page.lang);
    let w = user_words(page.lang);
    // The statuses are the API's for the same refusal.
    let (status, text) = match e {
        Error::Forbidden(message) => (StatusCode::FORBIDDEN, format!("{} {message}", c.forbidden)),
        // Allowed to the role, refused for this user (a quarantine made
        // under another scope): the reason is the service's.
        Error::Denied { message, .. } => (StatusCode::FORBIDDEN, message),
        Error::NotFound(usher_core::error::Missing::User) => {
            (StatusCode::NOT_FOUND, w.not_found.to_owned())
        }
        Error::NotFound(missing) => (StatusCode::NOT_FOUND, Error::NotFound(missing).to_string()),
        Error::Conflict { message, .. } => (StatusCode::CONFLICT, message),
        Error::Validation(errors) => {
            let messages: Vec<&str> = errors.0.iter().map(|f| f.message.as_str()).collect();
            (StatusCode::UNPROCESSABLE_ENTITY, messages.join(" "))
        }
        Error::VersionMismatch { .. } => (
            StatusCode::PRECONDITION_FAILED,
            w.changed_meanwhile.to_owned(),
        ),
        e @ Error::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, e.to_string()),
        e @ Error::UnsupportedMediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, e.to_string()),
        e @ Error::TooManyAttempts { .. } => (StatusCode::TOO_MANY_REQUESTS, e.to_string()),
        e @ Error::Unauthorized { .. } => (StatusCode::UNAUTHORIZED, e.to_string()),
        Error::Store(e) => return busy(page.lang, &e),
        other => (StatusCode::BAD_REQUEST, other.to_string()),
    };
    let body = format!(
        "<p role=\"alert\">{}</p><p><a href=\"/console/{}/users\">{}</a></p>",
        esc(&text),
        esc(page.tenant.slug.as_str()),
        esc(w.back),
    );
    // Titled and marked as the part of the console it happened in.
    let title = match page.section {
        "audit" => c.title_audit,
        "bulk" => super::bulk_words::bulk_words(page.lang).nav,
        "settings" => super::settings_words::settings_words(page.lang).title,
        _ => c.title_users,
    };
    page.render(state, status, title, page.section, &body)
}
