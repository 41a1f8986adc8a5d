//! The integration suite: every scenario on SQLite and on PostgreSQL, through the use cases,
//! the pages and the API.

mod support;

mod accounts;
mod admin;
mod api;
mod faults;
mod jobs;
mod org;
mod pages;
mod permissions;
mod records;
mod role_names;
mod storage;
