//! ORDER BY / LIMIT / OFFSET shared by the app-data lists.

use berth_core::monaql::Property;
use berth_core::page::{PageRequest, SortDirection};
use sqlx::{Postgres, QueryBuilder};

use crate::monaql::{ColumnMap, property_sql};

/// Appends the sort keys and the id as the last one (so pages never overlap), then asks for one row
/// more than the page, which tells whether a next page exists without counting.
///
/// Missing values sort first ascending and last descending, as NULL does in SQLite. Every index a
/// sort may use is built `(key NULLS FIRST, id)`, so read forwards it gives `key ASC NULLS FIRST, id
/// ASC` and backwards `key DESC NULLS LAST, id DESC`: the id follows the direction of the last key,
/// and the index serves the whole ORDER BY either way.
pub(crate) fn push_order_and_page(
    builder: &mut QueryBuilder<Postgres>,
    sort: &[(Property, SortDirection)],
    columns: &ColumnMap,
    page: &PageRequest,
) {
    builder.push(" ORDER BY ");
    for (property, direction) in sort {
        builder.push(property_sql(property, columns));
        builder.push(match direction {
            SortDirection::Ascending => " ASC NULLS FIRST, ",
            SortDirection::Descending => " DESC NULLS LAST, ",
        });
    }
    let last = sort
        .last()
        .map_or(SortDirection::Ascending, |(_, direction)| *direction);
    builder.push(match last {
        SortDirection::Ascending => "id ASC",
        SortDirection::Descending => "id DESC",
    });
    builder.push(" LIMIT ");
    builder.push_bind(i64::from(page.limit) + 1);
    builder.push(" OFFSET ");
    builder.push_bind(i64::try_from(page.offset).unwrap_or(i64::MAX));
}

pub(crate) fn split_page<T>(mut rows: Vec<T>, page: &PageRequest) -> (Vec<T>, bool) {
    let has_more = rows.len() > page.limit as usize;
    rows.truncate(page.limit as usize);
    (rows, has_more)
}

/// `text` for a LIKE pattern with `ESCAPE '\'`: its wildcards match only themselves.
pub(crate) fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}
