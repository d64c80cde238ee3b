//! End-user pages, server-rendered and usable without JavaScript:
//! accepting an invitation and resetting a password, at
//! `/t/{tenant}/invite/{token}` and `/t/{tenant}/reset/{token}`.
//!
//! An unknown, used or expired link (or an unknown tenant) always shows the
//! same page with the same status, so the page tells nothing about accounts.
//! Forms carry a CSRF token that must match a `SameSite=Strict` cookie.

use crate::AppState;
use crate::extract::Visitor;
use crate::i18n::{Words, negotiate, words};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;
use usher_core::Error;
use usher_core::mail::escape_html as esc;
use usher_core::store::LinkKind;
use usher_core::tenant::Tenant;
use usher_core::user::User;
use usher_core::user::fields::Language;

const CSRF_COOKIE: &str = "usher_csrf";
const MAX_FORM: usize = 16 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/t/{tenant}/invite/{token}",
            get(show_invite).post(submit_invite),
        )
        .route(
            "/t/{tenant}/reset/{token}",
            get(show_reset).post(submit_reset),
        )
}

async fn show_invite(
    state: State<AppState>,
    headers: HeaderMap,
    path: Path<(String, String)>,
) -> Response {
    show(state, headers, path, LinkKind::Invitation).await
}

async fn show_reset(
    state: State<AppState>,
    headers: HeaderMap,
    path: Path<(String, String)>,
) -> Response {
    show(state, headers, path, LinkKind::PasswordReset).await
}

async fn submit_invite(
    state: State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    path: Path<(String, String)>,
    body: Bytes,
) -> Response {
    submit(state, visitor, headers, path, body, LinkKind::Invitation).await
}

async fn submit_reset(
    state: State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    path: Path<(String, String)>,
    body: Bytes,
) -> Response {
    submit(state, visitor, headers, path, body, LinkKind::PasswordReset).await
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1a1a1a;margin:0}\
main{max-width:28rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 3px #0002}\
h1{font-size:1.4rem;margin-top:0}label{display:block;font-weight:600;margin-top:1rem}\
input{width:100%;box-sizing:border-box;padding:.6rem;font-size:1rem;border:1px solid #767676;border-radius:4px}\
input:focus,button:focus{outline:3px solid #1d4ed8;outline-offset:2px}.hint{font-size:.9rem;color:#444}\
.error{background:#fde8e8;border-left:4px solid #b91c1c;padding:.6rem;margin:1rem 0}\
button{margin-top:1.5rem;padding:.7rem 1.2rem;font-size:1rem;background:#1d4ed8;color:#fff;border:0;border-radius:4px;cursor:pointer}\
table{width:100%;border-collapse:collapse;font-size:.9rem;margin-top:1rem}th,td{text-align:left;padding:.4rem;border-bottom:1px solid #ddd;vertical-align:top}\
button.small{margin:0;padding:.3rem .6rem;font-size:.85rem}.hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}\
figure{margin:1rem 0}figure svg{width:12rem;height:12rem}code{font-size:1rem;word-break:break-all}";

pub(crate) fn layout(lang: Language, title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head>\n<body><main>\n<h1>{}</h1>\n{body}\n</main></body></html>\n",
        lang.as_str(),
        esc(title),
        esc(title)
    )
}

pub(crate) fn html(status: StatusCode, body: String) -> Response {
    let mut res = (status, body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    // Pages carry one-time tokens and secrets: never cached, never sent on
    // as a referrer.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

/// The neutral page for every link that cannot be used.
pub(crate) fn invalid_page(lang: Language) -> Response {
    let w = words(lang);
    let body = format!("<p>{}</p>", esc(w.invalid_body));
    html(StatusCode::NOT_FOUND, layout(lang, w.invalid_title, &body))
}

/// A cookie of ours by name: only base64url characters are ever accepted.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| {
            v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

pub(crate) fn csrf_from_cookie(headers: &HeaderMap) -> Option<String> {
    cookie(headers, CSRF_COOKIE).filter(|v| v.len() == 43)
}

pub(crate) fn new_csrf() -> String {
    let mut b = [0u8; 32];
    rand::fill(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

struct Form<'a> {
    kind: LinkKind,
    tenant: &'a Tenant,
    user: &'a User,
    csrf: &'a str,
    error: Option<String>,
}

fn form_page(state: &AppState, status: StatusCode, f: Form<'_>) -> Response {
    let lang = f.user.language;
    let w: &Words = words(lang);
    let (title, intro, submit) = match f.kind {
        LinkKind::Invitation => (w.title_invite, w.intro_invite, w.submit_invite),
        LinkKind::PasswordReset => (w.title_reset, w.intro_reset, w.submit_reset),
    };
    let min = f.tenant.settings.password_min_length;
    let intro = esc(intro)
        .replace(
            "{tenant}",
            &format!("<strong>{}</strong>", esc(&f.tenant.name)),
        )
        .replace(
            "{email}",
            &format!("<strong>{}</strong>", esc(f.user.email.as_str())),
        );
    let error = f
        .error
        .as_deref()
        .map(|e| {
            format!(
                "<div class=\"error\" role=\"alert\" id=\"password-error\">{}</div>\n",
                esc(e)
            )
        })
        .unwrap_or_default();
    let described = if f.error.is_some() {
        "password-hint password-error"
    } else {
        "password-hint"
    };
    let invalid = if f.error.is_some() {
        " aria-invalid=\"true\""
    } else {
        ""
    };
    let body = format!(
        "<p>{intro}</p>\n{error}<form method=\"post\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         <input type=\"email\" name=\"username\" autocomplete=\"username\" value=\"{email}\" hidden readonly>\n\
         <label for=\"password\">{label}</label>\n\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" required minlength=\"{min}\" aria-describedby=\"{described}\"{invalid}>\n\
         <p id=\"password-hint\" class=\"hint\">{hint}</p>\n\
         <label for=\"password_confirmation\">{confirm}</label>\n\
         <input id=\"password_confirmation\" name=\"password_confirmation\" type=\"password\" autocomplete=\"new-password\" required minlength=\"{min}\">\n\
         <button type=\"submit\">{submit}</button>\n</form>",
        csrf = esc(f.csrf),
        email = esc(f.user.email.as_str()),
        label = esc(w.label_password),
        hint = esc(&w.hint.replace("{min}", &min.to_string())),
        confirm = esc(w.label_confirm),
        submit = esc(submit),
    );
    let mut res = html(status, layout(lang, title, &body));
    set_csrf_cookie(state, &mut res, f.csrf);
    res
}

/// `; Secure` when Usher is served over HTTPS.
pub(crate) fn secure_attr(state: &AppState) -> &'static str {
    if state.services.options().public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    }
}

/// Sets a cookie on a response (values are ours: base64url or digits).
pub(crate) fn set_cookie(res: &mut Response, cookie: &str) {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Hands the browser the CSRF token its forms must repeat.
pub(crate) fn set_csrf_cookie(state: &AppState, res: &mut Response, csrf: &str) {
    let cookie = format!(
        "{CSRF_COOKIE}={csrf}; Path=/t/; HttpOnly; SameSite=Strict{}",
        secure_attr(state)
    );
    set_cookie(res, &cookie);
}

/// The fields of an urlencoded form (nothing for an oversized body).
pub(crate) fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    if body.len() <= MAX_FORM {
        form_urlencoded::parse(body).into_owned().collect()
    } else {
        Vec::new()
    }
}

/// One field of a form, empty when absent.
pub(crate) fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// Whether a form repeats the CSRF token of the browser's cookie.
pub(crate) fn csrf_matches(headers: &HeaderMap, sent: &str) -> bool {
    let cookie = csrf_from_cookie(headers).unwrap_or_default();
    !cookie.is_empty() && bool::from(cookie.as_bytes().ct_eq(sent.as_bytes()))
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((slug, token)): Path<(String, String)>,
    kind: LinkKind,
) -> Response {
    let lang = negotiate(&headers);
    let Ok(tenant) = state.services.find_tenant(&slug).await else {
        return invalid_page(lang);
    };
    match state.services.check_link(&tenant, kind, &token).await {
        Ok(user) => {
            let csrf = csrf_from_cookie(&headers).unwrap_or_else(new_csrf);
            form_page(
                &state,
                StatusCode::OK,
                Form {
                    kind,
                    tenant: &tenant,
                    user: &user,
                    csrf: &csrf,
                    error: None,
                },
            )
        }
        Err(Error::Store(e)) => {
            tracing::error!(error = %e, "checking a link failed");
            html(
                StatusCode::SERVICE_UNAVAILABLE,
                layout(
                    lang,
                    words(lang).invalid_title,
                    &format!("<p>{}</p>", esc(words(lang).busy)),
                ),
            )
        }
        Err(_) => invalid_page(lang),
    }
}

fn field_message(w: &Words, code: &str, min: u32) -> String {
    match code {
        "too_short" => w.too_short.replace("{min}", &min.to_string()),
        "too_long" => w.too_long.to_owned(),
        "common_password" => w.common_password.to_owned(),
        "same_as_email" => w.same_as_email.to_owned(),
        "same_as_username" => w.same_as_username.to_owned(),
        _ => w.busy.to_owned(),
    }
}

async fn submit(
    State(state): State<AppState>,
    Visitor(ctx): Visitor,
    headers: HeaderMap,
    Path((slug, token)): Path<(String, String)>,
    body: Bytes,
    kind: LinkKind,
) -> Response {
    let lang = negotiate(&headers);
    let Ok(tenant) = state.services.find_tenant(&slug).await else {
        return invalid_page(lang);
    };
    let user = match state.services.check_link(&tenant, kind, &token).await {
        Ok(u) => u,
        Err(_) => {
            // Recorded as a failed redemption; the page stays neutral.
            state.services.refuse_link(&tenant, &ctx, kind).await;
            return invalid_page(lang);
        }
    };
    let w = words(user.language);
    let fields = form_fields(&body);
    let get = |k: &str| field(&fields, k);
    let fresh = new_csrf();
    let again = |status, error: &str| {
        form_page(
            &state,
            status,
            Form {
                kind,
                tenant: &tenant,
                user: &user,
                csrf: &fresh,
                error: Some(error.to_owned()),
            },
        )
    };
    if !csrf_matches(&headers, get("csrf")) {
        return again(StatusCode::FORBIDDEN, w.csrf);
    }
    if get("password") != get("password_confirmation") {
        return again(StatusCode::UNPROCESSABLE_ENTITY, w.mismatch);
    }
    match state
        .services
        .redeem_link(&tenant, &ctx, kind, &token, get("password"))
        .await
    {
        Ok(_) => {
            let done = match kind {
                LinkKind::Invitation => w.done_invite,
                LinkKind::PasswordReset => w.done_reset,
            };
            html(
                StatusCode::OK,
                layout(
                    user.language,
                    w.done_title,
                    &format!("<p role=\"status\">{}</p>", esc(done)),
                ),
            )
        }
        Err(Error::Validation(v)) => {
            let code = v.0.first().map(|f| f.code).unwrap_or("");
            again(
                StatusCode::UNPROCESSABLE_ENTITY,
                &field_message(w, code, tenant.settings.password_min_length),
            )
        }
        Err(Error::Store(e)) => {
            tracing::error!(error = %e, "redeeming a link failed");
            again(StatusCode::SERVICE_UNAVAILABLE, w.busy)
        }
        Err(_) => invalid_page(user.language),
    }
}
