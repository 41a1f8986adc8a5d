//! `meridian`: the one binary. Serves the web app and API, and administers the installation.

use anyhow::{bail, Context, Result};
use app::App;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use store::Db;

mod bench;
mod bench_export;
mod bench_import;
mod bench_jobs;
mod bench_pools;
mod gen;
mod page_bytes;
mod server;
mod worker;

#[derive(Parser)]
#[command(name = "meridian", version, about = "Meridian: a lead-to-cash CRM")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct DbArgs {
    /// Folder for the embedded SQLite database (ignored with --database-url).
    #[arg(
        long,
        env = "MERIDIAN_DATA_DIR",
        default_value = "./data",
        global = true
    )]
    data_dir: PathBuf,
    /// `postgres://…` to run on PostgreSQL (or `sqlite://FILE`).
    #[arg(long, env = "MERIDIAN_DATABASE_URL", global = true)]
    database_url: Option<String>,
}

impl DbArgs {
    async fn open(&self) -> Result<Db> {
        let db = match &self.database_url {
            Some(url) => Db::open_url(url).await.context("opening the database")?,
            None => Db::open_sqlite_dir(&self.data_dir).await.with_context(|| {
                format!("opening the SQLite database in {}", self.data_dir.display())
            })?,
        };
        db.migrate().await.context("applying database migrations")?;
        Ok(db)
    }
}

/// Notification e-mail: the server to send through and where mails link to.
#[derive(Args, Clone)]
struct MailArgs {
    /// SMTP server for every company, instead of the one set on the admin e-mail page:
    /// `smtp://user:pass@host:587` (STARTTLS), `smtps://user:pass@host:465` (TLS),
    /// `smtp://host:25?tls=none` (plain local relay); `&from=addr` sets the From address.
    #[arg(long, env = "MERIDIAN_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The address users reach this server at, e.g. `https://crm.example.com`: mails link
    /// to records under it.
    #[arg(long, env = "MERIDIAN_PUBLIC_URL")]
    public_url: Option<String>,
}

impl MailArgs {
    fn options(&self) -> Result<app::mail::MailOptions> {
        let smtp_url = match self.smtp_url.as_deref().filter(|u| !u.trim().is_empty()) {
            None => None,
            // The reason only: the URL may hold a password.
            Some(url) => Some(
                app::mail::SmtpServer::from_url(url.trim())
                    .map_err(|reason| anyhow::anyhow!("--smtp-url: {reason}"))?,
            ),
        };
        let public_url = match self.public_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                Some(url.trim_end_matches('/').to_string())
            }
            Some(url) => bail!("--public-url must start with http:// or https://, not {url:?}"),
        };
        Ok(app::mail::MailOptions {
            smtp_url,
            public_url,
        })
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the web application and API.
    Serve {
        #[command(flatten)]
        db: DbArgs,
        /// Address to listen on.
        #[arg(long, env = "MERIDIAN_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Mark cookies Secure (when served over HTTPS through a proxy).
        #[arg(long, env = "MERIDIAN_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Log format: text or json.
        #[arg(long, env = "MERIDIAN_LOG_FORMAT", default_value = "text")]
        log_format: String,
        #[command(flatten)]
        limits: server::Limits,
        /// Run no job worker in this process (when `meridian worker` runs them apart).
        #[arg(long, env = "MERIDIAN_NO_WORKER")]
        no_worker: bool,
        #[command(flatten)]
        mail: MailArgs,
        /// For acceptance tests only: a file holding a number of seconds by which this
        /// server's clock (and its scheduler's) runs ahead of real time; re-read as it changes.
        #[arg(long, env = "MERIDIAN_CLOCK_OFFSET_FILE", hide = true)]
        clock_offset_file: Option<PathBuf>,
    },
    /// Run the background job worker alone (no web server), beside `serve --no-worker`.
    Worker {
        #[command(flatten)]
        db: DbArgs,
        /// Log format: text or json.
        #[arg(long, env = "MERIDIAN_LOG_FORMAT", default_value = "text")]
        log_format: String,
        #[command(flatten)]
        mail: MailArgs,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Administer users and API tokens.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Write a consistent copy of the SQLite database while Meridian runs.
    Backup {
        #[command(flatten)]
        db: DbArgs,
        /// The file to write (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Fill the database with a generated company and its accounts (benchmarks, demos).
    Gen {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        args: gen::GenArgs,
    },
    /// Measure the hot paths (list, record page, search, create, update; HTTP with wrk) on a
    /// generated database.
    Bench {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        args: bench::BenchArgs,
    },
    /// Print the OpenAPI document of the API (standard fields only), as `/api/v1/openapi.json`
    /// serves it to a caller without custom fields.
    Openapi,
    /// Measure how many background jobs per second the queue runs on this database.
    BenchJobs {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        args: bench_jobs::BenchJobsArgs,
    },
    /// Measure how many rows per second an import of a generated lead CSV runs.
    BenchImport {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        args: bench_import::BenchImportArgs,
    },
    /// Measure an export of the leads to XLSX and CSV: rows per second and peak memory.
    BenchExport {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        args: bench_export::BenchExportArgs,
    },
    /// Measure public pools on generated data: a recycling run over held leads (and the
    /// lists' latency beside it), the pool's list and claims.
    BenchPools {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        args: bench_pools::BenchPoolsArgs,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; creates the company (with this user as administrator) when none exists.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long)]
        name: Option<String>,
        /// Role key (administrator, sales_director, sales_manager, sales_rep) or name.
        #[arg(long)]
        role: Option<String>,
        /// Main department by name (created at the top level when missing).
        #[arg(long)]
        department: Option<String>,
        /// The company's name: created when no company exists; chooses one when several do.
        #[arg(long)]
        company: Option<String>,
    },
    /// Set a new password for a user (and end their sessions).
    ResetPassword {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token with the user's permissions and print it.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    // Colours only on a terminal: a log redirected to a file gets no escape codes.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()));
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            db,
            listen,
            secure_cookies,
            log_format,
            limits,
            no_worker,
            mail,
            clock_offset_file,
        } => {
            init_logging(&log_format);
            let mail = mail.options()?;
            let clock: Arc<dyn app::clock::Clock> = match clock_offset_file {
                Some(path) => {
                    tracing::warn!(path = %path.display(), "the clock runs ahead by the offset file (tests only)");
                    Arc::new(app::clock::OffsetFileClock::new(path))
                }
                None => Arc::new(app::clock::SystemClock),
            };
            let options = ServeOptions {
                secure_cookies,
                with_worker: !no_worker,
                mail,
                clock,
            };
            serve(db, listen, &limits, options).await
        }
        Command::Worker {
            db,
            log_format,
            mail,
        } => {
            init_logging(&log_format);
            let mail = mail.options()?;
            let database = db.open().await?;
            let shutdown = worker::on_signal();
            println!("Meridian job worker running");
            worker::spawn(&App::new(database.clone()).with_mail(mail), shutdown)
                .await
                .context("the job worker stopped abnormally")?;
            database.close().await;
            Ok(())
        }
        Command::Migrate { db } => {
            let database = db.open().await?;
            println!("migrations applied");
            let rebuilt =
                store::reindex::rebuild_tokens(&database, app::Clock::now(&app::SystemClock))
                    .await
                    .context("rebuilding search tokens")?;
            if rebuilt > 0 {
                println!("search tokens rebuilt for {rebuilt} records");
            }
            database.close().await;
            Ok(())
        }
        Command::Admin { command, db } => admin(command, db).await,
        Command::Backup { db, out } => {
            let database = db.open().await?;
            if database.backend() == store::Backend::Postgres {
                bail!("for PostgreSQL use pg_dump, e.g. `pg_dump --format=custom --file=meridian.dump \"$MERIDIAN_DATABASE_URL\"`");
            }
            database
                .backup_sqlite(&out)
                .await
                .context("writing the backup")?;
            println!("backup written to {}", out.display());
            Ok(())
        }
        Command::Gen { db, args } => {
            let database = db.open().await?;
            store::reindex::rebuild_tokens(&database, app::Clock::now(&app::SystemClock))
                .await
                .context("rebuilding search tokens")?;
            let summary = gen::run(&database, &args).await?;
            gen::print_summary(&summary, &args);
            database.close().await;
            Ok(())
        }
        Command::BenchJobs { db, args } => {
            let database = db.open().await?;
            let open = || -> app::jobs::BoxFuture<'static, Result<App>> {
                let db = db.clone();
                Box::pin(async move { Ok(App::new(db.open().await?)) })
            };
            bench_jobs::run(&App::new(database.clone()), open, &args).await?;
            database.close().await;
            Ok(())
        }
        Command::BenchImport { db, args } => {
            let database = db.open().await?;
            bench_import::run(&App::new(database.clone()), &args).await?;
            database.close().await;
            Ok(())
        }
        Command::BenchExport { db, args } => {
            let database = db.open().await?;
            bench_export::run(&App::new(database.clone()), &args).await?;
            database.close().await;
            Ok(())
        }
        Command::BenchPools { db, args } => {
            let database = db.open().await?;
            bench_pools::run(&App::new(database.clone()), &args).await?;
            database.close().await;
            Ok(())
        }
        Command::Bench { db, args } => {
            let database = db.open().await?;
            bench::run(&App::new(database.clone()), &args).await?;
            database.close().await;
            Ok(())
        }
        Command::Openapi => {
            println!("{}", web::api::openapi::json());
            Ok(())
        }
    }
}

/// How `serve` runs beside its address and limits.
struct ServeOptions {
    secure_cookies: bool,
    with_worker: bool,
    mail: app::mail::MailOptions,
    clock: Arc<dyn app::clock::Clock>,
}

async fn serve(
    db: DbArgs,
    listen: SocketAddr,
    limits: &server::Limits,
    options: ServeOptions,
) -> Result<()> {
    let ServeOptions {
        secure_cookies,
        with_worker,
        mail,
        clock,
    } = options;
    let started = std::time::Instant::now();
    let database = db.open().await?;
    let app = App::with_clock(database.clone(), clock).with_mail(mail);
    let state = web::AppState::new(app.clone(), secure_cookies);
    let router = web::router(state);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    tracing::info!(%listen, ready_ms = started.elapsed().as_millis() as u64, "Meridian is ready");
    println!("Meridian is listening on http://{listen}");
    let shutdown = worker::on_signal();
    let jobs = with_worker.then(|| worker::spawn(&app, shutdown.clone()));
    // Re-indexing after an upgrade is a job per company, enqueued once whichever server
    // starts first; the worker (of this or another server) runs it while the server answers.
    match app::housekeeping::enqueue_token_rebuilds(&app).await {
        Ok(0) => {}
        Ok(companies) => tracing::info!(companies, "search-token rebuild enqueued"),
        Err(e) => {
            tracing::error!(error = %e, "enqueuing the search-token rebuild failed; it is tried again at the next start")
        }
    }
    server::serve(listener, router, limits, worker::stopped(shutdown))
        .await
        .context("serving HTTP")?;
    if let Some(jobs) = jobs {
        // Finishes or releases the job it runs.
        if let Err(e) = jobs.await {
            tracing::warn!(error = %e, "the job worker stopped abnormally");
        }
    }
    database.close().await;
    tracing::info!("Meridian stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => tracing::error!(error = %e, "cannot listen for SIGTERM"),
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

fn app_error(e: app::AppError) -> anyhow::Error {
    match e {
        app::AppError::Validation(fields) => {
            let list: Vec<String> = fields
                .0
                .iter()
                .map(|f| format!("{}: {}", f.field, f.code))
                .collect();
            anyhow::anyhow!("invalid input: {}", list.join(", "))
        }
        other => anyhow::anyhow!("{other}"),
    }
}

async fn admin(command: AdminCommand, db: DbArgs) -> Result<()> {
    let database = db.open().await?;
    let app = App::new(database);
    match command {
        AdminCommand::User {
            command:
                UserCommand::Create {
                    email,
                    password,
                    name,
                    role,
                    department,
                    company,
                },
        } => {
            let name =
                name.unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_string());
            let tenant = {
                let mut tx = app.db.begin_read().await?;
                match &company {
                    Some(c) => store::tenants::find_by_name(&mut tx, c).await?,
                    None => store::tenants::only(&mut tx).await?,
                }
            };
            let Some(tenant) = tenant else {
                let any = !app::auth::needs_setup(&app).await.map_err(app_error)?;
                if any && company.is_none() {
                    bail!("several companies exist; name one with --company");
                }
                let company = company.unwrap_or_else(|| "Meridian".into());
                let created = app::auth::create_company(
                    &app,
                    app::auth::SetupInput {
                        company: company.clone(),
                        admin_name: name,
                        email: email.clone(),
                        password,
                        locale: "zh-CN".into(),
                    },
                    false,
                )
                .await
                .map_err(app_error)?;
                println!(
                    "created company {company} ({}) with administrator {email} ({})",
                    created.tenant_id, created.user_id
                );
                return Ok(());
            };
            let mut tx = app.db.begin().await?;
            let role_key = role.unwrap_or_else(|| "sales_rep".into());
            let role = store::org::find_role(&mut tx, tenant.id, &role_key)
                .await?
                .with_context(|| format!("no role named {role_key}"))?;
            let department_id = match department {
                None => None,
                Some(d) => {
                    let existing = store::org::list_departments(&mut tx, tenant.id)
                        .await?
                        .into_iter()
                        .find(|x| x.name == d);
                    match existing {
                        Some(x) => Some(x.id),
                        None => {
                            let id = uuid::Uuid::now_v7();
                            store::org::insert_department(
                                &mut tx,
                                tenant.id,
                                id,
                                None,
                                &d,
                                &domain::org::child_path(None, id),
                                app.now(),
                            )
                            .await?;
                            Some(id)
                        }
                    }
                }
            };
            tx.commit().await?;
            let input = app::org::UserInput {
                email: email.clone(),
                name,
                password: Some(password),
                role_id: Some(role.id),
                department_id,
                manager_id: None,
                active: true,
                locale: None,
            };
            let id = app::org::create_user_unchecked(&app, tenant.id, None, input)
                .await
                .map_err(app_error)?;
            println!(
                "created user {email} ({id}) in {} with role {}",
                tenant.name, role.name
            );
        }
        AdminCommand::User {
            command: UserCommand::ResetPassword { email, password },
        } => {
            let email = domain::validation::normalize_email(&email);
            let mut tx = app.db.begin_read().await?;
            let user = store::org::find_login(&mut tx, &email)
                .await?
                .with_context(|| format!("no user {email}"))?;
            drop(tx);
            app::auth::reset_password(&app, user.tenant_id, user.id, &password)
                .await
                .map_err(app_error)?;
            println!("password reset for {email}");
        }
        AdminCommand::Token {
            command: TokenCommand::Create { email, name },
        } => {
            let email = domain::validation::normalize_email(&email);
            let mut tx = app.db.begin_read().await?;
            let user = store::org::find_login(&mut tx, &email)
                .await?
                .with_context(|| format!("no user {email}"))?;
            drop(tx);
            let (_, token) = app::auth::create_token(&app, user.tenant_id, user.id, &name)
                .await
                .map_err(app_error)?;
            println!("{token}");
        }
    }
    Ok(())
}
