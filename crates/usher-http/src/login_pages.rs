//! The end-user login pages: `/t/{tenant}/login`, its second step at
//! `/t/{tenant}/mfa` (a code, or enrolling an authenticator app when the
//! tenant requires one), and `/t/{tenant}/sessions`, where a signed-in user
//! sees their sessions and ends them.
//!
//! Server-rendered and usable without JavaScript. They call the same
//! services as the JSON auth API, so answers, timing, throttle and audit are
//! the same: every failed password shows one message with one status. The
//! session token lives in an `HttpOnly`, `SameSite=Strict` cookie scoped to
//! the tenant's pages; every form repeats the CSRF token of its cookie.

use crate::AppState;
use crate::extract::{Visitor, client_context, tenant_slug};
use crate::i18n::{LoginWords, login_words, negotiate};
use crate::pages::{
    cookie, csrf_from_cookie, csrf_matches, field, form_fields, html, layout, new_csrf,
    secure_attr, set_cookie, set_csrf_cookie,
};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use time::OffsetDateTime;
use usher_core::Error;
use usher_core::audit::{Actor, AuditContext};
use usher_core::mail::escape_html as esc;
use usher_core::service::{Enrolment, LoginOutcome, SessionCaller, SignedIn};
use usher_core::session::Session;
use usher_core::tenant::Tenant;
use usher_core::user::fields::Language;

const SESSION_COOKIE: &str = "usher_session";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/t/{tenant}/login", get(show_login).post(submit_login))
        .route("/t/{tenant}/mfa", get(to_login).post(submit_code))
        .route("/t/{tenant}/sessions", get(show_sessions))
        .route("/t/{tenant}/sessions/{sid}/end", post(end_session))
        .route("/t/{tenant}/logout", post(logout))
}

fn see_other(location: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The cookie that holds the session token, scoped to the tenant's pages;
/// `None` clears it.
fn session_cookie(state: &AppState, slug: &str, token: Option<&str>) -> String {
    let secure = secure_attr(state);
    match token {
        Some(t) => format!(
            "{SESSION_COOKIE}={t}; Path=/t/{slug}/; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
            usher_core::session::SESSION_TTL.whole_seconds()
        ),
        None => format!(
            "{SESSION_COOKIE}=; Path=/t/{slug}/; Max-Age=0; HttpOnly; SameSite=Strict{secure}"
        ),
    }
}

fn session_token(headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE).filter(|v| !v.is_empty() && v.len() <= 128)
}

fn message_page(lang: Language, status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!("<p role=\"alert\">{}</p>", esc(text));
    html(status, layout(lang, title, &body))
}

fn not_found(lang: Language) -> Response {
    let w = login_words(lang);
    message_page(
        lang,
        StatusCode::NOT_FOUND,
        w.not_found_title,
        w.not_found_body,
    )
}

fn busy(lang: Language, e: &impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "a login page could not be served");
    let w = login_words(lang);
    message_page(lang, StatusCode::SERVICE_UNAVAILABLE, w.title_login, w.busy)
}

fn error_box(error: Option<&str>, id: &str) -> String {
    error
        .map(|e| {
            format!(
                "<div class=\"error\" role=\"alert\" id=\"{id}\">{}</div>\n",
                esc(e)
            )
        })
        .unwrap_or_default()
}

/// What the login form shows.
struct LoginForm<'a> {
    status: StatusCode,
    csrf: &'a str,
    email: &'a str,
    error: Option<&'a str>,
}

fn login_page(state: &AppState, tenant: &Tenant, lang: Language, f: LoginForm<'_>) -> Response {
    let w = login_words(lang);
    let intro = esc(w.intro_login).replace(
        "{tenant}",
        &format!("<strong>{}</strong>", esc(&tenant.name)),
    );
    let invalid = if f.error.is_some() {
        " aria-invalid=\"true\" aria-describedby=\"login-error\""
    } else {
        ""
    };
    let body = format!(
        "<p>{intro}</p>\n{error}<form method=\"post\" action=\"/t/{slug}/login\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         <label for=\"email\">{l_email}</label>\n\
         <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required value=\"{email}\"{invalid}>\n\
         <label for=\"password\">{l_password}</label>\n\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required{invalid}>\n\
         <button type=\"submit\">{submit}</button>\n</form>",
        error = error_box(f.error, "login-error"),
        slug = esc(tenant.slug.as_str()),
        csrf = esc(f.csrf),
        l_email = esc(w.label_email),
        email = esc(f.email),
        l_password = esc(w.label_password),
        submit = esc(w.submit_login),
    );
    let mut res = html(f.status, layout(lang, w.title_login, &body));
    set_csrf_cookie(state, &mut res, f.csrf);
    res
}

/// The enrolment shown during a login: the secret and its URI, carried
/// through the form so a wrong code can show them again.
struct EnrolView {
    secret: String,
    uri: String,
}

/// What the second-step form shows.
struct CodeForm<'a> {
    status: StatusCode,
    csrf: &'a str,
    mfa_token: &'a str,
    recovery: bool,
    enrol: Option<&'a EnrolView>,
    error: Option<&'a str>,
}

fn code_page(state: &AppState, tenant: &Tenant, lang: Language, f: CodeForm<'_>) -> Response {
    let w = login_words(lang);
    let (title, intro) = match (f.enrol, f.recovery) {
        (Some(_), _) => (w.title_enrol, w.intro_enrol),
        (None, true) => (w.title_mfa, w.intro_mfa_recovery),
        (None, false) => (w.title_mfa, w.intro_mfa),
    };
    let intro = esc(intro).replace(
        "{tenant}",
        &format!("<strong>{}</strong>", esc(&tenant.name)),
    );
    let enrolment = f
        .enrol
        .map(|e| {
            // Only a URI of our own shape is drawn; the SVG is ours.
            let qr = if e.uri.starts_with("otpauth://totp/") && e.uri.len() <= 1024 {
                usher_core::mfa::qr_svg(&e.uri)
            } else {
                String::new()
            };
            format!(
                "<figure id=\"qr\" aria-label=\"QR code\">{qr}</figure>\n\
                 <p>{label}: <code id=\"totp-secret\">{secret}</code></p>\n\
                 <input type=\"hidden\" name=\"secret\" value=\"{secret}\">\n\
                 <input type=\"hidden\" name=\"uri\" value=\"{uri}\">\n",
                label = esc(w.label_secret),
                secret = esc(&e.secret),
                uri = esc(&e.uri),
            )
        })
        .unwrap_or_default();
    let inputmode = if f.recovery { "text" } else { "numeric" };
    let invalid = if f.error.is_some() {
        " aria-invalid=\"true\" aria-describedby=\"code-error\""
    } else {
        ""
    };
    let body = format!(
        "<p>{intro}</p>\n{error}<form method=\"post\" action=\"/t/{slug}/mfa\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         <input type=\"hidden\" name=\"mfa_token\" value=\"{token}\">\n\
         <input type=\"hidden\" name=\"recovery\" value=\"{recovery}\">\n\
         {enrolment}<label for=\"code\">{l_code}</label>\n\
         <input id=\"code\" name=\"code\" type=\"text\" inputmode=\"{inputmode}\" autocomplete=\"one-time-code\" required maxlength=\"32\" autofocus{invalid}>\n\
         <button type=\"submit\">{submit}</button>\n</form>",
        error = error_box(f.error, "code-error"),
        slug = esc(tenant.slug.as_str()),
        csrf = esc(f.csrf),
        token = esc(f.mfa_token),
        recovery = u8::from(f.recovery),
        l_code = esc(w.label_code),
        submit = esc(w.submit_code),
    );
    let mut res = html(f.status, layout(lang, title, &body));
    set_csrf_cookie(state, &mut res, f.csrf);
    res
}

/// A new session: its cookie, and on to the sessions page.
fn signed_in(state: &AppState, tenant: &Tenant, signed: SignedIn) -> Response {
    let slug = tenant.slug.as_str();
    let mut res = see_other(&format!("/t/{slug}/sessions"));
    if let Some(token) = &signed.tokens.session {
        set_cookie(&mut res, &session_cookie(state, slug, Some(token.expose())));
    }
    res
}

/// The pages for a login the services refused.
fn refused_login(
    state: &AppState,
    tenant: &Tenant,
    lang: Language,
    csrf: &str,
    email: &str,
    e: Error,
) -> Response {
    let w = login_words(lang);
    let form = |status, error| {
        login_page(
            state,
            tenant,
            lang,
            LoginForm {
                status,
                csrf,
                email,
                error: Some(error),
            },
        )
    };
    match e {
        Error::Denied { .. } => {
            message_page(lang, StatusCode::FORBIDDEN, w.blocked_title, w.blocked_body)
        }
        Error::TooManyAttempts { retry_after_secs } => {
            let text = w.throttled.replace("{secs}", &retry_after_secs.to_string());
            let mut res = form(StatusCode::TOO_MANY_REQUESTS, &text);
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            res
        }
        Error::Unauthorized {
            code: "invalid_credentials",
            ..
        } => form(StatusCode::UNAUTHORIZED, w.wrong),
        // An expired or spent second step starts over.
        Error::Unauthorized { .. } => form(StatusCode::UNAUTHORIZED, w.expired),
        Error::Store(e) => busy(lang, &e),
        other => busy(lang, &other),
    }
}

/// What every page starts from: the tenant of its path and the visitor's
/// language. An unknown tenant gets the not-found page instead.
struct Page {
    tenant: Tenant,
    lang: Language,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = negotiate(&parts.headers);
        let slug = tenant_slug(parts, state)
            .await
            .map_err(|_| not_found(lang))?;
        match state.services.find_tenant(&slug).await {
            Ok(tenant) => Ok(Page { tenant, lang }),
            Err(Error::Store(e)) => Err(busy(lang, &e)),
            Err(_) => Err(not_found(lang)),
        }
    }
}

/// The user behind the session cookie, if it opens a live session.
async fn cookie_session(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
) -> Result<Option<SessionCaller>, Error> {
    let Some(token) = session_token(headers) else {
        return Ok(None);
    };
    match state.services.authenticate_session(tenant, &token).await {
        Ok(caller) => Ok(Some(caller)),
        Err(Error::Store(e)) => Err(Error::Store(e)),
        Err(_) => Ok(None),
    }
}

async fn show_login(State(state): State<AppState>, headers: HeaderMap, page: Page) -> Response {
    let Page { tenant, lang } = page;
    match cookie_session(&state, &tenant, &headers).await {
        Ok(Some(_)) => return see_other(&format!("/t/{}/sessions", tenant.slug)),
        Ok(None) => {}
        Err(e) => return busy(lang, &e),
    }
    let csrf = csrf_from_cookie(&headers).unwrap_or_else(new_csrf);
    login_page(
        &state,
        &tenant,
        lang,
        LoginForm {
            status: StatusCode::OK,
            csrf: &csrf,
            email: "",
            error: None,
        },
    )
}

async fn submit_login(
    State(state): State<AppState>,
    Visitor(ctx): Visitor,
    headers: HeaderMap,
    page: Page,
    body: Bytes,
) -> Response {
    let Page { tenant, lang } = page;
    let w = login_words(lang);
    let fields = form_fields(&body);
    let email = field(&fields, "email");
    let csrf = csrf_from_cookie(&headers).unwrap_or_else(new_csrf);
    if !csrf_matches(&headers, field(&fields, "csrf")) {
        let form = LoginForm {
            status: StatusCode::FORBIDDEN,
            csrf: &csrf,
            email,
            error: Some(w.csrf),
        };
        return login_page(&state, &tenant, lang, form);
    }
    let outcome = state
        .services
        .login(
            &tenant,
            &ctx,
            email,
            field(&fields, "password"),
            client_context(&headers),
        )
        .await;
    match outcome {
        Ok(LoginOutcome::SignedIn(signed)) => signed_in(&state, &tenant, *signed),
        Ok(LoginOutcome::SecondFactor {
            mfa_token,
            methods,
            enrolment,
        }) => {
            let enrol = if enrolment {
                match state
                    .services
                    .enrol_totp_at_login(&tenant, &ctx, mfa_token.expose())
                    .await
                {
                    Ok(Enrolment {
                        secret,
                        otpauth_uri,
                        ..
                    }) => Some(EnrolView {
                        secret,
                        uri: otpauth_uri,
                    }),
                    Err(e) => return refused_login(&state, &tenant, lang, &csrf, email, e),
                }
            } else {
                None
            };
            let form = CodeForm {
                status: StatusCode::OK,
                csrf: &csrf,
                mfa_token: mfa_token.expose(),
                recovery: methods.contains(&"recovery_code"),
                enrol: enrol.as_ref(),
                error: None,
            };
            code_page(&state, &tenant, lang, form)
        }
        Err(e) => refused_login(&state, &tenant, lang, &csrf, email, e),
    }
}

async fn to_login(Path(slug): Path<String>) -> Response {
    // The second step has nothing to show without the login before it.
    match usher_core::tenant::TenantSlug::parse(&slug) {
        Ok(s) => see_other(&format!("/t/{s}/login")),
        Err(_) => not_found(Language::En),
    }
}

async fn submit_code(
    State(state): State<AppState>,
    Visitor(ctx): Visitor,
    headers: HeaderMap,
    page: Page,
    body: Bytes,
) -> Response {
    let Page { tenant, lang } = page;
    let w = login_words(lang);
    let fields = form_fields(&body);
    let get = |k: &str| field(&fields, k);
    let csrf = csrf_from_cookie(&headers).unwrap_or_else(new_csrf);
    let enrol = (!get("secret").is_empty()).then(|| EnrolView {
        secret: get("secret").to_owned(),
        uri: get("uri").to_owned(),
    });
    let again = |status, error| {
        let form = CodeForm {
            status,
            csrf: &csrf,
            mfa_token: get("mfa_token"),
            recovery: get("recovery") == "1",
            enrol: enrol.as_ref(),
            error: Some(error),
        };
        code_page(&state, &tenant, lang, form)
    };
    if !csrf_matches(&headers, get("csrf")) {
        return again(StatusCode::FORBIDDEN, w.csrf);
    }
    let outcome = state
        .services
        .login_second_factor(
            &tenant,
            &ctx,
            get("mfa_token"),
            get("code"),
            client_context(&headers),
        )
        .await;
    match outcome {
        Ok(signed) => signed_in(&state, &tenant, signed),
        Err(Error::Unauthorized {
            code: "invalid_code",
            ..
        }) => again(StatusCode::UNAUTHORIZED, w.wrong_code),
        Err(e) => refused_login(&state, &tenant, lang, &csrf, "", e),
    }
}

fn when(t: OffsetDateTime) -> String {
    format!(
        "<time datetime=\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z\">{:04}-{:02}-{:02} {:02}:{:02} UTC</time>",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
    )
}

fn device(s: &Session, w: &LoginWords) -> String {
    let c = &s.client;
    let named = |name: &Option<String>, version: &Option<String>| {
        name.as_ref().map(|n| match version {
            Some(v) => format!("{n} {v}"),
            None => n.clone(),
        })
    };
    match (
        named(&c.browser, &c.browser_version),
        named(&c.os, &c.os_version),
    ) {
        (Some(b), Some(o)) => format!("{b}, {o}"),
        (Some(x), None) | (None, Some(x)) => x,
        (None, None) => w.unknown_device.to_owned(),
    }
}

fn sessions_page(
    state: &AppState,
    tenant: &Tenant,
    me: &SessionCaller,
    sessions: &[Session],
    csrf: &str,
) -> Response {
    let lang = me.user.language;
    let w = login_words(lang);
    let slug = esc(tenant.slug.as_str());
    let mut rows = String::new();
    for s in sessions {
        let current = s.id == me.session.id;
        let address = match (&s.ip, &s.location) {
            (Some(ip), Some(l)) => format!("{} ({})", esc(ip), esc(l)),
            (Some(ip), None) => esc(ip).to_string(),
            (None, Some(l)) => esc(l).to_string(),
            (None, None) => String::new(),
        };
        let action = if current {
            format!("<strong>{}</strong>", esc(w.this_device))
        } else {
            format!(
                "<form method=\"post\" action=\"/t/{slug}/sessions/{id}/end\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                 <button type=\"submit\" class=\"small\" aria-label=\"{label}: {dev}\">{label}</button></form>",
                id = s.id,
                csrf = esc(csrf),
                label = esc(w.sign_out),
                dev = esc(&device(s, w)),
            )
        };
        rows.push_str(&format!(
            "<tr data-session-id=\"{id}\" data-platform=\"{platform}\"{cur}><td>{dev}</td><td>{address}</td><td>{started}</td><td>{seen}</td><td>{action}</td></tr>\n",
            id = s.id,
            platform = s.client.platform.as_str(),
            cur = if current { " aria-current=\"true\"" } else { "" },
            dev = esc(&device(s, w)),
            started = when(s.created_at),
            seen = when(s.last_seen_at),
        ));
    }
    let intro = esc(w.intro_sessions).replace(
        "{email}",
        &format!("<strong>{}</strong>", esc(me.user.email.as_str())),
    );
    let body = format!(
        "<p>{intro}</p>\n<table id=\"sessions\">\n<thead><tr><th scope=\"col\">{c1}</th><th scope=\"col\">{c2}</th>\
         <th scope=\"col\">{c3}</th><th scope=\"col\">{c4}</th><th scope=\"col\"><span class=\"hidden\">{so}</span></th></tr></thead>\n\
         <tbody>\n{rows}</tbody>\n</table>\n\
         <form method=\"post\" action=\"/t/{slug}/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <button type=\"submit\">{logout}</button></form>",
        c1 = esc(w.col_device),
        c2 = esc(w.col_address),
        c3 = esc(w.col_started),
        c4 = esc(w.col_seen),
        so = esc(w.sign_out),
        csrf = esc(csrf),
        logout = esc(w.log_out),
    );
    let mut res = html(StatusCode::OK, layout(lang, w.title_sessions, &body));
    set_csrf_cookie(state, &mut res, csrf);
    res
}

/// The actor of a signed-in user's own request.
fn as_user(mut ctx: AuditContext, me: &SessionCaller) -> AuditContext {
    ctx.actor = Actor::user(me.user.id, me.user.email.as_str());
    ctx
}

async fn show_sessions(
    State(state): State<AppState>,
    Visitor(ctx): Visitor,
    headers: HeaderMap,
    page: Page,
) -> Response {
    let Page { tenant, lang } = page;
    let me = match cookie_session(&state, &tenant, &headers).await {
        Ok(Some(me)) => me,
        Ok(None) => return see_other(&format!("/t/{}/login", tenant.slug)),
        Err(e) => return busy(lang, &e),
    };
    let ctx = as_user(ctx, &me);
    let sessions = match state
        .services
        .list_sessions(&tenant, &ctx, &me.user.id.to_string())
        .await
    {
        Ok(s) => s,
        Err(e) => return busy(lang, &e),
    };
    let csrf = csrf_from_cookie(&headers).unwrap_or_else(new_csrf);
    sessions_page(&state, &tenant, &me, &sessions, &csrf)
}

/// The checks every sessions-page form passes: a live session and the CSRF
/// token. `Err` is the answer to give instead.
async fn form_caller(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
    body: &[u8],
    lang: Language,
) -> Result<SessionCaller, Response> {
    let me = match cookie_session(state, tenant, headers).await {
        Ok(Some(me)) => me,
        Ok(None) => return Err(see_other(&format!("/t/{}/login", tenant.slug))),
        Err(e) => return Err(busy(lang, &e)),
    };
    if !csrf_matches(headers, field(&form_fields(body), "csrf")) {
        let w = login_words(me.user.language);
        return Err(message_page(
            me.user.language,
            StatusCode::FORBIDDEN,
            w.title_sessions,
            w.csrf,
        ));
    }
    Ok(me)
}

async fn end_session(
    State(state): State<AppState>,
    Visitor(ctx): Visitor,
    headers: HeaderMap,
    page: Page,
    Path((_, sid)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let Page { tenant, lang } = page;
    let me = match form_caller(&state, &tenant, &headers, &body, lang).await {
        Ok(me) => me,
        Err(res) => return res,
    };
    let ctx = as_user(ctx, &me);
    let ended = state
        .services
        .end_sessions(&tenant, &ctx, &me.user.id.to_string(), Some(&sid))
        .await;
    match ended {
        // A session already gone (or never there) leaves the list as it is.
        Ok(_) | Err(Error::NotFound(_) | Error::BadRequest { .. }) => {}
        Err(e) => return busy(lang, &e),
    }
    if sid == me.session.id.to_string() {
        let mut res = see_other(&format!("/t/{}/login", tenant.slug));
        set_cookie(
            &mut res,
            &session_cookie(&state, tenant.slug.as_str(), None),
        );
        return res;
    }
    see_other(&format!("/t/{}/sessions", tenant.slug))
}

async fn logout(
    State(state): State<AppState>,
    Visitor(ctx): Visitor,
    headers: HeaderMap,
    page: Page,
    body: Bytes,
) -> Response {
    let Page { tenant, lang } = page;
    let me = match form_caller(&state, &tenant, &headers, &body, lang).await {
        Ok(me) => me,
        Err(res) => return res,
    };
    let ctx = as_user(ctx, &me);
    if let Err(e) = state.services.logout(&tenant, &ctx, &me).await {
        return busy(lang, &e);
    }
    let mut res = see_other(&format!("/t/{}/login", tenant.slug));
    set_cookie(
        &mut res,
        &session_cookie(&state, tenant.slug.as_str(), None),
    );
    res
}
