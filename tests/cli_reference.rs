//! `docs/cli.md` quotes the binary's own `--help` for `fifteen` and each subcommand, each in a
//! fenced block between `<!-- help: NAME -->` and `<!-- /help -->` (NAME is `fifteen` for the
//! top level, else the subcommand). This test runs the real binary and fails when a block
//! differs from what it prints, or when a subcommand has no block.
//!
//! After changing a flag or its doc comment, regenerate the blocks with
//! `FIFTEEN_BLESS=1 cargo test --release --test cli_reference` and commit `docs/cli.md`.

use std::path::PathBuf;
use std::process::Command;

const BLESS: &str = "FIFTEEN_BLESS";
const REGENERATE: &str = "FIFTEEN_BLESS=1 cargo test --release --test cli_reference";

fn doc_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/cli.md")
}

/// What `fifteen [NAME] --help` prints. clap is built without `wrap_help`, so it wraps at its
/// fixed 100 columns whatever the terminal; `COLUMNS` is set anyway in case that changes, and
/// colour is kept off.
fn help(name: &str) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fifteen"));
    if name != "fifteen" {
        cmd.arg(name);
    }
    let out = cmd
        .arg("--help")
        .env("COLUMNS", "100")
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("run the fifteen binary");
    assert!(
        out.status.success(),
        "fifteen {name} --help failed: {out:?}"
    );
    let mut text = String::from_utf8(out.stdout).expect("help is UTF-8");
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// The subcommands `fifteen --help` lists, less clap's own `help`.
fn subcommands(top: &str) -> Vec<String> {
    top.lines()
        .skip_while(|l| l.trim() != "Commands:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|n| n != "help")
        .collect()
}

/// One `<!-- help: NAME -->` … `<!-- /help -->` block: its name and the byte range of what lies
/// between the two markers' lines.
struct Block {
    name: String,
    body: std::ops::Range<usize>,
}

fn blocks(doc: &str) -> Vec<Block> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(start) = doc[at..].find("<!-- help: ").map(|i| at + i) {
        let name_end = start
            + doc[start..]
                .find("-->")
                .expect("unclosed <!-- help: marker");
        let name = doc[start + "<!-- help: ".len()..name_end]
            .trim()
            .to_string();
        let body_start = name_end + "-->".len() + 1; // past the marker's newline
        let body_end = body_start
            + doc[body_start..]
                .find("<!-- /help -->")
                .unwrap_or_else(|| panic!("<!-- help: {name} --> has no <!-- /help -->"));
        found.push(Block {
            name,
            body: body_start..body_end,
        });
        at = body_end;
    }
    found
}

fn fenced(help: &str) -> String {
    format!("```text\n{help}```\n")
}

#[test]
fn cli_md_quotes_every_help_exactly() {
    let path = doc_path();
    let doc = std::fs::read_to_string(&path).expect("read docs/cli.md");
    let top = help("fifteen");
    let mut names = vec!["fifteen".to_string()];
    names.extend(subcommands(&top));
    assert!(
        names.len() > 1,
        "no subcommands found in fifteen --help:\n{top}"
    );

    let found = blocks(&doc);
    let missing: Vec<_> = names
        .iter()
        .filter(|n| !found.iter().any(|b| &b.name == *n))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/cli.md has no help block for {missing:?}: add a line `<!-- help: NAME -->` and a line \
         `<!-- /help -->` where it belongs, then run `{REGENERATE}`"
    );

    if std::env::var_os(BLESS).is_some_and(|v| v != "0") {
        let mut out = String::with_capacity(doc.len());
        let mut at = 0;
        for b in &found {
            out.push_str(&doc[at..b.body.start]);
            out.push_str(&fenced(&help(&b.name)));
            at = b.body.end;
        }
        out.push_str(&doc[at..]);
        if out != doc {
            std::fs::write(&path, out).expect("write docs/cli.md");
            eprintln!("rewrote the help blocks in {}", path.display());
        }
        return;
    }

    let mut failures = Vec::new();
    for b in &found {
        let want = fenced(&help(&b.name));
        let have = &doc[b.body.clone()];
        if have == want {
            continue;
        }
        let first_line = doc[..b.body.start].lines().count() + 1;
        let (offset, have_line, want_line) = have
            .lines()
            .zip(want.lines())
            .enumerate()
            .find(|(_, (h, w))| h != w)
            .map(|(i, (h, w))| (i, h.to_string(), w.to_string()))
            .unwrap_or_else(|| {
                // One is a prefix of the other: the first line only one of them has.
                let n = have.lines().count().min(want.lines().count());
                let line = |s: &str| s.lines().nth(n).unwrap_or("(end of block)").to_string();
                (n, line(have), line(&want))
            });
        failures.push(format!(
            "docs/cli.md:{}: the `{}` help block differs from `fifteen {}--help`\n  docs:   {:?}\n  binary: {:?}",
            first_line + offset,
            b.name,
            if b.name == "fifteen" {
                String::new()
            } else {
                format!("{} ", b.name)
            },
            have_line,
            want_line,
        ));
    }
    assert!(
        failures.is_empty(),
        "{}\nIf the binary is right, regenerate the blocks with `{REGENERATE}` and review the diff \
         (the prose around each block may need the same change).",
        failures.join("\n")
    );
}
