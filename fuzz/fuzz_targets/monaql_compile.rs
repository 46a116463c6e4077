//! The MonaQL compilers of both stores: whatever parses compiles to SQL for SQLite and PostgreSQL,
//! and the SQLite SQL runs (against an in-memory table of a few items) and selects exactly the items
//! the evaluator accepts. Input as for `monaql_parse`: criteria, newline, JSON array of bound values.
#![no_main]

use std::collections::BTreeSet;
use std::sync::{LazyLock, Mutex};

use berth_core::monaql::{self, Scope, SystemProperty};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};
use sqlx::{Connection, QueryBuilder, SqliteConnection};

fn sqlite_columns(
    property: SystemProperty,
) -> Option<(&'static str, berth_store_sqlite::monaql::ColumnType)> {
    use berth_store_sqlite::monaql::ColumnType;
    Some(match property {
        SystemProperty::Id => ("id", ColumnType::Text),
        SystemProperty::OwnerUserOid => ("owner_user_oid", ColumnType::Text),
        SystemProperty::OwnerDeviceOid => ("owner_device_oid", ColumnType::Text),
        SystemProperty::CreatedAt => ("created_at", ColumnType::Integer),
        SystemProperty::UpdatedAt => ("updated_at", ColumnType::Integer),
        SystemProperty::Username => return None,
    })
}

fn postgres_columns(
    property: SystemProperty,
) -> Option<(&'static str, berth_store_postgres::monaql::ColumnType)> {
    use berth_store_postgres::monaql::ColumnType;
    Some(match property {
        SystemProperty::Id => ("id", ColumnType::Text),
        SystemProperty::OwnerUserOid => ("owner_user_oid", ColumnType::Text),
        SystemProperty::OwnerDeviceOid => ("owner_device_oid", ColumnType::Text),
        SystemProperty::CreatedAt => ("created_at", ColumnType::Integer),
        SystemProperty::UpdatedAt => ("updated_at", ColumnType::Integer),
        SystemProperty::Username => return None,
    })
}

const SQLITE_ITEMS: berth_store_sqlite::monaql::ColumnMap = berth_store_sqlite::monaql::ColumnMap {
    data_column: "data",
    system: sqlite_columns,
};
const POSTGRES_ITEMS: berth_store_postgres::monaql::ColumnMap =
    berth_store_postgres::monaql::ColumnMap {
        data_column: "data",
        system: postgres_columns,
    };

/// (id, owner user, created at, data) of the items every input is run against.
fn items() -> Vec<(&'static str, Option<&'static str>, i64, Value)> {
    vec![
        ("i1", None, 1, json!({})),
        (
            "i2",
            Some("u1"),
            2,
            json!({ "name": "x", "score": 1, "tags": ["a", 1], "n": { "level": 2.5 } }),
        ),
        (
            "i3",
            Some("u2"),
            3,
            json!({ "name": null, "score": 2.5, "flag": true, "n": { "level": "2" } }),
        ),
        (
            "i4",
            None,
            4,
            json!({ "name": "日本", "score": -3, "flag": false, "tags": [] }),
        ),
    ]
}

struct Database {
    runtime: tokio::runtime::Runtime,
    connection: SqliteConnection,
}

static DATABASE: LazyLock<Mutex<Database>> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let connection = runtime.block_on(async {
        let mut connection = SqliteConnection::connect("sqlite::memory:")
            .await
            .expect("in-memory SQLite");
        sqlx::query(
            "CREATE TABLE items (id TEXT PRIMARY KEY, owner_user_oid TEXT, owner_device_oid TEXT,
             created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, data TEXT NOT NULL)",
        )
        .execute(&mut connection)
        .await
        .expect("table");
        for (id, owner, created, data) in items() {
            sqlx::query("INSERT INTO items VALUES (?, ?, NULL, ?, ?, ?)")
                .bind(id)
                .bind(owner)
                .bind(created)
                .bind(created)
                .bind(data.to_string())
                .execute(&mut connection)
                .await
                .expect("insert");
        }
        connection
    });
    Mutex::new(Database {
        runtime,
        connection,
    })
});

fn for_evaluator(id: &str, owner: Option<&str>, created: i64, data: &Value) -> Map<String, Value> {
    let mut document = data.as_object().cloned().unwrap_or_default();
    document.insert("_id".into(), json!(id));
    document.insert("_ownerUserOid".into(), json!(owner));
    document.insert("_createdAt".into(), json!(created));
    document.insert("_updatedAt".into(), json!(created));
    document
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (criteria, rest) = text.split_once('\n').unwrap_or((text, ""));
    let bind_params: Vec<Value> = serde_json::from_str(rest).unwrap_or_default();
    let Ok(parsed) = monaql::parse(criteria, &bind_params, Scope::Item) else {
        return;
    };

    let mut postgres = QueryBuilder::<sqlx::Postgres>::new("SELECT id FROM items WHERE ");
    berth_store_postgres::monaql::push_criteria(&mut postgres, &parsed, &POSTGRES_ITEMS);
    assert!(!postgres.sql().as_str().is_empty());

    let mut sqlite = QueryBuilder::<sqlx::Sqlite>::new("SELECT id FROM items WHERE ");
    berth_store_sqlite::monaql::push_criteria(&mut sqlite, &parsed, &SQLITE_ITEMS);
    let sql = sqlite.sql().as_str().to_owned();
    let mut database = DATABASE.lock().expect("database");
    let Database {
        runtime,
        connection,
    } = &mut *database;
    let selected: BTreeSet<String> = runtime
        .block_on(sqlite.build_query_scalar::<String>().fetch_all(connection))
        .unwrap_or_else(|error| panic!("the compiled SQL runs: {error}\n{sql}"))
        .into_iter()
        .collect();
    let expected: BTreeSet<String> = items()
        .iter()
        .filter(|(id, owner, created, data)| {
            parsed.matches(&for_evaluator(id, *owner, *created, data))
        })
        .map(|(id, ..)| (*id).to_owned())
        .collect();
    assert_eq!(
        selected, expected,
        "SQLite and the evaluator disagree on {criteria:?}\n{sql}"
    );
});
