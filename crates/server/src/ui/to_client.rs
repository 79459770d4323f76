//! Sending an authorization response to the client: a redirect (query or fragment), or
//! the page of OAuth 2.0 Form Post Response Mode §2, a form the browser posts to the
//! redirect URI by itself, with a button for when scripts are off.
//!
//! That page is the only one with a script: its CSP allows exactly that script, by its
//! hash, and lets the form go only to the redirect URI. Framing stays forbidden.

use std::sync::LazyLock;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use minijinja::context;
use oauth2u_core::OAuthError;
use oauth2u_core::authorization_request::AuthorizationRequest;
use oauth2u_core::authorization_response::AuthorizationResponse;
use sha2::{Digest, Sha256};

use crate::respond::redirect;
use crate::state::AppState;

/// The form post page's one script.
const SUBMIT: &str = "document.forms[0].submit();";

/// CSP 3 §8.4: a hash source of the script's text.
static SUBMIT_HASH: LazyLock<String> =
    LazyLock::new(|| format!("'sha256-{}'", STANDARD.encode(Sha256::digest(SUBMIT.as_bytes()))));

/// The refusal of `request` with `error`, sent to the client; the authorization ends.
pub(crate) async fn refused(
    state: &AppState,
    status: StatusCode,
    request: &AuthorizationRequest,
    error: &OAuthError,
) -> Response {
    to_client(state, status, state.provider.refuse(request, error).await)
}

/// `response`, as the browser should get it; `status` is the redirect's (302 or 303).
pub(crate) fn to_client(state: &AppState, status: StatusCode, response: AuthorizationResponse) -> Response {
    match response {
        AuthorizationResponse::Redirect(location) => redirect(status, &location),
        AuthorizationResponse::FormPost { action, fields } => form_post(state, &action, &fields),
    }
}

fn form_post(state: &AppState, action: &str, fields: &[(String, String)]) -> Response {
    let context = context! { action, fields, script => SUBMIT };
    let mut page = state.templates.page(StatusCode::OK, "form_post.html", context);
    let policy = format!(
        "default-src 'none'; script-src {}; style-src 'self'; img-src 'self'; form-action {}; \
         frame-ancestors 'none'; base-uri 'none'",
        *SUBMIT_HASH,
        form_action_source(action),
    );
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        page.headers_mut().insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    page
}

/// The CSP source that lets the form reach `action` and nothing else: the URI without its
/// query (CSP matches paths exactly), or for a private-use scheme, that scheme.
fn form_action_source(action: &str) -> String {
    let Ok(mut url) = url::Url::parse(action) else {
        return "'none'".into();
    };
    url.set_query(None);
    url.set_fragment(None);
    let source = match url.scheme() {
        "https" | "http" => url.to_string(),
        scheme => format!("{scheme}:"),
    };
    // A character that would end the directive or the source list gives no source at all.
    if source.contains([';', ',', ' ', '\'']) { "'none'".into() } else { source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_may_go_to_the_redirect_uri_only() {
        assert_eq!(form_action_source("https://rp.example/cb?x=1"), "https://rp.example/cb");
        assert_eq!(form_action_source("com.example.app:/cb"), "com.example.app:");
        assert_eq!(form_action_source("https://rp.example/a;b"), "'none'");
    }
}
