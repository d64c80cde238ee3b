//! Tests of the SCIM filter and path parsers and of the evaluator.

mod errors;
mod eval;
mod filter;
mod path;
mod props;

use super::{AttrPath, CompValue, CompareOp, Filter, ValuePath};

/// Parses a filter the test expects to be valid.
fn parse(src: &str) -> Filter {
    match Filter::parse(src) {
        Ok(f) => f,
        Err(e) => panic!("{src:?} did not parse: {e}"),
    }
}

fn path(name: &str) -> AttrPath {
    AttrPath::new(name)
}

fn cmp(p: &str, op: CompareOp, value: CompValue) -> Filter {
    let path = match p.split_once('.') {
        Some((name, sub)) => AttrPath::new(name).with_sub_attr(sub),
        None => AttrPath::new(p),
    };
    Filter::compare(path, op, value)
}

fn s(v: &str) -> CompValue {
    CompValue::String(v.to_owned())
}

fn n(v: i64) -> CompValue {
    CompValue::Number(v.into())
}

fn pr(p: &str) -> Filter {
    Filter::Present(path(p))
}

fn value_path(attr: &str, filter: Filter) -> Filter {
    Filter::ValuePath(ValuePath {
        attr: path(attr),
        filter: Box::new(filter),
    })
}
