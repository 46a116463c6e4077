//! MonaQL on PostgreSQL must select exactly the documents the core evaluator accepts.
//!
//! Random documents go into a real PostgreSQL table (a temporary one, on the server that
//! `BERTH_TEST_DATABASE_URL` names), written as the store writes them; random criteria (printed as
//! MonaQL, some values bound through `?`) are compiled with `push_criteria` and run, and the returned
//! ids must equal the ids the evaluator accepts. A few hand-written cases pin the edges by name.
//!
//! PostgreSQL cannot store U+0000, so stored strings never hold it; criteria still do.

use std::collections::BTreeSet;

use berth_core::monaql::{
    CompareOp, Criteria, Expr, Literal, Property, Scope, SystemProperty, parse,
};
use berth_store_postgres::json::to_jsonb_text;
use berth_store_postgres::monaql::{ColumnMap, ColumnType, push_criteria};
use berth_store_postgres::test_support::require_test_server_url;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Value, json};
use sqlx::{Connection, PgConnection, Postgres, QueryBuilder};

fn item_columns(property: SystemProperty) -> Option<(&'static str, ColumnType)> {
    Some(match property {
        SystemProperty::Id => ("id", ColumnType::Text),
        SystemProperty::OwnerUserOid => ("owner_user_oid", ColumnType::Text),
        SystemProperty::OwnerDeviceOid => ("owner_device_oid", ColumnType::Text),
        SystemProperty::CreatedAt => ("created_at", ColumnType::Integer),
        SystemProperty::UpdatedAt => ("updated_at", ColumnType::Integer),
        SystemProperty::Username => return None,
    })
}

const ITEMS: ColumnMap = ColumnMap {
    data_column: "data",
    system: item_columns,
};

#[derive(Debug, Clone)]
struct Document {
    id: String,
    owner_user: Option<String>,
    owner_device: Option<String>,
    created_at: i64,
    updated_at: i64,
    data: Map<String, Value>,
}

impl Document {
    /// What the evaluator sees: the data as the app wrote it (re-read from its JSON text) plus the
    /// system properties; an absent owner is sometimes missing and sometimes null, which must not
    /// matter.
    fn for_evaluator(&self) -> Map<String, Value> {
        let text = serde_json::to_string(&self.data).expect("JSON serializes");
        let mut document: Map<String, Value> =
            serde_json::from_str(&text).expect("JSON parses back");
        document.insert("_id".to_owned(), json!(self.id));
        match &self.owner_user {
            Some(owner) => {
                document.insert("_ownerUserOid".to_owned(), json!(owner));
            }
            None => {
                document.insert("_ownerUserOid".to_owned(), Value::Null);
            }
        }
        if let Some(owner) = &self.owner_device {
            document.insert("_ownerDeviceOid".to_owned(), json!(owner));
        }
        document.insert("_createdAt".to_owned(), json!(self.created_at));
        document.insert("_updatedAt".to_owned(), json!(self.updated_at));
        document
    }
}

/// A connection to the server of `BERTH_TEST_DATABASE_URL`. (Tests keep theirs across cases:
/// connecting costs more than a case.)
async fn connect() -> PgConnection {
    let mut connection = PgConnection::connect(&require_test_server_url())
        .await
        .expect("PostgreSQL of BERTH_TEST_DATABASE_URL answers");
    // Only temporary tables change here: no commit needs to wait for the disk.
    sqlx::raw_sql(
        "SET synchronous_commit = off;
         CREATE TEMPORARY TABLE items (id text COLLATE \"C\" PRIMARY KEY,
           owner_user_oid text COLLATE \"C\", owner_device_oid text COLLATE \"C\",
           created_at bigint NOT NULL, updated_at bigint NOT NULL, data jsonb NOT NULL)",
    )
    .execute(&mut connection)
    .await
    .expect("table is created");
    connection
}

/// Makes the connection's temporary `items` table hold exactly `documents`, written as the store
/// writes them (see `berth_store_postgres::json`).
async fn fill(connection: &mut PgConnection, documents: &[Document]) {
    sqlx::query("DELETE FROM items")
        .execute(&mut *connection)
        .await
        .expect("table is emptied");
    if documents.is_empty() {
        return;
    }
    let mut insert = QueryBuilder::<Postgres>::new(
        "INSERT INTO items (id, owner_user_oid, owner_device_oid, created_at, updated_at, data) ",
    );
    insert.push_values(documents, |mut row, document| {
        row.push_bind(document.id.clone())
            .push_bind(document.owner_user.clone())
            .push_bind(document.owner_device.clone())
            .push_bind(document.created_at)
            .push_bind(document.updated_at)
            .push_bind(to_jsonb_text(&Value::Object(document.data.clone())))
            .push_unseparated("::jsonb");
    });
    insert
        .build()
        .execute(connection)
        .await
        .expect("documents are inserted");
}

/// A fresh connection whose `items` table holds `documents`.
async fn database(documents: &[Document]) -> PgConnection {
    let mut connection = connect().await;
    fill(&mut connection, documents).await;
    connection
}

/// Runs proptest cases on one connection: `case(connection, value)` for each generated value.
fn run_cases<S: Strategy>(cases: u32, strategy: S, case: impl AsyncCase<S::Value>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime starts");
    let connection = std::cell::RefCell::new(runtime.block_on(connect()));
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&strategy, |value| {
        let mut connection = connection.borrow_mut();
        runtime.block_on(case.run(&mut connection, value))
    });
    if let Err(error) = result {
        panic!("{error}");
    }
}

/// An async test case over a borrowed connection.
trait AsyncCase<V> {
    async fn run(&self, connection: &mut PgConnection, value: V) -> Result<(), TestCaseError>;
}

impl<V, F> AsyncCase<V> for F
where
    F: AsyncFn(&mut PgConnection, V) -> Result<(), TestCaseError>,
{
    async fn run(&self, connection: &mut PgConnection, value: V) -> Result<(), TestCaseError> {
        self(connection, value).await
    }
}

/// The ids PostgreSQL selects, and the SQL it ran (for failure messages).
async fn select_ids(
    connection: &mut PgConnection,
    criteria: &Criteria,
) -> (BTreeSet<String>, String) {
    let mut builder = QueryBuilder::<Postgres>::new("SELECT id FROM items WHERE ");
    push_criteria(&mut builder, criteria, &ITEMS);
    let sql = builder.sql().as_str().to_owned();
    let ids: Vec<String> = builder
        .build_query_scalar()
        .fetch_all(connection)
        .await
        .unwrap_or_else(|error| panic!("SQL runs: {error}\n{sql}"));
    (ids.into_iter().collect(), sql)
}

fn evaluate_ids(documents: &[Document], criteria: &Criteria) -> BTreeSet<String> {
    documents
        .iter()
        .filter(|d| criteria.matches(&d.for_evaluator()))
        .map(|d| d.id.clone())
        .collect()
}

// ---------------------------------------------------------------- random documents

const STRINGS: &[&str] = &[
    "", "a", "b", "A", "ab", "é", "日本", "😀", "1", "true", "null", "[1]", "i1", "u1", "d1",
    "a\0b",
];

fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(STRINGS).prop_map(str::to_owned),
        1 => "[a-cA\u{e9}\u{65e5}\u{0}]{0,3}",
    ]
}

/// Integers and floats that often coincide (1 and 1.0), floats with at most two decimals.
fn arb_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-3i64..=3).prop_map(Value::from),
        (-1000i64..=1000).prop_map(Value::from),
        (-3i64..=3).prop_map(|i| Value::from(i as f64)),
        (-300i64..=300).prop_map(|c| Value::from(c as f64 / 100.0)),
        (-100_000i64..=100_000).prop_map(|c| Value::from(c as f64 / 100.0)),
    ]
}

fn arb_scalar_json() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        4 => arb_number(),
        3 => arb_string().prop_map(Value::String),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => arb_scalar_json(),
        1 => prop::collection::vec(arb_scalar_json(), 0..3).prop_map(Value::Array),
        1 => (prop::option::of(arb_scalar_json()), prop::option::of(arb_scalar_json())).prop_map(
            |(x, b)| {
                let mut object = Map::new();
                if let Some(x) = x {
                    object.insert("x".to_owned(), x);
                }
                if let Some(b) = b {
                    object.insert("b".to_owned(), b);
                }
                Value::Object(object)
            }
        ),
    ]
}

const DATA_NAMES: &[&str] = &["a", "b", "c", "score", "name", "tags", "nested"];

fn arb_data() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec(prop::option::weighted(0.7, arb_json()), DATA_NAMES.len()).prop_map(
        |values| {
            DATA_NAMES
                .iter()
                .zip(values)
                .filter_map(|(name, value)| Some(((*name).to_owned(), storable(value?))))
                .collect()
        },
    )
}

/// `value` without U+0000 in its strings, which PostgreSQL cannot store.
fn storable(value: Value) -> Value {
    match value {
        Value::String(text) => Value::String(text.replace('\0', "")),
        Value::Array(values) => Value::Array(values.into_iter().map(storable).collect()),
        Value::Object(object) => Value::Object(
            object
                .into_iter()
                .map(|(key, value)| (key, storable(value)))
                .collect(),
        ),
        other => other,
    }
}

const TIMES: &[i64] = &[0, 999, 1000, 1001, 2000];

fn arb_document() -> impl Strategy<Value = Document> {
    let owner = |ids: &'static [&'static str]| {
        prop::option::of(prop::sample::select(ids).prop_map(str::to_owned))
    };
    (
        owner(&["u1", "u2"]),
        owner(&["d1", "d2"]),
        prop::sample::select(TIMES),
        prop_oneof![prop::sample::select(TIMES), -5000i64..5000],
        arb_data(),
    )
        .prop_map(
            |(owner_user, owner_device, created_at, updated_at, data)| Document {
                id: String::new(),
                owner_user,
                owner_device,
                created_at,
                updated_at,
                data,
            },
        )
}

fn arb_documents() -> impl Strategy<Value = Vec<Document>> {
    prop::collection::vec(arb_document(), 10..30).prop_map(|mut documents| {
        for (i, document) in documents.iter_mut().enumerate() {
            document.id = format!("i{i}");
        }
        documents
    })
}

// ---------------------------------------------------------------- random criteria

fn arb_property() -> impl Strategy<Value = Property> {
    let data = |name: &str| Property::Data(name.split('.').map(str::to_owned).collect());
    prop_oneof![
        2 => prop::sample::select(vec![
            data("a"), data("b"), data("c"), data("score"), data("name"), data("tags"),
            data("nested"), data("nested.x"), data("nested.b"), data("a.x"), data("missing"),
        ]),
        1 => prop::sample::select(Scope::Item.system_properties().to_vec())
            .prop_map(Property::System),
    ]
}

fn literal_of(value: &Value) -> Literal {
    match value {
        Value::Null => Literal::Null,
        Value::Bool(b) => Literal::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Literal::Int(i),
            None => Literal::Float(n.as_f64().expect("JSON numbers are finite")),
        },
        Value::String(s) => Literal::String(s.clone()),
        other => panic!("not a scalar: {other}"),
    }
}

fn arb_orderable() -> impl Strategy<Value = Literal> {
    prop_oneof![
        arb_number().prop_map(|n| literal_of(&n)),
        prop::sample::select(TIMES).prop_map(Literal::Int),
        arb_string().prop_map(Literal::String),
    ]
}

fn arb_scalar() -> impl Strategy<Value = Literal> {
    prop_oneof![
        1 => Just(Literal::Null),
        1 => any::<bool>().prop_map(Literal::Bool),
        5 => arb_orderable(),
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
        2 => (arb_property(), equality, arb_scalar()).prop_map(|(property, op, value)| {
            Expr::Compare { property, op, value }
        }),
        2 => (arb_property(), ordering, arb_orderable()).prop_map(|(property, op, value)| {
            Expr::Compare { property, op, value }
        }),
        1 => (arb_property(), any::<bool>(), prop::collection::vec(arb_scalar(), 0..5)).prop_map(
            |(property, negated, values)| Expr::In { property, negated, values }
        ),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
            inner.prop_map(|e| Expr::Not(Box::new(e))),
        ]
    })
}

fn json_of(literal: &Literal) -> Value {
    match literal {
        Literal::Null => Value::Null,
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Int(i) => Value::from(*i),
        Literal::Float(f) => Value::from(*f),
        Literal::String(s) => Value::String(s.clone()),
    }
}

/// Prints `expr` as MonaQL, moving values into bind params where `choices` say so.
struct Writer<'a> {
    choices: std::iter::Cycle<std::slice::Iter<'a, u8>>,
    text: String,
    binds: Vec<Value>,
}

impl Writer<'_> {
    fn choose(&mut self, options: u8) -> u8 {
        self.choices.next().copied().unwrap_or(0) % options
    }

    fn literal(&mut self, literal: &Literal) {
        if self.choose(2) == 0 {
            self.text.push('?');
            self.binds.push(json_of(literal));
        } else {
            self.text.push_str(&literal.to_string());
        }
    }

    fn expr(&mut self, expr: &Expr) {
        match expr {
            Expr::And(children) | Expr::Or(children) => {
                let separator = if matches!(expr, Expr::And(_)) {
                    " && "
                } else {
                    " || "
                };
                for (i, child) in children.iter().enumerate() {
                    if i > 0 {
                        self.text.push_str(separator);
                    }
                    // Always grouping And/Or children keeps the tree as is.
                    let group = matches!(child, Expr::And(_) | Expr::Or(_));
                    if group {
                        self.text.push('(');
                    }
                    self.expr(child);
                    if group {
                        self.text.push(')');
                    }
                }
            }
            Expr::Not(inner) => {
                self.text.push_str("!(");
                self.expr(inner);
                self.text.push(')');
            }
            Expr::Compare {
                property,
                op,
                value,
            } => {
                self.text.push_str(&format!("{property} {op} "));
                self.literal(value);
            }
            Expr::In {
                property,
                negated,
                values,
            } => {
                let keyword = if *negated { "NIN" } else { "IN" };
                self.text.push_str(&format!("{property} {keyword} "));
                if self.choose(3) == 0 {
                    self.text.push('?');
                    self.binds.push(values.iter().map(json_of).collect());
                } else {
                    self.text.push('[');
                    for (i, value) in values.iter().enumerate() {
                        if i > 0 {
                            self.text.push_str(", ");
                        }
                        self.literal(value);
                    }
                    self.text.push(']');
                }
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Query {
    expr: Expr,
    choices: Vec<u8>,
}

fn arb_query() -> impl Strategy<Value = Query> {
    (arb_expr(), prop::collection::vec(any::<u8>(), 1..16))
        .prop_map(|(expr, choices)| Query { expr, choices })
}

async fn check(
    connection: &mut PgConnection,
    documents: Vec<Document>,
    queries: Vec<Query>,
) -> Result<(), TestCaseError> {
    fill(connection, &documents).await;
    for query in queries {
        let mut writer = Writer {
            choices: query.choices.iter().cycle(),
            text: String::new(),
            binds: Vec::new(),
        };
        writer.expr(&query.expr);
        let (text, binds) = (writer.text, writer.binds);
        let criteria = parse(&text, &binds, Scope::Item)
            .map_err(|e| TestCaseError::fail(format!("{text:?} {binds:?}: {e}")))?;
        prop_assert_eq!(
            criteria.root(),
            Some(&query.expr),
            "{:?} with {:?} parses to another tree",
            text,
            binds
        );
        let (from_sql, sql) = select_ids(connection, &criteria).await;
        let from_evaluator = evaluate_ids(&documents, &criteria);
        prop_assert_eq!(
            &from_sql,
            &from_evaluator,
            "criteria {} with {:?}\nSQL: {}",
            text,
            binds,
            sql
        );
    }
    Ok(())
}

#[test]
fn postgresql_agrees_with_the_evaluator() {
    let strategy = (arb_documents(), prop::collection::vec(arb_query(), 10..=10));
    run_cases(
        100,
        strategy,
        async |connection: &mut PgConnection, (documents, queries)| {
            check(connection, documents, queries).await
        },
    );
}

// ---------------------------------------------------------------- hand-written edges

fn edge_documents() -> Vec<Document> {
    let document = |id: &str, owner_user: Option<&str>, data: Value| Document {
        id: id.to_owned(),
        owner_user: owner_user.map(str::to_owned),
        owner_device: None,
        created_at: 1000,
        updated_at: 2000,
        data: match data {
            Value::Object(map) => map,
            other => panic!("data is an object: {other}"),
        },
    };
    vec![
        document("missing", Some("u1"), json!({})),
        document("null", None, json!({"a": null})),
        document("one", Some("u1"), json!({"a": 1})),
        document("one_float", None, json!({"a": 1.0})),
        document("one_half", None, json!({"a": 1.5})),
        document("true", None, json!({"a": true})),
        document("false", None, json!({"a": false})),
        document("text_one", None, json!({"a": "1"})),
        document("text_a", Some("u2"), json!({"a": "a"})),
        document("array", None, json!({"a": [1]})),
        document("object", None, json!({"a": {"b": 1}})),
    ]
}

#[tokio::test]
async fn edge_cases_by_name() {
    let documents = edge_documents();
    let all: BTreeSet<&str> = documents.iter().map(|d| d.id.as_str()).collect();
    let except = |ids: &[&str]| -> Vec<&str> {
        all.iter().copied().filter(|id| !ids.contains(id)).collect()
    };
    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        ("a == null", json!([]), vec!["missing", "null"]),
        ("a != null", json!([]), except(&["missing", "null"])),
        ("a == ?", json!([null]), vec!["missing", "null"]),
        ("a == 1", json!([]), vec!["one", "one_float"]),
        ("a == 1.0", json!([]), vec!["one", "one_float"]),
        ("a == ?", json!([1.0]), vec!["one", "one_float"]),
        ("a != 1", json!([]), except(&["one", "one_float"])),
        ("a == true", json!([]), vec!["true"]),
        ("a == false", json!([]), vec!["false"]),
        ("a != true", json!([]), except(&["true"])),
        ("a == \"1\"", json!([]), vec!["text_one"]),
        ("a == \"[1]\"", json!([]), vec![]),
        ("a >= 1", json!([]), vec!["one", "one_float", "one_half"]),
        ("a > 1", json!([]), vec!["one_half"]),
        ("a < \"b\"", json!([]), vec!["text_one", "text_a"]),
        ("a > \"\"", json!([]), vec!["text_one", "text_a"]),
        (
            "!(a > 0)",
            json!([]),
            except(&["one", "one_float", "one_half"]),
        ),
        (
            "a IN [1, \"a\", null]",
            json!([]),
            vec!["missing", "null", "one", "one_float", "text_a"],
        ),
        (
            "a NIN [1, \"a\", null]",
            json!([]),
            except(&["missing", "null", "one", "one_float", "text_a"]),
        ),
        ("a IN ?", json!([[true, "1"]]), vec!["true", "text_one"]),
        ("a IN []", json!([]), vec![]),
        ("a NIN []", json!([]), except(&[])),
        ("a.b == 1", json!([]), vec!["object"]),
        ("a.b != 1", json!([]), except(&["object"])),
        ("a.b == null", json!([]), except(&["object"])),
        (
            "_ownerUserOid == null",
            json!([]),
            except(&["missing", "one", "text_a"]),
        ),
        (
            "_ownerUserOid != \"u1\"",
            json!([]),
            except(&["missing", "one"]),
        ),
        (
            "_ownerUserOid NIN [\"u1\"]",
            json!([]),
            except(&["missing", "one"]),
        ),
        ("_ownerUserOid < \"u2\"", json!([]), vec!["missing", "one"]),
        (
            "!(_ownerUserOid < \"u2\")",
            json!([]),
            except(&["missing", "one"]),
        ),
        ("_ownerUserOid == 1", json!([]), vec![]),
        ("_id == ?", json!(["one"]), vec!["one"]),
        ("_createdAt == \"1000\"", json!([]), vec![]),
        (
            "_createdAt == 1000.0 && _updatedAt > 1999.5",
            json!([]),
            except(&[]),
        ),
        ("_createdAt IN [true, \"1000\"]", json!([]), vec![]),
        (
            "(title == ?) && (_ownerUserOid == ?)",
            json!(["x", "u1"]),
            vec![],
        ),
        (
            "a == 1 || _ownerUserOid == ?",
            json!(["u2"]),
            vec!["one", "one_float", "text_a"],
        ),
    ];
    let mut connection = database(&documents).await;
    for (text, binds, expected) in cases {
        let Value::Array(binds) = binds else {
            panic!("bind params are an array")
        };
        let criteria = parse(text, &binds, Scope::Item).expect(text);
        let expected: BTreeSet<String> = expected.into_iter().map(str::to_owned).collect();
        assert_eq!(
            evaluate_ids(&documents, &criteria),
            expected,
            "evaluator: {text}"
        );
        let (from_sql, sql) = select_ids(&mut connection, &criteria).await;
        assert_eq!(from_sql, expected, "PostgreSQL: {text}\n{sql}");
    }
}

/// The common filters keep a plain comparison an index can serve. (Sequential scans are turned off:
/// with a handful of rows the planner would rightly prefer one, and the question here is only whether
/// the compiled expression matches the index.)
#[tokio::test]
async fn common_filters_use_indexes() {
    let mut connection = database(&edge_documents()).await;
    for statement in [
        "CREATE INDEX items_a ON items ((data->'a') NULLS FIRST, id)",
        "CREATE INDEX items_nested ON items ((data->'a'->'b') NULLS FIRST, id)",
        "CREATE INDEX items_owner ON items (owner_user_oid NULLS FIRST, id)",
        "CREATE INDEX items_created ON items (created_at NULLS FIRST, id)",
        "ANALYZE items",
        "SET enable_seqscan = off",
    ] {
        sqlx::query(statement)
            .execute(&mut connection)
            .await
            .expect("index is created");
    }
    for (text, binds, index) in [
        ("a > ?", json!([10]), "items_a"),
        ("a == ?", json!([10]), "items_a"),
        ("a <= ?", json!([1.5]), "items_a"),
        ("a == ?", json!(["x"]), "items_a"),
        ("a == true", json!([]), "items_a"),
        ("a IN [1, 2.5, \"x\"]", json!([]), "items_a"),
        ("a.b >= 1e300", json!([]), "items_nested"),
        (
            "(title == ?) && (_ownerUserOid == ?)",
            json!(["x", "u1"]),
            "items_owner",
        ),
        ("_ownerUserOid IN ?", json!([["u1", "u2"]]), "items_owner"),
        ("_createdAt >= ?", json!([5]), "items_created"),
        ("_createdAt > ?", json!([5.5]), "items_created"),
    ] {
        let Value::Array(binds) = binds else {
            panic!("bind params are an array")
        };
        let criteria = parse(text, &binds, Scope::Item).expect(text);
        let mut builder = QueryBuilder::<Postgres>::new("EXPLAIN SELECT id FROM items WHERE ");
        push_criteria(&mut builder, &criteria, &ITEMS);
        let plan: Vec<String> = builder
            .build_query_scalar()
            .fetch_all(&mut connection)
            .await
            .expect("the plan is explained");
        let plan = plan.join("\n");
        assert!(
            plan.contains(index) && plan.contains("Index Cond"),
            "{text}: {plan}"
        );
    }
}

/// Criteria at every limit at once still compile to SQL that PostgreSQL accepts (parameter count,
/// expression depth) and agrees with the evaluator.
#[tokio::test]
async fn criteria_at_the_limits_run() {
    use berth_core::monaql::limits::{
        MAX_COMPARISONS, MAX_DEPTH, MAX_LIST_VALUES, MAX_TOTAL_LIST_VALUES,
    };
    let documents = edge_documents();
    let mut connection = database(&documents).await;

    // Full bound lists, the written ones below filling up the rest of the total.
    let lists = MAX_TOTAL_LIST_VALUES / MAX_LIST_VALUES - 1;
    let mut comparisons = vec!["a IN ?"; lists];
    comparisons.resize(MAX_COMPARISONS, "a.b NIN [1, \"x\", null, true]");
    let flat = comparisons.join(" || ");
    let nested = format!(
        "{}{}{}",
        "!(".repeat(MAX_DEPTH),
        vec!["a != 1 && _ownerUserOid < \"u2\""; MAX_COMPARISONS / 2].join(" || "),
        ")".repeat(MAX_DEPTH)
    );
    let binds: Vec<Value> = (0..lists)
        .map(|list| {
            (0..MAX_LIST_VALUES)
                .map(|i| {
                    if i % 2 == 0 {
                        json!(i + list)
                    } else {
                        json!(format!("{i}"))
                    }
                })
                .collect()
        })
        .collect();
    for (text, binds) in [(flat, binds), (nested, vec![])] {
        let criteria = parse(&text, &binds, Scope::Item).expect("criteria at the limits parse");
        let (from_sql, sql) = select_ids(&mut connection, &criteria).await;
        assert_eq!(
            from_sql,
            evaluate_ids(&documents, &criteria),
            "{}",
            &sql[..200]
        );
    }
}

fn number_documents(values: &[Value]) -> Vec<Document> {
    values
        .iter()
        .enumerate()
        .map(|(i, value)| Document {
            id: format!("n{i}"),
            owner_user: None,
            owner_device: None,
            created_at: 0,
            updated_at: 0,
            data: [("n".to_owned(), value.clone())].into_iter().collect(),
        })
        .collect()
}

/// Integers and floats compare exactly on both sides, even where f64 cannot hold the integer.
#[tokio::test]
async fn integers_and_floats_compare_exactly() {
    let documents = number_documents(&[
        json!(9_007_199_254_740_992_i64),
        json!(9_007_199_254_740_993_i64),
        json!(i64::MAX),
        json!(-0.0),
        json!(u64::MAX),
        json!(2f64.powi(60)),
        json!(1_152_921_504_606_847_000_i64),
    ]);
    let mut connection = database(&documents).await;
    for (text, expected) in [
        ("n == 9007199254740992.0", vec!["n0"]),
        ("n > 9007199254740992.0", vec!["n1", "n2", "n4", "n5", "n6"]),
        (
            "n < 9223372036854775808.0",
            vec!["n0", "n1", "n2", "n3", "n5", "n6"],
        ),
        ("n >= 9223372036854775807", vec!["n2", "n4"]),
        ("n == 0", vec!["n3"]),
        ("n IN [9007199254740993]", vec!["n1"]),
        // u64::MAX is taken as the float 2^64.
        ("n == 18446744073709551616.0", vec!["n4"]),
        ("n > 18446744073709551615.0", vec![]),
        // 2^60 as a float is 1152921504606846976, below the integer its shortest text shows.
        ("n < 1152921504606847000", vec!["n0", "n1", "n3", "n5"]),
        ("n == 1152921504606846976", vec!["n5"]),
        ("n == 1.152921504606847e18", vec!["n5"]),
        ("n IN [1152921504606847000]", vec!["n6"]),
    ] {
        let criteria = parse(text, &[], Scope::Item).expect(text);
        let expected: BTreeSet<String> = expected.into_iter().map(str::to_owned).collect();
        assert_eq!(
            evaluate_ids(&documents, &criteria),
            expected,
            "evaluator: {text}"
        );
        let (from_sql, sql) = select_ids(&mut connection, &criteria).await;
        assert_eq!(from_sql, expected, "PostgreSQL: {text}\n{sql}");
    }
}

/// Floats with all 17 significant digits, of any magnitude up to 1e±60.
fn arb_precise_float() -> impl Strategy<Value = f64> {
    (any::<u64>(), -60i32..=60, any::<bool>()).prop_map(|(bits, exponent, negative)| {
        let mantissa = (bits >> 11) as f64 / (1u64 << 53) as f64;
        let value = mantissa * 10f64.powi(exponent);
        if negative { -value } else { value }
    })
}

/// Equality and order agree with the evaluator for floats far beyond the tame values of the main
/// test: `jsonb` compares exact decimals, so every magnitude works.
#[test]
fn precise_floats_agree() {
    let float = prop_oneof![
        arb_precise_float(),
        prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO,
    ];
    run_float_cases(float, |documents, from_sql, criteria, value| {
        let _ = value;
        Some(evaluate_ids(documents, criteria)).filter(|expected| expected != from_sql)
    });
}

/// Floats from 1e15 to 1e19 against integers next to them, where serde_json's shortest text of a
/// float is not its exact value (2^60 prints as 1.152921504606847e18): the store writes such floats
/// exactly, so integers between the text and the value still compare as the evaluator says.
#[test]
fn large_floats_and_integers_agree() {
    let float =
        (1e15f64..9.2e18, any::<bool>()).prop_map(|(f, negative)| if negative { -f } else { f });
    run_cases(
        16,
        prop::collection::vec(float, 4),
        async |connection: &mut PgConnection, floats: Vec<f64>| {
            let mut values = Vec::new();
            let mut literals = Vec::new();
            for float in &floats {
                // In range by the strategy: the conversion rounds towards zero, exactly.
                let whole = *float as i64;
                let text_value = shortest_text_value(*float);
                values.push(json!(float));
                for offset in [-1, 0, 1] {
                    for near in [whole, text_value] {
                        values.push(json!(near.saturating_add(offset)));
                        literals.push(Literal::Int(near.saturating_add(offset)));
                    }
                }
                literals.push(Literal::Float(*float));
            }
            let documents = number_documents(&values);
            fill(connection, &documents).await;
            for literal in &literals {
                for op in ["==", "<", ">=", "!="] {
                    let text = format!("n {op} {literal}");
                    let criteria = parse(&text, &[], Scope::Item)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    let (from_sql, sql) = select_ids(connection, &criteria).await;
                    let expected = evaluate_ids(&documents, &criteria);
                    if from_sql != expected {
                        return Err(TestCaseError::fail(format!(
                            "{text}: PostgreSQL {from_sql:?}, expected {expected:?}\n{sql}"
                        )));
                    }
                }
            }
            Ok(())
        },
    );
}

/// The whole number serde_json's shortest text of `float` stands for (`1.152921504606847e18` for
/// 2^60), which is not the float's own value from 1e16 on.
fn shortest_text_value(float: f64) -> i64 {
    let text = serde_json::to_string(&float).expect("a float prints");
    let (mantissa, exponent) = match text.split_once('e') {
        Some((mantissa, exponent)) => (mantissa, exponent.parse::<i32>().expect("exponent")),
        None => (text.as_str(), 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let fraction = fraction.trim_end_matches('0');
    let digits: i128 = format!("{whole}{fraction}").parse().expect("digits");
    let scale = exponent - fraction.len() as i32;
    let value = if scale >= 0 {
        digits * 10i128.pow(scale.unsigned_abs())
    } else {
        digits / 10i128.pow(scale.unsigned_abs())
    };
    i64::try_from(value).expect("in range")
}

#[test]
fn shortest_texts_are_read_as_numbers() {
    assert_eq!(
        shortest_text_value(2f64.powi(60)),
        1_152_921_504_606_847_000
    );
    assert_eq!(shortest_text_value(1e15), 1_000_000_000_000_000);
    assert_eq!(shortest_text_value(-1.5e16), -15_000_000_000_000_000);
}

/// Whatever its magnitude, a stored float is found by a comparison with the same value.
#[test]
fn any_float_finds_itself() {
    let float = prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO;
    run_float_cases(float, |documents, from_sql, criteria, value| {
        let own: BTreeSet<String> = documents
            .iter()
            .filter(|d| d.data["n"].as_f64() == Some(value))
            .map(|d| d.id.clone())
            .collect();
        let is_equality = matches!(
            criteria.root(),
            Some(Expr::Compare {
                op: CompareOp::Eq,
                ..
            })
        );
        (is_equality && !own.is_subset(from_sql)).then_some(own)
    });
}

/// Stores eight floats, compares each of them with `==`, `<`, `>=`, written and bound, and fails
/// when `problem(documents, ids from PostgreSQL, criteria, value)` returns the ids it expected instead.
fn run_float_cases(
    float: impl Strategy<Value = f64>,
    problem: impl Fn(&[Document], &BTreeSet<String>, &Criteria, f64) -> Option<BTreeSet<String>>,
) {
    let problem = &problem;
    run_cases(
        24,
        prop::collection::vec(float, 8),
        async |connection: &mut PgConnection, floats: Vec<f64>| {
            let values: Vec<Value> = floats.iter().map(|f| json!(f)).collect();
            let documents = number_documents(&values);
            fill(connection, &documents).await;
            for value in &floats {
                for op in ["==", "<", ">="] {
                    let written = format!("n {op} {}", Literal::Float(*value));
                    let bound = format!("n {op} ?");
                    for (text, binds) in [(written, vec![]), (bound, vec![json!(value)])] {
                        let criteria = parse(&text, &binds, Scope::Item)
                            .map_err(|e| TestCaseError::fail(e.to_string()))?;
                        let (from_sql, sql) = select_ids(connection, &criteria).await;
                        if let Some(expected) = problem(&documents, &from_sql, &criteria, *value) {
                            return Err(TestCaseError::fail(format!(
                                "{text} {binds:?}: PostgreSQL {from_sql:?}, expected {expected:?}\n{sql}"
                            )));
                        }
                    }
                }
            }
            Ok(())
        },
    );
}
