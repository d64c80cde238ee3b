//! `/t/{tenant}/sessions`, where a signed-in user sees their sessions and
//! ends them (`…/sessions/{sid}/end`, `/t/{tenant}/logout`). The session
//! token lives in an `HttpOnly`, `SameSite=Strict` cookie scoped to the
//! tenant's pages.

use super::busy;
use super::i18n::{LoginWords, login_words};
use super::kit::{
    cookie, csrf_field, csrf_matches, csrf_token, esc, field, form_fields, form_page, message_page,
    secure_attr, see_other, set_cookie, with_strong,
};
use crate::AppState;
use crate::extract::{Page, Visitor};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use time::OffsetDateTime;
use usher_core::Error;
use usher_core::audit::{Actor, AuditContext};
use usher_core::service::SessionCaller;
use usher_core::session::Session;
use usher_core::tenant::Tenant;
use usher_core::user::fields::Language;

const SESSION_COOKIE: &str = "usher_session";

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/t/{tenant}/sessions", get(show_sessions))
        .route("/t/{tenant}/sessions/{sid}/end", post(end_session))
        .route("/t/{tenant}/logout", post(end_current_session))
}

/// The cookie that holds the session token, scoped to the tenant's pages;
/// `None` clears it.
pub(super) fn session_cookie(state: &AppState, slug: &str, token: Option<&str>) -> String {
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

/// The user behind the session cookie, if it opens a live session.
pub(super) async fn cookie_session(
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

pub(crate) fn when(t: OffsetDateTime) -> String {
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

pub(crate) fn device(s: &Session, w: &LoginWords) -> String {
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
                 {csrf}\
                 <button type=\"submit\" class=\"small\" aria-label=\"{label}: {dev}\">{label}</button></form>",
                id = s.id,
                csrf = csrf_field(csrf),
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
    let intro = with_strong(w.intro_sessions, &[("{email}", me.user.email.as_str())]);
    let body = format!(
        "<p>{intro}</p>\n<table id=\"sessions\">\n<thead><tr><th scope=\"col\">{c1}</th><th scope=\"col\">{c2}</th>\
         <th scope=\"col\">{c3}</th><th scope=\"col\">{c4}</th><th scope=\"col\"><span class=\"hidden\">{so}</span></th></tr></thead>\n\
         <tbody>\n{rows}</tbody>\n</table>\n\
         <form method=\"post\" action=\"/t/{slug}/logout\">{csrf}\
         <button type=\"submit\">{logout}</button></form>\n\
         <p><a href=\"/t/{slug}/account\">{account}</a></p>",
        c1 = esc(w.col_device),
        c2 = esc(w.col_address),
        c3 = esc(w.col_started),
        c4 = esc(w.col_seen),
        so = esc(w.sign_out),
        csrf = csrf_field(csrf),
        logout = esc(w.log_out),
        account = esc(super::account_words::account_words(lang).title),
    );
    form_page(state, StatusCode::OK, lang, w.title_sessions, &body, csrf)
}

/// Back to the login page, the session cookie cleared.
fn signed_out(state: &AppState, tenant: &Tenant) -> Response {
    let mut res = see_other(&format!("/t/{}/login", tenant.slug));
    set_cookie(&mut res, &session_cookie(state, tenant.slug.as_str(), None));
    res
}

/// The actor of a signed-in user's own request.
pub(super) fn as_user(mut ctx: AuditContext, me: &SessionCaller) -> AuditContext {
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
    let csrf = csrf_token(&headers);
    sessions_page(&state, &tenant, &me, &sessions, &csrf)
}

/// The checks every sessions-page form passes: a live session and the CSRF
/// token. `Err` is the answer to give instead.
pub(super) async fn form_caller(
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
        return signed_out(&state, &tenant);
    }
    see_other(&format!("/t/{}/sessions", tenant.slug))
}

async fn end_current_session(
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
    signed_out(&state, &tenant)
}
