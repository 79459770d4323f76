//! `GET /.well-known/oauth-authorization-server` (RFC 8414) and
//! `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4): one document
//! that core builds from the settings, with the paths of the route table.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use oauth2u_core::endpoints::metadata::EndpointPaths;

use crate::paths::Route;
use crate::respond::JsonError;
use crate::state::AppState;

/// The endpoints as the route table mounts them.
const PATHS: EndpointPaths = EndpointPaths {
    authorization: Route::Authorize.path(),
    token: Route::Token.path(),
    revocation: Route::Revoke.path(),
    introspection: Route::Introspect.path(),
    device_authorization: Route::DeviceAuthorization.path(),
    jwks: Route::Jwks.path(),
    userinfo: Route::Userinfo.path(),
    end_session: Route::Logout.path(),
    registration: Route::Register.path(),
};

pub(crate) async fn get_metadata(State(state): State<AppState>) -> Response {
    match state.provider.metadata(&PATHS).await {
        Ok(document) => {
            let headers = [(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"))];
            (headers, Json(document)).into_response()
        }
        Err(error) => JsonError(error).into_response(),
    }
}
