//! U+0000, which PostgreSQL cannot store in `text` or `jsonb` (SQLite can).
//!
//! So no stored text holds it: a lookup by text holding it finds nothing without asking the database
//! (which would refuse the parameter), a write of such text fails with a message that says why, and
//! the opaque keys of login failures are escaped so that any key can be counted.

use berth_core::StoreError;
use serde_json::Value;

/// Whether `text` holds U+0000 and so cannot be (or match anything) stored.
pub(crate) fn has_nul(text: &str) -> bool {
    text.contains('\0')
}

/// Whether any string or key in `value` holds U+0000.
pub(crate) fn contains_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => has_nul(text),
        Value::Array(values) => values.iter().any(contains_nul),
        Value::Object(object) => object
            .iter()
            .any(|(key, value)| has_nul(key) || contains_nul(value)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// The error of a write whose text holds U+0000.
pub(crate) fn refused(what: &str) -> StoreError {
    StoreError::Internal(
        format!("PostgreSQL cannot store the character U+0000, found in {what}").into(),
    )
}

/// Fails when a text to be written holds U+0000.
pub(crate) fn check(text: &str, what: &str) -> Result<(), StoreError> {
    if has_nul(text) {
        return Err(refused(what));
    }
    Ok(())
}

/// An opaque key as stored: `\` doubled and U+0000 written `\0`, which keeps distinct keys distinct.
pub(crate) fn escape_key(key: &str) -> String {
    if !key.contains(['\\', '\0']) {
        return key.to_owned();
    }
    key.replace('\\', "\\\\").replace('\0', "\\0")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn nul_is_found_anywhere() {
        assert!(contains_nul(&json!({ "a": ["x\u{0}"] })));
        assert!(contains_nul(&json!({ "a\u{0}": 1 })));
        assert!(!contains_nul(&json!({ "a": ["x"] })));
    }

    #[test]
    fn escaped_keys_stay_distinct() {
        assert_eq!(escape_key("joe"), "joe");
        assert_eq!(escape_key("a\u{0}b"), "a\\0b");
        assert_eq!(escape_key("a\\0b"), "a\\\\0b");
        assert!(!escape_key("a\u{0}b").contains('\0'));
    }
}
