//! Reading one figure off the server's `/metrics`, for `benches/load.rs`.

use std::io::{Read, Write};
use std::net::TcpStream;

/// The value of the sample named exactly `name` (no labels), or NaN.
pub fn metric(base: &str, name: &str) -> f64 {
    let address = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).expect("the server accepts");
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(f64::NAN)
}
