//! The plugin host: [`Hooks`] implemented by the functions of the loaded scripts.

use std::sync::Arc;

use oauth2u_core::async_trait;
use oauth2u_core::authorization_request::ResponseType;
use oauth2u_core::hooks::{
    AuthorizationContext, AuthorizationDecision, ClaimsContext, Hooks, RegistrationContext,
    RegistrationDecision, TokenContext,
};
use oauth2u_core::{ErrorCode, OAuthError, Params};
use rhai::{Dynamic, Map};
use serde_json::Value;

use super::{Sandbox, Script, call};

const AUTHORIZATION_GET: &str = "authorization_GET";
const AUTHORIZATION_POST: &str = "authorization_POST";
const VALIDATION: &str = "access_token_validation";
const RESPONSE: &str = "access_token_response";
const CLAIMS: &str = "claims";
const REGISTRATION: &str = "client_registration";

/// Parameters never shown to a token hook.
const SECRET_PARAMETERS: &[&str] =
    &["client_secret", "code", "code_verifier", "refresh_token", "password", "client_assertion", "assertion"];

/// The loaded plugin scripts.
pub(crate) struct PluginHost {
    engine: Arc<Sandbox>,
    scripts: Vec<Script>,
}

impl PluginHost {
    pub(crate) fn new(engine: Arc<Sandbox>, scripts: Vec<Script>) -> Self {
        Self { engine, scripts }
    }

    fn with(&self, name: &str) -> impl Iterator<Item = &Script> {
        self.scripts.iter().filter(move |script| script.defines(name, 1))
    }

    async fn decide(
        &self,
        name: &'static str,
        context: &AuthorizationContext<'_>,
    ) -> Result<AuthorizationDecision, OAuthError> {
        for script in self.with(name) {
            let decision = to_decision(call(&self.engine, script, name, authorization_map(context)).await?)?;
            if decision != AuthorizationDecision::Continue {
                return Ok(decision);
            }
        }
        Ok(AuthorizationDecision::Continue)
    }

    /// The maps the scripts defining `name` return, merged; a failing script, or one that
    /// returns something else than a map, adds nothing (logged).
    async fn merged_maps(&self, name: &'static str, argument: Dynamic) -> serde_json::Map<String, Value> {
        let mut fields = serde_json::Map::new();
        for script in self.with(name) {
            let added = match call(&self.engine, script, name, argument.clone()).await {
                Ok(value) if value.is_unit() => continue,
                Ok(value) => rhai::serde::from_dynamic::<serde_json::Map<String, Value>>(&value),
                Err(_) => continue,
            };
            match added {
                Ok(added) => fields.extend(added),
                Err(error) => {
                    tracing::warn!(script = %script.path.display(), %error, "{name} must return a map")
                }
            }
        }
        fields
    }
}

#[async_trait]
impl Hooks for PluginHost {
    fn handles_authorization_get(&self) -> bool {
        self.with(AUTHORIZATION_GET).next().is_some()
    }

    async fn authorization_get(
        &self,
        context: &AuthorizationContext<'_>,
    ) -> Result<AuthorizationDecision, OAuthError> {
        self.decide(AUTHORIZATION_GET, context).await
    }

    fn handles_authorization_post(&self) -> bool {
        self.with(AUTHORIZATION_POST).next().is_some()
    }

    async fn authorization_post(
        &self,
        context: &AuthorizationContext<'_>,
    ) -> Result<AuthorizationDecision, OAuthError> {
        self.decide(AUTHORIZATION_POST, context).await
    }

    async fn access_token_validation(&self, context: &TokenContext<'_>) -> Result<(), OAuthError> {
        for script in self.with(VALIDATION) {
            let result = call(&self.engine, script, VALIDATION, token_map(context)).await?;
            if let Some(map) = result.try_cast::<Map>() {
                return Err(error_of(&map, "access_token_validation")?);
            }
        }
        Ok(())
    }

    async fn access_token_response(&self, context: &TokenContext<'_>) -> serde_json::Map<String, Value> {
        // After commit the response cannot fail: a failing script adds nothing.
        self.merged_maps(RESPONSE, token_map(context)).await
    }

    async fn claims(&self, context: &ClaimsContext<'_>) -> serde_json::Map<String, Value> {
        // A failing script adds no claim; the sign-in goes on with the stored ones.
        self.merged_maps(CLAIMS, claims_map(context)).await
    }

    /// `client_registration(request)`: `()` allows, `reject(code, description)` or `deny()`
    /// refuses, `adjust(metadata)` goes ahead with other metadata. A failing script refuses:
    /// a registration policy that cannot run must not let everything through.
    async fn client_registration(
        &self,
        context: &RegistrationContext<'_>,
    ) -> Result<RegistrationDecision, OAuthError> {
        let mut metadata = context.metadata.clone();
        let mut adjusted = false;
        for script in self.with(REGISTRATION) {
            let request = registration_map(&metadata, context)?;
            let value = call(&self.engine, script, REGISTRATION, request).await?;
            if value.is_unit() {
                continue;
            }
            let Some(map) = value.try_cast::<Map>() else {
                return Err(OAuthError::server_error(
                    "client_registration returned neither () nor a decision",
                ));
            };
            let decision = map.get("decision").and_then(|value| value.clone().into_string().ok());
            match decision.as_deref() {
                Some("error") => {
                    let error = error_of(&map, REGISTRATION)?;
                    let allowed = [
                        ErrorCode::InvalidClientMetadata,
                        ErrorCode::InvalidRedirectUri,
                        ErrorCode::AccessDenied,
                    ];
                    if !allowed.contains(&error.code) {
                        return Err(OAuthError::server_error(format!(
                            "client_registration may not answer {}",
                            error.code.as_str()
                        )));
                    }
                    return Ok(RegistrationDecision::Deny(error));
                }
                Some("adjust") => {
                    let Some(new) = map.get("metadata") else {
                        return Err(OAuthError::server_error("adjust() needs the metadata"));
                    };
                    metadata = rhai::serde::from_dynamic(new).map_err(OAuthError::server_error)?;
                    adjusted = true;
                }
                _ => {
                    return Err(OAuthError::server_error("client_registration returned an unknown decision"));
                }
            }
        }
        Ok(if adjusted { RegistrationDecision::Adjust(metadata) } else { RegistrationDecision::Allow })
    }
}

/// What `client_registration` receives: the metadata asked for, the caller's address, and
/// for an update the client's id.
fn registration_map(
    metadata: &serde_json::Map<String, Value>,
    context: &RegistrationContext<'_>,
) -> Result<Dynamic, OAuthError> {
    let mut map = Map::new();
    map.insert("metadata".into(), rhai::serde::to_dynamic(metadata).map_err(OAuthError::server_error)?);
    map.insert("address".into(), context.address.map_or(Dynamic::UNIT, |address| address.to_string().into()));
    map.insert("client_id".into(), context.client_id.map_or(Dynamic::UNIT, |id| id.to_owned().into()));
    Ok(map.into())
}

pub(crate) fn params_map(params: &Params, hide: &[&str]) -> Map {
    params
        .iter()
        .filter(|(name, _)| !hide.contains(name))
        .map(|(name, value)| (name.into(), Dynamic::from(value.to_owned())))
        .collect()
}

/// What `authorization_GET` and `authorization_POST` receive as `request`.
fn authorization_map(context: &AuthorizationContext<'_>) -> Dynamic {
    let request = context.request;
    let mut map = Map::new();
    map.insert("client_id".into(), request.client.id.clone().into());
    map.insert("client_name".into(), request.client.name.clone().into());
    map.insert("redirect_uri".into(), request.redirect_uri.clone().into());
    let response_type = match request.response_type {
        ResponseType::Code => "code",
        ResponseType::Token => "token",
    };
    map.insert("response_type".into(), response_type.into());
    map.insert("scope".into(), request.scope.to_string().into());
    map.insert("state".into(), request.state.clone().map_or(Dynamic::UNIT, Dynamic::from));
    map.insert("params".into(), params_map(context.params, &[]).into());
    map.insert("query".into(), context.params.to_query().into());
    map.insert("csrf_token".into(), context.csrf_token.to_owned().into());
    if let Some(form) = context.form {
        map.insert("form".into(), params_map(form, &["csrf_token"]).into());
    }
    map.into()
}

/// What the token hooks receive: no secret parameter.
fn token_map(context: &TokenContext<'_>) -> Dynamic {
    let mut map = Map::new();
    map.insert("client_id".into(), context.client.id.clone().into());
    map.insert("grant_type".into(), context.grant_type.as_str().into());
    map.insert("subject".into(), context.subject.map_or(Dynamic::UNIT, |subject| subject.to_owned().into()));
    map.insert("scope".into(), context.scope.to_string().into());
    map.insert("params".into(), params_map(context.params, SECRET_PARAMETERS).into());
    map.into()
}

/// What the `claims` hook receives: whom, for which client, scope and document.
fn claims_map(context: &ClaimsContext<'_>) -> Dynamic {
    let mut map = Map::new();
    map.insert("client_id".into(), context.client_id.to_owned().into());
    map.insert("subject".into(), context.subject.to_owned().into());
    map.insert("scope".into(), context.scope.to_string().into());
    let target = if context.for_id_token { "id_token" } else { "userinfo" };
    map.insert("destination".into(), target.into());
    map.into()
}

/// For the fuzz target: a script's return value is read without panicking, and a refusal
/// it yields is one a plugin may give.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn check_decision(value: Dynamic) {
    if let Ok(AuthorizationDecision::Refuse(error)) = to_decision(value) {
        assert!(AuthorizationDecision::REDIRECT_ERRORS.contains(&error.code));
    }
}

fn to_decision(value: Dynamic) -> Result<AuthorizationDecision, OAuthError> {
    if value.is_unit() {
        return Ok(AuthorizationDecision::Continue);
    }
    let Some(map) = value.try_cast::<Map>() else {
        return Err(OAuthError::server_error("an authorization plugin returned neither a decision nor ()"));
    };
    let text = |name: &str| map.get(name).and_then(|value| value.clone().into_string().ok());
    match text("decision").as_deref() {
        Some("grant") => match text("subject") {
            Some(subject) if !subject.is_empty() => Ok(AuthorizationDecision::Grant { subject }),
            _ => Err(OAuthError::server_error("grant() needs a subject")),
        },
        Some("render") => Ok(AuthorizationDecision::Render {
            status: map
                .get("status")
                .and_then(|status| status.as_int().ok())
                .and_then(|s| u16::try_from(s).ok())
                .unwrap_or(200),
            html: text("html").unwrap_or_default(),
        }),
        Some("error") => {
            let error = error_of(&map, "authorization")?;
            if AuthorizationDecision::REDIRECT_ERRORS.contains(&error.code) {
                Ok(AuthorizationDecision::Refuse(error))
            } else {
                Err(OAuthError::server_error(format!("a plugin may not answer {}", error.code.as_str())))
            }
        }
        _ => Err(OAuthError::server_error("an authorization plugin returned an unknown decision")),
    }
}

/// The error a script's `reject`/`redirect_error`/`deny` map stands for.
fn error_of(map: &Map, hook: &str) -> Result<OAuthError, OAuthError> {
    let text = |name: &str| map.get(name).and_then(|value| value.clone().into_string().ok());
    let code = text("error").as_deref().and_then(ErrorCode::parse);
    match code {
        // 401 belongs to client authentication, which a hook does not do.
        Some(code) if code != ErrorCode::InvalidClient => Ok(OAuthError {
            code,
            description: text("description").unwrap_or_else(|| format!("refused by {hook} plugin")).into(),
        }),
        _ => Err(OAuthError::server_error(format!("a {hook} plugin returned an unknown error code"))),
    }
}
