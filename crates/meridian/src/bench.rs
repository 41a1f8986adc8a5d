//! `meridian bench`: measures the hot paths on a generated database (`meridian gen`).
//!
//! For a rep who owns many accounts, a manager above them and the administrator, it runs each
//! operation `--iterations` times (at most `--max-seconds` per operation, after a short
//! warm-up) through the use cases — the server-side time of a request, without HTTP — and
//! reports p50/p95/p99 and operations per second for one client:
//!
//! * list view, first page (default sort, `-updated_at`);
//! * list view, filtered and sorted (rotating: province + name, grade + `-created_at`,
//!   type + `-updated_at`);
//! * list view, deep page: the page after following `--deep-pages` cursors;
//! * record page: the account, its history, its branches (the related list) and, for those who
//!   may transfer, the owner choices, as the record page loads them;
//! * quick search: the list with `q`, two or four Chinese characters or an English word prefix
//!   from the name of a visible account;
//! * global search: the same kind of fragments over accounts, contacts, leads and
//!   opportunities;
//! * create and update;
//! * contacts (first page, custom-field filter), opportunities closing this month, my open
//!   tasks and My day, through the record engine.
//!
//! Record pages, searches and updates use accounts sampled from all three years of data (the
//! first page created after each of 20 random days), not only the recent ones the caches
//! favour.
//!
//! With `--http-seconds S` it also serves the web app in-process on a loopback port and runs
//! `wrk` (2 threads, 32 connections, S seconds each) against the accounts list page (session
//! cookie), the API list and API creates, times the whole account and global search pages,
//! and reports the process's resident memory.
//!
//! The benchmark writes: creates add accounts (deleted again after the HTTP part and at the
//! end, see [`remove_created`]), updates change descriptions and grades.

use anyhow::{bail, Context, Result};
use app::records::ListRequest;
use app::{Actor, App};
use domain::permissions::{Action, ObjectKind};
use domain::views::FilterSpec;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use uuid::Uuid;

#[derive(clap::Args, Clone, Debug)]
pub struct BenchArgs {
    /// Timed runs of each operation for each user.
    #[arg(long, default_value_t = 200)]
    pub iterations: usize,
    /// Build the index of the generated contacts' custom field (`budget_level`) first, as an
    /// administrator would with "Build index"; without it the filter runs unindexed.
    #[arg(long)]
    pub index_custom_fields: bool,
    /// Seconds of HTTP load per `wrk` run; 0 skips the HTTP part.
    #[arg(long, default_value_t = 0)]
    pub http_seconds: u64,
    /// Also write the figures as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// The administrator to act as; the company measured is theirs.
    #[arg(long, default_value = "admin@meridian.test")]
    pub admin_email: String,
    /// The password of the generated users (for signing in over HTTP).
    #[arg(long, default_value = crate::gen::PASSWORD)]
    pub password: String,
    /// Pages of 50 to follow before timing the deep page.
    #[arg(long, default_value_t = 50)]
    pub deep_pages: usize,
    /// Stop an operation after this many seconds even if not all iterations ran.
    #[arg(long, default_value_t = 60)]
    pub max_seconds: u64,
    /// `wrk` connections.
    #[arg(long, default_value_t = 32)]
    pub connections: u32,
    /// `wrk` threads.
    #[arg(long, default_value_t = 2)]
    pub threads: u32,
    /// Time only the operations whose name contains one of these (repeatable, e.g.
    /// `--only search`), to measure one path after a change. The searches then sample other
    /// fragments than a full run. The HTTP part follows `--http-seconds` alone.
    #[arg(long)]
    pub only: Vec<String>,
}

/// The in-process operations, by the names `--only` matches and the report shows.
const OPERATIONS: [&str; 14] = [
    "list: first page",
    "list: filtered + sorted",
    "list: deep page",
    "record page",
    "quick search",
    "global search",
    "pinyin search",
    "create",
    "update",
    "contacts: first page",
    "contacts: custom field filter",
    "opportunities: closing this month",
    "activities: my open tasks",
    "my day",
];

impl BenchArgs {
    fn wants(&self, op: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| op.contains(o.as_str()))
    }

    /// Refuses an `--only` that names no operation (it would time nothing).
    fn check_only(&self) -> Result<()> {
        for only in &self.only {
            if !OPERATIONS.iter().any(|op| op.contains(only.as_str())) {
                bail!(
                    "--only {only:?} matches no operation; the operations are: {}",
                    OPERATIONS.join(", ")
                );
            }
        }
        Ok(())
    }
}

/// How the accounts a run creates are named: in-process creates, and the API creates of the
/// `wrk` script.
const CREATED_NAME_PREFIXES: [&str; 2] = ["基准测试客户", "HTTP压测客户"];

/// Deletes the accounts the run created, through the use case, so that the next run measures
/// the same data: they are the newest records, and every list or search walking the update
/// order passed them first (after three runs without this, 36,000 of them had doubled the
/// p95 of quick and global search on PostgreSQL). Returns how many it deleted.
async fn remove_created(app: &App, admin: &Actor) -> Result<usize> {
    let mut created = Vec::new();
    for prefix in CREATED_NAME_PREFIXES {
        let mut cursor = None;
        loop {
            let params = ListRequest {
                q: Some(prefix.into()),
                limit: Some(200),
                cursor,
                ..Default::default()
            };
            let page = list_accounts(app, admin, &params).await?;
            created.extend(
                page.records
                    .into_iter()
                    .filter(|a| a.name().starts_with(prefix))
                    .map(|a| (a.id, a.version)),
            );
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
    }
    for (id, version) in &created {
        app::records::delete(app, admin, ObjectKind::Account, *id, *version)
            .await
            .map_err(app_err)?;
    }
    Ok(created.len())
}

/// The budget of an operation: p95 server time in milliseconds.
fn budget_ms(op: &str) -> f64 {
    match op {
        "list: first page" | "list: filtered + sorted" | "list: deep page" => 20.0,
        "contacts: first page"
        | "contacts: custom field filter"
        | "opportunities: closing this month"
        | "activities: my open tasks" => 20.0,
        "my day" => 50.0,
        "record page" | "account page (whole, HTTP)" => 30.0,
        "global search page (whole, HTTP)" => 50.0,
        "quick search" | "global search" | "pinyin search" => 50.0,
        "create" | "update" => 10.0,
        _ => f64::INFINITY,
    }
}

struct Subject {
    role: &'static str,
    actor: Actor,
    /// Accounts the user owns.
    owns: i64,
}

#[derive(Debug, Clone)]
struct Figures {
    role: &'static str,
    op: &'static str,
    n: usize,
    p50: f64,
    p95: f64,
    p99: f64,
    max: f64,
    ops_per_s: f64,
    note: String,
}

pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Percentiles of the timed runs; operations per second is one client's rate, 1 / mean.
fn figures(role: &'static str, op: &'static str, mut ms: Vec<f64>) -> Figures {
    debug_assert!(
        OPERATIONS.contains(&op) || op.ends_with("(whole, HTTP)"),
        "{op} is missing from OPERATIONS"
    );
    let total_ms: f64 = ms.iter().sum();
    ms.sort_by(|a, b| a.total_cmp(b));
    Figures {
        role,
        op,
        n: ms.len(),
        p50: percentile(&ms, 50.0),
        p95: percentile(&ms, 95.0),
        p99: percentile(&ms, 99.0),
        max: ms.last().copied().unwrap_or(f64::NAN),
        ops_per_s: ms.len() as f64 * 1000.0 / total_ms.max(1e-9),
        note: String::new(),
    }
}

fn app_err(e: app::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}: {e:?}")
}

async fn owned(app: &App, tenant_id: Uuid, user: Uuid) -> Result<i64> {
    let mut tx = app.db.begin_read().await?;
    let role = store::org::get_user(&mut tx, tenant_id, user)
        .await?
        .context("user vanished")?
        .role_id;
    Ok(store::bulk::top_owners(&mut tx, tenant_id, role, 1000)
        .await?
        .into_iter()
        .find(|(id, _)| *id == user)
        .map(|(_, n)| n)
        .unwrap_or(0))
}

/// The administrator, the rep who owns the most accounts, and the highest sales manager above
/// that rep (so the manager's department tree holds the rep's accounts too).
async fn subjects(app: &App, admin_email: &str) -> Result<Vec<Subject>> {
    let email = domain::validation::normalize_email(admin_email);
    let mut tx = app.db.begin_read().await?;
    let admin = store::org::find_login(&mut tx, &email)
        .await?
        .with_context(|| format!("no user {email}: generate data with `meridian gen` first"))?;
    let tenant_id = admin.tenant_id;
    let rep_role = store::org::find_role(&mut tx, tenant_id, "sales_rep")
        .await?
        .context("no sales_rep role")?;
    let manager_role = store::org::find_role(&mut tx, tenant_id, "sales_manager")
        .await?
        .context("no sales_manager role")?;
    let (rep_id, rep_owns) = store::bulk::top_owners(&mut tx, tenant_id, rep_role.id, 1)
        .await?
        .into_iter()
        .next()
        .context("no sales rep owns accounts")?;
    let rep = store::org::get_user(&mut tx, tenant_id, rep_id)
        .await?
        .context("rep vanished")?;
    let mut manager = None;
    for segment in rep.manager_path.split('/').filter(|s| !s.is_empty()) {
        let Ok(id) = Uuid::try_parse(segment) else {
            continue;
        };
        if let Some(u) = store::org::get_user(&mut tx, tenant_id, id).await? {
            if u.role_id == manager_role.id && u.active {
                manager = Some(u);
                break;
            }
        }
    }
    let manager = match manager {
        Some(m) => m,
        None => {
            let (id, _) = store::bulk::top_owners(&mut tx, tenant_id, manager_role.id, 1)
                .await?
                .into_iter()
                .next()
                .context("no sales manager")?;
            store::org::get_user(&mut tx, tenant_id, id)
                .await?
                .context("manager vanished")?
        }
    };
    drop(tx);
    let manager_owns = owned(app, tenant_id, manager.id).await?;
    let admin_owns = owned(app, tenant_id, admin.id).await?;
    let shared = shared_rep(app, &Actor::from_user(admin.clone()), rep.clone()).await?;
    Ok(vec![
        Subject {
            role: "rep",
            actor: Actor::from_user(rep),
            owns: rep_owns,
        },
        Subject {
            role: "manager",
            actor: Actor::from_user(manager),
            owns: manager_owns,
        },
        Subject {
            role: "admin",
            actor: Actor::from_user(admin),
            owns: admin_owns,
        },
        Subject {
            role: "rep+share",
            actor: shared,
            owns: rep_owns,
        },
    ])
}

/// The rep with an account of someone else shared with them and a place on another's
/// contact team, signed in as a request would be: their lists take the predicate's granted
/// branch. Sharing again only sets the same rows.
async fn shared_rep(app: &App, admin: &Actor, rep: store::org::User) -> Result<Actor> {
    // By name, not by the newest: after one run the newest accounts are the ones this
    // benchmark updated, all the rep's.
    let params = ListRequest {
        limit: Some(50),
        sort: Some("name".into()),
        ..Default::default()
    };
    let page = list_accounts(app, admin, &params).await?;
    let account = page
        .records
        .iter()
        .find(|a| a.owner_id != rep.id)
        .context("no account of another owner")?;
    let share = app::sharing::ShareInput {
        user_id: Some(rep.id.to_string()),
        access: Some("read".into()),
        ..Default::default()
    };
    app::sharing::share(app, admin, ObjectKind::Account, account.id, &share)
        .await
        .map_err(app_err)?;
    let request = app::records::ListRequest {
        limit: Some(20),
        ..Default::default()
    };
    let contacts = app::records::list(app, admin, ObjectKind::Contact, &request)
        .await
        .map_err(app_err)?;
    if let Some(contact) = contacts.records.iter().find(|r| r.owner_id != rep.id) {
        let member = app::sharing::MemberInput {
            user_id: Some(rep.id.to_string()),
            access: Some("edit".into()),
            role: None,
        };
        app::sharing::add_member(app, admin, ObjectKind::Contact, contact.id, &member)
            .await
            .map_err(app_err)?;
    }
    let mut tx = app.db.begin_read().await?;
    app::sharing::actor(&mut tx, rep).await.map_err(app_err)
}

fn page_params(sort: &str, cursor: Option<String>) -> ListRequest {
    ListRequest {
        sort: Some(sort.into()),
        cursor,
        ..Default::default()
    }
}

/// Accounts whose `field` is `value` (`eq`, or another operator), sorted by `sort`.
fn accounts_where(field: &str, op: &str, value: &str, sort: &str) -> ListRequest {
    ListRequest {
        filters: vec![FilterSpec {
            field: field.into(),
            op: op.into(),
            values: vec![value.into()],
        }],
        sort: Some(sort.into()),
        ..Default::default()
    }
}

fn filtered_params(i: usize) -> ListRequest {
    match i % 3 {
        0 => accounts_where("province", "eq", "44", "name"),
        1 => accounts_where("grade", "eq", "A", "-created_at"),
        _ => accounts_where("account_type", "eq", "partner", "-updated_at"),
    }
}

async fn list_accounts(
    app: &App,
    actor: &Actor,
    request: &ListRequest,
) -> Result<app::records::RecordPage> {
    app::records::list(app, actor, ObjectKind::Account, request)
        .await
        .map_err(app_err)
}

/// A fragment someone would type to find `name`: two or four adjacent Chinese characters
/// near the start of the name (city, brand, trade), or the first four letters of a word;
/// never the legal form (有限公司, Co., Ltd.), which is not indexed.
fn search_fragment(rng: &mut StdRng, name: &str) -> Option<String> {
    let stripped = domain::search::strip_legal_suffix(name);
    let cjk: Vec<char> = stripped
        .chars()
        .take_while(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
        .collect();
    if cjk.len() >= 2 {
        let width = if cjk.len() >= 4 && rng.gen_bool(0.3) {
            4
        } else {
            2
        };
        let at = rng.gen_range(0..=(cjk.len() - width).min(4));
        return Some(cjk[at..at + width].iter().collect());
    }
    let words: Vec<&str> = stripped
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 4 && w.chars().all(|c| c.is_ascii_alphabetic()))
        .filter(|w| *w != "branch")
        .collect();
    if words.is_empty() {
        return None;
    }
    let w = words[rng.gen_range(0..words.len())];
    Some(w.chars().take(4).collect())
}

/// A query typed to find a name (`search_fragment`, `pinyin_fragment`).
type Fragment = fn(&mut StdRng, &str) -> Option<String>;

/// What someone would type in pinyin to find `name`: the full pinyin (`huawei`) or the
/// initials (`hwjs`) of a fragment of Chinese characters [`search_fragment`] picks; none for a
/// name without one.
fn pinyin_fragment(rng: &mut StdRng, name: &str) -> Option<String> {
    let fragment: Vec<char> = search_fragment(rng, name)?.chars().collect();
    let (full, initials) = domain::search::pinyin::spell(&fragment)?;
    Some(if rng.gen_bool(0.5) { full } else { initials })
}

/// An operation stops at the time limit only once it has this many timed runs.
const MIN_SAMPLES: usize = 5;

/// The iterations of one operation: up to `warm` untimed runs (for at most a quarter of the
/// time limit), then up to `n` timed runs, which stop at the time limit once [`MIN_SAMPLES`]
/// are in. The caller times each run and hands the start to [`Runs::record`].
struct Runs {
    n: usize,
    warm: usize,
    limit: Duration,
    /// Runs handed out so far, warm-ups included.
    given: usize,
    /// The start of the current phase (warm-up, then timed).
    phase_started: Instant,
    timing: bool,
    ms: Vec<f64>,
}

/// One iteration: its index within its phase, and whether it is timed.
#[derive(Clone, Copy)]
struct Run {
    i: usize,
    timed: bool,
}

impl Runs {
    fn new(n: usize, warm: usize, limit: Duration) -> Self {
        Runs {
            n,
            warm,
            limit,
            given: 0,
            phase_started: Instant::now(),
            timing: false,
            ms: Vec::with_capacity(n),
        }
    }

    fn next(&mut self) -> Option<Run> {
        if self.given < self.warm {
            if self.phase_started.elapsed() <= self.limit / 4 {
                self.given += 1;
                return Some(Run {
                    i: self.given - 1,
                    timed: false,
                });
            }
            self.given = self.warm;
        }
        if !self.timing {
            self.timing = true;
            self.phase_started = Instant::now();
        }
        let i = self.given - self.warm;
        let out_of_time = self.ms.len() >= MIN_SAMPLES && self.phase_started.elapsed() > self.limit;
        if i >= self.n || out_of_time {
            return None;
        }
        self.given += 1;
        Some(Run { i, timed: true })
    }

    /// Keeps the time since `started` if `run` is timed.
    fn record(&mut self, run: Run, started: Instant) {
        if run.timed {
            self.ms.push(started.elapsed().as_secs_f64() * 1e3);
        }
    }
}

/// Runs the timed operations for one user.
async fn measure(
    app: &App,
    subject: &Subject,
    args: &BenchArgs,
    rng: &mut StdRng,
) -> Result<Vec<Figures>> {
    let actor = &subject.actor;
    let role = subject.role;
    let n = args.iterations.max(1);
    let warm = (n / 10).clamp(1, 20);
    let mut out = Vec::new();

    // Each operation stops after `--max-seconds` even if not all iterations ran.
    let limit = Duration::from_secs(args.max_seconds.max(1));

    if args.wants("list: first page") {
        // ---- list: first page
        let mut runs = Runs::new(n, warm, limit);
        while let Some(run) = runs.next() {
            let params = page_params("-updated_at", None);
            let t = Instant::now();
            let page = list_accounts(app, actor, &params).await?;
            runs.record(run, t);
            std::hint::black_box(page.records.len());
        }
        out.push(figures(role, "list: first page", runs.ms));
    }

    if args.wants("list: filtered + sorted") {
        // ---- list: filtered + sorted (first pages)
        let mut runs = Runs::new(n, warm, limit);
        while let Some(run) = runs.next() {
            let params = filtered_params(run.i);
            let t = Instant::now();
            let page = list_accounts(app, actor, &params).await?;
            runs.record(run, t);
            std::hint::black_box(page.records.len());
        }
        let mut f = figures(role, "list: filtered + sorted", runs.ms);
        f.note = "province+name / grade+-created_at / type+-updated_at".into();
        out.push(f);
    }

    // ---- walk the pages to the deep cursor
    let walk = Instant::now();
    let mut cursor: Option<String> = None;
    let mut depth = 0;
    while depth < args.deep_pages {
        let page = list_accounts(app, actor, &page_params("-updated_at", cursor.clone())).await?;
        match page.next_cursor {
            Some(c) => {
                cursor = Some(c);
                depth += 1;
            }
            None => break,
        }
    }
    let walk_ms = walk.elapsed().as_secs_f64() * 1e3;

    // ---- a sample of the visible accounts from all three years (not just the recent ones,
    // which the caches favour): the first page created after each of 20 random days
    let mut pool: Vec<(Uuid, String, bool)> = Vec::new();
    let today = chrono::Utc::now().date_naive();
    for _ in 0..20 {
        let day = today - chrono::Duration::days(rng.gen_range(1..3 * 365));
        let params = accounts_where("created_at", "gte", &day.to_string(), "created_at");
        let page = list_accounts(app, actor, &params).await?;
        pool.extend(
            page.records
                .iter()
                .map(|a| (a.id, a.name().to_string(), a.owner_id == actor.id())),
        );
    }
    pool.sort_by_key(|p| p.0);
    pool.dedup_by_key(|p| p.0);
    if pool.is_empty() {
        bail!("the {role} sees no accounts");
    }

    if args.wants("list: deep page") {
        // ---- list: deep page
        let mut runs = Runs::new(n, 0, limit);
        while let Some(run) = runs.next() {
            let params = page_params("-updated_at", cursor.clone());
            let t = Instant::now();
            let page = list_accounts(app, actor, &params).await?;
            runs.record(run, t);
            std::hint::black_box(page.records.len());
        }
        let mut f = figures(role, "list: deep page", runs.ms);
        f.note = format!(
            "page {} (after {} rows; walking there took {walk_ms:.0} ms)",
            depth + 1,
            depth * app::records::DEFAULT_PAGE as usize
        );
        out.push(f);
    }

    if args.wants("record page") {
        // ---- record page
        let can_transfer = actor.principal.can(ObjectKind::Account, Action::Transfer);
        let mut parts: [Vec<f64>; 4] = Default::default();
        let mut runs = Runs::new(n, warm, limit);
        while let Some(run) = runs.next() {
            let id = pool[rng.gen_range(0..pool.len())].0;
            let t = Instant::now();
            let account = app::records::get(app, actor, ObjectKind::Account, id)
                .await
                .map_err(app_err)?;
            let t1 = t.elapsed();
            let history = app::records::history(app, actor, ObjectKind::Account, id, None, 21)
                .await
                .map_err(app_err)?;
            let t2 = t.elapsed();
            let branches = list_accounts(
                app,
                actor,
                &ListRequest {
                    limit: Some(10),
                    ..accounts_where("parent_id", "eq", &id.to_string(), "-updated_at")
                },
            )
            .await?;
            let t3 = t.elapsed();
            if can_transfer {
                let users = app::org::list_users(app, actor).await.map_err(app_err)?;
                std::hint::black_box(users.len());
            }
            let t4 = t.elapsed();
            runs.record(run, t);
            if run.timed {
                for (k, d) in [t1, t2 - t1, t3 - t2, t4 - t3].into_iter().enumerate() {
                    parts[k].push(d.as_secs_f64() * 1e3);
                }
            }
            std::hint::black_box((
                account.record.version,
                history.len(),
                branches.records.len(),
            ));
        }
        let p95 = |v: &[f64]| {
            let mut v = v.to_vec();
            v.sort_by(|a, b| a.total_cmp(b));
            percentile(&v, 95.0)
        };
        let mut f = figures(role, "record page", runs.ms);
        f.note = format!(
            "p95 of the parts: get {:.1}, history {:.1}, branches (related list) {:.1}{} ms",
            p95(&parts[0]),
            p95(&parts[1]),
            p95(&parts[2]),
            if can_transfer {
                format!(", owner choices {:.1}", p95(&parts[3]))
            } else {
                String::new()
            }
        );
        out.push(f);
    }

    if args.wants("quick search") {
        // ---- quick search
        let mut hits = 0usize;
        let mut runs = Runs::new(n, warm, limit);
        while let Some(run) = runs.next() {
            let name = &pool[rng.gen_range(0..pool.len())].1;
            let Some(q) = search_fragment(rng, name) else {
                continue;
            };
            let params = ListRequest {
                q: Some(q),
                ..Default::default()
            };
            let t = Instant::now();
            let page = list_accounts(app, actor, &params).await?;
            runs.record(run, t);
            if run.timed {
                hits += usize::from(!page.records.is_empty());
            }
        }
        let mut f = figures(role, "quick search", runs.ms);
        f.note = format!("{hits} of {} searches found something", f.n);
        out.push(f);
    }

    // ---- global search: the same kind of fragments over the four searchable objects, in
    // Chinese, and as their full pinyin or initials typed in the top bar's box
    let global_searches: [(&'static str, Fragment); 2] = [
        ("global search", search_fragment),
        ("pinyin search", pinyin_fragment),
    ];
    for (operation, fragment) in global_searches {
        if !args.wants(operation) {
            continue;
        }
        let mut hits = 0usize;
        let mut runs = Runs::new(n, 0, limit);
        while let Some(run) = runs.next() {
            let name = &pool[rng.gen_range(0..pool.len())].1;
            let Some(q) = fragment(rng, name) else {
                continue;
            };
            let t = Instant::now();
            let groups = app::search::global(app, actor, &q, None)
                .await
                .map_err(app_err)?;
            runs.record(run, t);
            hits += usize::from(groups.iter().any(|g| !g.page.records.is_empty()));
        }
        let mut f = figures(role, operation, runs.ms);
        f.note = format!("{hits} of {} searches found something", f.n);
        out.push(f);
    }

    let stamp = chrono::Utc::now().timestamp_millis();
    if args.wants("create") {
        // ---- create
        let mut runs = Runs::new(n, 0, limit);
        while let Some(run) = runs.next() {
            let text = |key: &str, value: &str| (key.to_string(), vec![value.to_string()]);
            let input = vec![
                text("name", &format!("基准测试客户{stamp}-{role}-{}", run.i)),
                text("account_type", "customer"),
                text("industry", "信息技术"),
                text("province", "31"),
                text("city", "上海"),
                text("grade", "B"),
                text("phone", "021-62345678"),
                text("tags", "基准测试"),
            ];
            let t = Instant::now();
            let id = app::records::create(app, actor, ObjectKind::Account, &input)
                .await
                .map_err(app_err)?;
            runs.record(run, t);
            std::hint::black_box(id);
        }
        out.push(figures(role, "create", runs.ms));
    }

    if args.wants("update") {
        // ---- update (the account is read first, untimed, as the edit form would have)
        let editable: Vec<Uuid> = pool
            .iter()
            .filter(|(_, _, mine)| *mine || role != "rep")
            .map(|(id, ..)| *id)
            .collect();
        if editable.is_empty() {
            bail!("the {role} owns none of the sampled accounts");
        }
        let mut runs = Runs::new(n, 0, limit);
        while let Some(run) = runs.next() {
            let i = run.i;
            let id = editable[rng.gen_range(0..editable.len())];
            let current = app::records::get(app, actor, ObjectKind::Account, id)
                .await
                .map_err(app_err)?;
            let input = vec![
                (
                    "description".to_string(),
                    vec![format!("基准测试修改 {stamp}-{i}")],
                ),
                (
                    "grade".to_string(),
                    vec![["A", "B", "C", "D"][i % 4].into()],
                ),
            ];
            let t = Instant::now();
            app::records::update(
                app,
                actor,
                ObjectKind::Account,
                id,
                current.record.version,
                &input,
            )
            .await
            .map_err(app_err)?;
            runs.record(run, t);
        }
        out.push(figures(role, "update", runs.ms));
    }

    // ---- the other objects, through the record engine
    let filter = |field: &str, op: &str, values: &[&str]| domain::views::FilterSpec {
        field: field.into(),
        op: op.into(),
        values: values.iter().map(|v| v.to_string()).collect(),
    };
    let record_ops: [(&'static str, ObjectKind, &str); 4] = [
        ("contacts: first page", ObjectKind::Contact, ""),
        (
            "contacts: custom field filter",
            ObjectKind::Contact,
            "budget_level",
        ),
        (
            "opportunities: closing this month",
            ObjectKind::Opportunity,
            "closing",
        ),
        ("activities: my open tasks", ObjectKind::Activity, "tasks"),
    ];
    for (op, kind, which) in record_ops {
        if !args.wants(op) {
            continue;
        }
        let request = |i: usize| app::records::ListRequest {
            filters: match which {
                "budget_level" => vec![filter(
                    "budget_level",
                    "eq",
                    &[["high", "mid", "low"][i % 3]],
                )],
                "closing" => vec![
                    filter("expected_close", "this_month", &[]),
                    filter(
                        "stage",
                        "in",
                        &["initial", "needs", "proposal", "negotiation"],
                    ),
                ],
                "tasks" => vec![
                    filter("owner_id", "eq", &["me"]),
                    filter("kind", "eq", &["task"]),
                    filter("status", "eq", &["open"]),
                ],
                _ => Vec::new(),
            },
            // Each list in the order its built-in view gives it.
            sort: Some(
                match which {
                    "tasks" => "due_at",
                    "closing" => "expected_close",
                    _ => "-updated_at",
                }
                .into(),
            ),
            limit: Some(app::records::DEFAULT_PAGE),
            ..Default::default()
        };
        let mut runs = Runs::new(n, warm, limit);
        while let Some(run) = runs.next() {
            let req = request(run.i);
            let t = Instant::now();
            let page = app::records::list(app, actor, kind, &req)
                .await
                .map_err(app_err)?;
            runs.record(run, t);
            std::hint::black_box(page.records.len());
        }
        out.push(figures(role, op, runs.ms));
    }

    if args.wants("my day") {
        // ---- My day
        let mut runs = Runs::new(n, 0, limit);
        while let Some(run) = runs.next() {
            let t = Instant::now();
            let day = app::activities::my_day(app, actor).await.map_err(app_err)?;
            runs.record(run, t);
            std::hint::black_box(day.today.len());
        }
        out.push(figures(role, "my day", runs.ms));
    }
    Ok(out)
}

// ---------------------------------------------------------------- HTTP

fn rss_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

fn mib(kib: Option<u64>) -> f64 {
    kib.map(|k| k as f64 / 1024.0).unwrap_or(f64::NAN)
}

/// A plain HTTP/1.1 GET on loopback; returns the status code.
async fn http_status(port: u16, path: &str, header: &str) -> Result<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{header}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let text = String::from_utf8_lossy(&response);
    text.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("malformed HTTP response")
}

#[derive(Debug, Clone)]
struct WrkRun {
    name: String,
    requests_per_s: f64,
    p50: String,
    p99: String,
    non_2xx: u64,
    errors: String,
    budget: Option<f64>,
}

async fn wrk(
    args: &BenchArgs,
    name: &str,
    url: &str,
    header: &str,
    script: Option<&std::path::Path>,
    budget: Option<f64>,
) -> Result<Option<WrkRun>> {
    let mut cmd = tokio::process::Command::new("wrk");
    cmd.arg(format!("-t{}", args.threads))
        .arg(format!("-c{}", args.connections))
        .arg(format!("-d{}s", args.http_seconds))
        .arg("--timeout")
        .arg("5s")
        .arg("--latency")
        .arg("-H")
        .arg(header);
    if let Some(s) = script {
        cmd.arg("-s").arg(s);
    }
    cmd.arg(url);
    let output = match cmd.output().await {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).context("running wrk"),
    };
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    if !output.status.success() {
        bail!(
            "wrk failed: {}{}",
            text,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let find = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.split_whitespace().last())
            .unwrap_or("")
            .to_string()
    };
    let errors = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("Socket errors"))
        .unwrap_or("none")
        .to_string();
    Ok(Some(WrkRun {
        name: name.to_string(),
        requests_per_s: find("Requests/sec:").parse().unwrap_or(f64::NAN),
        p50: find("50%"),
        p99: find("99%"),
        non_2xx: find("Non-2xx or 3xx responses:").parse().unwrap_or(0),
        errors,
        budget,
    }))
}

struct HttpReport {
    runs: Vec<WrkRun>,
    /// Whole pages timed one request at a time.
    pages: Vec<Figures>,
    rss_idle_mib: f64,
    rss_after_mib: f64,
    rss_peak_mib: f64,
    skipped: Option<String>,
}

async fn http(app: &App, subjects: &[Subject], args: &BenchArgs) -> Result<HttpReport> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let port = listener.local_addr()?.port();
    let router = web::router(web::AppState::new(app.clone(), false));
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_idle_mib = mib(rss_kib("VmRSS:"));

    let rep = &subjects[0].actor;
    let admin = &subjects[2].actor;
    let rep_session = app::auth::login(app, &rep.user.email, &args.password)
        .await
        .map_err(app_err)
        .context("signing in as the rep (is --password right?)")?;
    let admin_session = app::auth::login(app, &admin.user.email, &args.password)
        .await
        .map_err(app_err)
        .context("signing in as the administrator")?;
    let (_, token) = app::auth::create_token(app, rep.tenant_id(), rep.id(), "bench")
        .await
        .map_err(app_err)?;
    let rep_cookie = format!(
        "Cookie: {}={}",
        web::session::SESSION_COOKIE,
        rep_session.cookie_value
    );
    let admin_cookie = format!(
        "Cookie: {}={}",
        web::session::SESSION_COOKIE,
        admin_session.cookie_value
    );
    let bearer = format!("Authorization: Bearer {token}");
    for (path, header) in [
        ("/accounts", &rep_cookie),
        ("/accounts", &admin_cookie),
        ("/api/v1/accounts", &bearer),
    ] {
        let status = http_status(port, path, header).await?;
        if status != 200 {
            bail!("GET {path} answered {status}, not 200: the load test would measure errors");
        }
    }

    let mut pages = Vec::new();
    for (subject, cookie) in [(&subjects[0], &rep_cookie), (&subjects[2], &admin_cookie)] {
        pages.extend(whole_pages(app, port, subject, cookie, args).await?);
    }

    let script = std::env::temp_dir().join(format!("meridian-bench-{}.lua", std::process::id()));
    std::fs::write(
        &script,
        "wrk.method = \"POST\"\n\
         wrk.headers[\"Content-Type\"] = \"application/json\"\n\
         local n = 0\n\
         request = function()\n\
           n = n + 1\n\
           local body = string.format('{\"name\":\"HTTP压测客户 %d-%d\",\"grade\":\"C\",\"province\":\"44\",\"city\":\"深圳\"}', math.random(1, 1000000000), n)\n\
           return wrk.format(nil, nil, nil, body)\n\
         end\n",
    )?;
    let base = format!("http://127.0.0.1:{port}");
    let mut runs = Vec::new();
    let mut skipped = None;
    let plan: [(&str, String, &String, bool, Option<f64>); 4] = [
        (
            "GET /accounts (list page, rep, cookie)",
            format!("{base}/accounts"),
            &rep_cookie,
            false,
            Some(5000.0),
        ),
        (
            "GET /accounts (list page, admin, cookie)",
            format!("{base}/accounts"),
            &admin_cookie,
            false,
            Some(5000.0),
        ),
        (
            "GET /api/v1/accounts (API list, rep, token)",
            format!("{base}/api/v1/accounts"),
            &bearer,
            false,
            None,
        ),
        (
            "POST /api/v1/accounts (API create, rep, token)",
            format!("{base}/api/v1/accounts"),
            &bearer,
            true,
            (app.db.backend() == store::Backend::Sqlite).then_some(1500.0),
        ),
    ];
    for (name, url, header, post, budget) in plan {
        let s = post.then_some(script.as_path());
        eprintln!("wrk: {name} for {} s…", args.http_seconds);
        match wrk(args, name, &url, header, s, budget).await? {
            Some(run) => runs.push(run),
            None => {
                skipped =
                    Some("wrk is not installed (apt-get install -y wrk): HTTP load skipped".into());
                break;
            }
        }
    }
    let _ = std::fs::remove_file(&script);
    let rss_after_mib = mib(rss_kib("VmRSS:"));
    let rss_peak_mib = mib(rss_kib("VmHWM:"));
    server.abort();
    Ok(HttpReport {
        runs,
        pages,
        rss_idle_mib,
        rss_after_mib,
        rss_peak_mib,
        skipped,
    })
}

/// The account page (with its 360° parts, related lists and stream) and the global search
/// page, rendered whole, one request at a time: server time plus a loopback connection. The
/// accounts are the user's, first by name, by creation and by last update, so they span all
/// three years; the searches are fragments of their names.
async fn whole_pages(
    app: &App,
    port: u16,
    subject: &Subject,
    cookie: &str,
    args: &BenchArgs,
) -> Result<Vec<Figures>> {
    let mut accounts = Vec::new();
    for sort in ["name", "created_at", "-updated_at"] {
        let page = list_accounts(app, &subject.actor, &page_params(sort, None)).await?;
        accounts.extend(
            page.records
                .into_iter()
                .map(|a| (a.id, a.name().to_string())),
        );
    }
    let mut rng = StdRng::seed_from_u64(11);
    let searches: Vec<String> = accounts
        .iter()
        .filter_map(|(_, name)| search_fragment(&mut rng, name))
        .map(|q| format!("/search?q={}", web::session::urlencode(&q)))
        .collect();
    let account_pages: Vec<String> = accounts
        .iter()
        .map(|(id, _)| format!("/accounts/{id}"))
        .collect();
    let cookie = format!("{cookie}\r\nAccept-Language: zh-CN");
    let limit = Duration::from_secs(args.max_seconds.max(1));
    let mut out = Vec::new();
    for (op, paths) in [
        ("account page (whole, HTTP)", &account_pages),
        ("global search page (whole, HTTP)", &searches),
    ] {
        // A few untimed requests first, as the in-process operations have.
        let (n, warm) = if paths.is_empty() {
            (0, 0)
        } else {
            (args.iterations.max(1), 3)
        };
        let mut runs = Runs::new(n, warm, limit);
        while let Some(run) = runs.next() {
            let path = &paths[run.i % paths.len()];
            let t = Instant::now();
            let status = http_status(port, path, &cookie).await?;
            runs.record(run, t);
            if status != 200 {
                bail!("GET {path} answered {status}, not 200");
            }
        }
        out.push(figures(subject.role, op, runs.ms));
    }
    Ok(out)
}

// ---------------------------------------------------------------- the run

fn mark(ok: bool) -> &'static str {
    if ok {
        "✅"
    } else {
        "❌"
    }
}

pub async fn run(app: &App, args: &BenchArgs) -> Result<()> {
    args.check_only()?;
    let started = Instant::now();
    let subjects = subjects(app, &args.admin_email).await?;
    let tenant_id = subjects[2].actor.tenant_id();
    let counts = {
        let mut tx = app.db.begin_read().await?;
        store::bulk::counts(&mut tx, tenant_id).await?
    };
    let backend = match app.db.backend() {
        store::Backend::Sqlite => "SQLite",
        store::Backend::Postgres => "PostgreSQL",
    };
    eprintln!(
        "{backend}: {} accounts, {} users; rep {} owns {}, manager {} owns {}",
        counts.accounts,
        counts.users,
        subjects[0].actor.user.email,
        subjects[0].owns,
        subjects[1].actor.user.email,
        subjects[1].owns,
    );

    if args.index_custom_fields {
        let admin = &subjects[2].actor;
        let t = Instant::now();
        app::customize::index_field(app, admin, ObjectKind::Contact, "budget_level")
            .await
            .map_err(app_err)?;
        // The build is a job: run it here.
        app::jobs::Worker::new(app.clone(), app::jobs::Registry::standard())
            .run_until_idle()
            .await
            .map_err(app_err)?;
        eprintln!(
            "indexed contacts.budget_level in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }

    // HTTP first, so that "idle" memory is measured before the in-process runs fill caches.
    let http_report = if args.http_seconds > 0 {
        let report = http(app, &subjects, args).await?;
        let t = Instant::now();
        let removed = remove_created(app, &subjects[2].actor).await?;
        eprintln!(
            "removed the {removed} accounts the HTTP creates made in {:.0} s",
            t.elapsed().as_secs_f64()
        );
        Some(report)
    } else {
        None
    };

    let pages = crate::page_bytes::measure(app, &subjects[2].actor).await?;

    let mut rng = StdRng::seed_from_u64(7);
    let mut all = Vec::new();
    for s in &subjects {
        eprintln!("measuring as {} ({})…", s.role, s.actor.user.email);
        all.extend(measure(app, s, args, &mut rng).await?);
    }
    if let Some(h) = &http_report {
        all.extend(h.pages.iter().cloned());
    }

    let t = Instant::now();
    let removed = remove_created(app, &subjects[2].actor).await?;
    eprintln!(
        "removed the {removed} accounts the use cases created in {:.0} s",
        t.elapsed().as_secs_f64()
    );

    println!("## {backend}, {} accounts\n", counts.accounts);
    println!(
        "{} iterations per operation and user, one at a time, through the use cases (server time, no HTTP).\n",
        args.iterations
    );
    println!("| user | scope | owns |");
    println!("|---|---|---|");
    for s in &subjects {
        let scope = s
            .actor
            .principal
            .read_scope(ObjectKind::Account)
            .map(|d| d.key())
            .unwrap_or("none");
        println!(
            "| {} `{}` | {scope} | {} |",
            s.role, s.actor.user.email, s.owns
        );
    }
    println!();
    println!(
        "| user | operation | n | p50 ms | p95 ms | p99 ms | max ms | ops/s | budget p95 | | note |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|");
    for f in &all {
        let budget = budget_ms(f.op);
        println!(
            "| {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.1} | {:.0} | ≤ {} ms | {} | {} |",
            f.role,
            f.op,
            f.n,
            f.p50,
            f.p95,
            f.p99,
            f.max,
            f.ops_per_s,
            budget,
            mark(f.p95 <= budget),
            f.note
        );
    }
    println!("\nAPI list pages as the administrator (JSON body, default order):\n");
    println!("| request | rows | bytes | bytes per row |");
    println!("|---|---:|---:|---:|");
    for p in &pages {
        println!(
            "| {} | {} | {} | {} |",
            p.request,
            p.rows,
            p.bytes,
            p.per_row()
        );
    }
    if let Some(h) = &http_report {
        println!();
        if let Some(s) = &h.skipped {
            println!("{s}");
        }
        if !h.runs.is_empty() {
            println!(
                "HTTP on loopback: wrk -t{} -c{} -d{}s, in the same process as the server.\n",
                args.threads, args.connections, args.http_seconds
            );
            println!("| request | req/s | p50 | p99 | non-2xx | socket errors | budget | |");
            println!("|---|---:|---:|---:|---:|---|---:|---|");
            for r in &h.runs {
                let (budget, ok) = match r.budget {
                    Some(b) => (format!("≥ {b:.0}/s"), mark(r.requests_per_s >= b)),
                    None => ("—".to_string(), ""),
                };
                println!(
                    "| {} | {:.0} | {} | {} | {} | {} | {budget} | {ok} |",
                    r.name, r.requests_per_s, r.p50, r.p99, r.non_2xx, r.errors
                );
            }
        }
        println!();
        println!("| resident memory (VmRSS) | MiB | budget | |");
        println!("|---|---:|---:|---|");
        println!(
            "| before load (server up, signed in) | {:.1} | ≤ 80 | {} |",
            h.rss_idle_mib,
            mark(h.rss_idle_mib <= 80.0)
        );
        println!(
            "| after load | {:.1} | ≤ 300 | {} |",
            h.rss_after_mib,
            mark(h.rss_after_mib <= 300.0)
        );
        println!(
            "| peak (VmHWM) | {:.1} | ≤ 300 | {} |",
            h.rss_peak_mib,
            mark(h.rss_peak_mib <= 300.0)
        );
    }
    println!(
        "\n(benchmark took {:.0} s)",
        started.elapsed().as_secs_f64()
    );

    if let Some(path) = &args.json {
        let value = json!({
            "backend": backend,
            "accounts": counts.accounts,
            "users": counts.users,
            "iterations": args.iterations,
            "subjects": subjects.iter().map(|s| json!({
                "role": s.role, "email": s.actor.user.email, "owns": s.owns,
            })).collect::<Vec<_>>(),
            "operations": all.iter().map(|f| json!({
                "role": f.role, "operation": f.op, "n": f.n, "p50_ms": f.p50, "p95_ms": f.p95,
                "p99_ms": f.p99, "max_ms": f.max, "ops_per_s": f.ops_per_s,
                "budget_p95_ms": budget_ms(f.op), "within_budget": f.p95 <= budget_ms(f.op),
                "note": f.note,
            })).collect::<Vec<_>>(),
            "api_list_pages": pages.iter().map(|p| json!({
                "request": p.request, "rows": p.rows, "bytes": p.bytes,
            })).collect::<Vec<_>>(),
            "http": http_report.as_ref().map(|h| json!({
                "skipped": h.skipped,
                "rss_idle_mib": h.rss_idle_mib,
                "rss_after_mib": h.rss_after_mib,
                "rss_peak_mib": h.rss_peak_mib,
                "runs": h.runs.iter().map(|r| json!({
                    "request": r.name, "requests_per_s": r.requests_per_s, "p50": r.p50,
                    "p99": r.p99, "non_2xx": r.non_2xx, "socket_errors": r.errors,
                    "budget_requests_per_s": r.budget,
                })).collect::<Vec<_>>(),
            })),
        });
        std::fs::write(path, serde_json::to_string_pretty(&value)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
