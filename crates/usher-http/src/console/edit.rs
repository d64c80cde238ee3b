//! Creating a user (`/console/{tenant}/users/new`) and editing one's
//! profile (`/console/{tenant}/users/{id}/edit`). The forms send what the
//! API's `POST /users` and `PATCH /users/{id}` take, through the same
//! services, so validation is the API's: every bad field is named at once,
//! under its control, in the service's words, and nothing is written. An
//! edit carries the version it was shown at, so a change by someone else
//! meanwhile is not overwritten. The custom attributes are asked for under
//! their labels.

use super::forms::{FieldErrors, select_input, text_input};
use super::page::{ConsolePage, error_page};
use super::user_words::{UserWords, user_words};
use crate::AppState;
use crate::pages::kit::{csrf_field, error_box, esc, field, form_fields, hidden_field, see_other};
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};
use usher_core::Error;
use usher_core::attribute::AttributeDefinition;
use usher_core::error::ValidationErrors;
use usher_core::user::User;

const CREATE_ROUTE: &str = "/api/v1/tenants/{tenant}/users";
const EDIT_ROUTE: &str = "/api/v1/tenants/{tenant}/users/{id}";
const MAX_FORM: usize = 16 * 1024;

/// The profile fields the forms ask for, as the API names them.
const FIELDS: [&str; 7] = [
    "email",
    "first_name",
    "last_name",
    "display_name",
    "username",
    "phone",
    "external_id",
];

fn label(w: &UserWords, field: &str) -> &'static str {
    match field {
        "email" => w.email,
        "first_name" => w.first_name,
        "last_name" => w.last_name,
        "display_name" => w.display_name,
        "username" => w.username,
        "phone" => w.phone,
        _ => w.external_id,
    }
}

/// The value a user has for a profile field, as the form shows it.
fn current(u: &User, field: &str) -> String {
    let text = |v: Option<&str>| v.unwrap_or("").to_owned();
    match field {
        "email" => u.email.as_str().to_owned(),
        "first_name" => text(u.first_name.as_ref().map(|v| v.as_str())),
        "last_name" => text(u.last_name.as_ref().map(|v| v.as_str())),
        "display_name" => text(u.display_name.as_ref().map(|v| v.as_str())),
        "username" => text(u.username.as_ref().map(|v| v.as_str())),
        "phone" => text(u.phone.as_ref().map(|v| v.as_str())),
        _ => text(u.external_id.as_ref().map(|v| v.as_str())),
    }
}

/// What a form shows: values by API field name, and the errors of a try.
struct Form {
    values: Vec<(String, String)>,
    errors: FieldErrors,
}

impl Form {
    fn value(&self, field: &str) -> &str {
        self.values
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
}

/// The controls of the profile and attributes, then `tail` (the create
/// form's choices), in a form posting to `action`.
fn form_html(
    page: &ConsolePage,
    definitions: &[AttributeDefinition],
    form: &Form,
    action: &str,
    hidden: &str,
    tail: &str,
    submit: &str,
) -> String {
    let w = user_words(page.lang);
    let mut shown: Vec<String> = Vec::new();
    let mut controls = String::new();
    for f in FIELDS {
        let (kind, extra) = match f {
            "email" => ("email", " required autocomplete=\"off\""),
            "phone" => ("tel", ""),
            _ => ("text", ""),
        };
        controls.push_str(&text_input(
            f,
            label(w, f),
            kind,
            form.value(f),
            extra,
            &form.errors,
        ));
        shown.push(f.to_owned());
    }
    let languages = [("en", "English"), ("de", "Deutsch"), ("fr", "Français")];
    let language = match form.value("language") {
        "" => "en",
        l => l,
    };
    controls.push_str(&select_input("language", w.language, &languages, language));
    for d in definitions {
        let name = format!("attributes.{}", d.name.as_str());
        controls.push_str(&text_input(
            &name,
            &d.label,
            "text",
            form.value(&name),
            "",
            &form.errors,
        ));
        shown.push(name);
    }
    let others: Vec<&str> = form.errors.others(&shown).collect();
    let summary = if form.errors.is_empty() {
        String::new()
    } else {
        let mut text = w.fix_below.to_owned();
        for o in others {
            text.push(' ');
            text.push_str(o);
        }
        error_box(Some(&text), "form-error")
    };
    format!(
        "{summary}<form method=\"post\" action=\"{action}\" class=\"edit\" novalidate>{csrf}{hidden}{controls}{tail}\
         <div class=\"buttons\"><button type=\"submit\">{submit}</button></div></form>",
        csrf = csrf_field(&page.csrf),
        submit = esc(submit),
    )
}

/// The JSON body the API would get from this form: profile fields, the
/// language and the attributes; an empty field unsets it when `patch`.
fn body_of(fields: &[(String, String)], definitions: &[AttributeDefinition], patch: bool) -> Value {
    let mut body = Map::new();
    for f in FIELDS.iter().copied().chain(["language"]) {
        let v = field(fields, f).trim();
        if !v.is_empty() {
            body.insert(f.to_owned(), json!(v));
        } else if patch && f != "email" && f != "language" {
            body.insert(f.to_owned(), Value::Null);
        }
    }
    let mut attributes = Map::new();
    for d in definitions {
        let v = field(fields, &format!("attributes.{}", d.name.as_str())).trim();
        if !v.is_empty() {
            attributes.insert(d.name.as_str().to_owned(), json!(v));
        } else if patch {
            attributes.insert(d.name.as_str().to_owned(), Value::Null);
        }
    }
    if !attributes.is_empty() {
        body.insert("attributes".to_owned(), Value::Object(attributes));
    }
    Value::Object(body)
}

async fn definitions(
    state: &AppState,
    page: &ConsolePage,
) -> Result<Vec<AttributeDefinition>, Error> {
    let set = state.services.attribute_set(&page.tenant).await?;
    let mut defs: Vec<AttributeDefinition> = set.definitions().cloned().collect();
    defs.sort_by(|a, b| a.label.cmp(&b.label));
    Ok(defs)
}

fn start_choices(w: &UserWords, chosen: &str) -> String {
    let choices = [
        ("invite", w.start_invite),
        ("quiet", w.start_quiet),
        ("active", w.start_active),
    ];
    let options: String = choices
        .iter()
        .map(|(v, l)| {
            let checked = if *v == chosen { " checked" } else { "" };
            format!(
                "<div><input type=\"radio\" id=\"start-{v}\" name=\"start\" value=\"{v}\"{checked}>\
                 <label class=\"inline\" for=\"start-{v}\">{}</label></div>",
                esc(l)
            )
        })
        .collect();
    format!(
        "<fieldset><legend>{}</legend>{options}</fieldset>",
        esc(w.start)
    )
}

/// The status and per-field errors of a write the services refused for
/// its input; any other refusal as it came.
fn refused_fields(e: Error) -> Result<(StatusCode, FieldErrors), Error> {
    match e {
        Error::Validation(errors) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, FieldErrors::of(&errors)))
        }
        // A taken email, username or external id: named on its field.
        Error::Conflict {
            field: Some(f),
            code,
            message,
        } => Ok((
            StatusCode::CONFLICT,
            FieldErrors::of(&ValidationErrors::single(f, code, message)),
        )),
        other => Err(other),
    }
}

async fn read_form(request: Request) -> (Request, Vec<(String, String)>) {
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, MAX_FORM).await.unwrap_or_default();
    (
        Request::from_parts(parts, Body::empty()),
        form_fields(&bytes),
    )
}

pub(super) async fn new_user(State(state): State<AppState>, request: Request) -> Response {
    let posted = request.method() == Method::POST;
    let (request, fields) = read_form(request).await;
    let (mut parts, _) = request.into_parts();
    let page = match ConsolePage::open(&state, &mut parts).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let w = user_words(page.lang);
    let slug = page.tenant.slug.as_str().to_owned();
    if let Err(e) = page.check(&state, &Method::POST, CREATE_ROUTE, None).await {
        return error_page(&state, &page, e);
    }
    let defs = match definitions(&state, &page).await {
        Ok(d) => d,
        Err(e) => return error_page(&state, &page, e),
    };
    let mut form = Form {
        values: fields.clone(),
        errors: FieldErrors::default(),
    };
    let mut status = StatusCode::OK;
    let start = match field(&fields, "start") {
        "" => "invite",
        s => s,
    };
    if posted {
        if let Some(res) = page.csrf_refusal(&state, &fields) {
            return res;
        }
        let mut body = body_of(&fields, &defs, false);
        body["send_invitation"] = json!(start == "invite");
        if start == "active" {
            body["activate"] = json!(true);
        }
        match state
            .services
            .create_user(&page.tenant, &page.admin.ctx, body)
            .await
        {
            Ok(user) => {
                return see_other(&format!("/console/{slug}/users/{}?done=create", user.id));
            }
            Err(e) => match refused_fields(e) {
                Ok((refused, errors)) => (status, form.errors) = (refused, errors),
                Err(e) => return error_page(&state, &page, e),
            },
        }
    }
    let action = format!("/console/{}/users/new", esc(&slug));
    let body = form_html(
        &page,
        &defs,
        &form,
        &action,
        "",
        &start_choices(w, start),
        w.create,
    );
    page.render(&state, status, w.new_user, "users", &body)
}

pub(super) async fn edit_user(State(state): State<AppState>, request: Request) -> Response {
    let posted = request.method() == Method::POST;
    let (request, fields) = read_form(request).await;
    let (page, user) = match ConsolePage::open_user(&state, request).await {
        Ok(found) => found,
        Err(res) => return res,
    };
    let w = user_words(page.lang);
    let slug = page.tenant.slug.as_str().to_owned();
    let defs = match definitions(&state, &page).await {
        Ok(d) => d,
        Err(e) => return error_page(&state, &page, e),
    };
    let shown_values = || {
        let mut values: Vec<(String, String)> = FIELDS
            .iter()
            .map(|f| (f.to_string(), current(&user, f)))
            .collect();
        values.push(("language".to_owned(), user.language.as_str().to_owned()));
        for (k, v) in &user.attributes {
            values.push((format!("attributes.{k}"), v.clone()));
        }
        values
    };
    let mut form = Form {
        values: shown_values(),
        errors: FieldErrors::default(),
    };
    let mut status = StatusCode::OK;
    let mut version = user.version;
    if posted {
        if let Err(e) = page
            .check(&state, &Method::PATCH, EDIT_ROUTE, Some(user.id))
            .await
        {
            return error_page(&state, &page, e);
        }
        if let Some(res) = page.csrf_refusal(&state, &fields) {
            return res;
        }
        // Without the version it was shown at, an edit would overwrite
        // whatever changed meanwhile: such a form is answered as if it had.
        let seen = field(&fields, "version").parse::<i64>().ok().or(Some(-1));
        let body = body_of(&fields, &defs, true);
        let id = user.id.to_string();
        let edited = state
            .services
            .edit_user(&page.tenant, &page.admin.ctx, &id, seen, body)
            .await;
        form.values = fields.clone();
        version = seen.unwrap_or(user.version);
        match edited {
            Ok(_) => return see_other(&format!("/console/{slug}/users/{id}?done=edit")),
            Err(Error::VersionMismatch { .. }) => {
                // Show what is stored now, with the newer version.
                status = StatusCode::PRECONDITION_FAILED;
                form.values = shown_values();
                let body = format!(
                    "{}{}",
                    error_box(Some(w.changed_meanwhile), "form-error"),
                    form_html(
                        &page,
                        &defs,
                        &form,
                        &format!("/console/{}/users/{}/edit", esc(&slug), user.id),
                        &hidden_field("version", &user.version.to_string()),
                        "",
                        w.save,
                    )
                );
                return page.render(&state, status, w.edit_profile, "users", &body);
            }
            Err(e) => match refused_fields(e) {
                Ok((refused, errors)) => (status, form.errors) = (refused, errors),
                Err(e) => return error_page(&state, &page, e),
            },
        }
    } else if let Err(e) = page
        .check(&state, &Method::PATCH, EDIT_ROUTE, Some(user.id))
        .await
    {
        return error_page(&state, &page, e);
    }
    let action = format!("/console/{}/users/{}/edit", esc(&slug), user.id);
    let hidden = hidden_field("version", &version.to_string());
    let body = form_html(&page, &defs, &form, &action, &hidden, "", w.save);
    page.render(&state, status, w.edit_profile, "users", &body)
}
