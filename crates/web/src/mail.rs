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

#[cfg(test)]
mod tests {
    use super::*;
    use app::notifications::Kind;

    /// Every kind has its mail texts in both languages: a new kind cannot mail a raw key.
    #[test]
    fn every_kind_renders_a_mail_in_both_languages() {
        let params = serde_json::json!({ "name": "华为" });
        for kind in Kind::ALL {
            for locale in [Some("en"), None] {
                let letter = Letter {
                    kind: kind.key(),
                    params: &params,
                    link: Some("https://crm.example.com/accounts/1".into()),
                    settings_link: Some("https://crm.example.com/settings".into()),
                };
                let mail = CatalogTexts.notification(locale, &letter);
                assert!(mail.subject.contains("华为"), "{}", mail.subject);
                for text in [&mail.subject, &mail.body] {
                    for key in [
                        "notifications.kind",
                        "mail.open_record",
                        "mail.footer",
                        "mail.settings_link",
                    ] {
                        assert!(!text.contains(key), "{text}");
                    }
                }
                assert!(mail.body.contains("https://crm.example.com/accounts/1"));
            }
        }
    }
}
