//! The binary as outside checks use it: real processes, real databases.

mod cli;
mod crash;
mod nodes;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_civicgrid"));
    c.env("RUST_LOG", "warn,sqlx=error");
    c
}

pub fn scenario_dir() -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/linjiang").display().to_string()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A `civicgrid serve` process.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub output: Vec<String>,
}

impl Server {
    /// Starts `serve --demo` with a short history on `db` and waits until it listens.
    pub fn start(db: &str, demo: bool) -> Server {
        Self::start_with(db, demo, &[])
    }

    /// As [`Server::start`], with more flags.
    pub fn start_with(db: &str, demo: bool, extra: &[&str]) -> Server {
        let port = free_port();
        let mut cmd = bin();
        let bind = format!("127.0.0.1:{port}");
        let scenario = scenario_dir();
        cmd.args(["serve", "--db", db, "--bind", &bind, "--scenario", &scenario, "--demo-history-days", "3"]);
        cmd.args(extra);
        if demo {
            cmd.arg("--demo");
        }
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut output = vec![];
        loop {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => {
                    let done = line.starts_with("  resident") || (!demo && line.contains("serving on"));
                    output.push(line);
                    if done {
                        break;
                    }
                }
                Err(_) if Instant::now() > deadline => panic!("server did not start: {output:?}"),
                Err(_) => {
                    if let Ok(Some(status)) = child.try_wait() {
                        panic!("server exited with {status}: {output:?}");
                    }
                }
            }
        }
        Server { child, base: format!("http://127.0.0.1:{port}"), output }
    }

    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn login(http: &reqwest::Client, base: &str, user: &str) -> String {
    let r: serde_json::Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": user, "password": "linjiang2024"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["token"].as_str().unwrap_or_else(|| panic!("login failed: {r}")).to_owned()
}
