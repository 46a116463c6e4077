//! TEMPORARY STUB (replaced by the real compiler on merge of branch `monaql`).
#![allow(dead_code)]

use berth_core::monaql::{Criteria, Property, SystemProperty};
use sqlx::{QueryBuilder, Sqlite};

pub enum ColumnType {
    Text,
    Integer,
}

pub struct ColumnMap {
    pub data_column: &'static str,
    pub system: fn(SystemProperty) -> Option<(&'static str, ColumnType)>,
}

pub fn push_criteria(
    builder: &mut QueryBuilder<Sqlite>,
    _criteria: &Criteria,
    _columns: &ColumnMap,
) {
    builder.push("1");
}

pub fn property_sql(property: &Property, columns: &ColumnMap) -> String {
    match property {
        Property::System(p) => (columns.system)(*p)
            .map(|(c, _)| c.to_owned())
            .unwrap_or_else(|| "NULL".into()),
        Property::Data(path) => format!(
            "json_extract({}, '$.{}')",
            columns.data_column,
            path.join(".")
        ),
    }
}
