//! Meridian's business rules: pure types and functions, no I/O.
//!
//! Everything here is tested without a database; the store and app crates build on it.

pub mod assignment;
pub mod children;
pub mod closing;
pub mod contact_details;
pub mod conversion;
pub mod credit_code;
pub mod duplicates;
pub mod fields;
pub mod follow_up;
pub mod imports;
pub mod money;
pub mod objects;
pub mod org;
pub mod permissions;
pub mod picklists;
pub mod pools;
pub mod regions;
pub mod rules;
pub mod search;
pub mod showroom;
pub mod stages;
pub mod time;
pub mod validation;
pub mod views;
pub mod web_forms;

pub use validation::{FieldError, FieldErrors};
