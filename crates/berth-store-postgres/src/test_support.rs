//! For test suites that run on PostgreSQL: a fresh database per test, on the server that
//! `BERTH_TEST_DATABASE_URL` names (`./scripts/test` starts a throwaway one and sets it).

use sqlx::Connection;
use sqlx::postgres::PgConnection;

/// Names the PostgreSQL server tests create their databases on, as a URL of any database there on
/// which the user may `CREATE DATABASE`.
pub const TEST_DATABASE_URL_VAR: &str = "BERTH_TEST_DATABASE_URL";

/// The server URL from [`TEST_DATABASE_URL_VAR`], if set and not blank.
pub fn test_server_url() -> Option<String> {
    std::env::var(TEST_DATABASE_URL_VAR)
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// The server URL from [`TEST_DATABASE_URL_VAR`]; panics, saying what to do, when it is not set, so
/// that a PostgreSQL test never passes without having run.
pub fn require_test_server_url() -> String {
    test_server_url().unwrap_or_else(|| {
        panic!(
            "{TEST_DATABASE_URL_VAR} is not set: these tests need a PostgreSQL server. Run \
             ./scripts/test, which starts PostgreSQL, or set {TEST_DATABASE_URL_VAR} to \
             postgres://USER:PASSWORD@HOST:PORT/DATABASE of a user that may create databases"
        )
    })
}

/// Creates an empty database named `berth_test_<random>` on the server of `server_url` and returns
/// the URL of that database (the same URL with the database name replaced).
pub async fn create_test_database(server_url: &str) -> Result<String, sqlx::Error> {
    let name = format!("berth_test_{}", uuid::Uuid::new_v4().simple());
    let mut connection = PgConnection::connect(server_url).await?;
    // The name is ours (letters, digits, underscore), never input: safe to put into the statement.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut connection)
        .await?;
    let _ = connection.close().await;
    Ok(with_database(server_url, &name))
}

/// `url` with its database name (the path) replaced by `database`; query parameters are kept.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority = base.find("://").map_or(0, |at| at + 3);
    // The path starts at the first '/' after the credentials (whose password may hold a '/').
    let host_start = base[authority..]
        .rfind('@')
        .map_or(authority, |at| authority + at + 1);
    let path_start = base[host_start..]
        .find('/')
        .map_or(base.len(), |at| host_start + at);
    let mut result = format!("{}/{database}", &base[..path_start]);
    if let Some(query) = query {
        result.push('?');
        result.push_str(query);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://u:p@h:5433/postgres", "t1"),
            "postgres://u:p@h:5433/t1"
        );
        assert_eq!(
            with_database("postgres://u:p@h", "t1"),
            "postgres://u:p@h/t1"
        );
        assert_eq!(
            with_database("postgresql://u:a/b@h/db?sslmode=disable", "t1"),
            "postgresql://u:a/b@h/t1?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres:///db?host=/run/postgresql", "t1"),
            "postgres:///t1?host=/run/postgresql"
        );
    }
}
