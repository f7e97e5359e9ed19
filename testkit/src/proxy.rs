//! A TCP proxy in front of a local server (anvil's RPC, say) that a test cuts and restores: cut,
//! it shuts every open connection down and closes new ones as soon as they are accepted. Plain
//! threads, so it runs whatever the test's runtime is doing.

use std::{
    net::{Shutdown, SocketAddr, TcpListener, TcpStream},
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc, Mutex,
    },
};

/// A proxy to `127.0.0.1:<target port>`, stopped when dropped.
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    refused: Arc<AtomicUsize>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    /// Starts a proxy to `127.0.0.1:target_port` on a free port.
    pub fn start(target_port: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port for the proxy");
        let proxy = Self {
            addr: listener.local_addr().expect("its address"),
            up: Arc::new(AtomicBool::new(true)),
            stop: Arc::new(AtomicBool::new(false)),
            refused: Arc::new(AtomicUsize::new(0)),
            open: Arc::new(Mutex::new(Vec::new())),
        };
        let (up, stop, refused, open) = (
            proxy.up.clone(),
            proxy.stop.clone(),
            proxy.refused.clone(),
            proxy.open.clone(),
        );
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                if !up.load(Ordering::SeqCst) {
                    refused.fetch_add(1, Ordering::SeqCst);
                    client.shutdown(Shutdown::Both).ok();
                    continue;
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", target_port)) else {
                    continue;
                };
                let (Ok(client_copy), Ok(server_copy)) = (client.try_clone(), server.try_clone()) else {
                    continue;
                };
                open.lock()
                    .expect("the proxy's connections")
                    .extend([client_copy, server_copy]);
                if let (Ok(from_client), Ok(to_server)) = (client.try_clone(), server.try_clone()) {
                    pipe(from_client, to_server);
                    pipe(server, client);
                }
            }
        });
        proxy
    }

    /// The URL to give clients instead of the target's.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Cuts every open connection and refuses new ones until [`Self::restore`].
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for stream in self.open.lock().expect("the proxy's connections").drain(..) {
            stream.shutdown(Shutdown::Both).ok();
        }
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }

    /// Connections refused while cut.
    pub fn refused(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }
}

/// Copies `from` into `to` on a thread of its own until `from` ends.
fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        std::io::copy(&mut from, &mut to).ok();
        to.shutdown(Shutdown::Write).ok();
    });
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.cut();
        // Wakes the accept loop so that it sees `stop`.
        TcpStream::connect(self.addr).ok();
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    /// An echo server: every connection gets back what it sends.
    fn echo() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || {
                    let mut reader = stream.try_clone().unwrap();
                    let mut writer = stream;
                    std::io::copy(&mut reader, &mut writer).ok();
                });
            }
        });
        port
    }

    fn round_trip(addr: &str) -> Option<String> {
        let mut stream = TcpStream::connect(addr).ok()?;
        stream.set_read_timeout(Some(std::time::Duration::from_secs(2))).ok()?;
        stream.write_all(b"ping").ok()?;
        let mut buf = [0u8; 4];
        stream.read_exact(&mut buf).ok()?;
        Some(String::from_utf8_lossy(&buf).into_owned())
    }

    #[test]
    fn passes_traffic_refuses_it_while_cut_and_passes_it_again_once_restored() {
        let proxy = Proxy::start(echo());
        let addr = proxy.url().trim_start_matches("http://").to_owned();
        assert_eq!(round_trip(&addr).as_deref(), Some("ping"));
        proxy.cut();
        assert_eq!(round_trip(&addr), None);
        assert_eq!(proxy.refused(), 1);
        proxy.restore();
        assert_eq!(round_trip(&addr).as_deref(), Some("ping"));
    }
}
