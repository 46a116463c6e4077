//! ORDER BY / LIMIT / OFFSET shared by the app-data lists.

use berth_core::monaql::Property;
use berth_core::page::{PageRequest, SortDirection};
use sqlx::{QueryBuilder, Sqlite};

use crate::monaql::{ColumnMap, property_sql};

/// Appends the sort keys and the id as the last one (so pages never overlap), then asks for one row
/// more than the page, which tells whether a next page exists without counting. The id follows the
/// direction of the last key, so an index on `(key, id)` serves the whole ORDER BY either way.
pub(crate) fn push_order_and_page(
    builder: &mut QueryBuilder<Sqlite>,
    sort: &[(Property, SortDirection)],
    columns: &ColumnMap,
    page: &PageRequest,
) {
    builder.push(" ORDER BY ");
    for (property, direction) in sort {
        builder.push(property_sql(property, columns));
        builder.push(sql_direction(*direction));
        builder.push(", ");
    }
    let last = sort
        .last()
        .map_or(SortDirection::Ascending, |(_, direction)| *direction);
    builder.push("id");
    builder.push(sql_direction(last));
    push_page(builder, page.limit, page.offset);
}

/// ` LIMIT n OFFSET m`, one row more than the page to tell whether more follow.
///
/// Written out, not bound: SQLite plans for a bound LIMIT's value, so a statement whose LIMIT is
/// bound anew is prepared again on every run (a fifth of a list request's time). They are numbers,
/// not text, so nothing can be injected.
pub(crate) fn push_page(builder: &mut QueryBuilder<Sqlite>, limit: u32, offset: u64) {
    builder.push(format_args!(
        " LIMIT {} OFFSET {}",
        i64::from(limit) + 1,
        i64::try_from(offset).unwrap_or(i64::MAX)
    ));
}

fn sql_direction(direction: SortDirection) -> &'static str {
    match direction {
        SortDirection::Ascending => " ASC",
        SortDirection::Descending => " DESC",
    }
}

pub(crate) fn split_page<T>(mut rows: Vec<T>, page: &PageRequest) -> (Vec<T>, bool) {
    let has_more = rows.len() > page.limit as usize;
    rows.truncate(page.limit as usize);
    (rows, has_more)
}

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
