//! The design guestlist's hit path is measured against (`benches/cluster.rs`):
//! verify the JWT, then ask Redis on every request whether its entry still
//! exists. A fair version of it, not a strawman: HS256 with the keys and
//! the validation built once, one multiplexed connection (`ConnectionManager`)
//! shared by every request, one `EXISTS` per request, no lock.
//!
//! It reads guestlist's own token entries (`<prefix>t:<jti>`, which expire
//! by `EXPIREAT` and vanish on logout), so both designs answer from the
//! same data:
//!
//! ```text
//! GUESTLIST_SECRET=... JWT_REDIS_URL=redis+unix:///tmp/redis.sock \
//!     target/release/examples/jwt_redis      # prints: listening on http://ADDR
//! curl -H "Authorization: Bearer $TOKEN" http://ADDR/need_login
//! ```
//!
//! `JWT_REDIS_PREFIX` is guestlist's `--redis-prefix` (default `guestlist:`).

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use redis::aio::ConnectionManager;
use serde::Deserialize;
use warp::Filter;
use warp::http::StatusCode;

/// The claims this design needs; the others are checked by `Validation`.
#[derive(Deserialize)]
struct Claims {
    jti: String,
}

struct Verifier {
    key: DecodingKey,
    validation: Validation,
    prefix: String,
}

impl Verifier {
    /// The entry's key if the token verifies, else `None`.
    fn key_of(&self, authorization: &str) -> Option<String> {
        let token = authorization.strip_prefix("Bearer ")?;
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation).ok()?;
        Some(format!("{}t:{}", self.prefix, data.claims.jti))
    }
}

async fn check(verifier: &Verifier, mut conn: ConnectionManager, auth: String) -> StatusCode {
    let Some(key) = verifier.key_of(&auth) else {
        return StatusCode::UNAUTHORIZED;
    };
    let exists: redis::RedisResult<bool> =
        redis::cmd("EXISTS").arg(key).query_async(&mut conn).await;
    match exists {
        Ok(true) => StatusCode::OK,
        Ok(false) => StatusCode::UNAUTHORIZED,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

fn verifier() -> Verifier {
    let secret = std::env::var("GUESTLIST_SECRET").expect("GUESTLIST_SECRET is set");
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    validation.set_issuer(&["guestlist"]);
    Verifier {
        key: DecodingKey::from_secret(secret.as_bytes()).expect("an HS256 key"),
        validation,
        prefix: std::env::var("JWT_REDIS_PREFIX").unwrap_or_else(|_| "guestlist:".into()),
    }
}

#[tokio::main]
async fn main() {
    let url = std::env::var("JWT_REDIS_URL").expect("JWT_REDIS_URL is set");
    let client = redis::Client::open(url).expect("a Redis URL");
    let conn = ConnectionManager::new(client).await.expect("Redis answers");
    // Leaked once: every request borrows it, as a server's state would.
    let verifier: &'static Verifier = Box::leak(Box::new(verifier()));
    let route = warp::path!("need_login")
        .and(warp::get())
        .and(warp::header::<String>("authorization"))
        .then(move |auth: String| {
            let conn = conn.clone();
            async move {
                let status = check(verifier, conn, auth).await;
                let body = match status {
                    StatusCode::OK => "if you see this, that means your token is valid",
                    _ => "",
                };
                warp::reply::with_status(body, status)
            }
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("listening on http://{}", listener.local_addr().unwrap());
    warp::serve(route).incoming(listener).run().await;
}
