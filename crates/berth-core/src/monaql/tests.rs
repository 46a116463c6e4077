use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::limits::*;
use super::*;

fn parse_item(criteria: &str, binds: Value) -> Result<Criteria, MonaqlError> {
    let Value::Array(binds) = binds else {
        panic!("bind params in tests are arrays");
    };
    parse(criteria, &binds, Scope::Item)
}

fn expr(criteria: &str, binds: Value) -> Expr {
    parse_item(criteria, binds)
        .expect("the criteria parses")
        .into_root()
        .expect("the criteria is not empty")
}

fn failure(criteria: &str, binds: Value) -> MonaqlError {
    match parse_item(criteria, binds) {
        Ok(parsed) => panic!("{criteria:?} parsed as {parsed:?}"),
        Err(error) => error,
    }
}

fn data(name: &str) -> Property {
    Property::Data(name.split('.').map(str::to_owned).collect())
}

fn cmp(property: Property, op: CompareOp, value: Literal) -> Expr {
    Expr::Compare {
        property,
        op,
        value,
    }
}

fn string(s: &str) -> Literal {
    Literal::String(s.to_owned())
}

// ---------------------------------------------------------------- happy paths

#[test]
fn spec_example_negated_group() {
    assert_eq!(
        expr("a == 12 && !(b == 34 || c == 56)", json!([])),
        Expr::And(vec![
            cmp(data("a"), CompareOp::Eq, Literal::Int(12)),
            Expr::Not(Box::new(Expr::Or(vec![
                cmp(data("b"), CompareOp::Eq, Literal::Int(34)),
                cmp(data("c"), CompareOp::Eq, Literal::Int(56)),
            ]))),
        ])
    );
}

#[test]
fn spec_example_written_list() {
    assert_eq!(
        expr(r#"name IN ["John","Smith"]"#, json!([])),
        Expr::In {
            property: data("name"),
            negated: false,
            values: vec![string("John"), string("Smith")],
        }
    );
}

#[test]
fn spec_example_placeholders() {
    assert_eq!(
        expr("name == ? && age > ?", json!(["John", 20])),
        Expr::And(vec![
            cmp(data("name"), CompareOp::Eq, string("John")),
            cmp(data("age"), CompareOp::Gt, Literal::Int(20)),
        ])
    );
}

#[test]
fn spec_example_bound_list() {
    assert_eq!(
        expr("name IN ?", json!([["John", "Smith"]])),
        expr(r#"name IN ["John", "Smith"]"#, json!([]))
    );
}

#[test]
fn spec_example_find_mine() {
    assert_eq!(
        expr("(title == ?) && (_ownerUserOid == ?)", json!(["x", "u1"])),
        Expr::And(vec![
            cmp(data("title"), CompareOp::Eq, string("x")),
            cmp(
                Property::System(SystemProperty::OwnerUserOid),
                CompareOp::Eq,
                string("u1")
            ),
        ])
    );
    assert_eq!(
        expr("_ownerDeviceOid == ?", json!(["d1"])),
        cmp(
            Property::System(SystemProperty::OwnerDeviceOid),
            CompareOp::Eq,
            string("d1")
        )
    );
}

#[test]
fn spec_example_update_permission() {
    assert_eq!(
        expr("_id == ?", json!(["abc"])),
        cmp(
            Property::System(SystemProperty::Id),
            CompareOp::Eq,
            string("abc")
        )
    );
}

#[test]
fn system_properties_depend_on_the_scope() {
    let user = |criteria: &str| parse(criteria, &[], Scope::User);
    let id = Criteria::from_expr(cmp(
        Property::System(SystemProperty::Id),
        CompareOp::Eq,
        string("u"),
    ));
    assert_eq!(user(r#"_oid == "u""#), Ok(id.clone()));
    assert_eq!(user(r#"_id == "u""#), Ok(id));
    assert!(user(r#"_username == "bob" && _createdAt > 0 && _updatedAt > 0"#).is_ok());
    assert!(user(r#"_ownerUserOid == "u""#).is_err());
    assert!(parse_item(r#"_username == "bob""#, json!([])).is_err());
    assert!(parse_item(r#"_oid == "u""#, json!([])).is_err());
    assert!(
        parse_item(
            "_createdAt > 0 && _updatedAt > 0 && _ownerDeviceOid == null",
            json!([])
        )
        .is_ok()
    );
}

#[test]
fn and_binds_tighter_than_or() {
    assert_eq!(
        expr("a == 1 || b == 2 && c == 3 || d == 4", json!([])),
        Expr::Or(vec![
            cmp(data("a"), CompareOp::Eq, Literal::Int(1)),
            Expr::And(vec![
                cmp(data("b"), CompareOp::Eq, Literal::Int(2)),
                cmp(data("c"), CompareOp::Eq, Literal::Int(3)),
            ]),
            cmp(data("d"), CompareOp::Eq, Literal::Int(4)),
        ])
    );
}

#[test]
fn groups_are_kept_as_written_and_add_no_node() {
    assert_eq!(
        expr("(a == 1 && b == 2) && ((c == 3))", json!([])),
        Expr::And(vec![
            Expr::And(vec![
                cmp(data("a"), CompareOp::Eq, Literal::Int(1)),
                cmp(data("b"), CompareOp::Eq, Literal::Int(2)),
            ]),
            cmp(data("c"), CompareOp::Eq, Literal::Int(3)),
        ])
    );
}

#[test]
fn all_operators() {
    for (text, op) in [
        ("==", CompareOp::Eq),
        ("!=", CompareOp::Ne),
        ("<", CompareOp::Lt),
        ("<=", CompareOp::Le),
        (">", CompareOp::Gt),
        (">=", CompareOp::Ge),
    ] {
        assert_eq!(
            expr(&format!("a{text}1"), json!([])),
            cmp(data("a"), op, Literal::Int(1))
        );
    }
    assert_eq!(
        expr("a NIN []", json!([])),
        Expr::In {
            property: data("a"),
            negated: true,
            values: vec![],
        }
    );
}

#[test]
fn literals() {
    let value = |text: &str| match expr(&format!("a == {text}"), json!([])) {
        Expr::Compare { value, .. } => value,
        other => panic!("not a comparison: {other:?}"),
    };
    assert_eq!(value("123"), Literal::Int(123));
    assert_eq!(value("-123"), Literal::Int(-123));
    assert_eq!(value("1.23"), Literal::Float(1.23));
    assert_eq!(value("-1.23"), Literal::Float(-1.23));
    assert_eq!(value("1e3"), Literal::Float(1000.0));
    assert_eq!(value("2.5E-2"), Literal::Float(0.025));
    assert_eq!(value("1.0"), Literal::Float(1.0));
    assert_eq!(
        value("-9223372036854775808"),
        Literal::Int(i64::MIN),
        "i64::MIN is an integer"
    );
    assert_eq!(
        value("9223372036854775808"),
        Literal::Float(9_223_372_036_854_775_808.0),
        "beyond i64 becomes a float"
    );
    assert_eq!(value("null"), Literal::Null);
    assert_eq!(value("true"), Literal::Bool(true));
    assert_eq!(value("false"), Literal::Bool(false));
    assert_eq!(value(r#""""#), string(""));
    assert_eq!(
        value(r#""a\"b\\c\/d\n\t\r\b\f\u00e9\ud83d\ude00日本""#),
        string("a\"b\\c/d\n\t\r\u{8}\u{c}é😀日本")
    );
    assert_eq!(
        expr(r#"a IN [1, "x", null, true, 2.5, ?]"#, json!([false])),
        Expr::In {
            property: data("a"),
            negated: false,
            values: vec![
                Literal::Int(1),
                string("x"),
                Literal::Null,
                Literal::Bool(true),
                Literal::Float(2.5),
                Literal::Bool(false),
            ],
        }
    );
}

#[test]
fn bound_values_become_literals() {
    let bound = |value: Value| match expr("a == ?", json!([value])) {
        Expr::Compare { value, .. } => value,
        other => panic!("not a comparison: {other:?}"),
    };
    assert_eq!(bound(json!(null)), Literal::Null);
    assert_eq!(bound(json!(true)), Literal::Bool(true));
    assert_eq!(bound(json!(-7)), Literal::Int(-7));
    assert_eq!(bound(json!(1.5)), Literal::Float(1.5));
    assert_eq!(bound(json!(u64::MAX)), Literal::Float(u64::MAX as f64));
    assert_eq!(bound(json!("it's")), string("it's"));
}

#[test]
fn names_may_be_keywords_and_dotted() {
    assert_eq!(
        expr("address.city == \"Tokyo\"", json!([])),
        cmp(data("address.city"), CompareOp::Eq, string("Tokyo"))
    );
    assert_eq!(
        expr("null == null && IN IN [] && a._b.c1 != 1", json!([])),
        Expr::And(vec![
            cmp(data("null"), CompareOp::Eq, Literal::Null),
            Expr::In {
                property: data("IN"),
                negated: false,
                values: vec![],
            },
            cmp(data("a._b.c1"), CompareOp::Ne, Literal::Int(1)),
        ])
    );
}

#[test]
fn blank_criteria_match_everything() {
    for blank in ["", "  ", "\n\t \r"] {
        let criteria = parse_item(blank, json!([])).expect("blank parses");
        assert_eq!(criteria, Criteria::match_all());
        assert!(criteria.matches(&Map::new()));
        assert_eq!(criteria.to_string(), "");
    }
    let error = failure("", json!([1]));
    assert_eq!(error.source, ErrorSource::BindParams);
    assert_eq!(
        error.message,
        "bindParams has 1 value but the criteria has no placeholders."
    );
}

#[test]
fn parse_property_for_sort_keys() {
    assert_eq!(parse_property("score", Scope::Item), Ok(data("score")));
    assert_eq!(
        parse_property("address.city", Scope::Item),
        Ok(data("address.city"))
    );
    assert_eq!(
        parse_property("_createdAt", Scope::Item),
        Ok(Property::System(SystemProperty::CreatedAt))
    );
    assert_eq!(
        parse_property("_oid", Scope::User),
        Ok(Property::System(SystemProperty::Id))
    );
    for bad in ["", "1a", "a b", "a.", ".a", "a..b", "a-b", "_nope", "_id.x"] {
        let error = parse_property(bad, Scope::Item).expect_err(bad);
        assert_eq!(error.source, ErrorSource::Criteria);
        assert_eq!(error.position, None);
    }
}

#[test]
fn system_property_names() {
    for (property, name) in [
        (SystemProperty::Id, "_id"),
        (SystemProperty::OwnerUserOid, "_ownerUserOid"),
        (SystemProperty::OwnerDeviceOid, "_ownerDeviceOid"),
        (SystemProperty::CreatedAt, "_createdAt"),
        (SystemProperty::UpdatedAt, "_updatedAt"),
        (SystemProperty::Username, "_username"),
    ] {
        assert_eq!(property.name(), name);
    }
}

// ---------------------------------------------------------------- errors

/// (criteria, bind params, source, position, a piece of the message)
fn error_cases() -> Vec<(
    &'static str,
    Value,
    ErrorSource,
    Option<usize>,
    &'static str,
)> {
    use ErrorSource::{BindParams as B, Criteria as C};
    vec![
        (
            "name == ",
            json!([]),
            C,
            Some(9),
            "Expected a value after \"==\" at position 9.",
        ),
        (
            "name = 1",
            json!([]),
            C,
            Some(6),
            "Unexpected \"=\" at position 6; compare with \"==\".",
        ),
        (
            "a == 1 & b == 2",
            json!([]),
            C,
            Some(8),
            "Unexpected \"&\" at position 8; use \"&&\".",
        ),
        ("a == 1 | b == 2", json!([]), C, Some(8), "use \"||\""),
        (
            "name == 'x'",
            json!([]),
            C,
            Some(9),
            "Unexpected single quote at position 9; strings must be in double quotes.",
        ),
        ("name == \"x", json!([]), C, Some(9), "Unterminated string"),
        (
            "a == \"\\q\"",
            json!([]),
            C,
            Some(7),
            "Invalid escape \"\\q\" in a string at position 7",
        ),
        (
            "a == \"\\u12\"",
            json!([]),
            C,
            Some(7),
            "Invalid \\u escape at position 7; expected four hexadecimal digits.",
        ),
        (
            "a == \"\\ud800\"",
            json!([]),
            C,
            Some(7),
            "Unpaired surrogate",
        ),
        (
            "a == \"\\udc00\"",
            json!([]),
            C,
            Some(7),
            "Unpaired surrogate",
        ),
        (
            "!a == 1",
            json!([]),
            C,
            Some(2),
            "\"!\" only negates a parenthesised group",
        ),
        (
            "a == 1 &&",
            json!([]),
            C,
            Some(10),
            "Expected a property name, \"(\" or \"!(\" at position 10.",
        ),
        (
            "a == 1 && && b == 1",
            json!([]),
            C,
            Some(11),
            "found \"&&\"",
        ),
        (
            "a == 1)",
            json!([]),
            C,
            Some(7),
            "Unexpected \")\" at position 7; it closes no group.",
        ),
        (
            "(a == 1",
            json!([]),
            C,
            Some(8),
            "Expected \")\" at position 8 to close the group opened at position 1.",
        ),
        (
            "a == 1 b == 2",
            json!([]),
            C,
            Some(8),
            "Expected \"&&\" or \"||\" at position 8, found \"b\"",
        ),
        (
            "a in [1]",
            json!([]),
            C,
            Some(3),
            "IN and NIN are upper case",
        ),
        (
            "a 1",
            json!([]),
            C,
            Some(3),
            "Expected an operator (==, !=, <, <=, >, >=, IN or NIN) after \"a\"",
        ),
        ("a", json!([]), C, Some(2), "Expected an operator"),
        (
            "a == b",
            json!([]),
            C,
            Some(6),
            "strings must be in double quotes",
        ),
        (
            "a == NULL",
            json!([]),
            C,
            Some(6),
            "null, true and false are lower case",
        ),
        (
            "a < null",
            json!([]),
            C,
            Some(5),
            "Cannot order by null with \"<\" at position 5",
        ),
        ("a >= true", json!([]), C, Some(6), "Cannot order by true"),
        ("a < [1]", json!([]), C, Some(5), "Cannot order by a list"),
        ("a == [1]", json!([]), C, Some(6), "use IN or NIN"),
        ("a != [1]", json!([]), C, Some(6), "use IN or NIN"),
        (
            "a IN [[1]]",
            json!([]),
            C,
            Some(7),
            "Unexpected \"[\" at position 7; lists cannot be nested.",
        ),
        (
            "a IN [1,]",
            json!([]),
            C,
            Some(9),
            "Expected a value at position 9, found \"]\"",
        ),
        (
            "a IN [1 2]",
            json!([]),
            C,
            Some(9),
            "Expected \",\" or \"]\"",
        ),
        (
            "a IN 1",
            json!([]),
            C,
            Some(6),
            "Expected a list (\"[…]\" or \"?\") after \"IN\"",
        ),
        ("a NIN", json!([]), C, Some(6), "after \"NIN\""),
        (
            "_foo == 1",
            json!([]),
            C,
            Some(1),
            "Unknown system property \"_foo\" at position 1; collection items have _id, _ownerUserOid, _ownerDeviceOid, _createdAt, _updatedAt.",
        ),
        (
            "a == 1 && _id.x == 1",
            json!([]),
            C,
            Some(11),
            "has no nested properties",
        ),
        (
            "a..b == 1",
            json!([]),
            C,
            Some(3),
            "Expected a property name after \".\"",
        ),
        ("a. == 1", json!([]), C, Some(3), "after \".\""),
        ("a.1 == 1", json!([]), C, Some(3), "after \".\""),
        (
            "a == 1.",
            json!([]),
            C,
            Some(8),
            "Expected a digit after the decimal point",
        ),
        (
            "a == .5",
            json!([]),
            C,
            Some(6),
            "Unexpected character \".\"",
        ),
        ("a == 1e", json!([]), C, Some(8), "after the exponent"),
        ("a == 12abc", json!([]), C, Some(6), "Invalid number"),
        (
            "a == -",
            json!([]),
            C,
            Some(7),
            "Expected a digit after \"-\"",
        ),
        (
            "a == 1e999",
            json!([]),
            C,
            Some(6),
            "The number 1e999 at position 6; it is out of range.",
        ),
        (
            "a == 1 # 2",
            json!([]),
            C,
            Some(8),
            "Unexpected character \"#\"",
        ),
        (
            "a == 1 &&\u{a0}b == 1",
            json!([]),
            C,
            Some(10),
            "Unexpected character U+00A0",
        ),
        // The leftmost problem is reported, even when lexing fails further right.
        (
            "a == && b == 'x'",
            json!([]),
            C,
            Some(6),
            "Expected a value after \"==\"",
        ),
        ("a == 1 && b == 'x'", json!([]), C, Some(16), "single quote"),
        (
            "(a == 1 && b == 'x'",
            json!([]),
            C,
            Some(17),
            "single quote",
        ),
        (
            "a == ?",
            json!([]),
            B,
            Some(6),
            "No value in bindParams for the \"?\" at position 6; bindParams has 0 values.",
        ),
        (
            "a == ? && b == ?",
            json!([1]),
            B,
            Some(16),
            "bindParams has 1 value.",
        ),
        (
            "a == ?",
            json!([1, 2]),
            B,
            None,
            "bindParams has 2 values but the criteria has only 1 placeholder.",
        ),
        (
            "a == 1",
            json!([1]),
            B,
            None,
            "bindParams has 1 value but the criteria has no placeholders.",
        ),
        (
            "a == ?",
            json!([{"x": 1}]),
            B,
            Some(6),
            "bindParams[0] (for the \"?\" at position 6) is an object",
        ),
        (
            "a == ?",
            json!([[1]]),
            B,
            Some(6),
            "is a list; lists are only allowed after IN or NIN",
        ),
        (
            "a < ?",
            json!([null]),
            B,
            Some(5),
            "is null, which cannot be ordered with \"<\"",
        ),
        (
            "a >= ?",
            json!([false]),
            B,
            Some(6),
            "is false, which cannot be ordered",
        ),
        (
            "a IN ?",
            json!(["x"]),
            B,
            Some(6),
            "bindParams[0] (for the \"?\" at position 6) is a string, but IN needs a list.",
        ),
        (
            "a NIN ?",
            json!([{}]),
            B,
            Some(7),
            "is an object, but NIN needs a list",
        ),
        (
            "a IN ?",
            json!([[1, [2]]]),
            B,
            Some(6),
            "bindParams[0][1] (in the list for the \"?\" at position 6) is a list; lists cannot be nested.",
        ),
        (
            "a IN ?",
            json!([[{"a": 1}]]),
            B,
            Some(6),
            "bindParams[0][0]",
        ),
        (
            "a IN [1, ?]",
            json!([[2]]),
            B,
            Some(10),
            "lists cannot be nested",
        ),
        ("a IN [1, ?]", json!([{}]), B, Some(10), "is an object"),
    ]
}

#[test]
fn every_error_names_its_field_and_position() {
    for (criteria, binds, source, position, message) in error_cases() {
        let error = failure(criteria, binds);
        assert_eq!(error.source, source, "{criteria:?}: {}", error.message);
        assert_eq!(error.position, position, "{criteria:?}: {}", error.message);
        assert!(
            error.message.contains(message),
            "{criteria:?}: {:?} does not contain {message:?}",
            error.message
        );
        assert_eq!(error.to_string(), error.message);
    }
}

#[test]
fn positions_count_characters_not_bytes() {
    let error = failure("名前 == 1", json!([]));
    assert_eq!(error.position, Some(1));
    let error = failure(r#"a == "日本" &&"#, json!([]));
    assert_eq!(error.position, Some(13));
}

#[test]
fn errors_become_invalid_fields() {
    let crate::Error::Invalid(problems) = crate::Error::from(failure("a == ?", json!([]))) else {
        panic!("a criteria error is an invalid field");
    };
    assert_eq!(problems[0].field, "bindParams");
    let crate::Error::Invalid(problems) = crate::Error::from(failure("a ==", json!([]))) else {
        panic!("a criteria error is an invalid field");
    };
    assert_eq!(problems[0].field, "criteria");
}

// ---------------------------------------------------------------- limits

#[test]
fn criteria_length_is_limited() {
    let long = format!("a == \"{}\"", "x".repeat(MAX_CRITERIA_CHARS - 7));
    assert_eq!(long.chars().count(), MAX_CRITERIA_CHARS);
    assert!(parse_item(&long, json!([])).is_ok());
    let too_long = format!("a == \"{}\"", "x".repeat(MAX_CRITERIA_CHARS - 6));
    let error = failure(&too_long, json!([]));
    assert_eq!(error.position, None);
    assert_eq!(
        error.message,
        "The criteria may have at most 10000 characters; it has 10001."
    );
}

#[test]
fn nesting_is_limited() {
    let nested =
        |depth: usize, open: &str| format!("{}a == 1{}", open.repeat(depth), ")".repeat(depth));
    assert!(parse_item(&nested(MAX_DEPTH, "("), json!([])).is_ok());
    assert!(parse_item(&nested(MAX_DEPTH, "!("), json!([])).is_ok());
    let error = failure(&nested(MAX_DEPTH + 1, "("), json!([]));
    assert_eq!(error.position, Some(MAX_DEPTH + 1));
    assert!(
        error.message.contains("at most 32 deep"),
        "{}",
        error.message
    );
    let error = failure(&nested(MAX_DEPTH + 1, "!("), json!([]));
    assert_eq!(error.position, Some(2 * MAX_DEPTH + 2));
    // Far deeper than any stack would take unbounded.
    let error = failure(&"(".repeat(MAX_CRITERIA_CHARS), json!([]));
    assert_eq!(error.position, Some(MAX_DEPTH + 1));
    let error = failure(&"!(".repeat(MAX_CRITERIA_CHARS / 2), json!([]));
    assert_eq!(error.position, Some(2 * MAX_DEPTH + 2));
}

#[test]
fn comparisons_are_limited() {
    let many = |n: usize| {
        (0..n)
            .map(|i| format!("a{i} == 1"))
            .collect::<Vec<_>>()
            .join(" || ")
    };
    assert!(parse_item(&many(MAX_COMPARISONS), json!([])).is_ok());
    let text = many(MAX_COMPARISONS + 1);
    let error = failure(&text, json!([]));
    let last = text.rfind("a256").expect("the last comparison is there") + 1;
    assert_eq!(error.position, Some(last));
    assert!(error.message.contains("at most 256 comparisons"));
}

#[test]
fn lists_are_limited() {
    let written = |n: usize| format!("a IN [{}]", vec!["1"; n].join(","));
    assert!(parse_item(&written(MAX_LIST_VALUES), json!([])).is_ok());
    let error = failure(&written(MAX_LIST_VALUES + 1), json!([]));
    assert_eq!(error.source, ErrorSource::Criteria);
    assert_eq!(error.position, Some(7 + 2 * MAX_LIST_VALUES));
    assert!(error.message.contains("at most 1000 values"));

    let bound = |n: usize| json!([vec![1; n]]);
    assert!(parse_item("a IN ?", bound(MAX_LIST_VALUES)).is_ok());
    let error = failure("a IN ?", bound(MAX_LIST_VALUES + 1));
    assert_eq!(error.source, ErrorSource::BindParams);
    assert!(
        error
            .message
            .contains("has 1001 values; a list may have at most 1000")
    );

    let lists = MAX_TOTAL_LIST_VALUES / MAX_LIST_VALUES;
    let text = vec!["a IN ?"; lists + 1].join(" || ");
    let binds = Value::Array(vec![json!(vec![1; MAX_LIST_VALUES]); lists + 1]);
    let error = failure(&text, binds.clone());
    assert!(error.message.contains("at most 10000 values together"));
    assert_eq!(error.source, ErrorSource::BindParams);
    assert_eq!(error.position, Some(10 * lists + 6));
    let Value::Array(mut fewer) = binds else {
        unreachable!()
    };
    fewer.pop();
    let text = vec!["a IN ?"; lists].join(" || ");
    assert!(parse(&text, &fewer, Scope::Item).is_ok());
}

#[test]
fn strings_are_limited() {
    let at_limit = "é".repeat(MAX_STRING_CHARS);
    assert!(parse_item("a == ?", json!([at_limit])).is_ok());
    let over = "x".repeat(MAX_STRING_CHARS + 1);
    let error = failure("a == ?", json!([over.clone()]));
    assert_eq!(error.source, ErrorSource::BindParams);
    assert!(error.message.contains("strings may have at most 10000"));
    let error = failure("a IN ?", json!([[over]]));
    assert_eq!(error.source, ErrorSource::BindParams);
}

// ---------------------------------------------------------------- evaluator

fn document() -> Map<String, Value> {
    let Value::Object(map) = json!({
        "i": 1,
        "f": 1.5,
        "whole": 2.0,
        "s": "x",
        "t": true,
        "no": false,
        "n": null,
        "arr": [1, "x"],
        "obj": {"x": 1},
        "nested": {"x": 5, "deep": {"y": "z"}},
        "_id": "item1",
        "_ownerUserOid": null,
        "_createdAt": 1000,
    }) else {
        unreachable!()
    };
    map
}

#[test]
fn evaluator_truth_table() {
    let cases = [
        // numbers: int and float compare numerically
        ("i == 1", true),
        ("i == 1.0", true),
        ("whole == 2", true),
        ("f == 1.5", true),
        ("f > 1", true),
        ("f < 2", true),
        ("i >= 1 && i <= 1", true),
        ("i > 1", false),
        ("i != 1", false),
        ("i != 2", true),
        // types never mix
        ("i == \"1\"", false),
        ("s == 1", false),
        ("t == 1", false),
        ("t == true", true),
        ("t == false", false),
        ("no == false", true),
        ("i == true", false),
        ("s > 1", false),
        ("i < \"a\"", false),
        ("i > \"\"", false),
        // strings: exact, ordered by code point
        ("s == \"x\"", true),
        ("s == \"X\"", false),
        ("s > \"w\"", true),
        ("s < \"xa\"", true),
        ("s >= \"x\" && s <= \"x\"", true),
        ("s < \"é\"", true),
        // null matches null or missing
        ("n == null", true),
        ("missing == null", true),
        ("i == null", false),
        ("n != null", false),
        ("missing != null", false),
        ("i != null", true),
        ("n == 0", false),
        ("n == false", false),
        // a missing property is different from anything but null
        ("missing == 1", false),
        ("missing != 1", true),
        ("missing > 0", false),
        ("missing <= 0", false),
        ("!(missing > 0)", true),
        // arrays and objects never equal a scalar, not even their elements
        ("arr == 1", false),
        ("arr != 1", true),
        ("arr IN [1, \"x\"]", false),
        ("arr == null", false),
        ("obj == null", false),
        ("obj.x == 1", true),
        // nested paths
        ("nested.x == 5", true),
        ("nested.deep.y == \"z\"", true),
        ("nested.deep.y.z == null", true),
        ("nested.x.y == null", true),
        ("arr.x == null", true),
        ("s.x == null", true),
        // IN / NIN
        ("i IN [3, 1.0]", true),
        ("i IN [\"1\", true]", false),
        ("i IN []", false),
        ("i NIN []", true),
        ("missing IN [null]", true),
        ("missing NIN [1, 2]", true),
        ("s NIN [\"x\"]", false),
        // logic
        ("i == 1 && s == \"x\"", true),
        ("i == 1 && s == \"y\"", false),
        ("i == 2 || s == \"x\"", true),
        ("!(i == 1)", false),
        ("!(i == 2 || s == \"y\")", true),
        ("i == 2 || s == \"y\" && t == true", false),
        ("(i == 1 || s == \"y\") && t == true", true),
        // system properties
        ("_id == \"item1\"", true),
        ("_id != \"item1\"", false),
        ("_ownerUserOid == null", true),
        ("_ownerDeviceOid == null", true),
        ("_ownerDeviceOid != \"d\"", true),
        ("_createdAt > 999 && _createdAt < 1000.5", true),
        ("_createdAt == \"1000\"", false),
    ];
    let document = document();
    for (criteria, expected) in cases {
        let parsed = parse_item(criteria, json!([])).expect(criteria);
        assert_eq!(parsed.matches(&document), expected, "{criteria}");
        let negated = parse_item(&format!("!({criteria})"), json!([])).expect(criteria);
        assert_eq!(negated.matches(&document), !expected, "!({criteria})");
    }
}

#[test]
fn hand_built_degenerate_trees() {
    let document = document();
    assert!(Expr::And(vec![]).matches(&document));
    assert!(!Expr::Or(vec![]).matches(&document));
    for expr in [Expr::And(vec![]), Expr::Or(vec![])] {
        let reparsed = parse_item(&expr.to_string(), json!([])).expect("prints valid MonaQL");
        assert_eq!(reparsed.matches(&document), expr.matches(&document));
    }
    let nan = cmp(data("i"), CompareOp::Ne, Literal::Float(f64::NAN));
    assert!(nan.matches(&document));
    let ordered_null = cmp(data("n"), CompareOp::Le, Literal::Null);
    assert!(!ordered_null.matches(&document));
}

#[test]
fn integers_and_floats_compare_exactly() {
    let Value::Object(document) = json!({"big": 9_007_199_254_740_993_i64, "max": i64::MAX}) else {
        unreachable!()
    };
    let check = |criteria: &str, expected: bool| {
        let parsed = parse_item(criteria, json!([])).expect(criteria);
        assert_eq!(parsed.matches(&document), expected, "{criteria}");
    };
    // 2^53 + 1 is not 2^53, although it converts to that float.
    check("big == 9007199254740992.0", false);
    check("big > 9007199254740992.0", true);
    check("max < 9223372036854775808.0", true);
    check("max == 9223372036854775807", true);
    check("big < 9007199254740993.5", true);
    check("big > -1e300", true);
}

// ---------------------------------------------------------------- printing

#[test]
fn display_prints_parseable_monaql() {
    let cases = [
        (
            "a == 12 && !(b == 34 || c == 56)",
            "a == 12 && !(b == 34 || c == 56)",
        ),
        ("(a==1&&b==2)&&c==3", "(a == 1 && b == 2) && c == 3"),
        ("a==1||b==2&&c==3", "a == 1 || b == 2 && c == 3"),
        ("(a==1||b==2)&&c==3", "(a == 1 || b == 2) && c == 3"),
        ("(a==1||b==2)||c==3", "(a == 1 || b == 2) || c == 3"),
        (
            "a == 1.0 && b == -0.5 && c == 1e20",
            "a == 1.0 && b == -0.5 && c == 1e20",
        ),
        (r#"s == "q\"\\\n" "#, r#"s == "q\"\\\n""#),
        (
            r#"s IN [1, "x", null, true] && t NIN []"#,
            r#"s IN [1, "x", null, true] && t NIN []"#,
        ),
        ("_createdAt >= 5", "_createdAt >= 5"),
    ];
    for (input, printed) in cases {
        let parsed = parse_item(input, json!([])).expect(input);
        assert_eq!(parsed.to_string(), printed);
        assert_eq!(parse_item(printed, json!([])), Ok(parsed));
    }
}

fn arb_property() -> impl Strategy<Value = Property> {
    prop_oneof![
        prop::sample::select(Scope::Item.system_properties().to_vec()).prop_map(Property::System),
        prop::collection::vec("[a-zA-Z][a-zA-Z0-9_]{0,4}", 1..=3).prop_map(Property::Data),
    ]
}

fn arb_orderable() -> impl Strategy<Value = Literal> {
    prop_oneof![
        any::<i64>().prop_map(Literal::Int),
        (prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO)
            .prop_map(Literal::Float),
        ".{0,8}".prop_map(Literal::String),
    ]
}

fn arb_scalar() -> impl Strategy<Value = Literal> {
    prop_oneof![
        Just(Literal::Null),
        any::<bool>().prop_map(Literal::Bool),
        arb_orderable(),
    ]
}

fn arb_expr() -> impl Strategy<Value = Expr> {
    let equality = prop::sample::select(vec![CompareOp::Eq, CompareOp::Ne]);
    let ordering = prop::sample::select(vec![
        CompareOp::Lt,
        CompareOp::Le,
        CompareOp::Gt,
        CompareOp::Ge,
    ]);
    let leaf = prop_oneof![
        (arb_property(), equality, arb_scalar()).prop_map(|(property, op, value)| {
            Expr::Compare {
                property,
                op,
                value,
            }
        }),
        (arb_property(), ordering, arb_orderable()).prop_map(|(property, op, value)| {
            Expr::Compare {
                property,
                op,
                value,
            }
        }),
        (
            arb_property(),
            any::<bool>(),
            prop::collection::vec(arb_scalar(), 0..4)
        )
            .prop_map(|(property, negated, values)| Expr::In {
                property,
                negated,
                values,
            }),
    ];
    leaf.prop_recursive(5, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
            inner.prop_map(|e| Expr::Not(Box::new(e))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn display_round_trips(expr in arb_expr()) {
        let text = expr.to_string();
        let parsed = parse(&text, &[], Scope::Item);
        prop_assert_eq!(parsed, Ok(Criteria::from_expr(expr)), "printed as {}", text);
    }

    /// Arbitrary token soup never panics, and whatever parses prints back to the same tree.
    #[test]
    fn parser_survives_garbage(
        pieces in prop::collection::vec(
            prop_oneof![
                prop::sample::select(vec![
                    "a", "b.c", "_id", "_x", "IN", "NIN", "in", "null", "true", "TRUE", "==", "!=", "<",
                    "<=", ">", ">=", "=", "&&", "||", "&", "!", "(", ")", "[", "]", ",", "?", "1", "-2.5",
                    "1e3", "-", ".", "\"s\"", "\"", "'", "\\", "\\u", " ", "日",
                ]).prop_map(str::to_owned),
                ".{0,3}",
            ],
            0..24,
        ),
        binds in prop::collection::vec(
            prop_oneof![Just(json!(1)), Just(json!("s")), Just(json!(null)), Just(json!([1, "a"])), Just(json!({}))],
            0..3,
        ),
    ) {
        let text = pieces.concat();
        if let Ok(criteria) = parse(&text, &binds, Scope::Item) {
            prop_assert_eq!(parse(&criteria.to_string(), &[], Scope::Item), Ok(criteria));
        }
    }
}
