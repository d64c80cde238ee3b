//! Tables in the docs that are made from code (the audit actions, the error
//! codes), so that the docs cannot drift from what Usher does. Each table
//! stands in its Markdown file between `<!-- generated: NAME -->` and
//! `<!-- end: NAME -->`; the tests of the code that makes it call
//! [`check`], which fails when the file holds anything else there.
//! `USHER_BLESS=1 cargo test -p usher-core` rewrites the tables instead.

use std::path::Path;

/// Compares the table `name` in `file` (a path from the workspace root)
/// with `generated`, or writes it there when `USHER_BLESS` is set.
pub(crate) fn check(file: &str, name: &str, generated: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let (start, end) = (
        format!("<!-- generated: {name} -->\n"),
        format!("<!-- end: {name} -->"),
    );
    let from = text
        .find(&start)
        .unwrap_or_else(|| panic!("{file} has no line {start:?}"))
        + start.len();
    let to = from
        + text[from..]
            .find(&end)
            .unwrap_or_else(|| panic!("{file} has no line {end:?}"));
    if std::env::var_os("USHER_BLESS").is_some() {
        let rewritten = format!("{}{generated}{}", &text[..from], &text[to..]);
        std::fs::write(&path, rewritten)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }
    assert!(
        text[from..to] == *generated,
        "the table {name} in {file} differs from the code; \
         run `USHER_BLESS=1 cargo test -p usher-core` to write it again"
    );
}
