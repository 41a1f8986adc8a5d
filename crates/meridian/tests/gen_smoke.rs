//! Smoke test of `meridian gen` at a tiny size: it fills a fresh database, and what it made is
//! right when read back through the use cases; then `meridian bench` runs on it. On SQLite always; on PostgreSQL when
//! MERIDIAN_TEST_POSTGRES_URL names an admin connection (required under CI=true).
//! Correctness only: nothing here is timed.

#[path = "../../web/tests/suite/account_fixture.rs"]
mod account_fixture;

use account_fixture::{Account as AccountRow, ListParams};
use app::{Actor, App};
use std::path::PathBuf;
use std::process::Command;
use store::Db;
use uuid::Uuid;

const BIN: &str = env!("CARGO_BIN_EXE_meridian");
const ACCOUNTS: usize = 300;
const USERS: usize = 20;
const ADMIN: &str = "admin@meridian.test";

/// Where one generated database lives.
enum Target {
    Sqlite(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl Target {
    fn sqlite(tag: &str) -> Target {
        let dir = std::env::temp_dir().join(format!(
            "meridian-gen-smoke-{tag}-{}",
            Uuid::now_v7().simple()
        ));
        Target::Sqlite(dir)
    }

    async fn postgres(admin_url: &str, tag: &str) -> Target {
        let name = format!("meridian_gen_{tag}_{}", Uuid::now_v7().simple());
        let pool = sqlx::PgPool::connect(admin_url)
            .await
            .expect("connect to PostgreSQL");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&pool)
            .await
            .expect("create test database");
        pool.close().await;
        Target::Postgres {
            admin_url: admin_url.to_string(),
            name,
        }
    }

    fn url(&self) -> String {
        match self {
            Target::Sqlite(dir) => format!("sqlite://{}", dir.join("meridian.db").display()),
            Target::Postgres { admin_url, name } => {
                let (base, query) = match admin_url.split_once('?') {
                    Some((b, q)) => (b, Some(q)),
                    None => (admin_url.as_str(), None),
                };
                let base = match base.rfind('/') {
                    Some(i) if i > "postgres://".len() => &base[..i],
                    _ => base,
                };
                match query {
                    Some(q) => format!("{base}/{name}?{q}"),
                    None => format!("{base}/{name}"),
                }
            }
        }
    }

    /// Runs `meridian gen` on this database; returns (success, stdout + stderr).
    fn generate(&self, extra: &[&str]) -> (bool, String) {
        if let Target::Sqlite(dir) = self {
            std::fs::create_dir_all(dir).expect("temp dir");
        }
        let accounts = ACCOUNTS.to_string();
        let users = USERS.to_string();
        let mut args = vec!["--seed", "7", "--until", "2026-01-01"];
        args.extend(["--accounts", &accounts, "--users", &users]);
        args.extend(extra);
        self.run("gen", &args)
    }

    /// Runs `meridian bench` on this database briefly, without the HTTP part (which needs
    /// wrk); returns (success, stdout + stderr).
    fn bench(&self) -> (bool, String) {
        self.run(
            "bench",
            &[
                "--iterations",
                "3",
                "--max-seconds",
                "1",
                "--deep-pages",
                "2",
            ],
        )
    }

    fn run(&self, command: &str, args: &[&str]) -> (bool, String) {
        let output = Command::new(BIN)
            .args([command, "--database-url", &self.url()])
            .args(args)
            .env_remove("MERIDIAN_DATABASE_URL")
            .output()
            .unwrap_or_else(|e| panic!("run meridian {command}: {e}"));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.success(), text)
    }

    async fn open(&self) -> App {
        let db = Db::open_url(&self.url()).await.expect("open database");
        App::new(db)
    }

    async fn drop_it(self) {
        match self {
            Target::Sqlite(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Target::Postgres { admin_url, name } => {
                if let Ok(pool) = sqlx::PgPool::connect(&admin_url).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&pool)
                        .await;
                    pool.close().await;
                }
            }
        }
    }
}

async fn actor_for_email(app: &App, email: &str) -> Actor {
    let mut tx = app.db.begin_read().await.expect("tx");
    let user = store::org::find_login(&mut tx, email)
        .await
        .expect("find login")
        .unwrap_or_else(|| panic!("no user {email}"));
    Actor::from_user(user)
}

/// Every account `actor` sees through the list use case, following the cursors.
async fn list_all(app: &App, actor: &Actor, base: ListParams) -> Vec<AccountRow> {
    let mut rows = Vec::new();
    let mut cursor = None;
    loop {
        let params = ListParams {
            cursor: cursor.clone(),
            limit: Some("200".into()),
            ..base.clone()
        };
        let page = account_fixture::list(app, actor, &params)
            .await
            .expect("list accounts");
        rows.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return rows,
        }
    }
}

fn cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// Checks one generated database; returns the account names in list order.
async fn check(target: &Target, output: &str) -> Vec<String> {
    assert!(output.contains(ADMIN), "credentials printed: {output}");
    let app = target.open().await;
    let admin = actor_for_email(&app, ADMIN).await;

    // The administrator sees every account, each once.
    let all = list_all(&app, &admin, ListParams::default()).await;
    assert_eq!(all.len(), ACCOUNTS, "the administrator sees all accounts");
    let mut ids: Vec<Uuid> = all.iter().map(|a| a.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), ACCOUNTS, "no account listed twice");

    // The users are there, with one administrator and reps.
    let users = app::org::list_users(&app, &admin).await.expect("users");
    assert_eq!(users.len(), USERS);
    assert!(users.iter().all(|u| u.active));

    // A rep sees exactly the accounts they own.
    let (rep_id, owns) = {
        let mut tx = app.db.begin_read().await.expect("tx");
        let role = store::org::find_role(&mut tx, admin.tenant_id(), "sales_rep")
            .await
            .expect("role")
            .expect("sales_rep role");
        store::bulk::top_owners(&mut tx, admin.tenant_id(), role.id, 1)
            .await
            .expect("top owners")
            .into_iter()
            .next()
            .expect("a rep owns accounts")
    };
    assert!(owns > 0);
    let rep = {
        let mut tx = app.db.begin_read().await.expect("tx");
        Actor::from_user(
            store::org::get_user(&mut tx, admin.tenant_id(), rep_id)
                .await
                .expect("get rep")
                .expect("rep exists"),
        )
    };
    let mine = list_all(&app, &rep, ListParams::default()).await;
    assert_eq!(mine.len() as i64, owns, "the rep sees their own accounts");
    assert!(mine.iter().all(|a| a.owner_id == rep_id));
    let owned_by_rep = all.iter().filter(|a| a.owner_id == rep_id).count();
    assert_eq!(owned_by_rep as i64, owns, "and only those");

    // Every generated account passes validation, so the app can edit it.
    // Every value passes its field's checks, as a form or an API body would be checked.
    let spec = domain::objects::spec(domain::permissions::ObjectKind::Account).expect("spec");
    for a in &all {
        for field in spec
            .fields
            .iter()
            .filter(|f| !f.system && f.key != "owner_id")
        {
            let texts: Vec<String> = match a.values.get(&field.key) {
                None => Vec::new(),
                Some(domain::fields::FieldValue::Choices(tags)) => tags.clone(),
                Some(v) => vec![app::records::plain_text(v)],
            };
            if let Err(e) = field.parse(&texts) {
                panic!("account {:?}: {} does not validate: {e}", a.name, field.key);
            }
        }
    }
    // An edit through the use case works.
    let target_row = mine.first().expect("the rep owns an account");
    let mut input = target_row.fields().to_input();
    input.description = Some("smoke test edit".into());
    let saved = account_fixture::update(&app, &rep, target_row.id, target_row.version, &input)
        .await
        .expect("the rep can edit a generated account");
    assert_eq!(saved.version, target_row.version + 1);

    // A two-character Chinese fragment of a generated name finds that account.
    let chinese = all
        .iter()
        .find(|a| a.name.chars().filter(|&c| cjk(c)).count() >= 6)
        .expect("a Chinese account name");
    let fragment: String = chinese.name.chars().filter(|&c| cjk(c)).take(2).collect();
    let found = list_all(
        &app,
        &admin,
        ListParams {
            q: Some(fragment.clone()),
            ..Default::default()
        },
    )
    .await;
    assert!(
        found.iter().any(|a| a.id == chinese.id),
        "searching {fragment:?} finds {:?}",
        chinese.name
    );
    assert!(found.iter().all(|a| a.name.contains(&fragment)));
    // An account's phone number finds it by its digits.
    let with_phone = all
        .iter()
        .find(|a| a.phone.is_some())
        .expect("an account with a phone number");
    let digits: String = with_phone
        .phone
        .iter()
        .flat_map(|p| p.chars())
        .filter(char::is_ascii_digit)
        .collect();
    let found = list_all(
        &app,
        &admin,
        ListParams {
            q: Some(digits[2..].to_string()),
            ..Default::default()
        },
    )
    .await;
    assert!(
        found.iter().any(|a| a.id == with_phone.id),
        "searching {digits:?} finds {:?}",
        with_phone.phone
    );
    // English names are there too.
    assert!(
        all.iter().any(|a| a.name.is_ascii()),
        "some accounts have English names"
    );

    // Contacts, leads, opportunities and activities come with the accounts; they read back
    // through the record engine, filter on the generated custom field, and a rep's scope
    // applies to them too.
    use domain::permissions::ObjectKind;
    let list_with = |actor: app::Actor, kind: ObjectKind, request: app::records::ListRequest| {
        let app = app.clone();
        async move {
            app::records::list(&app, &actor, kind, &request)
                .await
                .expect("list records")
                .records
        }
    };
    let list = |actor: app::Actor, kind: ObjectKind, filters: Vec<domain::views::FilterSpec>| {
        list_with(
            actor,
            kind,
            app::records::ListRequest {
                filters,
                limit: Some(200),
                ..Default::default()
            },
        )
    };
    for kind in [
        ObjectKind::Contact,
        ObjectKind::Lead,
        ObjectKind::Opportunity,
        ObjectKind::Activity,
    ] {
        assert!(
            !list(admin.clone(), kind, Vec::new()).await.is_empty(),
            "{kind:?} generated"
        );
    }
    let high = domain::views::FilterSpec {
        field: "budget_level".into(),
        op: "eq".into(),
        values: vec!["high".into()],
    };
    let highs = list(admin.clone(), ObjectKind::Contact, vec![high]).await;
    assert!(!highs.is_empty());
    assert!(highs.iter().all(|c| c.text("budget_level") == Some("high")));
    let rep_activities = list(rep.clone(), ObjectKind::Activity, Vec::new()).await;
    assert!(!rep_activities.is_empty() && rep_activities.iter().all(|r| r.owner_id == rep_id));

    // Generated contacts, leads and opportunities have search tokens: each is found by its
    // name (contacts), a fragment of its company (leads), or the word after the account's
    // name (opportunities), through the lists' quick search and the global search.
    let search = |kind: ObjectKind, q: String| {
        list_with(
            admin.clone(),
            kind,
            app::records::ListRequest {
                q: Some(q),
                limit: Some(200),
                ..Default::default()
            },
        )
    };
    let contact = &list(admin.clone(), ObjectKind::Contact, Vec::new()).await[0];
    let name = contact.name().to_string();
    assert!(
        search(ObjectKind::Contact, name.clone())
            .await
            .iter()
            .any(|r| r.id == contact.id),
        "contact {name:?} is found by its name"
    );
    // Their mobile numbers too, by any run of four or more digits however typed: the
    // generator's tokens are the ones the app writes.
    let mobile = contact
        .text("mobile")
        .expect("a generated mobile")
        .to_string();
    let digits: String = mobile.chars().filter(char::is_ascii_digit).collect();
    for q in [
        digits.clone(),
        format!("+{digits}"),
        digits[2..].to_string(),
        digits[5..11].to_string(),
    ] {
        assert!(
            search(ObjectKind::Contact, q.clone())
                .await
                .iter()
                .any(|r| r.id == contact.id),
            "contact with {mobile:?} is found by {q:?}"
        );
    }
    // And by the pinyin of their name, as the app indexes it.
    let name_chars: Vec<char> = name.chars().collect();
    let (full_pinyin, _) = domain::search::pinyin::spell(&name_chars).expect("readings");
    assert!(
        search(ObjectKind::Contact, full_pinyin.clone())
            .await
            .iter()
            .any(|r| r.id == contact.id),
        "contact {name:?} is found by {full_pinyin:?}"
    );
    let lead = list(admin.clone(), ObjectKind::Lead, Vec::new())
        .await
        .into_iter()
        .find(|r| {
            r.text("company")
                .is_some_and(|c| c.chars().filter(|&c| cjk(c)).count() >= 4)
        })
        .expect("a lead with a Chinese company name");
    let company: String = lead
        .text("company")
        .unwrap_or_default()
        .chars()
        .filter(|&c| cjk(c))
        .skip(2)
        .take(2)
        .collect();
    assert!(
        search(ObjectKind::Lead, company.clone())
            .await
            .iter()
            .any(|r| r.id == lead.id),
        "lead of {:?} is found by {company:?}",
        lead.text("company")
    );
    // From the third character of the first run of Chinese characters of the company's name
    // without its legal form: pinyin windows end where the run does.
    let stripped = domain::search::strip_legal_suffix(lead.text("company").unwrap_or_default());
    let run: Vec<char> = stripped
        .chars()
        .skip_while(|&c| !cjk(c))
        .take_while(|&c| cjk(c))
        .collect();
    let company_chars = &run[2.min(run.len().saturating_sub(1))..];
    let (company_pinyin, _) = domain::search::pinyin::spell(company_chars).expect("readings");
    assert!(
        search(ObjectKind::Lead, company_pinyin.clone())
            .await
            .iter()
            .any(|r| r.id == lead.id),
        "lead of {:?} is found by {company_pinyin:?}",
        lead.text("company")
    );
    let opportunity = &list(admin.clone(), ObjectKind::Opportunity, Vec::new()).await[0];
    let word = opportunity
        .name()
        .rsplit(" · ")
        .next()
        .unwrap_or_default()
        .to_string();
    let found = search(ObjectKind::Opportunity, word.clone()).await;
    assert!(
        found.iter().any(|r| r.id == opportunity.id),
        "opportunity {:?} is found by {word:?}",
        opportunity.name()
    );
    assert!(found.iter().all(|r| r.name().contains(&word)));
    let groups = app::search::global(&app, &admin, &name, Some(20))
        .await
        .expect("global search");
    assert!(
        groups
            .iter()
            .any(|g| g.kind == ObjectKind::Contact && !g.page.records.is_empty()),
        "the global search for {name:?} lists contacts"
    );

    let names = all.iter().map(|a| a.name.clone()).collect();
    app.db.close().await;
    names
}

async fn scenario(first: Target, second: Target) {
    let (ok, out) = first.generate(&[]);
    assert!(ok, "meridian gen failed: {out}");
    let names = check(&first, &out).await;

    // The benchmark runs on it and deletes the accounts it created.
    let (ok, out) = first.bench();
    assert!(ok, "meridian bench failed: {out}");
    for row in [
        "| rep | list: first page |",
        "| manager | quick search |",
        "| admin | global search |",
        "| admin | create |",
        "| rep | my day |",
    ] {
        assert!(out.contains(row), "{row} missing from the report: {out}");
    }
    assert!(out.contains("accounts the use cases created"), "{out}");
    let (ok, out) = first.run("bench", &["--only", "no such operation"]);
    assert!(!ok, "an --only that names nothing is refused: {out}");
    assert!(out.contains("matches no operation"), "{out}");
    {
        let app = first.open().await;
        let admin = actor_for_email(&app, ADMIN).await;
        let after = list_all(&app, &admin, ListParams::default()).await;
        app.db.close().await;
        assert_eq!(
            after.len(),
            ACCOUNTS,
            "the benchmark leaves the accounts as it found them"
        );
    }

    // A database with a company is refused unless asked for explicitly.
    let (ok, out) = first.generate(&[]);
    assert!(!ok, "a second company needs --force-new-company: {out}");
    assert!(out.contains("--force-new-company"), "{out}");

    // The same seed gives the same data.
    let (ok, out) = second.generate(&[]);
    assert!(ok, "meridian gen failed: {out}");
    let again = {
        let app = second.open().await;
        let admin = actor_for_email(&app, ADMIN).await;
        let rows = list_all(&app, &admin, ListParams::default()).await;
        app.db.close().await;
        rows.into_iter().map(|a| a.name).collect::<Vec<_>>()
    };
    assert_eq!(names, again, "same seed, same accounts");

    first.drop_it().await;
    second.drop_it().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generates_a_small_company_on_sqlite() {
    scenario(Target::sqlite("a"), Target::sqlite("b")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generates_a_small_company_on_postgres() {
    let Some(admin_url) = std::env::var("MERIDIAN_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but MERIDIAN_TEST_POSTGRES_URL is not set"
        );
        eprintln!("SKIPPED on PostgreSQL: set MERIDIAN_TEST_POSTGRES_URL to run it");
        return;
    };
    let first = Target::postgres(&admin_url, "a").await;
    let second = Target::postgres(&admin_url, "b").await;
    scenario(first, second).await;
}
