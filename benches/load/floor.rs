//! The floor of issue 14's target 1: the least a warp server of the same
//! warp and hyper versions does for a request. One route answering
//! `{"msg":"ok"}`, served by `warp::serve` in this process on a runtime of
//! its own (tokio's default worker count, as the real server uses), so each
//! bench run measures guestlist against it in the same minutes.

use std::net::SocketAddr;

use warp::Filter;

/// Starts the floor server on 127.0.0.1 and returns its base URL. It runs
/// until the bench process exits.
pub fn start() -> String {
    let (bound, addr) = std::sync::mpsc::channel::<SocketAddr>();
    std::thread::Builder::new()
        .name("floor".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .expect("the floor's runtime starts");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                bound.send(listener.local_addr().unwrap()).unwrap();
                let ok = warp::any().map(|| warp::reply::json(&serde_json::json!({"msg": "ok"})));
                warp::serve(ok).incoming(listener).run().await;
            });
        })
        .expect("the floor's thread starts");
    format!("http://{}", addr.recv().expect("the floor listens"))
}
