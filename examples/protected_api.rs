//! A small API protected by `oauth2u-guard`.
//!
//! ```sh
//! cargo run -p oauth2u -- clients add --name photos --grant-types client_credentials \
//!     --resource https://photos.example/api --access-token-format jwt --scopes "photos:read"
//! cargo run -p oauth2u -- serve &
//! cargo run -p oauth2u-guard --example protected_api &
//! TOKEN=$(curl -s -u ID:SECRET -d grant_type=client_credentials -d resource=https://photos.example/api \
//!     http://localhost:8000/token | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
//! curl -H "Authorization: Bearer $TOKEN" http://localhost:3000/photos
//! # RFC 9728: without a token, the challenge names the API's metadata, which names the server.
//! curl -i http://localhost:3000/photos
//! curl http://localhost:3000/.well-known/oauth-protected-resource/api
//! ```

use axum::Router;
use axum::routing::get;
use oauth2u_guard::{AccessToken, Guard};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let guard = Guard::builder("http://localhost:8000", "https://photos.example/api")
        .jwks_uri("http://localhost:8000/jwks.json")
        .build()?;
    let app = Router::new()
        .route(
            "/photos",
            get(|token: AccessToken| async move {
                format!("photos of {}\n", token.subject().unwrap_or("nobody"))
            }),
        )
        .layer(guard.require(["photos:read"]))
        // The API's protected-resource metadata (RFC 9728), outside the guard: it is public.
        .merge(guard.metadata_router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("protected API on http://127.0.0.1:3000/photos");
    axum::serve(listener, app).await?;
    Ok(())
}
