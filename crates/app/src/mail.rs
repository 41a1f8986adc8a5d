//! Notifications by e-mail over SMTP: the server (the process's `--smtp-url`, else the
//! company's settings page), the send job, the delivery log, and the test mail.
//!
//! `notifications::notify` decides whether a notification goes by mail; when it does, it
//! calls [`enqueue_notification`] in the change's transaction, which writes a delivery row
//! and a [`SendMail`] job, so a committed notification's mail is never lost and a rolled
//! back one is never sent. The job renders the mail in the recipient's language through
//! [`MailTexts`], which the web layer implements with its catalogs and registers with the
//! handler at start-up (`app` does not depend on `web`). A failed send fails the job, which
//! the queue retries with its back-off and leaves dead after the last attempt; each attempt
//! is recorded on the delivery row.

use crate::jobs::{BoxFuture, JobContext, JobHandler, JobRequest};
use crate::{Actor, App, AppError, AppResult};
use chrono::{DateTime, Utc};
use domain::permissions::{Action, ObjectKind};
use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::{json, Value};
use std::sync::Arc;
use store::mail::{Delivery, MailSettings, NewDelivery};
use store::Tx;
use uuid::Uuid;

/// How a connection to the server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS (required), usually port 587.
    StartTls,
    /// TLS from the first byte, usually port 465.
    Tls,
    /// No encryption: only for a relay on the same machine or network.
    None,
}

impl Security {
    pub const ALL: [Security; 3] = [Security::StartTls, Security::Tls, Security::None];

    pub fn key(self) -> &'static str {
        match self {
            Security::StartTls => "starttls",
            Security::Tls => "tls",
            Security::None => "none",
        }
    }

    pub fn parse(key: &str) -> Option<Security> {
        Security::ALL.into_iter().find(|s| s.key() == key)
    }
}

/// An SMTP server to send through.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpServer {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The From address of every mail.
    pub from: String,
}

/// Never prints the password.
impl std::fmt::Debug for SmtpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpServer")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl SmtpServer {
    /// Reads `smtp://[user[:password]@]host[:port][?tls=none][&from=address]` (STARTTLS,
    /// port 587 unless given; `tls=none` for a plain relay) or `smtps://…` (implicit TLS,
    /// port 465). The From address defaults to `user` when it is an address, else to
    /// `meridian@host`.
    pub fn from_url(raw: &str) -> Result<SmtpServer, String> {
        let url = url::Url::parse(raw).map_err(|e| format!("not a URL: {e}"))?;
        let mut security = match url.scheme() {
            "smtp" => Security::StartTls,
            "smtps" => Security::Tls,
            other => return Err(format!("unknown scheme {other:?}: use smtp:// or smtps://")),
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("the URL names no host")?
            .to_string();
        let decode = |s: &str| {
            url::form_urlencoded::parse(format!("v={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        let username = Some(decode(url.username())).filter(|u| !u.is_empty());
        let password = url.password().map(decode).filter(|p| !p.is_empty());
        let mut from = None;
        for (key, value) in url.query_pairs() {
            match (key.as_ref(), value.as_ref()) {
                ("tls", "none") if security == Security::StartTls => security = Security::None,
                ("tls", "starttls") if security == Security::StartTls => {}
                ("from", address) => from = Some(address.to_string()),
                (key, value) => return Err(format!("unknown URL parameter {key}={value}")),
            }
        }
        let from = from
            .or_else(|| username.clone().filter(|u| u.contains('@')))
            .unwrap_or_else(|| format!("meridian@{host}"));
        from.parse::<Mailbox>()
            .map_err(|e| format!("the From address {from:?} is not valid: {e}"))?;
        let port = url.port().unwrap_or(match security {
            Security::Tls => 465,
            _ => 587,
        });
        Ok(SmtpServer {
            host,
            port,
            security,
            username,
            password,
            from,
        })
    }

    fn from_settings(s: &MailSettings) -> Option<SmtpServer> {
        Some(SmtpServer {
            host: s.host.clone(),
            port: u16::try_from(s.port).ok()?,
            security: Security::parse(&s.security)?,
            username: s.username.clone(),
            password: s.password.clone(),
            from: s.from_address.clone(),
        })
    }
}

/// The process's mail options (`meridian serve` / `worker` flags).
#[derive(Debug, Clone, Default)]
pub struct MailOptions {
    /// `--smtp-url`: overrides every company's settings page.
    pub smtp_url: Option<SmtpServer>,
    /// `--public-url`: where mails link to, e.g. `https://crm.example.com`.
    pub public_url: Option<String>,
}

impl MailOptions {
    /// The address of a page of this server, when its public URL is known.
    pub fn link(&self, path: &str) -> Option<String> {
        let base = self.public_url.as_deref()?.trim_end_matches('/');
        Some(format!("{base}{path}"))
    }
}

/// How long one SMTP conversation may take.
const SMTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Sends one plain-text mail; the error is the server's answer or why it could not be
/// reached, for the delivery log.
pub async fn send(server: &SmtpServer, to: &str, subject: &str, body: &str) -> Result<(), String> {
    let from: Mailbox = server
        .from
        .parse()
        .map_err(|e| format!("bad From address: {e}"))?;
    let to: Mailbox = to.parse().map_err(|e| format!("bad recipient: {e}"))?;
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(body.to_string())
        .map_err(|e| format!("building the mail: {e}"))?;
    let builder = match server.security {
        Security::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&server.host),
        Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&server.host),
        Security::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
            &server.host,
        )),
    }
    .map_err(|e| format!("{e}"))?;
    let mut builder = builder.port(server.port).timeout(Some(SMTP_TIMEOUT));
    if let Some(user) = &server.username {
        builder = builder.credentials(Credentials::new(
            user.clone(),
            server.password.clone().unwrap_or_default(),
        ));
    }
    builder
        .build()
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The server a company's mail goes through: the process's `--smtp-url`, else the
/// company's settings, else none.
pub async fn server_for(app: &App, tenant_id: Uuid) -> AppResult<Option<SmtpServer>> {
    if let Some(server) = &app.mail.smtp_url {
        return Ok(Some(server.clone()));
    }
    let mut tx = app.db.begin_read().await?;
    Ok(store::mail::settings(&mut tx, tenant_id)
        .await?
        .as_ref()
        .and_then(SmtpServer::from_settings))
}

// ---------------------------------------------------------------- rendering

/// A notification mail to render.
pub struct Letter<'a> {
    pub kind: &'a str,
    /// The notification's parameters (the record's name).
    pub params: &'a Value,
    /// The record's page, when the public URL is known.
    pub link: Option<String>,
    /// My settings, where the recipient changes what they receive.
    pub settings_link: Option<String>,
}

/// A rendered mail.
pub struct Composed {
    pub subject: String,
    pub body: String,
}

/// Renders notification mails in a language (`users.locale`; `None` for the default). The
/// web layer implements it with the same catalog texts its pages show.
pub trait MailTexts: Send + Sync {
    fn notification(&self, locale: Option<&str>, letter: &Letter<'_>) -> Composed;
}

// ---------------------------------------------------------------- sending notifications

/// A notification to send by mail.
pub struct NotificationMail<'a> {
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub kind: &'a str,
    pub params: &'a Value,
    pub object: Option<&'a str>,
    pub record_id: Option<Uuid>,
}

/// Writes the delivery row and its send job in the caller's transaction. Nothing for a user
/// who is inactive or has no address. Returns the delivery's id.
pub async fn enqueue_notification(
    tx: &mut Tx,
    mail: &NotificationMail<'_>,
    now: DateTime<Utc>,
) -> AppResult<Option<Uuid>> {
    let Some(user) = store::org::get_user(tx, mail.tenant_id, mail.user_id).await? else {
        return Ok(None);
    };
    if !user.active || user.email.trim().is_empty() {
        return Ok(None);
    }
    let id = Uuid::now_v7();
    store::mail::insert_delivery(
        tx,
        &NewDelivery {
            tenant_id: mail.tenant_id,
            id,
            user_id: mail.user_id,
            recipient: &user.email,
            kind: mail.kind,
            params: mail.params,
            object: mail.object,
            record_id: mail.record_id,
        },
        now,
    )
    .await?;
    let request = JobRequest::new(mail.tenant_id, SendMail::KIND, json!({ "delivery": id }));
    crate::jobs::enqueue(tx, now, &request).await?;
    Ok(Some(id))
}

/// The page of a record (`/contacts/{id}`), as the inbox links to it.
fn record_path(object: Option<&str>, id: Option<Uuid>) -> Option<String> {
    let spec = domain::objects::spec(ObjectKind::parse(object?)?)?;
    Some(format!("/{}/{}", spec.plural, id?))
}

/// Sends one delivery's mail. Idempotent: a delivery already sent is not sent again (a
/// crash between the server's acceptance and the commit may still send it twice, as with
/// any SMTP client).
pub struct SendMail {
    texts: Arc<dyn MailTexts>,
}

impl SendMail {
    pub const KIND: &'static str = "send_mail";

    pub fn new(texts: Arc<dyn MailTexts>) -> Self {
        Self { texts }
    }

    async fn deliver(&self, ctx: &JobContext) -> AppResult<Value> {
        let app = &ctx.app;
        let tenant_id = ctx.tenant_id();
        let id = ctx.payload_id("delivery", "delivery")?;
        let mut tx = app.db.begin_read().await?;
        let Some(delivery) = store::mail::delivery(&mut tx, tenant_id, id).await? else {
            return Ok(json!({ "skipped": "no such delivery" }));
        };
        if delivery.state == store::mail::SENT {
            return Ok(json!({ "sent": true }));
        }
        let locale = store::org::get_user(&mut tx, tenant_id, delivery.user_id)
            .await?
            .and_then(|u| u.locale);
        drop(tx);
        let letter = Letter {
            kind: &delivery.kind,
            params: &delivery.params.0,
            link: record_path(delivery.object.as_deref(), delivery.record_id)
                .and_then(|path| app.mail.link(&path)),
            settings_link: app.mail.link("/settings"),
        };
        let composed = self.texts.notification(locale.as_deref(), &letter);
        let outcome = match server_for(app, tenant_id).await? {
            None => Err("no mail server is set (settings page or --smtp-url)".to_string()),
            Some(server) => {
                send(
                    &server,
                    &delivery.recipient,
                    &composed.subject,
                    &composed.body,
                )
                .await
            }
        };
        let last = ctx.job.attempts >= ctx.job.max_attempts;
        let state = match (&outcome, last) {
            (Ok(()), _) => store::mail::SENT,
            (Err(_), false) => store::mail::RETRYING,
            (Err(_), true) => store::mail::FAILED,
        };
        let error = outcome.as_ref().err().map(String::as_str);
        let mut tx = app.db.begin().await?;
        store::mail::record_attempt(
            &mut tx,
            tenant_id,
            id,
            &composed.subject,
            state,
            error,
            app.now(),
        )
        .await?;
        tx.commit().await?;
        match outcome {
            Ok(()) => Ok(json!({ "sent": true, "recipient": delivery.recipient })),
            Err(e) => Err(AppError::Internal(format!("sending mail failed: {e}"))),
        }
    }
}

impl JobHandler for SendMail {
    fn kind(&self) -> &'static str {
        Self::KIND
    }

    fn run<'a>(&'a self, ctx: &'a JobContext) -> BoxFuture<'a, AppResult<Value>> {
        Box::pin(self.deliver(ctx))
    }
}

// ---------------------------------------------------------------- administration

fn require_admin(actor: &Actor) -> AppResult<()> {
    actor.require(ObjectKind::Org, Action::Administer)
}

/// The company's server settings as the settings page and API show them: never the
/// password, only whether one is set.
#[derive(Debug, Clone, Default)]
pub struct SettingsView {
    pub host: String,
    pub port: Option<i64>,
    pub security: String,
    pub username: String,
    pub password_set: bool,
    pub from_address: String,
    pub updated_at: Option<DateTime<Utc>>,
    /// `host:port` of the process's `--smtp-url`, which is used instead of these settings.
    pub overridden_by: Option<String>,
    /// `--public-url`, which mails link to.
    pub public_url: Option<String>,
}

pub async fn settings(app: &App, actor: &Actor) -> AppResult<SettingsView> {
    require_admin(actor)?;
    let mut tx = app.db.begin_read().await?;
    let stored = store::mail::settings(&mut tx, actor.tenant_id()).await?;
    let mut view = match stored {
        Some(s) => SettingsView {
            host: s.host,
            port: Some(s.port),
            security: s.security,
            username: s.username.unwrap_or_default(),
            password_set: s.password.is_some_and(|p| !p.is_empty()),
            from_address: s.from_address,
            updated_at: Some(s.updated_at),
            ..SettingsView::default()
        },
        None => SettingsView {
            security: Security::StartTls.key().into(),
            ..SettingsView::default()
        },
    };
    view.overridden_by = app
        .mail
        .smtp_url
        .as_ref()
        .map(|s| format!("{}:{}", s.host, s.port));
    view.public_url = app.mail.public_url.clone();
    Ok(view)
}

/// The settings form. An empty password keeps the one stored; an empty user name removes
/// both.
#[derive(Debug, Clone, Default)]
pub struct SettingsInput {
    pub host: String,
    pub port: String,
    pub security: String,
    pub username: String,
    pub password: String,
    pub from_address: String,
}

pub async fn save_settings(app: &App, actor: &Actor, input: &SettingsInput) -> AppResult<()> {
    require_admin(actor)?;
    let mut errors = domain::FieldErrors::new();
    let host = input.host.trim();
    if host.is_empty() {
        errors.add("host", "required");
    } else if host.len() > 253 || host.contains(char::is_whitespace) || host.contains('/') {
        errors.add("host", "invalid_host");
    }
    let port = match input.port.trim() {
        "" => None,
        p => match p.parse::<i64>() {
            Ok(n) if (1..=65535).contains(&n) => Some(n),
            _ => {
                errors.add_limit("port", "out_of_range", 65535);
                None
            }
        },
    };
    let security = Security::parse(input.security.trim());
    if security.is_none() {
        errors.add("security", "invalid_choice");
    }
    let from = input.from_address.trim();
    if from.is_empty() {
        errors.add("from_address", "required");
    } else if from.parse::<Mailbox>().is_err() {
        errors.add("from_address", "invalid_email");
    }
    let username = input.username.trim();
    if username.len() > 320 {
        errors.add_limit("username", "too_long", 320);
    }
    if input.password.len() > 1024 {
        errors.add_limit("password", "too_long", 1024);
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let security = security.unwrap_or(Security::StartTls);
    let port = port.unwrap_or(match security {
        Security::Tls => 465,
        _ => 587,
    });
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let stored = store::mail::settings(&mut tx, actor.tenant_id()).await?;
    let password = match (username.is_empty(), input.password.is_empty()) {
        (true, _) => None,
        (false, false) => Some(input.password.clone()),
        (false, true) => stored.as_ref().and_then(|s| s.password.clone()),
    };
    let settings = MailSettings {
        host: host.to_string(),
        port,
        security: security.key().to_string(),
        username: Some(username.to_string()).filter(|u| !u.is_empty()),
        password,
        from_address: from.to_string(),
        updated_at: now,
    };
    store::mail::save_settings(&mut tx, actor.tenant_id(), &settings, actor.id()).await?;
    // What the administrator recognises; the password only as whether it changed.
    let before = stored.as_ref();
    let text = |v: Option<String>| serde_json::Value::from(v.unwrap_or_default());
    let mut changed = vec![
        (
            "host",
            text(before.map(|s| s.host.clone())),
            text(Some(settings.host.clone())),
        ),
        (
            "port",
            text(before.map(|s| s.port.to_string())),
            text(Some(port.to_string())),
        ),
        (
            "security",
            text(before.map(|s| s.security.clone())),
            text(Some(settings.security.clone())),
        ),
        (
            "username",
            text(before.and_then(|s| s.username.clone())),
            text(settings.username.clone()),
        ),
        (
            "from_address",
            text(before.map(|s| s.from_address.clone())),
            text(Some(settings.from_address.clone())),
        ),
    ];
    if before.and_then(|s| s.password.as_ref()) != settings.password.as_ref() {
        // Never the password itself: that it was set before, and that it changed.
        let was_set = before.and_then(|s| s.password.as_ref()).is_some();
        let old = if was_set { "••••" } else { "" };
        changed.push(("password", old.into(), "••••••••".into()));
    }
    crate::audit::by(
        &mut tx,
        actor,
        now,
        "setting",
        "changed",
        None,
        json!({ "name": "mail", "changes": crate::audit::changes(&changed) }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sends a test mail to the administrator at once (not by a job, so the page can tell what
/// the server answered). `Ok(Err(answer))` when the server refused or could not be reached.
pub async fn send_test(
    app: &App,
    actor: &Actor,
    subject: &str,
    body: &str,
) -> AppResult<Result<String, String>> {
    require_admin(actor)?;
    let Some(server) = server_for(app, actor.tenant_id()).await? else {
        return Err(AppError::Rule("mail_not_configured"));
    };
    let to = actor.user.email.clone();
    Ok(send(&server, &to, subject, body).await.map(|()| to))
}

/// One page of the delivery log, newest first.
pub struct DeliveryPage {
    pub items: Vec<Delivery>,
    /// The cursor of the next page, when there is one.
    pub next: Option<Uuid>,
}

/// Deliveries per page.
pub const PAGE: i64 = 50;

/// The company's delivery log, for administrators.
pub async fn deliveries(
    app: &App,
    actor: &Actor,
    before: Option<Uuid>,
    limit: i64,
) -> AppResult<DeliveryPage> {
    require_admin(actor)?;
    let limit = limit.clamp(1, 200);
    let mut tx = app.db.begin_read().await?;
    let mut items = store::mail::list_deliveries(&mut tx, actor.tenant_id(), before, limit).await?;
    let next = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|d| d.id)
    } else {
        None
    };
    Ok(DeliveryPage { items, next })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_server_url_forms() {
        let s = SmtpServer::from_url("smtp://crm%40a.example:p%40ss@mail.a.example:587").unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.security),
            ("mail.a.example", 587, Security::StartTls)
        );
        assert_eq!(s.username.as_deref(), Some("crm@a.example"));
        assert_eq!(s.password.as_deref(), Some("p@ss"));
        assert_eq!(s.from, "crm@a.example");
        let s = SmtpServer::from_url("smtps://u:p@mail.a.example?from=crm@a.example").unwrap();
        assert_eq!((s.port, s.security), (465, Security::Tls));
        assert_eq!(s.from, "crm@a.example");
        let s = SmtpServer::from_url("smtp://127.0.0.1:25?tls=none").unwrap();
        assert_eq!((s.port, s.security, s.username), (25, Security::None, None));
        assert_eq!(s.from, "meridian@127.0.0.1");
        assert!(SmtpServer::from_url("http://mail.a.example").is_err());
        assert!(SmtpServer::from_url("smtp://mail.a.example?tls=maybe").is_err());
        assert!(
            !format!("{:?}", SmtpServer::from_url("smtp://u:secret@h").unwrap()).contains("secret")
        );
    }
}
