//! Set-up, sign-in, sessions, API tokens and passwords.

use crate::cache;
use crate::secrets::{self, PASSWORD_MAX, PASSWORD_MIN};
use crate::{Actor, App, AppError, AppResult};
use chrono::{DateTime, Duration, Utc};
use domain::permissions::default_roles;
use domain::validation::{is_plausible_email, normalize_email, required_text, FieldErrors};
use store::audit::{self, AuditEvent};
use store::org::{self, NewUser, Role};
use store::{auth, tenants};
use uuid::Uuid;

pub const SESSION_DAYS: i64 = 14;
/// Failed sign-ins allowed per address within [`THROTTLE_WINDOW_MINUTES`].
pub const MAX_FAILED_LOGINS: i64 = 5;
pub const THROTTLE_WINDOW_MINUTES: i64 = 15;

pub const LOCALES: [&str; 2] = ["zh-CN", "en"];

pub struct SetupInput {
    pub company: String,
    pub admin_name: String,
    pub email: String,
    pub password: String,
    pub locale: String,
}

fn check_password(errors: &mut FieldErrors, field: &str, password: &str) {
    let len = password.chars().count();
    if len < PASSWORD_MIN {
        errors.add_limit(field, "password_too_short", PASSWORD_MIN as i64);
    } else if len > PASSWORD_MAX {
        errors.add_limit(field, "too_long", PASSWORD_MAX as i64);
    }
}

fn check_email(errors: &mut FieldErrors, email: &str) -> String {
    let email = normalize_email(email);
    if email.is_empty() {
        errors.add("email", "required");
    } else if !is_plausible_email(&email) {
        errors.add("email", "invalid_email");
    }
    email
}

/// The result of creating a company: its id and its first administrator's id.
pub struct Created {
    pub tenant_id: Uuid,
    pub user_id: Uuid,
}

/// Creates a company with the default roles and its first administrator. `only_first`
/// refuses when any company exists already (the web set-up page).
pub async fn create_company(app: &App, input: SetupInput, only_first: bool) -> AppResult<Created> {
    let mut errors = FieldErrors::new();
    let company = required_text(&mut errors, "company", Some(&input.company), 100);
    let admin_name = required_text(&mut errors, "name", Some(&input.admin_name), 100);
    let email = check_email(&mut errors, &input.email);
    check_password(&mut errors, "password", &input.password);
    let locale = if LOCALES.contains(&input.locale.as_str()) {
        input.locale.clone()
    } else {
        "zh-CN".into()
    };
    errors.into_result()?;
    let hash = secrets::hash_password(input.password).await?;

    let mut tx = app.db.begin().await?;
    if only_first && tenants::any_exists(&mut tx).await? {
        return Err(AppError::Rule("setup_done"));
    }
    if org::email_taken(&mut tx, &email).await? {
        return Err(AppError::field("email", "email_taken"));
    }
    let tenant_id = Uuid::now_v7();
    tenants::insert(
        &mut tx,
        &tenants::Tenant {
            id: tenant_id,
            name: company,
            default_locale: locale.clone(),
            created_at: app.now(),
        },
    )
    .await?;
    let mut admin_role = None;
    for role in default_roles() {
        let id = Uuid::now_v7();
        if role.key == "administrator" {
            admin_role = Some(id);
        }
        let name = if locale == "en" {
            role.name_en
        } else {
            role.name_zh
        };
        org::insert_role(
            &mut tx,
            tenant_id,
            &Role {
                id,
                key: Some(role.key.into()),
                name: name.into(),
                permissions: store::JsonValue(role.permissions),
                version: 1,
            },
            app.now(),
        )
        .await?;
    }
    let role_id = admin_role.ok_or_else(|| AppError::Internal("no administrator role".into()))?;
    let user_id = Uuid::now_v7();
    let manager_path = domain::org::child_path(None, user_id);
    org::insert_user(
        &mut tx,
        tenant_id,
        &NewUser {
            id: user_id,
            email: &email,
            name: &admin_name,
            password_hash: &hash,
            role_id,
            department_id: None,
            manager_id: None,
            manager_path: &manager_path,
            locale: None,
        },
        app.now(),
    )
    .await?;
    audit::record(
        &mut tx,
        AuditEvent {
            tenant_id,
            actor_id: Some(user_id),
            action: "create_company",
            object: "tenant",
            record_id: Some(tenant_id),
            detail: serde_json::json!({}),
            at: app.now(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Created { tenant_id, user_id })
}

/// Whether the set-up page should be offered.
pub async fn needs_setup(app: &App) -> AppResult<bool> {
    let mut tx = app.db.begin_read().await?;
    Ok(!tenants::any_exists(&mut tx).await?)
}

/// A signed-in session: the cookie value to hand out and who it belongs to.
pub struct NewSession {
    pub cookie_value: String,
    pub user: store::org::User,
    pub expires_at: DateTime<Utc>,
}

/// Signs in with e-mail and password. After [`MAX_FAILED_LOGINS`] failures for an address
/// within the window, further attempts are refused until the oldest failure ages out.
pub async fn login(app: &App, email: &str, password: &str) -> AppResult<NewSession> {
    let email = normalize_email(email);
    let now = app.now();
    let since = now - Duration::minutes(THROTTLE_WINDOW_MINUTES);
    let user = {
        let mut tx = app.db.begin_read().await?;
        let (failures, oldest) = auth::recent_login_failures(&mut tx, &email, since).await?;
        if failures >= MAX_FAILED_LOGINS {
            let lifts = oldest.unwrap_or(now) + Duration::minutes(THROTTLE_WINDOW_MINUTES);
            return Err(AppError::TooManyAttempts {
                retry_after_secs: (lifts - now).num_seconds().max(1),
            });
        }
        org::find_login(&mut tx, &email).await?
    };
    let verified = match &user {
        Some(u) => secrets::verify_password(password.to_string(), u.password_hash.clone()).await,
        None => {
            secrets::dummy_verify(password.to_string()).await;
            false
        }
    };
    let mut tx = app.db.begin().await?;
    let user = match user {
        Some(u) if verified && u.active => u,
        refused => {
            auth::record_login_failure(&mut tx, &email, now).await?;
            // A failure against a known user is that company's business; an unknown
            // address belongs to no company.
            if let Some(u) = &refused {
                crate::audit::record(
                    &mut tx,
                    u.tenant_id,
                    None,
                    now,
                    "user",
                    "login_failed",
                    Some(u.id),
                    serde_json::json!({ "name": u.name }),
                )
                .await?;
            }
            tx.commit().await?;
            return Err(AppError::InvalidCredentials);
        }
    };
    auth::clear_login_failures(&mut tx, &email).await?;
    let secret = secrets::random_token();
    let expires_at = now + Duration::days(SESSION_DAYS);
    auth::insert_session(
        &mut tx,
        user.tenant_id,
        &secrets::sha256(&secret),
        user.id,
        (now, expires_at),
    )
    .await?;
    audit::record(
        &mut tx,
        AuditEvent {
            tenant_id: user.tenant_id,
            actor_id: Some(user.id),
            action: "login",
            object: "user",
            record_id: Some(user.id),
            detail: serde_json::json!({}),
            at: app.now(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(NewSession {
        cookie_value: format!("{}.{}", user.tenant_id.simple(), secret),
        user,
        expires_at,
    })
}

fn split_credential(value: &str, sep: char) -> Option<(Uuid, &str)> {
    let (tenant, secret) = value.split_once(sep)?;
    let tenant = Uuid::try_parse(tenant).ok()?;
    (secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit()))
        .then_some((tenant, secret))
}

async fn active_actor(tx: &mut store::Tx, tenant_id: Uuid, user_id: Uuid) -> AppResult<Actor> {
    match org::get_user(tx, tenant_id, user_id).await? {
        Some(user) if user.active => crate::sharing::actor(tx, user).await,
        _ => Err(AppError::Unauthenticated),
    }
}

/// The actor behind a session cookie value.
pub async fn session_actor(app: &App, cookie_value: &str) -> AppResult<Actor> {
    let (tenant_id, secret) =
        split_credential(cookie_value, '.').ok_or(AppError::Unauthenticated)?;
    let hash = secrets::sha256(secret);
    let now = app.now();
    if let Some(entry) = app.credentials.get(hash.as_slice(), now) {
        if entry.token.is_none() && entry.actor.tenant_id() == tenant_id {
            return Ok(entry.actor);
        }
    }
    let epoch = store::org_epoch();
    let mut tx = app.db.begin_read().await?;
    let user_id = auth::session_user(&mut tx, tenant_id, &hash, now)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let actor = active_actor(&mut tx, tenant_id, user_id).await?;
    let entry = cache::Entry {
        actor: actor.clone(),
        token: None,
    };
    app.credentials.put(hash, entry, epoch, now);
    Ok(actor)
}

pub async fn logout(app: &App, cookie_value: &str) -> AppResult<()> {
    if let Some((tenant_id, secret)) = split_credential(cookie_value, '.') {
        let hash = secrets::sha256(secret);
        let mut tx = app.db.begin().await?;
        auth::delete_session(&mut tx, tenant_id, &hash).await?;
        tx.commit().await?;
        app.credentials.forget(hash.as_slice());
    }
    Ok(())
}

pub const TOKEN_PREFIX: &str = "mrd_";

/// Creates an API token acting with the user's permissions; returns (id, the secret token).
pub async fn create_token(
    app: &App,
    tenant_id: Uuid,
    user_id: Uuid,
    name: &str,
) -> AppResult<(Uuid, String)> {
    let mut errors = FieldErrors::new();
    let name = required_text(&mut errors, "name", Some(name), 100);
    errors.into_result()?;
    let secret = secrets::random_token();
    let id = Uuid::now_v7();
    let mut tx = app.db.begin().await?;
    active_actor(&mut tx, tenant_id, user_id)
        .await
        .map_err(|_| AppError::NotFound)?;
    auth::insert_token(
        &mut tx,
        tenant_id,
        id,
        &secrets::sha256(&secret),
        user_id,
        &name,
        app.now(),
    )
    .await?;
    audit::record(
        &mut tx,
        AuditEvent {
            tenant_id,
            actor_id: Some(user_id),
            action: "create_token",
            object: "api_token",
            record_id: Some(id),
            detail: serde_json::json!({ "name": name }),
            at: app.now(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((
        id,
        format!("{TOKEN_PREFIX}{}_{}", tenant_id.simple(), secret),
    ))
}

/// The actor behind a bearer token.
pub async fn token_actor(app: &App, token: &str) -> AppResult<Actor> {
    let rest = token
        .strip_prefix(TOKEN_PREFIX)
        .ok_or(AppError::Unauthenticated)?;
    let (tenant_id, secret) = split_credential(rest, '_').ok_or(AppError::Unauthenticated)?;
    let hash = secrets::sha256(secret);
    let now = app.now();
    let cached = app
        .credentials
        .get(hash.as_slice(), now)
        .filter(|e| e.actor.tenant_id() == tenant_id)
        .and_then(|e| e.token.map(|(id, last_used)| (e.actor, id, last_used)));
    let (actor, token_id, last_used) = match cached {
        Some(found) => found,
        None => {
            let epoch = store::org_epoch();
            let mut tx = app.db.begin_read().await?;
            let (token_id, user_id, last_used) = auth::token_user(&mut tx, tenant_id, &hash)
                .await?
                .ok_or(AppError::Unauthenticated)?;
            let actor = active_actor(&mut tx, tenant_id, user_id).await?;
            let entry = cache::Entry {
                actor: actor.clone(),
                token: Some((token_id, last_used)),
            };
            app.credentials.put(hash.clone(), entry, epoch, now);
            (actor, token_id, last_used)
        }
    };
    // "Last used" is shown to the owner; a minute's precision spares a write per request.
    // It is bookkeeping: when it cannot be written (a full disk), the request goes on.
    if last_used.is_none_or(|t| now - t > Duration::minutes(1)) {
        match touch_token(app, tenant_id, token_id, now).await {
            Ok(()) => app.credentials.forget(hash.as_slice()),
            Err(e) => {
                tracing::warn!(error = %e, %token_id, "recording an API token's last use failed")
            }
        }
    }
    Ok(actor)
}

async fn touch_token(
    app: &App,
    tenant_id: Uuid,
    token_id: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    auth::touch_token(&mut tx, tenant_id, token_id, now).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn revoke_token(app: &App, actor: &Actor, token_id: Uuid) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    if !auth::revoke_token(
        &mut tx,
        actor.tenant_id(),
        (actor.id(), token_id),
        app.now(),
    )
    .await?
    {
        return Err(AppError::NotFound);
    }
    audit::record(
        &mut tx,
        AuditEvent {
            tenant_id: actor.tenant_id(),
            actor_id: Some(actor.id()),
            action: "revoke_token",
            object: "api_token",
            record_id: Some(token_id),
            detail: serde_json::json!({}),
            at: app.now(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn list_tokens(app: &App, actor: &Actor) -> AppResult<Vec<auth::ApiToken>> {
    let mut tx = app.db.begin_read().await?;
    Ok(auth::list_tokens(&mut tx, actor.tenant_id(), actor.id()).await?)
}

/// Changes the actor's password after checking the current one; ends the user's other sessions.
pub async fn change_password(
    app: &App,
    actor: &Actor,
    current: &str,
    new: &str,
    confirm: &str,
    keep_session: Option<&str>,
) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    check_password(&mut errors, "new_password", new);
    if new != confirm {
        errors.add("confirm_password", "passwords_differ");
    }
    errors.into_result()?;
    if !secrets::verify_password(current.to_string(), actor.user.password_hash.clone()).await {
        return Err(AppError::field("current_password", "wrong_password"));
    }
    let hash = secrets::hash_password(new.to_string()).await?;
    let keep = keep_session
        .and_then(|c| split_credential(c, '.'))
        .map(|(_, s)| secrets::sha256(s));
    let mut tx = app.db.begin().await?;
    org::set_password_hash(&mut tx, actor.tenant_id(), actor.id(), &hash, app.now()).await?;
    auth::delete_user_sessions(&mut tx, actor.tenant_id(), actor.id(), keep.as_deref()).await?;
    audit::record(
        &mut tx,
        AuditEvent {
            tenant_id: actor.tenant_id(),
            actor_id: Some(actor.id()),
            action: "change_password",
            object: "user",
            record_id: Some(actor.id()),
            detail: serde_json::json!({}),
            at: app.now(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a user's password without the old one (administrator recovery from the command line).
pub async fn reset_password(app: &App, tenant_id: Uuid, user_id: Uuid, new: &str) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    check_password(&mut errors, "password", new);
    errors.into_result()?;
    let hash = secrets::hash_password(new.to_string()).await?;
    let mut tx = app.db.begin().await?;
    org::set_password_hash(&mut tx, tenant_id, user_id, &hash, app.now()).await?;
    auth::delete_user_sessions(&mut tx, tenant_id, user_id, None).await?;
    audit::record(
        &mut tx,
        AuditEvent {
            tenant_id,
            actor_id: None,
            action: "reset_password",
            object: "user",
            record_id: Some(user_id),
            detail: serde_json::json!({}),
            at: app.now(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn set_locale(app: &App, actor: &Actor, locale: &str) -> AppResult<()> {
    if !LOCALES.contains(&locale) {
        return Err(AppError::field("locale", "invalid_choice"));
    }
    let mut tx = app.db.begin().await?;
    org::set_locale(&mut tx, actor.tenant_id(), actor.id(), locale).await?;
    tx.commit().await?;
    Ok(())
}

/// Removes expired sessions; run periodically.
pub async fn purge_expired_sessions(app: &App) -> AppResult<u64> {
    let mut tx = app.db.begin().await?;
    let n = auth::delete_expired_sessions(&mut tx, app.now()).await?;
    tx.commit().await?;
    Ok(n)
}
