//! The person's profile as Sngine sends it, made readable: HTML entities decoded, order and
//! unknown fields kept, and a name to show.

use serde_json::{Map, Value};

/// Decodes HTML entities in every string, at any depth; `null`, order and unknown fields
/// stay as they are. Sngine stores all text through `htmlentities`, so `Jos&eacute;` is
/// `José`.
pub fn decode(user: Map<String, Value>) -> Map<String, Value> {
    user.into_iter()
        .map(|(k, v)| (k, decode_value(v)))
        .collect()
}

fn decode_value(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(html_escape::decode_html_entities(&s).into_owned()),
        Value::Array(items) => Value::Array(items.into_iter().map(decode_value).collect()),
        Value::Object(map) => Value::Object(decode(map)),
        other => other,
    }
}

fn field<'a>(user: &'a Value, name: &str) -> Option<&'a str> {
    user.get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// `José O'Brien (@jose)`, or as much of it as the profile has.
pub fn display_name(user: &Value) -> String {
    let full: Vec<&str> = ["user_firstname", "user_lastname"]
        .iter()
        .filter_map(|f| field(user, f))
        .collect();
    let handle = field(user, "user_name");
    match (full.is_empty(), handle) {
        (false, Some(h)) => format!("{} (@{h})", full.join(" ")),
        (false, None) => full.join(" "),
        (true, Some(h)) => format!("@{h}"),
        (true, None) => match field(user, "user_id") {
            Some(id) => format!("user {id}"),
            None => "an unnamed user".to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_entities_and_keeps_order_nulls_and_unknown_fields() {
        let raw = json!({
            "user_id": "1",
            "user_firstname": "Jos&eacute;",
            "user_lastname": "O&#039;Brien",
            "user_biography": "Tom &amp; Jerry &lt;3 &quot;hi&quot;",
            "user_birthdate": null,
            "zz_fork_field": {"nested": ["&eacute;"]},
            "aa_last": "x"
        });
        let Value::Object(map) = raw else {
            unreachable!()
        };
        let user = decode(map);
        let keys: Vec<_> = user.keys().cloned().collect();
        assert_eq!(keys.first().map(String::as_str), Some("user_id"));
        assert_eq!(keys.last().map(String::as_str), Some("aa_last"));
        assert_eq!(user["user_firstname"], "José");
        assert_eq!(user["user_lastname"], "O'Brien");
        assert_eq!(user["user_biography"], "Tom & Jerry <3 \"hi\"");
        assert_eq!(user["user_birthdate"], Value::Null);
        assert_eq!(user["zz_fork_field"]["nested"][0], "é");
    }

    #[test]
    fn display_names() {
        let full =
            json!({"user_firstname": "José", "user_lastname": "O'Brien", "user_name": "jose"});
        assert_eq!(display_name(&full), "José O'Brien (@jose)");
        assert_eq!(
            display_name(&json!({"user_name": "jose", "user_firstname": ""})),
            "@jose"
        );
        assert_eq!(display_name(&json!({"user_id": "7"})), "user 7");
        assert_eq!(display_name(&json!({})), "an unnamed user");
    }
}
