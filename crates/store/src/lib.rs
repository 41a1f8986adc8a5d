//! The database layer: one `Db` over SQLite or PostgreSQL, embedded migrations, and the
//! repositories of every capability. SQL lives here and nowhere else.
//!
//! Queries are written once with `$1`-style placeholders, which both backends accept, and run
//! through [`on_conn!`]/[`on_pool!`], which expand the same code for each backend's types.

#[macro_use]
mod db;
pub mod assignment;
pub mod audit;
pub mod auth;
pub mod bulk;
pub mod children;
pub mod closing;
pub mod custom_fields;
pub mod duplicates;
pub mod events;
pub mod exports;
pub mod history;
pub mod idempotency;
pub mod imports;
pub mod jobs;
pub mod mail;
pub mod metadata_cache;
pub mod money;
pub mod notifications;
pub mod org;
pub mod picklists;
pub mod pools;
pub mod records;
pub mod reindex;
pub mod search;
pub mod settings;
pub mod sharing;
pub mod showroom;
pub mod stages;
pub mod tags;
pub mod tenants;
pub mod timeline;
pub mod tree;
pub mod views;
pub mod visibility;
pub mod web_forms;

pub use db::{org_epoch, Backend, Db, Param, Savepoint, StoreError, Tx};
pub use sqlx::types::Json as JsonValue;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
