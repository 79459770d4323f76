//! Handler scripts: extra URLs. Each script defines `routes()`, returning an array of
//! `#{ method: "GET", path: "/my/custom/url", handler: "hello" }`, and the handler
//! functions, which receive `#{ method, path, query, form }` and return a string (200,
//! text/plain) or `#{ status, body, content_type }`.

use std::collections::HashSet;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::RawQuery;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};
use oauth2u_core::Params;
use rhai::{CallFnOptions, Dynamic, Map, Scope};

use super::{Sandbox, Script};
use crate::paths::Route;

/// Whether the server serves this path itself (every route of the table, whether its
/// feature is on or not, and the metadata under an issuer's path); a handler may not take it.
fn is_reserved(path: &str) -> bool {
    Route::find(path).is_some() || path.starts_with(Route::Metadata.path())
}

/// A plain path: no route parameters or wildcards, which the router would interpret.
fn is_plain_path(path: &str) -> bool {
    path.starts_with('/') && path.bytes().all(|b| b.is_ascii_alphanumeric() || b"/._~-".contains(&b))
}

/// The routes the handler scripts register.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>(
    sandbox: Arc<Sandbox>,
    scripts: Vec<Script>,
) -> Result<Router<S>, String> {
    let mut router = Router::new();
    let mut taken = HashSet::new();
    for script in scripts.into_iter().map(Arc::new) {
        let registered = sandbox
            .engine
            .call_fn_with_options::<rhai::Array>(
                CallFnOptions::new().eval_ast(false),
                &mut Scope::new(),
                &script.ast,
                "routes",
                (),
            )
            .map_err(|error| format!("{}: routes(): {error}", script.path.display()))?;
        let mut paths: Vec<(String, Vec<(Method, String)>)> = Vec::new();
        for entry in registered {
            let entry = entry
                .try_cast::<Map>()
                .ok_or_else(|| format!("{}: routes() must return maps", script.path.display()))?;
            let field = |name: &str| entry.get(name).and_then(|value| value.clone().into_string().ok());
            let (Some(method), Some(path), Some(handler)) =
                (field("method"), field("path"), field("handler"))
            else {
                return Err(format!("{}: each route needs method, path and handler", script.path.display()));
            };
            let method = Method::from_bytes(method.to_uppercase().as_bytes())
                .map_err(|_| format!("{}: unknown method {method}", script.path.display()))?;
            if !is_plain_path(&path) || is_reserved(&path) || !taken.insert((method.clone(), path.clone())) {
                return Err(format!(
                    "{}: the path {method} {path} is invalid or already taken",
                    script.path.display()
                ));
            }
            if !script.defines(&handler, 1) {
                return Err(format!("{}: no function {handler}(request)", script.path.display()));
            }
            match paths.iter_mut().find(|(existing, _)| *existing == path) {
                Some((_, methods)) => methods.push((method, handler)),
                None => paths.push((path, vec![(method, handler)])),
            }
        }
        for (path, methods) in paths {
            let mut method_router = axum::routing::MethodRouter::new();
            for (method, handler) in methods {
                let filter =
                    MethodFilter::try_from(method.clone()).map_err(|error| format!("{method}: {error}"))?;
                let (sandbox, script) = (sandbox.clone(), script.clone());
                method_router = method_router.merge(on(
                    filter,
                    move |method: Method, uri: axum::http::Uri, RawQuery(query): RawQuery, body: Bytes| {
                        let request = request_map(&method, uri.path(), query.as_deref(), &body);
                        async move { answer(&sandbox, &script, &handler, request).await }
                    },
                ));
            }
            router = router.route(&path, method_router);
        }
    }
    Ok(router)
}

fn request_map(method: &Method, path: &str, query: Option<&str>, body: &[u8]) -> Dynamic {
    let to_map = |params: Params| -> Map {
        params.iter().map(|(name, value)| (name.into(), Dynamic::from(value.to_owned()))).collect()
    };
    let mut map = Map::new();
    map.insert("method".into(), method.as_str().to_owned().into());
    map.insert("path".into(), path.to_owned().into());
    map.insert("query".into(), to_map(Params::parse(query.unwrap_or_default().as_bytes())).into());
    map.insert("form".into(), to_map(Params::parse(body)).into());
    map.into()
}

async fn answer(sandbox: &Arc<Sandbox>, script: &Arc<Script>, handler: &str, request: Dynamic) -> Response {
    let value = match sandbox.run(script.ast.clone(), handler.to_owned(), request).await {
        Ok(value) => value,
        Err(error) => {
            tracing::error!(script = %script.path.display(), handler, %error, "handler failed");
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal server error").into_response();
        }
    };
    if let Some(map) = value.clone().try_cast::<Map>() {
        let field = |name: &str| map.get(name).and_then(|value| value.clone().into_string().ok());
        let status = map
            .get("status")
            .and_then(|status| status.as_int().ok())
            .and_then(|status| u16::try_from(status).ok())
            .and_then(|status| StatusCode::from_u16(status).ok())
            .unwrap_or(StatusCode::OK);
        let content_type = field("content_type").unwrap_or_else(|| "text/plain; charset=utf-8".into());
        let content_type =
            HeaderValue::from_str(&content_type).unwrap_or(HeaderValue::from_static("text/plain"));
        return (status, [(header::CONTENT_TYPE, content_type)], field("body").unwrap_or_default())
            .into_response();
    }
    (StatusCode::OK, value.to_string()).into_response()
}
