//! The texts of notification mails, from the same catalogs as the pages (see
//! `app::mail::MailTexts`), and the job registry that sends them with these texts.

use crate::i18n::{Lang, Tr};
use app::mail::{Composed, Letter, MailTexts};
use std::sync::Arc;

/// Renders notification mails with the catalogs, in the recipient's language (Chinese
/// until they choose, as on the pages).
pub struct CatalogTexts;

impl MailTexts for CatalogTexts {
    fn notification(&self, locale: Option<&str>, letter: &Letter<'_>) -> Composed {
        let t = Tr::new(locale.and_then(Lang::parse).unwrap_or(Lang::Zh));
        let subject = crate::pages::notifications::kind_text(&t, letter.kind, letter.params);
        let mut body = format!("{subject}\n");
        if let Some(link) = &letter.link {
            body.push('\n');
            body.push_str(&t.fmt("mail.open_record", &[("link", link)]));
            body.push('\n');
        }
        let kind = t.key("notifications.kind_label.", letter.kind);
        body.push_str("\n-- \n");
        body.push_str(&t.fmt("mail.footer", &[("kind", &kind)]));
        body.push('\n');
        if let Some(link) = &letter.settings_link {
            body.push_str(&t.fmt("mail.settings_link", &[("link", link)]));
            body.push('\n');
        }
        Composed { subject, body }
    }
}

/// Every built-in job kind, the notification mails included: what `meridian serve` and
/// `meridian worker` run.
pub fn job_registry() -> app::jobs::Registry {
    app::jobs::Registry::standard().register(app::mail::SendMail::new(Arc::new(CatalogTexts)))
}
