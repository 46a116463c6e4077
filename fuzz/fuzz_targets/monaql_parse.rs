//! The MonaQL parser and evaluator: the first line is the criteria, the rest (if it is a JSON array)
//! the bound values. Parsing either succeeds or names a problem; a parsed criteria evaluates against
//! any document without panicking, and the same input parses the same way twice.
#![no_main]

use berth_core::monaql::{self, Scope};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

fn documents() -> Vec<Map<String, Value>> {
    [
        json!({}),
        json!({ "_id": "a", "name": "x", "score": 1, "tags": ["a", 1, null], "nested": { "level": 2.5 } }),
        json!({ "name": null, "score": 1.0, "flag": true, "nested": [1, { "level": "2" }] }),
        json!({ "_ownerUserOid": "u1", "_createdAt": 1_700_000_000_000_i64, "score": -0.0, "name": "日本" }),
    ]
    .into_iter()
    .filter_map(|document| document.as_object().cloned())
    .collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (criteria, rest) = text.split_once('\n').unwrap_or((text, ""));
    let bind_params: Vec<Value> = serde_json::from_str(rest).unwrap_or_default();
    for scope in [Scope::Item, Scope::User] {
        let first = monaql::parse(criteria, &bind_params, scope);
        let second = monaql::parse(criteria, &bind_params, scope);
        assert_eq!(first.is_ok(), second.is_ok());
        match first {
            Ok(parsed) => {
                for document in documents() {
                    let _ = parsed.matches(&document);
                }
            }
            Err(error) => assert!(!error.to_string().is_empty()),
        }
        let _ = monaql::parse_property(criteria, scope);
    }
});
