//! `--jq EXPR`: a jq filter over the JSON a command prints, run in this process by jaq, so
//! that it works on a machine without `jq`, as `gh --jq` does with gojq.
//!
//! The expression is compiled before the command does any work, so that a typo costs no
//! login and no request: it is a usage error (exit 2) with the parser's own words. An error
//! while the filter runs (`.a.b` on a string, `error("x")`) is a failure (exit 1).
//!
//! Filters are compiled and run on a thread of their own (`filter_thread`), with a known
//! stack and a message if a filter overflows it (exit 1); an expression nested past
//! [`MAX_NESTING`] is refused before it runs (exit 2). `halt` stops the filter and leaves
//! the command's exit code as it is; `halt(N)` and `halt_error(N)` end pipi with N, and
//! `halt_error` writes its message on stderr first, as jq does.

use super::failure::{Failure, Result};
use super::{exit, filter_thread, output};
use jaq_core::load::{Arena, File, Loader, lex, parse};
use jaq_core::{Compiler, Ctx, Vars, data};
use jaq_json::Val;
use serde_json::Value;

type Data = data::JustLut<Val>;

/// How deep brackets, braces, parentheses and string interpolations may nest in an
/// expression. Hand-written filters stay within a dozen; the parser recurses on each level.
pub const MAX_NESTING: usize = 256;

/// A jq filter, checked: it parses and names only what exists. jaq's compiled filters are
/// not `Send`, so the expression is compiled again on the thread that runs it.
pub struct Filter {
    code: String,
}

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("jq::Filter")
    }
}

impl Filter {
    /// Parses and compiles `code` with jq's standard library; an expression that does not
    /// parse, or names a filter or variable that does not exist, is a usage error.
    pub fn compile(code: &str) -> Result<Filter> {
        check_nesting(code)?;
        filter_thread::run(|| compile(code).map(drop))??;
        Ok(Filter {
            code: code.to_string(),
        })
    }

    /// Runs the filter over `input`, handing each result to `emit` as its line, as soon as it
    /// comes (a filter may never end): strings raw and anything else as compact JSON. The
    /// results before a runtime error are emitted, as jq prints them; then the error comes
    /// back. An error from `emit` (a closed stdout) stops the run.
    pub fn run(
        &self,
        input: &Value,
        emit: &mut (dyn FnMut(&str) -> Result<()> + Send),
    ) -> Result<()> {
        filter_thread::run(|| {
            let filter = compile(&self.code)?;
            run_compiled(&filter, input, emit)
        })?
    }
}

/// Parses and compiles `code` with jq's standard library; an expression that does not
/// parse, or names a filter or variable that does not exist, is a usage error.
fn compile(code: &str) -> Result<jaq_core::Filter<Data>> {
    let program = File { code, path: () };
    let defs = jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs())
        .chain(own_defs());
    // jaq's `stderr_empty` writes through the `log` crate, which pipi shows only with
    // --verbose; pipi's writes on stderr itself.
    let funs = jaq_core::funs()
        .chain(jaq_std::funs().filter(|(name, _, _)| *name != "stderr_empty"))
        .chain(jaq_json::funs())
        .chain([stderr_empty()]);
    let arena = Arena::default();
    let modules = Loader::new(defs).load(&arena, program).map_err(|errors| {
        let messages: Vec<String> = errors
            .into_iter()
            .flat_map(|(_, e)| load_messages(code, e))
            .collect();
        invalid(code, &messages)
    })?;
    let filter = Compiler::default()
        .with_funs(funs)
        .compile(modules)
        .map_err(|errors| {
            let messages: Vec<String> = errors
                .into_iter()
                .flat_map(|(_, undefined)| undefined)
                .map(|(name, what)| {
                    format!("undefined {} '{name}' {}", what.as_str(), at(code, name))
                })
                .collect();
            invalid(code, &messages)
        })?;
    Ok(filter)
}

/// Runs a compiled filter; see [`Filter::run`].
fn run_compiled(
    filter: &jaq_core::Filter<Data>,
    input: &Value,
    emit: &mut (dyn FnMut(&str) -> Result<()> + Send),
) -> Result<()> {
    // serde_json writes what jaq reads; a number past f64 stays a big integer in both.
    let input = jaq_json::read::parse_single(input.to_string().as_bytes())
        .map_err(|e| exit::failed(format!("jq cannot read the JSON: {e}")))?;
    let ctx = Ctx::<Data>::new(&filter.lut, Vars::new([]));
    for result in filter.id.run((ctx, input)) {
        let exception = match result {
            Ok(value) => {
                let mut line = render(&value);
                line.push('\n');
                emit(&line)?;
                continue;
            }
            Err(exception) => exception,
        };
        // Not `jaq_core::unwrap_valr`, which exits the process at once on `halt`.
        return match exception.get_err() {
            Ok(e) => Err(exit::hinted(
                format!("the --jq expression failed: {e}"),
                "check the expression against the JSON: run the command without --jq to see it",
            )),
            Err(other) => match other.get_halt() {
                Ok(0) => Ok(()),
                // pipi ends with that code, and says nothing more.
                Ok(code) => Err(Failure::Halted(
                    u8::try_from(code.rem_euclid(256)).unwrap_or(1),
                )),
                Err(_) => Err(exit::failed("the --jq expression stopped unexpectedly")),
            },
        };
    }
    Ok(())
}

/// Definitions that replace the standard library's: `halt_error` as jq 1.7 writes it, a
/// string as it is and anything else as JSON on a line.
fn own_defs() -> impl Iterator<Item = jaq_core::load::parse::Def<&'static str>> {
    let code = r#"def halt_error($exit_code):
        (if type == "string" then . else tojson + "\n" end | stderr_empty), halt($exit_code);
    def halt_error: halt_error(5);"#;
    jaq_core::load::parse(code, |p| p.defs())
        .unwrap_or_default()
        .into_iter()
}

/// `stderr_empty`: its input on stderr, a string as its text and anything else as compact
/// JSON, with no line break added; controls other than line breaks are shown escaped, as
/// everywhere on pipi's stderr. Yields nothing.
fn stderr_empty() -> jaq_core::native::Fun<Data> {
    jaq_core::native::run((
        "stderr_empty",
        jaq_core::native::v(0),
        |cv: jaq_core::Cv<'_, Data>| {
            use std::io::Write;
            let text = output::escape(&render(&cv.1), output::Breaks::Keep);
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
            Box::new(std::iter::empty())
        },
    ))
}

/// Refuses an expression nested deeper than [`MAX_NESTING`], before the parser recurses
/// into it: brackets, braces, parentheses and `\(...)` in strings count; comments and the
/// text of strings do not.
fn check_nesting(code: &str) -> Result<()> {
    #[derive(PartialEq)]
    enum Open {
        Group,
        Interpolation,
    }
    let mut open: Vec<Open> = Vec::new();
    let mut in_string = false;
    let mut chars = code.chars();
    while let Some(c) = chars.next() {
        if in_string {
            match c {
                '"' => in_string = false,
                // An escape takes the next character with it; `\(` opens an interpolation.
                '\\' if chars.next() == Some('(') => {
                    open.push(Open::Interpolation);
                    in_string = false;
                }
                _ => {}
            }
        } else {
            match c {
                '"' => in_string = true,
                '#' => {
                    for c in chars.by_ref() {
                        if c == '\n' {
                            break;
                        }
                    }
                }
                '(' | '[' | '{' => open.push(Open::Group),
                // Closing an interpolation goes back into its string.
                ')' | ']' | '}' if open.pop() == Some(Open::Interpolation) => in_string = true,
                _ => {}
            }
        }
        if open.len() > MAX_NESTING {
            return Err(exit::usage(
                format!(
                    "invalid --jq expression: it nests deeper than {MAX_NESTING} levels of brackets, braces and parentheses"
                ),
                "write the expression flatter, with definitions (def f: ...;) for the parts it repeats",
            ));
        }
    }
    Ok(())
}

/// A string as its text, as `jq -r` prints it; anything else as compact JSON.
fn render(value: &Val) -> String {
    match value {
        Val::TStr(bytes) | Val::BStr(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        other => other.to_string(),
    }
}

/// The usage error for an expression that cannot run, with the parser's messages.
fn invalid(code: &str, messages: &[String]) -> Failure {
    let said = if messages.is_empty() {
        "it does not parse".to_string()
    } else {
        messages.join("; ")
    };
    exit::usage(
        format!("invalid --jq expression '{code}': {said}"),
        "the expression is jq's language, such as .user_name or '.[] | select(.logged_in) | .profile'",
    )
}

/// The parser's messages for one module.
fn load_messages(code: &str, error: jaq_core::load::Error<&str>) -> Vec<String> {
    use jaq_core::load::Error;
    match error {
        Error::Io(errors) => errors
            .into_iter()
            .map(|(path, e)| format!("cannot load '{path}': {e}"))
            .collect(),
        Error::Lex(errors) => errors
            .into_iter()
            .map(|(expected, found): lex::Error<&str>| {
                format!("expected {} {}", expected.as_str(), at(code, found))
            })
            .collect(),
        Error::Parse(errors) => errors
            .into_iter()
            .map(|(expected, found): parse::Error<&str>| {
                format!("expected {} {}", expected.as_str(), at(code, found))
            })
            .collect(),
    }
}

/// Where `part`, a slice of `code`, stands: `at column N ('x')`, or at the end.
fn at(code: &str, part: &str) -> String {
    let start = part.as_ptr() as usize;
    let base = code.as_ptr() as usize;
    // Names in the standard library are not slices of the expression.
    if start < base || start > base + code.len() {
        return String::new();
    }
    let offset = start - base;
    let column = code[..offset].chars().count() + 1;
    let found: String = part.chars().take(20).collect();
    if found.is_empty() {
        "at the end".to_string()
    } else {
        format!("at column {column} ('{found}')")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(code: &str, input: Value) -> (String, Option<String>) {
        let mut text = String::new();
        let outcome = Filter::compile(code).unwrap().run(&input, &mut |line| {
            text.push_str(line);
            Ok(())
        });
        (text, outcome.err().map(|e| format!("{e:#}")))
    }

    #[test]
    fn strings_print_raw_and_other_values_as_compact_json() {
        let user = json!({"user_name": "jose", "user_firstname": "José", "n": null});
        assert_eq!(run(".user_name", user.clone()).0, "jose\n");
        assert_eq!(run(".user_firstname", user.clone()).0, "José\n");
        assert_eq!(run(".n", user.clone()).0, "null\n");
        assert_eq!(
            run("{a: .user_name, b: [1, 2.5]}", user.clone()).0,
            "{\"a\":\"jose\",\"b\":[1,2.5]}\n"
        );
        assert_eq!(run(".[]", json!(["a", 1, true])).0, "a\n1\ntrue\n");
        assert_eq!(run("empty", user).0, "");
        // A string with a newline in it prints as it is, as jq -r does.
        assert_eq!(run(".", json!("a\nb")).0, "a\nb\n");
    }

    #[test]
    fn the_standard_library_is_there() {
        let list = json!([{"profile": "b", "ok": true}, {"profile": "a", "ok": false}]);
        assert_eq!(run("map(select(.ok)) | length", list.clone()).0, "1\n");
        assert_eq!(
            run("sort_by(.profile) | .[0].profile", list.clone()).0,
            "a\n"
        );
        assert_eq!(run("[.[].profile] | join(\",\")", list).0, "b,a\n");
        assert_eq!(run("\"x\" | ascii_upcase", Value::Null).0, "X\n");
        assert_eq!(run("\"a=b\" | @uri", Value::Null).0, "a%3Db\n");
        assert_eq!(run("{} | keys", Value::Null).0, "[]\n");
    }

    #[test]
    fn key_order_and_big_numbers_survive() {
        let input: Value =
            serde_json::from_str(r#"{"z":1,"a":2,"big":12345678901234567890}"#).unwrap();
        assert_eq!(
            run(".", input.clone()).0,
            "{\"z\":1,\"a\":2,\"big\":12345678901234567890}\n"
        );
        assert_eq!(run("keys_unsorted", input).0, "[\"z\",\"a\",\"big\"]\n");
    }

    #[test]
    fn parse_errors_are_usage_errors_with_the_parser_s_words() {
        for (code, said) in [
            (".a |", "expected term at the end"),
            (".a | )", "at column 6 (')')"),
            ("nosuchfilter", "undefined filter 'nosuchfilter'"),
            ("$nope", "undefined variable"),
            ("\"abc", "closing quote"),
        ] {
            let err = Filter::compile(code).unwrap_err();
            assert_eq!(exit::code(&err), 2, "{code}");
            let message = format!("{err:#}");
            assert!(message.contains(said), "{code}: {message}");
        }
    }

    #[test]
    fn runtime_errors_fail_after_the_results_before_them() {
        let (text, error) = run(".[] | .a", json!([{"a": 1}, "x", {"a": 2}]));
        assert_eq!(text, "1\n");
        let error = error.unwrap();
        assert!(error.contains("the --jq expression failed"), "{error}");
        let (_, error) = run("error(\"boom\")", Value::Null);
        assert!(error.unwrap().contains("boom"));
    }

    #[test]
    fn nesting_counts_groups_and_interpolations_not_strings_or_comments() {
        let deep =
            |open: &str, close: &str, n: usize| format!("{}1{}", open.repeat(n), close.repeat(n));
        assert!(check_nesting(&deep("[", "]", MAX_NESTING)).is_ok());
        let err = check_nesting(&deep("[", "]", MAX_NESTING + 1)).unwrap_err();
        assert_eq!(exit::code(&err), 2);
        assert!(check_nesting(&deep("\"\\(", ")\"", MAX_NESTING + 1)).is_err());
        // Brackets in strings and comments are text.
        let text = format!("\"{}\" # {}\n.", "[".repeat(1000), "(".repeat(1000));
        assert!(check_nesting(&text).is_ok());
        // An escaped quote does not end a string.
        assert!(check_nesting(&format!("\"\\\"{}\"", "[".repeat(1000))).is_ok());
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            /// Any text, however unbalanced, is checked without a panic.
            #[test]
            fn any_expression_is_checked_without_a_panic(code in any::<String>()) {
                let _ = check_nesting(&code);
            }

            #[test]
            fn plain_nesting_passes_exactly_up_to_the_bound(
                depth in 0usize..600,
                kinds in proptest::collection::vec(0usize..3, 600),
            ) {
                let pairs = [("(", ")"), ("[", "]"), ("{a:", "}")];
                let mut code = String::new();
                for kind in &kinds[..depth] {
                    code.push_str(pairs[*kind].0);
                }
                code.push('1');
                for kind in kinds[..depth].iter().rev() {
                    code.push_str(pairs[*kind].1);
                }
                prop_assert_eq!(check_nesting(&code).is_ok(), depth <= MAX_NESTING);
            }
        }
    }
}
