//! A small WebDriver client for the browser tests: real headless Chromium driven through
//! Debian's chromedriver over its HTTP protocol.

use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    profile: std::path::PathBuf,
}

/// Installs Chromium and its driver the way `.ci/run` does, if they are missing.
fn ensure_installed() {
    // Tests run in parallel threads: one installs, the others wait for it (apt holds a lock).
    static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = INSTALLING.lock().unwrap_or_else(|e| e.into_inner());
    let fonts = std::path::Path::new("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc");
    if std::path::Path::new("/usr/bin/chromedriver").exists()
        && std::path::Path::new("/usr/bin/chromium").exists()
        && fonts.exists()
    {
        return;
    }
    let ok = Command::new("sh")
        .args(["-c", "apt-get update -qq && apt-get install -y -qq chromium chromium-driver fonts-wqy-zenhei"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "Chromium is needed for the browser tests and could not be installed (apt-get install chromium chromium-driver)");
}

impl Browser {
    /// A fresh headless Chromium with an empty profile and a window of `width`×`height`.
    pub async fn start(width: u32, height: u32) -> Browser {
        ensure_installed();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let start = Instant::now();
        while http.get(format!("{base}/status")).send().await.is_err() {
            assert!(start.elapsed() < Duration::from_secs(20), "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = std::env::temp_dir().join(format!("civicgrid-chromium-{}-{port}", std::process::id()));
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                         "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-dev-shm-usage",
                         format!("--user-data-dir={}", profile.display()), format!("--window-size={width},{height}"),
                         "--lang=zh-CN"]
            }
        }}});
        let r: Value = http.post(format!("{base}/session")).json(&caps).send().await.unwrap().json().await.unwrap();
        let session = r["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {r}")).to_owned();
        let b = Browser { driver, base, session, http, profile };
        // The page area itself is exactly width × height, whatever the window's frame takes.
        b.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}),
        )
        .await;
        b
    }

    async fn cmd(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body),
        };
        let r: Value = req.send().await.unwrap().json().await.unwrap();
        r["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.cmd("POST", "/url", json!({"url": url})).await;
    }

    /// Runs a script in the page and returns its value.
    pub async fn eval(&self, script: &str) -> Value {
        self.cmd("POST", "/execute/sync", json!({"script": script, "args": []})).await
    }

    /// Waits until `script` returns something truthy.
    pub async fn wait_for(&self, script: &str, within: Duration) -> Value {
        let start = Instant::now();
        loop {
            let v = self.eval(script).await;
            let truthy =
                !(v.is_null() || v == json!(false) || v == json!("") || v == json!(0) || v.get("error").is_some());
            if truthy {
                return v;
            }
            if start.elapsed() >= within {
                let shot =
                    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots/failure.png");
                self.screenshot(&shot).await;
                let text = self.eval("return document.body.innerText.slice(0, 2000)").await;
                panic!(
                    "waited {within:?} for {script}; last value {v}; screenshot {}; page text: {text}",
                    shot.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn element(&self, css: &str) -> String {
        let start = Instant::now();
        loop {
            let v = self.cmd("POST", "/element", json!({"using": "css selector", "value": css})).await;
            if let Some(id) = v.as_object().and_then(|o| o.values().next()).and_then(|x| x.as_str()) {
                if !v.get("error").is_some() {
                    return id.to_owned();
                }
            }
            assert!(start.elapsed() < Duration::from_secs(10), "no element {css}: {v}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks an element, retrying while the page re-renders it.
    pub async fn click(&self, css: &str) {
        for _ in 0..20 {
            let id = self.element(css).await;
            let v = self.cmd("POST", &format!("/element/{id}/click"), json!({})).await;
            if v.is_null() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        panic!("could not click {css}");
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        self.cmd("POST", &format!("/element/{id}/clear"), json!({})).await;
        self.cmd("POST", &format!("/element/{id}/value"), json!({"text": text})).await;
    }

    /// Chromium's DevTools commands, through chromedriver.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.cmd("POST", "/goog/cdp/execute", json!({"cmd": cmd, "params": params})).await
    }

    /// Writes a PNG of the window.
    pub async fn screenshot(&self, path: &std::path::Path) {
        use base64::Engine;
        let v = self.cmd("GET", "/screenshot", json!({})).await;
        let png = base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap()).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }

    pub async fn quit(mut self) {
        self.cmd("DELETE", "", json!({})).await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
