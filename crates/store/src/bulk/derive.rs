//! The records around the generated accounts, made set-based in the database itself.

use super::{begin_load, DERIVE_CHUNK};
use crate::{Backend, Db, Result};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// The SQL spellings that differ between the two databases, for set-based generation.
struct Dialect {
    least: &'static str,
    json_object: &'static str,
}

impl Dialect {
    fn of(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => Dialect {
                least: "min",
                json_object: "json_object",
            },
            Backend::Postgres => Dialect {
                least: "least",
                json_object: "jsonb_build_object",
            },
        }
    }

    /// The id of a record derived from account `account` (an expression): the account id's
    /// first 13 bytes (its time and version bits) and 3 bytes of `part` (which record of the
    /// account, below 2^24). Records are written in account-id order, so each table's
    /// primary key grows at its end instead of taking random inserts.
    fn derived_id(backend: Backend, account: &str, part: &str) -> String {
        match backend {
            Backend::Sqlite => format!(
                "unhex(hex(substr({account}, 1, 13)) || printf('%06x', {part}))"
            ),
            Backend::Postgres => format!(
                "(left(encode(uuid_send({account}), 'hex'), 26) || lpad(to_hex({part}), 6, '0'))::uuid"
            ),
        }
    }

    /// `t` plus a number of days and hours (integer SQL expressions), as a timestamp. On
    /// SQLite in the text the application writes (RFC 3339 with `+00:00`, milliseconds only
    /// when there are some): keyset paging compares the stored text, so an instant must have
    /// one spelling.
    fn plus(backend: Backend, t: &str, days: &str, hours: &str) -> String {
        match backend {
            Backend::Sqlite => format!(
                "replace(strftime('%Y-%m-%dT%H:%M:%f+00:00', {t}, '+' || ({days}) || ' days', '+' || ({hours}) || ' hours'), '.000+', '+')"
            ),
            Backend::Postgres => {
                format!("({t} + make_interval(days => ({days})::int, hours => ({hours})::int))")
            }
        }
    }

    /// Whole days from timestamp `t` to the bound anchor `$2`, at least 1.
    fn days_to_anchor(backend: Backend, t: &str) -> String {
        match backend {
            Backend::Sqlite => format!("max(1, CAST(julianday($2) - julianday({t}) AS INTEGER))"),
            Backend::Postgres => format!("greatest(1, EXTRACT(DAY FROM ($2 - {t}))::int)"),
        }
    }

    /// `account_search` read by account. SQLite is told which index: without statistics it
    /// prefers the covering primary key on `tenant_id` alone, and scans every token per account.
    fn tokens_by_account(backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => "account_search t INDEXED BY account_search_account",
            Backend::Postgres => "account_search t",
        }
    }

    /// The `YYYY-MM-DD` day of a timestamp expression.
    fn day(backend: Backend, t: &str) -> String {
        match backend {
            Backend::Sqlite => format!("substr({t}, 1, 10)"),
            Backend::Postgres => format!("to_char({t} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"),
        }
    }
}

/// What [`derive_related`] made.
#[derive(Debug, Default, Clone)]
pub struct Related {
    pub contacts: i64,
    pub leads: i64,
    pub opportunities: i64,
    pub activities: i64,
    /// Search-token rows written for them.
    pub search_tokens: i64,
    /// Seconds spent on each kind of statement, over all chunks.
    pub seconds: Vec<(&'static str, f64)>,
}

const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗";
const GIVEN: &str = "伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞";
/// The words an opportunity's name ends with, after "account name · ".
const DEAL_WORDS: [&str; 4] = ["系统升级", "年度采购", "新建项目", "扩容"];

/// Every text the generator writes into a person's name or after an opportunity's account
/// name: the surname and one or two given names, and the deal words.
fn generated_words() -> Vec<String> {
    let surnames: Vec<char> = SURNAMES.chars().collect();
    let given: Vec<char> = GIVEN.chars().collect();
    let mut words: Vec<String> = DEAL_WORDS.iter().map(|w| w.to_string()).collect();
    for &s in &surnames {
        for &g in &given {
            words.push(format!("{s}{g}"));
            for &h in &given {
                words.push(format!("{s}{g}{h}"));
            }
        }
    }
    words
}

/// Rows of `gen_word_tokens` per insert statement (two parameters each).
const WORD_TOKEN_ROWS: usize = 2_000;

/// Fills the loader connection's temporary `gen_word_tokens (word, token)` with the search
/// tokens of every [`generated_words`] as `domain::search::index_tokens` computes them
/// (bigrams and pinyin windows), so that the set-based statements join them instead of
/// spelling the tokens in SQL.
async fn load_word_tokens(tx: &mut crate::Tx) -> Result<()> {
    on_conn!(tx, c => {
        sqlx::query("CREATE TEMP TABLE gen_word_tokens (word TEXT NOT NULL, token TEXT NOT NULL)")
            .execute(&mut *c).await?;
    });
    let rows: Vec<(String, String)> = generated_words()
        .into_iter()
        .flat_map(|word| {
            domain::search::index_tokens(&word)
                .into_iter()
                .map(move |token| (word.clone(), token))
        })
        .collect();
    for chunk in rows.chunks(WORD_TOKEN_ROWS) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
            .collect();
        let sql = format!(
            "INSERT INTO gen_word_tokens (word, token) VALUES {}",
            values.join(", ")
        );
        on_conn!(tx, c => {
            let mut q = sqlx::query(&sql);
            for (word, token) in chunk {
                q = q.bind(word).bind(token);
            }
            q.execute(&mut *c).await?;
        });
    }
    on_conn!(tx, c => {
        sqlx::query("CREATE INDEX gen_word_tokens_word ON gen_word_tokens (word)")
            .execute(&mut *c).await?;
    });
    Ok(())
}

/// Makes the records around the generated accounts in the database itself, set-based:
/// 1–2 contacts per account (with a custom `budget_level` picklist value), one lead per
/// account, an opportunity for three accounts in five, and five activities per account over
/// its life; then the accounts' "last contacted" dates. Values are spread by a hash of the
/// account's position, so a seed's data is the same on every run. Timestamps stop at
/// `anchor`. Then the search tokens of the contacts, leads and opportunities.
///
/// The accounts' search tokens must be indexed by account (`account_search_account`); the
/// other secondary indexes of the tables written are best dropped before
/// ([`drop_secondary_indexes`](super::drop_secondary_indexes)) and built after.
///
/// It works in chunks of [`DERIVE_CHUNK`] accounts, each its own transaction: on SQLite one
/// transaction over millions of rows grows the WAL to several times the database, and every
/// page read then searches that WAL (the load slowed to a crawl). `loader` is the
/// one-connection handle of [`loader`](super::loader), which keeps the numbering table of
/// the accounts.
pub async fn derive_related(
    loader: &Db,
    tenant_id: Uuid,
    anchor: DateTime<Utc>,
) -> Result<Related> {
    let backend = loader.backend();
    let d = Dialect::of(backend);
    let (least, json_object) = (d.least, d.json_object);
    let id = |part: &str| Dialect::derived_id(backend, "base.id", part);
    // Accounts numbered in id order (`gen_base`, a temporary table of the loader's one
    // connection); `h(k)` a deterministic spread of that number. Each statement takes the
    // accounts numbered in ($3, $4].
    let number_accounts = "CREATE TEMP TABLE gen_base AS SELECT a.id, a.name, a.phone, a.province, a.city, a.owner_id, a.created_at,
        row_number() OVER (ORDER BY a.id) AS n FROM accounts a WHERE a.tenant_id = $1";
    let chunk = "base.n > $3 AND base.n <= $4";
    let h = |salt: u32| format!("((base.n * 2654435761 + {salt} * 40503) % 1000003)");
    let series = "(SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4)";
    let at = |days: &str, hours: &str| {
        format!(
            "{least}({}, $2)",
            Dialect::plus(backend, "base.created_at", days, hours)
        )
    };
    // A Chinese name; `extra` varies it between records of one account.
    let person = |salt: u32, extra: &str| {
        let v = |k: u32| format!("({} + {extra})", h(salt + k));
        format!(
            "substr('{SURNAMES}', CAST(1 + {} % 20 AS INTEGER), 1) || substr('{GIVEN}', CAST(1 + {} % 30 AS INTEGER), 1) || CASE WHEN {} % 3 = 0 THEN '' ELSE substr('{GIVEN}', CAST(1 + {} % 30 AS INTEGER), 1) END",
            v(0), v(1), v(2), v(3)
        )
    };
    let contact_created = at(
        &format!("{} % 30 + s.k * 40", h(5)),
        &format!("{} % 9", h(6)),
    );
    let contacts = format!(
        "INSERT INTO contacts (tenant_id, id, name, account_id, title, customer_role, mobile, custom, owner_id, created_at, created_by, updated_at, updated_by, version)
         SELECT $1, {id}, {name}, base.id,
            CASE {t} % 6 WHEN 0 THEN '总经理' WHEN 1 THEN '采购经理' WHEN 2 THEN '技术总监' WHEN 3 THEN 'IT 主管' WHEN 4 THEN '财务经理' ELSE '项目经理' END,
            CASE {t} % 7 WHEN 0 THEN 'decision_maker' WHEN 1 THEN 'influencer' WHEN 2 THEN 'evaluator' WHEN 3 THEN 'user' WHEN 4 THEN 'gatekeeper' WHEN 5 THEN 'champion' ELSE NULL END,
            '+86 13' || ({t} % 10) || ' ' || (1000 + {m} % 9000) || ' ' || (1000 + ({m} / 9000) % 9000),
            {json_object}('budget_level', CASE {b} % 3 WHEN 0 THEN 'high' WHEN 1 THEN 'mid' ELSE 'low' END),
            base.owner_id, {created}, base.owner_id, {created}, base.owner_id, 1
         FROM gen_base base JOIN {series} s ON s.k < 1 + {c} % 2 WHERE {chunk}",
        name = person(10, "s.k * 7"),
        id = id("16 + s.k"),
        t = h(20),
        m = h(21),
        b = h(22),
        c = h(23),
        created = contact_created,
    );
    let lead_created = at(&format!("{} % 60", h(30)), &format!("{} % 9", h(31)));
    let leads = format!(
        "INSERT INTO leads (tenant_id, id, name, company, title, mobile, province, city, source, status, intent, next_follow_up_at, custom, owner_id, created_at, created_by, updated_at, updated_by, version)
         SELECT $1, {id}, {name}, base.name, CASE {t} % 3 WHEN 0 THEN '总经理' WHEN 1 THEN '采购经理' ELSE '技术总监' END,
            '+86 15' || ({t} % 10) || ' ' || (1000 + {m} % 9000) || ' ' || (1000 + ({m} / 9000) % 9000),
            base.province, base.city,
            CASE {t} % 9 WHEN 0 THEN 'web' WHEN 1 THEN 'phone' WHEN 2 THEN 'email' WHEN 3 THEN 'visit' WHEN 4 THEN 'event' WHEN 5 THEN 'referral' WHEN 6 THEN 'advertising' WHEN 7 THEN 'import' ELSE 'api' END,
            CASE {s} % 10 WHEN 0 THEN 'new' WHEN 1 THEN 'new' WHEN 2 THEN 'contacted' WHEN 3 THEN 'contacted' WHEN 4 THEN 'qualified' WHEN 5 THEN 'disqualified' ELSE 'converted' END,
            CASE {s} % 4 WHEN 0 THEN 'H' WHEN 1 THEN 'A' WHEN 2 THEN 'B' ELSE 'C' END,
            CASE WHEN {s} % 10 < 5 THEN {next} END,
            '{{}}', base.owner_id, {created}, base.owner_id, {created}, base.owner_id, 1
         FROM gen_base base WHERE {chunk}",
        // Open leads are due their follow-up the intent's default deadline after creation.
        next = Dialect::plus(
            backend,
            &lead_created,
            &format!("CASE {} % 4 WHEN 0 THEN 5 WHEN 1 THEN 15 WHEN 2 THEN 30 ELSE 60 END", h(43)),
            "0"
        ),
        name = person(40, "0"),
        id = id("32"),
        t = h(41),
        m = h(42),
        s = h(43),
        created = lead_created,
    );
    let opp_created = at(&format!("{} % 90", h(50)), &format!("{} % 9", h(51)));
    let close = Dialect::day(
        backend,
        &Dialect::plus(backend, &opp_created, &format!("{} % 180", h(52)), "0"),
    );
    let opportunities = format!(
        "INSERT INTO opportunities (tenant_id, id, name, account_id, amount_minor, currency, expected_close, stage, status, win_rate, source, closed_on, custom, owner_id, created_at, created_by, updated_at, updated_by, version)
         SELECT $1, {id}, base.name || ' · ' || CASE {t} % 4 WHEN 0 THEN '{w0}' WHEN 1 THEN '{w1}' WHEN 2 THEN '{w2}' ELSE '{w3}' END,
            base.id, ({a} % 500 + 1) * 1000000, 'CNY', {close},
            CASE {s} % 6 WHEN 0 THEN 'initial' WHEN 1 THEN 'needs' WHEN 2 THEN 'proposal' WHEN 3 THEN 'negotiation' WHEN 4 THEN 'won' ELSE 'lost' END,
            CASE {s} % 6 WHEN 4 THEN 'won' WHEN 5 THEN 'lost' ELSE 'open' END,
            CASE {s} % 6 WHEN 0 THEN 10 WHEN 1 THEN 30 WHEN 2 THEN 50 WHEN 3 THEN 70 WHEN 4 THEN 100 ELSE 0 END,
            CASE {t} % 5 WHEN 0 THEN 'web' WHEN 1 THEN 'referral' WHEN 2 THEN 'event' WHEN 3 THEN 'visit' ELSE 'phone' END,
            CASE WHEN {s} % 6 >= 4 THEN {close} ELSE NULL END,
            '{{}}', base.owner_id, {created}, base.owner_id, {created}, base.owner_id, 1
         FROM gen_base base WHERE {p} % 5 < 3 AND {chunk}",
        t = h(53),
        a = h(54),
        s = h(55),
        p = h(56),
        id = id("48"),
        created = opp_created,
        w0 = DEAL_WORDS[0],
        w1 = DEAL_WORDS[1],
        w2 = DEAL_WORDS[2],
        w3 = DEAL_WORDS[3],
    );
    // Spread over the account's life so far.
    let span = Dialect::days_to_anchor(backend, "base.created_at");
    let starts = at(
        &format!("({} + s.k * 7919) % {span}", h(60)),
        &format!("({} + s.k) % 10", h(61)),
    );
    let kind = format!("CASE ({} + s.k * 3) % 10 WHEN 0 THEN 'call' WHEN 1 THEN 'call' WHEN 2 THEN 'call' WHEN 3 THEN 'visit' WHEN 4 THEN 'visit' WHEN 5 THEN 'meeting' WHEN 6 THEN 'note' WHEN 7 THEN 'note' ELSE 'task' END", h(62));
    // The activities of a chunk, before they are written; "last contacted" is computed from
    // the same rows. $5: thirty days before the anchor (later tasks are still open).
    let activity_rows = format!(
        "SELECT base.id, {derived_id} AS derived_id, base.name, base.owner_id, {kind} AS kind, {starts} AS starts,
            CASE ({label}) % 4 WHEN 0 THEN '跟进' WHEN 1 THEN '需求沟通' WHEN 2 THEN '方案讲解' ELSE '回访' END AS label
         FROM gen_base base CROSS JOIN {series} s WHERE {chunk}",
        derived_id = id("64 + s.k"),
        label = h(63),
    );
    let activities = format!(
        "INSERT INTO activities (tenant_id, id, kind, name, account_id, starts_at, due_at, status, completed_at, custom, owner_id, created_at, created_by, updated_at, updated_by, version)
         SELECT $1, x.derived_id, x.kind, x.label || ' · ' || x.name, x.id, x.starts, CASE WHEN x.kind = 'task' THEN x.starts ELSE NULL END,
            CASE WHEN x.kind = 'task' AND x.starts >= $5 THEN 'open' ELSE 'done' END,
            CASE WHEN x.kind = 'task' AND x.starts >= $5 THEN NULL ELSE x.starts END,
            '{{}}', x.owner_id, x.starts, x.owner_id, x.starts, x.owner_id, 1
         FROM ({activity_rows}) x"
    );
    // Calls, visits and meetings are always done; the latest is the account's last contact.
    // From the generated rows, not by reading `activities` back (it has no indexes yet).
    let last_contacted = format!(
        "UPDATE accounts SET last_contacted_at = x.last
         FROM (SELECT r.id AS account_id, max(r.starts) AS last FROM ({activity_rows}) r
               WHERE r.kind IN ('call', 'visit', 'meeting') GROUP BY r.id) x
         WHERE accounts.tenant_id = $1 AND accounts.id = x.account_id"
    );
    let recent = anchor - chrono::Duration::days(30);
    // Search tokens, as `app::records` writes them for records made in the app: the tokens
    // of each person's name (bigrams and pinyin windows, from `gen_word_tokens`); for leads
    // also the company's tokens, for opportunities the account's tokens (their names start
    // with it) and the tokens of the word after it. The
    // account's tokens come from `account_search` (indexed by account before this runs).
    // Contacts' and leads' mobile numbers (`+86 1xx xxxx xxxx`) by their digit grams: every
    // run of four of the national number `1xxxxxxxxxx`, as `domain::search::phone_tokens`
    // gives. Not generated: the legal-form bigrams an
    // opportunity's name carries in its middle. $2, $3: the chunk.
    let token_chunk = "base.n > $2 AND base.n <= $3";
    // Joins written as CROSS JOINs with the conditions in WHERE: SQLite then keeps the order
    // written (the chunk's accounts first, then primary-key or index lookups).
    // The tokens of a generated person's name or deal word, from `gen_word_tokens`.
    let word_tokens = |table: &str, derived: &str, text: &str, join: &str| {
        format!(
            "SELECT w.token AS token, r.id AS record_id
             FROM gen_base base {join} CROSS JOIN {table} r CROSS JOIN gen_word_tokens w
             WHERE {token_chunk} AND r.tenant_id = $1 AND r.id = {derived} AND w.word = {text}"
        )
    };
    let digits = "substr(replace(replace(r.mobile, '+', ''), ' ', ''), 3)";
    let digit_series = "(SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)";
    let mobile_grams = |table: &str, derived: &str, join: &str| {
        format!(
            "SELECT substr({digits}, p.k + 1, {gram}) AS token, r.id AS record_id
             FROM gen_base base {join} CROSS JOIN {table} r CROSS JOIN {digit_series} p
             WHERE {token_chunk} AND r.tenant_id = $1 AND r.id = {derived} AND p.k <= length({digits}) - {gram}",
            gram = domain::search::DIGIT_GRAM,
        )
    };
    // The tokens of the account's name (a lead's company, the start of an opportunity's
    // name), without its phone number's grams: those are the only tokens made of digits that
    // occur in the phone number's digits or its national form with the trunk prefix
    // (`861026814664`, `01026814664`; generated names have no digits). `join` adds a table and
    // `join_on` its conditions.
    let account_tokens = |record: &str, join: &str, join_on: &str| {
        format!(
            "SELECT t.token AS token, {record} AS record_id
             FROM gen_base base {join} CROSS JOIN {tokens}
             WHERE {token_chunk} {join_on} AND t.tenant_id = $1 AND t.account_id = base.id
               AND (base.phone IS NULL OR {position}({digits} || '|0' || substr({digits}, 3), t.token) = 0)",
            tokens = Dialect::tokens_by_account(backend),
            digits = "replace(replace(replace(base.phone, '+', ''), ' ', ''), '-', '')",
            position = match backend {
                Backend::Sqlite => "instr",
                Backend::Postgres => "strpos",
            },
        )
    };
    // One statement per object, its token sources merged by UNION: no (token, record) pair
    // is written twice, so PostgreSQL can load the table without its primary key.
    let insert = |object: &str, rows: String| {
        format!(
            "INSERT INTO record_search (tenant_id, object, token, record_id)
             SELECT $1, '{object}', x.token, x.record_id FROM ({rows}) x"
        )
    };
    let opportunity = id("48");
    let token_statements = [
        // A person's name has no repeated bigram (surnames and given names are disjoint); a
        // number's grams may repeat, and UNION writes each once.
        insert(
            "contact",
            format!(
                "{} UNION {}",
                word_tokens(
                    "contacts",
                    &id("16 + s.k"),
                    "r.name",
                    &format!("JOIN {series} s ON s.k < 2"),
                ),
                mobile_grams(
                    "contacts",
                    &id("16 + s.k"),
                    &format!("JOIN {series} s ON s.k < 2"),
                )
            ),
        ),
        insert(
            "lead",
            format!(
                "{} UNION {} UNION {}",
                account_tokens(&id("32"), "", ""),
                word_tokens("leads", &id("32"), "r.name", ""),
                mobile_grams("leads", &id("32"), "")
            ),
        ),
        insert(
            "opportunity",
            format!(
                "{} UNION {}",
                account_tokens(
                    "r.id",
                    "CROSS JOIN opportunities r",
                    &format!("AND r.tenant_id = $1 AND r.id = {opportunity}"),
                ),
                // The word after "name · ".
                word_tokens(
                    "opportunities",
                    &opportunity,
                    "substr(r.name, length(base.name) + 4)",
                    ""
                )
            ),
        ),
    ];

    let mut tx = loader.begin().await?;
    begin_load(&mut tx).await?;
    on_conn!(tx, c => {
        sqlx::query(number_accounts).bind(tenant_id).execute(&mut *c).await?;
        sqlx::query("CREATE INDEX gen_base_n ON gen_base (n)").execute(&mut *c).await?;
    });
    load_word_tokens(&mut tx).await?;
    let (accounts,): (i64,) = on_conn!(tx, c => {
        sqlx::query_as("SELECT COUNT(*) FROM gen_base").fetch_one(&mut *c).await?
    });
    tx.commit().await?;

    // Seconds per step, summed over the chunks, in the order the steps run.
    let mut seconds: Vec<(&'static str, f64)> = Vec::new();
    let mut took = |step: &'static str, started: std::time::Instant| {
        let secs = started.elapsed().as_secs_f64();
        match seconds.iter_mut().find(|(s, _)| *s == step) {
            Some(entry) => entry.1 += secs,
            None => seconds.push((step, secs)),
        }
    };
    let mut from = 0;
    while from < accounts {
        let to = from + DERIVE_CHUNK;
        let mut tx = loader.begin().await?;
        begin_load(&mut tx).await?;
        for (step, sql) in [
            ("contacts", &contacts),
            ("leads", &leads),
            ("opportunities", &opportunities),
        ] {
            let started = std::time::Instant::now();
            on_conn!(tx, c => {
                sqlx::query(sql).bind(tenant_id).bind(anchor).bind(from).bind(to).execute(&mut *c).await?;
            });
            took(step, started);
        }
        for (step, sql) in [
            ("activities", &activities),
            ("last contacted", &last_contacted),
        ] {
            let started = std::time::Instant::now();
            on_conn!(tx, c => {
                sqlx::query(sql).bind(tenant_id).bind(anchor).bind(from).bind(to).bind(recent).execute(&mut *c).await?;
            });
            took(step, started);
        }
        let started = std::time::Instant::now();
        for sql in &token_statements {
            on_conn!(tx, c => {
                sqlx::query(sql).bind(tenant_id).bind(from).bind(to).execute(&mut *c).await?;
            });
        }
        took("search tokens", started);
        let started = std::time::Instant::now();
        tx.commit().await?;
        took("commit", started);
        from = to;
    }

    let mut tx = loader.begin().await?;
    on_conn!(tx, c => {
        sqlx::query("DROP TABLE gen_base").execute(&mut *c).await?;
        sqlx::query("DROP TABLE gen_word_tokens").execute(&mut *c).await?;
    });
    let mut made = Related {
        seconds,
        ..Related::default()
    };
    for (table, slot) in [
        ("contacts", &mut made.contacts),
        ("leads", &mut made.leads),
        ("opportunities", &mut made.opportunities),
        ("activities", &mut made.activities),
        ("record_search", &mut made.search_tokens),
    ] {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE tenant_id = $1");
        *slot = on_conn!(tx, c => {
            sqlx::query_scalar::<_, i64>(&sql).bind(tenant_id).fetch_one(&mut *c).await?
        });
    }
    tx.commit().await?;
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Generated instants are spelled as the application writes them (sqlx's RFC 3339 with
    /// `+00:00` and only the fractional digits there are): lists compare SQLite's text, and
    /// `….000+00:00` next to `…+00:00` for one instant broke keyset paging.
    #[tokio::test]
    async fn generated_instants_are_spelled_as_the_application_writes_them() {
        let pool = sqlx::SqlitePool::connect("sqlite::memory:")
            .await
            .expect("in-memory SQLite");
        let base = chrono::DateTime::parse_from_rfc3339("2026-11-20T09:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        for (millis, days, hours) in [(0, 0, 0), (0, 3, 5), (120, 1, 0), (7, 0, 2)] {
            let start = base + chrono::Duration::milliseconds(millis);
            let expected = start + chrono::Duration::days(days) + chrono::Duration::hours(hours);
            let sql = format!(
                "SELECT {} AS generated, $2 AS written",
                Dialect::plus(Backend::Sqlite, "$1", &days.to_string(), &hours.to_string())
            );
            let (generated, written): (String, String) = sqlx::query_as(&sql)
                .bind(start)
                .bind(expected)
                .fetch_one(&pool)
                .await
                .expect("query");
            assert_eq!(generated, written, "{millis} ms + {days} d {hours} h");
        }
    }
}
