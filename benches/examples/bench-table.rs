//! Turns the criterion results of a run (and, optionally, the Node script's output) into the
//! Markdown tables of `BENCHMARKS.md`: one table per group, MB/s and frames/s side by side,
//! and each row's throughput as a ratio of this project's row.
//!
//! Usage: `cargo run -p sio-benches --example bench-table -- [target/criterion] [node.jsonl]`
//!
//! A group `G-frames` (measured with `Throughput::Elements`) is merged into the table of `G`
//! (measured with `Throughput::Bytes`). Times are criterion's median per iteration; MB are
//! 10^6 bytes.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::Value;

/// Prefixes of this project's rows.
const OURS: [&str; 3] = ["sio-wire", "tpos-chat", "sio-capture"];

/// The row each ratio divides by, in order of preference: the validated decode where a group
/// has one, else this project's first row.
const REFERENCES: [&str; 3] = [
    "sio-wire/validated",
    "sio-capture/import_capture",
    "tpos-chat/typed-borrowed",
];

#[derive(Debug, Default, Clone)]
struct Row {
    median_ns: Option<f64>,
    mb_per_s: Option<f64>,
    frames_per_s: Option<f64>,
}

/// group -> function -> row, functions in the order found (sorted by name).
type Table = BTreeMap<String, BTreeMap<String, Row>>;

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_str(&fs::read_to_string(path).ok()?).ok()
}

fn collect(dir: &Path, table: &mut Table) -> Result<(), String> {
    let groups = fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for group in groups.flatten() {
        let Ok(functions) = fs::read_dir(group.path()) else {
            continue;
        };
        for function in functions.flatten() {
            let new = function.path().join("new");
            let (Some(meta), Some(estimates)) = (
                read_json(&new.join("benchmark.json")),
                read_json(&new.join("estimates.json")),
            ) else {
                continue;
            };
            let (Some(group_id), Some(function_id), Some(median)) = (
                meta["group_id"].as_str(),
                meta["function_id"].as_str(),
                estimates["median"]["point_estimate"].as_f64(),
            ) else {
                continue;
            };
            let (group_id, is_frames) = match group_id.strip_suffix("-frames") {
                Some(base) => (base, true),
                None => (group_id, false),
            };
            let row = table
                .entry(group_id.to_owned())
                .or_default()
                .entry(function_id.to_owned())
                .or_default();
            let per_s = |n: f64| n / median * 1e9;
            if let Some(bytes) = meta["throughput"]["Bytes"].as_f64() {
                row.mb_per_s = Some(per_s(bytes) / 1e6);
                row.median_ns = Some(median);
            }
            if let Some(elements) = meta["throughput"]["Elements"].as_f64() {
                row.frames_per_s = Some(per_s(elements));
                if !is_frames || row.median_ns.is_none() {
                    row.median_ns = Some(median);
                }
            }
        }
    }
    Ok(())
}

fn collect_node(path: &Path, table: &mut Table) -> Result<(), String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    for line in text.lines().filter(|l| l.starts_with('{')) {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let (Some(id), Some(group)) = (v["id"].as_str(), v["group"].as_str()) else {
            continue;
        };
        table.entry(group.to_owned()).or_default().insert(
            id.to_owned(),
            Row {
                median_ns: v["median_ns_per_pass"].as_f64(),
                mb_per_s: v["mb_per_s"].as_f64(),
                frames_per_s: v["frames_per_s"].as_f64(),
            },
        );
    }
    Ok(())
}

fn fmt_time(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn fmt_opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or_else(|| "–".to_owned(), f)
}

fn print_table(group: &str, rows: &BTreeMap<String, Row>) {
    let reference = REFERENCES
        .iter()
        .find_map(|r| rows.get_key_value(*r))
        .or_else(|| {
            rows.iter()
                .find(|(id, _)| OURS.iter().any(|p| id.starts_with(p)))
        })
        .map(|(id, row)| (id.as_str(), row.clone()));
    println!("#### `{group}`\n");
    match &reference {
        Some((id, _)) => println!(
            "| function | time/iter | MB/s | frames/s | throughput ÷ `{id}` |\n|---|---:|---:|---:|---:|"
        ),
        None => println!("| function | time/iter | MB/s | frames/s |\n|---|---:|---:|---:|"),
    }
    // This project's rows first, then the peers by falling throughput.
    let mut ordered: Vec<(&String, &Row)> = rows.iter().collect();
    let speed = |r: &Row| r.mb_per_s.or(r.frames_per_s).unwrap_or(0.0);
    ordered.sort_by(|a, b| {
        let ours = |id: &str| OURS.iter().any(|p| id.starts_with(p));
        ours(b.0)
            .cmp(&ours(a.0))
            .then(speed(b.1).total_cmp(&speed(a.1)))
    });
    for (id, row) in ordered {
        let mut line = format!(
            "| `{id}` | {} | {} | {} |",
            fmt_opt(row.median_ns, fmt_time),
            fmt_opt(row.mb_per_s, |v| format!("{v:.0}")),
            fmt_opt(row.frames_per_s, |v| format!("{:.0} k", v / 1e3)),
        );
        if let Some((_, base)) = &reference {
            let ratio = match (row.mb_per_s, base.mb_per_s) {
                (Some(a), Some(b)) => Some(a / b),
                _ => row.frames_per_s.zip(base.frames_per_s).map(|(a, b)| a / b),
            };
            line.push_str(&format!(" {} |", fmt_opt(ratio, |r| format!("{r:.2}×"))));
        }
        println!("{line}");
    }
    println!();
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let dir = args
        .next()
        .map_or_else(|| PathBuf::from("target/criterion"), PathBuf::from);
    let mut table = Table::new();
    if let Err(e) = collect(&dir, &mut table) {
        eprintln!("bench-table: cannot read criterion results: {e}");
        return ExitCode::FAILURE;
    }
    if let Some(node) = args.next() {
        if let Err(e) = collect_node(Path::new(&node), &mut table) {
            eprintln!("bench-table: cannot read Node results: {e}");
            return ExitCode::FAILURE;
        }
    }
    if table.is_empty() {
        eprintln!(
            "bench-table: no results under {}; run `cargo bench -p sio-benches` first",
            dir.display()
        );
        return ExitCode::FAILURE;
    }
    for (group, rows) in &table {
        print_table(group, rows);
    }
    ExitCode::SUCCESS
}
