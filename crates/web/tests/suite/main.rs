//! The integration suite: every scenario on SQLite and on PostgreSQL, through the use cases,
//! the pages and the API.

mod account_fixture;
mod smtp_sink;
mod support;

mod accounts;
mod admin;
mod api;
mod api_pages;
mod api_routes;
mod audit;
mod children;
mod clock;
mod closing;
mod closing_pages;
mod delete_protection;
mod engine;
mod events;
mod faults;
mod field_access;
mod forms;
mod input;
mod jobs;
mod lookup_names;
mod mail;
mod money;
mod notifications;
mod org;
mod org_api;
mod page_chrome;
mod pages;
mod paging;
mod permissions;
mod picklist_pages;
mod picklists;
mod pools;
mod pools_admin;
mod records;
mod references;
mod role_names;
mod search;
mod sharing;
mod stage_pages;
mod stages;
mod storage;
mod time_zones;
