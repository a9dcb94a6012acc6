//! The `quarry-lab` binary as a user meets it: exit codes, error messages, JSON sweep output,
//! and replaying the failing seed a sweep reports.

use std::process::{Command, Output};

fn lab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quarry-lab")).args(args).output().expect("run quarry-lab")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn list_names_every_registered_protocol_with_its_fault_model() {
    let out = lab(&["list"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for name in ["beb", "paxos", "paxos-broken-quorum", "paxos-broken-forgetful"] {
        assert!(text.lines().any(|l| l.starts_with(name)), "{name} missing from:\n{text}");
    }
    assert!(text.contains("faults:"));
}

#[test]
fn bad_values_are_rejected_with_a_message_naming_them_and_exit_3() {
    let cases: [(&[&str], &str); 6] = [
        (&["run", "paxos", "--loss", "1.5"], "--loss must be a probability in [0, 1], got 1.5"),
        (&["run", "nosuch"], "unknown protocol \"nosuch\""),
        (
            &["run", "paxos", "--partition", "0|9@1-2"],
            "node 9 in partition spec does not exist (n = 5)",
        ),
        (&["run", "paxos", "--latency", "gauss:3"], "bad latency \"gauss:3\""),
        (&["sweep", "paxos", "--crash", "6"], "--crash 6 exceeds --n 5"),
        (&["run", "multipaxos-kv", "--request-gap", "0"], "--request-gap must be a positive"),
    ];
    for (args, message) in cases {
        let out = lab(args);
        assert_eq!(out.status.code(), Some(3), "{args:?}");
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn a_sweep_of_broken_paxos_reports_json_exits_1_and_its_seed_replays() {
    let out = lab(&["sweep", "paxos-broken-quorum", "--seeds", "200", "--loss", "0.3", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(summary["runs"], 200);
    assert!(summary["violations"]["uniform agreement"].as_u64().unwrap() > 0);
    assert!(summary["liveness_failures"].is_u64());
    let seed = summary["first_failing_seed"].as_u64().expect("a failing seed").to_string();
    let replay = lab(&["run", "paxos-broken-quorum", "--seed", &seed, "--loss", "0.3"]);
    assert_eq!(replay.status.code(), Some(1), "seed {seed} replays the violation");
    assert!(String::from_utf8_lossy(&replay.stdout).contains("VIOLATED"));
}

#[test]
fn a_sweep_of_correct_paxos_with_a_minority_crashed_exits_0() {
    let out = lab(&["sweep", "paxos", "--seeds", "100", "--crash", "2", "--loss", "0.1", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["liveness_failures"], 0);
    assert!(summary["first_failing_seed"].is_null());
}

#[test]
fn the_workload_options_set_how_many_commands_a_replicated_store_commits() {
    for requests in ["3", "7"] {
        let out = lab(&["run", "multipaxos-kv", "--requests", requests, "--request-gap", "2"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = format!("throughput: {requests} commands committed in");
        assert!(stdout.contains(&line), "{stdout}");
    }
}

#[test]
fn run_writes_a_jsonl_trace_whose_outputs_match_the_printed_decisions() {
    let path = std::env::temp_dir().join(format!("quarry-lab-trace-{}.jsonl", std::process::id()));
    let out = lab(&["run", "paxos", "--seed", "4", "--trace", path.to_str().unwrap()]);
    assert!(out.status.success());
    let trace = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).ok();
    let lines: Vec<serde_json::Value> =
        trace.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let decisions = lines.iter().filter(|l| l["kind"] == "output").count();
    let printed = String::from_utf8_lossy(&out.stdout).matches(" decided ").count();
    assert_eq!(decisions, 5);
    assert_eq!(printed, decisions);
}

#[test]
fn nakamoto_double_spend_prints_simulated_next_to_analytic_within_four_sigma() {
    let out = lab(&[
        "nakamoto",
        "--attacker-share",
        "0.25",
        "--confirmations",
        "4",
        "--trials",
        "100000",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    for model in ["paper_model", "exact_race"] {
        let sim = v[model]["probability"].as_f64().unwrap();
        let analytic = v[model]["analytic"].as_f64().unwrap();
        let sigma = v[model]["std_error"].as_f64().unwrap();
        assert!((sim - analytic).abs() < 4.0 * sigma, "{model}: {sim} vs {analytic} ± {sigma}");
    }
    assert_eq!(v["paper_model"]["analytic_paper"], v["paper_model"]["analytic"]);
}

#[test]
fn nakamoto_stale_mode_prints_both_rates_and_bad_values_exit_3() {
    let out =
        lab(&["nakamoto", "--stale", "--interval", "1", "--delay", "0.05", "--blocks", "2000"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("simulated") && text.contains("analytic  0.04877"), "{text}");
    let cases: [(&[&str], &str); 4] = [
        (&["nakamoto", "--attacker-share", "1.5", "--confirmations", "2"], "got 1.5"),
        (&["nakamoto", "--attacker-share", "0.1"], "--confirmations Z"),
        (&["nakamoto", "--stale", "--interval", "0", "--delay", "1"], "--interval must be"),
        (&["nakamoto", "--stale", "--interval", "1"], "--stale needs"),
    ];
    for (args, message) in cases {
        let out = lab(args);
        assert_eq!(out.status.code(), Some(3), "{args:?}");
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn compare_rejects_an_unknown_scenario_naming_the_known_ones() {
    let out = lab(&["compare", "--scenario", "nosuch", "--out", "/nonexistent/x"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("unknown scenario \"nosuch\"; known: steady, crash-minority"));
}

#[test]
#[cfg_attr(debug_assertions, ignore = "about a minute in debug; scripts/test runs it in release")]
fn compare_writes_a_report_with_every_protocol_and_four_plots() {
    let dir = std::env::temp_dir().join(format!("quarry-lab-compare-{}", std::process::id()));
    let out = lab(&["compare", "--scenario", "crash-minority", "--out", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = std::fs::read_to_string(dir.join("report.md")).expect("report.md");
    for text in [
        "| Multi-Paxos |",
        "| Zab |",
        "| EPaxos |",
        "| Nakamoto (k = 6) |",
        "| PBFT |",
        "| HotStuff |",
        "latency p99",
    ] {
        assert!(report.contains(text), "{text} missing from\n{report}");
    }
    for plot in ["latency_vs_n", "messages_vs_n", "throughput_vs_load", "nakamoto_double_spend"] {
        let svg = std::fs::read_to_string(dir.join(format!("{plot}.svg"))).expect(plot);
        assert!(svg.starts_with("<svg") && svg.contains("<text"), "{plot}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn byzantine_options_are_checked_and_a_sweep_past_f_prints_its_failing_seed() {
    let cases: [(&[&str], &str); 3] = [
        (&["run", "pbft", "--byzantine", "1", "--strategy", "lie"], "unknown strategy \"lie\""),
        (&["run", "paxos", "--byzantine", "1"], "protocol \"paxos\" does not model Byzantine"),
        (&["run", "pbft", "--byzantine", "5"], "--byzantine 5 exceeds --n 4"),
    ];
    for (args, message) in cases {
        let out = lab(args);
        assert_eq!(out.status.code(), Some(3), "{args:?}");
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
    let list = String::from_utf8_lossy(&lab(&["list"]).stdout).into_owned();
    for strategy in ["silence", "equivocate", "delay", "forge", "replay", "random"] {
        assert!(list.contains(strategy), "{strategy} missing from list");
    }
    let out = lab(&["sweep", "pbft", "--byzantine", "2", "--seeds", "100"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("byzantine = 2 (equivocate)") && text.contains("first failing seed"));
    let ok = lab(&["sweep", "pbft", "--byzantine", "1", "--strategy", "random", "--seeds", "100"]);
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stdout));
}
