//! A minimal blocking HTTP/1.1 client for the oracle's own API (`gpu-oracle attest`, tests):
//! plain `http://host:port`, `Connection: close`, no dependencies.

use std::{
    io::{Read, Write},
    net::TcpStream,
    time::Duration,
};

/// Sends `method path` to `base` (`http://host:port`) and returns the status and body.
pub fn request(base: &str, method: &str, path: &str) -> std::io::Result<(u16, String)> {
    request_with_headers(base, method, path, &[])
}

/// [`request`] with extra headers (`name`, `value`), e.g. the signed access request's.
pub fn request_with_headers(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> std::io::Result<(u16, String)> {
    let invalid = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidInput, m.to_owned());
    let host = base
        .strip_prefix("http://")
        .ok_or_else(|| invalid("only http:// URLs are supported"))?
        .trim_end_matches('/');
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut extra = String::new();
    for (name, value) in headers {
        if [name, value].iter().any(|s| s.contains(['\r', '\n'])) {
            return Err(invalid("header names and values must be one line"));
        }
        extra.push_str(name);
        extra.push_str(": ");
        extra.push_str(value);
        extra.push_str("\r\n");
    }
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: 0\r\n{extra}\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| invalid("malformed response"))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("malformed status line"))?;
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase().starts_with("transfer-encoding:") && l.to_ascii_lowercase().contains("chunked")
    });
    let body = if chunked { dechunk(body) } else { body.to_owned() };
    Ok((status, body))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}
