//! RFC 6749 §3.1, §4.1.1–§4.1.2 and §4.2.1–§4.2.2 — the authorization endpoint.
//!
//! Validation happens in two stages (§4.1.2.1): until the client and its redirect URI are
//! established, errors are shown to the user and never redirected; after that, errors go
//! back to the client with `error`, `error_description`, `state` and `iss` (RFC 9207).

use crate::authorization_request::{AuthorizationRequest, Pushed, ResponseType};
use crate::authorization_response::{AuthorizationResponse, ResponseMode};
use crate::clock::seconds;
use crate::error::{ErrorCode, OAuthError};
use crate::model::{Authentication, AuthorizationCode, Client, OpenIdGrant};
use crate::openid::claims::restrict_claims_request;
use crate::openid::{OFFLINE_ACCESS, OpenIdRequest, is_openid_scope};
use crate::params::Params;
use crate::pkce::CodeChallenge;
use crate::provider::Provider;
use crate::resource::requested_resources;
use crate::secret::{Secret, SecretKind, random_string};

use super::request_source::{is_vschar, outer_redirect};
use crate::dpop::check_jkt;

/// How an authorization request fails.
#[derive(Debug)]
pub enum AuthorizeError {
    /// §4.1.2.1: the client or the redirect URI is missing, unknown or invalid: tell the
    /// resource owner, "MUST NOT automatically redirect".
    Page(OAuthError),
    /// Every other error: a response to the client's URI, carrying the error.
    Redirect(AuthorizationResponse),
}

/// Why a request is refused before a response goes to the client.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// The client or its redirect URI is not established: tell the user.
    Page(OAuthError),
    /// The redirect URI is trusted: the error goes back to it.
    ToClient { error: OAuthError, redirect_uri: String, mode: ResponseMode, state: Option<String> },
}

impl Refusal {
    /// The error itself, wherever it would have gone (for the PAR endpoint's JSON, §2.3).
    pub(crate) fn into_error(self) -> OAuthError {
        match self {
            Self::Page(error) | Self::ToClient { error, .. } => error,
        }
    }
}

impl Provider {
    /// Validates an authorization request (§4.1.1, §4.2.1, RFC 7636 §4.3): its own
    /// parameters, a pushed request's (RFC 9126 §4) or a request object's (RFC 9101 §5).
    pub async fn validate_authorization(
        &self,
        params: &Params,
    ) -> Result<AuthorizationRequest, AuthorizeError> {
        let page = AuthorizeError::Page;
        let client = self.requesting_client(params).await.map_err(page)?;
        let (effective, pushed) = match self.resolve_request(&client, params).await {
            Ok(resolved) => resolved,
            // RFC 9101 §6.3 and §7.2: a bad request object is reported as §4.1.2.1 says, to
            // a redirect URI the unsigned request names and the client registered.
            Err(error) if error.code == ErrorCode::InvalidRequestObject => {
                return Err(match outer_redirect(&client, params) {
                    Some((uri, state)) => AuthorizeError::Redirect(self.error_redirect(
                        &uri,
                        ResponseMode::Query,
                        &error,
                        state,
                    )),
                    None => page(error),
                });
            }
            Err(error) => return Err(page(error)),
        };
        let mut request =
            self.check_authorization(client, &effective).await.map_err(|refusal| match refusal {
                Refusal::Page(error) => page(error),
                Refusal::ToClient { error, redirect_uri, mode, state } => AuthorizeError::Redirect(
                    self.error_redirect(&redirect_uri, mode, &error, state.as_deref()),
                ),
            })?;
        if let Some(pushed) = pushed {
            // §10.1 of RFC 9449: a push with a DPoP proof or `dpop_jkt` binds the code.
            request.dpop_jkt = pushed.dpop_jkt;
            request.pushed = Some(Pushed { hash: pushed.hash, pushed_at: pushed.created_at });
        }
        Ok(request)
    }

    /// The checks of §4.1.1 and §4.2.1 on a request's parameters, for `/authorize` and for
    /// a push (RFC 9126 §2.1: "validated as it would be at the authorization endpoint").
    pub(crate) async fn check_authorization(
        &self,
        client: Client,
        params: &Params,
    ) -> Result<AuthorizationRequest, Refusal> {
        let page = Refusal::Page;
        // A pushed request or request object must name the client that sends it.
        if params.get("client_id").map_err(page)? != Some(client.id.as_str()) {
            return Err(page(OAuthError::invalid_request("client_id does not match the request's client")));
        }
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
        let fail = |error: OAuthError| Refusal::ToClient {
            error,
            redirect_uri: redirect_uri.clone(),
            mode,
            state: state.map(str::to_owned),
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
        // RFC 9449 §10: `dpop_jkt` binds the code to a DPoP key.
        let dpop_jkt = params.get("dpop_jkt").map_err(fail)?.map(check_jkt).transpose().map_err(fail)?;
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
            dpop_jkt,
            pushed: None,
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
        // RFC 9126 §4: a pushed request yields one response. Whoever consumes it first
        // answers; a second approval of the same request (two tabs) gets the page.
        if let Some(pushed) = &request.pushed
            && !self
                .store
                .consume_pushed_request(&pushed.hash)
                .await
                .map_err(|error| AuthorizeError::Page(error.into()))?
        {
            return Err(AuthorizeError::Page(OAuthError::invalid_request_uri(
                "the request_uri was used already",
            )));
        }
        // Core §3.1.2.2, §5.5.1: only the user the client expects may answer, whoever
        // approved (a page, a plugin, the development switch).
        if let Some(expected) = request.openid.as_ref().and_then(|openid| openid.expected_subject.as_deref())
        {
            let seen_as = match self.subject_for(&request.client, subject).await {
                Ok(seen_as) => seen_as,
                Err(error) => return Err(AuthorizeError::Redirect(self.error_response(request, &error))),
            };
            if seen_as != expected {
                let error =
                    OAuthError::login_required("the signed-in user is not the one the client asked for");
                return Err(AuthorizeError::Redirect(self.error_response(request, &error)));
            }
        }
        let result = match request.response_type {
            ResponseType::Code => self.issue_code(request, subject, authentication).await,
            ResponseType::Token => self.issue_token_in_fragment(request, subject).await,
        };
        result.map_err(|error| AuthorizeError::Redirect(self.error_response(request, &error)))
    }

    /// The response that reports `error` (e.g. `access_denied`) to the client. The
    /// authorization ends here: a pushed request it came from is consumed (RFC 9126 §4).
    pub async fn refuse(&self, request: &AuthorizationRequest, error: &OAuthError) -> AuthorizationResponse {
        if let Some(pushed) = &request.pushed
            && let Err(error) = self.store.consume_pushed_request(&pushed.hash).await
        {
            // It expires within a minute anyway; the refusal still goes out.
            tracing::warn!(%error, "could not consume a pushed authorization request");
        }
        self.error_response(request, error)
    }

    fn error_response(&self, request: &AuthorizationRequest, error: &OAuthError) -> AuthorizationResponse {
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
                dpop_jkt: request.dpop_jkt.clone(),
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
