//! Related lists and quick-log links of a record page, derived from the lookups that point
//! at the record's object — standard and custom — instead of listed per object.

use super::display::{label, show_value};
use super::{spec_of, Shown};
use crate::session::Signed;
use crate::AppState;
use app::records::ListRequest;
use app::AppError;
use domain::fields::FieldDef;
use domain::permissions::{Action, ObjectKind};
use store::records::Record;
use uuid::Uuid;

/// A short list of related records on a record page.
pub struct RelatedList {
    pub title: String,
    pub id: String,
    /// Column headers: the name's, then one per cell.
    pub columns: Vec<String>,
    pub rows: Vec<(String, String, Vec<Shown>)>,
    pub all_url: String,
    pub new_url: Option<String>,
    pub more: bool,
}

/// Records of `kind` whose lookup `key` points at `id`, newest first.
pub async fn related(
    state: &AppState,
    user: &Signed,
    kind: ObjectKind,
    key: &str,
    id: Uuid,
    title: String,
    new_url: Option<String>,
) -> Option<RelatedList> {
    let t = user.ctx.tr;
    user.actor.principal.read_scope(kind)?;
    let standard = spec_of(kind).field(key).is_some();
    let request = ListRequest {
        related: Some((key.to_string(), id)),
        limit: Some(10),
        ..Default::default()
    };
    let page = app::records::list(&state.app, &user.actor, kind, &request)
        .await
        .ok()?;
    let spec = spec_of(kind);
    let columns: Vec<&FieldDef> = spec
        .default_columns
        .iter()
        .filter(|c| **c != key && **c != "name")
        .filter_map(|c| page.fields.field(c))
        .take(3)
        .collect();
    let rows = page
        .records
        .iter()
        .map(|r| {
            (
                format!("/{}/{}", spec.plural, r.id),
                r.name().to_string(),
                columns
                    .iter()
                    .map(|f| show_value(t, f, r.values.get(&f.key), &page.names))
                    .collect(),
            )
        })
        .collect();
    Some(RelatedList {
        title,
        id: if standard {
            format!("related-{}", spec.plural)
        } else {
            format!("related-{}-{key}", spec.plural)
        },
        columns: spec
            .field("name")
            .into_iter()
            .chain(columns.iter().copied())
            .map(|f| label(t, f))
            .collect(),
        rows,
        all_url: format!("/{}?ff={key}&fo=eq&fv={id}&edited=1", spec.plural),
        new_url: new_url.filter(|_| user.actor.principal.can(kind, Action::Create)),
        more: page.next_cursor.is_some(),
    })
}

/// The title of the list of `object`'s records whose `field` points at a record: the
/// catalog's `related.<plural>.<field>` (a contact's direct reports), else
/// `related.<plural>`, else the object's name.
fn title(user: &Signed, object: ObjectKind, field: &FieldDef) -> String {
    let t = user.ctx.tr;
    let spec = spec_of(object);
    for key in [
        format!("related.{}.{}", spec.plural, field.key),
        format!("related.{}", spec.plural),
    ] {
        let text = t.get(&key);
        if text != key {
            return text.to_string();
        }
    }
    if field.column.is_none() {
        // A custom lookup: its own label says how the records relate.
        return format!("{} · {}", spec.label(t.is_zh()), label(t, field));
    }
    spec.label(t.is_zh()).to_string()
}

/// The query string that starts a new record of `object` from `record` (of `kind`) through
/// lookup `field`: the field itself, and each other lookup of `object` to an object `record`
/// refers to (a contact's account for a new opportunity of the contact).
fn prefill(object: ObjectKind, field: &FieldDef, kind: ObjectKind, record: &Record) -> String {
    let mut pairs = vec![format!("{}={}", field.key, record.id)];
    let referenced: Vec<(&str, Uuid)> = spec_of(kind)
        .fields
        .iter()
        .filter_map(|f| Some((f.lookup_object.as_deref()?, record.id_of(&f.key)?)))
        .collect();
    for other in &spec_of(object).fields {
        if other.key == field.key {
            continue;
        }
        let target = other.lookup_object.as_deref();
        if let Some((_, id)) = referenced.iter().find(|(o, _)| Some(*o) == target) {
            pairs.push(format!("{}={id}", other.key));
        }
    }
    pairs.join("&")
}

/// The related lists of a record (records of other objects, or its own, whose lookups point
/// at it; those of its own object last) and the links that log an activity about it.
pub async fn related_lists(
    state: &AppState,
    user: &Signed,
    kind: ObjectKind,
    record: &Record,
) -> Result<(Vec<RelatedList>, Vec<(String, String)>), AppError> {
    let t = user.ctx.tr;
    let mut lookups = app::references::visible_lookups_to(&state.app, &user.actor, kind).await?;
    // Stable: the objects in the specs' order, a record's own kind (its tree) last.
    lookups.sort_by_key(|(object, _)| *object == kind);
    let mut lists = Vec::new();
    let mut log_links = Vec::new();
    for (object, field) in &lookups {
        let query = prefill(*object, field, kind, record);
        let plural = spec_of(*object).plural;
        if *object == ObjectKind::Activity && log_links.is_empty() && field.column.is_some() {
            for activity_kind in ["call", "visit", "meeting", "task", "note"] {
                log_links.push((
                    format!("/activities/new?kind={activity_kind}&{query}"),
                    t.key("activity.log.", activity_kind),
                ));
            }
        }
        let new_url = Some(format!("/{plural}/new?{query}"));
        let title = title(user, *object, field);
        if let Some(mut list) =
            related(state, user, *object, &field.key, record.id, title, new_url).await
        {
            // A second standard lookup of the same object (a deal's competitor beside its
            // account) is named after its field, so every list keeps its own id.
            if lists.iter().any(|l: &RelatedList| l.id == list.id) {
                list.id = format!("{}-{}", list.id, field.key);
            }
            lists.push(list);
        }
    }
    Ok((lists, log_links))
}
