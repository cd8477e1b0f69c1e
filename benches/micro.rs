//! Criterion micro-benchmarks of the pieces of the protected route and of
//! login: `cargo bench --bench micro`. Figures go to BENCHMARKS.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use guestlist::auth::jwt::Keys;
use guestlist::auth::{header, password};
use guestlist::config::Config;
use guestlist::state::AppState;
use guestlist::time::now_secs;

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

/// A state on a fresh folder holding one minted token; answers it.
fn state_with_token(
    dir: &std::path::Path,
    runtime: &tokio::runtime::Runtime,
) -> (AppState, String, String) {
    let mut config = Config::for_tests(dir);
    config.secret = Some(SECRET.to_vec());
    let state = runtime
        .block_on(AppState::open(&config))
        .expect("the state opens");
    let keys = Keys::new(SECRET).unwrap();
    let mut out = Vec::new();
    let ttl = Duration::from_secs(3600);
    let store = state.guests.store();
    let minted = guestlist::usecases::mint::mint(store, &keys, ttl, 1, 1, &mut out);
    runtime.block_on(minted).unwrap();
    let token = String::from_utf8(out).unwrap().trim().to_owned();
    let jti = keys.verify(&token, now_secs()).unwrap().jti;
    (state, token, jti)
}

fn pieces(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (state, token, jti) = state_with_token(dir.path(), &runtime);
    let bearer = format!("Bearer {token}");
    let keys = Keys::new(SECRET).unwrap();

    c.bench_function("header parse", |b| {
        b.iter(|| {
            matches!(
                header::parse(black_box(bearer.as_bytes())),
                header::Presented::Token { .. }
            )
        })
    });
    c.bench_function("jwt verify (HS256, jsonwebtoken)", |b| {
        b.iter(|| keys.verify(black_box(&token), now_secs()).is_ok())
    });
    let store = state.guests.store();
    c.bench_function("redb lookup (Store::token_now)", |b| {
        b.iter(|| store.token_now(black_box(&jti)).unwrap().is_some())
    });
    // Warm the cache, then every admit is a hit.
    runtime
        .block_on(state.gate.admit(Some(bearer.as_bytes()), None))
        .unwrap();
    c.bench_function("gate hit path (admit, cached)", |b| {
        b.iter(|| {
            runtime
                .block_on(state.gate.admit(Some(black_box(bearer.as_bytes())), None))
                .is_ok()
        })
    });
    c.bench_function("gate miss path (admit after forget_all)", |b| {
        b.iter(|| {
            state.gate.forget_all();
            runtime
                .block_on(state.gate.admit(Some(black_box(bearer.as_bytes())), None))
                .is_ok()
        })
    });
}

fn bcrypt(c: &mut Criterion) {
    for cost in [4u32, 10, 12] {
        let hash = password::hash("correct horse battery", cost).unwrap();
        let mut group = c.benchmark_group("bcrypt verify");
        if cost >= 10 {
            // ≈ 0.1 s and 0.3 s per call: the minimum sample count suffices.
            group
                .sample_size(10)
                .measurement_time(Duration::from_secs(if cost == 12 { 4 } else { 2 }));
        }
        group.bench_function(format!("cost {cost}"), |b| {
            b.iter(|| password::verify(black_box("correct horse battery"), &hash))
        });
        group.finish();
    }
}

criterion_group!(benches, pieces, bcrypt);
criterion_main!(benches);
