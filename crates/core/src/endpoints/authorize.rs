//! RFC 6749 §3.1, §4.1.1–§4.1.2 and §4.2.1–§4.2.2 — the authorization endpoint.
//!
//! Validation happens in two stages (§4.1.2.1): until the client and its redirect URI are
//! established, errors are shown to the user and never redirected; after that, errors go
//! back to the client with `error`, `error_description`, `state` and `iss` (RFC 9207).

use crate::authorization_request::{AuthorizationRequest, ResponseType};
use crate::authorization_response::{AuthorizationResponse, ResponseMode};
use crate::client_id::ClientId;
use crate::clock::seconds;
use crate::error::OAuthError;
use crate::model::{Authentication, AuthorizationCode, Client, OpenIdGrant};
use crate::openid::claims::restrict_claims_request;
use crate::openid::request::refuse_request_objects;
use crate::openid::{OFFLINE_ACCESS, OpenIdRequest, is_openid_scope};
use crate::params::Params;
use crate::pkce::CodeChallenge;
use crate::provider::Provider;
use crate::resource::requested_resources;
use crate::secret::{Secret, SecretKind, random_string};

/// How an authorization request fails.
#[derive(Debug)]
pub enum AuthorizeError {
    /// §4.1.2.1: the client or the redirect URI is missing, unknown or invalid: tell the
    /// resource owner, "MUST NOT automatically redirect".
    Page(OAuthError),
    /// Every other error: a response to the client's URI, carrying the error.
    Redirect(AuthorizationResponse),
}

impl Provider {
    /// Validates an authorization request (§4.1.1, §4.2.1, RFC 7636 §4.3).
    pub async fn validate_authorization(
        &self,
        params: &Params,
    ) -> Result<AuthorizationRequest, AuthorizeError> {
        let page = AuthorizeError::Page;
        let client_id = params
            .get("client_id")
            .map_err(page)?
            .ok_or_else(|| page(OAuthError::invalid_request("missing parameter `client_id`")))?;
        let unknown = || page(OAuthError::invalid_request("unknown client"));
        // A malformed identifier names no client: refused without a lookup.
        let client_id = ClientId::parse(client_id).map_err(|_| unknown())?;
        let client =
            self.client(client_id.as_str()).await.map_err(|error| page(error.into()))?.ok_or_else(unknown)?;
        let sent_uri = params.get("redirect_uri").map_err(page)?;
        let openid = is_openid_scope(params.get("scope").ok().flatten());
        let redirect_uri = match (sent_uri, client.redirect_uris.as_slice()) {
            (Some(uri), registered) if registered.iter().any(|r| r.matches(uri)) => uri.to_owned(),
            (Some(_), _) => {
                return Err(page(OAuthError::invalid_request(
                    "redirect_uri is not registered for this client",
                )));
            }
            // RFC 6749 §3.1.2.3: with one registered URI, the request may omit it — but
            // OpenID Connect Core §3.1.2.1 makes it REQUIRED in an OpenID request.
            (None, [only]) if !openid => only.as_str().to_owned(),
            (None, _) => {
                return Err(page(OAuthError::invalid_request("missing parameter `redirect_uri`")));
            }
        };

        // From here on the redirect URI is trusted: errors go back to the client.
        // A response type that returns a token (`token`, or OpenID Connect's `id_token` in
        // the implicit and hybrid flows, which are not offered) answers in the fragment,
        // errors included (RFC 6749 §4.2.2.1, OpenID Connect Core §3.2.2.5, §3.3.2.6).
        let carries_token = matches!(params.get("response_type"),
            Ok(Some(names)) if names.split(' ').any(|name| name == "token" || name == "id_token"));
        let default_mode = if carries_token { ResponseMode::Fragment } else { ResponseMode::Query };
        // The requested response_mode carries every answer from here on, errors included
        // (Form Post §2); a bad one is reported in the default mode.
        let (mode, mode_error) = match params.get("response_mode") {
            Ok(None) => (default_mode, None),
            Ok(Some(name)) => match ResponseMode::requested(name, carries_token) {
                Ok(mode) => (mode, None),
                Err(error) => (default_mode, Some(error)),
            },
            Err(error) => (default_mode, Some(error)),
        };
        let sent_state = params.get("state").ok().flatten();
        // §4.1.2 and Appendix A.5: state is VSCHAR (%x20-7E). Anything else (a byte that was
        // not UTF-8 arrives as U+FFFD) is refused, and never echoed back altered.
        let state = sent_state.filter(|state| is_vschar(state));
        let fail = |error: OAuthError| {
            AuthorizeError::Redirect(self.error_redirect(&redirect_uri, mode, &error, state))
        };
        if sent_state.is_some() && state.is_none() {
            return Err(fail(OAuthError::invalid_request(
                "state must be printable ASCII (RFC 6749 Appendix A.5)",
            )));
        }
        params.reject_repeated().map_err(fail)?;
        if let Some(error) = mode_error {
            return Err(fail(error));
        }
        refuse_request_objects(params).map_err(fail)?;
        let response_type =
            self.response_type(&client, params.require("response_type").map_err(fail)?).map_err(fail)?;
        let mut scope = client.requested_scope(params.get("scope").map_err(fail)?).map_err(fail)?;
        let resources = requested_resources(&client, params).map_err(fail)?;
        let openid = match openid {
            true => Some(self.openid_request(&client, params).await.map_err(fail)?),
            false => None,
        };
        // Core §11: offline_access "MUST be ignored" unless the request returns a code.
        if openid.is_some() && response_type != ResponseType::Code {
            scope = scope.without(OFFLINE_ACCESS);
        }
        let challenge = match response_type {
            ResponseType::Code => self.challenge(&client, params).map_err(fail)?,
            ResponseType::Token => None,
        };
        Ok(AuthorizationRequest {
            state: state.map(str::to_owned),
            client,
            redirect_uri,
            redirect_uri_sent: sent_uri.is_some(),
            response_type,
            scope,
            challenge,
            resources,
            openid,
            response_mode: mode,
        })
    }

    /// The OpenID parameters of a request: its `id_token_hint` checked, and its `claims`
    /// kept to what this client can be given (Core §5.5).
    async fn openid_request(&self, client: &Client, params: &Params) -> Result<OpenIdRequest, OAuthError> {
        let mut openid = OpenIdRequest::from_params(params)?;
        let hinted = match &openid.id_token_hint {
            Some(hint) => Some(self.id_token_hint_subject(hint).await?),
            None => None,
        };
        let mut asked = None;
        if let Some(claims) = &mut openid.claims {
            openid.claims_scope = restrict_claims_request(client, claims);
            asked = claims.subject()?.map(str::to_owned);
        }
        // §3.1.2.2 and §5.5.1: the hint and a `sub` asked for must name the same user.
        if let (Some(hinted), Some(asked)) = (&hinted, &asked)
            && hinted != asked
        {
            return Err(OAuthError::invalid_request(
                "id_token_hint and the claims `sub` name different users",
            ));
        }
        openid.expected_subject = hinted.or(asked);
        Ok(openid)
    }

    /// The resource owner `subject` approved: issue the code (§4.1.2) or token (§4.2.2)
    /// and return the redirect URL that carries it.
    pub async fn approve(
        &self,
        request: &AuthorizationRequest,
        subject: &str,
        authentication: &Authentication,
    ) -> Result<AuthorizationResponse, AuthorizeError> {
        let refuse = |error: OAuthError| AuthorizeError::Redirect(self.refuse(request, &error));
        // Core §3.1.2.2, §5.5.1: only the user the client expects may answer, whoever
        // approved (a page, a plugin, the development switch).
        if let Some(expected) = request.openid.as_ref().and_then(|openid| openid.expected_subject.as_deref())
        {
            let seen_as = self.subject_for(&request.client, subject).await.map_err(refuse)?;
            if seen_as != expected {
                return Err(refuse(OAuthError::login_required(
                    "the signed-in user is not the one the client asked for",
                )));
            }
        }
        let result = match request.response_type {
            ResponseType::Code => self.issue_code(request, subject, authentication).await,
            ResponseType::Token => self.issue_token_in_fragment(request, subject).await,
        };
        result.map_err(|error| AuthorizeError::Redirect(self.refuse(request, &error)))
    }

    /// The response that reports `error` (e.g. `access_denied`) to the client.
    pub fn refuse(&self, request: &AuthorizationRequest, error: &OAuthError) -> AuthorizationResponse {
        self.error_redirect(&request.redirect_uri, request.response_mode, error, request.state.as_deref())
    }

    fn response_type(&self, client: &Client, name: &str) -> Result<ResponseType, OAuthError> {
        let response_type = match name {
            "code" => ResponseType::Code,
            "token" => ResponseType::Token,
            _ => return Err(OAuthError::unsupported_response_type("unsupported response_type")),
        };
        let grant = response_type.grant();
        if !self.config.grants.enabled(grant) {
            return Err(OAuthError::unsupported_response_type(format!(
                "response_type {name} is not enabled"
            )));
        }
        // §4.1.2.1: "The client is not authorized to request an authorization code using this method."
        if !client.allows(grant) {
            return Err(OAuthError::unauthorized_client(format!(
                "this client may not use response_type {name}"
            )));
        }
        Ok(response_type)
    }

    /// RFC 7636 §4.4.1: required for public clients (RFC 9700 §2.1.1) and, when configured, for all.
    fn challenge(&self, client: &Client, params: &Params) -> Result<Option<CodeChallenge>, OAuthError> {
        let method = params.get("code_challenge_method")?;
        match params.get("code_challenge")? {
            Some(value) => CodeChallenge::parse(value, method, self.config.pkce_plain_allowed).map(Some),
            None if client.public || self.config.pkce_required => {
                Err(OAuthError::invalid_request("code_challenge is required (PKCE, RFC 7636)"))
            }
            None if method.is_some() => {
                Err(OAuthError::invalid_request("code_challenge_method without code_challenge"))
            }
            None => Ok(None),
        }
    }

    async fn issue_code(
        &self,
        request: &AuthorizationRequest,
        subject: &str,
        authentication: &Authentication,
    ) -> Result<AuthorizationResponse, OAuthError> {
        let now = self.now();
        let code = Secret::generate(SecretKind::AuthorizationCode)?;
        let openid = request.openid.as_ref().map(|openid| OpenIdGrant {
            nonce: openid.nonce.clone(),
            authentication: authentication.clone(),
            claims: openid.claims.clone(),
        });
        // The session learns of the client before the client can hold anything of it, so
        // that a logout of the session reaches every client it signed into.
        if let (Some(_), Some(sid)) = (&openid, &authentication.session_id) {
            self.store.record_session_client(sid, &request.client.id, now).await?;
        }
        self.store
            .insert_code(&AuthorizationCode {
                hash: code.hash(),
                grant_id: random_string(16)?,
                client_id: request.client.id.clone(),
                subject: subject.to_owned(),
                redirect_uri: request.redirect_uri_sent.then(|| request.redirect_uri.clone()),
                scope: request.scope.clone(),
                challenge: request.challenge.clone(),
                resources: request.resources.clone(),
                issued_at: now,
                expires_at: now + seconds(self.config.lifetimes.authorization_code),
                consumed_at: None,
                openid,
            })
            .await?;
        let mut fields = vec![("code", code.expose().to_owned())];
        fields.extend(request.state.clone().map(|state| ("state", state)));
        Ok(self.redirect(&request.redirect_uri, request.response_mode, fields))
    }

    async fn issue_token_in_fragment(
        &self,
        request: &AuthorizationRequest,
        subject: &str,
    ) -> Result<AuthorizationResponse, OAuthError> {
        let response =
            self.issue_implicit(&request.client, subject, &request.scope, request.resources.clone()).await?;
        let mut fields = vec![
            ("access_token", response.access_token.expose().to_owned()),
            ("token_type", "Bearer".to_owned()),
            ("expires_in", response.expires_in.to_string()),
        ];
        if !response.scope.is_empty() {
            fields.push(("scope", response.scope.to_string()));
        }
        fields.extend(request.state.clone().map(|state| ("state", state)));
        Ok(self.redirect(&request.redirect_uri, request.response_mode, fields))
    }

    fn error_redirect(
        &self,
        redirect_uri: &str,
        mode: ResponseMode,
        error: &OAuthError,
        state: Option<&str>,
    ) -> AuthorizationResponse {
        let mut fields = vec![
            ("error", error.code.as_str().to_owned()),
            ("error_description", error.description.to_string()),
        ];
        fields.extend(state.map(|state| ("state", state.to_owned())));
        self.redirect(redirect_uri, mode, fields)
    }

    /// The response parameters with `iss` (RFC 9207 §2) added, for `redirect_uri` in `mode`.
    fn redirect(
        &self,
        redirect_uri: &str,
        mode: ResponseMode,
        mut fields: Vec<(&str, String)>,
    ) -> AuthorizationResponse {
        fields.push(("iss", self.config.issuer.clone()));
        AuthorizationResponse::new(redirect_uri, mode, fields)
    }
}

/// RFC 6749 Appendix A: VSCHAR = %x20-7E.
fn is_vschar(value: &str) -> bool {
    value.bytes().all(|byte| (0x20..=0x7e).contains(&byte))
}
