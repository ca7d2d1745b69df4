//! Multi-row inserts: many rows in one statement, so a batch of cases costs a few statements
//! instead of a few per case.

use crate::{Conn, Result};

/// Bound parameters per statement, under SQLite's limit (32,766) and PostgreSQL's (65,535).
const PARAMETERS_PER_STATEMENT_MAX: usize = 30_000;

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Int(Option<i64>),
    Real(Option<f64>),
    Text(Option<String>),
    Blob(Option<Vec<u8>>),
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::Int(Some(v))
    }
}
impl From<Option<i64>> for Val {
    fn from(v: Option<i64>) -> Self {
        Val::Int(v)
    }
}
impl From<f64> for Val {
    fn from(v: f64) -> Self {
        Val::Real(Some(v))
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::Text(Some(v.to_owned()))
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::Text(Some(v))
    }
}
impl From<Option<String>> for Val {
    fn from(v: Option<String>) -> Self {
        Val::Text(v)
    }
}
impl From<Option<&str>> for Val {
    fn from(v: Option<&str>) -> Self {
        Val::Text(v.map(str::to_owned))
    }
}

/// Inserts `rows` (each in `columns` order) into `table`, as few statements as the
/// parameter limit allows.
pub(crate) async fn insert_rows(conn: &mut Conn, table: &str, columns: &[&str], rows: &[Vec<Val>]) -> Result<()> {
    insert_rows_then(conn, table, columns, rows, "").await
}

/// As [`insert_rows`], skipping rows whose `unique_column` value is present already.
pub(crate) async fn insert_new_rows(
    conn: &mut Conn,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Val>],
    unique_column: &str,
) -> Result<()> {
    insert_rows_then(conn, table, columns, rows, &format!(" ON CONFLICT ({unique_column}) DO NOTHING")).await
}

/// Adds `rows` to a table of counts: each row's last column is added to the stored count of
/// its key (`key_columns`), or inserted. Keys must be distinct within `rows`.
pub(crate) async fn add_counts(
    conn: &mut Conn,
    table: &str,
    columns: &[&str],
    key_columns: &[&str],
    rows: &[Vec<Val>],
) -> Result<()> {
    let count = columns.last().expect("a count column");
    let suffix =
        format!(" ON CONFLICT ({}) DO UPDATE SET {count} = {table}.{count} + excluded.{count}", key_columns.join(", "));
    insert_rows_then(conn, table, columns, rows, &suffix).await
}

async fn insert_rows_then(
    conn: &mut Conn,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Val>],
    suffix: &str,
) -> Result<()> {
    let per_statement = (PARAMETERS_PER_STATEMENT_MAX / columns.len()).max(1);
    // SQLite looks up each named parameter (`$N`) among all earlier ones when it prepares a
    // statement, which is quadratic in their number; anonymous `?` parameters are not.
    let positional = conn.backend_name() == "SQLite";
    for chunk in rows.chunks(per_statement) {
        let n = columns.len();
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        for r in 0..chunk.len() {
            if r > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..n {
                if c > 0 {
                    sql.push_str(", ");
                }
                if positional {
                    sql.push('?');
                } else {
                    sql.push_str(&format!("${}", r * n + c + 1));
                }
            }
            sql.push(')');
        }
        sql.push_str(suffix);
        let mut q = sqlx::query(&sql);
        for row in chunk {
            debug_assert_eq!(row.len(), n, "row of {table} has the wrong number of values");
            for v in row {
                q = bind(q, v.clone());
            }
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Binds one value to a query.
pub(crate) fn bind<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    v: Val,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    match v {
        Val::Int(x) => q.bind(x),
        Val::Real(x) => q.bind(x),
        Val::Text(x) => q.bind(x),
        Val::Blob(x) => q.bind(x),
    }
}
