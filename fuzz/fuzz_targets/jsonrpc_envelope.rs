//! The JSON-RPC envelope of both Monaca APIs: any body is either refused with an error object or
//! split into calls, every call either refused with an error response or read by name, and every
//! answer serializes. Nothing panics.
#![no_main]

use berth_server::http::monaca::jsonrpc::{self, Envelope, MAX_BATCH};
use berth_server::http::monaca::params::Params;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// Names the handlers read, besides whatever names the input brings.
const NAMES: &[&str] = &[
    "collectionName",
    "criteria",
    "bindParams",
    "itemsInPage",
    "page",
    "propertyNames",
    "item",
    "_id",
    "username",
    "password",
];

fn read_every_way(params: &Params, name: &str) {
    let _ = params.string(name);
    let _ = params.optional_bool(name);
    let _ = params.optional_integer(name, 1, 10_000);
    let _ = params.optional_integer(name, 0, u64::MAX);
    let _ = params.optional_object(name);
    let _ = params.optional_array(name);
    let _ = params.optional_string_list(name, true);
    let _ = params.optional_string_list(name, false);
}

fuzz_target!(|data: &[u8]| {
    let requests = match jsonrpc::parse_envelope(data) {
        Ok(Envelope::Single(request)) => vec![request],
        Ok(Envelope::Batch(requests)) => {
            assert!(!requests.is_empty() && requests.len() <= MAX_BATCH);
            requests
        }
        Err(error) => {
            let answer = jsonrpc::response(Value::Null, Err(error));
            assert!(answer["error"]["code"].is_i64());
            serde_json::to_vec(&answer).expect("an error answer serializes");
            return;
        }
    };
    for request in requests {
        let echoed = jsonrpc::request_id(&request);
        assert!(matches!(
            echoed,
            Value::Null | Value::String(_) | Value::Number(_)
        ));
        match jsonrpc::parse_call(request) {
            Ok(call) => {
                let names: Vec<String> = call.params.keys().cloned().collect();
                let params = Params::new(call.params);
                for name in names
                    .iter()
                    .map(String::as_str)
                    .chain(NAMES.iter().copied())
                {
                    read_every_way(&params, name);
                }
                let answer = jsonrpc::response(call.id.unwrap_or(Value::Null), Ok(Value::Null));
                serde_json::to_vec(&answer).expect("an answer serializes");
            }
            Err(answer) => {
                assert_eq!(answer["jsonrpc"], "2.0");
                assert!(answer["error"]["code"].is_i64());
                serde_json::to_vec(&answer).expect("an error answer serializes");
            }
        }
    }
});
