//! Reading a `multipart/form-data` body: every field by name, with its
//! bytes, within a size limit over the whole body. The admin API's bulk
//! upload and the console's upload forms read their files this way.

use axum::body::Body;
use axum::http::{HeaderMap, header};
use usher_core::Error;
use usher_core::error::ErrorCode;

/// The fields of a multipart body, in order. A body over `limit` bytes is
/// `too_large()`; one that is not a readable form is 400
/// `invalid_multipart`.
pub(crate) async fn multipart_fields(
    headers: &HeaderMap,
    body: Body,
    limit: u64,
    too_large: impl Fn() -> Error,
) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| multer::parse_boundary(v).ok())
        .ok_or_else(|| {
            Error::bad_request(
                ErrorCode::InvalidMultipart,
                "the multipart body has no boundary",
            )
        })?;
    let limits =
        multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(limit));
    let mut form = multer::Multipart::with_constraints(body.into_data_stream(), boundary, limits);
    let bad = |e: multer::Error| match e {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            too_large()
        }
        e => Error::bad_request(
            ErrorCode::InvalidMultipart,
            format!("the form cannot be read: {e}"),
        ),
    };
    let mut fields = Vec::new();
    while let Some(field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_owned();
        let bytes = field.bytes().await.map_err(bad)?;
        fields.push((name, bytes.to_vec()));
    }
    Ok(fields)
}

/// One field's text (lossy UTF-8), if the form has it.
pub(crate) fn text_field(fields: &[(String, Vec<u8>)], name: &str) -> Option<String> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
}
