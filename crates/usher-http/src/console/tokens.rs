//! The tenant's API tokens, `/console/{tenant}/settings/tokens`: the list
//! (name, role, scope, when made, last used, expiry), a form that makes a
//! token and shows its secret this once, and a revoke button on each. A
//! token made here belongs to the signed-in admin, as one made with their
//! admin session through `POST /tokens` does: it can be no more powerful
//! than they are and stops when they lose the role. Everything goes
//! through the API's services; a scoped admin sees and revokes the tokens
//! of their scope only.

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
use serde_json::{Map, Value, json};
use usher_core::Error;
use usher_core::access::AdminRole;
use usher_core::token::{ApiToken, TokenRequest};

const LIST: &str = "/api/v1/tenants/{tenant}/tokens";
const ONE: &str = "/api/v1/tenants/{tenant}/tokens/{id}";

fn table(page: &ConsolePage, tokens: &[ApiToken]) -> String {
    let w = settings_words(page.lang);
    if tokens.is_empty() {
        return format!("<p>{}</p>", esc(w.no_tokens));
    }
    let revocable = page.admin.may("DELETE", ONE);
    let slug = esc(page.tenant.slug.as_str());
    let rows: String = tokens
        .iter()
        .map(|t| {
            let revoke = if revocable {
                format!(
                    "<td><form method=\"post\" action=\"/console/{slug}/settings/tokens\" class=\"inline\">{}{}{}\
                     <button type=\"submit\" class=\"small\" aria-label=\"{} {}\">{}</button></form></td>",
                    csrf_field(&page.csrf),
                    hidden_field("op", "revoke"),
                    hidden_field("id", &t.id.to_string()),
                    esc(w.revoke),
                    esc(&t.name),
                    esc(w.revoke),
                )
            } else {
                String::new()
            };
            let opt = |v: Option<time::OffsetDateTime>| v.map(when).unwrap_or_else(|| esc(w.never));
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{revoke}</tr>",
                esc(&t.name),
                esc(t.role()),
                esc(&scope_text(t.admin_scope.as_ref(), w.whole_tenant)),
                when(t.created_at),
                opt(t.last_used_at),
                opt(t.expires_at),
            )
        })
        .collect();
    let mut heads = vec![
        w.col_name,
        w.col_role,
        w.col_scope,
        w.col_created,
        w.col_used,
        w.col_expires,
    ];
    if revocable {
        heads.push(super::user_words::user_words(page.lang).actions);
    }
    let head: String = heads
        .iter()
        .map(|h| format!("<th scope=\"col\">{}</th>", esc(h)))
        .collect();
    format!("<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
}

fn create_form(page: &ConsolePage, typed: &[(String, String)], errors: &FieldErrors) -> String {
    let w = settings_words(page.lang);
    let roles: Vec<(&str, &str)> = AdminRole::ALL
        .iter()
        .map(|r| (r.as_str(), r.as_str()))
        .collect();
    let role = match field(typed, "role") {
        "" => "helpdesk",
        r => r,
    };
    let summary = fix_summary(page.lang, errors);
    let expires_hint = format!(" placeholder=\"{}\"", esc(w.token_expires_hint));
    format!(
        "{summary}<form method=\"post\" action=\"/console/{}/settings/tokens\" novalidate>{}{}{}{}{}\
         <div class=\"buttons\"><button type=\"submit\">{}</button></div></form>",
        esc(page.tenant.slug.as_str()),
        csrf_field(&page.csrf),
        hidden_field("op", "create"),
        text_input(
            "name",
            w.token_name,
            "text",
            field(typed, "name"),
            " required maxlength=\"100\"",
            errors
        ),
        select_input("role", w.token_role, &roles, role),
        text_input(
            "expires_at",
            w.token_expires,
            "text",
            field(typed, "expires_at"),
            &expires_hint,
            errors
        ),
        esc(w.create_token),
    )
}

/// The body `POST /tokens` would get from the form.
fn request_of(fields: &[(String, String)]) -> Value {
    let mut body = Map::new();
    body.insert("name".to_owned(), json!(field(fields, "name")));
    body.insert("role".to_owned(), json!(field(fields, "role")));
    let expires = field(fields, "expires_at").trim();
    if !expires.is_empty() {
        body.insert("expires_at".to_owned(), json!(expires));
    }
    Value::Object(body)
}

pub(super) async fn tokens(State(state): State<AppState>, request: Request) -> Response {
    let (page, fields, posted) = match ConsolePage::open_form(&state, request).await {
        Ok(opened) => opened,
        Err(res) => return res,
    };
    let w = settings_words(page.lang);
    let mut notice = String::new();
    let mut errors = FieldErrors::default();
    let mut status = StatusCode::OK;
    if posted {
        let op = field(&fields, "op");
        let (method, route) = if op == "revoke" {
            (Method::DELETE, ONE)
        } else {
            (Method::POST, LIST)
        };
        if let Some(res) = page
            .post_refusal(&state, &fields, &method, route, None)
            .await
        {
            return res;
        }
        let (services, tenant, ctx) = (&state.services, &page.tenant, &page.admin.ctx);
        if op == "revoke" {
            return match services
                .revoke_token(ctx, Some(tenant), field(&fields, "id"))
                .await
            {
                Ok(()) => see_other(&format!(
                    "/console/{}/settings/tokens?done=revoke",
                    tenant.slug
                )),
                Err(e) => error_page(&state, &page, e),
            };
        }
        let owner = page.admin.person.user.id;
        let request = TokenRequest::from_json(request_of(&fields), false).map(|r| TokenRequest {
            owner_id: Some(owner),
            ..r
        });
        match services.issue_token(ctx, Some(tenant), request).await {
            Ok((_, secret)) => {
                status = StatusCode::CREATED;
                notice = format!(
                    "<div role=\"status\"><p>{}</p><p><code id=\"token-secret\">{}</code></p></div>",
                    esc(w.secret_once),
                    esc(secret.expose())
                );
            }
            Err(Error::Validation(e)) => {
                status = StatusCode::UNPROCESSABLE_ENTITY;
                errors = FieldErrors::of(&e);
            }
            Err(e) => return error_page(&state, &page, e),
        }
    } else if let Err(e) = page.check(&state, &Method::GET, LIST, None).await {
        return error_page(&state, &page, e);
    }
    if page.param("done").as_deref() == Some("revoke") {
        notice = format!("<p role=\"status\">{}</p>", esc(w.revoked));
    }
    let listed = match state
        .services
        .list_tokens(&page.admin.ctx, Some(&page.tenant))
        .await
    {
        Ok(t) => t,
        Err(e) => return error_page(&state, &page, e),
    };
    let create = if page.admin.may("POST", LIST) {
        // A made token's form starts empty again; a refused one keeps
        // what was typed.
        let typed = if status == StatusCode::CREATED {
            Vec::new()
        } else {
            fields
        };
        create_form(&page, &typed, &errors)
    } else {
        String::new()
    };
    let body = format!(
        "{}{notice}{}{create}",
        settings_nav(&page, "settings/tokens"),
        table(&page, &listed)
    );
    page.render(&state, status, w.tab_tokens, "settings", &body)
}
