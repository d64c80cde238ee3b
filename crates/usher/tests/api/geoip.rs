//! Session locations from a GeoIP database (`USHER_GEOIP_DB`): filled for
//! a login from a mapped address, absent otherwise, and a server that will
//! not start on a missing or invalid file.

use serde_json::{Value, json};
use std::net::{IpAddr, Ipv4Addr};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use usher_testkit::app::{TestApp, TestOptions, json as body};
use usher_testkit::mmdb::{MmdbWriter, city_record, country_record};

const PASSWORD: &str = "correct horse battery";

/// Loopback addresses stand in for clients: 127.0.0.1 is mapped, 127.0.0.2
/// is not (every 127/8 address reaches the server on Linux).
fn geoip_file(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let mut w = MmdbWriter::new("GeoLite2-City");
    w.insert(
        "127.0.0.1/32",
        city_record("London", "United Kingdom", "GB"),
    )
    .insert("127.0.0.3/32", country_record("Sweden", "SE"))
    .insert(
        "2a02:c7f:8000::/33",
        city_record("Zürich", "Switzerland", "CH"),
    );
    let path = dir.path().join("GeoLite2-City.mmdb");
    std::fs::write(&path, w.build()).unwrap();
    path
}

/// Logs in from `source` and answers the new session's id.
async fn login_from(app: &TestApp, source: Ipv4Addr, email: &str) -> String {
    let client = reqwest::Client::builder()
        .local_address(IpAddr::V4(source))
        .build()
        .unwrap();
    let res = client
        .post(app.url("/api/v1/tenants/default/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "login from {source}");
    let tokens = body(res).await;
    tokens["session_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no session_id in {tokens}"))
        .to_owned()
}

/// The user's sessions as an admin sees them, by id.
async fn sessions_by_id(app: &TestApp, user_id: &str) -> Vec<(String, Value)> {
    let list = body(
        app.get(&format!("/api/v1/tenants/default/users/{user_id}/sessions"))
            .await,
    )
    .await;
    list["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["items"].as_array().unwrap().clone())
        .map(|s| (s["id"].as_str().unwrap().to_owned(), s))
        .collect()
}

fn session<'a>(all: &'a [(String, Value)], id: &str) -> &'a Value {
    &all.iter().find(|(sid, _)| sid == id).unwrap().1
}

#[tokio::test]
async fn geoip_sessions_show_the_location_of_a_mapped_address_and_none_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_with(TestOptions {
        geoip_db: Some(geoip_file(&dir)),
        ..TestOptions::default()
    })
    .await;
    let user = app
        .user_with_password("default", "geo@x.example", PASSWORD)
        .await;
    let id = user["id"].as_str().unwrap();
    let london = login_from(&app, Ipv4Addr::new(127, 0, 0, 1), "geo@x.example").await;
    let unmapped = login_from(&app, Ipv4Addr::new(127, 0, 0, 2), "geo@x.example").await;
    let sweden = login_from(&app, Ipv4Addr::new(127, 0, 0, 3), "geo@x.example").await;

    let all = sessions_by_id(&app, id).await;
    assert_eq!(all.len(), 3);
    let s = session(&all, &london);
    assert_eq!(s["ip"], "127.0.0.1");
    assert_eq!(s["location"], "London, United Kingdom");
    let s = session(&all, &unmapped);
    assert_eq!(s["ip"], "127.0.0.2");
    assert_eq!(s["location"], Value::Null);
    let s = session(&all, &sweden);
    assert_eq!(s["ip"], "127.0.0.3");
    assert_eq!(s["location"], "Sweden");
}

#[tokio::test]
async fn geoip_without_a_database_sessions_have_no_location() {
    let app = TestApp::spawn().await;
    let user = app
        .user_with_password("default", "nogeo@x.example", PASSWORD)
        .await;
    let sid = login_from(&app, Ipv4Addr::LOCALHOST, "nogeo@x.example").await;
    let all = sessions_by_id(&app, user["id"].as_str().unwrap()).await;
    assert_eq!(session(&all, &sid)["location"], Value::Null);
}

/// Runs `usher serve` with `USHER_GEOIP_DB=path`; answers its stderr once
/// it exits, or panics if it is still running after 30 seconds.
fn serve_with_geoip(dir: &tempfile::TempDir, path: &std::path::Path) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_usher"))
        .arg("serve")
        .env(
            "USHER_DATABASE_URL",
            format!("sqlite://{}/usher.db", dir.path().display()),
        )
        .env("USHER_LISTEN", "127.0.0.1:0")
        .env("USHER_GEOIP_DB", path)
        .env_remove("USHER_BOOTSTRAP_TOKEN")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(!status.success(), "usher serve exited successfully");
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            return err;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("usher serve started with USHER_GEOIP_DB={}", path.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn geoip_serve_refuses_to_start_on_a_missing_or_invalid_database() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.mmdb");
    let err = serve_with_geoip(&dir, &missing);
    assert!(err.contains("USHER_GEOIP_DB"), "{err}");
    assert!(err.contains("cannot read the file"), "{err}");
    assert!(err.contains("missing.mmdb"), "{err}");

    let garbage = dir.path().join("garbage.mmdb");
    std::fs::write(&garbage, "GeoIP? no").unwrap();
    let err = serve_with_geoip(&dir, &garbage);
    assert!(err.contains("USHER_GEOIP_DB"), "{err}");
    assert!(err.contains("not a valid MaxMind DB file"), "{err}");
    // Refused before the database was touched.
    assert!(!dir.path().join("usher.db").exists());
}
