//! The tenant's settings, `/console/{tenant}/settings`: every setting of
//! `GET /settings` as a labelled control, saved as the API's merge
//! `PATCH /settings` through the same service, so its ranges and errors
//! are the API's, each named under its control, and nothing is saved when
//! one is wrong. An admin who may read the settings but not change them
//! sees them without a form.

use super::forms::{FieldErrors, fix_summary, select_input, sub_nav, text_input};
use super::page::{ConsolePage, error_page};
use super::settings_words::{SettingsWords, settings_words};
use crate::AppState;
use crate::pages::kit::{csrf_field, esc, field, see_other};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};
use usher_core::Error;
use usher_core::audit::AuditAction;
use usher_core::tenant::TenantSettings;

const ROUTE: &str = "/api/v1/tenants/{tenant}/settings";
const TOKENS_ROUTE: &str = "/api/v1/tenants/{tenant}/tokens";

/// The numeric settings, by their API names.
const NUMBERS: [&str; 7] = [
    "invitation_ttl_hours",
    "reset_ttl_hours",
    "password_min_length",
    "min_search_length",
    "session_idle_timeout_hours",
    "admin_idle_timeout_minutes",
    "admin_session_hours",
];

/// The yes/no settings, by their API names.
const FLAGS: [&str; 2] = ["require_disable_before_delete", "list_requires_search"];

fn label(w: &SettingsWords, name: &str) -> &'static str {
    match name {
        "invitation_ttl_hours" => w.invitation_ttl_hours,
        "reset_ttl_hours" => w.reset_ttl_hours,
        "password_min_length" => w.password_min_length,
        "min_search_length" => w.min_search_length,
        "session_idle_timeout_hours" => w.session_idle_timeout_hours,
        "admin_idle_timeout_minutes" => w.admin_idle_timeout_minutes,
        "admin_session_hours" => w.admin_session_hours,
        "require_disable_before_delete" => w.require_disable_before_delete,
        "list_requires_search" => w.list_requires_search,
        _ => w.mfa,
    }
}

/// The settings as the API shows them, by name.
fn values(s: &TenantSettings) -> Map<String, Value> {
    match serde_json::to_value(s) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// The navigation between the settings pages the admin may open.
pub(super) fn settings_nav(page: &ConsolePage, current: &str) -> String {
    let w = settings_words(page.lang);
    let mut entries = vec![("settings", w.tab_tenant)];
    for (path, label, route) in [
        (
            "settings/attributes",
            w.tab_attributes,
            "/api/v1/tenants/{tenant}/attributes",
        ),
        (
            "settings/roles",
            w.tab_roles,
            "/api/v1/tenants/{tenant}/roles",
        ),
        (
            "settings/admins",
            w.tab_admins,
            "/api/v1/tenants/{tenant}/admins",
        ),
        ("settings/tokens", w.tab_tokens, TOKENS_ROUTE),
    ] {
        if page.admin.may("GET", route) {
            entries.push((path, label));
        }
    }
    sub_nav(page.tenant.slug.as_str(), w.sections, &entries, current)
}

/// The form (or, read-only, the list) of `shown` settings.
fn settings_body(
    page: &ConsolePage,
    shown: &Map<String, Value>,
    errors: &FieldErrors,
    editable: bool,
) -> String {
    let w = settings_words(page.lang);
    let text = |name: &str| match shown.get(name) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    };
    if !editable {
        let rows: String = NUMBERS
            .iter()
            .chain(FLAGS.iter())
            .chain(["mfa"].iter())
            .map(|n| format!("<dt>{}</dt><dd>{}</dd>", esc(label(w, n)), esc(&text(n))))
            .collect();
        return format!(
            "<p>{}</p><dl class=\"profile\">{rows}</dl>",
            esc(w.read_only)
        );
    }
    let mut controls = String::new();
    for n in NUMBERS {
        let extra = " inputmode=\"numeric\" required";
        controls.push_str(&text_input(n, label(w, n), "text", &text(n), extra, errors));
    }
    let mfa = [("optional", w.mfa_optional), ("required", w.mfa_required)];
    controls.push_str(&select_input("mfa", w.mfa, &mfa, &text("mfa")));
    for n in FLAGS {
        let checked = if shown.get(n) == Some(&Value::Bool(true)) {
            " checked"
        } else {
            ""
        };
        controls.push_str(&format!(
            "<div class=\"field\"><input type=\"checkbox\" id=\"{n}\" name=\"{n}\" value=\"true\"{checked}> \
             <label class=\"inline\" for=\"{n}\">{}</label></div>",
            esc(label(w, n))
        ));
    }
    let summary = fix_summary(page.lang, errors);
    format!(
        "{summary}<form method=\"post\" action=\"/console/{}/settings\" novalidate>{}{controls}\
         <div class=\"buttons\"><button type=\"submit\">{}</button></div></form>",
        esc(page.tenant.slug.as_str()),
        csrf_field(&page.csrf),
        esc(super::user_words::user_words(page.lang).save),
    )
}

/// The merge patch a posted form asks for: numbers as numbers (anything
/// else as typed, for the service to name), the flags, the policy.
fn patch_of(fields: &[(String, String)]) -> Value {
    let mut body = Map::new();
    for n in NUMBERS {
        let v = field(fields, n).trim();
        body.insert(
            n.to_owned(),
            v.parse::<i64>().map_or_else(|_| json!(v), |i| json!(i)),
        );
    }
    for n in FLAGS {
        body.insert(n.to_owned(), json!(field(fields, n) == "true"));
    }
    body.insert("mfa".to_owned(), json!(field(fields, "mfa")));
    Value::Object(body)
}

pub(super) async fn settings(State(state): State<AppState>, request: Request) -> Response {
    let (page, fields, posted) = match ConsolePage::open_form(&state, request).await {
        Ok(opened) => opened,
        Err(res) => return res,
    };
    let w = settings_words(page.lang);
    let mut shown = values(&page.tenant.settings);
    let mut errors = FieldErrors::default();
    let mut status = StatusCode::OK;
    if posted {
        let refused = page.post_refusal(&state, &fields, &Method::PATCH, ROUTE, None);
        if let Some(res) = refused.await {
            return res;
        }
        let patch = patch_of(&fields);
        match state
            .services
            .update_settings(&page.tenant, &page.admin.ctx, patch.clone())
            .await
        {
            Ok(_) => return see_other(&format!("/console/{}/settings?done=1", page.tenant.slug)),
            Err(Error::Validation(e)) => {
                status = StatusCode::UNPROCESSABLE_ENTITY;
                errors = FieldErrors::of(&e);
                if let Value::Object(m) = patch {
                    shown.extend(m);
                }
            }
            Err(e) => return error_page(&state, &page, e),
        }
    } else {
        if let Err(e) = page.check(&state, &Method::GET, ROUTE, None).await {
            return error_page(&state, &page, e);
        }
        let viewed = state.services.view_tenant(
            &page.tenant,
            &page.admin.ctx,
            AuditAction::TenantSettingsView,
        );
        if let Err(e) = viewed.await {
            return error_page(&state, &page, e);
        }
    }
    let done = page.done_notice(w.saved);
    let editable = page.admin.may("PATCH", ROUTE);
    let body = format!(
        "{}{done}{}",
        settings_nav(&page, "settings"),
        settings_body(&page, &shown, &errors, editable)
    );
    page.render(&state, status, w.title, "settings", &body)
}
