//! What a tenant defines for its users: custom attributes
//! (`/console/{tenant}/settings/attributes`: label, longest value, a
//! pattern with a box to try a value against it before saving) and roles
//! (`/console/{tenant}/settings/roles`, with how many users hold each).
//! Each list, create and delete is the API call it stands for, through the
//! same service: a bad definition is named field by field and nothing is
//! saved; deleting what is in use needs the explicit choice the API's
//! `purge=true` / `force=true` is.

use super::forms::{FieldErrors, data_table, fix_summary, text_input};
use super::page::{ConsolePage, error_page};
use super::settings::settings_nav;
use super::settings_words::{SettingsWords, settings_words};
use crate::AppState;
use crate::pages::kit::{csrf_field, esc, field, hidden_field, see_other};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};
use usher_core::Error;
use usher_core::attribute::{AttributeDefinition, AttributeSet, NewAttributeDefinition};

const ATTRIBUTES: &str = "/api/v1/tenants/{tenant}/attributes";
const ATTRIBUTE: &str = "/api/v1/tenants/{tenant}/attributes/{name}";
const ROLES: &str = "/api/v1/tenants/{tenant}/roles";
const ROLE: &str = "/api/v1/tenants/{tenant}/roles/{name}";

/// A delete button for `name`, with the checkbox that lets it go while in
/// use (`flag`: `purge` or `force`).
fn delete_form(page: &ConsolePage, path: &str, name: &str, flag: &str, flag_label: &str) -> String {
    let w = settings_words(page.lang);
    let id = format!("{flag}-{}", esc(name));
    format!(
        "<form method=\"post\" action=\"{path}\" class=\"inline\">{}{}{}\
         <input type=\"checkbox\" id=\"{id}\" name=\"{flag}\" value=\"true\"> \
         <label class=\"inline\" for=\"{id}\">{} ({})</label> \
         <button type=\"submit\" class=\"small\" aria-label=\"{} {}\">{}</button></form>",
        csrf_field(&page.csrf),
        hidden_field("op", "delete"),
        hidden_field("name", name),
        esc(flag_label),
        esc(name),
        esc(w.delete),
        esc(name),
        esc(w.delete),
    )
}

fn attribute_rows(
    page: &ConsolePage,
    defs: &[AttributeDefinition],
    path: &str,
    deletable: bool,
) -> Vec<String> {
    let w = settings_words(page.lang);
    defs.iter()
        .map(|d| {
            let delete = if deletable {
                format!(
                    "<td>{}</td>",
                    delete_form(page, path, d.name.as_str(), "purge", w.purge)
                )
            } else {
                String::new()
            };
            format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td>{delete}</tr>",
                esc(d.name.as_str()),
                esc(&d.label),
                d.max_length,
                esc(d.regex.as_deref().unwrap_or("")),
            )
        })
        .collect()
}

/// The body `POST /attributes` would get from the form.
fn attribute_body(fields: &[(String, String)]) -> Value {
    let mut body = Map::new();
    body.insert("name".to_owned(), json!(field(fields, "name").trim()));
    body.insert("label".to_owned(), json!(field(fields, "label").trim()));
    let max = field(fields, "max_length").trim();
    if !max.is_empty() {
        body.insert(
            "max_length".to_owned(),
            max.parse::<i64>().map_or_else(|_| json!(max), |n| json!(n)),
        );
    }
    let regex = field(fields, "regex");
    if !regex.is_empty() {
        body.insert("regex".to_owned(), json!(regex));
    }
    Value::Object(body)
}

/// Whether `sample` fits the definition the form describes, in the words
/// a user's write would get: the "try it" box.
fn try_sample(fields: &[(String, String)]) -> Result<(), String> {
    let new = NewAttributeDefinition::from_json(attribute_body(fields)).map_err(|e| match e {
        Error::Validation(v) => {
            v.0.iter()
                .map(|f| f.message.clone())
                .collect::<Vec<_>>()
                .join(" ")
        }
        other => other.to_string(),
    })?;
    let def = AttributeDefinition {
        name: new.name.clone(),
        label: new.label,
        max_length: new.max_length,
        regex: new.regex,
        created_at: time::OffsetDateTime::UNIX_EPOCH,
    };
    let set = AttributeSet::new(vec![def]);
    set.check("sample", new.name.as_str(), field(fields, "sample"))
        .map(drop)
        .map_err(|e| e.message)
}

fn attribute_form(
    page: &ConsolePage,
    path: &str,
    typed: &[(String, String)],
    errors: &FieldErrors,
    tried: &str,
) -> String {
    let w = settings_words(page.lang);
    let input = |name: &str, label: &str, extra: &str| {
        text_input(name, label, "text", field(typed, name), extra, errors)
    };
    format!(
        "<form method=\"post\" action=\"{path}\" novalidate>{}{}{}{}{}{}{tried}\
         <div class=\"buttons\"><button type=\"submit\" name=\"op\" value=\"create\">{}</button>\
         <button type=\"submit\" name=\"op\" value=\"test\">{}</button></div></form>",
        csrf_field(&page.csrf),
        input("name", w.attr_name, " required maxlength=\"30\""),
        input("label", w.attr_label, " required"),
        input("max_length", w.attr_max_length, " inputmode=\"numeric\""),
        input("regex", w.attr_regex, ""),
        input("sample", w.attr_sample, ""),
        esc(w.create_attribute),
        esc(w.test_regex),
    )
}

fn role_form(
    page: &ConsolePage,
    path: &str,
    typed: &[(String, String)],
    errors: &FieldErrors,
) -> String {
    let w = settings_words(page.lang);
    format!(
        "<form method=\"post\" action=\"{path}\" novalidate>{}{}{}{}\
         <div class=\"buttons\"><button type=\"submit\">{}</button></div></form>",
        csrf_field(&page.csrf),
        hidden_field("op", "create"),
        text_input(
            "name",
            w.role_name,
            "text",
            field(typed, "name"),
            " required maxlength=\"64\"",
            errors
        ),
        text_input(
            "description",
            w.role_description,
            "text",
            field(typed, "description"),
            "",
            errors
        ),
        esc(w.create_role),
    )
}

/// Which definitions a page is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Attributes,
    Roles,
}

impl Kind {
    fn routes(self) -> (&'static str, &'static str) {
        match self {
            Kind::Attributes => (ATTRIBUTES, ATTRIBUTE),
            Kind::Roles => (ROLES, ROLE),
        }
    }

    fn path(self) -> &'static str {
        match self {
            Kind::Attributes => "settings/attributes",
            Kind::Roles => "settings/roles",
        }
    }

    fn title(self, w: &SettingsWords) -> &'static str {
        match self {
            Kind::Attributes => w.tab_attributes,
            Kind::Roles => w.tab_roles,
        }
    }
}

pub(super) async fn attributes(State(state): State<AppState>, request: Request) -> Response {
    definitions(state, request, Kind::Attributes).await
}

pub(super) async fn roles(State(state): State<AppState>, request: Request) -> Response {
    definitions(state, request, Kind::Roles).await
}

async fn definitions(state: AppState, request: Request, kind: Kind) -> Response {
    let (page, fields, posted) = match ConsolePage::open_form(&state, request).await {
        Ok(opened) => opened,
        Err(res) => return res,
    };
    let w = settings_words(page.lang);
    let (list_route, one_route) = kind.routes();
    let path = format!("/console/{}/{}", page.tenant.slug, kind.path());
    let (services, tenant, ctx) = (&state.services, &page.tenant, &page.admin.ctx);
    let mut errors = FieldErrors::default();
    let mut tried = String::new();
    let mut status = StatusCode::OK;
    let op = field(&fields, "op");
    if posted && op != "test" {
        let (method, route) = if op == "delete" {
            (Method::DELETE, one_route)
        } else {
            (Method::POST, list_route)
        };
        if let Some(res) = page
            .post_refusal(&state, &fields, &method, route, None)
            .await
        {
            return res;
        }
        let name = field(&fields, "name");
        let flag = |f: &str| field(&fields, f) == "true";
        let done: Result<(), Error> = match (kind, op) {
            (Kind::Attributes, "delete") => services
                .delete_attribute(tenant, ctx, name, flag("purge"))
                .await
                .map(drop),
            (Kind::Roles, "delete") => services
                .delete_role(tenant, ctx, name, flag("force"))
                .await
                .map(drop),
            (Kind::Attributes, _) => services
                .create_attribute(tenant, ctx, attribute_body(&fields))
                .await
                .map(drop),
            (Kind::Roles, _) => {
                let mut body = json!({"name": name.trim()});
                let description = field(&fields, "description").trim();
                if !description.is_empty() {
                    body["description"] = json!(description);
                }
                services.create_role(tenant, ctx, body).await.map(drop)
            }
        };
        match done {
            Ok(()) => return see_other(&format!("{path}?done=1")),
            Err(Error::Validation(e)) => {
                status = StatusCode::UNPROCESSABLE_ENTITY;
                errors = FieldErrors::of(&e);
            }
            Err(e) => return error_page(&state, &page, e),
        }
    } else {
        if let Err(e) = page.check(&state, &Method::GET, list_route, None).await {
            return error_page(&state, &page, e);
        }
        if op == "test" {
            tried = match try_sample(&fields) {
                Ok(()) => format!("<p role=\"status\">{}</p>", esc(w.regex_matches)),
                Err(why) => format!("<p role=\"alert\" class=\"field-error\">{}</p>", esc(&why)),
            };
        }
    }
    let may_write = page.admin.may("POST", list_route);
    let may_delete = page.admin.may("DELETE", one_route);
    let mut heads: Vec<&str>;
    let rows = match kind {
        Kind::Attributes => {
            heads = vec![w.attr_name, w.col_label, w.col_max, w.col_regex];
            match services.list_attributes(tenant, ctx).await {
                Ok(defs) => attribute_rows(&page, &defs, &path, may_delete),
                Err(e) => return error_page(&state, &page, e),
            }
        }
        Kind::Roles => {
            heads = vec![w.role_name, w.role_description, w.holders];
            match services.list_roles(tenant, ctx).await {
                Ok(roles) => roles
                    .iter()
                    .map(|(r, held)| {
                        let delete = if may_delete {
                            format!(
                                "<td>{}</td>",
                                delete_form(&page, &path, r.name.as_str(), "force", w.force)
                            )
                        } else {
                            String::new()
                        };
                        format!(
                            "<tr><td>{}</td><td>{}</td><td>{held}</td>{delete}</tr>",
                            esc(r.name.as_str()),
                            esc(r.description.as_deref().unwrap_or("")),
                        )
                    })
                    .collect(),
                Err(e) => return error_page(&state, &page, e),
            }
        }
    };
    if may_delete {
        heads.push(super::user_words::user_words(page.lang).actions);
    }
    let empty = if kind == Kind::Attributes {
        w.no_attributes
    } else {
        w.no_roles
    };
    let form = match (kind, may_write) {
        (_, false) => String::new(),
        (Kind::Attributes, true) => attribute_form(&page, &path, &fields, &errors, &tried),
        (Kind::Roles, true) => role_form(&page, &path, &fields, &errors),
    };
    let summary = fix_summary(page.lang, &errors);
    let done = page.done_notice(w.saved);
    let body = format!(
        "{}{done}{}{summary}{form}",
        settings_nav(&page, kind.path()),
        data_table(&heads, rows, empty)
    );
    page.render(&state, status, kind.title(w), "settings", &body)
}
