//! Query parameters of the tools lists (`limit`, `offset`, `id`, `exclude`, `filterType`, `fromTime`,
//! `orderBy`, `q`, `totalResults`), parsed strictly: a value we do not understand is a 400, never
//! silently ignored.

use berth_core::Timestamp;
use berth_core::backend::{BackendQuery, BackendSortKey, FlagFilter};
use berth_core::page::SortDirection;
use uuid::Uuid;

use crate::http::oracle_error::{ErrorCode, OracleError};

pub const DEFAULT_LIMIT: u32 = 100;
pub const MAX_LIMIT: u32 = 1000;

fn invalid(detail: String) -> OracleError {
    OracleError::new(ErrorCode::InvalidQuery, detail)
}

pub fn backend_query(raw: Option<&str>) -> Result<BackendQuery, OracleError> {
    let mut query = BackendQuery::default();
    let mut trash = Vec::new();
    let mut published = Vec::new();
    let mut active = Vec::new();
    for (name, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        let value = value.trim();
        match name.as_ref() {
            // A larger page than we serve is lowered, not refused.
            "limit" => query.page.limit = parse_number::<u32>("limit", value)?.min(MAX_LIMIT),
            "offset" => query.page.offset = parse_number("offset", value)?,
            "id" => query.ids.push(parse_uuid("id", value)?),
            "exclude" => query.exclude.push(parse_uuid("exclude", value)?),
            "totalResults" => query.page.with_total = parse_bool("totalResults", value)?,
            "q" => query.name_contains = Some(value.to_owned()).filter(|q| !q.is_empty()),
            "fromTime" => query.changed_since = Some(parse_from_time(value)?),
            "orderBy" => query.order_by = parse_order_by(value)?,
            "filterType" => {
                for filter in value.split(',').map(str::trim).filter(|f| !f.is_empty()) {
                    match filter.to_ascii_uppercase().as_str() {
                        "TRASH" => trash.push(true),
                        "NOT_TRASH" => trash.push(false),
                        "PUBLISHED" => published.push(true),
                        "NOT_PUBLISHED" => published.push(false),
                        "INACTIVE" => active.push(false),
                        "ACTIVE" => active.push(true),
                        other => {
                            return Err(invalid(format!(
                                "filterType {other} is not one of NOT_PUBLISHED, PUBLISHED, NOT_TRASH, TRASH, ACTIVE, INACTIVE."
                            )));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if !trash.is_empty() {
        query.trash = flag_filter(&trash);
    }
    query.published = flag_filter(&published);
    // "ACTIVE" means inactive = false.
    query.inactive = match flag_filter(&active) {
        FlagFilter::Only => FlagFilter::Without,
        FlagFilter::Without => FlagFilter::Only,
        FlagFilter::Either => FlagFilter::Either,
    };
    Ok(query)
}

/// Both of a pair, or neither, admits everything.
fn flag_filter(wanted: &[bool]) -> FlagFilter {
    match (wanted.contains(&true), wanted.contains(&false)) {
        (true, false) => FlagFilter::Only,
        (false, true) => FlagFilter::Without,
        _ => FlagFilter::Either,
    }
}

fn parse_number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, OracleError> {
    value.parse().map_err(|_| {
        invalid(format!(
            "{name} must be a whole number of zero or more, not \"{value}\"."
        ))
    })
}

fn parse_uuid(name: &str, value: &str) -> Result<Uuid, OracleError> {
    Uuid::parse_str(value).map_err(|_| invalid(format!("{name} \"{value}\" is not an asset id.")))
}

fn parse_bool(name: &str, value: &str) -> Result<bool, OracleError> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(invalid(format!(
            "{name} must be true or false, not \"{value}\"."
        ))),
    }
}

/// Epoch milliseconds, ISO-8601, or a time relative to now: `-30s`, `-5m`, `-1h`, `-2d`.
fn parse_from_time(value: &str) -> Result<Timestamp, OracleError> {
    if let Ok(millis) = value.parse::<i64>() {
        return Ok(Timestamp::from_millis(millis));
    }
    if let Some(relative) = value.strip_prefix('-') {
        let (amount, unit) = relative.split_at(relative.len().saturating_sub(1));
        let unit_millis = match unit {
            "s" => Some(1_000),
            "m" => Some(60_000),
            "h" => Some(3_600_000),
            "d" => Some(86_400_000),
            _ => None,
        };
        if let (Some(unit_millis), Ok(amount)) = (unit_millis, amount.parse::<i64>()) {
            return Ok(Timestamp::now().minus_millis(amount.saturating_mul(unit_millis)));
        }
    }
    Timestamp::parse_iso(value).ok_or_else(|| {
        invalid(format!(
            "fromTime \"{value}\" is neither epoch milliseconds, an ISO-8601 time, nor relative like -1h."
        ))
    })
}

fn parse_order_by(value: &str) -> Result<Vec<(BackendSortKey, SortDirection)>, OracleError> {
    let mut order = Vec::new();
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (attribute, direction) = part.split_once(':').unwrap_or((part, "asc"));
        let key = match attribute {
            "name" => BackendSortKey::Name,
            "version" => BackendSortKey::Version,
            "createdOn" => BackendSortKey::CreatedOn,
            "modifiedOn" => BackendSortKey::ModifiedOn,
            other => {
                return Err(invalid(format!(
                    "orderBy attribute {other} is not one of name, version, createdOn, modifiedOn."
                )));
            }
        };
        let direction = match direction.to_ascii_lowercase().as_str() {
            "asc" => SortDirection::Ascending,
            "desc" => SortDirection::Descending,
            other => {
                return Err(invalid(format!(
                    "orderBy direction {other} is not asc or desc."
                )));
            }
        };
        order.push((key, direction));
    }
    if order.is_empty() {
        return Ok(BackendQuery::default().order_by);
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_hide_the_trash() {
        let query = backend_query(None).expect("valid");
        assert_eq!(query.trash, FlagFilter::Without);
        assert_eq!(query.page.limit, DEFAULT_LIMIT);
    }

    #[test]
    fn filter_pairs_combine() {
        let both = backend_query(Some("filterType=TRASH,NOT_TRASH")).expect("valid");
        assert_eq!(both.trash, FlagFilter::Either);
        let inactive = backend_query(Some("filterType=inactive")).expect("valid");
        assert_eq!(inactive.inactive, FlagFilter::Only);
        let active = backend_query(Some("filterType=ACTIVE&filterType=TRASH")).expect("valid");
        assert_eq!(active.inactive, FlagFilter::Without);
        assert_eq!(active.trash, FlagFilter::Only);
    }

    #[test]
    fn bad_values_are_refused() {
        for raw in [
            "limit=-1",
            "limit=x",
            "filterType=DELETED",
            "orderBy=size",
            "orderBy=name:up",
            "id=7",
            "fromTime=soon",
            "totalResults=yes",
        ] {
            assert!(backend_query(Some(raw)).is_err(), "{raw} should be refused");
        }
    }

    #[test]
    fn limit_is_capped_and_times_parse() {
        assert_eq!(
            backend_query(Some("limit=100000"))
                .expect("valid")
                .page
                .limit,
            MAX_LIMIT
        );
        let relative = backend_query(Some("fromTime=-1h"))
            .expect("valid")
            .changed_since
            .expect("set");
        let age = Timestamp::now().as_millis() - relative.as_millis();
        assert!((3_599_000..3_601_000).contains(&age), "{age}");
        let iso = backend_query(Some("fromTime=2020-01-01T00:00:00Z")).expect("valid");
        assert_eq!(
            iso.changed_since,
            Some(Timestamp::from_millis(1_577_836_800_000))
        );
    }
}
