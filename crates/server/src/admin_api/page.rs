//! Lists paged by cursor: `?limit=N&after=CURSOR`, and a `next` link in the body while there
//! may be more. The cursor is the last item's key, so a page never shifts when items are
//! added or removed before it.

use serde::Deserialize;
use serde_json::{Value, json};

use super::problem::Problem;

/// The most items of one page, and the default.
const MAX_LIMIT: i64 = 1000;
const DEFAULT_LIMIT: i64 = 100;

/// `?limit=N&after=CURSOR`.
#[derive(Debug, Deserialize)]
pub(crate) struct PageQuery {
    limit: Option<i64>,
    pub(crate) after: Option<String>,
}

impl PageQuery {
    /// The limit asked for, within 1 to 1000.
    pub(crate) fn limit(&self) -> Result<i64, Problem> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(limit) if (1..=MAX_LIMIT).contains(&limit) => Ok(limit),
            Some(_) => Err(Problem::bad_request(format!("limit must be between 1 and {MAX_LIMIT}"))),
        }
    }
}

/// A page of `items` from `path`: with a `next` link when the page is full.
pub(crate) fn page(path: &str, items: Vec<Value>, last_key: Option<&str>, limit: i64) -> Value {
    let next = match last_key {
        Some(key) if items.len() as i64 == limit => {
            let cursor: String = url::form_urlencoded::byte_serialize(key.as_bytes()).collect();
            Some(format!("{path}?limit={limit}&after={cursor}"))
        }
        _ => None,
    };
    json!({ "items": items, "next": next })
}
