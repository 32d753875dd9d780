//! Unit tests of the reader: shapes, Victor defaults, error wording, every buffer and
//! thread boundary, and the fast path against the full path on random records.

use super::*;

fn err(text: &str) -> String {
    parse_metrics_str(text, None).unwrap_err().to_string()
}

#[test]
fn reads_array_object_and_lines() {
    let array = r#"[{"team_id": "a", "duration_seconds": 3}, {"team_id": "b"}]"#;
    assert_eq!(parse_metrics_str(array, None).unwrap().len(), 2);
    assert_eq!(parse_metrics_str(array, Some("b")).unwrap().len(), 1);
    let object = r#"{"team_id": "a", "success": false}"#;
    let one = parse_metrics_str(object, None).unwrap();
    assert!(!one[0].success);
    let lines = "{\"team_id\": \"a\"}\n{\"team_id\": \"a\", \"formation\": \"parallel\"}\n";
    let two = parse_metrics_str(lines, None).unwrap();
    assert_eq!(&*two[1].formation, "parallel");
    assert_eq!(parse_metrics_str("[]", None).unwrap().len(), 0);
    assert_eq!(parse_metrics_str("\u{feff}[ ]", None).unwrap().len(), 0);
}

#[test]
fn applies_victor_defaults_and_ignores_unknown_keys() {
    let r = &parse_metrics_str(r#"{"team_id": "t", "whatever": {"x": [1, 2]}}"#, None).unwrap()[0];
    assert!(r.success);
    assert_eq!(&*r.formation, "sequential");
    assert_eq!(r.member_count, 1);
    assert_eq!(r.duration_seconds, 0.0);
    assert_eq!(r.total_tool_calls, 0);
}

#[test]
fn reads_member_metrics() {
    let text = r#"{"team_id": "t", "member_metrics": {"a": {"member_id": "a", "role": "r", "success": false,
        "duration_seconds": 2.5, "tool_calls_used": 3, "tools_used": ["grep"], "error_message": "timeout",
        "start_time": null}, "b": {"duration_seconds": 1}}}"#;
    let r = &parse_metrics_str(text, None).unwrap()[0];
    assert_eq!(r.members.len(), 2);
    assert_eq!(
        r.members[0]
            .error_message
            .as_ref()
            .map(|f| f.message.as_str()),
        Some("timeout")
    );
    assert_eq!(&*r.members[1].member_id, "b");
    assert_eq!(&*r.members[1].role, "assistant");
}

#[test]
fn names_record_and_field() {
    let text = "[\n{\"team_id\": \"a\"},\n{\"team_id\": \"a\"},\n{\"team_id\": \"a\"},\n{\"team_id\": \"a\", \"success\": \"false\"}\n]";
    assert_eq!(
        err(text),
        "record 3: field \"success\": expected a boolean, got string \"false\" (at line 5 column 35)"
    );
    assert!(
        err(r#"[{"team_id": "a", "duration_seconds": "12"}]"#)
            .contains("field \"duration_seconds\"")
    );
    assert!(err(r#"[{"team_id": "a", "duration_seconds": -1}]"#).contains("got integer `-1`"));
    assert!(err(r#"[{"team_id": "a", "duration_seconds": NaN}]"#).contains("NaN"));
    assert!(
        err(r#"[{"team_id": "a", "duration_seconds": 1e999}]"#)
            .starts_with("record 0: field \"duration_seconds\"")
    );
    assert!(
        err(r#"[{"team_id": "a", "member_metrics": {"x": {"success": 1}}}]"#)
            .contains("field \"member_metrics.x.success\"")
    );
    assert!(
        err(r#"[{"success": true}]"#).starts_with("record 0: field \"team_id\": missing field")
    );
    assert!(err(r#"[{"team_id": null}]"#).contains("expected a string, got null"));
}

#[test]
fn unknown_formations_and_bad_timestamps_name_record_and_field() {
    let e = err("[{\"team_id\": \"a\"},\n{\"team_id\": \"a\", \"formation\": \"swarm\"}]");
    assert!(
        e.starts_with("record 1: field \"formation\": unknown formation `swarm`"),
        "{e}"
    );
    assert!(e.contains("parallel"), "lists the valid ones: {e}");
    let e = err(r#"{"team_id": "a", "start_time": "yesterday"}"#);
    assert!(e.starts_with("record 0: field \"start_time\": "), "{e}");
    assert!(e.contains("yesterday"), "{e}");
    let e = err(r#"[{"team_id": "a", "end_time": "2025-13-45T99:00:00Z"}]"#);
    assert!(e.starts_with("record 0: field \"end_time\""), "{e}");
    let e =
        err(r#"[{"team_id": "a", "member_metrics": {"x": {"start_time": "2025-01-15 noon"}}}]"#);
    assert!(
        e.starts_with("record 0: field \"member_metrics.x.start_time\""),
        "{e}"
    );
    // Victor's own shapes still read: RFC 3339, Python's isoformat() without an offset,
    // formations in any case, null times.
    let ok = r#"[{"team_id": "a", "formation": "Parallel", "start_time": "2025-01-15T10:00:00Z",
        "end_time": "2025-01-15T10:00:41.123456", "member_metrics": {"x": {"start_time": null,
        "end_time": "2025-01-15T10:00:41+02:00"}}}]"#;
    assert_eq!(parse_metrics_str(ok, None).unwrap().len(), 1);
}

#[test]
fn rejects_bad_shapes() {
    assert!(matches!(
        parse_metrics_str("", None),
        Err(MetricsError::Empty)
    ));
    assert!(matches!(
        parse_metrics_str("  \n", None),
        Err(MetricsError::Empty)
    ));
    assert!(
        err(r#"[{"team_id": "a"}, 3]"#)
            .starts_with("record 1: expected a JSON object, got a number")
    );
    assert!(err(r#"[{"team_id": "a"},]"#).starts_with("record 1: expected a JSON object, got `]`"));
    assert!(
        err("not json\n")
            .starts_with("record 0: expected a JSON object, got text that is not JSON (`not`)"),
        "{}",
        err("not json\n")
    );
    assert!(err("null\n").starts_with("record 0: expected a JSON object, got null"));
    assert!(err("[true]").starts_with("record 0: expected a JSON object, got a boolean"));
    assert!(
        err(r#"[{"team_id": "a"}, {"team_id": "#).starts_with("record 1: the input ends inside")
    );
    assert!(err(r#"[{"team_id": "a"}"#).starts_with("record 1: the input ends before the closing"));
    assert!(err(r#"[{"team_id": "a"}] x"#).starts_with("unexpected `x` after"));
    assert!(
        err(r#"[{"team_id": "a"} {"team_id": "a"}]"#)
            .starts_with("expected `,` or `]` after record 0")
    );
    assert!(err("\"just a string\"").starts_with("record 0: expected a JSON object"));
}

#[test]
fn reads_records_that_span_buffer_refills() {
    let mut text = String::from("[");
    for i in 0..5000 {
        if i > 0 {
            text.push_str(",\n");
        }
        text.push_str(&format!(
            r#"{{"team_id": "t{}", "duration_seconds": {i}.5, "note": "{}"}}"#,
            i % 3,
            "x".repeat(i % 200)
        ));
    }
    text.push(']');
    let all = parse_metrics_str(&text, None).unwrap();
    assert_eq!(all.len(), 5000);
    assert_eq!(all[4999].duration_seconds, 4999.5);
    let bad = text.replacen(
        "\"duration_seconds\": 4000.5",
        "\"duration_seconds\": \"x\"",
        1,
    );
    let e = parse_metrics_str(&bad, None).unwrap_err();
    assert_eq!(e.record_index(), Some(4000));
    assert_eq!(e.position().map(|p| p.line), Some(4001));
}

/// One thread, one segment: the plain sequential reading every other tuning must match.
fn sequential(text: &str, team_id: Option<&str>) -> Result<Vec<RunSample>, String> {
    let tuning = Tuning {
        segment_bytes: text.len() + 1,
        threads: 1,
        min_parallel_bytes: usize::MAX,
        fast_path: true,
        carry_room: 0,
    };
    read_metrics_tuned(text.as_bytes(), team_id, &tuning).map_err(|e| e.to_string())
}

/// Checks that tiny segments, split between 2 to 4 threads, read `text` exactly as one
/// thread does (same samples, or the same error), and returns that result.
fn same_when_split(text: &str, team_id: Option<&str>) -> Result<Vec<RunSample>, String> {
    let expected = sequential(text, team_id);
    for segment_bytes in [8, 13, 40, 97, 400, 4096, text.len() + 1] {
        for threads in 2..=4 {
            let tuning = Tuning {
                segment_bytes,
                threads,
                min_parallel_bytes: 0,
                fast_path: true,
                // Some carried ends fit in front of the next segment, some do not.
                carry_room: [0, 24, 4096][threads % 3],
            };
            let got =
                read_metrics_tuned(text.as_bytes(), team_id, &tuning).map_err(|e| e.to_string());
            assert_eq!(got, expected, "segment {segment_bytes}, threads {threads}");
        }
    }
    expected
}

/// Whether the parser trusts a split of the whole of `text` in two (a fault in the first
/// part ends the chain there).
fn splits_in_two(text: &str) -> bool {
    let segment = segment::Segment {
        bytes: text.as_bytes(),
        at_eof: true,
        at_input_start: true,
        expect: Expect::Start,
        team_id: None,
    };
    let tuning = Tuning {
        segment_bytes: text.len() + 1,
        threads: 2,
        min_parallel_bytes: 0,
        fast_path: true,
        carry_room: 0,
    };
    parse_segment(&segment, &tuning, || {}).len() == 2
}

fn records(count: usize, bad: &[usize], lines: bool) -> String {
    let mut text = String::from(if lines { "" } else { "[\n" });
    for i in 0..count {
        if i > 0 {
            text.push_str(if lines { "\n" } else { ",\n" });
        }
        let duration = if bad.contains(&i) {
            "\"slow\"".to_owned()
        } else {
            format!("{i}.5")
        };
        text.push_str(&format!(
            r#"{{"team_id": "t{}", "duration_seconds": {duration}, "success": {}}}"#,
            i % 3,
            i % 5 != 0
        ));
    }
    if !lines {
        text.push_str("\n]");
    }
    text
}

#[test]
fn split_parsing_keeps_order_and_content() {
    for lines in [false, true] {
        let text = records(120, &[], lines);
        assert!(splits_in_two(&text));
        let all = same_when_split(&text, None).unwrap();
        assert_eq!(all.len(), 120);
        assert!(
            all.iter()
                .enumerate()
                .all(|(i, r)| r.duration_seconds == i as f64 + 0.5)
        );
        assert_eq!(same_when_split(&text, Some("t1")).unwrap().len(), 40);
    }
    let pretty = "[\n  {\n    \"team_id\": \"a\",\n    \"member_metrics\": {\n      \"x\": {\"duration_seconds\": 2}\n    }\n  },\n  {\n    \"team_id\": \"b\"\n  }\n]\n";
    assert_eq!(same_when_split(pretty, None).unwrap().len(), 2);
    same_when_split("\u{feff}[{\"team_id\": \"a\"}, {\"team_id\": \"b\"}]", None).unwrap();
    // A record far larger than a segment and than the room for a carried end.
    let large = format!(
        "[{{\"team_id\": \"a\"}}, {{\"team_id\": \"b\", \"note\": \"{}\"}}, {{\"team_id\": \"c\"}}]",
        "x".repeat(10_000)
    );
    assert_eq!(same_when_split(&large, None).unwrap().len(), 3);
    same_when_split(
        "{\"team_id\": \"a\"}{\"team_id\": \"b\"}\r\n{\"team_id\": \"c\"}",
        None,
    )
    .unwrap();
}

#[test]
fn split_guesses_inside_a_record_are_not_trusted() {
    // The middle of each input is inside the second record, at text that looks like a
    // record start: in a string, and in a nested array of objects.
    let fake = r#", {\"team_id\": \"fake\"}"#.repeat(60);
    let in_string = format!(
        r#"[{{"team_id": "a"}}, {{"team_id": "b", "note": "{fake}"}}, {{"team_id": "c"}}]"#
    );
    let nested = format!(
        "[{{\"team_id\": \"a\"}},\n{{\"team_id\": \"b\", \"extra\": [{}]}},\n{{\"team_id\": \"c\"}}]",
        vec![r#"{"team_id": "fake"}"#; 60].join(", ")
    );
    let lines = format!(
        "{{\"team_id\": \"a\", \"extra\": [{}]}}\n{{\"team_id\": \"b\"}}",
        "{\"x\": 1}{}".repeat(60)
    );
    for text in [in_string, nested] {
        assert!(!splits_in_two(&text));
        let ids: Vec<String> = same_when_split(&text, None)
            .unwrap()
            .iter()
            .map(|r| r.team_id.to_string())
            .collect();
        assert_eq!(ids, ["a", "b", "c"]);
    }
    assert!(same_when_split(&lines, None).is_err());
}

#[test]
fn error_in_the_second_part_names_its_global_index() {
    for lines in [false, true] {
        let text = records(100, &[80], lines);
        assert!(splits_in_two(&text));
        let e = same_when_split(&text, None).unwrap_err();
        let line = if lines { 81 } else { 82 };
        assert!(
            e.starts_with(&format!(
                "record 80: field \"duration_seconds\": expected a non-negative number of seconds, got string \"slow\" (at line {line} column "
            )),
            "{e}"
        );
    }
}

#[test]
fn errors_in_both_parts_report_the_first() {
    // The same layout without the bad values is split in two.
    assert!(splits_in_two(&records(100, &[], false)));
    let text = records(100, &[10, 80], false);
    let e = same_when_split(&text, None).unwrap_err();
    assert!(
        e.starts_with("record 10: field \"duration_seconds\""),
        "{e}"
    );
    let mut grammar = records(100, &[80], false);
    let after_20 = grammar
        .match_indices("},\n")
        .nth(20)
        .map(|(i, _)| i + 1)
        .unwrap();
    grammar.insert_str(after_20, " x");
    let e = same_when_split(&grammar, None).unwrap_err();
    assert!(
        e.starts_with("expected `,` or `]` after record 20, found `x` at line 22"),
        "{e}"
    );
}

#[test]
fn bad_inputs_fail_the_same_when_split() {
    let cases = [
        "",
        "  \n",
        "\u{feff}",
        "\u{feff} [",
        r#"[{"team_id": "a"}, 3]"#,
        r#"[{"team_id": "a"},]"#,
        r#"[{"team_id": "a"}, {"team_id": "#,
        r#"[{"team_id": "a"}"#,
        r#"[{"team_id": "a"}] x"#,
        r#"[{"team_id": "a"} {"team_id": "a"}]"#,
        "\"just a string\"",
        "{\"team_id\": \"a\"}\n{\"team_id\": \"a\", \"duration_seconds\": NaN}",
        "{\"team_id\": \"a\"}\n{\"team_id\": \"a\"}\n{\"team_id\"",
        "[\n{\"team_id\": \"a\"},\n{\"team_id\": \"a\",\n \"success\": \"false\"}\n]",
    ];
    for text in cases {
        assert!(same_when_split(text, None).is_err(), "{text}");
    }
}

/// Reads `text` with and without the fast path, whole and in small split segments.
fn same_with_fast_path(text: &str, team_id: Option<&str>) -> Result<Vec<RunSample>, String> {
    let full = Tuning {
        segment_bytes: text.len() + 1,
        threads: 1,
        min_parallel_bytes: usize::MAX,
        fast_path: false,
        carry_room: 0,
    };
    let expected = read_metrics_tuned(text.as_bytes(), team_id, &full).map_err(|e| e.to_string());
    for (segment_bytes, threads) in [(text.len() + 1, 1), (61, 2), (8, 3)] {
        let tuning = Tuning {
            segment_bytes,
            threads,
            min_parallel_bytes: 0,
            fast_path: true,
            carry_room: segment_bytes,
        };
        let got = read_metrics_tuned(text.as_bytes(), team_id, &tuning).map_err(|e| e.to_string());
        assert_eq!(got, expected, "segment {segment_bytes}, threads {threads}");
    }
    expected
}

mod fast_path {
    use proptest::prelude::*;

    use super::fast_record::scan_record;
    use super::same_with_fast_path;

    /// A JSON value of any type, valid or not for a given field, in forms the fast path
    /// reads and forms it leaves to the full path.
    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("\"t0\"".to_owned()),
            Just("\"t1\"".to_owned()),
            Just("\"parallel\"".to_owned()),
            Just("\"baseline\"".to_owned()),
            Just("\"candidate\"".to_owned()),
            Just("\"caf\u{e9}\"".to_owned()),
            Just("\"t\\u0030\"".to_owned()),
            Just("\"a\\\"b\"".to_owned()),
            Just("\"\"".to_owned()),
            Just("\"a\tb\"".to_owned()),
            Just("\"\u{1f}\"".to_owned()),
            (0u64..200).prop_map(|n| n.to_string()),
            (0u64..100_000, 0u32..4).prop_map(|(n, d)| format!(
                "{}.{:0w$}",
                n / 100,
                n % 100,
                w = d as usize + 1
            )),
            Just("0.1".to_owned()),
            Just("12345678901234.5".to_owned()),
            Just("1234567890123456".to_owned()),
            Just("18446744073709551615".to_owned()),
            Just("4294967296".to_owned()),
            Just("5.0".to_owned()),
            Just("-1".to_owned()),
            Just("-0.5".to_owned()),
            Just("1e2".to_owned()),
            Just("1.5E-3".to_owned()),
            Just("01".to_owned()),
            Just("1.".to_owned()),
            Just("NaN".to_owned()),
            Just("true".to_owned()),
            Just("false".to_owned()),
            Just("null".to_owned()),
            Just("tru".to_owned()),
            Just("[]".to_owned()),
            Just("[\"grep\", \"ls\"]".to_owned()),
            Just("{}".to_owned()),
            Just("{\"m\": {\"duration_seconds\": 2, \"role\": \"r\"}}".to_owned()),
        ]
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("team_id"),
            Just("team_id"),
            Just("formation"),
            Just("member_count"),
            Just("success"),
            Just("duration_seconds"),
            Just("total_tool_calls"),
            Just("consensus_rounds"),
            Just("consensus_achieved"),
            Just("error"),
            Just("variant"),
            Just("config_hash"),
            Just("member_metrics"),
            Just("tool_budget"),
            Just("timeout_seconds"),
            Just("recursion_depth"),
            Just("start_time"),
            Just("run_id"),
            Just("unique_tools_used"),
            Just("other"),
            Just("t\\u0065am_id"),
        ]
        .prop_map(str::to_owned)
    }

    fn space() -> impl Strategy<Value = &'static str> {
        prop_oneof![Just(""), Just(" "), Just("\n  "), Just("\t"), Just("\r\n")]
    }

    fn record() -> impl Strategy<Value = String> {
        prop::collection::vec((key(), value(), space(), space()), 0..6).prop_map(|fields| {
            let body: Vec<String> = fields
                .iter()
                .map(|(k, v, a, b)| format!("{a}\"{k}\"{b}:{a}{v}{b}"))
                .collect();
            format!("{{{}}}", body.join(","))
        })
    }

    /// Records that mostly parse: a valid team id first, then random fields.
    fn mostly_valid() -> impl Strategy<Value = String> {
        (0u8..2, record()).prop_map(|(team, rest)| {
            let rest = rest.strip_prefix('{').unwrap_or(&rest).to_owned();
            let sep = if rest.starts_with('}') { "" } else { ", " };
            format!("{{\"team_id\": \"t{team}\"{sep}{rest}")
        })
    }

    /// A flat record the fast path must read: a team id and valid values of other fields.
    fn valid_flat() -> impl Strategy<Value = String> {
        let field = prop_oneof![
            Just("\"formation\": \"parallel\"".to_owned()),
            (0u32..50).prop_map(|n| format!("\"member_count\": {n}")),
            any::<bool>().prop_map(|b| format!("\"success\": {b}")),
            (0u64..10_000_000, 0usize..6).prop_map(|(n, d)| {
                let text = n.to_string();
                let cut = text.len().saturating_sub(d).max(1);
                let (int, frac) = text.split_at(cut);
                let dot = if frac.is_empty() { "" } else { "." };
                format!("\"duration_seconds\": {int}{dot}{frac}")
            }),
            (0u64..1000).prop_map(|n| format!("\"total_tool_calls\": {n}.0")),
            Just("\"consensus_rounds\": null".to_owned()),
            Just("\"error\": \"timeout\"".to_owned()),
            Just("\"variant\": \"candidate\"".to_owned()),
            Just("\"config_hash\": \"abc\"".to_owned()),
            Just("\"member_metrics\": null".to_owned()),
            Just("\"start_time\": \"2025-01-15T10:00:00Z\"".to_owned()),
            Just("\"other\": 7".to_owned()),
        ];
        (0u8..2, prop::collection::vec(field, 0..8)).prop_map(|(team, fields)| {
            let mut all = vec![format!("\"team_id\": \"t{team}\"")];
            all.extend(fields);
            format!("{{{}}}", all.join(", "))
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn fast_path_agrees_with_full_path(
            records in prop::collection::vec(prop_oneof![3 => mostly_valid(), 1 => record()], 0..12),
            lines in any::<bool>(),
            filter in prop_oneof![Just(None), Just(Some("t0")), Just(Some("t1"))],
        ) {
            let text = if lines {
                records.join("\n")
            } else {
                format!("[{}]", records.join(",\n"))
            };
            // Equal results (samples or error) are checked inside.
            let _ = same_with_fast_path(&text, filter);
        }

        #[test]
        fn fast_path_reads_valid_flat_records(
            records in prop::collection::vec(valid_flat(), 1..20),
            filter in prop_oneof![Just(None), Just(Some("t1"))],
        ) {
            for record in &records {
                let scanned = scan_record(record.as_bytes(), 0, None);
                prop_assert!(scanned.is_some_and(|s| s.end == record.len()), "{record}");
            }
            let text = format!("[{}]", records.join(",\n"));
            let samples = same_with_fast_path(&text, filter);
            prop_assert!(samples.is_ok());
        }
    }
}
