//! Global search (全局模糊查询): one query over accounts, contacts, leads and opportunities,
//! so a rep can check whether a customer is already followed before creating it again. Each
//! object is searched through its list use case, so data scope and field access apply as on
//! the lists.

use crate::records::{self, ListRequest, RecordPage};
use crate::{Actor, App, AppError, AppResult};
use domain::permissions::ObjectKind;
use domain::validation::FieldErrors;

/// Rounds of [`records::list`](crate::records::list) reading further for a reader whose
/// role hides a searchable field before it answers a short page with a cursor to go on.
pub(crate) const MAX_RECHECK_ROUNDS: usize = 5;

/// Whether a quick search must check its matches again for this reader: their role hides a
/// searchable field, whose tokens are stored with the record's other tokens (the token
/// tables do not say which field a token came from). Roles that hide none of them — the
/// common case — search exactly as before, at no extra cost.
pub(crate) fn hides_searchable(fields: &records::ObjectFields) -> bool {
    fields
        .spec
        .search_fields()
        .any(|f| fields.hidden.contains(&f.key))
}

/// Whether every query token is among the tokens of the searchable texts the reader may see
/// (`text_of` reads a field of the record with hidden fields already left out): a hidden
/// mobile number or e-mail address never makes a record found.
pub(crate) fn matches_visible<'a>(
    spec: &domain::objects::ObjectSpec,
    text_of: impl Fn(&str) -> Option<&'a str>,
    terms: &[domain::search::Term],
) -> bool {
    let have = domain::search::record_tokens(domain::search::search_texts(spec, text_of));
    terms.iter().all(|t| t.found_in(&have))
}

/// The objects searched, in the order results are shown.
pub const OBJECTS: [ObjectKind; 4] = [
    ObjectKind::Account,
    ObjectKind::Contact,
    ObjectKind::Lead,
    ObjectKind::Opportunity,
];

/// Results per object unless asked otherwise, and at most.
pub const DEFAULT_PER_OBJECT: i64 = 5;
pub const MAX_PER_OBJECT: i64 = 20;
/// Longest query accepted, in characters.
pub const MAX_QUERY: usize = 100;

/// Matches read per object to rank, for each one shown: the whole name or the start of it
/// is looked for among the newest matches, so a common word does not walk a whole list.
const RANKED_PER_SHOWN: i64 = 4;
/// At most this many matches are read per object to rank (the per-row probing of common
/// tokens stays cheap up to about this page size).
const MAX_RANKED: i64 = 20;

/// The matches of one object, best first ([`domain::search::Rank`], then the newest), and
/// whether its list has more.
pub struct Group {
    pub kind: ObjectKind,
    pub page: RecordPage,
    pub more: bool,
}

/// Searches every object the actor may read for records matching all words of `q` (Chinese
/// fragments of two characters or more, word beginnings, phone and e-mail fragments, as the
/// lists' quick search), and Chinese names by their pinyin or its initials.
pub async fn global(
    app: &App,
    actor: &Actor,
    q: &str,
    per_object: Option<i64>,
) -> AppResult<Vec<Group>> {
    let q = q.trim();
    let per_object = per_object.unwrap_or(DEFAULT_PER_OBJECT);
    let mut errors = FieldErrors::new();
    if q.is_empty() {
        errors.add("q", "required");
    } else if q.chars().count() > MAX_QUERY {
        errors.add_limit("q", "too_long", MAX_QUERY as i64);
    }
    if !(1..=MAX_PER_OBJECT).contains(&per_object) {
        errors.add_limit("limit", "out_of_range", MAX_PER_OBJECT);
    }
    errors.into_result()?;
    let mut groups = Vec::new();
    for kind in OBJECTS {
        if actor.principal.read_scope(kind).is_none() {
            continue;
        }
        let request = ListRequest {
            q: Some(q.to_string()),
            // Never fewer than are shown (a page of 20 is read as it is).
            limit: Some(
                (per_object * RANKED_PER_SHOWN)
                    .min(MAX_RANKED)
                    .max(per_object),
            ),
            // Search finds closed deals too.
            archived: records::Archived::Included,
            ..Default::default()
        };
        let mut page = match records::list(app, actor, kind, &request).await {
            Ok(page) => page,
            Err(AppError::Forbidden) => continue,
            Err(e) => return Err(e),
        };
        // Stable: equal ranks keep the list's order (the newest first).
        page.records
            .sort_by_key(|r| domain::search::rank(r.name(), q));
        let more = page.next_cursor.is_some() || page.records.len() as i64 > per_object;
        page.records.truncate(per_object as usize);
        groups.push(Group { kind, page, more });
    }
    Ok(groups)
}
