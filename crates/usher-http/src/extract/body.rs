//! Request bodies and query strings, read without ever rejecting on the
//! framework's terms: every failure becomes a domain error the handler can
//! audit and answer as problem+json.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;
use serde_json::Value;
use usher_core::Error;
use usher_core::error::ErrorCode;

/// The largest JSON body the admin API reads.
pub(crate) const MAX_JSON_BODY: usize = 1024 * 1024;

/// A JSON body, or the reason it could not be read.
#[derive(Debug)]
pub(crate) struct JsonBody(pub Result<Value, Error>);

impl JsonBody {
    /// The string fields `names` of a JSON object body, all required; every
    /// missing or mistyped one (and every unknown field) is named at once.
    pub fn required_strings<const N: usize>(
        self,
        names: [&'static str; N],
    ) -> Result<[String; N], Error> {
        let mut r = usher_core::input::ObjectReader::new(self.0?).map_err(Error::Validation)?;
        let values = names.map(|n| r.required_string(n));
        let errors = r.finish();
        if !errors.is_empty() || values.iter().any(Option::is_none) {
            return Err(Error::Validation(errors));
        }
        Ok(values.map(Option::unwrap_or_default))
    }
}

/// The body's media type, lowercase and without parameters (empty when
/// none is given).
pub(crate) fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

fn is_json(headers: &HeaderMap) -> bool {
    let m = media_type(headers);
    m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
}

/// The refusal of a body sent as anything but JSON.
fn not_json() -> Error {
    Error::UnsupportedMediaType("send the body as JSON with Content-Type: application/json".into())
}

/// The whole body, up to [`MAX_JSON_BODY`].
async fn bounded(body: axum::body::Body) -> Result<Bytes, Error> {
    axum::body::to_bytes(body, MAX_JSON_BODY)
        .await
        .map_err(|_| {
            Error::TooLarge(format!(
                "the body may be at most {} KiB",
                MAX_JSON_BODY / 1024
            ))
        })
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = std::convert::Infallible;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Ok(Self(Err(not_json())));
        }
        let bytes = bounded(req.into_body()).await;
        Ok(Self(bytes.and_then(|b| parse_json(&b))))
    }
}

/// A JSON body that may be left out: `None` for an empty body (whatever
/// its content type), otherwise as [`JsonBody`] reads it.
#[derive(Debug)]
pub(crate) struct OptionalJsonBody(pub Result<Option<Value>, Error>);

impl<S: Send + Sync> FromRequest<S> for OptionalJsonBody {
    type Rejection = std::convert::Infallible;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let json = is_json(req.headers());
        let read = bounded(req.into_body())
            .await
            .and_then(|b| match (b.is_empty(), json) {
                (true, _) => Ok(None),
                (false, false) => Err(not_json()),
                (false, true) => parse_json(&b).map(Some),
            });
        Ok(Self(read))
    }
}

/// Parses JSON text, refusing invalid UTF-8, bad syntax and nesting deeper
/// than serde_json's recursion limit with one clear code.
pub(crate) fn parse_json(bytes: &Bytes) -> Result<Value, Error> {
    if bytes.is_empty() {
        return Err(Error::bad_request(
            ErrorCode::MalformedJson,
            "the body is empty; send a JSON object",
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        Error::bad_request(
            ErrorCode::MalformedJson,
            format!(
                "the body is not valid JSON ({} at line {}, column {})",
                e.classify_kind(),
                e.line(),
                e.column()
            ),
        )
    })
}

trait Classify {
    fn classify_kind(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    fn classify_kind(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "read error",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "unexpected data",
            serde_json::error::Category::Eof => "unexpected end",
        }
    }
}

/// Query parameters, or the reason they could not be read.
#[derive(Debug)]
pub(crate) struct QueryParams<T>(pub Result<T, Error>);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        Ok(Self(parse_query(q)))
    }
}

/// Reads a query string into `T` (every value a string).
pub(crate) fn parse_query<T: DeserializeOwned>(q: &str) -> Result<T, Error> {
    // Repeated keys keep the last value; every value is a string and each
    // handler parses its own, so only the structure can fail here.
    let map: serde_json::Map<String, Value> = form_urlencoded::parse(q.as_bytes())
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    serde_json::from_value(Value::Object(map)).map_err(|e| {
        Error::bad_request(
            ErrorCode::InvalidQuery,
            format!("the query string is not valid: {e}"),
        )
    })
}

/// A `true`/`false` query parameter named `name` (absent or empty: false).
pub(crate) fn flag(name: &str, v: Option<&str>) -> Result<bool, Error> {
    match v.map(str::trim) {
        None | Some("") | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(Error::bad_request(
            ErrorCode::InvalidParameter,
            format!("{name} must be true or false"),
        )),
    }
}

/// Reads an optional integer parameter.
pub(crate) fn int_param(name: &'static str, v: Option<&String>) -> Result<Option<i64>, Error> {
    match v.map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s.parse::<i64>().map(Some).map_err(|_| {
            Error::bad_request(
                ErrorCode::InvalidParameter,
                format!("{name} must be a whole number"),
            )
        }),
    }
}

/// An optional whole-number parameter from `min` to `max`, `default` when
/// absent.
pub(crate) fn bounded_param(
    name: &'static str,
    v: Option<&String>,
    min: i64,
    max: i64,
    default: i64,
) -> Result<i64, Error> {
    match int_param(name, v)? {
        None => Ok(default),
        Some(n) if (min..=max).contains(&n) => Ok(n),
        Some(_) => Err(Error::bad_request(
            ErrorCode::InvalidParameter,
            format!("{name} must be between {min} and {max}"),
        )),
    }
}
