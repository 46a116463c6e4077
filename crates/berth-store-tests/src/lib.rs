//! The storage conformance suite: stories written against the [`Store`] traits only, so every store
//! (SQLite, PostgreSQL, any later one) is judged by the same rules.
//!
//! A store crate runs the whole suite with one line in its tests:
//! `berth_store_tests::conformance_tests!(async { Arc::new(open_a_fresh_store().await) as Arc<dyn Store> });`

mod analytics;
mod appauth;
mod appdata;
mod backends;
mod keys;
mod oracle_storage;
mod push;
mod roles;
mod settings;

pub use analytics::*;
pub use appauth::*;
pub use appdata::*;
pub use backends::*;
pub use keys::*;
pub use oracle_storage::*;
pub use push::*;
pub use roles::*;
pub use settings::*;

use berth_core::Timestamp;
use berth_core::backend::{Backend, BackendCredentials, RoleAccess};
use berth_core::secret::{generate_token, hash_secret};
use uuid::Uuid;

/// Expands to one `#[tokio::test]` per story, each on a fresh store made by `$make_store`.
#[macro_export]
macro_rules! conformance_tests {
    ($make_store:expr) => {
        $crate::conformance_tests!(@stories $make_store;
            backend_round_trips,
            backend_name_and_version_are_unique_ignoring_case,
            replace_backend_checks_the_revision,
            replace_backend_refuses_a_name_clash,
            delete_backend_checks_the_revision_and_takes_its_keys,
            list_backends_filters,
            list_backends_orders_and_pages,
            list_backends_name_search_treats_wildcards_literally,
            management_keys_belong_to_one_backend,
            management_key_for_a_missing_backend_is_refused,
            settings_are_upserted,
            settings_are_stored_once_when_absent,
            users_round_trip_and_usernames_are_unique_per_backend,
            deleting_users_is_all_or_nothing,
            users_are_listed_sorted_filtered_and_paged,
            collections_are_created_configured_and_dropped,
            items_round_trip_and_count,
            item_numbers_round_trip,
            items_are_listed_sorted_and_paged,
            filtered_totals_follow_every_item_write,
            concurrent_inserts_succeed_or_fail_each_on_their_own,
            purging_a_backend_removes_its_app_data,
            app_settings_are_kept_per_backend,
            sessions_expire_and_end,
            tokens_work_once_and_expire,
            login_failures_are_counted_in_a_window,
            devices_are_upserted,
            mail_templates_and_outbox,
            app_callers_see_only_items_they_may,
            roles_and_memberships_belong_to_one_backend,
            analytics_events_are_kept_in_order_per_backend,
            storage_collections_round_trip_link_and_purge,
            storage_objects_are_kept_per_backend_and_owner,
            push_configs_are_per_backend_with_unique_project_ids,
            push_registrations_move_and_are_removed,
            push_outbox_expands_in_batches_and_settles_leased_deliveries,
            push_leases_expire_and_scheduled_notifications_wait,
        );
    };
    (@stories $make_store:expr; $($story:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $story() {
                let store = $make_store.await;
                $crate::$story(store).await;
            }
        )*
    };
}

/// A complete backend as the service layer would build it, for stories to store and compare.
pub fn sample_backend(name: &str, version: &str) -> Backend {
    let now = Timestamp::now();
    Backend {
        id: Uuid::now_v7(),
        name: name.to_owned(),
        version: version.to_owned(),
        description: Some("a backend".to_owned()),
        title: None,
        action_comment: None,
        oauth_enabled: true,
        basic_auth_enabled: false,
        inactive: false,
        role_access: RoleAccess {
            enabled: true,
            roles: vec!["Technician".to_owned(), "Manager".to_owned()],
        },
        analytics_app_guid: None,
        published: false,
        in_trash: false,
        revision: 1,
        created_on: now,
        created_by: "tester".to_owned(),
        modified_on: now,
        modified_by: "tester".to_owned(),
        deleted_on: None,
        deleted_by: None,
        credentials: BackendCredentials {
            client_id: Uuid::new_v4().to_string(),
            client_secret: generate_token(),
            basic_auth_backend_id: Uuid::new_v4(),
            anonymous_key: generate_token(),
            app_api_key_hash: hash_secret(&generate_token()),
        },
    }
}
