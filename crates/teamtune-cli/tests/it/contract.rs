//! The JSON contract: the `--json` output of every command (and `metrics export` in all three
//! formats), pinned by the snapshots in `snapshots/`. The runs are simulated in virtual time
//! with fixed seeds, so everything but wall-clock timestamps, run ids and temp paths is
//! deterministic; those three are redacted.
//!
//! A missing or changed snapshot fails the test (insta writes the new output next to it as
//! `.snap.new`). After a deliberate change to the output, review and accept it with
//! `cargo insta review` (or `INSTA_UPDATE=always cargo test -p teamtune-cli --test it contract`
//! and read the diff).
//!
//! The output is read with a small parser ([`Parser`]) that keeps repeated keys, renamed
//! `KEY (duplicate #2)`, so a key printed twice in one object shows in the snapshot instead of
//! silently losing one value, and that reads floats exactly as printed.

use std::path::Path;
use std::process::Output;

use serde_json::{Map, Value};

use crate::{repo_root, stderr, stdout, teamtune};

/// Keys whose values are wall-clock times.
const TIMESTAMP_KEYS: [&str; 5] = [
    "start_time",
    "end_time",
    "created_at",
    "ended_at",
    "timestamp",
];

/// Where the temp dir is written in the snapshots.
const TMP: &str = "[TMP]";

/// A temp dir that commands run in, with the sequential-audit example copied into it.
struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Self {
        let ws = Workspace {
            dir: tempfile::tempdir().unwrap(),
        };
        let example = std::fs::read_to_string(repo_root().join("examples/sequential-audit.yaml"))
            .expect("the example is readable");
        ws.write("audit.yaml", &example);
        ws
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path().join(name), text).unwrap();
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path().join(name)).unwrap()
    }

    /// Runs `teamtune ARGS` in the temp dir, checks the exit code and returns stdout with the
    /// temp dir replaced by `[TMP]`.
    fn run(&self, args: &[&str], code: i32) -> String {
        let out = teamtune(self.path(), args);
        expect_code(&out, args, code);
        self.untemp(&stdout(&out))
    }

    fn untemp(&self, text: &str) -> String {
        let mut prefixes = vec![self.path().display().to_string()];
        if let Ok(c) = self.path().canonicalize() {
            prefixes.push(c.display().to_string());
        }
        // Longest first: one may be a prefix of the other.
        prefixes.sort_by_key(|p| std::cmp::Reverse(p.len()));
        prefixes
            .iter()
            .fold(text.to_string(), |t, p| t.replace(p.as_str(), TMP))
    }
}

fn expect_code(out: &Output, args: &[&str], code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "teamtune {}\nstderr: {}",
        args.join(" "),
        stderr(out)
    );
}

/// The snapshot settings: redacted timestamps and run ids, the command line as description.
fn settings(args: &[&str]) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_description(format!("teamtune {}", args.join(" ")));
    s.set_omit_expression(true);
    for key in TIMESTAMP_KEYS {
        s.add_redaction(&format!(".**.{key}"), "[timestamp]");
    }
    s.add_redaction(".**.run_id", "[run_id]");
    s
}

/// Pins one JSON value as snapshot `name`.
fn snapshot(name: &str, args: &[&str], value: &Value) {
    settings(args).bind(|| insta::assert_json_snapshot!(name, value));
}

/// Pins text (CSV) as snapshot `name`.
fn snapshot_text(name: &str, args: &[&str], text: &str) {
    settings(args).bind(|| insta::assert_snapshot!(name, text));
}

/// One JSON document and nothing else (but whitespace).
fn parse(text: &str) -> Value {
    let mut p = Parser { text, at: 0 };
    let v = p.value();
    p.space();
    assert_eq!(p.at, text.len(), "more than one JSON document:\n{text}");
    v
}

/// One JSON document per line, as an array.
fn parse_lines(text: &str) -> Value {
    assert!(text.ends_with('\n'), "the last line ends with a newline");
    Value::Array(text.lines().map(parse).collect())
}

/// A JSON reader for the snapshots, stricter and more faithful than `serde_json::from_str`:
/// a repeated key in an object is kept, renamed `KEY (duplicate #N)`, and a float is read
/// with `str::parse`, which rounds correctly (serde_json without `float_roundtrip` may be one
/// ulp off, and the snapshot would then show a number the command did not print).
struct Parser<'a> {
    text: &'a str,
    at: usize,
}

impl Parser<'_> {
    fn fail(&self, what: &str) -> ! {
        panic!(
            "not JSON ({what} at byte {}): {}",
            self.at,
            &self.text[self.at..(self.at + 80).min(self.text.len())]
        )
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.space();
        let hit = self.peek() == Some(c);
        if hit {
            self.at += 1;
        }
        hit
    }

    fn value(&mut self) -> Value {
        self.space();
        match self.peek() {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => Value::String(self.string()),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => {
                for (word, v) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if self.text[self.at..].starts_with(word) {
                        self.at += word.len();
                        return v;
                    }
                }
                self.fail("a value")
            }
        }
    }

    fn object(&mut self) -> Value {
        self.at += 1;
        let mut object = Map::new();
        if self.eat(b'}') {
            return Value::Object(object);
        }
        loop {
            self.space();
            let key = self.string();
            if !self.eat(b':') {
                self.fail("`:`");
            }
            let v = self.value();
            let mut name = key.clone();
            let mut n = 2;
            while object.contains_key(&name) {
                name = format!("{key} (duplicate #{n})");
                n += 1;
            }
            object.insert(name, v);
            if self.eat(b'}') {
                return Value::Object(object);
            }
            if !self.eat(b',') {
                self.fail("`,` or `}`");
            }
        }
    }

    fn array(&mut self) -> Value {
        self.at += 1;
        let mut items = Vec::new();
        if self.eat(b']') {
            return Value::Array(items);
        }
        loop {
            items.push(self.value());
            if self.eat(b']') {
                return Value::Array(items);
            }
            if !self.eat(b',') {
                self.fail("`,` or `]`");
            }
        }
    }

    /// A string token; serde_json decodes its escapes.
    fn string(&mut self) -> String {
        if self.peek() != Some(b'"') {
            self.fail("a string");
        }
        let start = self.at;
        self.at += 1;
        loop {
            match self.peek() {
                Some(b'"') => break,
                Some(b'\\') => self.at += 2,
                Some(_) => self.at += 1,
                None => self.fail("the end of a string"),
            }
        }
        self.at += 1;
        serde_json::from_str(&self.text[start..self.at]).unwrap_or_else(|_| self.fail("a string"))
    }

    fn number(&mut self) -> Value {
        let start = self.at;
        while matches!(
            self.peek(),
            Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
        ) {
            self.at += 1;
        }
        let token = &self.text[start..self.at];
        let v = if token.contains(['.', 'e', 'E']) {
            token.parse::<f64>().ok().map(Value::from)
        } else {
            serde_json::from_str::<Value>(token).ok()
        };
        v.unwrap_or_else(|| self.fail("a number"))
    }
}

/// Every string value under one of `keys`, anywhere in `v`.
fn values_of(v: &Value, keys: &[&str], found: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match x {
                    Value::String(s) if keys.contains(&k.as_str()) => found.push(s.clone()),
                    _ => values_of(x, keys, found),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| values_of(x, keys, found)),
        _ => {}
    }
}

#[test]
fn validate_json_of_every_example() {
    let root = repo_root();
    for name in [
        "code-review",
        "repo-stats",
        "research-team",
        "sequential-audit",
        "staged-pipeline",
    ] {
        let file = format!("examples/{name}.yaml");
        let args = ["validate", file.as_str(), "--json"];
        let out = teamtune(&root, &args);
        expect_code(&out, &args, 0);
        snapshot(
            &format!("validate_{}", name.replace('-', "_")),
            &args,
            &parse(&stdout(&out)),
        );
    }
}

/// `run --json` (one object per line) and `metrics export` of those runs in json, jsonl and csv.
#[test]
fn run_and_metrics_export() {
    let ws = Workspace::new();
    // Run 0 of seed 1 hits a simulated member failure: exit code 1, both outcomes pinned.
    let args = [
        "run",
        "audit.yaml",
        "--runs",
        "2",
        "--seed",
        "1",
        "--json",
        "--store",
        "runs.db",
    ];
    let runs = parse_lines(&ws.run(&args, 1));
    assert_eq!(runs.as_array().unwrap().len(), 2);
    snapshot("run", &args, &runs);

    let export = |format: &'static str| {
        let args = [
            "metrics",
            "export",
            "--team-id",
            "audit_team",
            "--store",
            "runs.db",
            "--format",
            format,
        ];
        (ws.run(&args, 0), args)
    };
    let (json, args) = export("json");
    let json = parse(&json);
    snapshot("metrics_export_json", &args, &json);
    let (jsonl, args) = export("jsonl");
    let jsonl = parse_lines(&jsonl);
    assert_eq!(jsonl, json, "jsonl holds the records of the json export");
    snapshot("metrics_export_jsonl", &args, &jsonl);

    // CSV: the run ids and times are the json export's; redact them by value.
    let (mut csv, args) = export("csv");
    let mut ids = Vec::new();
    values_of(&json, &["run_id"], &mut ids);
    let mut times = Vec::new();
    values_of(&json, &TIMESTAMP_KEYS, &mut times);
    assert!(!ids.is_empty() && !times.is_empty());
    for id in &ids {
        csv = csv.replace(id.as_str(), "[run_id]");
    }
    for t in &times {
        csv = csv.replace(t.as_str(), "[timestamp]");
    }
    snapshot_text("metrics_export_csv", &args, &csv);
}

/// The tuning loop on one store: analyze, suggest, apply (dry run, then auto), history, check,
/// rollback.
#[test]
fn analyze_suggest_apply_history_check_rollback() {
    let ws = Workspace::new();
    let store = ["--store", "tuning.db"];
    let team = ["--team-id", "audit_team"];
    let with = |args: &[&'static str]| -> Vec<&'static str> {
        let mut v = args.to_vec();
        v.extend(team);
        v.extend(store);
        v
    };
    let mut args = vec!["run", "audit.yaml", "--runs", "30", "--seed", "1"];
    args.extend(store);
    ws.run(&args, 1);

    let args = with(&["analyze", "--json"]);
    snapshot("analyze", &args, &parse(&ws.run(&args, 0)));

    let args = with(&[
        "suggest",
        "--config",
        "audit.yaml",
        "--output",
        "suggestions.json",
        "--json",
    ]);
    let suggestions = parse(&ws.run(&args, 0));
    assert_eq!(
        parse(&ws.read("suggestions.json")),
        suggestions,
        "--output writes what --json prints"
    );
    snapshot("suggest", &args, &suggestions);

    let args = with(&[
        "apply",
        "--config",
        "audit.yaml",
        "--suggestion",
        "suggestions.json",
        "--dry-run",
        "--json",
    ]);
    snapshot("apply_dry_run", &args, &parse(&ws.run(&args, 0)));

    let args = with(&["apply", "--config", "audit.yaml", "--auto", "--json"]);
    snapshot("apply_auto", &args, &parse(&ws.run(&args, 0)));

    let args = with(&["history", "--json"]);
    snapshot("history", &args, &parse(&ws.run(&args, 0)));

    // No run since the changes: the check waits.
    let args = with(&["check", "--json"]);
    snapshot("check", &args, &parse(&ws.run(&args, 0)));

    let args = with(&["rollback", "--json"]);
    snapshot("rollback", &args, &parse(&ws.run(&args, 0)));

    let args = with(&["rollback", "--list", "--json"]);
    snapshot("rollback_list", &args, &parse(&ws.run(&args, 0)));
}

/// The experiment commands whose output does not depend on which runs joined (run ids, and so
/// the split, differ from one test run to the next).
#[test]
fn experiment_start_list_show_stop() {
    let ws = Workspace::new();
    ws.write("candidate.json", r#"{"team_formation": "parallel"}"#);
    let store = ["--store", "live.db"];
    let with = |args: &[&'static str]| -> Vec<&'static str> {
        let mut v = args.to_vec();
        v.extend(store);
        v
    };
    let args = with(&[
        "experiment",
        "start",
        "--team-id",
        "audit_team",
        "--config",
        "audit.yaml",
        "--candidate",
        "candidate.json",
        "--share",
        "0.2",
        "--ramp",
        "0.5",
        "--json",
    ]);
    snapshot("experiment_start", &args, &parse(&ws.run(&args, 0)));
    let args = with(&["experiment", "list", "--json"]);
    snapshot("experiment_list", &args, &parse(&ws.run(&args, 0)));
    let args = with(&["experiment", "show", "1", "--json"]);
    snapshot("experiment_show", &args, &parse(&ws.run(&args, 0)));
    let args = with(&["experiment", "stop", "1", "--json"]);
    snapshot("experiment_stop", &args, &parse(&ws.run(&args, 0)));
}

#[test]
fn benchmark_json() {
    let ws = Workspace::new();
    let audit = ws.read("audit.yaml");
    let parallel = audit.replace("team_formation: sequential", "team_formation: parallel");
    assert_ne!(parallel, audit);
    ws.write("parallel.yaml", &parallel);
    let args = [
        "benchmark",
        "--before",
        "audit.yaml",
        "--after",
        "parallel.yaml",
        "--team-id",
        "audit_team",
        "--runs",
        "5",
        "--seed",
        "2",
        "--store",
        "bench.db",
        "--json",
    ];
    snapshot("benchmark", &args, &parse(&ws.run(&args, 0)));
}

#[test]
fn compare_json() {
    let ws = Workspace::new();
    ws.write("a.json", "[10, 11, 12, 13, 12, 11]");
    ws.write("b.json", "[7, 8, 8, 9, 7, 8]");
    let args = ["compare", "a.json", "b.json", "--json"];
    let c = parse(&ws.run(&args, 0));
    let keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "bootstrap",
            "improvement_percentage",
            "mann_whitney",
            "mean_a",
            "mean_b",
            "n_a",
            "n_b",
            "welch"
        ]
    );
    snapshot("compare", &args, &c);
}

#[test]
fn store_migrate_and_copy_json() {
    let ws = Workspace::new();
    let args = ["store", "migrate", "--store", "s.db", "--json"];
    snapshot("store_migrate", &args, &parse(&ws.run(&args, 0)));
    // Exit 1 when a simulated member failed: the runs are recorded either way.
    teamtune(
        ws.path(),
        &[
            "run",
            "audit.yaml",
            "--runs",
            "3",
            "--seed",
            "1",
            "--store",
            "s.db",
        ],
    );

    let Some(server) = teamtune_test_postgres::server("store_migrate_and_copy_json") else {
        return;
    };
    let url = server.fresh_database();
    let mut settings = settings(&["store", "migrate|copy", "..."]);
    // The database's name and port differ from run to run.
    settings.add_redaction(".store", "[postgres url]");
    settings.add_redaction(".to", "[postgres url]");
    let migrate = parse(&ws.run(&["store", "migrate", "--store", &url, "--json"], 0));
    settings.bind(|| insta::assert_json_snapshot!("store_migrate_postgres", migrate));
    let copy = parse(&ws.run(
        &["store", "copy", "--from", "s.db", "--to", &url, "--json"],
        0,
    ));
    settings.bind(|| insta::assert_json_snapshot!("store_copy", copy));
}
