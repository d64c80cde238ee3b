//! The console's form controls: a labelled input that shows its own error
//! (`aria-invalid`, `aria-describedby`) under it, and the errors of a 422
//! from the services sorted out by field, so that every bad field is named
//! at once, each where it was typed, in the service's words.

use crate::pages::kit::esc;
use usher_core::error::ValidationErrors;

/// The errors of a refused form, by field name as the API names them
/// (`email`, `attributes.department`).
#[derive(Debug, Default)]
pub(super) struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    pub(super) fn of(errors: &ValidationErrors) -> Self {
        Self(
            errors
                .0
                .iter()
                .map(|e| (e.field.clone(), e.message.clone()))
                .collect(),
        )
    }

    pub(super) fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The errors no control of the form shows (a field the form has no
    /// input for), for the box above it.
    pub(super) fn others<'a>(&'a self, shown: &'a [String]) -> impl Iterator<Item = &'a str> {
        self.0
            .iter()
            .filter(move |(f, _)| !shown.contains(f))
            .map(|(_, m)| m.as_str())
    }
}

/// The id of the control for API field `field`.
fn control_id(field: &str) -> String {
    field.replace('.', "-")
}

/// A labelled text input for API field `field`, with its error if any.
pub(super) fn text_input(
    field: &str,
    label: &str,
    kind: &str,
    value: &str,
    extra: &str,
    errors: &FieldErrors,
) -> String {
    let id = control_id(field);
    let (invalid, error) = match errors.get(field) {
        Some(message) => (
            format!(" aria-invalid=\"true\" aria-describedby=\"{id}-error\""),
            format!(
                "<p class=\"field-error\" id=\"{id}-error\">{}</p>",
                esc(message)
            ),
        ),
        None => (String::new(), String::new()),
    };
    format!(
        "<div class=\"field\"><label for=\"{id}\">{}</label>\
         <input id=\"{id}\" name=\"{}\" type=\"{kind}\" value=\"{}\"{extra}{invalid}>{error}</div>",
        esc(label),
        esc(field),
        esc(value),
    )
}

/// A labelled select for API field `field`.
pub(super) fn select_input(
    field: &str,
    label: &str,
    options: &[(&str, &str)],
    current: &str,
) -> String {
    let id = control_id(field);
    let opts: String = options
        .iter()
        .map(|(v, l)| {
            let selected = if *v == current { " selected" } else { "" };
            format!("<option value=\"{}\"{selected}>{}</option>", esc(v), esc(l))
        })
        .collect();
    format!(
        "<div class=\"field\"><label for=\"{id}\">{}</label><select id=\"{id}\" name=\"{}\">{opts}</select></div>",
        esc(label),
        esc(field)
    )
}

/// A table with a header row of `heads` and `rows` (each a `<tr>` already),
/// or the sentence `empty` when there are none.
pub(super) fn data_table(heads: &[&str], rows: Vec<String>, empty: &str) -> String {
    if rows.is_empty() {
        return format!("<p>{}</p>", esc(empty));
    }
    let head: String = heads
        .iter()
        .map(|h| format!("<th scope=\"col\">{}</th>", esc(h)))
        .collect();
    format!(
        "<table><thead><tr>{head}</tr></thead><tbody>{}</tbody></table>",
        rows.concat()
    )
}

/// A table row of cells (HTML already).
pub(super) fn table_row(cells: Vec<String>) -> String {
    let cells: String = cells.into_iter().map(|c| format!("<td>{c}</td>")).collect();
    format!("<tr>{cells}</tr>")
}

/// The box above a refused form that says each field below says why.
pub(super) fn fix_summary(
    lang: usher_core::user::fields::Language,
    errors: &FieldErrors,
) -> String {
    if errors.is_empty() {
        String::new()
    } else {
        let fix = super::user_words::user_words(lang).fix_below;
        crate::pages::kit::error_box(Some(fix), "form-error")
    }
}

/// A scope as the console names it: `group “Sales”`, `department =
/// “Sales”`, or `whole` for none.
pub(super) fn scope_text(scope: Option<&usher_core::scope::AdminScope>, whole: &str) -> String {
    use usher_core::scope::AdminScope;
    match scope {
        Some(AdminScope::Group { name, .. }) => format!("group “{name}”"),
        Some(AdminScope::Attribute { name, equals }) => format!("{name} = “{equals}”"),
        None => whole.to_owned(),
    }
}

/// A row of tabs between the pages of one part of the console, each
/// `(path under /console/{tenant}/, label)`, `current` marked.
pub(super) fn sub_nav(slug: &str, label: &str, entries: &[(&str, &str)], current: &str) -> String {
    let items: String = entries
        .iter()
        .map(|(path, l)| {
            let mark = if *path == current {
                " aria-current=\"page\""
            } else {
                ""
            };
            format!(
                "<li><a href=\"/console/{}/{path}\"{mark}>{}</a></li>",
                esc(slug),
                esc(l)
            )
        })
        .collect();
    format!(
        "<nav aria-label=\"{}\"><ul class=\"tabs\">{items}</ul></nav>",
        esc(label)
    )
}
