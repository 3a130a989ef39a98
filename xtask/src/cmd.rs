//! Running child processes: every command is echoed before it runs, so a CI log shows exactly
//! what was executed, and a failure names the command that failed.

use std::ffi::OsStr;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// Environment variables worth echoing with a command (the rest, like PATH, is noise).
const ECHOED_ENV: &[&str] = &[
    "APPFRAME_TEST_DATABASE_URL",
    "CHROMEDRIVER",
    "APPFRAME_DIST_DIR",
    "APPFRAME_TEST_S3_SERVER",
    "APPFRAME_TEST_HAPROXY",
    "WASM_BINDGEN_TEST_TIMEOUT",
];

/// Renders a command as a shell-like line for logs.
pub fn describe(cmd: &Command) -> String {
    let mut line = String::new();
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value
            && ECHOED_ENV.iter().any(|k| OsStr::new(k) == key)
        {
            line.push_str(&format!(
                "{}={} ",
                key.to_string_lossy(),
                quote(&value.to_string_lossy())
            ));
        }
    }
    line.push_str(&quote(&cmd.get_program().to_string_lossy()));
    for arg in cmd.get_args() {
        line.push(' ');
        line.push_str(&quote(&arg.to_string_lossy()));
    }
    line
}

/// Quotes a word for display when it contains characters a shell would split on.
fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%^".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Runs a command with inherited stdio; an error if it cannot start or exits non-zero.
pub fn run(cmd: &mut Command) -> Result<()> {
    let line = describe(cmd);
    eprintln!("$ {line}");
    let status = cmd
        .status()
        .with_context(|| format!("could not start `{line}`"))?;
    if !status.success() {
        bail!("`{line}` failed ({status})");
    }
    Ok(())
}

/// [`run`], but the lines of its stderr that contain one of `expected` are left out (warnings the
/// project has answered once and for all, which would otherwise repeat for every bundle). On
/// failure everything is shown: the dropped lines may then matter.
pub fn run_without(cmd: &mut Command, expected: &[&str]) -> Result<()> {
    let line = describe(cmd);
    eprintln!("$ {line}");
    let out = cmd
        .stderr(std::process::Stdio::piped())
        .output()
        .with_context(|| format!("could not start `{line}`"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprint!("{}", kept_lines(&stderr, expected, out.status.success()));
    if !out.status.success() {
        bail!("`{line}` failed ({})", out.status);
    }
    Ok(())
}

/// The lines of `text` to show: all of them after a failure, else those without an `expected`
/// part.
fn kept_lines(text: &str, expected: &[&str], success: bool) -> String {
    text.lines()
        .filter(|l| !success || !expected.iter().any(|e| l.contains(e)))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Test counts summed over every `test result:` line a cargo test run printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TestCounts {
    /// Tests that passed.
    pub passed: u64,
    /// Tests that failed.
    pub failed: u64,
    /// Tests marked ignored.
    pub ignored: u64,
}

/// Parses a libtest / wasm-bindgen-test closing line:
/// `test result: ok. 31 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; ...`.
pub fn parse_test_result(line: &str) -> Option<TestCounts> {
    let rest = line.trim().strip_prefix("test result:")?;
    let mut counts = TestCounts::default();
    for part in rest.split([';', '.']) {
        let mut words = part.split_whitespace();
        let (Some(n), Some(what)) = (words.next(), words.next()) else {
            continue;
        };
        let Ok(n) = n.parse::<u64>() else { continue };
        match what {
            "passed" => counts.passed = n,
            "failed" => counts.failed = n,
            "ignored" => counts.ignored = n,
            _ => {}
        }
    }
    Some(counts)
}

/// Runs `cargo test`-like command, echoing its stdout line by line (so CI logs keep cargo's
/// normal result lines) while adding up its `test result:` lines.
pub fn run_tests(cmd: &mut Command) -> Result<TestCounts> {
    let (total, success) = run_tests_counting(cmd)?;
    if !success {
        bail!("`{}` failed", describe(cmd));
    }
    Ok(total)
}

/// [`run_tests`] that reports a failing run as `false` beside the counts it printed, instead of
/// an error (`cargo xtask fuzz` goes on with the other targets and tabulates the failures).
pub fn run_tests_counting(cmd: &mut Command) -> Result<(TestCounts, bool)> {
    use std::io::BufRead;
    let line = describe(cmd);
    eprintln!("$ {line}");
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start `{line}`"))?;
    let mut total = TestCounts::default();
    if let Some(stdout) = child.stdout.take() {
        for text in std::io::BufReader::new(stdout).lines() {
            let text = text.with_context(|| format!("reading the output of `{line}`"))?;
            println!("{text}");
            if let Some(c) = parse_test_result(&text) {
                total.passed += c.passed;
                total.failed += c.failed;
                total.ignored += c.ignored;
            }
        }
    }
    let status = child
        .wait()
        .with_context(|| format!("waiting for `{line}`"))?;
    Ok((total, status.success()))
}

/// Runs a command quietly and returns its trimmed stdout, or `None` if it cannot start or fails.
/// Used for probes (`--version`, `rustup target list`), where failure just means "not there".
pub fn probe(cmd: &mut Command) -> Option<String> {
    let out = cmd.stdin(std::process::Stdio::null()).output().ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn describe_echoes_selected_env_and_quotes_odd_words() {
        let mut cmd = Command::new("cargo");
        cmd.args(["test", "-p", "appframe-server", "a b"])
            .env(
                "APPFRAME_TEST_DATABASE_URL",
                "postgres://postgres@127.0.0.1:5432/test",
            )
            .env("PATH", "/nowhere");
        assert_eq!(
            describe(&cmd),
            "APPFRAME_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo test -p appframe-server 'a b'"
        );
    }

    #[test]
    fn run_reports_a_failing_command() {
        let err = run(Command::new("false").arg("x")).unwrap_err();
        assert!(err.to_string().contains("`false x` failed"), "{err}");
    }

    #[test]
    fn parses_libtest_and_wasm_bindgen_test_result_lines() {
        assert_eq!(
            parse_test_result(
                "test result: ok. 31 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.11s"
            ),
            Some(TestCounts {
                passed: 31,
                failed: 0,
                ignored: 2
            })
        );
        assert_eq!(
            parse_test_result("test result: FAILED. 3 passed; 1 failed; 0 ignored; 0 filtered out"),
            Some(TestCounts {
                passed: 3,
                failed: 1,
                ignored: 0
            })
        );
        assert_eq!(parse_test_result("running 31 tests"), None);
        assert_eq!(parse_test_result("test foo ... ok"), None);
    }

    #[test]
    fn run_tests_adds_up_every_result_line_and_fails_on_exit_status() {
        let script = "echo 'test result: ok. 2 passed; 0 failed; 1 ignored; 0 measured'; \
                      echo 'test result: ok. 5 passed; 0 failed; 0 ignored; 0 measured'";
        let counts = run_tests(Command::new("sh").args(["-c", script])).unwrap();
        assert_eq!(
            counts,
            TestCounts {
                passed: 7,
                failed: 0,
                ignored: 1
            }
        );
        assert!(run_tests(Command::new("sh").args(["-c", "exit 101"])).is_err());
    }

    #[test]
    fn only_expected_lines_are_left_out_and_only_after_success() {
        let text = "warning: the `target_features` custom section is missing\nother\n";
        assert_eq!(kept_lines(text, &["`target_features`"], true), "other\n");
        assert_eq!(kept_lines(text, &["`target_features`"], false), text);
        assert_eq!(kept_lines(text, &[], true), text);
        assert!(run_without(Command::new("sh").args(["-c", "exit 3"]), &[]).is_err());
        assert!(run_without(Command::new("sh").args(["-c", "echo x >&2"]), &["x"]).is_ok());
    }

    #[test]
    fn probe_returns_none_for_a_missing_program() {
        assert_eq!(probe(&mut Command::new("/nonexistent/xtask-probe")), None);
        assert_eq!(
            probe(Command::new("echo").arg(" hi ")).as_deref(),
            Some("hi")
        );
    }
}
