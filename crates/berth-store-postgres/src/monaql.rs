//! Compiles MonaQL criteria to a PostgreSQL `WHERE` expression.
//!
//! The evaluator in `berth_core::monaql` defines the meaning; this must select exactly the rows it
//! accepts (checked by `tests/monaql_differential.rs`). Rows keep system properties in columns and data
//! properties in a `jsonb` column.
//!
//! How the two-valued semantics survive SQL:
//! - every emitted expression is TRUE or FALSE, never NULL, so `NOT`, `!=` and `NIN` are plain
//!   negations: each comparison is `(comparison AND guard)`, where the guard is FALSE whenever the
//!   comparison could be NULL or compares values of different JSON types (`NULL AND FALSE` is FALSE);
//! - a data property is the `jsonb` value `(data->'a'->'b')`, compared with a bound `jsonb` value:
//!   `jsonb` compares numbers as exact decimals (see `json.rs` for how floats are written so that this
//!   is the evaluator's exact comparison) and never calls values of different types equal;
//! - strings are ordered byte-wise as the evaluator does, with `COLLATE "C"` on the extracted text
//!   (`jsonb`'s own string order follows the database's collation); text columns are `COLLATE "C"`;
//! - `IN` lists are one bound `jsonb[]` (or `text[]`, `bigint[]`) per list: `x = ANY($1)`.
//!
//! The bare `(data->'score') > $1::jsonb` (and `= ANY`) stays a conjunct of its own, so an expression
//! index on `(data->'score')` serves number filters, and equality on strings and booleans; ordering
//! comparisons on strings are not served by it. Values are always bound; JSON paths are written into
//! the SQL text, which is safe because path segments are `[A-Za-z_][A-Za-z0-9_]*` (asserted here) and
//! needed because an expression index only matches a literal path.
//!
//! PostgreSQL cannot store U+0000 in text, so no stored string holds it: a string literal with it
//! equals nothing, and orders like its part before the U+0000 (see [`nul_free`]).

use std::cmp::Ordering;

use berth_core::monaql::{
    CompareOp, Criteria, Expr, Literal, Property, SystemProperty, is_identifier,
};
use serde_json::{Number, Value};
use sqlx::{Postgres, QueryBuilder};

use crate::json::number_text;

/// How a system property's column compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// `text COLLATE "C"`; only string literals (and `null`) can match.
    Text,
    /// `bigint` (timestamps in milliseconds); only number literals (and `null`) can match.
    Integer,
}

/// Where one table keeps the properties a criteria may name. Column names are written into the SQL
/// as given, so they must be trusted constants.
#[derive(Debug, Clone, Copy)]
pub struct ColumnMap {
    /// The `jsonb` column holding the data properties.
    pub data_column: &'static str,
    /// The column of a system property; `None` when the table has none: every comparison on it
    /// (even `== null`) is then false, so its negations (`!=`, `NIN`) are true.
    pub system: fn(SystemProperty) -> Option<(&'static str, ColumnType)>,
}

/// Appends a boolean SQL expression (TRUE or FALSE, never NULL) selecting the rows `criteria`
/// matches; `TRUE` when it matches everything.
pub fn push_criteria(
    builder: &mut QueryBuilder<Postgres>,
    criteria: &Criteria,
    columns: &ColumnMap,
) {
    match criteria.root() {
        None => {
            builder.push("TRUE");
        }
        Some(root) => push_expr(builder, root, columns),
    }
}

/// The SQL expression of a property, for `ORDER BY` and for expression indexes:
/// `(data->'score')` or a column name (`NULL` for a system property the table lacks).
pub fn property_sql(property: &Property, columns: &ColumnMap) -> String {
    match property {
        Property::System(system) => match (columns.system)(*system) {
            Some((column, _)) => column.to_owned(),
            None => "NULL".to_owned(),
        },
        Property::Data(segments) => json_value(columns.data_column, segments),
    }
}

/// `(data->'a'->'b')`: the `jsonb` value at a data path, NULL when missing.
pub fn json_value(data_column: &str, segments: &[String]) -> String {
    assert!(
        !segments.is_empty() && segments.iter().all(|s| is_identifier(s)),
        "data property paths are validated identifiers, never quoted: {segments:?}"
    );
    let mut sql = format!("({data_column}");
    for segment in segments {
        sql.push_str("->'");
        sql.push_str(segment);
        sql.push('\'');
    }
    sql.push(')');
    sql
}

/// Every pushed expression is a parenthesised group or a constant, so they nest without precedence
/// surprises.
fn push_expr(builder: &mut QueryBuilder<Postgres>, expr: &Expr, columns: &ColumnMap) {
    match expr {
        Expr::And(children) => push_joined(builder, children, " AND ", "TRUE", columns),
        Expr::Or(children) => push_joined(builder, children, " OR ", "FALSE", columns),
        Expr::Not(inner) => {
            builder.push("(NOT ");
            push_expr(builder, inner, columns);
            builder.push(")");
        }
        Expr::Compare {
            property,
            op: CompareOp::Ne,
            value,
        } => {
            builder.push("(NOT ");
            push_compare(builder, property, CompareOp::Eq, value, columns);
            builder.push(")");
        }
        Expr::Compare {
            property,
            op,
            value,
        } => push_compare(builder, property, *op, value, columns),
        Expr::In {
            property,
            negated,
            values,
        } => {
            if *negated {
                builder.push("(NOT ");
            }
            push_in(builder, property, values, columns);
            if *negated {
                builder.push(")");
            }
        }
    }
}

fn push_joined(
    builder: &mut QueryBuilder<Postgres>,
    children: &[Expr],
    separator: &str,
    empty: &str,
    columns: &ColumnMap,
) {
    if children.is_empty() {
        builder.push(empty);
        return;
    }
    builder.push("(");
    for (i, child) in children.iter().enumerate() {
        if i > 0 {
            builder.push(separator);
        }
        push_expr(builder, child, columns);
    }
    builder.push(")");
}

/// Where a property lives, resolved once per comparison.
enum Target {
    /// A `jsonb` value expression.
    Data(String),
    Column {
        name: &'static str,
        ty: ColumnType,
    },
    /// A system property the table does not have.
    Nowhere,
}

impl Target {
    fn of(property: &Property, columns: &ColumnMap) -> Self {
        match property {
            Property::System(system) => match (columns.system)(*system) {
                Some((name, ty)) => Target::Column { name, ty },
                None => Target::Nowhere,
            },
            Property::Data(segments) => Target::Data(json_value(columns.data_column, segments)),
        }
    }
}

/// The JSON text of a number literal as `jsonb` compares it; `None` for NaN (equal to nothing,
/// ordered against nothing; the parser never makes one).
fn number_literal(literal: &Literal) -> Option<String> {
    match literal {
        Literal::Int(i) => Some(i.to_string()),
        Literal::Float(f) => Number::from_f64(*f).map(|n| number_text(&n)),
        _ => None,
    }
}

/// A string literal without U+0000, or how it compares with every storable string.
enum NulFree<'a> {
    /// No U+0000: compare as it is.
    Plain(&'a str),
    /// Has one: equal to no stored string; `s < literal` exactly when `s <= prefix`, and
    /// `s > literal` exactly when `s > prefix`, `prefix` being the part before the first U+0000.
    Prefix(&'a str),
}

fn nul_free(text: &str) -> NulFree<'_> {
    match text.find('\0') {
        None => NulFree::Plain(text),
        Some(at) => NulFree::Prefix(&text[..at]),
    }
}

/// The operator and text to compare a storable string with, for an ordering `op` against `text`.
fn string_ordering(op: CompareOp, text: &str) -> (&'static str, &str) {
    match nul_free(text) {
        NulFree::Plain(text) => (sql_operator(op), text),
        NulFree::Prefix(prefix) => (
            match op {
                CompareOp::Lt | CompareOp::Le => "<=",
                _ => ">",
            },
            prefix,
        ),
    }
}

fn sql_operator(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Eq | CompareOp::Ne => "=",
        CompareOp::Lt => "<",
        CompareOp::Le => "<=",
        CompareOp::Gt => ">",
        CompareOp::Ge => ">=",
    }
}

/// `op` is never `Ne` here (compiled as `NOT` of `Eq`).
fn push_compare(
    builder: &mut QueryBuilder<Postgres>,
    property: &Property,
    op: CompareOp,
    literal: &Literal,
    columns: &ColumnMap,
) {
    let ordering = op.is_ordering();
    match (Target::of(property, columns), literal) {
        (Target::Nowhere, _) => {
            builder.push("FALSE");
        }

        (Target::Data(value), Literal::Null) if !ordering => {
            builder.push(format!("({value} IS NULL OR {value} = 'null'::jsonb)"));
        }
        (Target::Data(value), Literal::Bool(b)) if !ordering => {
            builder.push(format!("({value} = '{b}'::jsonb AND {value} IS NOT NULL)"));
        }
        (Target::Data(value), Literal::Int(_) | Literal::Float(_)) => {
            let Some(number) = number_literal(literal) else {
                builder.push("FALSE");
                return;
            };
            builder.push(format!("({value} {} ", sql_operator(op)));
            builder.push_bind(number);
            builder.push(format!(
                "::jsonb AND COALESCE(jsonb_typeof({value}) = 'number', FALSE))"
            ));
        }
        (Target::Data(value), Literal::String(text)) if !ordering => match nul_free(text) {
            NulFree::Plain(text) => {
                builder.push(format!("({value} = "));
                builder.push_bind(Value::from(text).to_string());
                builder.push(format!("::jsonb AND {value} IS NOT NULL)"));
            }
            NulFree::Prefix(_) => {
                builder.push("FALSE");
            }
        },
        (Target::Data(value), Literal::String(text)) => {
            let (operator, text) = string_ordering(op, text);
            builder.push(format!("(({value} #>> '{{}}') COLLATE \"C\" {operator} "));
            builder.push_bind(text.to_owned());
            builder.push(format!(
                " AND COALESCE(jsonb_typeof({value}) = 'string', FALSE))"
            ));
        }

        (Target::Column { name, .. }, Literal::Null) if !ordering => {
            builder.push(format!("({name} IS NULL)"));
        }
        (
            Target::Column {
                name,
                ty: ColumnType::Integer,
            },
            Literal::Int(i),
        ) => push_column_compare(builder, name, sql_operator(op), |b| {
            b.push_bind(*i);
        }),
        (
            Target::Column {
                name,
                ty: ColumnType::Integer,
            },
            Literal::Float(f),
        ) => match integer_bound(op, *f) {
            Bound::Always => {
                builder.push(format!("({name} IS NOT NULL)"));
            }
            Bound::Never => {
                builder.push("FALSE");
            }
            Bound::Compare(operator, bound) => {
                push_column_compare(builder, name, operator, |b| {
                    b.push_bind(bound);
                });
            }
        },
        (
            Target::Column {
                name,
                ty: ColumnType::Text,
            },
            Literal::String(text),
        ) => {
            let (operator, text) = if ordering {
                string_ordering(op, text)
            } else {
                match nul_free(text) {
                    NulFree::Plain(text) => ("=", text),
                    NulFree::Prefix(_) => {
                        builder.push("FALSE");
                        return;
                    }
                }
            };
            push_column_compare(builder, name, operator, |b| {
                b.push_bind(text.to_owned());
            });
        }

        // Ordering by null or a boolean, or a literal of the wrong type for the column.
        _ => {
            builder.push("FALSE");
        }
    }
}

/// `(column op $1 AND column IS NOT NULL)`: a NULL column makes it `NULL AND FALSE`, which is FALSE;
/// the bare comparison is what an index on the column serves.
fn push_column_compare(
    builder: &mut QueryBuilder<Postgres>,
    column: &str,
    operator: &str,
    bind: impl FnOnce(&mut QueryBuilder<Postgres>),
) {
    builder.push(format!("({column} {operator} "));
    bind(builder);
    builder.push(format!(" AND {column} IS NOT NULL)"));
}

/// An integer column compared with a float, as an exact comparison with an integer (which keeps the
/// column's index usable and avoids `bigint`-to-`float8` rounding).
#[derive(Debug, PartialEq)]
enum Bound {
    /// True for every (non-NULL) integer.
    Always,
    /// True for none.
    Never,
    Compare(&'static str, i64),
}

fn integer_bound(op: CompareOp, float: f64) -> Bound {
    // 2^63: the first float above every i64; -2^63 is i64::MIN itself.
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    if float.is_nan() {
        return Bound::Never;
    }
    // The whole number the comparison turns on, and how it sits against the i64 range.
    let (whole, operator) = match op {
        CompareOp::Eq | CompareOp::Ne => {
            if float.fract() != 0.0 {
                return Bound::Never;
            }
            (float, "=")
        }
        // x < f  <=>  x < ceil(f);  x >= f  <=>  x >= ceil(f)
        CompareOp::Lt => (float.ceil(), "<"),
        CompareOp::Ge => (float.ceil(), ">="),
        // x <= f  <=>  x <= floor(f);  x > f  <=>  x > floor(f)
        CompareOp::Le => (float.floor(), "<="),
        CompareOp::Gt => (float.floor(), ">"),
    };
    let position = if whole >= TWO_POW_63 {
        Ordering::Greater
    } else if whole < -TWO_POW_63 {
        Ordering::Less
    } else {
        Ordering::Equal
    };
    match (position, operator) {
        // In range: the conversion is exact.
        (Ordering::Equal, operator) => Bound::Compare(operator, whole as i64),
        (Ordering::Greater, "<" | "<=") | (Ordering::Less, ">" | ">=") => Bound::Always,
        _ => Bound::Never,
    }
}

/// `IN`: one `= ANY($1)` over the values that can match this target, plus `null` if listed.
fn push_in(
    builder: &mut QueryBuilder<Postgres>,
    property: &Property,
    literals: &[Literal],
    columns: &ColumnMap,
) {
    let null = literals.iter().any(|l| matches!(l, Literal::Null));
    match Target::of(property, columns) {
        Target::Nowhere => {
            builder.push("FALSE");
        }
        Target::Data(value) => {
            let values: Vec<String> = literals
                .iter()
                .filter_map(|literal| match literal {
                    Literal::Null => None,
                    Literal::Bool(b) => Some(b.to_string()),
                    Literal::Int(_) | Literal::Float(_) => number_literal(literal),
                    Literal::String(text) => match nul_free(text) {
                        NulFree::Plain(text) => Some(Value::from(text).to_string()),
                        NulFree::Prefix(_) => None,
                    },
                })
                .collect();
            push_any_or_null(builder, &value, values, "::jsonb[]", null, |value| {
                format!("{value} IS NULL OR {value} = 'null'::jsonb")
            });
        }
        Target::Column {
            name,
            ty: ColumnType::Text,
        } => {
            let values: Vec<String> = literals
                .iter()
                .filter_map(|literal| match literal {
                    Literal::String(text) => match nul_free(text) {
                        NulFree::Plain(text) => Some(text.to_owned()),
                        NulFree::Prefix(_) => None,
                    },
                    _ => None,
                })
                .collect();
            push_any_or_null(builder, name, values, "::text[]", null, |name| {
                format!("{name} IS NULL")
            });
        }
        Target::Column {
            name,
            ty: ColumnType::Integer,
        } => {
            let values: Vec<i64> = literals
                .iter()
                .filter_map(|literal| match literal {
                    Literal::Int(i) => Some(*i),
                    Literal::Float(f) => match integer_bound(CompareOp::Eq, *f) {
                        Bound::Compare(_, i) => Some(i),
                        _ => None,
                    },
                    _ => None,
                })
                .collect();
            push_any_or_null(builder, name, values, "::bigint[]", null, |name| {
                format!("{name} IS NULL")
            });
        }
    }
}

/// `((x = ANY($1::type[]) AND x IS NOT NULL) OR <null test>)`, leaving out an empty list or an
/// unlisted null; `FALSE` when both are left out.
fn push_any_or_null<T>(
    builder: &mut QueryBuilder<Postgres>,
    expr: &str,
    values: Vec<T>,
    array_type: &str,
    null: bool,
    null_test: impl FnOnce(&str) -> String,
) where
    T: for<'q> sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres> + Send + 'static,
    Vec<T>: for<'q> sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres>,
{
    match (values.is_empty(), null) {
        (true, false) => {
            builder.push("FALSE");
        }
        (true, true) => {
            builder.push(format!("({})", null_test(expr)));
        }
        (false, null) => {
            builder.push(format!("(({expr} = ANY("));
            builder.push_bind(values);
            builder.push(format!("{array_type}) AND {expr} IS NOT NULL)"));
            if null {
                builder.push(format!(" OR {}", null_test(expr)));
            }
            builder.push(")");
        }
    }
}

#[cfg(test)]
mod tests {
    use berth_core::monaql::{Scope, parse};
    use serde_json::json;

    use super::*;

    fn items_columns(property: SystemProperty) -> Option<(&'static str, ColumnType)> {
        match property {
            SystemProperty::Id => Some(("id", ColumnType::Text)),
            SystemProperty::OwnerUserOid => Some(("owner_user_oid", ColumnType::Text)),
            SystemProperty::CreatedAt => Some(("created_at", ColumnType::Integer)),
            _ => None,
        }
    }

    const ITEMS: ColumnMap = ColumnMap {
        data_column: "data",
        system: items_columns,
    };

    fn sql(criteria: &str, binds: serde_json::Value) -> String {
        let serde_json::Value::Array(binds) = binds else {
            panic!("bind params are an array");
        };
        let criteria = parse(criteria, &binds, Scope::Item).expect("criteria parses");
        let mut builder = QueryBuilder::<Postgres>::new("");
        push_criteria(&mut builder, &criteria, &ITEMS);
        builder.sql().as_str().to_owned()
    }

    #[test]
    fn comparisons_keep_an_indexable_conjunct() {
        assert_eq!(
            sql("score > ?", json!([10])),
            "((data->'score') > $1::jsonb AND COALESCE(jsonb_typeof((data->'score')) = 'number', FALSE))"
        );
        assert_eq!(
            sql("address.city == \"x\"", json!([])),
            "((data->'address'->'city') = $1::jsonb AND (data->'address'->'city') IS NOT NULL)"
        );
        assert_eq!(
            sql("name < \"x\"", json!([])),
            "(((data->'name') #>> '{}') COLLATE \"C\" < $1 AND COALESCE(jsonb_typeof((data->'name')) = 'string', FALSE))"
        );
        assert_eq!(
            sql("a IN [1, \"x\", null, true]", json!([])),
            "(((data->'a') = ANY($1::jsonb[]) AND (data->'a') IS NOT NULL) OR (data->'a') IS NULL OR (data->'a') = 'null'::jsonb)"
        );
    }

    #[test]
    fn values_are_always_bound() {
        let text = sql(
            r#"a == "'; DROP TABLE items; --" || b IN [1, "x"] || _id == "q" || c < "z""#,
            json!([]),
        );
        assert!(!text.contains("DROP"), "{text}");
        assert!(!text.contains("\"x\""), "{text}");
        assert!(!text.contains('q') && !text.contains('z'), "{text}");
    }

    #[test]
    fn system_columns() {
        assert_eq!(
            sql("_id == ?", json!(["i"])),
            "(id = $1 AND id IS NOT NULL)"
        );
        assert_eq!(sql("_id != null", json!([])), "(NOT (id IS NULL))");
        assert_eq!(sql("_id == 1", json!([])), "FALSE");
        assert_eq!(
            sql("_createdAt >= 5", json!([])),
            "(created_at >= $1 AND created_at IS NOT NULL)"
        );
        assert_eq!(sql("_createdAt == \"5\"", json!([])), "FALSE");
        assert_eq!(sql("_ownerDeviceOid == \"d\"", json!([])), "FALSE");
        assert_eq!(sql("_ownerDeviceOid != \"d\"", json!([])), "(NOT FALSE)");
        assert_eq!(
            sql("_id IN [1, \"a\", null, true]", json!([])),
            "((id = ANY($1::text[]) AND id IS NOT NULL) OR id IS NULL)"
        );
        assert_eq!(sql("_createdAt NIN [\"a\"]", json!([])), "(NOT FALSE)");
    }

    #[test]
    fn floats_against_integer_columns_become_integer_bounds() {
        assert_eq!(
            integer_bound(CompareOp::Gt, 1999.5),
            Bound::Compare(">", 1999)
        );
        assert_eq!(
            integer_bound(CompareOp::Ge, 1999.5),
            Bound::Compare(">=", 2000)
        );
        assert_eq!(integer_bound(CompareOp::Lt, -0.5), Bound::Compare("<", 0));
        assert_eq!(integer_bound(CompareOp::Le, -0.5), Bound::Compare("<=", -1));
        assert_eq!(integer_bound(CompareOp::Eq, 1.5), Bound::Never);
        assert_eq!(
            integer_bound(CompareOp::Eq, 1000.0),
            Bound::Compare("=", 1000)
        );
        assert_eq!(integer_bound(CompareOp::Lt, 1e19), Bound::Always);
        assert_eq!(integer_bound(CompareOp::Ge, 1e19), Bound::Never);
        assert_eq!(integer_bound(CompareOp::Gt, -1e19), Bound::Always);
        assert_eq!(integer_bound(CompareOp::Le, -1e19), Bound::Never);
        assert_eq!(
            integer_bound(CompareOp::Lt, -9_223_372_036_854_775_808.0),
            Bound::Compare("<", i64::MIN)
        );
    }

    #[test]
    fn strings_with_nul_compare_by_their_prefix() {
        assert_eq!(sql("_id == ?", json!(["a\u{0}b"])), "FALSE");
        assert_eq!(
            sql("_id < ?", json!(["a\u{0}b"])),
            "(id <= $1 AND id IS NOT NULL)"
        );
        assert_eq!(
            sql("_id >= ?", json!(["a\u{0}b"])),
            "(id > $1 AND id IS NOT NULL)"
        );
        assert_eq!(sql("a == ?", json!(["\u{0}"])), "FALSE");
    }

    #[test]
    fn constants() {
        assert_eq!(sql("", json!([])), "TRUE");
        assert_eq!(sql("a IN []", json!([])), "FALSE");
        assert_eq!(sql("a NIN []", json!([])), "(NOT FALSE)");
        let mut builder = QueryBuilder::<Postgres>::new("");
        push_criteria(&mut builder, &Criteria::from_expr(Expr::Or(vec![])), &ITEMS);
        assert_eq!(builder.sql().as_str(), "FALSE");
    }

    #[test]
    fn order_by_expressions() {
        let property =
            |name| berth_core::monaql::parse_property(name, Scope::Item).expect("valid property");
        assert_eq!(property_sql(&property("score"), &ITEMS), "(data->'score')");
        assert_eq!(
            property_sql(&property("a.b_c"), &ITEMS),
            "(data->'a'->'b_c')"
        );
        assert_eq!(property_sql(&property("_createdAt"), &ITEMS), "created_at");
        assert_eq!(property_sql(&property("_updatedAt"), &ITEMS), "NULL");
    }

    #[test]
    #[should_panic(expected = "validated identifiers")]
    fn hand_built_paths_are_checked() {
        let evil = Property::Data(vec!["a') OR 1 --".to_owned()]);
        property_sql(&evil, &ITEMS);
    }
}
