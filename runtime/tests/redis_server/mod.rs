//! A throwaway `redis-server` for the tests that kill, stall or restart Redis (the shared one at
//! 127.0.0.1:6379 is never touched): its own free loopback port, no persistence unless asked,
//! and killed when dropped, also when the test panics.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One `redis-server` process (restartable on the same port).
pub struct RedisServer {
    port: u16,
    child: Option<Child>,
    dir: PathBuf,
    persistent: bool,
}

impl RedisServer {
    /// `redis-server --save '' --appendonly no`: everything lives in memory and dies with it.
    pub fn start() -> Self {
        Self::spawn(false)
    }

    /// With an append-only file synced on every write (`--appendfsync always`), in a
    /// directory of its own: what survives a restart is what SECURITY.md recommends.
    pub fn start_persistent() -> Self {
        Self::spawn(true)
    }

    fn spawn(persistent: bool) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let dir =
            std::env::temp_dir().join(format!("portcullis-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("redis data directory");
        let mut server = Self {
            port,
            child: None,
            dir,
            persistent,
        };
        server.restart();
        server
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The process id (of the running server).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("server running").id()
    }

    /// Starts the server again on the same port (after [`kill`](Self::kill)) and waits until it
    /// answers `PING`.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let port = self.port.to_string();
        let dir = self.dir.to_str().expect("temp dir is UTF-8").to_owned();
        let mut args = vec![
            "--port",
            &port,
            "--bind",
            "127.0.0.1",
            "--dir",
            &dir,
            "--save",
            "",
        ];
        if self.persistent {
            args.extend(["--appendonly", "yes", "--appendfsync", "always"]);
        } else {
            args.extend(["--appendonly", "no"]);
        }
        let child = Command::new("redis-server")
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("PORTCULLIS_TEST_SERVICES=1 needs the `redis-server` binary: {e}")
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.answers_ping() {
            assert!(
                Instant::now() < deadline,
                "redis-server on port {} did not start",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn answers_ping(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
        let mut buf = [0u8; 7];
        s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
    }

    /// SIGKILL: the server is gone at once, open connections are reset.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGSTOP: the server keeps its sockets but answers nothing (a stalled server).
    pub fn stall(&self) {
        self.signal("-STOP");
    }

    /// SIGCONT after [`stall`](Self::stall).
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([sig, &self.pid().to_string()])
            .status()
            .expect("kill(1)");
        assert!(status.success(), "kill {sig} failed");
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        // SIGKILL also ends a stopped process.
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
