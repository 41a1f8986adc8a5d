//! The integration suite: every scenario on SQLite and on PostgreSQL, through the use cases,
//! the pages and the API.

mod support;

mod accounts;
mod admin;
mod api;
mod input;
mod org;
mod pages;
mod paging;
mod permissions;
mod records;
mod references;
