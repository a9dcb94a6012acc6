//! Porcupine-style HTML visualisation of a linearizability check (after Porcupine's
//! `Visualize`, Athalye 2017): for each key, every client's operations as bars on a timeline
//! (invocation to completion; an operation that never returned runs to the right edge, faded),
//! the longest linearizable prefix the search found (green bars numbered in linearization order,
//! and a table of the model state after each), and where it fails (the red bar: the operation
//! whose completion the search reached without being able to explain it).
//!
//! The page is self-contained: inline CSS and a few lines of inline JavaScript (hovering a bar
//! highlights its table row and back), no downloads. Shape: one `<section>` per key, keys that
//! are not linearizable first.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::linearizability::{Model, OperationOf, PartitionOutcome, PartitionReport};

/// Render the page for `history` checked against `model`, with `reports` from
/// [`super::linearizability::analyze`] on the same history; `keys[k]` names key `k`, `title`
/// heads the page (e.g. the file name) and `verdict` is the one-line answer.
pub fn render<M: Model>(
    model: &M,
    history: &[OperationOf<M>],
    reports: &[PartitionReport<M>],
    keys: &[String],
    title: &str,
    verdict: &str,
) -> String {
    let mut html = String::with_capacity(4096 + 400 * history.len());
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>lincheck: {t}</title>\n<style>{STYLE}</style></head>\n<body>\n\
         <h1>lincheck: {t}</h1>\n<p class=\"verdict\">{v}</p>\n<p class=\"legend\">\
         <span class=\"op lin\">linearized (order)</span> <span class=\"op stuck\">where it \
         fails</span> <span class=\"op rest\">not reached</span> <span class=\"op rest \
         pending\">never returned (may take effect at any point after its call, or never)</span>\
         </p>\n",
        t = escape(title),
        v = escape(verdict)
    );
    let mut order: Vec<&PartitionReport<M>> = reports.iter().collect();
    order.sort_by_key(|r| (r.outcome != PartitionOutcome::NotLinearizable, r.key));
    for report in order {
        section(&mut html, model, history, report, keys);
    }
    html.push_str("<script>");
    html.push_str(SCRIPT);
    html.push_str("</script>\n</body></html>\n");
    html
}

fn section<M: Model>(
    html: &mut String,
    model: &M,
    history: &[OperationOf<M>],
    report: &PartitionReport<M>,
    keys: &[String],
) {
    let name = keys.get(report.key as usize).map_or(String::new(), |k| k.clone());
    let label = if name.is_empty() { "the object".to_owned() } else { format!("key {name}") };
    let outcome = match report.outcome {
        PartitionOutcome::Linearizable => ("ok", "linearizable"),
        PartitionOutcome::NotLinearizable => ("bad", "not linearizable"),
        PartitionOutcome::Unknown => ("unknown", "unknown (search budget exhausted)"),
    };
    let id = report.key;
    let _ = write!(
        html,
        "<section><h2>{} <span class=\"badge {}\">{}</span></h2>\n<p>{} operations; longest \
         linearizable prefix: {} of them.",
        escape(&label),
        outcome.0,
        outcome.1,
        report.ops.len(),
        report.longest.len()
    );
    if let Some(stuck) = report.stuck {
        let op = &history[stuck];
        let _ = write!(
            html,
            " It fails at <b>{}</b> by client {}: after the prefix, no operation that could \
             still come before that one's completion explains it.",
            escape(&model.describe(&op.input, &op.output)),
            op.client
        );
    }
    html.push_str("</p>\n");

    // Timeline.
    let ops = &report.ops;
    let start = ops.iter().map(|&i| history[i].call).min().unwrap_or(0);
    let end = ops
        .iter()
        .map(|&i| history[i].ret.unwrap_or(history[i].call))
        .max()
        .unwrap_or(start)
        .max(start + 1);
    let span = (end - start + 2) as f64;
    let scale = (1100.0 / span).max(6.0);
    let clients: Vec<u64> =
        ops.iter().map(|&i| history[i].client).collect::<BTreeSet<_>>().into_iter().collect();
    let (row, left) = (30.0, 90.0);
    let width = left + span * scale + 20.0;
    let height = row * clients.len() as f64 + 10.0;
    let position: std::collections::HashMap<usize, usize> =
        report.longest.iter().enumerate().map(|(n, (op, _))| (*op, n + 1)).collect();
    let _ = writeln!(
        html,
        "<div class=\"timeline\"><svg width=\"{width:.0}\" height=\"{height:.0}\" \
         xmlns=\"http://www.w3.org/2000/svg\">"
    );
    for (r, client) in clients.iter().enumerate() {
        let y = row * r as f64 + 5.0;
        let _ = writeln!(
            html,
            "<text class=\"client\" x=\"4\" y=\"{:.0}\">client {client}</text>\
             <line x1=\"{left}\" x2=\"{width:.0}\" y1=\"{:.0}\" y2=\"{:.0}\" class=\"lane\"/>",
            y + row / 2.0 + 4.0,
            y + row / 2.0,
            y + row / 2.0
        );
    }
    for &i in ops {
        let op = &history[i];
        let r = clients.binary_search(&op.client).unwrap_or(0);
        let x0 = left + (op.call - start) as f64 * scale;
        let x1 = match op.ret {
            Some(ret) => left + (ret - start) as f64 * scale,
            None => width - 10.0,
        };
        let w = (x1 - x0).max(4.0);
        let y = row * r as f64 + 8.0;
        let class = match (position.get(&i), report.stuck == Some(i)) {
            (_, true) => "stuck",
            (Some(_), false) => "lin",
            (None, false) => "rest",
        };
        let pending = if op.ret.is_none() { " pending" } else { "" };
        let text = model.describe(&op.input, &op.output);
        let number = position.get(&i).map_or(String::new(), |n| format!("#{n} "));
        let tip = format!(
            "client {} · {text} · call {}{}{}",
            op.client,
            op.call,
            op.ret.map_or(", never returned".to_owned(), |r| format!(", return {r}")),
            position.get(&i).map_or(String::new(), |n| format!(" · linearized #{n}"))
        );
        let _ = write!(
            html,
            "<g class=\"op {class}{pending}\" data-op=\"{id}-{i}\"><title>{}</title>\
             <rect x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{:.0}\" rx=\"3\"/>",
            escape(&tip),
            row - 6.0
        );
        let label = format!("{number}{text}");
        if w > 7.0 * label.chars().count() as f64 + 6.0 {
            // 11 px monospace is about 6.6 px a character: label only bars it fits in.
            let _ = write!(
                html,
                "<text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                x0 + 3.0,
                y + row / 2.0 + 1.0,
                escape(&label)
            );
        }
        html.push_str("</g>\n");
    }
    html.push_str("</svg></div>\n");

    // The linearization found.
    let _ = writeln!(
        html,
        "<details{}><summary>linearization order ({} steps) and state after each</summary>\
         <table><tr><th>#</th><th>client</th><th>operation</th><th>state after</th></tr>",
        if report.outcome == PartitionOutcome::NotLinearizable { " open" } else { "" },
        report.longest.len()
    );
    for (n, (i, state)) in report.longest.iter().enumerate() {
        let op = &history[*i];
        let _ = writeln!(
            html,
            "<tr data-op=\"{id}-{i}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            n + 1,
            op.client,
            escape(&model.describe(&op.input, &op.output)),
            escape(&model.describe_state(state))
        );
    }
    if let Some(i) = report.stuck {
        let op = &history[i];
        let _ = writeln!(
            html,
            "<tr class=\"stuck\" data-op=\"{id}-{i}\"><td>✗</td><td>{}</td><td>{}</td>\
             <td>cannot be linearized next</td></tr>",
            op.client,
            escape(&model.describe(&op.input, &op.output))
        );
    }
    html.push_str("</table></details></section>\n");
}

/// Escape text for HTML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}\
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.6em}\
.verdict{font-weight:bold}.badge{font-size:.8em;padding:1px 6px;border-radius:3px;color:#fff}\
.badge.ok{background:#2e7d32}.badge.bad{background:#c62828}.badge.unknown{background:#777}\
.timeline{overflow-x:auto;border:1px solid #ddd;background:#fafafa}\
svg text{font:11px monospace;pointer-events:none}svg text.client{fill:#555}\
.lane{stroke:#e4e4e4}g.op rect{stroke:#333;stroke-width:.5}\
g.lin rect{fill:#a5d6a7}g.stuck rect{fill:#ef9a9a;stroke:#c62828;stroke-width:2}\
g.rest rect{fill:#e0e0e0}g.pending rect{opacity:.45;stroke-dasharray:4 2}\
g.hi rect{stroke:#1565c0;stroke-width:3}\
.legend .op{display:inline-block;padding:1px 6px;margin-right:6px;border:1px solid #333;\
border-radius:3px}.legend .lin{background:#a5d6a7}.legend .stuck{background:#ef9a9a}\
.legend .rest{background:#e0e0e0}.legend .pending{opacity:.6;border-style:dashed}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:2px 8px;\
font:12px monospace;text-align:left}tr.stuck{background:#ffcdd2}tr.hi{background:#bbdefb}";

const SCRIPT: &str = "document.querySelectorAll('[data-op]').forEach(function(el){\
var same=function(){return document.querySelectorAll('[data-op=\"'+el.dataset.op+'\"]');};\
el.addEventListener('mouseenter',function(){same().forEach(function(e){e.classList.add('hi');});});\
el.addEventListener('mouseleave',function(){same().forEach(function(e){e.classList.remove('hi');});});\
});";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::jepsen::{parse_log, History};
    use crate::check::linearizability::{analyze, RegisterModel};

    #[test]
    fn the_page_shows_each_client_the_prefix_and_the_failing_op_without_downloads() {
        let log = "0 :invoke :write 1\n0 :ok :write 1\n1 :invoke :read nil\n1 :ok :read 1\n\
                   2 :invoke :read nil\n2 :ok :read 5\n3 :invoke :write 2\n";
        let History::Register { ops, keys } = parse_log(log).unwrap() else { panic!() };
        let reports = analyze(&RegisterModel, &ops, 10_000);
        let page = render(&RegisterModel, &ops, &reports, &keys, "t<1>", "not linearizable");
        for client in 0..4 {
            assert!(page.contains(&format!(">client {client}</text>")), "client {client}");
        }
        assert!(page.contains("longest linearizable prefix: 2 of them"), "{page}");
        assert!(page.contains("It fails at <b>read → 5</b> by client 2"), "{page}");
        assert!(page.contains("#1 write(1)") && page.contains("class=\"op stuck\""));
        assert!(page.contains("class=\"op rest pending\""), "the pending write is drawn");
        assert!(page.contains("lincheck: t&lt;1&gt;"));
        for remote in ["src=", "href=", "@import", "url("] {
            assert!(!page.contains(remote), "{remote} would fetch something");
        }
    }
}
