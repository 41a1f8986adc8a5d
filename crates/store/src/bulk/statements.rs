//! Statement text for bulk loading: multi-row INSERTs, and rows for PostgreSQL's COPY.

use crate::{Backend, Result};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// `INSERT INTO <head> VALUES (…), (…)` for `rows` rows of `per_row` parameters each, bound
/// row after row. SQLite gets anonymous `?` placeholders: with thousands of numbered ones
/// (`$n`), preparing and binding a statement take quadratic time there, since SQLite looks
/// each parameter name up in a list.
pub(super) fn values_sql(backend: Backend, head: &str, rows: usize, per_row: usize) -> String {
    let mut sql = String::with_capacity(head.len() + 16 + rows * (per_row * 7 + 4));
    sql.push_str(head);
    sql.push_str(" VALUES ");
    let mut n = 0;
    for i in 0..rows {
        sql.push_str(if i > 0 { ",(" } else { "(" });
        for k in 0..per_row {
            if k > 0 {
                sql.push(',');
            }
            n += 1;
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    sql.push('$');
                    sql.push_str(&n.to_string());
                }
            }
        }
        sql.push(')');
    }
    sql
}

/// Rows in PostgreSQL's COPY text format: tab-separated, `\N` for NULL, backslash escapes.
#[derive(Default)]
pub(super) struct CopyRows {
    data: String,
    first: bool,
}

impl CopyRows {
    pub(super) fn with_capacity(bytes: usize) -> Self {
        CopyRows {
            data: String::with_capacity(bytes),
            first: true,
        }
    }

    fn sep(&mut self) {
        if !self.first {
            self.data.push('\t');
        }
        self.first = false;
    }

    pub(super) fn text(&mut self, value: &str) -> &mut Self {
        self.sep();
        for c in value.chars() {
            match c {
                '\\' => self.data.push_str("\\\\"),
                '\t' => self.data.push_str("\\t"),
                '\n' => self.data.push_str("\\n"),
                '\r' => self.data.push_str("\\r"),
                c => self.data.push(c),
            }
        }
        self
    }

    pub(super) fn opt(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(v) => self.text(v),
            None => {
                self.sep();
                self.data.push_str("\\N");
                self
            }
        }
    }

    pub(super) fn uuid(&mut self, value: Uuid) -> &mut Self {
        self.sep();
        self.data
            .push_str(value.hyphenated().encode_lower(&mut Uuid::encode_buffer()));
        self
    }

    pub(super) fn opt_uuid(&mut self, value: Option<Uuid>) -> &mut Self {
        match value {
            Some(v) => self.uuid(v),
            None => self.opt(None),
        }
    }

    pub(super) fn time(&mut self, value: DateTime<Utc>) -> &mut Self {
        self.sep();
        self.data
            .push_str(&value.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
        self
    }

    pub(super) fn int(&mut self, value: i64) -> &mut Self {
        self.sep();
        self.data.push_str(&value.to_string());
        self
    }

    pub(super) fn end(&mut self) {
        self.data.push('\n');
        self.first = true;
    }
}

/// Loads rows with `COPY … FROM STDIN` (PostgreSQL): several times faster than INSERTs.
pub(super) async fn copy_in(
    conn: &mut sqlx::PgConnection,
    statement: &str,
    rows: CopyRows,
) -> Result<()> {
    if rows.data.is_empty() {
        return Ok(());
    }
    let mut copy = conn.copy_in_raw(statement).await?;
    copy.send(rows.data.into_bytes()).await?;
    copy.finish().await?;
    Ok(())
}
