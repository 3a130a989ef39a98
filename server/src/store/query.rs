//! Queries whose text depends on their arguments (optional filters, keyset pages), built for
//! either backend.
//!
//! sqlx's `QueryBuilder` cannot serve generic code: its arguments borrow for the builder's
//! whole life, and without knowing the backend the compiler cannot shorten that borrow to
//! the query's (SQLite's arguments carry a lifetime, so `IntoArguments` holds for one lifetime
//! only). [`Sql`] keeps owned values and binds them when the query is made, as the static
//! queries do: with `$N` placeholders, which both backends accept.

use super::backend::Param;
use sqlx::{Database, Encode, FromRow, Type, query::QueryAs};
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
