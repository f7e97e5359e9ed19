//! Output on stdout (results) and stderr (progress): plain text, aligned tables, or JSON.

use serde::Serialize;

/// Prints a result line (or block) on stdout.
#[allow(clippy::print_stdout)]
pub(crate) fn out(text: &str) {
    println!("{text}");
}

/// Prints a value as pretty JSON on stdout.
pub(crate) fn json<T: Serialize>(value: &T) -> eyre::Result<()> {
    out(&serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Progress or notes on stderr, never mixed into machine-readable output.
pub(crate) fn note(text: &str) {
    eprintln!("{text}");
}

/// An aligned text table: columns padded to their widest cell, two spaces apart.
pub(crate) fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut lines = vec![line(headers.to_vec())];
    lines.extend(rows.iter().map(|r| line(r.iter().map(String::as_str).collect())));
    lines.join("\n")
}

/// `key: value` lines with the keys aligned.
pub(crate) fn fields(pairs: &[(&str, String)]) -> String {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 1;
    pairs
        .iter()
        .map(|(k, v)| format!("{:<width$} {v}", format!("{k}:")))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns() {
        let t = table(
            &["ID", "MODEL"],
            &[vec!["1".into(), "H100".into()], vec!["10".into(), "A".into()]],
        );
        assert_eq!(t, "ID  MODEL\n1   H100\n10  A");
        assert_eq!(fields(&[("a", "1".into()), ("bbb", "2".into())]), "a:   1\nbbb: 2");
    }
}
