//! Import of CSV and XLSX files into any object, custom fields included.
//!
//! An upload is stored with the import (`store::imports`) as a draft; the user picks the
//! sheet, maps columns to fields (matched by header in Chinese or English, or the mapping
//! they last used for the object) and the duplicate mode, previews the first rows as they
//! will be stored, and starts it. A job ([`RunImport`]) then reads the stored file and
//! imports it in batches, each in one transaction with the position it reached, so a killed
//! worker resumes at the first batch not committed. Every row goes through the record
//! engine's create or update (`records::create_in`, `records::update_in`): the same
//! validation, rules, history, events and search tokens as a form. A row the engine refuses
//! is kept with its cells and field errors for the error file. Undo deletes what the import
//! created, while none of it has changed since.

use crate::records::{actor_fields_tx, ObjectFields};
use crate::{Actor, App, AppError, AppResult};
use chrono::{DateTime, Utc};
use domain::permissions::{Action, ObjectKind};
use std::collections::BTreeMap;
use store::imports::{self as repo, Import};
use store::Tx;
use uuid::Uuid;

pub mod file;
mod rows;
mod run;

pub use file::{Format, Row, Table};
pub use rows::{Outcome, PreviewRow};
pub use run::{run_batch, RunImport};

/// The largest file accepted.
pub const MAX_BYTES: usize = 32 * 1024 * 1024;
/// The most data rows a file may hold.
pub const MAX_ROWS: usize = 1_000_000;
/// Rows shown by the preview.
pub const PREVIEW_ROWS: usize = 10;

/// What a row whose duplicate keys match an existing record does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// It is not imported (counted as skipped).
    Skip,
    /// It updates the match the user may open.
    Update,
    /// It creates a record anyway.
    Create,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Skip, Mode::Update, Mode::Create];

    pub fn key(self) -> &'static str {
        match self {
            Mode::Skip => "skip",
            Mode::Update => "update",
            Mode::Create => "create",
        }
    }

    pub fn parse(key: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.key() == key)
    }
}

/// Column header → field key (an empty key: the column is not imported).
pub type Mapping = BTreeMap<String, String>;

/// What the user chooses before starting.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The XLSX sheet; the first when `None`.
    pub sheet: Option<String>,
    /// `None`: the headers matched against the fields.
    pub mapping: Option<Mapping>,
    pub mode: Mode,
}

/// An import with the sheet names of its file.
#[derive(Debug, Clone)]
pub struct ImportView {
    pub import: Import,
    pub object: ObjectKind,
    pub headers: Vec<String>,
    pub mapping: Mapping,
    pub mode: Mode,
    /// `draft`, `queued`, `running`, `done`, `failed` (its job died) or `undone`.
    pub state: String,
    /// The job's last error when it failed.
    pub error: Option<String>,
}

impl ImportView {
    fn of(import: Import, job: Option<&store::jobs::Job>) -> AppResult<Self> {
        let object = ObjectKind::parse(&import.object).ok_or(AppError::NotFound)?;
        let headers = serde_json::from_str(&import.headers).unwrap_or_default();
        let mapping = serde_json::from_str(&import.mapping).unwrap_or_default();
        let mode = Mode::parse(&import.mode).unwrap_or(Mode::Skip);
        let dead = job.is_some_and(|j| j.state == store::jobs::DEAD);
        let active = [repo::QUEUED, repo::RUNNING].contains(&import.state.as_str());
        let state = if dead && active {
            "failed".to_string()
        } else {
            import.state.clone()
        };
        let error = job.filter(|_| dead).and_then(|j| j.last_error.clone());
        Ok(ImportView {
            import,
            object,
            headers,
            mapping,
            mode,
            state,
            error,
        })
    }

    pub fn finished(&self) -> bool {
        matches!(self.state.as_str(), "done" | "failed" | "undone")
    }
}

/// The import's fields for the actor: what a column may be mapped to (writable fields).
async fn mappable(tx: &mut Tx, actor: &Actor, object: ObjectKind) -> AppResult<ObjectFields> {
    actor_fields_tx(tx, actor, object).await
}

/// The fields a column may be mapped to, in form order.
pub fn targets(fields: &ObjectFields) -> Vec<&domain::fields::FieldDef> {
    let mut out: Vec<_> = fields
        .all()
        .into_iter()
        .filter(|f| fields.writable(f) && f.computed.is_none())
        .filter(|f| {
            !fields
                .custom
                .iter()
                .any(|c| c.def.key == f.key && !c.active)
        })
        .collect();
    out.sort_by_key(|f| (f.column.is_none(), f.position));
    out
}

/// The headers matched against the fields (see `domain::imports::match_headers`).
fn matched(fields: &ObjectFields, headers: &[String]) -> Mapping {
    let targets = targets(fields);
    headers
        .iter()
        .zip(domain::imports::match_headers(headers, &targets))
        .filter(|(h, _)| !h.is_empty())
        .map(|(h, key)| (h.clone(), key.unwrap_or_default()))
        .collect()
}

/// Checks a mapping against the file's headers and the fields the actor may write: field
/// errors keyed `mapping.<header>`.
fn check_mapping(fields: &ObjectFields, headers: &[String], mapping: &Mapping) -> AppResult<()> {
    let mut errors = domain::FieldErrors::new();
    let targets = targets(fields);
    let mut used: Vec<&str> = Vec::new();
    for (header, key) in mapping {
        let at = format!("mapping.{header}");
        if !headers.contains(header) {
            errors.add(&at, "unknown_column");
        } else if key.is_empty() {
        } else if !targets.iter().any(|f| &f.key == key) {
            errors.add(&at, "unknown_field");
        } else if used.contains(&key.as_str()) {
            errors.add(&at, "mapped_twice");
        } else {
            used.push(key);
        }
    }
    if errors.is_empty() && used.is_empty() {
        errors.add("mapping", "nothing_mapped");
    }
    errors.into_result()?;
    Ok(())
}

fn check_size(bytes: &[u8]) -> AppResult<()> {
    if bytes.len() > MAX_BYTES {
        let mut errors = domain::FieldErrors::new();
        errors.add_limit("file", "file_too_large", (MAX_BYTES / 1024 / 1024) as i64);
        return Err(errors.into());
    }
    Ok(())
}

fn read_table(import: &Import, bytes: &[u8]) -> AppResult<Table> {
    let format =
        Format::parse(&import.format).ok_or_else(|| AppError::field("file", "unsupported_file"))?;
    let table = file::read(format, bytes, import.sheet.as_deref())?;
    if table.rows.len() > MAX_ROWS {
        let mut errors = domain::FieldErrors::new();
        errors.add_limit("file", "too_many_rows", MAX_ROWS as i64);
        return Err(errors.into());
    }
    Ok(table)
}

/// Applies `settings` to a draft read from `bytes`: the sheet's headers, the mapping (given,
/// else the one last used for the object when all its columns are there, else matched) and
/// the row count. Remembers the mapping for the user and object.
async fn configure_in(
    tx: &mut Tx,
    actor: &Actor,
    import: &mut Import,
    bytes: &[u8],
    settings: &Settings,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let object = ObjectKind::parse(&import.object).ok_or(AppError::NotFound)?;
    import.sheet = settings.sheet.clone();
    let table = read_table(import, bytes)?;
    let fields = mappable(tx, actor, object).await?;
    let mapping = match &settings.mapping {
        Some(mapping) => mapping.clone(),
        None => {
            let last = repo::last_mapping(tx, actor.tenant_id(), actor.id(), object.key()).await?;
            let last: Option<Mapping> = last.and_then(|m| serde_json::from_str(&m).ok());
            match last {
                Some(m)
                    if table
                        .headers
                        .iter()
                        .all(|h| h.is_empty() || m.contains_key(h))
                        && m.keys().all(|h| table.headers.contains(h)) =>
                {
                    m
                }
                _ => matched(&fields, &table.headers),
            }
        }
    };
    if settings.mapping.is_some() {
        check_mapping(&fields, &table.headers, &mapping)?;
    }
    import.headers = to_json(&table.headers);
    import.mapping = to_json(&mapping);
    import.mode = settings.mode.key().to_string();
    import.total_rows = table.rows.len() as i64;
    if settings.mapping.is_some() {
        repo::remember_mapping(
            tx,
            actor.tenant_id(),
            actor.id(),
            object.key(),
            &import.mapping,
            now,
        )
        .await?;
    }
    Ok(())
}

/// What the import stores as JSON text.
fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// Stores an uploaded file as a draft import of `object`, its columns matched against the
/// fields (or mapped as the user last did). Needs the create grant on the object.
pub async fn upload(
    app: &App,
    actor: &Actor,
    object: ObjectKind,
    file_name: &str,
    bytes: &[u8],
) -> AppResult<ImportView> {
    let settings = Settings {
        sheet: None,
        mapping: None,
        mode: Mode::Skip,
    };
    let mut tx = app.db.begin().await?;
    let import = draft_in(
        &mut tx,
        actor,
        object,
        file_name,
        bytes,
        &settings,
        app.now(),
    )
    .await?;
    tx.commit().await?;
    ImportView::of(import, None)
}

async fn draft_in(
    tx: &mut Tx,
    actor: &Actor,
    object: ObjectKind,
    file_name: &str,
    bytes: &[u8],
    settings: &Settings,
    now: DateTime<Utc>,
) -> AppResult<Import> {
    crate::records::spec(object)?;
    actor.require(object, Action::Create)?;
    if settings.mode == Mode::Update {
        actor.require(object, Action::Edit)?;
    }
    check_size(bytes)?;
    let format = file::detect(file_name, bytes)?;
    let name: String = file_name
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let mut import = Import {
        tenant_id: actor.tenant_id(),
        id: Uuid::now_v7(),
        object: object.key().to_string(),
        created_by: actor.id(),
        created_at: now,
        file_name: if name.trim().is_empty() {
            format!("import.{}", format.key())
        } else {
            name
        },
        format: format.key().to_string(),
        sheet: None,
        headers: "[]".into(),
        mapping: "{}".into(),
        mode: settings.mode.key().to_string(),
        state: repo::DRAFT.to_string(),
        job_id: None,
        total_rows: 0,
        position: 0,
        created: 0,
        updated: 0,
        skipped: 0,
        failed: 0,
        finished_at: None,
        undone_at: None,
    };
    configure_in(tx, actor, &mut import, bytes, settings, now).await?;
    repo::insert(tx, &import, bytes).await?;
    Ok(import)
}

/// Imports a file in one call (the API): stored, configured and started.
pub async fn create(
    app: &App,
    actor: &Actor,
    object: ObjectKind,
    file_name: &str,
    bytes: &[u8],
    settings: &Settings,
) -> AppResult<ImportView> {
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let mut import = draft_in(&mut tx, actor, object, file_name, bytes, settings, now).await?;
    check_mapping(
        &mappable(&mut tx, actor, object).await?,
        &serde_json::from_str::<Vec<String>>(&import.headers).unwrap_or_default(),
        &serde_json::from_str::<Mapping>(&import.mapping).unwrap_or_default(),
    )?;
    start_in(&mut tx, actor, &mut import, now).await?;
    tx.commit().await?;
    ImportView::of(import, None)
}

/// An import the actor may follow: their own, or any for the company's administrators.
async fn visible(tx: &mut Tx, actor: &Actor, id: Uuid) -> AppResult<Import> {
    let import = repo::get(tx, actor.tenant_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let admin = actor.principal.can(ObjectKind::Org, Action::Administer);
    if import.created_by == actor.id() || admin {
        Ok(import)
    } else {
        Err(AppError::NotFound)
    }
}

/// A draft of the actor's own (a draft is only ever changed by who uploaded it).
async fn own_draft(tx: &mut Tx, actor: &Actor, id: Uuid) -> AppResult<Import> {
    let import = visible(tx, actor, id).await?;
    if import.created_by != actor.id() {
        return Err(AppError::NotFound);
    }
    if import.state != repo::DRAFT {
        return Err(AppError::Refused("import_started"));
    }
    Ok(import)
}

/// Changes a draft's sheet, mapping and mode.
pub async fn configure(
    app: &App,
    actor: &Actor,
    id: Uuid,
    settings: &Settings,
) -> AppResult<ImportView> {
    let mut tx = app.db.begin().await?;
    let mut import = own_draft(&mut tx, actor, id).await?;
    let bytes = repo::file(&mut tx, actor.tenant_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if settings.mode == Mode::Update {
        actor.require(
            ObjectKind::parse(&import.object).ok_or(AppError::NotFound)?,
            Action::Edit,
        )?;
    }
    configure_in(&mut tx, actor, &mut import, &bytes, settings, app.now()).await?;
    if !repo::set_settings(&mut tx, &import).await? {
        return Err(AppError::Refused("import_started"));
    }
    tx.commit().await?;
    ImportView::of(import, None)
}

async fn start_in(
    tx: &mut Tx,
    actor: &Actor,
    import: &mut Import,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut request = crate::jobs::JobRequest::new(
        actor.tenant_id(),
        RunImport::KIND,
        serde_json::json!({ "import_id": import.id }),
    );
    request.created_by = Some(actor.id());
    let job = crate::jobs::enqueue(tx, now, &request).await?;
    if !repo::start(tx, actor.tenant_id(), import.id, job).await? {
        return Err(AppError::Refused("import_started"));
    }
    import.state = repo::QUEUED.to_string();
    import.job_id = Some(job);
    Ok(())
}

/// Starts a draft: its job is queued.
pub async fn start(app: &App, actor: &Actor, id: Uuid) -> AppResult<ImportView> {
    let mut tx = app.db.begin().await?;
    let mut import = own_draft(&mut tx, actor, id).await?;
    let object = ObjectKind::parse(&import.object).ok_or(AppError::NotFound)?;
    actor.require(object, Action::Create)?;
    if import.mode == Mode::Update.key() {
        actor.require(object, Action::Edit)?;
    }
    let fields = mappable(&mut tx, actor, object).await?;
    let headers: Vec<String> = serde_json::from_str(&import.headers).unwrap_or_default();
    let mapping: Mapping = serde_json::from_str(&import.mapping).unwrap_or_default();
    check_mapping(&fields, &headers, &mapping)?;
    start_in(&mut tx, actor, &mut import, app.now()).await?;
    tx.commit().await?;
    ImportView::of(import, None)
}

/// An import with its state, progress and counts.
pub async fn get(app: &App, actor: &Actor, id: Uuid) -> AppResult<ImportView> {
    let mut tx = app.db.begin_read().await?;
    let import = visible(&mut tx, actor, id).await?;
    with_job(&mut tx, import).await
}

/// The import's view with its job's state.
async fn with_job(tx: &mut Tx, import: Import) -> AppResult<ImportView> {
    let job = match import.job_id {
        Some(job) => store::jobs::get(tx, import.tenant_id, job).await?,
        None => None,
    };
    ImportView::of(import, job.as_ref())
}

/// The sheets of a draft's file (none for a CSV).
pub async fn sheets(app: &App, actor: &Actor, id: Uuid) -> AppResult<Vec<String>> {
    let mut tx = app.db.begin_read().await?;
    let import = visible(&mut tx, actor, id).await?;
    let bytes = repo::file(&mut tx, actor.tenant_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let format = Format::parse(&import.format).ok_or(AppError::NotFound)?;
    file::sheets(format, &bytes)
}

/// The first data row of an import's file (the setup page shows it beside each column).
pub async fn first_row(app: &App, actor: &Actor, id: Uuid) -> AppResult<Vec<String>> {
    let mut tx = app.db.begin_read().await?;
    let import = visible(&mut tx, actor, id).await?;
    let bytes = repo::file(&mut tx, actor.tenant_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(read_table(&import, &bytes)?
        .rows
        .into_iter()
        .next()
        .map(|r| r.cells)
        .unwrap_or_default())
}

/// A page of the import history, newest first: the actor's own imports, or the company's
/// for administrators; of one object when given. The cursor is the last import's id.
pub async fn history(
    app: &App,
    actor: &Actor,
    object: Option<ObjectKind>,
    before: Option<Uuid>,
    limit: i64,
) -> AppResult<(Vec<ImportView>, Option<Uuid>)> {
    let limit = limit.clamp(1, 100);
    let admin = actor.principal.can(ObjectKind::Org, Action::Administer);
    let mut tx = app.db.begin_read().await?;
    let mut found = repo::list(
        &mut tx,
        actor.tenant_id(),
        (!admin).then(|| actor.id()),
        object.map(|o| o.key()),
        before,
        limit + 1,
    )
    .await?;
    let next = if found.len() as i64 > limit {
        found.truncate(limit as usize);
        found.last().map(|i| i.id)
    } else {
        None
    };
    let mut out = Vec::new();
    for import in found {
        out.push(with_job(&mut tx, import).await?);
    }
    Ok((out, next))
}

/// A row the import refused: its number, original cells and field errors.
#[derive(Debug, Clone)]
pub struct FailedRow {
    pub number: i64,
    pub cells: Vec<String>,
    pub errors: Vec<StoredError>,
}

/// A field error as stored with a failed row.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct StoredError {
    pub field: String,
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// The rows the import refused, in file order after row `after`, at most `limit`.
pub async fn failed_rows(
    app: &App,
    actor: &Actor,
    id: Uuid,
    after: i64,
    limit: i64,
) -> AppResult<Vec<FailedRow>> {
    let mut tx = app.db.begin_read().await?;
    visible(&mut tx, actor, id).await?;
    let rows = repo::rows(&mut tx, actor.tenant_id(), id, repo::FAILED, after, limit).await?;
    Ok(rows
        .into_iter()
        .map(|r| FailedRow {
            number: r.row_number,
            cells: r
                .cells
                .and_then(|c| serde_json::from_str(&c).ok())
                .unwrap_or_default(),
            errors: r
                .errors
                .and_then(|e| serde_json::from_str(&e).ok())
                .unwrap_or_default(),
        })
        .collect())
}

/// Records the import created, read per undo step.
const UNDO_CHUNK: i64 = 500;

/// Deletes what a finished import created, in one transaction, if none of it has changed
/// since (its version is still the one the import left): else 409 `import_changed`, and
/// nothing is deleted. A record since deleted by someone is passed over.
pub async fn undo(app: &App, actor: &Actor, id: Uuid) -> AppResult<ImportView> {
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let import = visible(&mut tx, actor, id).await?;
    let object = ObjectKind::parse(&import.object).ok_or(AppError::NotFound)?;
    if import.state != repo::DONE {
        return Err(AppError::Refused("import_not_done"));
    }
    actor.require(object, Action::Delete)?;
    let table = crate::records::spec(object)?.plural;
    let mut after = 0;
    loop {
        let rows = repo::rows(
            &mut tx,
            actor.tenant_id(),
            id,
            repo::CREATED,
            after,
            UNDO_CHUNK,
        )
        .await?;
        let Some(last) = rows.last() else { break };
        after = last.row_number;
        let ids: Vec<Uuid> = rows.iter().filter_map(|r| r.record_id).collect();
        let now_at: BTreeMap<Uuid, i64> = repo::versions(&mut tx, table, actor.tenant_id(), &ids)
            .await?
            .into_iter()
            .collect();
        for row in &rows {
            let (Some(record), Some(version)) = (row.record_id, row.version) else {
                continue;
            };
            match now_at.get(&record) {
                None => continue,
                Some(v) if *v != version => return Err(AppError::Refused("import_changed")),
                Some(_) => {}
            }
            match crate::records::delete_in(&mut tx, actor, object, record, version, now).await {
                Ok(()) => {}
                Err(AppError::StillReferenced(_)) | Err(AppError::Rule(_)) => {
                    return Err(AppError::Refused("import_changed"))
                }
                Err(e) => return Err(e),
            }
        }
    }
    if !repo::mark_undone(&mut tx, actor.tenant_id(), id, now).await? {
        return Err(AppError::Refused("import_not_done"));
    }
    tx.commit().await?;
    get(app, actor, id).await
}

/// The first rows of a draft as the import would store them, with each cell's error: the
/// rows go through the same path as the import's, in a transaction that is rolled back.
pub async fn preview(app: &App, actor: &Actor, id: Uuid) -> AppResult<Vec<PreviewRow>> {
    let mut tx = app.db.begin().await?;
    let import = own_draft(&mut tx, actor, id).await?;
    let bytes = repo::file(&mut tx, actor.tenant_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let table = read_table(&import, &bytes)?;
    let mut plan = rows::Plan::new(&mut tx, actor, &import, &table.headers).await?;
    let mut out = Vec::new();
    for row in table.rows.iter().take(PREVIEW_ROWS) {
        out.push(plan.preview(&mut tx, actor, row, app.now()).await?);
    }
    // Dropped without commit: nothing the preview wrote stays.
    drop(tx);
    Ok(out)
}
