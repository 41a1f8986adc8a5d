//! The follow-up rules of leads (`Rule::Qualification`, `Rule::FollowUp`): the qualification
//! state kept from MAN, and the next follow-up kept due a deadline after the last contact —
//! on every save through the record engine, and when a done call, visit or meeting moves
//! "last contacted" (which writes past the engine). The pure part is `domain::follow_up`.

use crate::picklists::RecordMeta;
use crate::AppResult;
use chrono::{DateTime, Utc};
use domain::fields::FieldValue;
use domain::follow_up::{self, Deadlines};
use domain::permissions::ObjectKind;
use store::records::{self as repo, Values};
use store::{Param, Tx};
use uuid::Uuid;

fn text<'a>(values: &'a Values, key: &str) -> Option<&'a str> {
    match values.get(key) {
        Some(FieldValue::Text(s)) => Some(s),
        _ => None,
    }
}

fn time(values: &Values, key: &str) -> Option<DateTime<Utc>> {
    match values.get(key) {
        Some(FieldValue::DateTime(t)) => Some(*t),
        _ => None,
    }
}

fn set(values: &mut Values, key: &str, value: Option<FieldValue>) {
    match value {
        Some(v) => values.insert(key.into(), v),
        None => values.remove(key),
    };
}

/// Keeps `qualification` derived from the three MAN judgements.
pub fn qualification(values: &mut Values) {
    let [money, authority, need] = follow_up::MAN_FIELDS.map(|k| text(values, k));
    let state = follow_up::qualification(money, authority, need);
    set(
        values,
        "qualification",
        state.map(|s| FieldValue::Text(s.into())),
    );
}

/// Whether a lead is still worked: neither converted nor disqualified.
fn open(kind: ObjectKind, values: &Values) -> bool {
    let conversion = domain::objects::spec(kind).and_then(|s| s.conversion);
    match (conversion, text(values, "status")) {
        (Some(c), Some(status)) => status != c.converted && status != c.disqualified,
        _ => true,
    }
}

fn deadlines(meta: &RecordMeta) -> Deadlines {
    meta.record_type
        .as_ref()
        .map(|t| t.follow_up_days.clone())
        .unwrap_or_default()
}

/// Sets `next_follow_up_at` before a save: from the latest of the last contact, the
/// assignment and the creation — or from now when the save gives the lead a new owner, who
/// starts their own clock.
pub fn before_save(
    kind: ObjectKind,
    meta: &RecordMeta,
    before: Option<&Values>,
    values: &mut Values,
    now: DateTime<Utc>,
) {
    let new_owner = before.is_some_and(|b| b.get("owner_id") != values.get("owner_id"));
    let created = if new_owner {
        now
    } else {
        time(values, "created_at").unwrap_or(now)
    };
    let since = follow_up::since(
        time(values, "last_contacted_at"),
        time(values, "assigned_at"),
        created,
    );
    let next = follow_up::next_follow_up(
        text(values, "intent"),
        open(kind, values),
        &deadlines(meta),
        since,
    );
    set(values, "next_follow_up_at", next.map(FieldValue::DateTime));
}

/// Moves the next follow-up of a record after its "last contacted" time moved outside the
/// engine (a done activity about it).
pub async fn refresh(
    tx: &mut Tx,
    tenant: Uuid,
    kind: ObjectKind,
    id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let spec = crate::records::spec(kind)?;
    let fields = crate::records::object_fields_tx(tx, tenant, kind).await?;
    let Some(record) = repo::get(tx, spec, &fields.custom_defs(), tenant, id).await? else {
        return Ok(());
    };
    let meta = RecordMeta::load(tx, tenant, kind, &record.values).await?;
    let mut values = record.values.clone();
    before_save(kind, &meta, Some(&record.values), &mut values, now);
    if values.get("next_follow_up_at") != record.values.get("next_follow_up_at") {
        let next = Param::OptTime(time(&values, "next_follow_up_at"));
        repo::set_column(tx, spec.plural, "next_follow_up_at", tenant, id, next).await?;
    }
    Ok(())
}
