//! The tenant's administrators, `/console/{tenant}/settings/admins`: who
//! holds which built-in admin role and for which scope, a form that gives
//! a role to a user by email (for the whole tenant, a group, or the users
//! with one value of an attribute) and a revoke button on each grant.
//! Granting and revoking are the API's `PUT` and `DELETE
//! /users/{id}/admin-roles/{role}` through the same service: the scope is
//! looked up as the API looks it up, and refused with the same words.

use super::forms::{FieldErrors, fix_summary, scope_text, select_input, text_input};
use super::page::{ConsolePage, error_page};
use super::settings::settings_nav;
use super::settings_words::settings_words;
use crate::AppState;
use crate::pages::kit::{csrf_field, esc, field, hidden_field, see_other};
use crate::pages::sessions::when;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};
use usher_core::Error;
use usher_core::access::AdminRole;
use usher_core::error::{ErrorCode, ValidationErrors};
use usher_core::service::ListParams;

const LIST: &str = "/api/v1/tenants/{tenant}/admins";
const GRANT: &str = "/api/v1/tenants/{tenant}/users/{id}/admin-roles/{role}";

/// The scope the form names, as the grant's body writes it.
fn scope_of(fields: &[(String, String)]) -> Value {
    let value = field(fields, "scope_value").trim();
    match field(fields, "scope") {
        "group" => json!({"group": value}),
        "attribute" => {
            let (name, equals) = value.split_once('=').unwrap_or((value, ""));
            json!({"attribute": name.trim(), "equals": equals.trim()})
        }
        _ => Value::Null,
    }
}

/// The id of the tenant's user with exactly this email, read as the API's
/// list would find them for this admin (so a scoped admin finds no one
/// outside the scope).
async fn user_by_email(
    state: &AppState,
    page: &ConsolePage,
    email: &str,
) -> Result<Option<String>, Error> {
    let params = ListParams {
        search: Some(email.to_owned()),
        fields: Some("email".to_owned()),
        limit: Some(5),
        ..ListParams::default()
    };
    let found = state
        .services
        .list_users(&page.tenant, &page.admin.ctx, &params)
        .await?;
    let wanted = usher_core::user::fields::fold_case(email);
    Ok(found
        .items
        .iter()
        .find(|u| u.email.normalized() == wanted)
        .map(|u| u.id.to_string()))
}

fn grant_form(page: &ConsolePage, typed: &[(String, String)], errors: &FieldErrors) -> String {
    let w = settings_words(page.lang);
    let roles: Vec<(&str, &str)> = AdminRole::ALL
        .iter()
        .map(|r| (r.as_str(), r.as_str()))
        .collect();
    let scopes = [
        ("", w.scope_none),
        ("group", w.scope_group),
        ("attribute", w.scope_attribute),
    ];
    let role = match field(typed, "role") {
        "" => "helpdesk",
        r => r,
    };
    format!(
        "<form method=\"post\" action=\"/console/{}/settings/admins\" novalidate>{}{}{}{}{}{}\
         <div class=\"buttons\"><button type=\"submit\">{}</button></div></form>",
        esc(page.tenant.slug.as_str()),
        csrf_field(&page.csrf),
        hidden_field("op", "grant"),
        text_input(
            "email",
            w.admin_email,
            "email",
            field(typed, "email"),
            " required",
            errors
        ),
        select_input("role", w.col_role, &roles, role),
        select_input("scope", w.scope_kind, &scopes, field(typed, "scope")),
        text_input(
            "scope_value",
            w.scope_value,
            "text",
            field(typed, "scope_value"),
            "",
            errors
        ),
        esc(w.grant),
    )
}

pub(super) async fn admins(State(state): State<AppState>, request: Request) -> Response {
    let (page, fields, posted) = match ConsolePage::open_form(&state, request).await {
        Ok(opened) => opened,
        Err(res) => return res,
    };
    let w = settings_words(page.lang);
    let (services, tenant, ctx) = (&state.services, &page.tenant, &page.admin.ctx);
    let mut errors = FieldErrors::default();
    let mut status = StatusCode::OK;
    if posted {
        // Checked before the user is looked up: a forged form reads nothing.
        if let Some(res) = page.csrf_refusal(&state, &fields) {
            return res;
        }
        let role = field(&fields, "role");
        let revoke = field(&fields, "op") == "revoke";
        // The role and scope first: a refused admin looks nobody up.
        let method = if revoke { Method::DELETE } else { Method::PUT };
        if let Err(e) = page.check(&state, &method, GRANT, None).await {
            return error_page(&state, &page, e);
        }
        let user = if revoke {
            Some(field(&fields, "user_id").to_owned())
        } else {
            match user_by_email(&state, &page, field(&fields, "email").trim()).await {
                Ok(found) => found,
                Err(e) => return error_page(&state, &page, e),
            }
        };
        let target = user.as_deref().and_then(|u| u.parse().ok());
        if let Err(e) = page.check(&state, &method, GRANT, target).await {
            return error_page(&state, &page, e);
        }
        let done = match user {
            None => Err(Error::Validation(ValidationErrors::single(
                "email",
                ErrorCode::UserNotFound,
                "no user of the tenant has this email",
            ))),
            Some(id) if revoke => services.revoke_admin_role(tenant, ctx, &id, role).await,
            Some(id) => {
                let body = Ok(Some(json!({"scope": scope_of(&fields)})));
                services
                    .grant_admin_role(tenant, ctx, &id, role, body)
                    .await
                    .map(drop)
            }
        };
        match done {
            Ok(()) => {
                return see_other(&format!("/console/{}/settings/admins?done=1", tenant.slug));
            }
            Err(Error::Validation(e)) => {
                status = StatusCode::UNPROCESSABLE_ENTITY;
                // The grant names the scope's fields as `scope.group`,
                // `scope.attribute`: the form has one box for them.
                let moved: Vec<_> =
                    e.0.into_iter()
                        .map(|mut f| {
                            if f.field.starts_with("scope") {
                                f.field = "scope_value".to_owned();
                            }
                            f
                        })
                        .collect();
                errors = FieldErrors::of(&ValidationErrors(moved));
            }
            Err(e) => return error_page(&state, &page, e),
        }
    } else if let Err(e) = page.check(&state, &Method::GET, LIST, None).await {
        return error_page(&state, &page, e);
    }
    let grants = match services.list_admins(tenant, ctx).await {
        Ok(g) => g,
        Err(e) => return error_page(&state, &page, e),
    };
    let may_grant = page.admin.may("PUT", GRANT);
    let may_revoke = page.admin.may("DELETE", GRANT);
    let slug = esc(tenant.slug.as_str());
    let rows: String = grants
        .iter()
        .map(|g| {
            let revoke = if may_revoke {
                format!(
                    "<td><form method=\"post\" action=\"/console/{slug}/settings/admins\" class=\"inline\">{}{}{}{}\
                     <button type=\"submit\" class=\"small\" aria-label=\"{} {} {}\">{}</button></form></td>",
                    csrf_field(&page.csrf),
                    hidden_field("op", "revoke"),
                    hidden_field("user_id", &g.user_id.to_string()),
                    hidden_field("role", g.role.as_str()),
                    esc(w.revoke),
                    esc(g.role.as_str()),
                    esc(&g.email),
                    esc(w.revoke),
                )
            } else {
                String::new()
            };
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{revoke}</tr>",
                esc(&g.email),
                esc(g.role.as_str()),
                esc(&scope_text(g.scope.as_ref(), w.whole_tenant)),
                when(g.assigned_at),
            )
        })
        .collect();
    let mut heads = vec![w.col_email, w.col_role, w.col_scope, w.col_created];
    if may_revoke {
        heads.push(super::user_words::user_words(page.lang).actions);
    }
    let table = if grants.is_empty() {
        format!("<p>{}</p>", esc(w.no_admins))
    } else {
        let head: String = heads
            .iter()
            .map(|h| format!("<th scope=\"col\">{}</th>", esc(h)))
            .collect();
        format!("<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    };
    let form = if may_grant {
        let summary = fix_summary(page.lang, &errors);
        format!("{summary}{}", grant_form(&page, &fields, &errors))
    } else {
        String::new()
    };
    let done = page.done_notice(w.saved);
    let body = format!(
        "{}{done}{table}{form}",
        settings_nav(&page, "settings/admins")
    );
    page.render(&state, status, w.tab_admins, "settings", &body)
}
