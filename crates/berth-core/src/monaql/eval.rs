//! The in-memory evaluator. It *defines* MonaQL's meaning: every store's compiled query must select
//! exactly the documents this accepts (the SQLite store checks that with a differential test).
//!
//! The logic is two-valued throughout: a comparison on a missing property is simply false (or true for
//! `== null`), never "unknown" as in SQL, so `!=`, `NIN` and `!( )` are plain negations.
//!
//! Deliberately simple: a literal never matches inside a document array or object (no MongoDB-style
//! "any element equals"), and values of different types are never equal nor ordered (except integers
//! and floats, which compare as numbers).

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::ast::{CompareOp, Criteria, Expr, Literal, Property};

impl Criteria {
    /// Whether `document` (data properties plus system properties under their `_names`) matches.
    pub fn matches(&self, document: &Map<String, Value>) -> bool {
        self.root().is_none_or(|root| root.matches(document))
    }
}

impl Expr {
    pub fn matches(&self, document: &Map<String, Value>) -> bool {
        match self {
            Expr::And(children) => children.iter().all(|c| c.matches(document)),
            Expr::Or(children) => children.iter().any(|c| c.matches(document)),
            Expr::Not(inner) => !inner.matches(document),
            Expr::Compare {
                property,
                op,
                value,
            } => compare(lookup(document, property), *op, value),
            Expr::In {
                property,
                negated,
                values,
            } => {
                let found = lookup(document, property);
                values.iter().any(|v| equals(found, v)) != *negated
            }
        }
    }
}

/// The value at `property`, `None` when missing (including below a non-object).
pub fn lookup<'d>(document: &'d Map<String, Value>, property: &Property) -> Option<&'d Value> {
    match property {
        Property::System(system) => document.get(system.name()),
        Property::Data(segments) => {
            let (first, rest) = segments.split_first()?;
            let mut value = document.get(first)?;
            for segment in rest {
                value = value.as_object()?.get(segment)?;
            }
            Some(value)
        }
    }
}

fn compare(found: Option<&Value>, op: CompareOp, literal: &Literal) -> bool {
    match op {
        CompareOp::Eq => equals(found, literal),
        CompareOp::Ne => !equals(found, literal),
        CompareOp::Lt => order(found, literal).is_some_and(Ordering::is_lt),
        CompareOp::Le => order(found, literal).is_some_and(Ordering::is_le),
        CompareOp::Gt => order(found, literal).is_some_and(Ordering::is_gt),
        CompareOp::Ge => order(found, literal).is_some_and(Ordering::is_ge),
    }
}

fn equals(found: Option<&Value>, literal: &Literal) -> bool {
    match (found, literal) {
        (None | Some(Value::Null), Literal::Null) => true,
        (Some(Value::Bool(a)), Literal::Bool(b)) => a == b,
        (Some(Value::String(a)), Literal::String(b)) => a == b,
        (Some(Value::Number(_)), Literal::Int(_) | Literal::Float(_)) => {
            order(found, literal) == Some(Ordering::Equal)
        }
        _ => false,
    }
}

/// How the document's value orders against the literal; `None` when they cannot be ordered (different
/// types, null, booleans, NaN).
fn order(found: Option<&Value>, literal: &Literal) -> Option<Ordering> {
    match (found?, literal) {
        (Value::String(a), Literal::String(b)) => Some(a.as_str().cmp(b.as_str())),
        (Value::Number(a), Literal::Int(b)) => compare_numbers(Number::of(a), Number::Int(*b)),
        (Value::Number(a), Literal::Float(b)) => compare_numbers(Number::of(a), Number::Float(*b)),
        _ => None,
    }
}

#[derive(Clone, Copy)]
enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    /// Integers beyond i64 (large u64) are taken as floats, like SQLite's JSON functions do.
    fn of(number: &serde_json::Number) -> Self {
        match number.as_i64() {
            Some(int) => Number::Int(int),
            None => Number::Float(number.as_f64().unwrap_or(f64::NAN)),
        }
    }
}

/// Exact numeric comparison, also between an integer and a float (as SQLite does): converting the
/// integer to f64 would call 2^53 + 1 equal to 2^53.
fn compare_numbers(a: Number, b: Number) -> Option<Ordering> {
    match (a, b) {
        (Number::Int(a), Number::Int(b)) => Some(a.cmp(&b)),
        (Number::Float(a), Number::Float(b)) => a.partial_cmp(&b),
        (Number::Int(a), Number::Float(b)) => compare_int_float(a, b),
        (Number::Float(a), Number::Int(b)) => compare_int_float(b, a).map(Ordering::reverse),
    }
}

fn compare_int_float(int: i64, float: f64) -> Option<Ordering> {
    // 2^63: the first float above every i64.
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    if float.is_nan() {
        return None;
    }
    if float >= TWO_POW_63 {
        return Some(Ordering::Less);
    }
    if float < -TWO_POW_63 {
        return Some(Ordering::Greater);
    }
    let whole = float.trunc();
    // In range by the checks above, so the conversion is exact.
    let whole_int = whole as i64;
    match int.cmp(&whole_int) {
        Ordering::Equal => 0.0f64.partial_cmp(&(float - whole)),
        unequal => Some(unequal),
    }
}
