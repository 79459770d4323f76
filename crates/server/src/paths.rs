//! Every path the server answers, in one table: the router mounts from it
//! (`routes.rs`), handler scripts may not take its paths (`scripts/handlers.rs`), and the
//! metrics label requests by it (`metrics.rs`). Each path names the switch it depends on,
//! so a switched-off feature is not mounted at all.

/// What decides whether a path is mounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Feature {
    /// Always served.
    Always,
    /// The device authorization grant is on (RFC 8628).
    DeviceGrant,
    /// The server has signing keys.
    SigningKeys,
    /// `[metrics] token` is set: `/metrics` on the public port, behind that bearer token.
    PublicMetrics,
    /// `[registration] mode` is not `off` (RFC 7591).
    Registration,
}

/// Declares the table once: the enum of routes, the list of them, each one's path and feature.
macro_rules! table {
    ($($(#[$doc:meta])* $route:ident => $path:literal, $feature:ident;)*) => {
        /// A path the server answers.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Route {
            $($(#[$doc])* $route,)*
        }

        impl Route {
            /// Every route, in the table's order.
            pub(crate) const ALL: &[Route] = &[$(Route::$route),*];

            /// Its path.
            pub(crate) const fn path(self) -> &'static str {
                match self {
                    $(Route::$route => $path,)*
                }
            }

            /// The switch it depends on.
            pub(crate) const fn feature(self) -> Feature {
                match self {
                    $(Route::$route => Feature::$feature,)*
                }
            }
        }
    };
}

table! {
    /// RFC 6749 §3.1.
    Authorize => "/authorize", Always;
    /// RFC 6749 §3.2.
    Token => "/token", Always;
    /// The seed's path for the token endpoint.
    AccessToken => "/access-token", Always;
    /// RFC 9126 §2: pushed authorization requests.
    Par => "/par", Always;
    /// RFC 7009.
    Revoke => "/revoke", Always;
    /// RFC 7662.
    Introspect => "/introspect", Always;
    /// RFC 8414 §3 (and, for an issuer with a path, the same under that path).
    Metadata => "/.well-known/oauth-authorization-server", Always;
    /// OpenID Connect Discovery 1.0 §4: the same document, the suffix appended to the
    /// issuer (for an issuer with a path, under that path too).
    OpenIdConfiguration => "/.well-known/openid-configuration", SigningKeys;
    /// RFC 7517: the public signing keys.
    Jwks => "/jwks.json", SigningKeys;
    /// OpenID Connect Core §5.3.
    Userinfo => "/userinfo", SigningKeys;
    /// RFC 8628 §3.1. Mounted even with the grant off, so that a client learns why in an
    /// RFC 6749 §5.2 answer (`unsupported_grant_type`) rather than from an HTML 404.
    DeviceAuthorization => "/device_authorization", Always;
    /// RFC 8628 §3.3: where a person enters a device's user code (`verification_uri`).
    Device => "/device", DeviceGrant;
    /// The device's consent form.
    DeviceConsent => "/device/consent", DeviceGrant;
    /// The login form.
    Login => "/login", Always;
    /// The consent form.
    Consent => "/consent", Always;
    /// Signing out.
    Logout => "/logout", Always;
    /// The pages' stylesheet.
    Stylesheet => "/assets/style.css", Always;
    /// The process answers.
    HealthLive => "/health/live", Always;
    /// The process can serve: its database answers.
    HealthReady => "/health/ready", Always;
    /// Prometheus metrics on the public port.
    Metrics => "/metrics", PublicMetrics;
    /// RFC 7591 §3: the client registration endpoint.
    Register => "/register", Registration;
    /// RFC 7592 §2: the client configuration endpoint, a client's `registration_client_uri`.
    RegistrationClient => "/register/{client_id}", Registration;
}

/// Where the protocol's endpoints are, for the metadata and for the URLs that DPoP proofs
/// and client assertions name.
pub(crate) const ENDPOINTS: oauth2u_core::endpoints::metadata::EndpointPaths =
    oauth2u_core::endpoints::metadata::EndpointPaths {
        authorization: Route::Authorize.path(),
        token: Route::Token.path(),
        revocation: Route::Revoke.path(),
        introspection: Route::Introspect.path(),
        device_authorization: Route::DeviceAuthorization.path(),
        jwks: Route::Jwks.path(),
        userinfo: Route::Userinfo.path(),
        end_session: Route::Logout.path(),
        registration: Route::Register.path(),
        pushed_authorization_request: Route::Par.path(),
    };

impl Route {
    /// The route whose path this is.
    pub(crate) fn find(path: &str) -> Option<Route> {
        Route::ALL.iter().copied().find(|route| route.path() == path)
    }
}

#[cfg(test)]
mod tests {
    use super::Route;

    #[test]
    fn no_two_routes_share_a_path() {
        for (index, route) in Route::ALL.iter().enumerate() {
            assert_eq!(Route::find(route.path()), Some(*route), "{route:?}");
            assert!(!Route::ALL[index + 1..].iter().any(|other| other.path() == route.path()), "{route:?}");
        }
    }
}
