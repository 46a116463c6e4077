//! JSON documents in and out of `jsonb`.
//!
//! `jsonb` keeps a number as the decimal it was written as, and compares numbers as decimals. MonaQL's
//! evaluator compares a float by its exact binary value. The two agree as long as a float's text lies
//! on the same side of every other number as the float itself, which serde_json's shortest text does
//! for every float below 1e16 (all integers there are floats of their own, so none lies between the
//! text and the value). From 1e16 on, serde_json writes `1.152921504606847e18` for 2^60, whose exact
//! value is 1152921504606846976: an integer in between would compare differently. So floats of that
//! size are written here as their exact integer value with a `.0` (a float's value is a whole number
//! from 2^53 on), which also reads back as the same float rather than as an integer. Integers beyond
//! i64, which the evaluator takes as floats, are written the same way.
//!
//! Strings cannot hold U+0000 in PostgreSQL (neither `text` nor `jsonb`): [`document_text`] refuses
//! such documents with a clear error instead of a driver message (see `nul.rs`).

use std::fmt::Write as _;

use berth_core::store::StoreResult;
use serde_json::{Map, Number, Value};

use crate::nul::contains_nul;

/// From here on serde_json writes floats with an exponent and (possibly) inexactly.
const EXACT_FROM: f64 = 1e16;

/// The JSON text `jsonb` should receive for `value`: serde_json's, except for large floats (see the
/// module documentation). Public for tests that fill tables of their own as the store does.
pub fn to_jsonb_text(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

/// The JSON text of an object, refusing text PostgreSQL cannot store.
pub(crate) fn document_text(object: &Map<String, Value>, what: &str) -> StoreResult<String> {
    if object
        .iter()
        .any(|(key, value)| crate::nul::has_nul(key) || contains_nul(value))
    {
        return Err(crate::nul::refused(what));
    }
    let mut out = String::new();
    write_object(&mut out, object);
    Ok(out)
}

/// The JSON text of a number, as `jsonb` should compare it. An integer beyond i64 is written as the
/// float the evaluator (like SQLite, and JavaScript) takes it for: 18446744073709551615 becomes
/// `18446744073709551616.0`.
pub(crate) fn number_text(number: &Number) -> String {
    let beyond_i64 = number.is_u64() && number.as_i64().is_none();
    match number.as_f64() {
        Some(float)
            if (number.is_f64() || beyond_i64)
                && float.is_finite()
                && float.abs() >= EXACT_FROM =>
        {
            exact_whole_float(float)
        }
        _ => number.to_string(),
    }
}

/// The exact decimal value of a whole-numbered float, with `.0`: its mantissa times a power of two,
/// multiplied out in base 10^9.
fn exact_whole_float(float: f64) -> String {
    let bits = float.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32;
    let mut mantissa = bits & ((1 << 52) - 1);
    if exponent != 0 {
        mantissa |= 1 << 52;
    }
    // value = mantissa * 2^(exponent - 1075); callers only pass floats of 1e16 and more, so the
    // power is not negative.
    let mut shift = (exponent - 1075).max(0);
    let mut limbs: Vec<u64> = Vec::new();
    let mut rest = mantissa;
    while rest > 0 {
        limbs.push(rest % 1_000_000_000);
        rest /= 1_000_000_000;
    }
    while shift > 0 {
        let step = shift.min(32);
        shift -= step;
        let mut carry = 0u64;
        for limb in &mut limbs {
            let product = (*limb << step) + carry;
            *limb = product % 1_000_000_000;
            carry = product / 1_000_000_000;
        }
        while carry > 0 {
            limbs.push(carry % 1_000_000_000);
            carry /= 1_000_000_000;
        }
    }
    let mut text = String::new();
    if float.is_sign_negative() {
        text.push('-');
    }
    let mut limbs = limbs.iter().rev();
    if let Some(first) = limbs.next() {
        let _ = write!(text, "{first}");
    }
    for limb in limbs {
        let _ = write!(text, "{limb:09}");
    }
    text.push_str(".0");
    text
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Number(number) => out.push_str(&number_text(number)),
        Value::Array(values) => {
            out.push('[');
            for (i, value) in values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, value);
            }
            out.push(']');
        }
        Value::Object(object) => write_object(out, object),
        Value::Null | Value::Bool(_) | Value::String(_) => out.push_str(&value.to_string()),
    }
}

fn write_object(out: &mut String, object: &Map<String, Value>) {
    out.push('{');
    for (i, (key, value)) in object.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&Value::from(key.as_str()).to_string());
        out.push(':');
        write_value(out, value);
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn large_floats_are_written_exactly_and_read_back_as_the_same_float() {
        for float in [
            1e16,
            2f64.powi(60),
            -2f64.powi(60),
            1.2345678901234567e25,
            f64::MAX,
            9.223372036854776e18,
        ] {
            let text = number_text(&Number::from_f64(float).expect("finite"));
            assert!(text.ends_with(".0") && !text.contains('e'), "{text}");
            let back: f64 = text.parse().expect("parses");
            assert_eq!(back.to_bits(), float.to_bits(), "{text}");
        }
        assert_eq!(
            number_text(&Number::from_f64(2f64.powi(60)).expect("finite")),
            "1152921504606846976.0"
        );
    }

    #[test]
    fn other_numbers_keep_serde_json_text() {
        for (value, text) in [
            (json!(1), "1"),
            (json!(1.0), "1.0"),
            (json!(0.1), "0.1"),
            (json!(1e-7), "1e-7"),
            (json!(9007199254740993i64), "9007199254740993"),
            (json!(u64::MAX), "18446744073709551616.0"),
            (json!(i64::MAX), "9223372036854775807"),
            (json!(9.9e15), "9900000000000000.0"),
        ] {
            let Value::Number(number) = value else {
                panic!("a number")
            };
            assert_eq!(number_text(&number), text);
        }
    }

    #[test]
    fn documents_keep_their_shape() {
        let value = json!({ "a": [1, 2.5, { "b": "x\"y" }], "big": 1e20, "n": null, "t": true });
        let text = to_jsonb_text(&value);
        assert_eq!(
            text,
            r#"{"a":[1,2.5,{"b":"x\"y"}],"big":100000000000000000000.0,"n":null,"t":true}"#
        );
        let back: Value = serde_json::from_str(&text).expect("parses");
        assert_eq!(back, value);
    }

    #[test]
    fn documents_with_nul_are_refused() {
        let Value::Object(object) = json!({ "k": ["\u{0}"] }) else {
            panic!("an object")
        };
        assert!(document_text(&object, "item data").is_err());
    }
}
