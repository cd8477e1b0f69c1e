//! The floor of the load bench on its own, for `benches/ab.sh`:
//! `cargo build --release --example floor`, then `target/release/examples/floor`
//! prints `listening on http://ADDR` and serves until killed.

#[path = "../benches/load/floor.rs"]
mod floor;

fn main() {
    println!("listening on {}", floor::start());
    loop {
        std::thread::park();
    }
}
