//! Queries whose text depends on their arguments (optional filters, keyset pages), built for
//! either backend, and the two ways the store runs a query to its records (one row by key, or
//! every row a built query selects).
//!
//! sqlx's `QueryBuilder` cannot serve generic code: its arguments borrow for the builder's
//! whole life, and without knowing the backend the compiler cannot shorten that borrow to
//! the query's (SQLite's arguments carry a lifetime, so `IntoArguments` holds for one lifetime
//! only). [`Sql`] keeps owned values and binds them when the query is made, as the static
//! queries do: with `$N` placeholders, which both backends accept.

use super::{Page, backend::Param, rows::FromTuple};
use crate::error::Result;
use sqlx::{Database, Encode, Executor, FromRow, IntoArguments, Pool, Type, query::QueryAs};
use std::fmt::Write;
use uuid::Uuid;

/// A value bound to a placeholder.
pub(super) enum Arg {
    Id(Uuid),
    Int(i64),
    Text(String),
}

impl From<Uuid> for Arg {
    fn from(v: Uuid) -> Self {
        Arg::Id(v)
    }
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}

/// SQL text with `$N` placeholders and the values bound to them, in order.
pub(super) struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    /// A query starting with `text`.
    pub fn new(text: impl Into<String>) -> Sql {
        Sql {
            text: text.into(),
            args: Vec::new(),
        }
    }

    /// Appends SQL text.
    pub fn push(&mut self, text: impl AsRef<str>) -> &mut Sql {
        self.text.push_str(text.as_ref());
        self
    }

    /// Appends a placeholder for `value`.
    pub fn push_bind(&mut self, value: impl Into<Arg>) -> &mut Sql {
        self.args.push(value.into());
        // Writing to a String cannot fail.
        let _ = write!(self.text, "${}", self.args.len());
        self
    }

    /// The query, its values bound, decoding rows as `O`.
    pub fn query_as<'q, D, O>(&'q self) -> QueryAs<'q, D, O, D::Arguments<'q>>
    where
        D: Database,
        O: for<'r> FromRow<'r, D::Row>,
        Uuid: Param<D>,
        i64: Param<D>,
        for<'a> &'a str: Encode<'a, D>,
        str: Type<D>,
    {
        let mut q = sqlx::query_as(&self.text);
        for arg in &self.args {
            q = match arg {
                Arg::Id(v) => q.bind(*v),
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_str()),
            };
        }
        q
    }
}

/// The record of the row `sql` selects with `key` as `$1`, if any.
pub(super) async fn fetch_opt<'q, D, T, K>(
    pool: &Pool<D>,
    sql: &'q str,
    key: K,
) -> Result<Option<T>>
where
    D: Database,
    for<'c> &'c mut D::Connection: Executor<'c, Database = D>,
    for<'a> D::Arguments<'a>: IntoArguments<'a, D>,
    T: FromTuple,
    for<'r> T::Tuple: sqlx::FromRow<'r, D::Row> + Send + Unpin,
    K: 'q + Send + Encode<'q, D> + Type<D>,
{
    let row: Option<T::Tuple> = sqlx::query_as(sql).bind(key).fetch_optional(pool).await?;
    Ok(row.map(T::from_tuple))
}

/// The records of every row a built query selects.
pub(super) async fn fetch_list<D, T>(pool: &Pool<D>, qb: Sql) -> Result<Vec<T>>
where
    D: Database,
    for<'c> &'c mut D::Connection: Executor<'c, Database = D>,
    for<'a> D::Arguments<'a>: IntoArguments<'a, D>,
    T: FromTuple,
    for<'r> T::Tuple: sqlx::FromRow<'r, D::Row> + Send + Unpin,
    Uuid: Param<D>,
    i64: Param<D>,
    for<'a> &'a str: Encode<'a, D>,
    str: Type<D>,
{
    let rows: Vec<T::Tuple> = qb.query_as().fetch_all(pool).await?;
    Ok(rows.into_iter().map(T::from_tuple).collect())
}

/// Appends the keyset condition and limit of a page (`alias` is the table alias).
pub(super) fn push_page(qb: &mut Sql, alias: &str, page: Page) {
    if let Some((at, id)) = page.after {
        qb.push(format!(" AND ({alias}.created_at, {alias}.id) > ("));
        qb.push_bind(at);
        qb.push(", ");
        qb.push_bind(id);
        qb.push(")");
    }
    qb.push(format!(" ORDER BY {alias}.created_at, {alias}.id LIMIT "));
    qb.push_bind(page.limit);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_the_order_values_are_bound() {
        let id = Uuid::new_v4();
        let mut q = Sql::new("SELECT x FROM t WHERE a = ");
        q.push_bind(id)
            .push(" AND b = ")
            .push_bind("text".to_owned())
            .push(" LIMIT ")
            .push_bind(5_i64);
        assert_eq!(q.text, "SELECT x FROM t WHERE a = $1 AND b = $2 LIMIT $3");
        assert!(matches!(
            q.args.as_slice(),
            [Arg::Id(a), Arg::Text(b), Arg::Int(5)] if *a == id && b == "text"
        ));
    }
}
