//! A visitor's submission of a web form: the form must exist and be active, the post come
//! from an allowed origin and stay under the rate limit of its address; a filled honeypot is
//! counted and answered as accepted with nothing created; the rest is a lead created through
//! the record engine (validated as the lead form is), assigned as the form says.

use super::parse_public_key;
use crate::{Actor, App, AppError, AppResult};
use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::fields::FieldDef;
use domain::permissions::{Action, DataScope, Grant, ObjectKind, RolePermissions};
use domain::web_forms::{self as rules, Target, HONEYPOT, WINDOW_SECONDS};
use domain::FieldErrors;
use serde_json::json;
use store::web_forms::{self as repo, WebForm};
use uuid::Uuid;

/// What a visitor posted, and where from.
#[derive(Debug, Clone, Default)]
pub struct Submission {
    /// The posted fields (name, value), in order; a name may come more than once.
    pub values: Vec<(String, String)>,
    /// The client's address (the rate limit counts per address).
    pub client: String,
    pub origin: Option<String>,
    pub referer: Option<String>,
}

impl Submission {
    fn value(&self, key: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }
}

/// An accepted submission: the form (for its thank-you text or redirect) and the lead
/// created, none for a robot caught by the honeypot.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub form: WebForm,
    pub lead: Option<Uuid>,
}

/// A public form as a visitor sees it: the form and its fields' definitions, in its order.
#[derive(Debug, Clone)]
pub struct PublicForm {
    pub form: WebForm,
    pub fields: Vec<FieldDef>,
}

/// The active form a public key names, else `NotFound` (an unknown, malformed or inactive
/// key are alike to the visitor).
async fn active_form(app: &App, key: &str) -> AppResult<(Uuid, WebForm)> {
    let tenant = parse_public_key(key).ok_or(AppError::NotFound)?;
    let mut tx = app.db.begin_read().await?;
    let form = repo::by_key(&mut tx, tenant, key)
        .await?
        .filter(|f| f.active)
        .ok_or(AppError::NotFound)?;
    Ok((tenant, form))
}

pub async fn public_form(app: &App, key: &str) -> AppResult<PublicForm> {
    let (tenant, form) = active_form(app, key).await?;
    let mut tx = app.db.begin_read().await?;
    let lead = crate::records::object_fields_tx(&mut tx, tenant, ObjectKind::Lead).await?;
    let fields = form
        .fields
        .0
        .iter()
        .filter_map(|f| lead.field(&f.key).cloned())
        .collect();
    Ok(PublicForm { form, fields })
}

/// The company's system actor for a form's leads: the form's owner as the creator (so a
/// lead no rule assigns stays with them), allowed only to create and read leads, with no
/// field limits of a role, since a website visitor is no user of the company.
fn system_actor(user: store::org::User) -> Actor {
    let mut actor = Actor::from_user(user);
    let grant = Grant {
        actions: vec![Action::Create, Action::Read],
        scope: DataScope::All,
    };
    actor.principal.permissions = RolePermissions {
        objects: [(ObjectKind::Lead, grant)].into_iter().collect(),
        fields: Default::default(),
    };
    actor
}

fn window_of(now: DateTime<Utc>) -> DateTime<Utc> {
    let start = rules::window_start(now.timestamp());
    Utc.timestamp_opt(start, 0).single().unwrap_or(now)
}

pub async fn submit(app: &App, key: &str, s: &Submission) -> AppResult<Accepted> {
    let (tenant, form) = active_form(app, key).await?;
    let origin_ok = rules::origin_allowed(
        &form.allowed_origins.0,
        s.origin.as_deref(),
        s.referer.as_deref(),
    );
    if !origin_ok {
        return Err(AppError::Forbidden);
    }
    // Every post counts toward the limit, in its own transaction, so that a refused or
    // invalid one is counted too.
    let now = app.now();
    let window = window_of(now);
    let mut tx = app.db.begin().await?;
    let hits = repo::hit(&mut tx, tenant, form.id, &s.client, window).await?;
    let spam = s.value(HONEYPOT).is_some();
    if spam && hits <= form.rate_limit {
        repo::count_submission(&mut tx, tenant, form.id, true).await?;
    }
    tx.commit().await?;
    if hits > form.rate_limit {
        let lifts = window + Duration::seconds(WINDOW_SECONDS);
        return Err(AppError::TooManyAttempts {
            retry_after_secs: (lifts - now).num_seconds().max(1),
        });
    }
    if spam {
        tracing::info!(form = %form.id, "web form submission caught by the honeypot");
        return Ok(Accepted { form, lead: None });
    }
    let lead = create_lead(app, tenant, &form, s).await?;
    Ok(Accepted {
        form,
        lead: Some(lead),
    })
}

/// The lead's input: the form's fields as posted (a required one left empty is refused
/// here, the values' own checks are the engine's), the source the form stamps, the
/// assignment flag.
fn lead_input(form: &WebForm, s: &Submission) -> AppResult<crate::records::Input> {
    let mut errors = FieldErrors::new();
    let mut input = Vec::with_capacity(form.fields.0.len() + 2);
    for f in &form.fields.0 {
        match s.value(&f.key) {
            Some(v) => input.push((f.key.clone(), vec![v.to_string()])),
            None if f.required => errors.add(&f.key, "required"),
            None => {}
        }
    }
    errors.into_result()?;
    if let Some(source) = &form.source {
        input.push(("source".into(), vec![source.clone()]));
    }
    let assign = !matches!(Target::parse(&form.target), Some(Target::Pool(_)));
    input.push((crate::assignment::FLAG.into(), vec![assign.to_string()]));
    Ok(input)
}

async fn create_lead(app: &App, tenant: Uuid, form: &WebForm, s: &Submission) -> AppResult<Uuid> {
    let input = lead_input(form, s)?;
    let mut tx = app.db.begin().await?;
    let owner = store::org::get_user(&mut tx, tenant, form.owner_id)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| {
            tracing::warn!(form = %form.id, "the web form's owner is not an active user");
            AppError::NotFound
        })?;
    let actor = system_actor(owner);
    let now = app.now();
    let target = Target::parse(&form.target).unwrap_or(Target::Rules);
    let only = match target {
        Target::Rule(id) => Some(id),
        _ => None,
    };
    let id =
        crate::records::create_routed(&mut tx, &actor, ObjectKind::Lead, &input, only, now).await?;
    if let Target::Pool(pool) = target {
        let pool = crate::pools::claims::target_pool(&mut tx, tenant, ObjectKind::Lead, Some(pool))
            .await?;
        let no_rule = store::records::Values::new();
        crate::assignment::place(&mut tx, &actor, id, Some(pool.id), &no_rule, now).await?;
    }
    let (owner_id, name) = store::sharing::owner_and_name(&mut tx, tenant, ObjectKind::Lead, id)
        .await?
        .ok_or_else(|| AppError::Internal(format!("lead {id} of a web form is gone")))?;
    let detail = json!({ "web_form_id": form.id, "web_form": form.name });
    let subject = crate::events::Subject {
        object: ObjectKind::Lead,
        id,
        owner_id: Some(owner_id),
        name: &name,
    };
    crate::events::action(&mut tx, &actor, now, subject, "web_form_submitted", &detail).await?;
    repo::count_submission(&mut tx, tenant, form.id, false).await?;
    tx.commit().await?;
    Ok(id)
}
