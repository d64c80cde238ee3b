//! Building `links` for list responses from a page's cursors.

use crate::schema::Links;
use usher_core::listing::{Cursor, Page};

/// Links of a page at `base` (a path), keeping the query's other parameters.
pub fn links<T>(base: &str, keep: &[(&str, Option<&str>)], page: &Page<T>) -> Links {
    let url = |cursor: &Cursor| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in keep {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                q.append_pair(k, v);
            }
        }
        if let Some(c) = cursor.encode() {
            q.append_pair("cursor", &c);
        }
        let q = q.finish();
        if q.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{q}")
        }
    };
    Links {
        first: Some(url(&Cursor::First)),
        prev: page.prev.as_ref().map(url),
        next: page.next.as_ref().map(url),
        last: Some(url(&Cursor::Last)),
    }
}

/// Links of a list that always fits in one page.
pub fn single_page(base: &str) -> Links {
    Links {
        first: Some(base.to_owned()),
        prev: None,
        next: None,
        last: Some(base.to_owned()),
    }
}
