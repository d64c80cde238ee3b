//! The store conformance suite: the behaviour every [`Store`] backend must
//! show, written once against the trait.
//!
//! Each case is a `pub async fn` taking a fresh, empty store. A backend's
//! test file instantiates all of them with [`store_conformance_tests!`],
//! passing an async factory that answers `Some((store, guard))`, or `None`
//! when the backend is not available here (the case is then skipped with a
//! line saying so). The guard lives until the case ends and cleans up when
//! dropped (a temporary directory, a per-test database).
//!
//! ```ignore
//! async fn sqlite() -> Option<(Arc<dyn Store>, tempfile::TempDir)> { … }
//! mod sqlite { usher_testkit::store_conformance_tests!(super::sqlite); }
//! ```
//!
//! After every case the suite also walks every audit chain the store holds
//! with [`usher_core::audit::ChainVerifier`]: no case may leave a broken chain.

pub mod admins;
pub mod attributes;
pub mod audit;
pub mod audit_writes;
pub mod bulk;
pub mod changes;
pub mod deletes;
pub mod factors;
pub mod filters;
pub mod fixtures;
pub mod imports;
pub mod jobs;
pub mod listing;
pub mod mfa;
pub mod mfa_reset;
pub mod narrowing;
pub mod paging;
pub mod passwords;
pub mod role_writes;
pub mod roles;
pub mod scim;
pub mod scopes;
pub mod search;
pub mod sessions;
pub mod tenants;
pub mod throttle;
pub mod tokens;
pub mod totals;
pub mod users;

use std::future::Future;
use std::sync::Arc;
use usher_core::Store;

/// Runs one case against a store from `factory`, then verifies the chains.
pub async fn run_case<F, Fut, G, C, CFut>(name: &str, factory: F, case: C)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Option<(Arc<dyn Store>, G)>>,
    C: FnOnce(Arc<dyn Store>) -> CFut,
    CFut: Future<Output = ()>,
{
    let Some((store, guard)) = factory().await else {
        println!("skipped {name}: this backend is not available here");
        return;
    };
    case(store.clone()).await;
    fixtures::verify_all_chains(&*store).await;
    drop(store);
    drop(guard);
}

/// Expands to one `#[tokio::test]` per conformance case, each running the
/// case against a store made by `$factory` (an async fn answering
/// `Option<(Arc<dyn Store>, Guard)>`). The calling crate needs `tokio`.
#[macro_export]
macro_rules! store_conformance_tests {
    (@cases run $factory:expr; $($module:ident :: $case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                $crate::conformance::run_case(
                    stringify!($case),
                    $factory,
                    $crate::conformance::$module::$case,
                )
                .await;
            }
        )*
    };
    (@cases needs_postgres $factory:expr; $($module:ident :: $case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "needs PostgreSQL: set USHER_TEST_POSTGRES_URL and pass --ignored"]
            async fn $case() {
                $crate::conformance::run_case(
                    stringify!($case),
                    $factory,
                    $crate::conformance::$module::$case,
                )
                .await;
            }
        )*
    };
    ($mode:ident, $factory:expr) => {
        $crate::store_conformance_tests!(@cases $mode $factory;
            jobs::a_claimed_job_is_leased_to_one_owner_until_it_completes,
            jobs::a_job_whose_lease_ran_out_is_taken_over_by_another_owner,
            jobs::a_failed_attempt_waits_for_its_retry_and_a_failed_job_can_be_queued_again,
            jobs::concurrent_claimers_take_each_job_exactly_once,
            jobs::a_recurring_job_exists_once_and_comes_back_after_each_turn,
            jobs::jobs_are_listed_newest_first_filtered_counted_and_purged,
            jobs::a_queued_mail_brings_its_delivery_job_with_it,
            jobs::a_restarted_process_releases_the_jobs_its_earlier_run_held,
            jobs::a_job_claimed_by_its_id_goes_to_one_owner_once_it_is_due,
            imports::a_queued_import_is_stored_with_its_file_and_its_job,
            imports::a_save_applies_only_after_the_batches_its_saver_expects,
            imports::a_batch_is_kept_with_its_save_and_refused_whole_when_the_import_moved_on,
            imports::a_refused_batch_leaves_its_import_unsaved,
            imports::skipping_refused_entries_writes_the_rest_and_counts_them_in_the_record,
            tenants::a_store_answers_ping,
            tenants::a_created_tenant_is_found_by_slug_and_listed_with_default_settings,
            tenants::creating_a_tenant_with_a_taken_slug_is_refused_and_audited,
            tenants::tenants_are_listed_with_every_one_created,
            tenants::updating_tenant_settings_stores_them_and_audits_the_change,
            tenants::updating_the_settings_of_an_unknown_tenant_is_refused_with_tenant_not_found,
            tenants::a_tenant_token_is_found_by_its_hash_with_every_field,
            tokens::tokens_are_listed_per_tenant_oldest_first_and_super_admin_tokens_apart,
            tokens::a_revoked_token_is_found_no_more_and_its_revoke_is_audited,
            tokens::revoking_another_tenants_token_is_refused_as_not_found_and_changes_nothing,
            tokens::the_named_super_token_is_removed_alone_and_audited_only_when_it_existed,
            tokens::a_tokens_last_use_is_recorded,
            tokens::a_tokens_scope_is_kept_and_read_back_with_its_groups_current_name,
            tokens::deleting_a_group_deletes_the_tokens_scoped_to_it_and_no_other,
            roles::roles_are_listed_by_name_with_their_holders_and_names_are_unique_ignoring_case,
            roles::a_role_is_assigned_once_and_removed_and_unknown_ones_are_refused,
            roles::a_built_in_admin_role_is_made_on_first_assignment_and_never_listed_or_deleted,
            roles::a_held_role_is_deleted_only_when_forced_and_takes_its_assignments_along,
            roles::deleting_a_user_removes_their_assignments,
            roles::the_roles_of_a_page_of_users_are_read_at_once_by_user_and_by_name,
            roles::a_tenants_own_role_is_found_by_name_ignoring_case_and_a_built_in_one_is_not,
            roles::a_user_write_gives_and_takes_a_tenant_role_as_its_effect_and_never_a_built_in_one,
            role_writes::a_user_write_sets_several_roles_and_records_each_change_made_as_its_own_event,
            role_writes::a_new_user_holds_the_roles_its_create_gives_from_the_start,
            role_writes::import_entries_set_roles_and_their_batch_event_counts_the_changes,
            role_writes::a_role_condition_selects_the_holders_of_a_tenant_role_and_never_of_an_admin_role,
            mfa_reset::a_factor_reset_removes_every_factor_and_requires_enrolment_until_one_is_confirmed,
            scopes::a_scoped_list_counts_and_pages_only_the_users_of_its_group_or_attribute_value,
            scopes::a_user_who_leaves_the_group_or_the_value_drops_out_of_the_scope_at_once,
            scopes::a_persons_admin_roles_share_one_scope_which_a_grant_sets_and_a_group_delete_takes_away,
            scopes::a_role_filter_lists_and_counts_the_holders_of_the_role_alone_and_within_a_scope,
            narrowing::a_search_limited_to_some_properties_counts_and_pages_only_their_matches,
            narrowing::the_last_login_filters_count_and_page_exactly_and_never_match_users_who_never_logged_in,
            admins::an_admin_session_is_found_by_its_hash_touched_and_ended_with_its_audit_event,
            admins::admin_sessions_end_with_the_users_sessions_and_with_the_user,
            admins::a_persons_token_names_its_owner_and_goes_with_them,
            admins::the_admins_are_the_built_in_roles_held_in_the_tenant_by_email,
            tenants::a_super_admin_token_belongs_to_no_tenant,
            tenants::an_unknown_hash_finds_no_token,
            tenants::creating_a_token_whose_secret_is_in_use_is_refused,
            tenants::replacing_the_named_super_token_leaves_only_the_new_one,
            tenants::replacing_the_named_super_token_with_the_same_secret_keeps_the_stored_one,

            users::creating_a_user_stores_every_field_and_reads_it_back_unchanged,
            users::creating_a_user_with_an_invitation_link_keeps_it_pending_until_the_link_expires,
            users::creating_a_user_with_a_taken_email_in_another_case_is_refused_and_audited,
            users::emails_equal_under_unicode_case_folding_are_the_same_login,
            users::the_same_email_in_another_tenant_is_another_user,
            users::creating_a_user_with_a_taken_username_ignoring_case_is_refused,
            users::external_ids_are_unique_within_their_source,
            users::creating_a_user_with_a_value_of_an_undefined_attribute_is_refused,
            users::an_unknown_id_or_email_finds_no_user,
            users::inserting_a_batch_stores_every_user_with_one_audit_event,
            users::a_batch_with_an_email_already_taken_inserts_nothing,
            users::a_batch_that_repeats_an_email_inside_itself_inserts_nothing,
            users::concurrent_creates_of_one_email_let_exactly_one_win,

            changes::an_edit_bumps_the_version_and_updated_at_and_records_the_changes,
            changes::an_edit_naming_the_current_version_in_if_match_succeeds,
            changes::an_edit_with_a_stale_if_match_is_refused_with_version_mismatch_and_changes_nothing,
            changes::an_edit_that_changes_nothing_keeps_the_version_and_updated_at,
            changes::a_refused_mutation_writes_nothing_but_records_a_refused_event,
            changes::modifying_an_unknown_user_is_refused_with_user_not_found,
            changes::an_edit_to_a_taken_email_or_username_is_refused_and_changes_nothing,
            changes::an_email_freed_by_an_edit_can_be_taken_and_a_change_of_case_is_allowed,
            changes::disabling_with_revoke_access_ends_the_invitation,
            changes::a_new_invitation_link_moves_the_expiry_the_list_judges_by,
            changes::concurrent_edits_naming_the_same_version_let_exactly_one_win,
            deletes::deleting_a_user_removes_it_and_frees_its_email_username_and_external_id,
            deletes::a_refusing_delete_guard_keeps_the_user_and_records_a_refused_event,
            deletes::deleting_with_a_stale_if_match_is_refused_with_version_mismatch,
            deletes::deleting_an_unknown_user_is_refused_with_user_not_found,

            listing::users_are_listed_in_order_of_their_case_folded_email,
            listing::a_page_holds_at_most_limit_users_and_the_exact_total,
            listing::following_next_and_prev_visits_every_user_once_in_both_directions,
            listing::going_back_from_a_page_and_forward_again_returns_the_same_page,
            listing::an_empty_list_has_a_total_of_zero_and_no_links,
            listing::a_cursor_past_either_end_answers_an_empty_page_with_a_way_back,
            filters::filtering_by_state_and_archived_lists_exactly_the_matching_users,
            filters::an_invitation_counts_as_expired_from_its_deadline_on,
            filters::the_sweep_marks_expired_invitations_and_every_filter_answers_the_same,
            filters::the_sweep_changes_at_most_limit_users_per_call,
            totals::totals_stay_exact_through_edits_actions_and_deletes,
            totals::pages_stay_correct_while_users_are_created_and_deleted_between_requests,

            search::search_finds_a_prefix_of_any_search_field_ignoring_case,
            search::a_user_matching_several_terms_is_counted_and_listed_once,
            search::a_search_combined_with_state_and_archived_filters_counts_only_those_users,
            search::a_search_with_thousands_of_matches_counts_and_pages_exactly,
            search::a_search_with_few_matches_among_thousands_finds_exactly_them,
            search::a_search_follows_edits_deletes_and_attribute_purges,

            mfa::the_mfa_filter_combines_with_state_and_archived_and_follows_the_clock,
            mfa::edits_deletes_and_enrolment_keep_the_mfa_totals_exact,
            mfa::a_search_with_the_mfa_filter_counts_and_pages_exactly,

            attributes::a_created_attribute_is_listed_with_every_field,
            attributes::an_attribute_name_differing_only_in_case_is_refused_with_attribute_exists,
            attributes::deleting_an_attribute_in_use_is_refused_with_attribute_in_use,
            attributes::deleting_an_unused_attribute_removes_only_its_definition,
            attributes::purging_an_attribute_removes_its_values_and_bumps_only_the_holders_versions,
            attributes::deleting_an_unknown_attribute_is_refused_with_attribute_not_found,
            attributes::an_edit_adding_a_value_of_an_undefined_attribute_is_refused,

            audit::appended_events_keep_every_field_and_one_chain_per_tenant,
            audit::audit_links_resume_after_a_sequence_number_and_respect_the_limit,
            audit::audit_events_are_listed_newest_first_with_exact_totals_and_cursors,
            audit::audit_events_filter_by_actor_target_action_and_time,
            audit_writes::every_write_records_exactly_one_event_of_its_outcome,
            audit_writes::concurrent_writes_keep_every_chain_gapless_and_verifiable,
            audit_writes::sealing_while_writers_write_puts_each_event_in_its_chain_once,

            passwords::a_user_created_with_a_password_hash_holds_it_verbatim,
            passwords::a_password_write_with_an_edit_replaces_the_hash_and_not_the_version,
            passwords::a_rehash_replaces_the_hash_only_while_it_is_still_the_one_verified,
            passwords::a_refused_write_leaves_the_password_hash_alone,
            passwords::concurrent_rehashes_of_one_hash_replace_it_exactly_once,

            sessions::a_login_opens_a_session_found_by_its_session_and_access_tokens,
            sessions::touching_a_session_moves_last_seen_forward_only,
            sessions::a_refresh_rotates_once_and_a_spent_token_ends_the_session,
            sessions::an_expired_session_does_not_rotate,
            sessions::concurrent_refreshes_with_one_token_rotate_exactly_once,
            sessions::sessions_are_listed_newest_first_and_ended_one_or_all,
            sessions::revoking_access_or_deleting_the_user_ends_their_sessions,
            sessions::the_throttle_counts_failures_per_key_until_cleared,
            throttle::a_reservation_counts_only_over_the_record_its_caller_read,
            throttle::concurrent_reservations_over_one_read_let_exactly_one_count,
            throttle::a_client_is_known_to_the_user_it_logged_in_to_within_the_window,

            factors::a_totp_factor_counts_once_confirmed_and_spends_each_step_once,
            factors::concurrent_uses_of_one_step_spend_it_exactly_once,
            factors::recovery_codes_are_single_use_and_replaced_as_a_set,
            factors::the_last_confirmed_totp_factor_cannot_be_removed,
            factors::a_challenge_counts_wrong_codes_and_ends_once,
            bulk::a_bulk_process_is_stored_with_its_rows_and_listed_newest_first,
            bulk::a_bulk_process_moves_only_from_the_states_named,
            bulk::a_bulk_chunk_runs_each_row_once_with_its_outcome_and_audit,
            bulk::a_row_the_database_refuses_ends_only_that_row_of_its_chunk,
            bulk::a_bulk_delete_runs_and_a_moved_version_reads_as_changed_data,
            scim::user_searches_test_columns_in_the_database,
            scim::groups_keep_members_of_their_tenant_and_lose_deleted_users,
        );
    };
}
