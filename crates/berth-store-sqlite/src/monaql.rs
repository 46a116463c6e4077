//! Compiles MonaQL criteria to a SQLite `WHERE` expression.
//!
//! The evaluator in `berth_core::monaql` defines the meaning; this must select exactly the rows it
//! accepts (checked by `tests/monaql_differential.rs`). Rows keep system properties in columns and data
//! properties in a JSON text column.
//!
//! How the two-valued semantics survive SQL:
//! - every emitted expression is 0 or 1, never NULL, so `NOT`, `!=` and `NIN` are plain negations;
//! - `json_extract` alone cannot tell `true` from `1` or a string from an object's JSON text, so each
//!   comparison is guarded by `json_type`, wrapped in `COALESCE` so that a missing property makes the
//!   guard 0 (and `NULL AND 0` is 0);
//! - the comparison itself stays a bare `json_extract(data, '$.p') > ?` conjunct, so an expression
//!   index on `json_extract(data, '$.p')` serves it.
//!
//! Values are always bound; floats compared with data are bound as JSON text, which assumes the data
//! column was written by serde_json (see `push_json_number`). JSON paths are written into the SQL
//! text, which is safe because path segments are `[A-Za-z_][A-Za-z0-9_]*` (asserted here) and needed
//! because SQLite only matches an expression index against a literal path.

use berth_core::monaql::{
    CompareOp, Criteria, Expr, Literal, Property, SystemProperty, is_identifier,
};
use sqlx::{QueryBuilder, Sqlite};

/// How a system property's column compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// Compared as text; only string literals (and `null`) can match.
    Text,
    /// Compared as a number (timestamps in milliseconds); only number literals (and `null`) can match.
    Integer,
}

/// Where one table keeps the properties a criteria may name. Column names are written into the SQL
/// as given, so they must be trusted constants.
#[derive(Debug, Clone, Copy)]
pub struct ColumnMap {
    /// The JSON text column holding the data properties.
    pub data_column: &'static str,
    /// The column of a system property; `None` when the table has none: every comparison on it
    /// (even `== null`) is then false, so its negations (`!=`, `NIN`) are true.
    pub system: fn(SystemProperty) -> Option<(&'static str, ColumnType)>,
}

/// Appends a boolean SQL expression (0 or 1, never NULL) selecting the rows `criteria` matches;
/// `1` when it matches everything.
pub fn push_criteria(builder: &mut QueryBuilder<Sqlite>, criteria: &Criteria, columns: &ColumnMap) {
    match criteria.root() {
        None => {
            builder.push("1");
        }
        Some(root) => push_expr(builder, root, columns),
    }
}

/// The SQL expression of a property, for `ORDER BY`: `json_extract(data, '$.score')` or a column
/// name (`NULL` for a system property the table lacks).
pub fn property_sql(property: &Property, columns: &ColumnMap) -> String {
    match property {
        Property::System(system) => match (columns.system)(*system) {
            Some((column, _)) => column.to_owned(),
            None => "NULL".to_owned(),
        },
        Property::Data(segments) => json_extract(columns.data_column, &json_path(segments)),
    }
}

/// Every pushed expression is a parenthesised group or a constant, so they nest without precedence
/// surprises.
fn push_expr(builder: &mut QueryBuilder<Sqlite>, expr: &Expr, columns: &ColumnMap) {
    match expr {
        Expr::And(children) => push_joined(builder, children, " AND ", "1", columns),
        Expr::Or(children) => push_joined(builder, children, " OR ", "0", columns),
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
    builder: &mut QueryBuilder<Sqlite>,
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
    Data {
        value: String,
        kind: String,
    },
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
            Property::Data(segments) => {
                let path = json_path(segments);
                Target::Data {
                    value: json_extract(columns.data_column, &path),
                    kind: format!("json_type({}, {path})", columns.data_column),
                }
            }
        }
    }
}

/// What kind of SQL value a literal binds as, or why it matches nothing.
enum Bound<'a> {
    Number(NumberValue),
    Text(&'a str),
    Null,
    Bool(bool),
    /// NaN: equal to nothing, ordered against nothing.
    Nothing,
}

#[derive(Clone, Copy)]
enum NumberValue {
    Int(i64),
    Float(f64),
}

fn classify(literal: &Literal) -> Bound<'_> {
    match literal {
        Literal::Null => Bound::Null,
        Literal::Bool(b) => Bound::Bool(*b),
        Literal::Int(i) => Bound::Number(NumberValue::Int(*i)),
        Literal::Float(f) if f.is_nan() => Bound::Nothing,
        Literal::Float(f) => Bound::Number(NumberValue::Float(*f)),
        Literal::String(s) => Bound::Text(s),
    }
}

/// A number compared with a column: bound as it is (SQLite compares integers and floats exactly).
fn push_number(builder: &mut QueryBuilder<Sqlite>, number: NumberValue) {
    match number {
        NumberValue::Int(i) => builder.push_bind(i),
        NumberValue::Float(f) => builder.push_bind(f),
    };
}

/// A number compared with a JSON data value. A finite float is bound as its JSON text and parsed by
/// SQLite's JSON reader, like the stored data: the bundled SQLite does not round every decimal text to
/// the nearest double (it misses by one unit in the last place for some exponents beyond ±80), so
/// `n == 1e-100` would not find a stored `1e-100` if the literal arrived as an exact f64. Documents are
/// written by serde_json, which prints the same shortest text for the same value, so both sides
/// become the same double. (`json_extract` rather than `CAST(? AS REAL)`: a CAST carries REAL
/// affinity, which stops SQLite from using an expression index on `json_extract(data, '$.p')`.)
fn push_json_number(builder: &mut QueryBuilder<Sqlite>, number: NumberValue) {
    match number {
        NumberValue::Float(f) if f.is_finite() => {
            builder.push("json_extract(");
            builder.push_bind(serde_json::Value::from(f).to_string());
            builder.push(", '$')");
        }
        other => push_number(builder, other),
    }
}

const NUMBER_GUARD: &str = "IN ('integer', 'real')";

/// `op` is never `Ne` here (compiled as `NOT` of `Eq`).
fn push_compare(
    builder: &mut QueryBuilder<Sqlite>,
    property: &Property,
    op: CompareOp,
    literal: &Literal,
    columns: &ColumnMap,
) {
    let sql_op = match op {
        CompareOp::Eq | CompareOp::Ne => "=",
        CompareOp::Lt => "<",
        CompareOp::Le => "<=",
        CompareOp::Gt => ">",
        CompareOp::Ge => ">=",
    };
    let ordering = op.is_ordering();
    match (Target::of(property, columns), classify(literal)) {
        (Target::Nowhere, _) | (_, Bound::Nothing) => {
            builder.push("0");
        }

        (Target::Data { kind, .. }, Bound::Null) if !ordering => {
            builder.push(format!("(COALESCE({kind}, 'null') = 'null')"));
        }
        (Target::Data { kind, .. }, Bound::Bool(b)) if !ordering => {
            builder.push(format!("({kind} IS '{b}')"));
        }
        (Target::Data { value, kind }, Bound::Number(number)) => {
            builder.push(format!("({value} {sql_op} "));
            push_json_number(builder, number);
            builder.push(format!(" AND COALESCE({kind}, '') {NUMBER_GUARD})"));
        }
        (Target::Data { value, kind }, Bound::Text(text)) => {
            builder.push(format!("({value} {sql_op} "));
            builder.push_bind(text.to_owned());
            builder.push(format!(" AND {kind} IS 'text')"));
        }

        (Target::Column { name, .. }, Bound::Null) if !ordering => {
            builder.push(format!("({name} IS NULL)"));
        }
        (
            Target::Column {
                name,
                ty: ColumnType::Integer,
            },
            Bound::Number(number),
        ) => {
            push_column_compare(builder, name, ordering, sql_op, |b| push_number(b, number));
        }
        (
            Target::Column {
                name,
                ty: ColumnType::Text,
            },
            Bound::Text(text),
        ) => {
            push_column_compare(builder, name, ordering, sql_op, |b| {
                b.push_bind(text.to_owned());
            });
        }

        // Ordering by null or a boolean, or a literal of the wrong type for the column.
        _ => {
            builder.push("0");
        }
    }
}

/// `column IS ?` for equality (never NULL, and indexable like `=`), `column < ? AND column IS NOT
/// NULL` for ordering (a NULL column makes it `NULL AND 0`, which is 0).
fn push_column_compare(
    builder: &mut QueryBuilder<Sqlite>,
    column: &str,
    ordering: bool,
    sql_op: &str,
    bind: impl FnOnce(&mut QueryBuilder<Sqlite>),
) {
    if ordering {
        builder.push(format!("({column} {sql_op} "));
        bind(builder);
        builder.push(format!(" AND {column} IS NOT NULL)"));
    } else {
        builder.push(format!("({column} IS "));
        bind(builder);
        builder.push(")");
    }
}

/// `IN`: one disjunct per kind of value in the list (numbers, strings, `true`, `false`, `null`), so
/// each keeps a plain `x IN (?, …)` an index can serve.
fn push_in(
    builder: &mut QueryBuilder<Sqlite>,
    property: &Property,
    literals: &[Literal],
    columns: &ColumnMap,
) {
    let mut numbers = Vec::new();
    let mut texts = Vec::new();
    let (mut null, mut true_, mut false_) = (false, false, false);
    for literal in literals {
        match classify(literal) {
            Bound::Number(n) => numbers.push(n),
            Bound::Text(t) => texts.push(t),
            Bound::Null => null = true,
            Bound::Bool(true) => true_ = true,
            Bound::Bool(false) => false_ = true,
            Bound::Nothing => {}
        }
    }
    let target = Target::of(property, columns);
    // Drop what cannot match this target, so the disjunction is never empty by accident.
    match &target {
        Target::Data { .. } => {}
        Target::Column { ty, .. } => {
            match ty {
                ColumnType::Text => numbers.clear(),
                ColumnType::Integer => texts.clear(),
            }
            true_ = false;
            false_ = false;
        }
        Target::Nowhere => {
            builder.push("0");
            return;
        }
    }
    let parts = usize::from(!numbers.is_empty())
        + usize::from(!texts.is_empty())
        + usize::from(null)
        + usize::from(true_)
        + usize::from(false_);
    if parts == 0 {
        builder.push("0");
        return;
    }
    let mut first = true;
    let mut next_part = |builder: &mut QueryBuilder<Sqlite>| {
        builder.push(if first { "(" } else { " OR " });
        first = false;
    };
    match target {
        Target::Data { value, kind } => {
            if !numbers.is_empty() {
                next_part(builder);
                push_list(builder, &value, &numbers, |b, n| push_json_number(b, *n));
                builder.push(format!(" AND COALESCE({kind}, '') {NUMBER_GUARD})"));
            }
            if !texts.is_empty() {
                next_part(builder);
                push_list(builder, &value, &texts, |b, t| {
                    b.push_bind((*t).to_owned());
                });
                builder.push(format!(" AND {kind} IS 'text')"));
            }
            for (wanted, json_type) in [(true_, "true"), (false_, "false")] {
                if wanted {
                    next_part(builder);
                    builder.push(format!("{kind} IS '{json_type}'"));
                }
            }
            if null {
                next_part(builder);
                builder.push(format!("COALESCE({kind}, 'null') = 'null'"));
            }
        }
        Target::Column { name, .. } => {
            if !numbers.is_empty() {
                next_part(builder);
                push_list(builder, name, &numbers, |b, n| push_number(b, *n));
                builder.push(format!(" AND {name} IS NOT NULL)"));
            }
            if !texts.is_empty() {
                next_part(builder);
                push_list(builder, name, &texts, |b, t| {
                    b.push_bind((*t).to_owned());
                });
                builder.push(format!(" AND {name} IS NOT NULL)"));
            }
            if null {
                next_part(builder);
                builder.push(format!("{name} IS NULL"));
            }
        }
        Target::Nowhere => {}
    }
    builder.push(")");
}

/// `(expr IN (?, ?, …)` — the caller closes the parenthesis after its guard.
fn push_list<T>(
    builder: &mut QueryBuilder<Sqlite>,
    expr: &str,
    values: &[T],
    mut bind: impl FnMut(&mut QueryBuilder<Sqlite>, &T),
) {
    builder.push(format!("({expr} IN ("));
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            builder.push(", ");
        }
        bind(builder, value);
    }
    builder.push(")");
}

/// `'$.a.b'`, as an SQL string literal.
fn json_path(segments: &[String]) -> String {
    assert!(
        !segments.is_empty() && segments.iter().all(|s| is_identifier(s)),
        "data property paths are validated identifiers, never quoted: {segments:?}"
    );
    format!("'$.{}'", segments.join("."))
}

fn json_extract(data_column: &str, path: &str) -> String {
    format!("json_extract({data_column}, {path})")
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
        let mut builder = QueryBuilder::<Sqlite>::new("");
        push_criteria(&mut builder, &criteria, &ITEMS);
        builder.sql().as_str().to_owned()
    }

    #[test]
    fn ordering_keeps_an_indexable_conjunct() {
        assert_eq!(
            sql("score > ?", json!([10])),
            "(json_extract(data, '$.score') > ? AND COALESCE(json_type(data, '$.score'), '') IN ('integer', 'real'))"
        );
        assert_eq!(
            sql("score <= 1.5", json!([])),
            "(json_extract(data, '$.score') <= json_extract(?, '$') AND COALESCE(json_type(data, '$.score'), '') IN ('integer', 'real'))"
        );
        assert_eq!(
            sql("address.city == \"x\"", json!([])),
            "(json_extract(data, '$.address.city') = ? AND json_type(data, '$.address.city') IS 'text')"
        );
    }

    #[test]
    fn values_are_always_bound() {
        let text = sql(
            r#"a == "'; DROP TABLE items; --" || b IN [1, "x"] || _id == "q""#,
            json!([]),
        );
        assert!(!text.contains("DROP"), "{text}");
        assert!(!text.contains("\"x\""), "{text}");
    }

    #[test]
    fn system_columns() {
        assert_eq!(sql("_id == ?", json!(["i"])), "(id IS ?)");
        assert_eq!(sql("_id != null", json!([])), "(NOT (id IS NULL))");
        assert_eq!(sql("_id == 1", json!([])), "0");
        assert_eq!(
            sql("_createdAt >= 5", json!([])),
            "(created_at >= ? AND created_at IS NOT NULL)"
        );
        assert_eq!(sql("_createdAt == \"5\"", json!([])), "0");
        assert_eq!(sql("_ownerDeviceOid == \"d\"", json!([])), "0");
        assert_eq!(sql("_ownerDeviceOid != \"d\"", json!([])), "(NOT 0)");
        assert_eq!(
            sql("_id IN [1, \"a\", null, true]", json!([])),
            "((id IN (?) AND id IS NOT NULL) OR id IS NULL)"
        );
        assert_eq!(sql("_createdAt NIN [\"a\"]", json!([])), "(NOT 0)");
    }

    #[test]
    fn constants() {
        assert_eq!(sql("", json!([])), "1");
        assert_eq!(sql("a IN []", json!([])), "0");
        assert_eq!(sql("a NIN []", json!([])), "(NOT 0)");
        let mut builder = QueryBuilder::<Sqlite>::new("");
        push_criteria(&mut builder, &Criteria::from_expr(Expr::Or(vec![])), &ITEMS);
        assert_eq!(builder.sql().as_str(), "0");
    }

    #[test]
    fn order_by_expressions() {
        let property =
            |name| berth_core::monaql::parse_property(name, Scope::Item).expect("valid property");
        assert_eq!(
            property_sql(&property("score"), &ITEMS),
            "json_extract(data, '$.score')"
        );
        assert_eq!(
            property_sql(&property("a.b_c"), &ITEMS),
            "json_extract(data, '$.a.b_c')"
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
