//! Export of any list view to CSV or XLSX.
//!
//! [`start`] checks the request exactly as the list would run it (the filter language, sort,
//! quick search, columns the reader sees) and stores it with a [`RunExport`] job, in one
//! transaction. The job resolves the user as they are when it runs, walks the list's own
//! query (`records::list`, keyset pages) — so the file holds exactly what the list shows them:
//! their data scope, shares, teams and pools, and only the fields their role lets them see —
//! writes the rows to a temporary file ([`writer`]) and stores it in chunks
//! (`store::exports`), then writes the audit row. Exports are seen by their creator and
//! administrators, and removed after [`RETENTION_DAYS`] by the housekeeping.

use crate::records::{ListRequest, ObjectFields};
use crate::{Actor, App, AppError, AppResult};
use domain::permissions::{Action, ObjectKind};
use domain::views::{FilterSpec, ViewDefinition};
use serde::{Deserialize, Serialize};
use store::exports::{self as repo, Export};
use store::Tx;
use uuid::Uuid;

pub mod cells;
mod run;
pub mod writer;

pub use run::RunExport;

/// Days an export's file is kept.
pub const RETENTION_DAYS: i64 = 7;
/// Records read per page of the list.
pub const PAGE: i64 = 1000;
/// Bytes per stored chunk of a file.
pub const CHUNK: usize = 1024 * 1024;
/// The exports "my exports" shows.
pub const RECENT: i64 = 20;
/// The error of an export whose job died after its last attempt.
pub const JOB_FAILED: &str = "job_failed";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub const ALL: [Format; 2] = [Format::Csv, Format::Xlsx];

    pub fn key(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn parse(key: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.key() == key)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// What an export runs, as stored with it: the list request and the columns.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ExportSpec {
    #[serde(default)]
    pub filters: Vec<FilterSpec>,
    #[serde(default)]
    pub sort: Option<String>,
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub archived: crate::records::Archived,
    /// Field keys in order; the name always comes first.
    #[serde(default)]
    pub columns: Vec<String>,
    /// The view it started from (a built-in key or a saved view's id), for the record.
    #[serde(default)]
    pub view: Option<String>,
    /// The most rows written (the benchmark's sample); all when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rows: Option<i64>,
}

impl ExportSpec {
    fn list_request(&self, cursor: Option<String>, limit: i64) -> ListRequest {
        ListRequest {
            filters: self.filters.clone(),
            sort: self.sort.clone(),
            cursor,
            limit: Some(limit),
            q: self.q.clone(),
            related: None,
            archived: self.archived,
        }
    }

    /// Starts from a view: its filters first, its sort unless one is given, its columns
    /// unless some are given.
    pub fn apply_view(&mut self, key: &str, definition: ViewDefinition) {
        let mut filters = definition.filters;
        filters.append(&mut self.filters);
        self.filters = filters;
        if self.sort.is_none() {
            self.sort = Some(if definition.descending {
                format!("-{}", definition.sort)
            } else {
                definition.sort
            });
        }
        if self.columns.is_empty() {
            self.columns = definition.columns;
        }
        self.view = Some(key.to_string());
    }
}

/// An export with what it asked for.
#[derive(Debug, Clone)]
pub struct ExportView {
    pub export: Export,
    pub object: ObjectKind,
    pub format: Format,
    pub spec: ExportSpec,
    /// `queued`, `running`, `done` or `failed` (also when its job died).
    pub state: String,
    /// Why it failed: `user_inactive`, `forbidden` or `job_failed`.
    pub error: Option<String>,
}

impl ExportView {
    fn of(export: Export, job: Option<&store::jobs::Job>) -> AppResult<Self> {
        let object = ObjectKind::parse(&export.object).ok_or(AppError::NotFound)?;
        let format = Format::parse(&export.format).unwrap_or(Format::Csv);
        let spec = serde_json::from_str(&export.request).unwrap_or_default();
        let dead = job.is_some_and(|j| j.state == store::jobs::DEAD);
        let active = [repo::QUEUED, repo::RUNNING].contains(&export.state.as_str());
        // A job that died (its last error is for administrators, on the job's page) leaves
        // the export without a file.
        let (state, error) = if dead && active {
            (repo::FAILED.to_string(), Some(JOB_FAILED.to_string()))
        } else {
            (export.state.clone(), export.error.clone())
        };
        Ok(ExportView {
            export,
            object,
            format,
            spec,
            state,
            error,
        })
    }

    pub fn finished(&self) -> bool {
        matches!(self.state.as_str(), repo::DONE | repo::FAILED)
    }

    pub fn done(&self) -> bool {
        self.state == repo::DONE
    }
}

/// The definition of a built-in view (by key) or a saved one the actor may use (by id); an
/// unknown one is a `view` field error.
pub async fn view_definition(
    app: &App,
    actor: &Actor,
    kind: ObjectKind,
    key: &str,
) -> AppResult<ViewDefinition> {
    let unknown = || AppError::field("view", "invalid_choice");
    if let Ok(id) = Uuid::parse_str(key) {
        return match crate::customize::get_view(app, actor, kind, id).await {
            Ok(view) => Ok(view.definition.0),
            Err(AppError::NotFound) => Err(unknown()),
            Err(e) => Err(e),
        };
    }
    crate::customize::builtin_views(kind)
        .into_iter()
        .find(|v| v.key == key)
        .map(|v| v.definition)
        .ok_or_else(unknown)
}

/// The columns an export writes for a reader: the name first, then the asked ones (the
/// object's default columns when none), each a field the reader sees; hidden or unknown
/// ones are left out (at run time, the role may have changed since).
pub fn columns<'a>(fields: &'a ObjectFields, keys: &[String]) -> Vec<&'a domain::fields::FieldDef> {
    let default: Vec<String>;
    let keys = if keys.is_empty() {
        default = fields
            .spec
            .default_columns
            .iter()
            .map(|c| c.to_string())
            .collect();
        &default
    } else {
        keys
    };
    let mut out: Vec<&domain::fields::FieldDef> = fields.field("name").into_iter().collect();
    for key in keys {
        if let Some(f) = fields.field(key) {
            if !out.iter().any(|o| o.key == f.key) {
                out.push(f);
            }
        }
    }
    out
}

/// Asks for an export of `kind`'s list as `spec` describes it, in `format`, with the header
/// and values in `language` (`zh-CN` or `en`). Refused with the list's own field errors
/// (filters, sort, quick search) and `columns` for a column the reader does not see; nothing
/// is stored then.
pub async fn start(
    app: &App,
    actor: &Actor,
    kind: ObjectKind,
    spec: &ExportSpec,
    format: Format,
    language: &str,
) -> AppResult<ExportView> {
    crate::records::spec(kind)?;
    actor.require(kind, Action::Read)?;
    actor.require(kind, Action::Export)?;
    let fields = crate::records::object_fields(app, actor, kind).await?;
    if let Some(unknown) = spec.columns.iter().find(|k| fields.field(k).is_none()) {
        tracing::info!(column = %unknown, "export of an unknown column refused");
        return Err(AppError::field("columns", "unknown_field"));
    }
    // The list's own checks: a request it refuses is refused here, with its errors.
    crate::records::list(app, actor, kind, &spec.list_request(None, 1)).await?;
    let now = app.now();
    let id = Uuid::now_v7();
    let plural = crate::records::spec(kind)?.plural;
    let stamp = now.with_timezone(&actor.time_zone()).format("%Y%m%d-%H%M");
    let export = Export {
        tenant_id: actor.tenant_id(),
        id,
        object: kind.key().to_string(),
        created_by: actor.id(),
        created_at: now,
        format: format.key().to_string(),
        language: language.to_string(),
        request: serde_json::to_string(spec)
            .map_err(|e| AppError::Internal(format!("an export request as JSON: {e}")))?,
        state: repo::QUEUED.to_string(),
        job_id: None,
        rows_done: 0,
        row_count: None,
        size: None,
        file_name: format!("{plural}-{stamp}.{}", format.key()),
        error: None,
        finished_at: None,
    };
    let mut tx = app.db.begin().await?;
    let mut request = crate::jobs::JobRequest::new(
        actor.tenant_id(),
        RunExport::KIND,
        serde_json::json!({ "export_id": id }),
    );
    request.created_by = Some(actor.id());
    let job_id = crate::jobs::enqueue(&mut tx, now, &request).await?;
    let export = Export {
        job_id: Some(job_id),
        ..export
    };
    repo::insert(&mut tx, &export).await?;
    tx.commit().await?;
    ExportView::of(export, None)
}

/// An export the actor may follow: their own, or any of the company for administrators.
async fn visible(tx: &mut Tx, actor: &Actor, id: Uuid) -> AppResult<ExportView> {
    let export = repo::get(tx, actor.tenant_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let admin = actor.principal.can(ObjectKind::Org, Action::Administer);
    if export.created_by != actor.id() && !admin {
        return Err(AppError::NotFound);
    }
    let job = match export.job_id {
        Some(job_id) => store::jobs::get(tx, actor.tenant_id(), job_id).await?,
        None => None,
    };
    ExportView::of(export, job.as_ref())
}

pub async fn get(app: &App, actor: &Actor, id: Uuid) -> AppResult<ExportView> {
    let mut tx = app.db.begin_read().await?;
    visible(&mut tx, actor, id).await
}

/// The actor's latest exports, newest first.
pub async fn recent(app: &App, actor: &Actor) -> AppResult<Vec<ExportView>> {
    let mut tx = app.db.begin_read().await?;
    let exports = repo::list_of(&mut tx, actor.tenant_id(), actor.id(), RECENT).await?;
    let mut out = Vec::with_capacity(exports.len());
    for export in exports {
        let job = match export.job_id {
            Some(job_id) => store::jobs::get(&mut tx, actor.tenant_id(), job_id).await?,
            None => None,
        };
        out.push(ExportView::of(export, job.as_ref())?);
    }
    Ok(out)
}

/// A finished export's file, to be read chunk by chunk with [`chunk`]; 409
/// `export_not_ready` while it runs or when it failed.
pub async fn file(app: &App, actor: &Actor, id: Uuid) -> AppResult<ExportView> {
    let view = get(app, actor, id).await?;
    if !view.done() {
        return Err(AppError::Refused("export_not_ready"));
    }
    Ok(view)
}

/// Chunk `seq` of a finished export's file (found by [`file`]), `None` past its end.
pub async fn chunk(app: &App, view: &ExportView, seq: i64) -> AppResult<Option<Vec<u8>>> {
    let mut tx = app.db.begin_read().await?;
    let e = &view.export;
    Ok(repo::chunk(&mut tx, e.tenant_id, e.id, seq).await?)
}
