//! JSON written byte for byte as PHP's `json_encode` writes it with default flags, so that
//! clients meet the escapes real servers send: `\/` for every slash and `\uXXXX` (lowercase,
//! surrogate pairs beyond the BMP) for everything outside ASCII.

use std::fmt::Write as _;

use serde_json::Value;

/// Encodes `value` as `json_encode($value)` would.
pub fn encode(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        // Only strings come out of a mysqli row; numbers are here for completeness and are
        // written as serde writes them, which matches PHP for integers.
        Value::Number(number) => out.push_str(&number.to_string()),
        Value::String(text) => write_string(out, text),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(fields) => {
            out.push('{');
            for (index, (name, item)) in fields.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_string(out, name);
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // PHP leaves DEL (0x7f) alone and escapes the other controls.
            c if (c as u32) < 0x20 => push_unit(out, c as u16),
            c if c.is_ascii() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    push_unit(out, *unit);
                }
            }
        }
    }
    out.push('"');
}

fn push_unit(out: &mut String, unit: u16) {
    // Writing to a String cannot fail.
    let _ = write!(out, "\\u{unit:04x}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_what_php_writes() {
        let table = [
            (json!("https://a.b/c"), r#""https:\/\/a.b\/c""#),
            (json!("José"), r#""Jos\u00e9""#),
            (
                json!("Jos&eacute; O&#039;Brien"),
                r#""Jos&eacute; O&#039;Brien""#,
            ),
            (json!("山田"), r#""\u5c71\u7530""#),
            (json!("أميرة"), r#""\u0623\u0645\u064a\u0631\u0629""#),
            (json!("🌸"), r#""\ud83c\udf38""#),
            (json!("a\"b\\c"), r#""a\"b\\c""#),
            (json!("\n\r\t\u{8}\u{c}"), r#""\n\r\t\b\f""#),
            (json!("\u{1}\u{1f}\u{7f}"), "\"\\u0001\\u001f\u{7f}\""),
            (json!("<b>&'"), r#""<b>&'""#),
            (json!(null), "null"),
            (json!(true), "true"),
            (json!(42), "42"),
            (json!([]), "[]"),
            (json!({}), "{}"),
            (
                json!({"error": true, "message": "Bad Request, invalid app_id"}),
                r#"{"error":true,"message":"Bad Request, invalid app_id"}"#,
            ),
            (
                json!({"user_info": {"user_id": "1", "user_birthdate": null}}),
                r#"{"user_info":{"user_id":"1","user_birthdate":null}}"#,
            ),
        ];
        for (value, expected) in table {
            assert_eq!(encode(&value), expected, "{value}");
        }
    }

    #[test]
    fn keeps_field_order() {
        let value = json!({"z": "1", "a": "2", "m": "3"});
        assert_eq!(encode(&value), r#"{"z":"1","a":"2","m":"3"}"#);
    }

    #[test]
    fn output_reads_back_as_the_same_value() {
        let value = json!({"bio": "Caf\u{e9} \u{1f600} / \"q\" \\", "n": null});
        let parsed: Value = serde_json::from_str(&encode(&value)).unwrap();
        assert_eq!(parsed, value);
    }
}
