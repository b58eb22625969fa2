//! Shared by the sync tests: a laptop (a real data directory driven through the real CLI
//! binary), and a company hub with three enrolled members whose founder's laptop has joined.
#![allow(dead_code)]
use serde_json::Value;

use crate::common::Workspace;
use crate::hub::PgServer;

pub const PASS: &str = "correct horse battery";
pub const MAYA: &str = "maya@acme.example";
pub const DAN: &str = "dan@acme.example";
pub const RITA: &str = "rita@acme.example";

/// One laptop: a data directory and the CLI (a `Workspace`), every member's passphrase
/// being PASS.
pub struct Laptop(pub Workspace);

impl std::ops::Deref for Laptop {
    type Target = Workspace;
    fn deref(&self) -> &Workspace {
        &self.0
    }
}

impl Laptop {
    pub fn new() -> Laptop {
        Laptop(Workspace::with_passphrases(PASS, PASS))
    }
    pub fn sync(&self) -> Value {
        self.json(&["sync"])
    }
    /// What every replica must agree on: the team, the playbook (versions, who signed, what
    /// is in force), and the count of every synced table.
    pub fn state(&self) -> Value {
        let mut agreements = self.json(&["agreements", "list"]);
        strip_viewer(&mut agreements);
        serde_json::json!({
            "members": self.json(&["members", "list"]),
            "agreements": agreements,
            "rows": self.0.sql("SELECT (SELECT count(*) FROM member_records) || ' ' || (SELECT count(*) FROM agreement_versions) || ' ' || (SELECT count(*) FROM agreement_signoffs) || ' ' || (SELECT count(*) FROM handoff_events) || ' ' || (SELECT count(*) FROM contacts)"),
        })
    }
    pub fn propose_term(&self, name: &str, definition: &str, author: &str) -> Value {
        self.json(&[
            "agreements",
            "propose",
            "--kind",
            "term",
            "--name",
            name,
            "--definition",
            definition,
            "--as",
            author,
        ])
    }
}

/// Fields that depend on who is looking (none here: no identity is chosen in the CLI) are
/// left out of comparisons between laptops.
pub fn strip_viewer(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("youMaySign");
            m.remove("signBlocker");
            for x in m.values_mut() {
                strip_viewer(x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(strip_viewer),
        _ => {}
    }
}

/// A company hub with Maya (marketing manager), Dan (sales manager) and Rita (sales rep):
/// Maya's laptop founds the team, the owner sets up the hub and enrols all three.
pub struct Team {
    pub pg: PgServer,
    pub maya: Laptop,
    pub codes: std::collections::HashMap<&'static str, String>,
}

pub fn team() -> Team {
    team_on(PgServer::start())
}

/// The team on a server the caller started (with settings of its own).
pub fn team_on(pg: PgServer) -> Team {
    pg.create_database("acme");
    let maya = Laptop::new();
    maya.ok(&[
        "members",
        "add",
        "--email",
        MAYA,
        "--name",
        "Maya Field",
        "--side",
        "marketing",
        "--role",
        "manager",
    ]);
    maya.ok(&[
        "members",
        "add",
        "--email",
        DAN,
        "--name",
        "Dan Ortiz",
        "--side",
        "sales",
        "--role",
        "manager",
        "--as",
        MAYA,
    ]);
    maya.ok(&[
        "members",
        "add",
        "--email",
        RITA,
        "--name",
        "Rita Moreau",
        "--side",
        "sales",
        "--role",
        "rep",
        "--as",
        MAYA,
    ]);
    let url = pg.owner_url("acme");
    maya.ok(&["hub", "init", "--url", &url]);
    let mut codes = std::collections::HashMap::new();
    for email in [MAYA, DAN, RITA] {
        let v = maya.json(&["hub", "enrol", "--url", &url, "--email", email]);
        codes.insert(email, v["code"].as_str().unwrap().to_string());
    }
    let j = maya.json(&["sync", "join", &codes[MAYA]]);
    assert_eq!(j["rejected"], 0, "the founder's team goes up whole: {j}");
    assert_eq!(
        j["pushed"], 4,
        "three member records and the founding row: {j}"
    );
    Team { pg, maya, codes }
}

impl Team {
    pub fn laptop_for(&self, email: &str) -> Laptop {
        let l = Laptop::new();
        l.ok(&["sync", "join", &self.codes[email]]);
        l
    }
}

pub fn hub_link(l: &Laptop) -> serde_json::Map<String, Value> {
    let s: Value =
        serde_json::from_str(&std::fs::read_to_string(l.0.data_file("settings.json")).unwrap())
            .unwrap();
    s["hub"].as_object().unwrap().clone()
}

pub fn set_hub_link(l: &Laptop, hub: serde_json::Map<String, Value>) {
    let path = l.0.data_file("settings.json");
    let mut s: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    s["hub"] = Value::Object(hub);
    std::fs::write(path, s.to_string()).unwrap();
}
