//! Template structs shared by every page: the chrome (navigation, language, messages) and
//! the generic message page.

use crate::i18n::Tr;
use crate::session::Ctx;
use askama::Template;
use axum::http::StatusCode;
use axum::response::Html;
use domain::permissions::{Action, ObjectKind};

/// What the layout needs on every page.
pub struct Chrome {
    pub t: Tr,
    pub csrf: String,
    pub user_name: Option<String>,
    pub can_admin: bool,
    /// May use the showroom front desk (`app::showroom::may_register`).
    pub showroom: bool,
    pub section: &'static str,
    pub notice: Option<String>,
    pub asset_version: &'static str,
    /// Unread notifications, at most `app::notifications::UNREAD_CAP`.
    pub unread: i64,
}

impl Chrome {
    pub fn new(ctx: &Ctx, section: &'static str) -> Self {
        Self {
            t: ctx.tr,
            csrf: ctx.csrf.clone(),
            user_name: ctx.actor.as_ref().map(|a| a.user.name.clone()),
            can_admin: ctx
                .actor
                .as_ref()
                .is_some_and(|a| a.principal.can(ObjectKind::Org, Action::Administer)),
            showroom: ctx.actor.as_ref().is_some_and(app::showroom::may_register),
            section,
            notice: None,
            asset_version: crate::assets::VERSION,
            unread: ctx.unread,
        }
    }

    /// The bell's count: "99+" beyond 99.
    pub fn unread_badge(&self) -> String {
        if self.unread >= app::notifications::UNREAD_CAP {
            "99+".into()
        } else {
            self.unread.to_string()
        }
    }

    /// The bell's accessible name: "消息 3 条未读" / "Notifications, 3 unread".
    pub fn bell_label(&self) -> String {
        if self.unread == 0 {
            self.t.get("notifications.bell_none").to_string()
        } else {
            self.t
                .fmt("notifications.bell", &[("count", &self.unread_badge())])
        }
    }

    /// "广东 深圳" / "Guangdong 深圳": a province code's name in the user's language and a city.
    pub fn region(&self, province: &Option<String>, city: &Option<String>) -> String {
        let province = province
            .as_deref()
            .and_then(domain::regions::province)
            .map(|p| if self.t.is_zh() { p.name_zh } else { p.name_en });
        [province, city.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// A field-history value as people read it: choice codes become labels in the user's
    /// language; an empty value is a dash.
    pub fn history_value(&self, field: &str, value: &Option<String>) -> String {
        let Some(v) = value.as_deref() else {
            return "—".into();
        };
        match field {
            "province" => self.region(value, &None),
            "account_type" => self.t.key("account_type.", v),
            "grade" => self.t.key("grade.", v),
            _ => v.to_string(),
        }
    }

    /// Shows a translated success message (`notice.<code>`) from a `?notice=` parameter.
    pub fn with_notice(self, code: Option<&str>) -> Self {
        self.with_notice_on(code, "")
    }

    /// The same on a page of one object's records: a message naming the record
    /// (`{object} saved.`) names the object.
    pub fn with_notice_on(mut self, code: Option<&str>, object: &str) -> Self {
        let label = self.t.key("object.", object);
        self.notice = code
            .filter(|c| c.len() < 40 && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
            .map(|c| self.t.fmt(&format!("notice.{c}"), &[("object", &label)]));
        self
    }
}

/// Renders a template; a rendering failure is logged and shown as a plain error.
pub fn render<T: Template>(template: &T) -> Html<String> {
    match template.render() {
        Ok(html) => Html(html),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            Html("<!doctype html><title>Error</title><p>Internal error / 内部错误</p>".into())
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub chrome: Chrome,
    pub status: u16,
    pub message: String,
}

impl MessagePage {
    pub fn new(t: Tr, status: StatusCode, message: &str) -> Self {
        Self {
            chrome: Chrome {
                t,
                csrf: String::new(),
                user_name: None,
                can_admin: false,
                showroom: false,
                section: "",
                notice: None,
                asset_version: crate::assets::VERSION,
                unread: 0,
            },
            status: status.as_u16(),
            message: message.to_string(),
        }
    }
}

/// Field errors of a form, looked up by field name in templates.
#[derive(Default, Clone)]
pub struct FormErrors {
    pub messages: Vec<(String, String)>,
    pub general: Option<String>,
}

impl FormErrors {
    pub fn from_app(tr: Tr, error: &app::AppError) -> Self {
        match error {
            app::AppError::Validation(fields) => FormErrors {
                messages: fields
                    .0
                    .iter()
                    .map(|e| (e.field.clone(), tr.field_error(e)))
                    .collect(),
                general: Some(tr.get("error.validation_failed").to_string()),
            },
            other => FormErrors {
                messages: Vec::new(),
                general: Some(crate::error::message_of(tr, other)),
            },
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.messages
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }
}

/// The time-zone picker of the settings page and the user form: every IANA zone, and the
/// user's.
pub struct TimeZoneChoice {
    pub names: Vec<&'static str>,
    pub current: String,
}

impl TimeZoneChoice {
    /// The picker with `stored` (a user's stored zone, `None` for the default) chosen.
    pub fn new(stored: Option<&str>) -> Self {
        Self {
            names: domain::time::zone_names().collect(),
            current: domain::time::zone_or_default(stored).name().to_string(),
        }
    }

    pub fn is_current(&self, name: &str) -> bool {
        self.current == name
    }
}
