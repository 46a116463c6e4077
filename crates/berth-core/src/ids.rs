//! Identifiers. Rows get UUID v7 (time-ordered, so index inserts stay local and ids break sort ties
//! stably); identifiers that must not reveal creation order, such as OAuth client ids, get v4.

use uuid::Uuid;

pub fn new_row_id() -> Uuid {
    Uuid::now_v7()
}

pub fn new_opaque_id() -> Uuid {
    Uuid::new_v4()
}
