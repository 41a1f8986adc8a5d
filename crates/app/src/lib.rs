//! Use cases: one function per thing a user does, each inside one transaction, checking
//! permissions, writing field history and audit rows.

pub mod account360;
pub mod activities;
pub mod assignment;
pub mod audit;
pub mod auth;
pub mod board;
pub mod business_types;
pub mod cache;
pub mod children;
pub mod clock;
pub mod closing;
pub mod conversion;
pub mod customize;
pub mod duplicates;
pub mod error;
pub mod events;
pub mod exports;
pub mod follow_up;
pub mod housekeeping;
pub mod idempotency;
pub mod imports;
pub mod jobs;
pub mod mail;
pub mod money;
pub mod notifications;
pub mod org;
pub mod picklists;
pub mod pools;
pub mod records;
pub mod references;
pub mod rules;
pub mod search;
pub mod secrets;
pub mod settings;
pub mod sharing;
pub mod showroom;
pub mod stages;
pub mod time_zones;
pub mod web_forms;

pub use clock::{Clock, SystemClock};
pub use error::{AppError, AppResult};

use std::sync::Arc;
use store::Db;

/// Everything a use case needs: the database and the clock.
#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    /// Signed-in users by credential, for a few seconds.
    pub credentials: Arc<cache::Credentials>,
    /// Owner pick-lists by company, for a few seconds.
    pub user_choices: Arc<cache::UserChoices>,
    /// The process's mail server and public URL (`--smtp-url`, `--public-url`).
    pub mail: Arc<mail::MailOptions>,
}

impl App {
    pub fn new(db: Db) -> Self {
        Self::with_clock(db, Arc::new(SystemClock))
    }

    pub fn with_clock(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self {
            db,
            clock,
            credentials: Arc::default(),
            user_choices: Arc::default(),
            mail: Arc::default(),
        }
    }

    /// The same application with the process's mail options.
    pub fn with_mail(self, options: mail::MailOptions) -> Self {
        Self {
            mail: Arc::new(options),
            ..self
        }
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}

/// The signed-in user a use case acts for.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: store::org::User,
    pub principal: domain::permissions::Principal,
}

impl Actor {
    pub fn from_user(user: store::org::User) -> Self {
        let principal = domain::permissions::Principal {
            tenant_id: user.tenant_id,
            user_id: user.id,
            department_id: user.department_id,
            department_path: user.department_path.clone(),
            manager_path: user.manager_path.clone(),
            role_id: user.role_id,
            permissions: user.permissions.0.clone(),
            grants: Default::default(),
        };
        Self { user, principal }
    }

    /// The user's time zone: every time they read, and "today", is in it.
    pub fn time_zone(&self) -> domain::time::Tz {
        domain::time::zone_or_default(self.user.time_zone.as_deref())
    }

    pub fn tenant_id(&self) -> uuid::Uuid {
        self.user.tenant_id
    }

    pub fn id(&self) -> uuid::Uuid {
        self.user.id
    }

    /// Fails with `Forbidden` unless the role allows `action` on `object`.
    pub fn require(
        &self,
        object: domain::permissions::ObjectKind,
        action: domain::permissions::Action,
    ) -> AppResult<()> {
        if self.principal.can(object, action) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}
