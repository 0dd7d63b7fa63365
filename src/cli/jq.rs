//! `--jq EXPR`: a jq filter over the JSON a command prints, run in this process by jaq, so
//! that it works on a machine without `jq`, as `gh --jq` does with gojq.
//!
//! The expression is compiled before the command does any work, so that a typo costs no
//! login and no request: it is a usage error (exit 2) with the parser's own words. An error
//! while the filter runs (`.a.b` on a string, `error("x")`) is a failure (exit 1).

use super::exit;
use jaq_core::load::{Arena, File, Loader, lex, parse};
use jaq_core::{Compiler, Ctx, Vars, data};
use jaq_json::Val;
use serde_json::Value;

type Data = data::JustLut<Val>;

/// A compiled jq filter.
pub struct Filter {
    filter: jaq_core::Filter<Data>,
}

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("jq::Filter")
    }
}

impl Filter {
    /// Parses and compiles `code` with jq's standard library; an expression that does not
    /// parse, or names a filter or variable that does not exist, is a usage error.
    pub fn compile(code: &str) -> anyhow::Result<Filter> {
        let program = File { code, path: () };
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs());
        let funs = jaq_core::funs()
            .chain(jaq_std::funs())
            .chain(jaq_json::funs());
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
        Ok(Filter { filter })
    }

    /// Runs the filter over `input`, handing each result to `emit` as its line, as soon as it
    /// comes (a filter may never end): strings raw and anything else as compact JSON. The
    /// results before a runtime error are emitted, as jq prints them; then the error comes
    /// back. An error from `emit` (a closed stdout) stops the run.
    pub fn run(
        &self,
        input: &Value,
        emit: &mut dyn FnMut(&str) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        // serde_json writes what jaq reads; a number past f64 stays a big integer in both.
        let input = jaq_json::read::parse_single(input.to_string().as_bytes())
            .map_err(|e| anyhow::anyhow!("jq cannot read the JSON: {e}"))?;
        let ctx = Ctx::<Data>::new(&self.filter.lut, Vars::new([]));
        for result in self.filter.id.run((ctx, input)).map(jaq_core::unwrap_valr) {
            match result {
                Ok(value) => {
                    let mut line = render(&value);
                    line.push('\n');
                    emit(&line)?;
                }
                Err(e) => {
                    return Err(exit::hinted(
                        format!("the --jq expression failed: {e}"),
                        "check the expression against the JSON: run the command without --jq to see it",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A string as its text, as `jq -r` prints it; anything else as compact JSON.
fn render(value: &Val) -> String {
    match value {
        Val::TStr(bytes) | Val::BStr(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        other => other.to_string(),
    }
}

/// The usage error for an expression that cannot run, with the parser's messages.
fn invalid(code: &str, messages: &[String]) -> anyhow::Error {
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
}
