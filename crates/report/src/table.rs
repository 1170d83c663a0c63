//! The report as a terminal table.

use std::fmt::Write;

use crate::{Report, Sums};

const HEADERS: [&str; 10] = [
    "Period",
    "Tool",
    "Model",
    "Input",
    "Output",
    "Cache read",
    "Cache write",
    "Reasoning",
    "Total",
    "Calls",
];

/// Renders the report as an aligned table with a totals line. Calls with
/// estimated counts are marked `~` and counted apart.
pub fn render_table(report: &Report) -> String {
    let mut lines: Vec<[String; 10]> = vec![HEADERS.map(str::to_owned)];
    for row in &report.rows {
        lines.push(cells(&row.period, row.tool, &row.model, &row.sums));
    }
    lines.push(cells("Total", "", "", &report.totals));
    let widths: Vec<usize> = (0..10)
        .map(|c| {
            lines
                .iter()
                .map(|l| l[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        if i == lines.len() - 1 {
            rule(&mut out, &widths);
        }
        for (c, cell) in line.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            let sep = if c == 0 { "" } else { "  " };
            if c < 3 {
                let _ = write!(out, "{sep}{cell}{}", " ".repeat(pad));
            } else {
                let _ = write!(out, "{sep}{}{cell}", " ".repeat(pad));
            }
        }
        out = out.trim_end().to_owned();
        out.push('\n');
        if i == 0 {
            rule(&mut out, &widths);
        }
    }
    if report.totals.estimated_calls > 0 {
        let _ = writeln!(
            out,
            "~ {} of {} calls are estimated (counted from text with a tokenizer, not reported by the tool).",
            group(report.totals.estimated_calls),
            group(report.totals.calls)
        );
    }
    out
}

fn rule(out: &mut String, widths: &[usize]) {
    let len = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
    out.push_str(&"-".repeat(len));
    out.push('\n');
}

fn cells(period: &str, tool: &str, model: &str, s: &Sums) -> [String; 10] {
    let calls = match s.estimated_calls {
        0 => group(s.calls),
        n => format!("{} (~{})", group(s.calls), group(n)),
    };
    [
        period.to_owned(),
        tool.to_owned(),
        model.to_owned(),
        group(s.input_tokens),
        group(s.output_tokens),
        group(s.cache_read_tokens),
        group(s.cache_write_tokens),
        group(s.reasoning_tokens),
        group(s.total_tokens),
        calls,
    ]
}

/// 1234567 → "1,234,567".
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}
